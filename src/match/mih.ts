/**
 * `mih`: multi-index hashing (Norouzi, Punjani & Fleet, "Fast Exact Search in Hamming Space with Multi-Index
 * Hashing", 2012), the fastest exact index we measured for PDQ lists (docs/performance.md).
 *
 * The 256 bits are cut into `m` substrings of `b` bits. If two hashes are within `r`, then, writing
 * `r = m·k + a` (0 ≤ a < m), one of the first `a + 1` substrings differs in at most `k` bits or one of the others
 * in at most `k - 1` (otherwise the total would exceed r). A query probes, in each table, every bucket within
 * that radius of its own substring and verifies the candidates with a popcount. With 16 × 16 bits, r = 31 means
 * 17 buckets in each of 16 tables; r = 10 means 11 exact buckets and no neighbour enumeration at all.
 *
 * The substring width follows the list size (16 bits up to ~600k hashes, 18 at 1M, 21 at 10M: longer
 * substrings mean fewer candidates per probe once buckets fill up). It is chosen whenever the index does a full
 * build (a bulk `apply`, or `compact()`), never on a small update.
 *
 * A hit is reported only from the first table (in probe order) whose radius test it passes, so results need no
 * dedupe set. For 32-bit substrings the bucket is a hash of the substring and a candidate counts only when its
 * substring equals the probed value.
 *
 * Storage: hashes in one packed slab (`Uint32Array`, 8 words each); per table, buckets in CSR form (`offsets`,
 * `entries` = slots sorted by substring, built by counting sort) plus a *delta* of chained entries for slots added
 * since that table was built. Removing marks the slot dead; its stale entries are skipped on hits and vanish when
 * the table is rebuilt. A freed slot is reused only after every table has been rebuilt since it died, so a stale
 * entry never points at a different hash. A table is rebuilt once its delta plus stale entries pass
 * `max(minDeltaEntries, size · maxDeltaFraction)`, and a mutation call rebuilds at most
 * `1 + ⌊changes · m / threshold⌋` tables: a pause scales with the batch, and is ~1/m of a full build at least.
 *
 * @module
 */
import { checkBatch, forEachAdd } from './batch.js';
import { type Geometry, makeGeometry, substringOf } from './geometry.js';
import { IdTable } from './id-table.js';
import { MatchBuffer } from './match-buffer.js';
import { WORDS_PER_HASH, nextCapacity, packHash, popcount, unpackHash, wordDistance } from './packed.js';
import { type MihOptions, SCAN_VS_CANDIDATE, checkMihOptions, chooseSubstringBits, mihQueryCost } from './mih-plan.js';
import { probeMasks } from './probe-masks.js';
import { batchScan, scanSlots, scanSlotsMany } from './scan.js';
import { NONE, SubTable } from './sub-table.js';
import type { HashIndex, IndexBatch, IndexMatch } from './types.js';
import { assertCapacity, assertId, assertMaxDistance, assertPdqBytes } from './validate.js';

export type { MihOptions } from './mih-plan.js';
export { chooseSubstringBits, mihProbeCount, mihQueryCost } from './mih-plan.js';

const GOLDEN = 0x9e3779b1;
const EMPTY_MASKS = new Int32Array(0);
/** Slots are addressed as `slot << 3` in int32 arithmetic, which caps a slab at 2^28 hashes (8.6 GB). */
const MAX_SLOTS = 1 << 28;
/** Marks the index built by {@link AutoIndex}. @internal */
export const kAutoMode = Symbol('auto');

/**
 * Exact Hamming index by multi-index hashing.
 *
 * @example
 * ```ts
 * const index = new MihIndex();                         // or createHashIndex('mih')
 * index.apply({ add: entries.map((e) => [e.id, e.pdq]) });
 * index.query(uploadHash, 31);
 * ```
 */
export class MihIndex implements HashIndex {
  /** `'mih'`, or `'auto'` for {@link AutoIndex}. */
  readonly name: string;
  readonly #fixedBits: number | null;
  readonly #maxDeltaFraction: number;
  readonly #minDeltaEntries: number;
  readonly #planned: boolean;
  #g: Geometry;
  #tables: SubTable[];
  #maskCache: (Int32Array | null)[] = [];
  // Slab.
  #words = new Uint32Array(0);
  #ids = new Uint32Array(0);
  #alive = new Uint8Array(0);
  #used = 0;
  #live = 0;
  #slotOf = new IdTable();
  #free: number[] = [];
  /** Slots freed during the current rebuild round. */
  #pending: number[] = [];
  /** Slots freed during the previous round: reusable once the current round completes. */
  #retiring: number[] = [];
  #merges = 0;
  #mergeFallbacks = 0;
  /** The output array of the next {@link #mergeTable} (the entries array a merge replaced). */
  #spareEntries = new Int32Array(0);
  #roundLeft: number;
  // Query scratch.
  #query = new Uint32Array(WORDS_PER_HASH);
  #qsub = new Int32Array(32);
  #radius = new Int32Array(32);
  #hits = new MatchBuffer();
  #bounds = new Uint32Array(0);
  #cand = new Int32Array(0);
  #candTable = new Uint8Array(0);
  /** Keeps the prefetch loads observable so the JIT cannot drop them. */
  #sink = 0;
  #rebuilds = 0;

  /** @throws {RangeError | TypeError} for invalid options. */
  constructor(options: MihOptions = {}, mode?: typeof kAutoMode) {
    const checked = checkMihOptions(options);
    this.name = mode === kAutoMode ? 'auto' : 'mih';
    this.#planned = mode === kAutoMode;
    this.#fixedBits = checked.substringBits === 'auto' ? null : checked.substringBits;
    this.#maxDeltaFraction = checked.maxDeltaFraction;
    this.#minDeltaEntries = checked.minDeltaEntries;
    this.#g = makeGeometry(this.#fixedBits ?? chooseSubstringBits(0));
    this.#tables = this.#emptyTables();
    this.#roundLeft = this.#g.tables;
  }

  /** Number of live entries. */
  get size(): number {
    return this.#live;
  }

  /** Current substring width in bits (it may change at a full build when the option is `'auto'`). */
  get substringBits(): number {
    return this.#g.bits;
  }

  /** Internal counters for tests and diagnostics. @internal */
  stats(): { rebuilds: number; merges: number; mergeFallbacks: number; slots: number; free: number; pending: number; delta: number[]; dirty: number[] } {
    return {
      rebuilds: this.#rebuilds,
      merges: this.#merges,
      mergeFallbacks: this.#mergeFallbacks,
      slots: this.#used,
      free: this.#free.length,
      pending: this.#pending.length + this.#retiring.length,
      delta: this.#tables.map((t) => t.deltaCount),
      dirty: this.#tables.map((t) => t.dirty),
    };
  }

  /** Adds (or replaces) the hash stored under `id`. */
  add(id: number, hash: Uint8Array): void {
    assertId(id);
    assertPdqBytes(hash);
    this.#add(id, hash, true);
    this.#maintain(1);
  }

  /** Removes `id`; returns false when it was not present. */
  remove(id: number): boolean {
    assertId(id);
    const removed = this.#remove(id);
    if (removed) this.#maintain(1);
    return removed;
  }

  /** True when `id` is present. */
  has(id: number): boolean {
    assertId(id);
    return this.#slotOf.get(id) >= 0;
  }

  /** The hash stored under `id` (a copy), or undefined. */
  hashOf(id: number): Uint8Array | undefined {
    assertId(id);
    const slot = this.#slotOf.get(id);
    return slot < 0 ? undefined : unpackHash(this.#words, slot << 3);
  }

  /**
   * Applies removals, then additions, as one synchronous step; a bad entry rejects the whole batch. A batch of at
   * least `minDeltaEntries` additions and a quarter of the list size is a bulk load: slab first, then one full
   * build (which also re-picks the substring width).
   */
  apply(batch: IndexBatch): void {
    const { removes, adds, maxAddId } = checkBatch(batch);
    for (const id of removes) this.#remove(id);
    const bulk = adds.count >= this.#minDeltaEntries && adds.count * 4 >= this.#live;
    this.#reserve(this.#used + adds.count);
    this.#slotOf.reserve(adds.count, maxAddId);
    if (bulk) {
      forEachAdd(adds, (id, bytes, from) => this.#add(id, bytes, false, from));
      this.#rebuildAll();
      return;
    }
    // Slab first, then the deltas table by table: one table's bucket heads stay in cache for the whole batch,
    // where adding each hash to every table in turn would touch all of them (megabytes) per hash.
    const slots = new Int32Array(adds.count);
    let n = 0;
    forEachAdd(adds, (id, bytes, from) => {
      slots[n++] = this.#add(id, bytes, false, from);
    });
    for (let t = 0; t < this.#g.tables; t++) {
      const table = this.#tables[t]!;
      for (let i = 0; i < n; i++) table.addDelta(this.#bucket(table, substringOf(this.#g, this.#words, slots[i]! << 3, t)), slots[i]!);
    }
    this.#maintain(removes.length + adds.count);
  }

  /** Every entry within `maxDistance` of `hash`, sorted by distance then id. */
  query(hash: Uint8Array, maxDistance: number): IndexMatch[] {
    assertPdqBytes(hash);
    assertMaxDistance(maxDistance);
    return this.#run(hash, maxDistance);
  }

  /**
   * `query` for each hash, one result array per input. When the planner of {@link AutoIndex} picks a scan, the
   * hashes share one pass over the slab.
   */
  queryMany(hashes: readonly Uint8Array[], maxDistance: number): IndexMatch[][] {
    hashes.forEach((h, i) => assertPdqBytes(h, `hashes[${i}]`));
    assertMaxDistance(maxDistance);
    if (hashes.length > 1 && this.#planned && this.#live > 0 && this.#scanIsCheaper(maxDistance)) {
      return batchScan(hashes, (qs, outs) =>
        scanSlotsMany(this.#words, this.#used, qs, hashes.length, maxDistance, this.#ids, this.#alive, outs),
      );
    }
    return hashes.map((h) => this.#run(h, maxDistance));
  }

  /** Bytes held by the slab, id table, free lists and every substring table. */
  memoryBytes(): number {
    let bytes =
      this.#words.byteLength +
      this.#ids.byteLength +
      this.#alive.byteLength +
      this.#slotOf.memoryBytes() +
      (this.#free.length + this.#pending.length + this.#retiring.length) * 8;
    for (const t of this.#tables) bytes += t.memoryBytes();
    return bytes;
  }

  /**
   * Makes room for `size` hashes in all (ids below `size`, as a hash list's are), so that adding up to there
   * regrows nothing: a capacity hint before a bulk load. Never shrinks.
   *
   * @throws {TypeError | RangeError} when `size` is not an integer from 0 to 2^32-1.
   */
  reserve(size: number): void {
    assertCapacity(size);
    if (size > this.#ids.length) this.#reserve(size, Math.min(MAX_SLOTS, size));
    this.#slotOf.reserve(size - this.#slotOf.size, size - 1);
  }

  /** Removes everything and releases the storage. */
  clear(): void {
    this.#words = new Uint32Array(0);
    this.#ids = new Uint32Array(0);
    this.#alive = new Uint8Array(0);
    this.#used = 0;
    this.#live = 0;
    this.#slotOf.clear();
    this.#free = [];
    this.#pending = [];
    this.#retiring = [];
    this.#setGeometry(this.#fixedBits ?? chooseSubstringBits(0));
  }

  /**
   * Rebuilds every table now, dropping all deltas and stale entries and re-picking the substring width: call it
   * after a large incremental sync, before serving traffic. A full build: ~0.3–1 s per million hashes.
   */
  compact(): void {
    this.#rebuildAll();
  }

  #setGeometry(bits: number): void {
    this.#g = makeGeometry(bits);
    this.#tables = this.#emptyTables();
    this.#maskCache = [];
    this.#roundLeft = this.#g.tables;
  }

  #emptyTables(): SubTable[] {
    const bits = this.#g.hashed ? hashedBucketBits(0) : this.#g.bits;
    return Array.from({ length: this.#g.tables }, () => new SubTable(bits));
  }

  #bucket(table: SubTable, v: number): number {
    return this.#g.hashed ? Math.imul(v, GOLDEN) >>> (32 - table.bucketBits) : v;
  }

  // ---------------------------------------------------------------- queries

  #run(hash: Uint8Array, r: number): IndexMatch[] {
    packHash(hash, this.#query, 0);
    this.#hits.reset();
    if (this.#live > 0) {
      if (this.#planned && this.#scanIsCheaper(r)) this.#scan(r);
      else if (!this.#probe(r)) this.#scan(r);
    }
    return this.#hits.finish();
  }

  #scan(r: number): void {
    scanSlots(this.#words, this.#used, this.#query, r, this.#ids, this.#alive, this.#hits);
  }

  /**
   * The planner of {@link AutoIndex}: probing costs ~`mihQueryCost` candidate checks, each a random access;
   * a scan costs one sequential popcount per slot, measured ~{@link SCAN_VS_CANDIDATE}× cheaper.
   */
  #scanIsCheaper(r: number): boolean {
    const probe = mihQueryCost(this.#g.bits, r, this.#live);
    return probe * SCAN_VS_CANDIDATE > this.#used;
  }

  /** Probes every table; returns false (having done nothing) when the enumeration would be too large. */
  #probe(r: number): boolean {
    const g = this.#g;
    const m = g.tables;
    const k = Math.floor(r / m);
    const a = r - k * m;
    const wide = this.#masks(k);
    const narrow = this.#masks(k - 1);
    if (wide === null || narrow === null) return false;
    const radius = this.#radius;
    const qsub = this.#qsub;
    for (let t = 0; t < m; t++) {
      radius[t] = t <= a ? k : k - 1;
      qsub[t] = substringOf(g, this.#query, 0, t);
    }
    if (g.hashed) {
      for (let t = 0; t < m; t++) {
        if (radius[t]! >= 0) this.#probeHashed(t, this.#tables[t]!, t <= a ? wide : narrow, r);
      }
      return true;
    }
    const candidates = this.#gatherDelta(this.#gatherDirect(a, wide, narrow), a, wide, narrow);
    this.#verifyCandidates(candidates, r);
    return true;
  }

  /**
   * Collects the CSR candidates of every directly addressed table into `#cand` (slot) and `#candTable`, in two
   * passes so that independent loads overlap: first every probed bucket's bounds, then the slots. Returns the
   * number of candidates.
   */
  #gatherDirect(a: number, wide: Int32Array, narrow: Int32Array): number {
    const m = this.#g.tables;
    const radius = this.#radius;
    const qsub = this.#qsub;
    let probes = 0;
    for (let t = 0; t < m; t++) if (radius[t]! >= 0) probes += (t <= a ? wide : narrow).length;
    if (this.#bounds.length < probes * 2) this.#bounds = new Uint32Array(probes * 2);
    const bounds = this.#bounds;
    let p = 0;
    let total = 0;
    for (let t = 0; t < m; t++) {
      if (radius[t]! < 0) continue;
      const masks = t <= a ? wide : narrow;
      const offsets = this.#tables[t]!.offsets;
      const qs = qsub[t]!;
      for (let i = 0; i < masks.length; i++, p += 2) {
        const v = qs ^ masks[i]!;
        const lo = offsets[v]!;
        const hi = offsets[v + 1]!;
        bounds[p] = lo;
        bounds[p + 1] = hi;
        total += hi - lo;
      }
    }
    if (this.#cand.length < total) this.#growCandidates(total);
    const cand = this.#cand;
    const candTable = this.#candTable;
    // Touch each bucket's first entry so those misses overlap before the copy loop's unpredictable trip counts.
    let sink = 0;
    p = 0;
    for (let t = 0; t < m; t++) {
      if (radius[t]! < 0) continue;
      const count = (t <= a ? wide : narrow).length;
      const entries = this.#tables[t]!.entries;
      for (let i = 0; i < count; i++, p += 2) sink ^= entries[bounds[p]!]!;
    }
    this.#sink = sink;
    let n = 0;
    p = 0;
    for (let t = 0; t < m; t++) {
      if (radius[t]! < 0) continue;
      const count = (t <= a ? wide : narrow).length;
      const entries = this.#tables[t]!.entries;
      for (let i = 0; i < count; i++, p += 2) {
        const hi = bounds[p + 1]!;
        for (let e = bounds[p]!; e < hi; e++) {
          cand[n] = entries[e]!;
          candTable[n++] = t;
        }
      }
    }
    return n;
  }

  /**
   * Verifies gathered candidates in blocks: a tight first loop touches each candidate's slab line (independent
   * loads the CPU overlaps, a software prefetch), then the check sums whole words without branching, so its one
   * branch is almost always "reject". A per-word early exit would mispredict about half the time at r = 31.
   */
  #verifyCandidates(n: number, r: number): void {
    const cand = this.#cand;
    const candTable = this.#candTable;
    const words = this.#words;
    const q = this.#query;
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!;
    const stage = firstStageWords(r);
    let sink = 0;
    for (let base = 0; base < n; base += PREFETCH_BLOCK) {
      const stop = Math.min(n, base + PREFETCH_BLOCK);
      for (let i = base; i < stop; i++) sink ^= words[cand[i]! << 3]!;
      for (let i = base; i < stop; i++) {
        const o = cand[i]! << 3;
        let d = popcount(words[o]! ^ q0);
        if (stage >= 2) d += popcount(words[o + 1]! ^ q1);
        if (stage >= 4) d += popcount(words[o + 2]! ^ q2) + popcount(words[o + 3]! ^ q3);
        if (d <= r) this.#verify(cand[i]!, candTable[i]!, r);
      }
    }
    this.#sink = sink;
  }

  /**
   * Appends the delta-chain candidates of every directly addressed table after the `n` CSR ones, so they are
   * verified by the same batched loop (a delta as large as a quarter of the list then costs about what the same
   * entries cost in CSR form). Returns the new count.
   */
  #gatherDelta(n: number, a: number, wide: Int32Array, narrow: Int32Array): number {
    const m = this.#g.tables;
    for (let t = 0; t < m; t++) {
      const table = this.#tables[t]!;
      if (this.#radius[t]! < 0 || table.deltaCount === 0) continue;
      const masks = t <= a ? wide : narrow;
      const qs = this.#qsub[t]!;
      const head = table.deltaHead!;
      const next = table.deltaNext;
      const slots = table.deltaSlot;
      for (let i = 0; i < masks.length; i++) {
        for (let c = head[qs ^ masks[i]!]!; c !== NONE; c = next[c]!) {
          if (n === this.#cand.length) this.#growCandidates(n + 1);
          this.#cand[n] = slots[c]!;
          this.#candTable[n++] = t;
        }
      }
    }
    return n;
  }

  #growCandidates(needed: number): void {
    const cand = new Int32Array(nextCapacity(this.#cand.length, needed));
    cand.set(this.#cand);
    const table = new Uint8Array(cand.length);
    table.set(this.#candTable);
    this.#cand = cand;
    this.#candTable = table;
  }

  /** Probes one hashed table (32-bit substrings): a candidate counts only if its substring is the probed value. */
  #probeHashed(t: number, table: SubTable, masks: Int32Array, r: number): void {
    const words = this.#words;
    const offsets = table.offsets;
    const entries = table.entries;
    const qs = this.#qsub[t]!;
    const hashShift = 32 - table.bucketBits;
    const wordT = this.#g.word[t]!;
    for (let i = 0; i < masks.length; i++) {
      const v = qs ^ masks[i]!;
      const key = Math.imul(v, GOLDEN) >>> hashShift;
      const end = offsets[key + 1]!;
      for (let e = offsets[key]!; e < end; e++) {
        const s = entries[e]!;
        if ((words[(s << 3) + wordT]! | 0) === v) this.#verify(s, t, r);
      }
      if (table.deltaCount > 0) {
        for (let c = table.deltaHead![key]!; c !== NONE; c = table.deltaNext[c]!) {
          const s = table.deltaSlot[c]!;
          if ((words[(s << 3) + wordT]! | 0) === v) this.#verify(s, t, r);
        }
      }
    }
  }

  /** Full check of candidate slot `s` found in table `t`: distance, liveness, and first-table ownership. */
  #verify(s: number, t: number, r: number): void {
    const d = wordDistance(this.#words, s << 3, this.#query, 0);
    if (d > r || this.#alive[s] === 0 || !this.#firstTableFor(s, t)) return;
    this.#hits.push(this.#ids[s]!, d);
  }

  /** True when table `t` is the first probed table whose radius test slot `s` passes (so it reports `s`). */
  #firstTableFor(s: number, t: number): boolean {
    for (let j = 0; j < t; j++) {
      const rho = this.#radius[j]!;
      if (rho >= 0 && popcount(substringOf(this.#g, this.#words, s << 3, j) ^ this.#qsub[j]!) <= rho) return false;
    }
    return true;
  }

  /** Probe masks for radius `rho` (empty below 0), cached per geometry; null when too many to enumerate. */
  #masks(rho: number): Int32Array | null {
    if (rho < 0) return EMPTY_MASKS;
    let masks = this.#maskCache[rho];
    if (masks === undefined) masks = this.#maskCache[rho] = probeMasks(this.#g.bits, rho);
    return masks;
  }

  // ---------------------------------------------------------------- updates

  /** Stores the hash in a slot (and, when `toDelta`, in every table's delta); returns the slot. */
  #add(id: number, hash: Uint8Array, toDelta: boolean, from = 0): number {
    const slot = this.#allocSlot();
    const o = slot << 3;
    packHash(hash, this.#words, o, from);
    this.#ids[slot] = id;
    this.#alive[slot] = 1;
    const replaced = this.#slotOf.set(id, slot);
    if (replaced >= 0) this.#retire(replaced);
    this.#live++;
    if (toDelta) {
      for (let t = 0; t < this.#g.tables; t++) {
        const table = this.#tables[t]!;
        table.addDelta(this.#bucket(table, substringOf(this.#g, this.#words, o, t)), slot);
      }
    }
    return slot;
  }

  #remove(id: number): boolean {
    const slot = this.#slotOf.delete(id);
    if (slot < 0) return false;
    this.#retire(slot);
    return true;
  }

  /** Marks a live slot dead; it is reused once every table has been rebuilt without it. */
  #retire(slot: number): void {
    this.#alive[slot] = 0;
    this.#live--;
    this.#pending.push(slot);
    for (const table of this.#tables) table.dirty++;
  }

  #allocSlot(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    this.#reserve(this.#used + 1);
    return this.#used++;
  }

  /** Makes room for `slots` slots, growing by half at least (or straight to `exactly`). */
  #reserve(slots: number, exactly?: number): void {
    if (slots <= this.#ids.length) return;
    if (slots > MAX_SLOTS) throw new RangeError(`Expected at most ${MAX_SLOTS} hashes in one index, got ${slots}`);
    const cap = exactly ?? Math.min(MAX_SLOTS, nextCapacity(this.#ids.length, slots));
    const words = new Uint32Array(cap * WORDS_PER_HASH);
    words.set(this.#words.subarray(0, this.#used * WORDS_PER_HASH));
    const ids = new Uint32Array(cap);
    ids.set(this.#ids.subarray(0, this.#used));
    const alive = new Uint8Array(cap);
    alive.set(this.#alive.subarray(0, this.#used));
    this.#words = words;
    this.#ids = ids;
    this.#alive = alive;
  }

  /** Rebuilds the dirtiest tables, at most `1 + ⌊changes · m / threshold⌋` of them. */
  #maintain(changes: number): void {
    const m = this.#g.tables;
    const threshold = Math.max(this.#minDeltaEntries, Math.ceil(this.#live * this.#maxDeltaFraction));
    let budget = 1 + Math.floor((changes * m) / threshold);
    while (budget-- > 0) {
      let worst = 0;
      for (let t = 1; t < m; t++) if (this.#tables[t]!.dirty > this.#tables[worst]!.dirty) worst = t;
      if (this.#tables[worst]!.dirty <= threshold) return;
      if (!this.#mergeTable(worst)) this.#rebuildTable(worst, this.#buildScratch());
      this.#roundDone(this.#tables[worst]!);
    }
  }

  /** Full build: re-picks the geometry, rebuilds every table, and releases every slot waiting for reuse. */
  #rebuildAll(): void {
    const bits = this.#fixedBits ?? chooseSubstringBits(this.#live);
    if (bits !== this.#g.bits) this.#setGeometry(bits);
    const scratch = this.#buildScratch();
    for (let t = 0; t < this.#g.tables; t++) this.#rebuildTable(t, scratch);
    for (const s of this.#retiring) this.#free.push(s);
    for (const s of this.#pending) this.#free.push(s);
    this.#retiring = [];
    this.#pending = [];
    for (const table of this.#tables) table.rebuiltThisRound = false;
    this.#roundLeft = this.#g.tables;
  }

  /**
   * Rebuilds table `t` from the live slots into fresh CSR arrays and empties its delta. A counting sort, made
   * cache-friendly for big lists: slots are first partitioned by the top {@link PARTITION_BITS} bits of their
   * bucket (a few hundred sequential write streams), so the per-bucket counting and scattering that follow each
   * touch one partition's window of `offsets` and `entries` at a time instead of jumping across 10–50 MB.
   */
  #rebuildTable(t: number, scratch: BuildScratch): void {
    const g = this.#g;
    const table = this.#tables[t]!;
    const bucketBits = g.hashed ? hashedBucketBits(this.#live) : g.bits;
    const buckets = 1 << bucketBits;
    const partBits = Math.min(PARTITION_BITS, bucketBits);
    const lowBits = bucketBits - partBits;
    const used = this.#used;
    const alive = this.#alive;
    const words = this.#words;
    const word = g.word[t]!;
    const shift = g.shift[t]!;
    const spill = g.spill[t]!;
    const mask = g.mask;
    const hashed = g.hashed;
    const hashShift = 32 - bucketBits;
    const { keys, partSlots, partKeys } = scratch;
    const partCount = new Uint32Array((1 << partBits) + 1);
    for (let s = 0, o = word; s < used; s++, o += WORDS_PER_HASH) {
      if (alive[s] === 0) {
        keys[s] = NONE;
        continue;
      }
      let key = spill === 0 ? (words[o]! >>> shift) & mask : ((words[o]! << spill) | (words[o + 1]! >>> (32 - spill))) & mask;
      if (hashed) key = Math.imul(key, GOLDEN) >>> hashShift;
      keys[s] = key;
      partCount[(key >>> lowBits) + 1]!++;
    }
    for (let p = 0; p < 1 << partBits; p++) partCount[p + 1]! += partCount[p]!;
    for (let s = 0; s < used; s++) {
      const key = keys[s]!;
      if (key === NONE) continue;
      const j = partCount[key >>> lowBits]!++;
      partSlots[j] = s;
      partKeys[j] = key;
    }
    const live = this.#live;
    // Reuse the table's arrays when they fit: fresh 10–50 MB typed arrays per table make V8 run full GCs.
    const offsets = table.offsets.length === buckets + 1 ? table.offsets.fill(0) : new Uint32Array(buckets + 1);
    for (let j = 0; j < live; j++) offsets[partKeys[j]! + 1]!++;
    for (let b = 0; b < buckets; b++) offsets[b + 1]! += offsets[b]!;
    if (scratch.cursor.length < buckets) scratch.cursor = new Uint32Array(buckets);
    const cursor = scratch.cursor;
    cursor.set(offsets.subarray(0, buckets));
    const entries = entriesArray(table.entries, live);
    for (let j = 0; j < live; j++) entries[cursor[partKeys[j]!]!++] = partSlots[j]!;
    table.bucketBits = bucketBits;
    table.offsets = offsets;
    table.entries = entries;
    if (table.deltaHead !== null && table.deltaHead.length !== buckets) table.deltaHead = null;
    else if (table.deltaHead !== null && table.deltaCount > 0) table.deltaHead.fill(NONE);
    table.deltaCount = 0;
    table.dirty = 0;
    this.#rebuilds++;
  }

  /**
   * Rebuilds table `t` by merging its CSR with its delta, bucket by bucket, dropping dead slots: one sequential
   * pass over 4-byte entries instead of re-reading every 32-byte hash and sorting. Possible while the bucket
   * count stays the same; returns false (nothing done) otherwise. The output goes to a spare array that the
   * table's old entries then become, so a run of merges allocates nothing.
   */
  #mergeTable(t: number): boolean {
    const table = this.#tables[t]!;
    const bucketBits = this.#g.hashed ? hashedBucketBits(this.#live) : this.#g.bits;
    const buckets = 1 << bucketBits;
    if (bucketBits !== table.bucketBits || table.offsets.length !== buckets + 1) return false;
    const live = this.#live;
    const out = entriesArray(this.#spareEntries, live);
    const offsets = table.offsets;
    const old = table.entries;
    const alive = this.#alive;
    const head = table.deltaHead;
    const next = table.deltaNext;
    const deltaSlot = table.deltaSlot;
    // Nothing retired since this table was built (a growing list): every entry is live, no need to look.
    const allLive = table.dirty === table.deltaCount;
    let w = 0;
    let start = offsets[0]!;
    for (let b = 0; b < buckets; b++) {
      const end = offsets[b + 1]!;
      offsets[b] = w;
      if (allLive) {
        for (let j = start; j < end; j++) out[w++] = old[j]!;
        if (head !== null) for (let e = head[b]!; e !== NONE; e = next[e]!) out[w++] = deltaSlot[e]!;
      } else {
        for (let j = start; j < end; j++) {
          const s = old[j]!;
          if (alive[s] !== 0) out[w++] = s;
        }
        if (head !== null) {
          for (let e = head[b]!; e !== NONE; e = next[e]!) {
            const s = deltaSlot[e]!;
            if (alive[s] !== 0) out[w++] = s;
          }
        }
      }
      start = end;
    }
    offsets[buckets] = w;
    if (w !== live) {
      // Cannot happen while every live slot is in exactly one of the CSR or the delta; should it, the full
      // rebuild from the slab (the ground truth) repairs the table. Tests assert that it never runs.
      this.#mergeFallbacks++;
      return false;
    }
    this.#spareEntries = old;
    table.entries = out;
    if (head !== null && table.deltaCount > 0) head.fill(NONE);
    table.deltaCount = 0;
    table.dirty = 0;
    this.#rebuilds++;
    this.#merges++;
    return true;
  }

  #buildScratch(): BuildScratch {
    return {
      keys: new Int32Array(this.#used),
      partSlots: new Int32Array(this.#live),
      partKeys: new Int32Array(this.#live),
      cursor: new Uint32Array(0),
    };
  }

  #roundDone(table: SubTable): void {
    if (table.rebuiltThisRound) return;
    table.rebuiltThisRound = true;
    if (--this.#roundLeft > 0) return;
    for (const s of this.#retiring) this.#free.push(s);
    this.#retiring = this.#pending;
    this.#pending = [];
    for (const tb of this.#tables) tb.rebuiltThisRound = false;
    this.#roundLeft = this.#g.tables;
  }
}

/** Scratch arrays of a table build, shared by the tables of one full build. */
interface BuildScratch {
  /** Bucket of each slot, -1 when dead. */
  keys: Int32Array;
  /** Live slots and their buckets, ordered by partition. */
  partSlots: Int32Array;
  partKeys: Int32Array;
  /** Next free entry per bucket, reused by every table of one build. */
  cursor: Uint32Array;
}

/** Top bucket bits a table build partitions by first (256 partitions). */
const PARTITION_BITS = 8;

/** Candidates whose slab lines are touched before any of them is checked. */
const PREFETCH_BLOCK = 64;

/**
 * Words summed before the first (rejecting) branch: enough that an unrelated hash (half its bits differ) almost
 * never passes, i.e. 16·w − 3σ > r. Fewer words for small radii save ALU work.
 */
function firstStageWords(r: number): number {
  if (r <= 7) return 1;
  if (r <= 20) return 2;
  return 4;
}

/** Bucket bits for hashed (32-bit) substrings: about one bucket per entry, 2^10 to 2^24. */
function hashedBucketBits(live: number): number {
  return Math.min(24, Math.max(10, Math.ceil(Math.log2(live + 1))));
}

/**
 * An entries array for a table of `live` slots: `reuse` when it fits without wasting much (fresh 10–50 MB typed
 * arrays per table make V8 run full GCs), else a new one with a little room to grow.
 */
function entriesArray(reuse: Int32Array<ArrayBuffer>, live: number): Int32Array<ArrayBuffer> {
  const fits = reuse.length >= live && reuse.length <= live + (live >>> 3) + 64;
  return fits ? reuse : new Int32Array(live + (live >>> 5));
}
