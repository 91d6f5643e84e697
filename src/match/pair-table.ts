/**
 * Open-addressing cells of `[hash, value + 1]` pairs (`value + 1 === 0` marks an empty cell) with linear probing
 * and backward-shift deletion: the table under {@link DigestIndex}, the hash list's entry table and the hashed part
 * of {@link IdTable}. Callers probe themselves from {@link pairHome} (their equality tests differ); the stored
 * 32-bit hash lets a probe skip a mismatching cell without reading its key, and lets the table grow without
 * rehashing keys.
 *
 * A table of `2^bits` cells is a `Uint32Array` of `2 << bits` words.
 *
 * @internal
 * @module
 */

import { randomBytes } from 'node:crypto';

/**
 * A random seed for a table's hash function. Keys and digests come from list servers: with a fixed hash, a
 * hostile list could send entries that all land in one probe run and make every insert and lookup linear.
 */
export function pairSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** Fibonacci hashing multiplier (2^32 / φ). */
const GOLDEN = 0x9e3779b1;

/** The cell a probe for `hash` starts at. */
export function pairHome(hash: number, bits: number): number {
  return Math.imul(hash, GOLDEN) >>> (32 - bits);
}

/** Stores `[hash, value + 1]` in the first empty cell from `hash`'s home. */
export function placePair(cells: Uint32Array, bits: number, hash: number, value: number): void {
  const mask = (1 << bits) - 1;
  let i = pairHome(hash, bits);
  while (cells[2 * i + 1] !== 0) i = (i + 1) & mask;
  cells[2 * i] = hash;
  cells[2 * i + 1] = value + 1;
}

/** The cell holding `value`, probing from `hash`'s home (the value must be present). */
export function cellOfPair(cells: Uint32Array, bits: number, hash: number, value: number): number {
  const mask = (1 << bits) - 1;
  let i = pairHome(hash, bits);
  while (cells[2 * i + 1] !== value + 1) i = (i + 1) & mask;
  return i;
}

/** Empties `cell`, shifting later cells of its probe run back so that every probe still finds its value. */
export function deletePairAt(cells: Uint32Array, bits: number, cell: number): void {
  const mask = (1 << bits) - 1;
  let hole = cell;
  for (let j = (cell + 1) & mask; cells[2 * j + 1] !== 0; j = (j + 1) & mask) {
    const home = pairHome(cells[2 * j]!, bits);
    const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
    if (between) continue;
    cells[2 * hole] = cells[2 * j]!;
    cells[2 * hole + 1] = cells[2 * j + 1]!;
    hole = j;
  }
  cells[2 * hole] = 0;
  cells[2 * hole + 1] = 0;
}

/** The same pairs in a new table of `2^bits` cells. */
export function regrowPairs(old: Uint32Array, bits: number): Uint32Array<ArrayBuffer> {
  const cells = new Uint32Array(2 << bits);
  for (let i = 1; i < old.length; i += 2) if (old[i] !== 0) placePair(cells, bits, old[i - 1]!, old[i]! - 1);
  return cells;
}
