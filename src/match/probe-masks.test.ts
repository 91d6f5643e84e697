import { describe, expect, it } from 'vitest';
import { MAX_PROBES_PER_TABLE, probeCount, probeMasks } from './probe-masks.js';

const popcount = (x: number) => {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
};

describe('probeMasks', () => {
  it.each([
    [8, 3],
    [16, 0],
    [16, 1],
    [16, 2],
    [13, 3],
    [21, 2],
    [32, 2],
  ])('lists every %i-bit mask within radius %i exactly once, by popcount', (bits, radius) => {
    const masks = probeMasks(bits, radius)!;
    let expected = 0;
    if (bits <= 16) for (let x = 0; x < 2 ** bits; x++) expected += popcount(x) <= radius ? 1 : 0;
    else expected = [1, bits, (bits * (bits - 1)) / 2].slice(0, radius + 1).reduce((s, v) => s + v, 0);
    expect(masks.length).toBe(expected);
    expect(probeCount(bits, radius)).toBe(expected);
    expect(new Set(masks).size).toBe(masks.length);
    let last = 0;
    for (const m of masks) {
      const w = popcount(m);
      expect(w).toBeLessThanOrEqual(radius);
      expect(w).toBeGreaterThanOrEqual(last);
      if (bits < 32) expect(m >>> bits).toBe(0);
      last = w;
    }
  });

  it('returns an empty list below radius 0 and null when the enumeration is too large', () => {
    expect(probeMasks(16, -1)!.length).toBe(0);
    expect(probeMasks(16, 16)!.length).toBe(65536);
    expect(probeCount(32, 6)).toBeGreaterThan(MAX_PROBES_PER_TABLE);
    expect(probeMasks(32, 6)).toBeNull();
  });
});
