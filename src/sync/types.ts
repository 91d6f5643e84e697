/**
 * The hash-list data model and the source plug-in interface (the sync issue owns and may extend this file).
 *
 * A source turns a remote or local list into an ordered stream of delta pages. Each update is keyed; a later
 * update for the same key replaces an earlier one (last write wins, in arrival order), and `entry: null` deletes.
 *
 * @module
 */

/** The kind of content a list entry describes. */
export type EntryKind = 'image' | 'video';

/** One vPDQ frame feature as stored in a list. */
export interface VpdqFeature {
  pdq: string;
  quality: number;
  /** Seconds from the start of the video. */
  timestamp: number;
}

/**
 * Fingerprints of one entry, normalised: hex values lowercase. Unknown fingerprint types from a source are kept
 * as opaque strings under their lowercase element name.
 */
export interface Fingerprints {
  md5?: string;
  sha1?: string;
  sha256?: string;
  pdq?: string;
  /** PhotoDNA: opaque, never matched by tidscan. */
  pdna?: string;
  vpdq?: VpdqFeature[];
  [type: string]: string | VpdqFeature[] | undefined;
}

/** One hash-list entry as tidscan keeps it. */
export interface ListEntry {
  /** Id of the configured source (list) it came from. */
  source: string;
  /** The source's own entry id. */
  id: string;
  member?: { id: string; name?: string };
  classification?: string;
  kind: EntryKind;
  fingerprints: Fingerprints;
  /** Link-only fingerprints (e.g. TMK_PDQF, VIDENTIFIER): kept as references, never fetched. */
  links?: Array<{ type: string; href: string }>;
  /** The source's timestamp for this record, ISO 8601, if any. */
  timestamp?: string;
  /** Any further metadata from the source (feedback, status, case numbers...), JSON-serialisable. */
  metadata?: Record<string, unknown>;
}

/** One keyed change; `entry: null` deletes the key. */
export interface ListUpdate {
  /** Unique within the source, e.g. NCMEC `${memberId}-${id}`. */
  key: string;
  entry: ListEntry | null;
}

/** A record the source could not use, with the reason. Never silently dropped: counted in the sync report. */
export interface SkippedRecord {
  key?: string;
  reason: string;
}

/** One page of a delta, committed atomically together with its checkpoint. */
export interface DeltaPage<C = unknown> {
  updates: ListUpdate[];
  skipped: SkippedRecord[];
  /** Resume point after this page (JSON-serialisable). */
  checkpoint: C;
  /**
   * Snapshot sources only (the list file source): set on the LAST page of a `fetch()` that enumerated the
   * complete list. When the consumer commits this page it must, in the same transaction, delete every key of this
   * source that no page of the same `fetch()` call mentioned (neither upserted nor deleted). A fetch that stops
   * early (error, abort, crash) never yields this page, so nothing is deleted, and the checkpoint of its earlier
   * pages is the previous one, so the next fetch starts the snapshot over.
   *
   * @default false (an ordinary delta page: keys it does not mention are unchanged)
   */
  replaceAll?: boolean;
  /**
   * How many more updates this `fetch()` expects to yield after this page, when the source can tell (the NCMEC
   * source reads it from the API's paging link: the records left in the current time window). A hint only, never
   * trusted for correctness: `sync()` uses it to make room in an in-memory list before a large first sync.
   */
  remainingHint?: number;
}

/** Per-call fetch options. */
export interface FetchOptions {
  signal?: AbortSignal;
}

/** A hash-list source plug-in. */
export interface HashListSource<C = unknown> {
  /** Source type name, e.g. `ncmec`, `stopncii`, `file`. */
  readonly name: string;
  /** The configured list id (unique within a scanner), stored in every entry's `source`. */
  readonly id: string;
  /** Yields delta pages after `checkpoint` (null = from the beginning). The caller may stop early. */
  fetch(checkpoint: C | null, options?: FetchOptions): AsyncIterable<DeltaPage<C>>;
  /**
   * Orders two checkpoints of this source: negative when `a` is earlier, 0 when equal or not comparable. When
   * present, `sync()` refuses a page whose checkpoint is earlier than the one before it (`SYNC_CHECKPOINT_REWOUND`).
   * Checkpoints may come back from storage malformed: return 0 for those rather than throw.
   */
  compareCheckpoints?(a: C, b: C): number;
}
