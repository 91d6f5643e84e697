/**
 * The packed form every index keeps: a PDQ hash as 8 big-endian uint32 words, one hash after another in a single
 * `Uint32Array` (word `w` holds bytes `4w..4w+3`, so word 0 is hex characters 0–7). One flat array keeps 10M
 * hashes at exactly 320 MB with no per-object overhead, and lets the distance loop XOR whole words.
 *
 * @internal
 * @module
 */

/** uint32 words per PDQ hash. */
export const WORDS_PER_HASH = 8;

/** Writes the 8 words of the 32-byte hash at `hash[from..]` into `out` at word offset `offset`. */
export function packHash(hash: Uint8Array, out: Uint32Array, offset: number, from = 0): void {
  for (let w = 0, b = from; w < WORDS_PER_HASH; w++, b += 4) {
    // Stored as int32: the Uint32Array store wraps it. A `>>> 0` here would produce doubles above 2^31 (heap
    // numbers in unoptimised code and deopts in optimised code): it made bulk loads ~20x slower.
    out[offset + w] = (hash[b]! << 24) | (hash[b + 1]! << 16) | (hash[b + 2]! << 8) | hash[b + 3]!;
  }
}

/** The 32 bytes of the hash packed at word offset `offset` of `words` (a new array). */
export function unpackHash(words: Uint32Array, offset: number): Uint8Array {
  return unpackWords(words, offset, WORDS_PER_HASH);
}

/** The bytes of `count` big-endian words packed at word offset `offset` of `words` (a new array). */
export function unpackWords(words: Uint32Array, offset: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 4);
  for (let w = 0; w < count; w++) {
    const v = words[offset + w]!;
    out[4 * w] = v >>> 24;
    out[4 * w + 1] = (v >>> 16) & 0xff;
    out[4 * w + 2] = (v >>> 8) & 0xff;
    out[4 * w + 3] = v & 0xff;
  }
  return out;
}

/** SWAR popcount of a 32-bit value (duplicated from hash/hex.ts so the hot loops stay monomorphic and local). */
export function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Full Hamming distance between two packed hashes held in word arrays. */
export function wordDistance(a: Uint32Array, ao: number, b: Uint32Array, bo: number): number {
  let d = 0;
  for (let w = 0; w < WORDS_PER_HASH; w++) d += popcount(a[ao + w]! ^ b[bo + w]!);
  return d;
}

/**
 * Next capacity when an array of `current` slots must hold `needed`: at least ×1.5 (amortised O(1) appends, slack
 * near 25%), but exactly `needed` when a bulk load asks for more than that (no slack after a one-shot build).
 */
export function nextCapacity(current: number, needed: number): number {
  return Math.max(16, needed, Math.ceil(current * 1.5));
}

/** A new array of `array`'s type with `capacity` elements: `array`'s elements first, zeros after. */
export function grownTo<T extends Uint8Array | Int32Array | Uint32Array>(array: T, capacity: number): T {
  const grown = new (array.constructor as new (length: number) => T)(capacity);
  grown.set(array);
  return grown;
}
