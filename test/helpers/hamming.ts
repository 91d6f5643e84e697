/**
 * Independent test oracle for Hamming indexes: bit-by-bit distance and a brute-force radius query over a Map.
 * Deliberately shares no code with src/match (no SWAR popcount, no packed words).
 */
import fc from 'fast-check';

/** Hamming distance counted one bit at a time. */
export function naiveDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    for (let x = a[i]! ^ b[i]!; x !== 0; x >>= 1) d += x & 1;
  }
  return d;
}

/** Every (id, distance) within r, sorted by distance then id. */
export function naiveQuery(entries: ReadonlyMap<number, Uint8Array>, q: Uint8Array, r: number) {
  const out: { id: number; distance: number }[] = [];
  for (const [id, h] of entries) {
    const distance = naiveDistance(h, q);
    if (distance <= r) out.push({ id, distance });
  }
  return out.sort((x, y) => x.distance - y.distance || x.id - y.id);
}

/** A copy of `h` with the given bit positions (0–255) flipped. */
export function flipBits(h: Uint8Array, bits: Iterable<number>): Uint8Array {
  const out = h.slice();
  for (const b of bits) out[b >> 3]! ^= 0x80 >> (b & 7);
  return out;
}

/** Deterministic PRNG (mulberry32) for seeded non-property tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random 32-byte hash from `rand`. */
export function randomHash(rand: () => number): Uint8Array {
  const h = new Uint8Array(32);
  for (let i = 0; i < 32; i++) h[i] = Math.floor(rand() * 256);
  return h;
}

/** `k` distinct random bit positions. */
export function randomBits(rand: () => number, k: number): number[] {
  const set = new Set<number>();
  while (set.size < k) set.add(Math.floor(rand() * 256));
  return [...set];
}

export const arbHash = fc.uint8Array({ minLength: 32, maxLength: 32 });

/**
 * A hash drawn like real PDQ lists: either uniform, or one of a few bases with 0–40 bits flipped (near-duplicate
 * clusters), so radius queries hit clusters, cluster edges and empty space.
 */
export function arbListHash(bases: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: arbHash },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.nat({ max: bases.length - 1 }), fc.uniqueArray(fc.nat({ max: 255 }), { maxLength: 40, size: 'max' }))
        .map(([b, bits]) => flipBits(bases[b]!, bits)),
    },
  );
}
