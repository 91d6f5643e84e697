/**
 * Flip masks for multi-index probing: every `bits`-bit mask with popcount ≤ ρ, ordered by popcount, so the
 * probes for radius ρ are a prefix of the list. Built once per substring width and reused by every index.
 *
 * @internal
 * @module
 */

/** Upper bound on probes per table; wider enumerations fall back to a scan (they would cost more anyway). */
export const MAX_PROBES_PER_TABLE = 1 << 20;

interface MaskSet {
  /** Masks sorted by popcount (int32 view: for 32-bit substrings the top bit is the sign). */
  masks: Int32Array;
  /** `prefix[ρ]` = number of masks with popcount ≤ ρ, for every ρ enumerated so far. */
  prefix: number[];
}

const cache = new Map<number, MaskSet>();

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** Number of masks with popcount ≤ `radius` over `bits` bits. */
export function probeCount(bits: number, radius: number): number {
  let total = 0;
  for (let j = 0; j <= Math.min(radius, bits); j++) total += binomial(bits, j);
  return total;
}

/**
 * The masks with popcount ≤ `radius` over `bits` bits as a prefix view, or `null` when there are more than
 * {@link MAX_PROBES_PER_TABLE}.
 */
export function probeMasks(bits: number, radius: number): Int32Array | null {
  if (radius < 0) return new Int32Array(0);
  radius = Math.min(radius, bits);
  if (probeCount(bits, radius) > MAX_PROBES_PER_TABLE) return null;
  let set = cache.get(bits);
  if (set === undefined || set.prefix.length <= radius) {
    set = enumerate(bits, radius);
    cache.set(bits, set);
  }
  return set.masks.subarray(0, set.prefix[radius]!);
}

function enumerate(bits: number, radius: number): MaskSet {
  const masks = new Int32Array(probeCount(bits, radius));
  const prefix: number[] = [];
  let n = 0;
  const positions: number[] = [];
  for (let weight = 0; weight <= radius; weight++) {
    // Lexicographic combinations of `weight` bit positions out of `bits`.
    positions.length = 0;
    for (let i = 0; i < weight; i++) positions.push(i);
    for (;;) {
      let mask = 0;
      for (const p of positions) mask |= 1 << p;
      masks[n++] = mask;
      let i = weight - 1;
      while (i >= 0 && positions[i] === bits - weight + i) i--;
      if (i < 0) break;
      positions[i]!++;
      for (let j = i + 1; j < weight; j++) positions[j] = positions[j - 1]! + 1;
    }
    prefix.push(n);
  }
  return { masks, prefix };
}
