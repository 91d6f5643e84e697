/**
 * A compact uint32 → uint32 map held in typed arrays. Indexes use it to map caller ids to internal slots: a JS
 * `Map` costs ~3× the memory per entry and caps out at 2^24 entries, while lists reach tens of millions.
 *
 * Two parts: keys below `direct.length` live in a plain array indexed by key (a list store's sequential ids:
 * 4–8 bytes per id and sequential access), everything else in an open-addressing table of `[key, value + 1]` pairs
 * (pair-table.ts, the key being its own hash: linear probing, backward-shift deletion, ≤ 70% load: 11–23 bytes per
 * key). The direct part doubles to cover a new key only
 * while at least a quarter of it would be in use, so sparse or huge ids never blow it up.
 *
 * @internal
 * @module
 */

import { deletePairAt, pairHome, regrowPairs } from './pair-table.js';

const MIN_BITS = 4;
const MAX_LOAD = 0.7;
const MIN_DIRECT = 1024;
const MAX_DIRECT = 1 << 28;

/** uint32 → uint32 map over typed arrays. Values must be < 2^31 - 1. */
export class IdTable {
  /** value + 1 per key; 0 marks an absent key. */
  #direct = new Int32Array(0);
  #directSize = 0;
  #bits = MIN_BITS;
  /** `[key, value + 1]` pairs; value + 1 === 0 marks an empty cell. */
  #cells = new Uint32Array(2 << MIN_BITS);
  #hashSize = 0;

  /** Number of keys held. */
  get size(): number {
    return this.#directSize + this.#hashSize;
  }

  /** The value stored under `key`, or -1. */
  get(key: number): number {
    if (key < this.#direct.length) return this.#direct[key]! - 1;
    const cells = this.#cells;
    const mask = (1 << this.#bits) - 1;
    for (let i = pairHome(key, this.#bits); ; i = (i + 1) & mask) {
      const v = cells[2 * i + 1]!;
      if (v === 0) return -1;
      if (cells[2 * i] === key) return v - 1;
    }
  }

  /** Stores `value` under `key`; returns the previous value or -1. */
  set(key: number, value: number): number {
    if (key >= this.#direct.length && this.#worthCovering(key)) this.#growDirect(key);
    if (key < this.#direct.length) {
      const old = this.#direct[key]! - 1;
      this.#direct[key] = value + 1;
      if (old < 0) this.#directSize++;
      return old;
    }
    const cells = this.#cells;
    const mask = (1 << this.#bits) - 1;
    let i = pairHome(key, this.#bits);
    for (; ; i = (i + 1) & mask) {
      const v = cells[2 * i + 1]!;
      if (v === 0) break;
      if (cells[2 * i] === key) {
        cells[2 * i + 1] = value + 1;
        return v - 1;
      }
    }
    cells[2 * i] = key;
    cells[2 * i + 1] = value + 1;
    if (++this.#hashSize > (1 << this.#bits) * MAX_LOAD) this.#cells = regrowPairs(cells, ++this.#bits);
    return -1;
  }

  /** Removes `key`; returns its value or -1 when absent. */
  delete(key: number): number {
    if (key < this.#direct.length) {
      const old = this.#direct[key]! - 1;
      if (old >= 0) {
        this.#direct[key] = 0;
        this.#directSize--;
      }
      return old;
    }
    const cells = this.#cells;
    const mask = (1 << this.#bits) - 1;
    let i = pairHome(key, this.#bits);
    for (; ; i = (i + 1) & mask) {
      const v = cells[2 * i + 1]!;
      if (v === 0) return -1;
      if (cells[2 * i] === key) break;
    }
    const old = cells[2 * i + 1]! - 1;
    this.#removeCell(i);
    return old;
  }

  /** Calls `fn(key, value)` for every entry. */
  forEach(fn: (key: number, value: number) => void): void {
    const direct = this.#direct;
    for (let k = 0; k < direct.length; k++) if (direct[k] !== 0) fn(k, direct[k]! - 1);
    const cells = this.#cells;
    for (let i = 1; i < cells.length; i += 2) if (cells[i] !== 0) fn(cells[i - 1]!, cells[i]! - 1);
  }

  /**
   * Prepares for `count` more keys, none above `maxKey`: when they would fill at least a quarter of a direct part
   * covering `maxKey` (a bulk load of sequential ids), it is allocated once instead of doubling a dozen times.
   */
  reserve(count: number, maxKey: number): void {
    if (maxKey < this.#direct.length) return;
    const length = coverLength(maxKey);
    if (length <= MAX_DIRECT && (this.size + count) * 4 >= length) this.#growDirect(maxKey);
  }

  /** Removes every key and releases the storage. */
  clear(): void {
    this.#direct = new Int32Array(0);
    this.#directSize = 0;
    this.#bits = MIN_BITS;
    this.#cells = new Uint32Array(2 << MIN_BITS);
    this.#hashSize = 0;
  }

  /** Bytes held by the table. */
  memoryBytes(): number {
    return this.#direct.byteLength + this.#cells.byteLength;
  }

  /** True when a direct part covering `key` would be at least a quarter full. */
  #worthCovering(key: number): boolean {
    const length = coverLength(key);
    return length <= MAX_DIRECT && (this.size + 1) * 4 >= length;
  }

  #growDirect(key: number): void {
    const length = coverLength(key);
    const direct = new Int32Array(length);
    direct.set(this.#direct);
    this.#direct = direct;
    // Move hashed keys now covered by the direct part.
    const cells = this.#cells;
    for (let i = 0; 2 * i < cells.length; ) {
      if (cells[2 * i + 1] !== 0 && cells[2 * i]! < length) {
        direct[cells[2 * i]!] = cells[2 * i + 1]!;
        this.#directSize++;
        this.#removeCell(i);
        continue; // backward shift may have moved another key into cell i
      }
      i++;
    }
  }

  /** Empties cell `i` of the hashed part, pulling later members of its probe run back (no tombstones). */
  #removeCell(i: number): void {
    deletePairAt(this.#cells, this.#bits, i);
    this.#hashSize--;
  }
}

/** Direct-part length covering `key`: the next power of two above it, at least {@link MIN_DIRECT}. */
function coverLength(key: number): number {
  return Math.max(MIN_DIRECT, key >= 2 ** 30 ? 2 ** 31 : 1 << (32 - Math.clz32(key)));
}
