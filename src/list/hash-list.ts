/**
 * The hash list in memory: every entry of every source under a numeric handle, the PDQ Hamming index over the
 * image and video entries' PDQ fingerprints, exact-digest indexes (MD5, SHA-1, SHA-256) and the set of vPDQ
 * entries. It follows the durable store page by page (or catches up with another process's commits) and is what
 * matching reads.
 *
 * Consistency: every change is applied synchronously in one step after it was validated in full, so a query
 * (which is synchronous too) sees a page entirely or not at all, and a bad page changes nothing.
 *
 * Memory: an entry is held as its JSON text (as the store keeps it), encoded as UTF-8 bytes off the JavaScript
 * heap together with its key ({@link EntryTable}), beside its fingerprints in the indexes: no per-entry object
 * or string for the garbage collector to copy or trace. The JSON is held without the hex of the fingerprints the
 * indexes hold, put back when the entry is read ({@link stripFingerprints}). Entries are parsed when a query
 * returns them (frozen copies); entries with vPDQ features stay parsed, because video matching reads every one of
 * them on every query.
 *
 * @module
 */
import { decodeHexInto, HASH_BYTES, parseHex } from '../hash/hex.js';
import { createHashIndex, type IndexName } from '../match/create.js';
import { type DigestBytes, DigestIndex } from '../match/digest-index.js';
import { PackedAdds } from '../match/batch.js';
import { grownTo } from '../match/packed.js';
import type { HashIndex, IndexBatch } from '../match/types.js';
import {
  type ChangeBatch,
  ChangeBatchBuilder,
  FINGERPRINT_AT,
  FINGERPRINT_ROW_BYTES,
  ROW_DELETE,
  ROW_FP_CANONICAL,
  ROW_MD5,
  ROW_PDQ,
  ROW_SHA1,
  ROW_SHA256,
  ROW_VIDEO,
  ROW_VPDQ,
  isCanonicalEntry,
  rowJson,
  textBuffer,
  textStart,
} from './change-batch.js';
import { restoreFingerprints, type StrippedKind, strippableBits, stripFingerprints } from './entry-json.js';
import { EntryTable, isWellFormedText } from './entry-table.js';
import type { ListStore, SourcedStoreChange, StoreCommitResult, StoreRowsResult } from '../sync/store.js';
import type { EntryKind, ListEntry, ListUpdate } from '../sync/types.js';

/** The exact-digest kinds the list indexes. */
export type ListDigestKind = 'md5' | 'sha1' | 'sha256';

const DIGEST_KINDS: readonly ListDigestKind[] = ['md5', 'sha1', 'sha256'];
const DIGEST_BITS = [
  ['md5', ROW_MD5],
  ['sha1', ROW_SHA1],
  ['sha256', ROW_SHA256],
] as const;

/** Options of {@link HashList}. */
export interface HashListOptions {
  /**
   * The PDQ Hamming index: a built-in name, or a factory returning an empty {@link HashIndex} (called again for
   * a full reload, which builds the new index beside the old one and swaps).
   * @default the `createHashIndex()` default
   */
  index?: IndexName | (() => HashIndex);
}

/** One PDQ hit. */
export interface ListPdqHit {
  entry: ListEntry;
  /** Hamming distance from the query (0–256). */
  distance: number;
  /** The entry's key within its source. */
  key: string;
}

/** One entry with its key. */
export interface ListItem {
  key: string;
  entry: ListEntry;
}

/** What one {@link HashList.apply} changed. */
export interface ListApplyResult {
  /** The list version afterwards. */
  version: number;
  added: number;
  updated: number;
  deleted: number;
}

/** Counters and memory of the list. */
export interface HashListStats {
  version: number;
  /** Total entries. */
  entries: number;
  /** Entries by list (source) id. */
  entriesByList: Record<string, number>;
  /** Entries by list id and kind. */
  bySource: Record<string, Record<EntryKind, number>>;
  /** Entries carrying each matchable fingerprint. */
  fingerprints: { pdq: number; md5: number; sha1: number; sha256: number; vpdq: number };
  /** The PDQ index in use. */
  index: { name: string; size: number; memoryBytes: number };
  /**
   * Estimated bytes held: indexes exactly, entries approximately (from their string sizes). An estimate for
   * capacity planning, not an accounting.
   */
  memoryBytes: number;
}

const KIND_NONE = 0;
const PDQ_BYTES = HASH_BYTES.pdq;
const KIND_CODE: Record<EntryKind, number> = { image: 1, video: 2 };

interface State {
  index: HashIndex;
  /** The `ROW_*` fingerprint bits whose hex the entries' JSON is held without (PDQ only if the index has `hashOf`). */
  stripBits: number;
  digests: Record<ListDigestKind, DigestIndex>;
  /** `(source, key)` to handle, and each handle's key and JSON. */
  entries: EntryTable;
  /** One past the highest handle ever used. */
  handleEnd: number;
  /** {@link KIND_CODE} of the entry, KIND_NONE for a free handle. */
  kinds: Uint8Array;
  free: number[];
  /** Entries with vPDQ features, parsed and frozen (identity is stable while the entry is unchanged). */
  vpdq: Map<number, ListEntry>;
  /** Estimated bytes of the parsed vPDQ entries' objects. */
  vpdqBytes: number;
  bySource: Map<string, Record<EntryKind, number>>;
  /** Per-handle scratch of #applyOps: which apply call last touched the handle, and where it noted it. */
  touchedIn: Uint32Array;
  touchedAt: Int32Array;
  applies: number;
}

const DIGEST_BYTES: Record<ListDigestKind, DigestBytes> = { md5: 16, sha1: 20, sha256: 32 };
/** The most entries `reserve` takes: what one multi-index can hold (the list holds no more). */
const MAX_RESERVE = 1 << 28;
// A parsed vPDQ entry: its JSON as a string plus objects per frame feature.
const VPDQ_ENTRY_BYTES = 200;
const VPDQ_FEATURE_BYTES = 120;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function vpdqBytes(entry: ListEntry): number {
  return VPDQ_ENTRY_BYTES + (entry.fingerprints.vpdq?.length ?? 0) * VPDQ_FEATURE_BYTES;
}

function hasVpdq(entry: ListEntry): boolean {
  return (entry.fingerprints.vpdq?.length ?? 0) > 0;
}

/**
 * The in-memory hash list.
 *
 * @example
 * ```ts
 * const store = openListStore('list.db');
 * const list = HashList.load(store);                 // restart: everything the store holds
 * const hits = list.queryPdq(parsePdq(hex), 31);     // [{ entry, distance, key }]
 * list.refresh(store);                               // pick up what a cron `tidscan sync` committed
 * ```
 */
export class HashList {
  #state: State;
  #version = 0;
  readonly #newIndex: () => HashIndex;
  readonly #scratch: Record<ListDigestKind, Uint8Array> = { md5: new Uint8Array(16), sha1: new Uint8Array(20), sha256: new Uint8Array(32) };
  /** An entry's JSON without its fingerprints' hex, on its way into the entry table. */
  #stripped = Buffer.allocUnsafeSlow(4096);
  /** A stored entry's JSON as UTF-8 (reload). */
  #encoded = Buffer.allocUnsafeSlow(4096);

  /**
   * An empty list at version 0.
   *
   * @throws {TypeError} for an unknown index name or a bad option.
   */
  constructor(options: HashListOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected \`options\` to be an object, got ${options === null ? 'null' : typeof options}`);
    }
    const index = options.index;
    if (index === undefined) this.#newIndex = () => createHashIndex();
    else if (typeof index === 'function') this.#newIndex = index;
    else {
      createHashIndex(index); // validates the name now rather than at the first reload
      this.#newIndex = () => createHashIndex(index);
    }
    this.#state = this.#emptyState();
  }

  /**
   * Builds a list holding everything `store` holds (one consistent snapshot), at the store's version.
   *
   * @throws {StoreError} when the store cannot be read.
   */
  static load(store: ListStore, options: HashListOptions = {}): HashList {
    const list = new HashList(options);
    list.reload(store);
    return list;
  }

  /** The list version: the store's version this list reflects (or, without a store, the count of changing applies). */
  get version(): number {
    return this.#version;
  }

  /** Number of entries. */
  get size(): number {
    return this.#state.entries.size;
  }

  /**
   * Makes room for `entries` entries in all: a capacity hint before a large load (`sync()` passes what a source
   * announces a first sync will bring). Filling the list then regrows none of its arrays, each regrowth being a
   * copy into new memory that the process must fault in page by page. The entry table is sized for `entries`, and
   * so are the digest indexes and the PDQ index (when it has `reserve`) that already hold something: memory is
   * set aside now, but only what entries use is ever touched. `stats().memoryBytes` counts what is set aside.
   * Never shrinks; a later `reload` starts from scratch.
   *
   * @throws {TypeError | RangeError} when `entries` is not an integer from 0 to 2^28; {@link RangeError} when the
   * memory cannot be had (the list is unchanged but for the room already set aside).
   */
  reserve(entries: number): void {
    if (typeof entries !== 'number') throw new TypeError(`Expected \`entries\` to be an integer from 0 to ${MAX_RESERVE}, got ${typeof entries}`);
    if (!Number.isInteger(entries) || entries < 0 || entries > MAX_RESERVE) {
      throw new RangeError(`Expected \`entries\` to be an integer from 0 to ${MAX_RESERVE}, got ${entries}`);
    }
    const state = this.#state;
    // New entries take freed handles first, then new ones.
    const handles = state.handleEnd + Math.max(0, entries - state.entries.size - state.free.length);
    if (handles <= state.handleEnd) return;
    reserveHandles(state, handles);
    for (const kind of DIGEST_KINDS) if (state.digests[kind].size > 0) state.digests[kind].reserve(handles);
    if (state.index.size > 0) state.index.reserve?.(handles);
  }

  /** Name of the PDQ index in use. */
  get indexName(): string {
    return this.#state.index.name;
  }

  /**
   * Applies one source's updates (a delta page) as one step: in order, last write wins, `entry: null` deletes.
   * Everything is validated first, so a bad update throws and changes nothing. The version becomes
   * `options.version` when given (a store commit's version), else goes up by one if anything changed.
   *
   * @throws {TypeError} for a malformed update; {@link HashFormatError} for a malformed fingerprint;
   * {@link RangeError} when `options.version` is below the current version.
   */
  apply(sourceId: string, updates: readonly ListUpdate[], options: { version?: number } = {}): ListApplyResult {
    if (typeof sourceId !== 'string' || sourceId.length === 0 || !isWellFormedText(sourceId)) {
      throw new TypeError(`Expected \`sourceId\` to be a non-empty string of well-formed Unicode, got ${typeof sourceId === 'string' ? JSON.stringify(sourceId) : typeof sourceId}`);
    }
    if (!Array.isArray(updates)) throw new TypeError(`Expected \`updates\` to be an array, got ${typeof updates}`);
    const version = options.version;
    if (version !== undefined && (!Number.isSafeInteger(version) || version < this.#version)) {
      throw new RangeError(`Expected \`version\` to be an integer >= the current version ${this.#version}, got ${String(version)}`);
    }
    const batch = new ChangeBatchBuilder();
    updates.forEach((u, i) => {
      const { key, entry } = checkUpdate(u, i);
      batch.add(sourceId, key, entry);
    });
    const counts = this.#applyBatch(this.#state, batch.build());
    if (version !== undefined) this.#version = version;
    else if (counts.added + counts.updated + counts.deleted > 0) this.#version++;
    return { version: this.#version, ...counts };
  }

  /**
   * Follows a store commit made by this process (`ListStore.commit`). When the list is not at the commit's
   * previous version (another process committed in between), it catches up from `store` instead.
   */
  applyCommit(sourceId: string, commit: StoreCommitResult, store: ListStore): void {
    if (commit.previousVersion === this.#version) {
      // The store's own JSON of each entry is reused: it is exactly what the list would make.
      const batch = new ChangeBatchBuilder();
      commit.changes.forEach((c, i) => {
        const { key, entry } = checkUpdate(c, i);
        batch.add(sourceId, key, entry, c.json);
      });
      this.#applyBatch(this.#state, batch.build());
      this.#version = commit.version;
    } else if (commit.version !== this.#version) {
      this.refresh(store);
    }
  }

  /**
   * Follows a store commit of packed rows made by this process (the sync pipeline): the rows `done.outcomes` marks
   * as changed, then the keys a snapshot deleted. When the list is not at the commit's previous version, it
   * catches up from `store` instead.
   *
   * @internal
   */
  applyCommittedBatch(sourceId: string, batch: ChangeBatch, done: StoreRowsResult, store: ListStore): void {
    if (done.previousVersion === this.#version) {
      this.#applyBatch(this.#state, batch, done.outcomes);
      if (done.gone.length > 0) {
        const gone = new ChangeBatchBuilder();
        for (const key of done.gone) gone.add(sourceId, key, null);
        this.#applyBatch(this.#state, gone.build());
      }
      this.#version = done.version;
    } else if (done.version !== this.#version) {
      this.refresh(store);
    }
  }

  /**
   * Catches up with changes another process committed to `store` (cheap when there are none): incrementally
   * when possible, else by a full reload. Returns true when the list changed.
   *
   * @throws {StoreError} when the store cannot be read.
   */
  refresh(store: ListStore): boolean {
    if (store.version === this.#version) return false;
    const delta = store.changesSince(this.#version);
    if (delta === null || delta.version < this.#version) {
      this.reload(store);
      return true;
    }
    const batch = new ChangeBatchBuilder();
    delta.changes.forEach((c: SourcedStoreChange, i) => {
      const { key, entry } = checkUpdate(c, i);
      batch.add(c.source, key, entry, c.json);
    });
    this.#applyBatch(this.#state, batch.build());
    this.#version = delta.version;
    return true;
  }

  /**
   * Replaces the whole content with the store's: builds a fresh index beside the current one (queries keep
   * answering from the old one meanwhile), then swaps.
   */
  reload(store: ListStore): void {
    const state = this.#emptyState();
    // Bulk path: entries get consecutive handles, digests are decoded into scratch buffers (the indexes copy
    // them), PDQs go to one slab and into the index as a single batch (one build instead of incremental upkeep).
    let pdqSlab = new Uint8Array(32 * 4096);
    let pdqHandles = new Uint32Array(4096);
    let pdqCount = 0;
    const scratch: Record<ListDigestKind, Uint8Array> = { md5: new Uint8Array(16), sha1: new Uint8Array(20), sha256: new Uint8Array(32) };
    // The entry's fingerprints as a change batch row holds them, to hold its JSON without their hex.
    const row = new Uint8Array(FINGERPRINT_ROW_BYTES);
    /** At most this many entries come (the store says before the first): room is set aside once, not regrown. */
    let atMost = 0;
    const sizeAhead = (rows: number): void => {
      try {
        const n = Math.min(rows, MAX_RESERVE);
        const slab = new Uint8Array(32 * Math.max(4096, n));
        const handles = new Uint32Array(Math.max(4096, n));
        reserveHandles(state, n);
        [pdqSlab, pdqHandles, atMost] = [slab, handles, n];
      } catch {
        // Memory could not be set aside at once: the arrays grow as entries come, as they would without a count.
      }
    };
    const version = store.forEachEntry((source, key, entry, json) => {
      if (typeof entry !== 'object' || entry === null || (entry.kind !== 'image' && entry.kind !== 'video') || typeof entry.fingerprints !== 'object') {
        throw new TypeError(`Expected the stored entry ${JSON.stringify(key)} of ${JSON.stringify(source)} to be a ListEntry`);
      }
      const fp = entry.fingerprints;
      const h = state.handleEnd;
      let bits = 0;
      if (fp.pdq !== undefined) {
        if (pdqCount === pdqHandles.length) {
          const slab = new Uint8Array(pdqSlab.length * 2);
          slab.set(pdqSlab);
          pdqSlab = slab;
          const handles = new Uint32Array(pdqHandles.length * 2);
          handles.set(pdqHandles);
          pdqHandles = handles;
        }
        decodeHexInto('pdq', fp.pdq, pdqSlab, pdqCount * 32);
        row.set(pdqSlab.subarray(pdqCount * 32, pdqCount * 32 + 32), FINGERPRINT_AT.pdq);
        bits |= ROW_PDQ;
        pdqHandles[pdqCount++] = h;
      }
      for (const [kind, bit] of DIGEST_BITS) {
        const hex = fp[kind];
        if (hex === undefined) continue;
        decodeHexInto(kind, hex, scratch[kind], 0);
        const digests = state.digests[kind];
        if (digests.size === 0 && atMost > 0) digests.reserve(atMost); // once the snapshot shows it holds this kind
        digests.add(h, scratch[kind]);
        row.set(scratch[kind], FINGERPRINT_AT[kind]);
        bits |= bit;
      }
      if (state.entries.find(source, key) >= 0) {
        throw new TypeError(`Expected one stored entry per key, got ${JSON.stringify(key)} of ${JSON.stringify(source)} twice`);
      }
      if ((bits & state.stripBits) !== 0) {
        if (3 * json.length > this.#encoded.length) this.#encoded = Buffer.allocUnsafeSlow(6 * json.length);
        if (3 * json.length > this.#stripped.length) this.#stripped = Buffer.allocUnsafeSlow(6 * json.length);
        const bytes = this.#encoded.write(json, 0, 'utf8');
        // The row was decoded from the very strings this JSON holds (`entry` was parsed from it).
        const flags = isCanonicalEntry(entry) ? bits | ROW_FP_CANONICAL : bits;
        const n = stripFingerprints(this.#encoded, 0, bytes, flags, bits & state.stripBits, row, 0, this.#stripped);
        state.entries.insertBytes(h, source, key, this.#stripped, 0, n);
      } else {
        state.entries.insert(h, source, key, json);
      }
      state.handleEnd++;
      setKind(state, h, KIND_CODE[entry.kind]);
      if (hasVpdq(entry)) {
        state.vpdq.set(h, deepFreeze(entry));
        state.vpdqBytes += vpdqBytes(entry);
      }
      let kinds = state.bySource.get(source);
      if (!kinds) state.bySource.set(source, (kinds = { image: 0, video: 0 }));
      kinds[entry.kind]++;
    }, { onStart: sizeAhead });
    // Packed: the built-in indexes read the slab in place (no view and pair per hash); a plug-in iterates pairs.
    if (pdqCount > 0) state.index.apply({ add: new PackedAdds(pdqHandles, pdqSlab, pdqCount) });
    this.#state = state;
    this.#version = version;
  }

  /** Every entry whose PDQ is within `maxDistance` (inclusive) of `hash` (32 bytes or 64 hex), nearest first. */
  queryPdq(hash: Uint8Array | string, maxDistance: number): ListPdqHit[] {
    const bytes = typeof hash === 'string' ? parseHex('pdq', hash) : hash;
    const state = this.#state;
    return state.index.query(bytes, maxDistance).map(({ id, distance }) => ({ entry: entryAt(state, id), distance, key: state.entries.key(id) }));
  }

  /** {@link queryPdq} for several hashes (e.g. the 8 dihedral variants): one result array per hash. */
  queryPdqMany(hashes: readonly Uint8Array[], maxDistance: number): ListPdqHit[][] {
    const state = this.#state;
    return state.index.queryMany(hashes, maxDistance).map((hits) =>
      hits.map(({ id, distance }) => ({ entry: entryAt(state, id), distance, key: state.entries.key(id) })),
    );
  }

  /**
   * Every entry with exactly this digest (hex, either case, or packed bytes).
   *
   * @throws {HashFormatError} `INVALID_HASH` for a malformed digest.
   */
  lookupDigest(kind: ListDigestKind, value: string | Uint8Array): ListEntry[] {
    const index = this.#state.digests[kind];
    if (!index) throw new TypeError(`Expected \`kind\` to be one of "md5", "sha1", "sha256", got ${JSON.stringify(kind)}`);
    const bytes = typeof value === 'string' ? parseHex(kind, value) : value;
    if (bytes.length !== HASH_BYTES[kind]) {
      throw new TypeError(`Expected a ${kind} digest of ${HASH_BYTES[kind]} bytes, got ${bytes.length}`);
    }
    const state = this.#state;
    return index.lookup(bytes).map((id) => entryAt(state, id));
  }

  /** @internal Test hatch: bytes of the keys and JSON texts the entry table holds. */
  get heldTextBytes(): number {
    return this.#state.entries.textBytes;
  }

  /** The entry stored under `key` of source `sourceId`, or undefined. */
  getEntry(sourceId: string, key: string): ListEntry | undefined {
    const handle = this.#state.entries.find(sourceId, key);
    return handle < 0 ? undefined : entryAt(this.#state, handle);
  }

  /** Every entry with its key (order unspecified). */
  *entries(): IterableIterator<ListItem> {
    const state = this.#state;
    for (let h = 0; h < state.handleEnd; h++) {
      if (state.kinds[h] !== KIND_NONE) yield { key: state.entries.key(h), entry: entryAt(state, h) };
    }
  }

  /** Every entry of kind `video`. */
  *videoEntries(): IterableIterator<ListEntry> {
    const state = this.#state;
    for (let h = 0; h < state.handleEnd; h++) if (state.kinds[h] === KIND_CODE.video) yield entryAt(state, h);
  }

  /** Every entry that has vPDQ frame features (what video matching compares against). */
  vpdqEntries(): IterableIterator<ListEntry> {
    return this.#state.vpdq.values();
  }

  /** Counters and a memory estimate. */
  stats(): HashListStats {
    const s = this.#state;
    const entriesByList: Record<string, number> = {};
    const bySource: Record<string, Record<EntryKind, number>> = {};
    for (const [source, counts] of s.bySource) {
      if (counts.image + counts.video === 0) continue;
      bySource[source] = { ...counts };
      entriesByList[source] = counts.image + counts.video;
    }
    const digestBytes = DIGEST_KINDS.reduce((n, k) => n + s.digests[k].memoryBytes(), 0);
    const indexBytes = s.index.memoryBytes();
    return {
      version: this.#version,
      entries: s.entries.size,
      entriesByList,
      bySource,
      fingerprints: {
        pdq: s.index.size,
        md5: s.digests.md5.size,
        sha1: s.digests.sha1.size,
        sha256: s.digests.sha256.size,
        vpdq: s.vpdq.size,
      },
      index: { name: s.index.name, size: s.index.size, memoryBytes: indexBytes },
      memoryBytes: indexBytes + digestBytes + s.entries.memoryBytes() + s.kinds.byteLength + s.vpdqBytes,
    };
  }

  #emptyState(): State {
    const index = this.#newIndex();
    return {
      index,
      stripBits: strippableBits(typeof index.hashOf === 'function'),
      digests: { md5: new DigestIndex(DIGEST_BYTES.md5), sha1: new DigestIndex(DIGEST_BYTES.sha1), sha256: new DigestIndex(DIGEST_BYTES.sha256) },
      entries: new EntryTable(),
      handleEnd: 0,
      kinds: new Uint8Array(0),
      free: [],
      vpdq: new Map(),
      vpdqBytes: 0,
      bySource: new Map(),
      touchedIn: new Uint32Array(0),
      touchedAt: new Int32Array(0),
      applies: 0,
    };
  }

  /**
   * Applies a batch (only the rows `include` marks non-zero, when given). Handles freed here are reused only by
   * later calls, so within one call a handle names one key and the index batch (removals first, then additions)
   * is exact.
   */
  #applyBatch(state: State, batch: ChangeBatch, include?: Uint8Array): { added: number; updated: number; deleted: number } {
    const counts = { added: 0, updated: 0, deleted: 0 };
    const freed: number[] = [];
    const { keys, sources, sourceOf, flags, text, textEnds, fingerprints } = batch;
    // The final PDQ of each handle touched, noted without a Map or per-entry allocations: one slab per call. (No
    // closures or generators here either: V8 recompiled each new one on most batches of a sync.)
    const touch: Touched = { apply: ++state.applies, handles: new Uint32Array(batch.count), hasPdq: new Uint8Array(batch.count), slab: new Uint8Array(batch.count * PDQ_BYTES), count: 0 };
    const scratch = this.#scratch;
    const table = state.entries;
    for (let i = 0; i < batch.count; i++) {
      if (include !== undefined && include[i] === 0) continue;
      const source = sources[sourceOf[i]!]!;
      const key = keys[i]!;
      const f = flags[i]!;
      const handle = table.find(source, key);
      if (f & ROW_DELETE) {
        if (handle < 0) continue;
        this.#dropSlot(state, handle);
        table.remove(handle);
        noteTouched(state, touch, handle, fingerprints, -1);
        freed.push(handle);
        counts.deleted++;
        continue;
      }
      let json: Uint8Array = text;
      let start = textStart(batch, i);
      let end = textEnds[i]!;
      if ((f & state.stripBits) !== 0 && fingerprints.length > 0) {
        if (end - start > this.#stripped.length) this.#stripped = Buffer.allocUnsafeSlow(2 * (end - start));
        end = stripFingerprints(text, start, end, f, f & state.stripBits, fingerprints, i * FINGERPRINT_ROW_BYTES, this.#stripped);
        json = this.#stripped;
        start = 0;
      }
      let h = handle;
      if (h < 0) {
        h = state.free.pop() ?? state.handleEnd++;
        table.insertBytes(h, source, key, json, start, end);
        counts.added++;
      } else {
        this.#dropSlot(state, h);
        table.replaceBytes(h, json, start, end);
        counts.updated++;
      }
      const kind: EntryKind = f & ROW_VIDEO ? 'video' : 'image';
      setKind(state, h, KIND_CODE[kind]);
      if (f & ROW_VPDQ) {
        // Parsed from the JSON, so the list never shares an object with the caller.
        const entry = deepFreeze(JSON.parse(rowJson(batch, textBuffer(batch), i)!) as ListEntry);
        state.vpdq.set(h, entry);
        state.vpdqBytes += vpdqBytes(entry);
      }
      let kinds = state.bySource.get(source);
      if (!kinds) state.bySource.set(source, (kinds = { image: 0, video: 0 }));
      kinds[kind]++;
      const at = i * FINGERPRINT_ROW_BYTES;
      noteTouched(state, touch, h, fingerprints, f & ROW_PDQ ? at + FINGERPRINT_AT.pdq : -1);
      for (let d = 0; d < DIGEST_BITS.length; d++) {
        const [digest, bit] = DIGEST_BITS[d]!;
        if ((f & bit) === 0) continue;
        const out = scratch[digest];
        const from = at + FINGERPRINT_AT[digest];
        for (let b = 0; b < out.length; b++) out[b] = fingerprints[from + b]!;
        state.digests[digest].add(h, out);
      }
    }
    const index = indexChanges(state.index, touch);
    if (index !== null) state.index.apply(index);
    state.free.push(...freed);
    return counts;
  }

  /** Takes a live handle's entry out of the counters and indexes (its key and JSON stay in `state.entries`). */
  #dropSlot(state: State, handle: number): void {
    const kinds = state.bySource.get(state.entries.source(handle));
    if (kinds) kinds[state.kinds[handle] === KIND_CODE.video ? 'video' : 'image']--;
    for (const kind of DIGEST_KINDS) state.digests[kind].remove(handle);
    const vpdq = state.vpdq.get(handle);
    if (vpdq) {
      state.vpdqBytes -= vpdqBytes(vpdq);
      state.vpdq.delete(handle);
    }
    state.kinds[handle] = KIND_NONE;
  }
}

/** The entry under a live handle, as a frozen object (parsed from its JSON unless it is held parsed). */
function entryAt(state: State, handle: number): ListEntry {
  return state.vpdq.get(handle) ?? deepFreeze(JSON.parse(entryJson(state, handle)) as ListEntry);
}

/** The JSON of a live handle's entry, as the store holds it (its fingerprints' hex put back). */
function entryJson(state: State, handle: number): string {
  return restoreFingerprints(state.entries.json(handle), (kind: StrippedKind) => {
    const bytes = kind === 'pdq' ? state.index.hashOf?.(handle) : state.digests[kind].digestOf(handle);
    return bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  });
}

/** The handles one {@link HashList} apply call touched, in first-touch order, with the PDQ each ends with. */
interface Touched {
  /** The call's number, marking `state.touchedIn`. */
  apply: number;
  handles: Uint32Array;
  /** 1 where the handle ends the call with a PDQ (in `slab`), 0 where it ends without one. */
  hasPdq: Uint8Array;
  /** The PDQ of `handles[pos]` at `pos * 32`. */
  slab: Uint8Array;
  count: number;
}

/** Notes that `handle` now holds the PDQ at `fingerprints[pdqAt..]`, or none when `pdqAt` is negative. */
function noteTouched(state: State, touch: Touched, handle: number, fingerprints: Uint8Array, pdqAt: number): void {
  if (handle >= state.touchedIn.length) {
    const size = Math.max(1024, handle + 1, state.touchedIn.length * 2);
    state.touchedIn = grownTo(state.touchedIn, size);
    state.touchedAt = grownTo(state.touchedAt, size);
  }
  let pos: number;
  if (state.touchedIn[handle] === touch.apply) pos = state.touchedAt[handle]!;
  else {
    pos = touch.count++;
    state.touchedIn[handle] = touch.apply;
    state.touchedAt[handle] = pos;
    touch.handles[pos] = handle;
  }
  if (pdqAt < 0) {
    touch.hasPdq[pos] = 0;
    return;
  }
  const slab = touch.slab;
  for (let b = 0, o = pos * PDQ_BYTES; b < PDQ_BYTES; b++) slab[o + b] = fingerprints[pdqAt + b]!;
  touch.hasPdq[pos] = 1;
}

/**
 * The index batch for what an apply call touched: removals of handles that end without a PDQ, then the final PDQ
 * of the others, packed (compacted in place when some handles have none). Null when the index has nothing to do.
 */
function indexChanges(index: HashIndex, touch: Touched): IndexBatch | null {
  const { handles, hasPdq, slab, count } = touch;
  const remove: number[] = [];
  let adds = 0;
  for (let pos = 0; pos < count; pos++) {
    if (hasPdq[pos]) {
      if (adds !== pos) {
        handles[adds] = handles[pos]!;
        slab.copyWithin(adds * PDQ_BYTES, pos * PDQ_BYTES, pos * PDQ_BYTES + PDQ_BYTES);
      }
      adds++;
    } else if (index.has(handles[pos]!)) remove.push(handles[pos]!);
  }
  if (remove.length + adds === 0) return null;
  return { remove, add: new PackedAdds(handles, slab, adds) };
}

/** Room for handles below `handles` in the entry table and every per-handle array (see {@link HashList.reserve}). */
function reserveHandles(state: State, handles: number): void {
  state.entries.reserve(handles);
  if (handles > state.kinds.length) state.kinds = grownTo(state.kinds, handles);
  if (handles > state.touchedIn.length) {
    state.touchedIn = grownTo(state.touchedIn, handles);
    state.touchedAt = grownTo(state.touchedAt, handles);
  }
}

function setKind(state: State, handle: number, code: number): void {
  if (handle >= state.kinds.length) {
    const grown = new Uint8Array(Math.max(1024, handle + 1, state.kinds.length * 2));
    grown.set(state.kinds);
    state.kinds = grown;
  }
  state.kinds[handle] = code;
}

/** Checks the shape of one update (its fingerprints are checked when it is packed). */
function checkUpdate(update: ListUpdate | SourcedStoreChange, i: number): ListUpdate {
  if (typeof update !== 'object' || update === null || typeof update.key !== 'string') {
    throw new TypeError(`Expected \`updates[${i}]\` to be { key, entry }, got ${update === null ? 'null' : typeof update}`);
  }
  if (!isWellFormedText(update.key)) throw new TypeError(`Expected \`updates[${i}].key\` to be well-formed Unicode (no lone surrogates)`);
  const entry = update.entry;
  if (entry === null) return { key: update.key, entry: null };
  if (typeof entry !== 'object' || (entry.kind !== 'image' && entry.kind !== 'video') || typeof entry.fingerprints !== 'object' || entry.fingerprints === null) {
    throw new TypeError(`Expected \`updates[${i}].entry\` to be a ListEntry with kind and fingerprints, or null`);
  }
  return { key: update.key, entry };
}
