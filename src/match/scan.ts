/**
 * The tuned linear scan: XOR + SWAR popcount over packed words, leaving each hash as soon as its running distance
 * exceeds the radius. Unrelated PDQ hashes sit ~128 bits apart, so most hashes are rejected after 2 words (64
 * bits, ~32 differing) or, for small radii, after the first word.
 *
 * @internal
 * @module
 */
import type { MatchBuffer } from './match-buffer.js';

/** Radii up to this are checked after the very first word (a 32-bit word differs in ~16 bits by chance). */
const FIRST_WORD_CHECK_MAX = 12;

/**
 * Scans slots `[0, slots)` of `words` against the query words `q` and pushes `(ids[slot], distance)` for every
 * hash within `r`. When `alive` is given, slots with `alive[slot] === 0` are skipped (checked only on a hit).
 */
export function scanSlots(
  words: Uint32Array,
  slots: number,
  q: Uint32Array,
  r: number,
  ids: Uint32Array,
  alive: Uint8Array | null,
  out: MatchBuffer,
): void {
  const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
  const end = slots * 8;
  const early = r <= FIRST_WORD_CHECK_MAX;
  for (let o = 0; o < end; o += 8) {
    let x = words[o]! ^ q0;
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    let d = Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    if (early && d > r) continue;
    x = words[o + 1]! ^ q1;
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    d += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    if (d > r) continue;
    d += rest(words, o, q2, q3, q4, q5, q6, q7, r - d);
    if (d > r) continue;
    const slot = o >>> 3;
    if (alive !== null && alive[slot] === 0) continue;
    out.push(ids[slot]!, d);
  }
}

/** Distance over words 2–7, stopping early once it exceeds `budget` (returns a value > budget then). */
function rest(
  words: Uint32Array,
  o: number,
  q2: number,
  q3: number,
  q4: number,
  q5: number,
  q6: number,
  q7: number,
  budget: number,
): number {
  let d = pc(words[o + 2]! ^ q2) + pc(words[o + 3]! ^ q3);
  if (d > budget) return d;
  d += pc(words[o + 4]! ^ q4) + pc(words[o + 5]! ^ q5);
  if (d > budget) return d;
  return d + pc(words[o + 6]! ^ q6) + pc(words[o + 7]! ^ q7);
}

function pc(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
