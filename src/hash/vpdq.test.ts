import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { matchVpdq, prepareVpdq, VPDQ_MATCH_DEFAULTS, type VpdqFeatureLike, type VpdqMatchOptions } from './vpdq.js';

/** The README pseudo-code, written as plainly as possible: the oracle. */
function oracle(query: VpdqFeatureLike[], target: VpdqFeatureLike[], o: Required<VpdqMatchOptions>) {
  const prep = (side: VpdqFeatureLike[]) => {
    const kept = side.filter((f) => f.quality >= o.minQuality).map((f) => f.pdq.toLowerCase());
    return o.dedupe ? [...new Set(kept)] : kept;
  };
  const dist = (a: string, b: string) => {
    let d = 0;
    for (let i = 0; i < 64; i++) {
      let x = parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16);
      while (x) {
        d += x & 1;
        x >>= 1;
      }
    }
    return d;
  };
  const close = (d: number) => (o.distanceRule === 'strict' ? d < o.maxDistance : d <= o.maxDistance);
  const q = prep(query);
  const t = prep(target);
  if (q.length === 0 || t.length === 0) return { q: 0, t: 0 };
  const qm = q.filter((a) => t.some((b) => close(dist(a, b)))).length;
  const tm = t.filter((b) => q.some((a) => close(dist(a, b)))).length;
  return { q: (qm * 100) / q.length, t: (tm * 100) / t.length };
}

/** Flips `bits` distinct bit positions of a hex hash. */
function flip(hex: string, bits: number[]): string {
  const bytes = Buffer.from(hex, 'hex');
  for (const b of bits) bytes[b >> 3]! ^= 1 << (b & 7);
  return bytes.toString('hex');
}

const BASE = 'e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c';
const hexArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
// Hashes near a few centres, so that matches within 31 bits actually happen.
const nearArb = fc
  .tuple(fc.constantFrom(BASE, flip(BASE, Array.from({ length: 60 }, (_, i) => i * 4))), fc.uniqueArray(fc.nat(255), { maxLength: 40, size: 'max' }))
  .map(([c, bits]) => flip(c, bits));
const featureArb = fc.record({ pdq: fc.oneof(hexArb, nearArb, nearArb), quality: fc.integer({ min: 0, max: 100 }) });
const optionsArb = fc.record({
  maxDistance: fc.integer({ min: 0, max: 256 }),
  distanceRule: fc.constantFrom('inclusive' as const, 'strict' as const),
  minQuality: fc.integer({ min: 0, max: 100 }),
  dedupe: fc.boolean(),
  queryMatchPercent: fc.integer({ min: 0, max: 100 }),
  targetMatchPercent: fc.integer({ min: 0, max: 100 }),
});

describe('matchVpdq', () => {
  it('equals the plain README algorithm for any inputs and options', () => {
    fc.assert(
      fc.property(fc.array(featureArb, { maxLength: 25, size: 'max' }), fc.array(featureArb, { maxLength: 25, size: 'max' }), optionsArb, (q, t, o) => {
        const got = matchVpdq(q, t, o);
        const want = oracle(q, t, o);
        expect(got.queryMatchPercent).toBeCloseTo(want.q, 9);
        expect(got.targetMatchPercent).toBeCloseTo(want.t, 9);
        const nonEmpty = got.queryFrames > 0 && got.targetFrames > 0;
        expect(got.isMatch).toBe(nonEmpty && want.q >= o.queryMatchPercent && want.t >= o.targetMatchPercent);
      }),
    );
  });

  it('defaults to HMA: quality >= 50, dedupe, distance <= 31, query 80 %, target 0 %', () => {
    expect(VPDQ_MATCH_DEFAULTS).toEqual({
      minQuality: 50,
      dedupe: true,
      maxDistance: 31,
      distanceRule: 'inclusive',
      queryMatchPercent: 80,
      targetMatchPercent: 0,
    });
    const at31 = flip(BASE, Array.from({ length: 31 }, (_, i) => i));
    expect(matchVpdq([{ pdq: BASE, quality: 100 }], [{ pdq: at31, quality: 100 }]).isMatch).toBe(true);
    expect(matchVpdq([{ pdq: BASE, quality: 100 }], [{ pdq: at31, quality: 100 }], { distanceRule: 'strict' }).isMatch).toBe(false);
    expect(matchVpdq([{ pdq: BASE, quality: 49 }], [{ pdq: BASE, quality: 100 }]).isMatch).toBe(false);
  });

  it('puts the 80 % on the query: a clip of a listed video matches, a long video containing a listed clip does not', () => {
    const distinct = (n: number, seed: number) =>
      Array.from({ length: n }, (_, i) => ({ pdq: flip(BASE, Array.from({ length: 64 }, (_, k) => (k * 4 + i * 7 + seed) % 256)), quality: 100 }));
    const listed = distinct(10, 0);
    const clip = listed.slice(0, 3);
    const longUpload = [...clip, ...distinct(30, 1).map((f) => ({ ...f, pdq: flip(f.pdq, Array.from({ length: 128 }, (_, k) => k * 2)) }))];
    expect(matchVpdq(clip, listed).isMatch).toBe(true);
    expect(matchVpdq(longUpload, listed).isMatch).toBe(false);
    expect(matchVpdq(longUpload, listed, { queryMatchPercent: 0, targetMatchPercent: 30 }).isMatch).toBe(true);
  });

  it('counts duplicate hashes once unless dedupe is off (the C++ matcher)', () => {
    const far = flip(BASE, Array.from({ length: 128 }, (_, i) => i * 2));
    const query = [
      { pdq: BASE, quality: 100 },
      { pdq: BASE, quality: 100 },
      { pdq: BASE, quality: 100 },
      { pdq: far, quality: 100 },
    ];
    const target = [{ pdq: BASE, quality: 100 }];
    expect(matchVpdq(query, target).queryMatchPercent).toBe(50);
    expect(matchVpdq(query, target, { dedupe: false }).queryMatchPercent).toBe(75);
  });

  it('is no match, 0 % / 0 %, when a side is empty after the quality filter', () => {
    const r = matchVpdq([{ pdq: BASE, quality: 10 }], [{ pdq: BASE, quality: 100 }], { queryMatchPercent: 0 });
    expect(r).toEqual({ queryMatchPercent: 0, targetMatchPercent: 0, isMatch: false, queryFrames: 0, targetFrames: 1 });
  });

  it('accepts prepared videos and gives the same result', () => {
    fc.assert(
      fc.property(fc.array(featureArb, { maxLength: 15, size: 'max' }), fc.array(featureArb, { maxLength: 15, size: 'max' }), (q, t) => {
        expect(matchVpdq(prepareVpdq(q), prepareVpdq(t))).toEqual(matchVpdq(q, t));
      }),
    );
  });

  it('refuses a prepared video whose filter differs from the options', () => {
    const prepared = prepareVpdq([{ pdq: BASE, quality: 100 }], { minQuality: 10 });
    expect(() => matchVpdq(prepared, prepared)).toThrow(/minQuality 50, dedupe true.*got minQuality 10/);
  });

  it.each([
    [{ maxDistance: 300 }, RangeError, 'Expected `maxDistance` to be an integer from 0 to 256, got 300'],
    [{ maxDistance: 1.5 }, RangeError, 'Expected `maxDistance` to be an integer from 0 to 256, got 1.5'],
    [{ minQuality: -1 }, RangeError, 'Expected `minQuality` to be an integer from 0 to 100, got -1'],
    [{ queryMatchPercent: 101 }, RangeError, 'Expected `queryMatchPercent` to be a number from 0 to 100, got 101'],
    [{ targetMatchPercent: Number.NaN }, RangeError, 'Expected `targetMatchPercent` to be a number from 0 to 100, got NaN'],
    [{ distanceRule: 'lt' }, TypeError, "Expected `distanceRule` to be 'inclusive' or 'strict', got \"lt\""],
    [{ dedupe: 'yes' }, TypeError, 'Expected `dedupe` to be a boolean, got "yes"'],
  ])('validates options: %o', (options, type, message) => {
    expect(() => matchVpdq([], [], options as VpdqMatchOptions)).toThrow(type);
    expect(() => matchVpdq([], [], options as VpdqMatchOptions)).toThrow(message);
  });

  it('rejects malformed features with INVALID_HASH', () => {
    for (const bad of [{ pdq: 'abc', quality: 100 }, { pdq: BASE, quality: 101 }, { pdq: BASE, quality: '100' }, null]) {
      try {
        matchVpdq([bad as unknown as VpdqFeatureLike], []);
        expect.unreachable();
      } catch (err) {
        expect(isTidscanError(err) && err.code).toBe('INVALID_HASH');
      }
    }
  });
});
