/**
 * Collects raw hits during a query and turns them into sorted {@link IndexMatch} objects. Hits are packed as
 * `distance * 2^32 + id` in a Float64Array (exact below 2^53), so one native numeric sort orders them by
 * distance, then id.
 *
 * @internal
 * @module
 */
import type { IndexMatch } from './types.js';

const TWO_32 = 0x1_0000_0000;

/** Reusable, growable hit buffer. Not re-entrant: one query at a time. */
export class MatchBuffer {
  #keys = new Float64Array(64);
  #count = 0;

  /** Number of hits collected since the last `reset`. */
  get count(): number {
    return this.#count;
  }

  reset(): void {
    this.#count = 0;
  }

  push(id: number, distance: number): void {
    if (this.#count === this.#keys.length) {
      const grown = new Float64Array(this.#keys.length * 2);
      grown.set(this.#keys);
      this.#keys = grown;
    }
    this.#keys[this.#count++] = distance * TWO_32 + id;
  }

  /** The collected hits sorted by distance, then id. */
  finish(): IndexMatch[] {
    const n = this.#count;
    if (n === 0) return [];
    const keys = n === 1 ? this.#keys : this.#keys.subarray(0, n).sort();
    const out: IndexMatch[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      const distance = Math.floor(k / TWO_32);
      out[i] = { id: k - distance * TWO_32, distance };
    }
    this.#count = 0;
    return out;
  }
}
