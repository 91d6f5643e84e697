import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vpdqFrameMod, vpdqTimestamp } from './vpdq-sampling.js';

describe('vpdqFrameMod', () => {
  it('truncates secondsPerHash x fps (VPDQ.md section 2 examples)', () => {
    expect(vpdqFrameMod(1, 30000 / 1001)).toBe(29);
    expect(vpdqFrameMod(1, 30)).toBe(30);
    expect(vpdqFrameMod(2.5, 24)).toBe(60);
  });

  it('hashes every frame when the product is below 1', () => {
    expect(vpdqFrameMod(0, 30)).toBe(1);
    expect(vpdqFrameMod(1, 0.5)).toBe(1);
    expect(vpdqFrameMod(0.01, 30)).toBe(1);
  });

  it('is always a positive integer no larger than the product (or 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0.01, max: 1000, noNaN: true }), (s, fps) => {
        const mod = vpdqFrameMod(s, fps);
        expect(Number.isInteger(mod) && mod >= 1).toBe(true);
        expect(mod).toBeLessThanOrEqual(Math.max(1, s * fps));
        expect(mod + 1).toBeGreaterThan(s * fps);
      }),
    );
  });
});

describe('vpdqTimestamp', () => {
  it('divides in float32 like the C++ (float)frame / (float)fps', () => {
    expect(vpdqTimestamp(1, 30)).toBe(Math.fround(1 / 30));
    expect(vpdqTimestamp(1, 30)).not.toBe(1 / 30);
    expect(vpdqTimestamp(30, 30)).toBe(1);
  });

  it('returns float32 values', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.double({ min: 0.01, max: 1000, noNaN: true }), (frame, fps) => {
        const ts = vpdqTimestamp(frame, fps);
        expect(Math.fround(ts)).toBe(ts);
        expect(Math.abs(ts - frame / fps)).toBeLessThanOrEqual(Math.abs(frame / fps) * 2 ** -22);
      }),
    );
  });
});
