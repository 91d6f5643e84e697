/**
 * `linear`: every hash in one packed `Uint32Array`, scanned in full for each query with an early-exit popcount.
 * It is the oracle the other indexes are tested against, and the fastest choice for small lists or radii above
 * ~50 bits, where any index has to look at most of the list anyway.
 *
 * @module
 */
import { checkBatch, forEachAdd } from './batch.js';
import { IdTable } from './id-table.js';
import { MatchBuffer } from './match-buffer.js';
import { WORDS_PER_HASH, nextCapacity, packHash, unpackHash } from './packed.js';
import { batchScan, scanSlots, scanSlotsMany } from './scan.js';
import type { HashIndex, IndexBatch, IndexMatch } from './types.js';
import { assertCapacity, assertId, assertMaxDistance, assertPdqBytes } from './validate.js';

/**
 * Exact Hamming index by full scan: O(n) per query, O(1) add and remove (the last slot moves into the hole, so
 * the array stays dense), 32 bytes per hash plus ~4 bytes for the id and ~12–24 for the id table.
 *
 * @example
 * ```ts
 * const index = new LinearIndex();
 * index.add(7, parsePdq(hex));
 * index.query(parsePdq(otherHex), 31); // [{ id: 7, distance: 12 }]
 * ```
 */
export class LinearIndex implements HashIndex {
  /** Always `'linear'`. */
  readonly name = 'linear';
  #words = new Uint32Array(0);
  #ids = new Uint32Array(0);
  #count = 0;
  #slotOf = new IdTable();
  #hits = new MatchBuffer();
  #query = new Uint32Array(WORDS_PER_HASH);

  /** Number of live entries. */
  get size(): number {
    return this.#count;
  }

  /** Adds (or replaces) the hash stored under `id`. */
  add(id: number, hash: Uint8Array): void {
    assertId(id);
    assertPdqBytes(hash);
    this.#add(id, hash);
  }

  /** Removes `id`; returns false when it was not present. */
  remove(id: number): boolean {
    assertId(id);
    return this.#remove(id);
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
    return slot < 0 ? undefined : unpackHash(this.#words, slot * WORDS_PER_HASH);
  }

  /** Applies removals, then additions, as one synchronous step; a bad entry rejects the whole batch. */
  apply(batch: IndexBatch): void {
    const { removes, adds, maxAddId } = checkBatch(batch);
    this.#reserve(this.#count + adds.count);
    this.#slotOf.reserve(adds.count, maxAddId);
    for (const id of removes) this.#remove(id);
    forEachAdd(adds, (id, bytes, from) => this.#add(id, bytes, from));
  }

  /** Every entry within `maxDistance` of `hash`, sorted by distance then id. */
  query(hash: Uint8Array, maxDistance: number): IndexMatch[] {
    assertPdqBytes(hash);
    assertMaxDistance(maxDistance);
    return this.#run(hash, maxDistance);
  }

  /** `query` for each hash, one result array per input, in a single pass over the list. */
  queryMany(hashes: readonly Uint8Array[], maxDistance: number): IndexMatch[][] {
    hashes.forEach((h, i) => assertPdqBytes(h, `hashes[${i}]`));
    assertMaxDistance(maxDistance);
    if (hashes.length < 2) return hashes.map((h) => this.#run(h, maxDistance));
    return batchScan(hashes, (qs, outs) =>
      scanSlotsMany(this.#words, this.#count, qs, hashes.length, maxDistance, this.#ids, null, outs),
    );
  }

  /** Bytes held by the packed hashes, ids and id table. */
  memoryBytes(): number {
    return this.#words.byteLength + this.#ids.byteLength + this.#slotOf.memoryBytes();
  }

  /** Removes everything and releases the storage. */
  /**
   * Makes room for `size` hashes in all (ids below `size`, as a hash list's are), so that adding up to there
   * regrows nothing: a capacity hint before a bulk load. Never shrinks.
   *
   * @throws {TypeError | RangeError} when `size` is not an integer from 0 to 2^32-1.
   */
  reserve(size: number): void {
    assertCapacity(size);
    if (size > this.#ids.length) this.#reserve(size, size);
    this.#slotOf.reserve(size - this.#slotOf.size, size - 1);
  }

  clear(): void {
    this.#words = new Uint32Array(0);
    this.#ids = new Uint32Array(0);
    this.#count = 0;
    this.#slotOf.clear();
  }

  #run(hash: Uint8Array, r: number): IndexMatch[] {
    packHash(hash, this.#query, 0);
    this.#hits.reset();
    scanSlots(this.#words, this.#count, this.#query, r, this.#ids, null, this.#hits);
    return this.#hits.finish();
  }

  /** Makes room for `slots` slots, growing by half at least (or straight to `exactly`). */
  #reserve(slots: number, exactly?: number): void {
    if (slots <= this.#ids.length) return;
    const cap = exactly ?? nextCapacity(this.#ids.length, slots);
    const words = new Uint32Array(cap * WORDS_PER_HASH);
    words.set(this.#words.subarray(0, this.#count * WORDS_PER_HASH));
    const ids = new Uint32Array(cap);
    ids.set(this.#ids.subarray(0, this.#count));
    this.#words = words;
    this.#ids = ids;
  }

  #add(id: number, hash: Uint8Array, from = 0): void {
    let slot = this.#slotOf.get(id);
    if (slot < 0) {
      slot = this.#count;
      this.#reserve(slot + 1);
      this.#count++;
      this.#ids[slot] = id;
      this.#slotOf.set(id, slot);
    }
    packHash(hash, this.#words, slot * WORDS_PER_HASH, from);
  }

  #remove(id: number): boolean {
    const slot = this.#slotOf.delete(id);
    if (slot < 0) return false;
    const last = --this.#count;
    if (slot !== last) {
      this.#words.copyWithin(slot * WORDS_PER_HASH, last * WORDS_PER_HASH, (last + 1) * WORDS_PER_HASH);
      const moved = this.#ids[last]!;
      this.#ids[slot] = moved;
      this.#slotOf.set(moved, slot);
    }
    return true;
  }
}
