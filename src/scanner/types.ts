/**
 * Public types of the scanner facade: options, the verdict union, matches and the false-positive allowlist.
 *
 * @module
 */
import type { DihedralName } from '../hash/dihedral.js';
import type { HashImageOptions } from '../media/image-options.js';
import type { HashVideoOptions } from '../media/video-options.js';
import type { EntryKind, HashListSource } from '../sync/types.js';

/** Which scanner method produced a verdict (also the `operation` of diagnostics events). */
export type ScanOperation = 'image' | 'video' | 'hashes';

/** A hash type a match can be made on. */
export type SignalType = 'md5' | 'sha1' | 'sha256' | 'pdq' | 'vpdq';

/** Why an input produced no usable perceptual hash (and no exact digest matched). */
export type UnhashableReason =
  /** PDQ quality below `minQuality` (flat, blurred or tiny images; for videos: every sampled frame). */
  | 'low_quality'
  /** The image is smaller than 5 pixels on a side, where PDQ is undefined. */
  | 'too_small'
  /** The file has no video stream (audio only, attached picture only). */
  | 'no_video_stream'
  /** The video stream decoded to zero frames. */
  | 'no_frames'
  /** `matchHashes` was given no hash at all. */
  | 'no_hashes';

/** One vPDQ frame hash, as computed from a video or passed to `matchHashes`. */
export interface FrameHash {
  /** 0-based decoded frame number. */
  frame: number;
  /** Seconds from the start: `frame / fps`. */
  timestamp: number;
  /** 64 lowercase hex digits. */
  pdq: string;
  /** PDQ quality 0–100. */
  quality: number;
}

/** The hashes a verdict was computed from (lowercase hex). Content bytes are never kept. */
export interface ComputedHashes {
  md5?: string;
  sha1?: string;
  sha256?: string;
  /** Image PDQ hash (absent for videos and for images where PDQ is undefined). */
  pdq?: string;
  /** PDQ quality 0–100 of `pdq`. */
  quality?: number;
  /** The 8 dihedral variants, when dihedral matching is on (images only). */
  dihedral?: Partial<Record<DihedralName, string>>;
  /** Video frame hashes in frame order (videos, or `matchHashes({ vpdq })`). */
  vpdq?: FrameHash[];
}

/** Fields every match has. */
interface MatchBase {
  /** The list (source id) the entry belongs to. */
  list: string;
  /** The entry's id in its source. */
  entryId: string;
  /** Whether the list entry describes an image or a video. */
  entryKind: EntryKind;
  /** The member (contributor) of the entry, when the list says. */
  member?: { id: string; name?: string };
  /** The list's classification of the entry (e.g. NCMEC `A1`), when the list says. */
  classification?: string;
}

/** An exact digest match (the same file bytes). */
export interface DigestMatch extends MatchBase {
  signal: 'md5' | 'sha1' | 'sha256';
  /** Always 0. */
  distance: 0;
}

/** A frame of a video that matched an image entry. */
export interface FrameMatch {
  frame: number;
  timestamp: number;
  distance: number;
}

/** A PDQ match: the upload's PDQ hash (or a video frame's) is within the list's distance of the entry's. */
export interface PdqMatch extends MatchBase {
  signal: 'pdq';
  /** Hamming distance 0–256 (the best one when several variants or frames matched). */
  distance: number;
  /**
   * The dihedral variant of the upload's hash that matched (`orig` unless dihedral matching is on and a rotated or
   * flipped variant came closer).
   */
  transform: DihedralName;
  /** For video uploads: the frame with the best distance (the earliest one on ties). */
  frame?: FrameMatch;
  /** For video uploads: every sampled frame within the distance, in frame order. */
  frames?: FrameMatch[];
}

/** A vPDQ match between a video upload and a video entry's frame hashes (VPDQ.md §4). */
export interface VpdqMatch extends MatchBase {
  signal: 'vpdq';
  /** Percentage (0–100) of the upload's unique, quality-filtered frames that have a match in the entry. */
  queryPercent: number;
  /** Percentage (0–100) of the entry's unique, quality-filtered frames that have a match in the upload. */
  targetPercent: number;
  /** Smallest frame-to-frame Hamming distance seen. */
  distance: number;
}

/** One matching list entry; `signal` tells which fields are present. */
export type Match = DigestMatch | PdqMatch | VpdqMatch;

/** What a false positive applies to. */
export type FalsePositiveTarget =
  /** One list entry: every later match against it is excluded. */
  | { list: string; entryId: string }
  /** One exact file (lowercase SHA-256 hex): every later match of that content is excluded. */
  | { sha256: string };

/** A recorded false positive. */
export type FalsePositive = FalsePositiveTarget & {
  /** Free text from the reviewer, e.g. a ticket id. Never required. */
  note?: string;
  /** When it was recorded, ISO 8601. */
  createdAt: string;
};

/** A match that was found but not reported as one, because the platform marked it as a false positive. */
export interface ExcludedMatch {
  match: Match;
  /** `entry` when the list entry is allowlisted, `content` when the upload's SHA-256 is. */
  reason: 'entry' | 'content';
  /** The allowlist record that caused the exclusion. */
  falsePositive: FalsePositive;
}

/** How long the verdict took. */
export interface VerdictTiming {
  /** Milliseconds from the call to the verdict, queue wait included. */
  totalMs: number;
  /** Milliseconds spent decoding and hashing (0 for `matchHashes` and cache hits). */
  hashMs: number;
  /** Milliseconds spent looking hashes up. */
  matchMs: number;
  /** True when the verdict came from the repeat-content cache (same SHA-256, same list version). */
  cached: boolean;
}

/** Facts about the media that was hashed (absent for `matchHashes`). */
export interface MediaInfo {
  kind: EntryKind;
  width: number;
  height: number;
  /** Image format as detected (`jpeg`, `png`, ...), images only. */
  format?: string;
  /** Frames per second, videos only. */
  fps?: number;
  /** Seconds, videos only. */
  durationSec?: number;
}

/** Fields every verdict has. */
interface VerdictBase {
  /** Which scanner method produced it. */
  operation: ScanOperation;
  /** The hashes the verdict was computed from; store them in your audit trail. */
  hashes: ComputedHashes;
  /** The list version (`stats().listVersion`) the input was judged against. */
  listVersion: number;
  /** Matches found but excluded by the false-positive allowlist, and why. */
  excluded: ExcludedMatch[];
  /** What was hashed. */
  media?: MediaInfo;
  timing: VerdictTiming;
}

/** At least one list entry matched. */
export interface MatchVerdict extends VerdictBase {
  kind: 'match';
  /** Every matching entry (not excluded), ordered by list, then signal strength: digests, vPDQ, PDQ by distance. */
  matches: Match[];
}

/** The input was hashed well enough to judge and nothing matched. */
export interface NoMatchVerdict extends VerdictBase {
  kind: 'no_match';
}

/**
 * The input could not be judged perceptually and no exact digest matched. This is not "clean": route it the way
 * your policy routes unscannable uploads.
 */
export interface UnhashableVerdict extends VerdictBase {
  kind: 'unhashable';
  reason: UnhashableReason;
  /** Human-readable explanation. */
  message: string;
}

/**
 * The outcome of a scan, discriminated on `kind`.
 *
 * @example
 * ```ts
 * const verdict = await scanner.matchImage(upload);
 * switch (verdict.kind) {
 *   case 'match': block(verdict.matches); break;
 *   case 'unhashable': review(verdict.reason); break;
 *   case 'no_match': accept(); break;
 * }
 * ```
 */
export type Verdict = MatchVerdict | NoMatchVerdict | UnhashableVerdict;

/** Hashes a caller already computed, for `matchHashes`. Hex is case-insensitive. */
export interface HashesInput {
  md5?: string;
  sha1?: string;
  sha256?: string;
  /** Image PDQ hash, 64 hex digits. */
  pdq?: string;
  /**
   * Quality of `pdq` (0–100). When given and below `minQuality` the PDQ hash is not matched; when omitted the hash is
   * trusted as is.
   */
  quality?: number;
  /** Video frame hashes; `frame` defaults to the array index and `timestamp` to 0 when omitted. */
  vpdq?: Array<{ pdq: string; quality: number; frame?: number; timestamp?: number }>;
}

/** vPDQ matching thresholds (VPDQ.md §4). */
export interface VpdqThresholds {
  /**
   * Two frames match when their Hamming distance is at most this (python-threatexchange semantics, `<=`).
   * @default 31
   */
  frameDistance?: number;
  /**
   * Minimum percentage of the **upload's** unique, quality-filtered frames that must match the entry
   * (python-threatexchange / HMA put the 80 % on the query side; the vPDQ README puts it on the comparison side).
   * @default 80
   */
  queryPercent?: number;
  /**
   * Minimum percentage of the **entry's** unique, quality-filtered frames that must match the upload.
   * @default 0
   */
  targetPercent?: number;
}

/** One configured hash list: its source and its own thresholds. */
export interface ScannerListOptions {
  /** Where the list comes from; `source.id` is the list id reported in matches. */
  source: HashListSource;
  /**
   * PDQ matches need a Hamming distance of at most this (0–256).
   * @default the scanner's `maxDistance` (31)
   */
  maxDistance?: number;
  /** vPDQ thresholds for this list. @default the scanner's `vpdq` */
  vpdq?: VpdqThresholds;
}

/** Options for `createScanner`. */
export interface ScannerOptions {
  /**
   * The hash lists to sync and match against. Entries already in the store from a source that is not listed here
   * are still matched, with the scanner-wide thresholds (a scan-only process can share a store that another process
   * syncs).
   * @default []
   */
  lists?: ScannerListOptions[];
  /**
   * SQLite store path, or `':memory:'` for a list that lives only as long as the scanner (sync before scanning).
   * @default ':memory:'
   */
  store?: string;
  /**
   * The Hamming index implementation, by its `name`.
   * @default the index module's recommended default
   */
  index?: string;
  /** Default PDQ distance for lists without their own `maxDistance`. @default 31 */
  maxDistance?: number;
  /**
   * PDQ hashes (images and video frames, upload and list side) with quality below this are not matched: they are
   * too unreliable (python-threatexchange `QUALITY_THRESHOLD`).
   * @default 50
   */
  minQuality?: number;
  /**
   * Also match the 7 rotated/flipped variants of an image's PDQ hash. Off by default because the variants are
   * computed from the DCT, not by rotating pixels: they are a few bits away from the hash of a really rotated
   * image (PDQ.md §11), they multiply lookups by 8 and so the chance of a chance collision, and most lists are built
   * from the images as posted. Turn it on when rotated re-uploads are a known evasion on your platform.
   * @default false
   */
  dihedral?: boolean;
  /** Default vPDQ thresholds for lists without their own. */
  vpdq?: VpdqThresholds;
  /**
   * How many images/videos are hashed at the same time.
   * @default os.availableParallelism()
   */
  concurrency?: number;
  /**
   * How many calls may wait for a hashing slot. A `matchImage`/`matchVideo` call beyond this rejects at once with
   * `QUEUE_FULL` (backpressure: shed or retry later); `matchMany` waits for room instead.
   * @default 1000
   */
  maxQueue?: number;
  /**
   * Verdicts remembered by SHA-256 of the content, so a repeated upload is not decoded again. Cleared when the list
   * or the false-positive allowlist changes. `0` turns the cache off.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * Passed to image hashing: `maxInputBytes`, `limitInputPixels`, `timeoutMs`, `failOn`, `formats`, `resize`
   * (see `HashImageOptions`; `dihedral` is the scanner's own option, `signal` is per call).
   * @default the image hashing defaults
   */
  image?: Omit<HashImageOptions, 'dihedral' | 'signal'>;
  /**
   * Passed to video hashing: `secondsPerHash`, ffmpeg location, `maxInputBytes`, `maxDurationSec`, `maxFrames`,
   * `maxPixels`, `timeoutMs`, `allowedContainers`, `tempDir` (see `HashVideoOptions`; `signal` is per call).
   * @default the video hashing defaults (one frame hash per second)
   */
  video?: Omit<HashVideoOptions, 'signal'>;
  /**
   * Where `sync()` runs the built-in sources (`SyncOptions.sourceThread`): `true`, on a thread of their own, so fetching,
   * parsing and validating pages stop competing with matching on this thread during a large sync; `'auto'`, an
   * NCMEC source moves to such a thread once a sync has received 20 000 updates (a first sync or a reload, not the
   * usual incremental one), on a machine with at least two cores; `false`, never.
   * @default 'auto'
   */
  sourceThread?: boolean | 'auto';
}

/** Options for `matchMany`. */
export interface MatchManyOptions {
  /**
   * How many inputs are in flight at once (they still share the scanner's hashing slots).
   * @default the scanner's `concurrency`
   */
  concurrency?: number;
  /** Whether the inputs are images (`matchImage`) or videos (`matchVideo`). @default 'image' */
  kind?: 'image' | 'video';
  /** Stops the batch: no new inputs are started and the iterator ends with an `ABORTED` error. */
  signal?: AbortSignal;
}
