/**
 * A compact uint32 → uint32 map held in typed arrays. Indexes use it to map caller ids to internal slots: a JS
 * `Map` costs ~3× the memory per entry and caps out at 2^24 entries, while lists reach tens of millions.
 *
 * Two parts: keys below `direct.length` live in a plain array indexed by key (a list store's sequential ids:
 * 4–8 bytes per id and sequential access), everything else in an open-addressing table (linear probing,
 * backward-shift deletion, ≤ 70% load: 11–23 bytes per key). The direct part doubles to cover a new key only
 * while at least a quarter of it would be in use, so sparse or huge ids never blow it up.
 *
 * @internal
 * @module
 */

const MIN_BITS = 4;
const MAX_LOAD = 0.7;
/** Fibonacci hashing multiplier (2^32 / φ). */
const GOLDEN = 0x9e3779b1;
const MIN_DIRECT = 1024;
const MAX_DIRECT = 1 << 28;

/** uint32 → uint32 map over typed arrays. Values must be < 2^31 - 1. */
export class IdTable {
  /** value + 1 per key; 0 marks an absent key. */
  #direct = new Int32Array(0);
  #directSize = 0;
  #bits = MIN_BITS;
  #keys = new Uint32Array(1 << MIN_BITS);
  /** value + 1; 0 marks an empty cell. */
  #vals = new Uint32Array(1 << MIN_BITS);
  #hashSize = 0;

  /** Number of keys held. */
  get size(): number {
    return this.#directSize + this.#hashSize;
  }

  #home(key: number): number {
    return Math.imul(key, GOLDEN) >>> (32 - this.#bits);
  }

  /** The value stored under `key`, or -1. */
  get(key: number): number {
    if (key < this.#direct.length) return this.#direct[key]! - 1;
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
    if (key >= this.#direct.length && this.#worthCovering(key)) this.#growDirect(key);
    if (key < this.#direct.length) {
      const old = this.#direct[key]! - 1;
      this.#direct[key] = value + 1;
      if (old < 0) this.#directSize++;
      return old;
    }
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
    if (++this.#hashSize > keys.length * MAX_LOAD) this.#rehash(this.#bits + 1);
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
    this.#removeCell(i);
    return old;
  }

  /** Calls `fn(key, value)` for every entry. */
  forEach(fn: (key: number, value: number) => void): void {
    const direct = this.#direct;
    for (let k = 0; k < direct.length; k++) if (direct[k] !== 0) fn(k, direct[k]! - 1);
    const keys = this.#keys;
    const vals = this.#vals;
    for (let i = 0; i < vals.length; i++) if (vals[i] !== 0) fn(keys[i]!, vals[i]! - 1);
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
    this.#keys = new Uint32Array(1 << MIN_BITS);
    this.#vals = new Uint32Array(1 << MIN_BITS);
    this.#hashSize = 0;
  }

  /** Bytes held by the table. */
  memoryBytes(): number {
    return this.#direct.byteLength + this.#keys.byteLength + this.#vals.byteLength;
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
    const keys = this.#keys;
    const vals = this.#vals;
    for (let i = 0; i < vals.length; ) {
      if (vals[i] !== 0 && keys[i]! < length) {
        direct[keys[i]!] = vals[i]!;
        this.#directSize++;
        this.#removeCell(i);
        continue; // backward shift may have moved another key into cell i
      }
      i++;
    }
  }

  /** Empties cell `i` of the hashed part, pulling later members of its probe run back (no tombstones). */
  #removeCell(i: number): void {
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = keys.length - 1;
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
    this.#hashSize--;
  }

  #rehash(bits: number): void {
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

/** Direct-part length covering `key`: the next power of two above it, at least {@link MIN_DIRECT}. */
function coverLength(key: number): number {
  return Math.max(MIN_DIRECT, key >= 2 ** 30 ? 2 ** 31 : 1 << (32 - Math.clz32(key)));
}
