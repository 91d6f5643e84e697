/**
 * How a multi-index hash cuts the 256 bits into substrings. Substrings are consecutive bit ranges (bit 0 = most
 * significant bit of word 0) and may straddle a word boundary; `⌊256 / bits⌋` tables cover all but
 * `256 mod bits` trailing bits, which only makes the pigeonhole filter slightly weaker, never wrong.
 *
 * @internal
 * @module
 */

/** Substring layout of one multi-index hash. */
export interface Geometry {
  /** Substring width in bits: 8–24 (direct buckets) or 32 (hashed buckets). */
  readonly bits: number;
  /** Number of tables, `⌊256 / bits⌋`. */
  readonly tables: number;
  /** True for 32-bit substrings, whose buckets are a hash of the substring. */
  readonly hashed: boolean;
  /** `2^bits - 1` (or -1 for 32 bits: substrings are then compared as int32). */
  readonly mask: number;
  /** Word holding (the start of) substring `t`. */
  readonly word: Int32Array;
  /** Right shift that aligns substring `t` when it sits within one word. */
  readonly shift: Int32Array;
  /** Bits of substring `t` taken from the next word (0 when it sits within one word). */
  readonly spill: Int32Array;
}

/** Widths with directly addressed buckets. */
export const MIN_DIRECT_BITS = 8;
export const MAX_DIRECT_BITS = 24;

/** Builds the layout for `bits`-bit substrings. */
export function makeGeometry(bits: number): Geometry {
  const tables = Math.floor(256 / bits);
  const word = new Int32Array(tables);
  const shift = new Int32Array(tables);
  const spill = new Int32Array(tables);
  for (let t = 0; t < tables; t++) {
    const start = t * bits;
    const offset = start & 31;
    word[t] = start >>> 5;
    if (offset + bits <= 32) shift[t] = 32 - offset - bits;
    else spill[t] = offset + bits - 32;
  }
  return { bits, tables, hashed: bits === 32, mask: bits === 32 ? -1 : (1 << bits) - 1, word, shift, spill };
}

/** Substring `t` of the hash at word offset `o` of `words`. */
export function substringOf(g: Geometry, words: Uint32Array, o: number, t: number): number {
  const i = o + g.word[t]!;
  const spill = g.spill[t]!;
  if (spill === 0) return (words[i]! >>> g.shift[t]!) & g.mask;
  return ((words[i]! << spill) | (words[i + 1]! >>> (32 - spill))) & g.mask;
}
