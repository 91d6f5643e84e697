/**
 * The tuned linear scan: XOR + SWAR popcount over packed words, leaving each hash at the first check its running
 * distance fails. Where that first check sits depends on the radius (measured, see docs/performance.md):
 *
 * - r ≤ 12: after word 0 (32 bits differ in ~16 ± 2.8 by chance, so almost every hash leaves there);
 * - r ≤ 20: after words 0–1;
 * - otherwise: after words 0–3, summed without branching. At r = 31 a 2-word check is a coin flip (64 random
 *   bits differ in ≤ 31 places about 45% of the time): the branch mispredicts half the time, which costs more
 *   than two extra popcounts.
 *
 * @internal
 * @module
 */
import type { IndexMatch } from './types.js';
import { MatchBuffer } from './match-buffer.js';
import { WORDS_PER_HASH, packHash } from './packed.js';

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
  const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!;
  const end = slots * 8;
  if (r <= 12) {
    for (let o = 0; o < end; o += 8) {
      let d = pc(words[o]! ^ q0);
      if (d > r) continue;
      d += pc(words[o + 1]! ^ q1);
      if (d > r) continue;
      d += pc(words[o + 2]! ^ q2) + pc(words[o + 3]! ^ q3);
      if (d <= r) finish(words, o, q, d, r, ids, alive, out);
    }
  } else if (r <= 20) {
    for (let o = 0; o < end; o += 8) {
      let d = pc(words[o]! ^ q0) + pc(words[o + 1]! ^ q1);
      if (d > r) continue;
      d += pc(words[o + 2]! ^ q2) + pc(words[o + 3]! ^ q3);
      if (d <= r) finish(words, o, q, d, r, ids, alive, out);
    }
  } else {
    for (let o = 0; o < end; o += 8) {
      const d = pc(words[o]! ^ q0) + pc(words[o + 1]! ^ q1) + pc(words[o + 2]! ^ q2) + pc(words[o + 3]! ^ q3);
      if (d <= r) finish(words, o, q, d, r, ids, alive, out);
    }
  }
}

/** Adds words 4–7 to the distance of words 0–3 and records a hit. Rare, so kept out of the loops. */
function finish(
  words: Uint32Array,
  o: number,
  q: Uint32Array,
  d: number,
  r: number,
  ids: Uint32Array,
  alive: Uint8Array | null,
  out: MatchBuffer,
): void {
  d += pc(words[o + 4]! ^ q[4]!) + pc(words[o + 5]! ^ q[5]!) + pc(words[o + 6]! ^ q[6]!) + pc(words[o + 7]! ^ q[7]!);
  if (d > r) return;
  const slot = o >>> 3;
  if (alive !== null && alive[slot] === 0) return;
  out.push(ids[slot]!, d);
}

function pc(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * {@link scanSlots} for several queries in one pass: each hash's first 4 words are loaded once and compared with
 * every query (`qs` holds 8 words per query), so a batch of 8 dihedral variants streams the slab once, not 8 times.
 * `outs[j]` collects the hits of query `j`.
 */
export function scanSlotsMany(
  words: Uint32Array,
  slots: number,
  qs: Uint32Array,
  count: number,
  r: number,
  ids: Uint32Array,
  alive: Uint8Array | null,
  outs: readonly MatchBuffer[],
): void {
  const end = slots * 8;
  const q = new Uint32Array(8);
  for (let o = 0; o < end; o += 8) {
    const w0 = words[o]!, w1 = words[o + 1]!, w2 = words[o + 2]!, w3 = words[o + 3]!;
    for (let j = 0, b = 0; j < count; j++, b += 8) {
      const d = pc(w0 ^ qs[b]!) + pc(w1 ^ qs[b + 1]!) + pc(w2 ^ qs[b + 2]!) + pc(w3 ^ qs[b + 3]!);
      if (d <= r) {
        q.set(qs.subarray(b, b + 8));
        finish(words, o, q, d, r, ids, alive, outs[j]!);
      }
    }
  }
}

/** Packs `hashes` as query words, runs `scan` with one hit buffer per hash, and returns the sorted results. */
export function batchScan(
  hashes: readonly Uint8Array[],
  scan: (qs: Uint32Array, outs: MatchBuffer[]) => void,
): IndexMatch[][] {
  const qs = new Uint32Array(hashes.length * WORDS_PER_HASH);
  hashes.forEach((h, j) => packHash(h, qs, j * WORDS_PER_HASH));
  const outs = hashes.map(() => new MatchBuffer());
  scan(qs, outs);
  return outs.map((o) => o.finish());
}
