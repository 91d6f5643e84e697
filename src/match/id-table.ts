/**
 * A compact uint32 → uint32 hash map (open addressing, linear probing, backward-shift deletion) held in two typed
 * arrays. Indexes use it to map caller ids to internal slots: a JS `Map` costs ~3× the memory per entry and caps
 * out at 2^24 entries, while list sizes reach tens of millions.
 *
 * @internal
 * @module
 */

const MIN_BITS = 4;
const MAX_LOAD = 0.7;
/** Fibonacci hashing multiplier (2^32 / φ). Sequential ids spread evenly. */
const GOLDEN = 0x9e3779b1;

/** uint32 → uint32 map over typed arrays. Values must be < 2^32 - 1. */
export class IdTable {
  #bits = MIN_BITS;
  #keys = new Uint32Array(1 << MIN_BITS);
  /** value + 1; 0 marks an empty cell. */
  #vals = new Uint32Array(1 << MIN_BITS);
  #size = 0;

  /** Number of keys held. */
  get size(): number {
    return this.#size;
  }

  #home(key: number): number {
    return Math.imul(key, GOLDEN) >>> (32 - this.#bits);
  }

  /** The value stored under `key`, or -1. */
  get(key: number): number {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = keys.length - 1;
    for (let i = this.#home(key); ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === 0) return -1;
      if (keys[i] === key) return v - 1;
    }
  }

  /** Stores `value` under `key`; returns the previous value or -1. */
  set(key: number, value: number): number {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = keys.length - 1;
    let i = this.#home(key);
    for (; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === 0) break;
      if (keys[i] === key) {
        vals[i] = value + 1;
        return v - 1;
      }
    }
    keys[i] = key;
    vals[i] = value + 1;
    if (++this.#size > keys.length * MAX_LOAD) this.#resize(this.#bits + 1);
    return -1;
  }

  /** Removes `key`; returns its value or -1 when absent. */
  delete(key: number): number {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = keys.length - 1;
    let i = this.#home(key);
    for (; ; i = (i + 1) & mask) {
      const v = vals[i]!;
      if (v === 0) return -1;
      if (keys[i] === key) break;
    }
    const old = vals[i]! - 1;
    // Backward-shift: pull later members of the probe run into the hole so lookups never need tombstones.
    let hole = i;
    for (let j = (i + 1) & mask; vals[j] !== 0; j = (j + 1) & mask) {
      const home = this.#home(keys[j]!);
      const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (between) continue;
      keys[hole] = keys[j]!;
      vals[hole] = vals[j]!;
      hole = j;
    }
    vals[hole] = 0;
    this.#size--;
    return old;
  }

  /** Calls `fn(key, value)` for every entry, in table order. */
  forEach(fn: (key: number, value: number) => void): void {
    const keys = this.#keys;
    const vals = this.#vals;
    for (let i = 0; i < vals.length; i++) if (vals[i] !== 0) fn(keys[i]!, vals[i]! - 1);
  }

  /** Ensures room for `count` keys without further growth. */
  reserve(count: number): void {
    let bits = this.#bits;
    while (count > (1 << bits) * MAX_LOAD) bits++;
    if (bits > this.#bits) this.#resize(bits);
  }

  /** Removes every key and releases the storage. */
  clear(): void {
    this.#bits = MIN_BITS;
    this.#keys = new Uint32Array(1 << MIN_BITS);
    this.#vals = new Uint32Array(1 << MIN_BITS);
    this.#size = 0;
  }

  /** Bytes held by the table. */
  memoryBytes(): number {
    return this.#keys.byteLength + this.#vals.byteLength;
  }

  #resize(bits: number): void {
    const oldKeys = this.#keys;
    const oldVals = this.#vals;
    this.#bits = bits;
    const keys = (this.#keys = new Uint32Array(1 << bits));
    const vals = (this.#vals = new Uint32Array(1 << bits));
    const mask = keys.length - 1;
    for (let j = 0; j < oldVals.length; j++) {
      const v = oldVals[j]!;
      if (v === 0) continue;
      const key = oldKeys[j]!;
      let i = this.#home(key);
      while (vals[i] !== 0) i = (i + 1) & mask;
      keys[i] = key;
      vals[i] = v;
    }
  }
}
