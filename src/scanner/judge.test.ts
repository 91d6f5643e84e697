import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hammingDistance, parseHex, toHex } from '../hash/hex.js';
import type { ListEntry } from '../sync/types.js';
import { type AllowlistView, type JudgeSettings, type ListView, compareFrameSets, judge } from './judge.js';
import type { ListThresholds } from './options.js';
import type { FalsePositive } from './types.js';

/** A list view that scans every entry: the obvious implementation, used as the oracle. */
function arrayList(entries: ListEntry[]): ListView {
  return {
    queryPdq(hash, maxDistance) {
      const out = [];
      for (const entry of entries) {
        if (entry.fingerprints.pdq === undefined) continue;
        const distance = hammingDistance(hash, parseHex('pdq', entry.fingerprints.pdq));
        if (distance <= maxDistance) out.push({ entry, distance });
      }
      return out;
    },
    lookupDigest(kind, hex) {
      return entries.filter((e) => e.fingerprints[kind] === hex);
    },
    vpdqEntries() {
      return entries.filter((e) => e.fingerprints.vpdq !== undefined);
    },
  };
}

const noAllowlist: AllowlistView = { forEntry: () => undefined, forContent: () => undefined };

function settings(perList: Record<string, number> = {}, fallback = 31, minQuality = 50): JudgeSettings {
  const thresholds = (d: number): ListThresholds => ({
    maxDistance: d,
    vpdq: { frameDistance: 31, queryPercent: 80, targetPercent: 0 },
  });
  return {
    minQuality,
    thresholdsFor: (list) => thresholds(perList[list] ?? fallback),
    maxPdqDistance: Math.max(fallback, ...Object.values(perList)),
    listRank: (list) => Object.keys(perList).indexOf(list) >>> 0,
  };
}

/** A hash exactly `bits` bits away from `hex` (flips the lowest bits of successive bytes). */
function flip(hex: string, bits: number, from = 0): string {
  const b = parseHex('pdq', hex);
  for (let i = from; i < from + bits; i++) b[i >> 3]! ^= 1 << (i & 7);
  return toHex(b);
}

const H = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';
const MD5 = '9e107d9d372bb6826bd81d3542a419d6';

function image(source: string, id: string, fingerprints: ListEntry['fingerprints']): ListEntry {
  return { source, id, kind: 'image', fingerprints };
}

describe('judge: digests', () => {
  it('matches exact digests only against entries of the requested kinds', () => {
    const list = arrayList([
      image('a', 'img', { md5: MD5 }),
      { source: 'a', id: 'vid', kind: 'video', fingerprints: { md5: MD5 } },
    ]);
    const onlyImages = judge(list, noAllowlist, settings(), { hashes: { md5: MD5 }, digestKinds: ['image'] });
    expect(onlyImages.matches.map((m) => m.entryId)).toEqual(['img']);
    const both = judge(list, noAllowlist, settings(), { hashes: { md5: MD5 }, digestKinds: ['image', 'video'] });
    expect(both.matches.map((m) => [m.entryId, m.signal, m.distance])).toEqual([
      ['img', 'md5', 0],
      ['vid', 'md5', 0],
    ]);
  });

  it('reports one match per entry, with the strongest signal', () => {
    const list = arrayList([image('a', 'x', { md5: MD5, pdq: H })]);
    const j = judge(list, noAllowlist, settings(), { hashes: { md5: MD5, pdq: H, quality: 100 }, digestKinds: ['image'] });
    expect(j.matches).toHaveLength(1);
    expect(j.matches[0]!.signal).toBe('md5');
  });
});

describe('judge: PDQ', () => {
  it('returns exactly the entries within their own list distance (property, against a full scan)', () => {
    const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
    fc.assert(
      fc.property(
        hex,
        fc.array(fc.record({ list: fc.constantFrom('a', 'b', 'c'), bits: fc.integer({ min: 0, max: 60 }) }), {
          maxLength: 20,
        }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (query, specs, da, db) => {
          const entries = specs.map((s, i) => image(s.list, `e${i}`, { pdq: flip(query, s.bits) }));
          const set = settings({ a: da, b: db }, 31);
          const j = judge(arrayList(entries), noAllowlist, set, {
            hashes: { pdq: query, quality: 100 },
            digestKinds: ['image'],
          });
          const expected = entries
            .map((e, i) => ({ id: e.id, list: e.source, distance: specs[i]!.bits }))
            .filter((e) => e.distance <= set.thresholdsFor(e.list).maxDistance);
          const got = j.matches.map((m) => ({ id: m.entryId, list: m.list, distance: m.distance }));
          expect(new Set(got.map((g) => JSON.stringify(g)))).toEqual(new Set(expected.map((e) => JSON.stringify(e))));
          expect(j.matches.every((m) => m.signal === 'pdq' && m.transform === 'orig')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('does not match a hash below the minimum quality, but still matches its digests', () => {
    const list = arrayList([image('a', 'p', { pdq: H }), image('a', 'd', { md5: MD5 })]);
    const low = judge(list, noAllowlist, settings(), { hashes: { pdq: H, quality: 49 }, digestKinds: ['image'] });
    expect(low.matches).toEqual([]);
    expect(low.unusable?.reason).toBe('low_quality');
    const withDigest = judge(list, noAllowlist, settings(), {
      hashes: { pdq: H, quality: 49, md5: MD5 },
      digestKinds: ['image'],
    });
    expect(withDigest.matches.map((m) => m.entryId)).toEqual(['d']);
    expect(withDigest.unusable?.reason).toBe('low_quality');
    const atMinimum = judge(list, noAllowlist, settings(), { hashes: { pdq: H, quality: 50 }, digestKinds: ['image'] });
    expect(atMinimum.matches.map((m) => m.entryId)).toEqual(['p']);
  });

  it('trusts a PDQ hash given without a quality', () => {
    const j = judge(arrayList([image('a', 'p', { pdq: H })]), noAllowlist, settings(), {
      hashes: { pdq: H },
      digestKinds: ['image'],
    });
    expect(j.matches).toHaveLength(1);
  });

  it('reports the dihedral variant with the smallest distance, preferring orig on ties', () => {
    const rotated = flip(H, 200); // far from H
    const list = arrayList([image('a', 'r', { pdq: flip(rotated, 3) }), image('a', 'o', { pdq: flip(H, 5) })]);
    const j = judge(list, noAllowlist, settings(), {
      // flipx is as far from entry `o` as orig is (5 bits, other ones): the tie goes to orig
      hashes: { pdq: H, quality: 100, dihedral: { orig: H, rot90: rotated, flipx: flip(flip(H, 5), 5, 100) } },
      digestKinds: ['image'],
    });
    const byId = Object.fromEntries(j.matches.map((m) => [m.entryId, m]));
    expect(byId.r).toMatchObject({ signal: 'pdq', transform: 'rot90', distance: 3 });
    expect(byId.o).toMatchObject({ signal: 'pdq', transform: 'orig', distance: 5 });
  });
});

describe('judge: video frames and vPDQ', () => {
  const other = flip(H, 128);
  const frames = [
    { frame: 0, timestamp: 0, pdq: other, quality: 100 },
    { frame: 30, timestamp: 1, pdq: other, quality: 100 },
    { frame: 60, timestamp: 2, pdq: flip(H, 4), quality: 100 },
    { frame: 90, timestamp: 3, pdq: flip(H, 2), quality: 100 },
    { frame: 120, timestamp: 4, pdq: flip(H, 2), quality: 10 },
  ];

  it('matches every usable frame against image entries and reports the best frame and all matching frames', () => {
    const j = judge(arrayList([image('a', 'photo', { pdq: H })]), noAllowlist, settings(), {
      hashes: { vpdq: frames },
      digestKinds: ['video'],
    });
    expect(j.matches).toHaveLength(1);
    const m = j.matches[0]!;
    expect(m.signal).toBe('pdq');
    if (m.signal !== 'pdq') return;
    expect(m.distance).toBe(2);
    expect(m.frame).toEqual({ frame: 90, timestamp: 3, distance: 2 });
    expect(m.frames?.map((f) => f.timestamp)).toEqual([2, 3]); // the quality-10 frame is not used
  });

  it('is unusable when every frame is below the minimum quality, or there are none', () => {
    const low = judge(arrayList([]), noAllowlist, settings(), {
      hashes: { vpdq: frames.map((f) => ({ ...f, quality: 0 })) },
      digestKinds: ['video'],
    });
    expect(low.unusable?.reason).toBe('low_quality');
    const none = judge(arrayList([]), noAllowlist, settings(), { hashes: { vpdq: [] }, digestKinds: ['video'] });
    expect(none.unusable?.reason).toBe('no_frames');
  });

  it('computes vPDQ percentages over unique quality-filtered frames on both sides', () => {
    const a = H;
    const b = flip(H, 100);
    const c = flip(H, 200);
    const d = flip(b, 150);
    const query = [a, a, b, c, d].map((pdq, i) => ({ frame: i, timestamp: i, pdq, quality: 100 }));
    const target = [
      { pdq: flip(a, 10), quality: 100, timestamp: 0 },
      { pdq: flip(b, 31), quality: 100, timestamp: 1 },
      { pdq: flip(c, 1), quality: 20, timestamp: 2 }, // filtered out
      { pdq: flip(a, 140), quality: 100, timestamp: 3 },
    ];
    const entry: ListEntry = { source: 'v', id: 'vid', kind: 'video', fingerprints: { vpdq: target } };
    const lenient: JudgeSettings = {
      ...settings(),
      thresholdsFor: () => ({ maxDistance: 31, vpdq: { frameDistance: 31, queryPercent: 50, targetPercent: 0 } }),
    };
    const j = judge(arrayList([entry]), noAllowlist, lenient, { hashes: { vpdq: query }, digestKinds: ['video'] });
    // query uniques {a,b,c,d}: a and b matched -> 50 %; target usable uniques {a',b',far}: two matched -> 66.7 %
    const expectedQuery = (2 * 100) / 4;
    const expectedTarget = (2 * 100) / 3;
    const m = j.matches.find((x) => x.signal === 'vpdq');
    expect(m).toMatchObject({ signal: 'vpdq', entryId: 'vid', queryPercent: expectedQuery, targetPercent: expectedTarget });
    const strict = judge(arrayList([entry]), noAllowlist, settings(), { hashes: { vpdq: query }, digestKinds: ['video'] });
    expect(strict.matches.filter((x) => x.signal === 'vpdq')).toEqual([]);
  });

  it('compareFrameSets counts partners within the distance (inclusive)', () => {
    const q = [parseHex('pdq', H)];
    expect(compareFrameSets(q, [parseHex('pdq', flip(H, 31))], 31)).toEqual({ queryMatched: 1, targetMatched: 1, minDistance: 31 });
    expect(compareFrameSets(q, [parseHex('pdq', flip(H, 32))], 31)).toEqual({ queryMatched: 0, targetMatched: 0, minDistance: 32 });
  });
});

describe('judge: false positives', () => {
  const fp = (x: Partial<FalsePositive>): FalsePositive => ({ createdAt: '2026-01-01T00:00:00.000Z', ...x }) as FalsePositive;

  it('excludes allowlisted entries and allowlisted content, and says why', () => {
    const list = arrayList([image('a', 'one', { pdq: H }), image('a', 'two', { pdq: flip(H, 3) })]);
    const entryFp = fp({ list: 'a', entryId: 'one' });
    const byEntry: AllowlistView = {
      forEntry: (l, id) => (l === 'a' && id === 'one' ? entryFp : undefined),
      forContent: () => undefined,
    };
    const j = judge(list, byEntry, settings(), { hashes: { pdq: H, quality: 100 }, digestKinds: ['image'] });
    expect(j.matches.map((m) => m.entryId)).toEqual(['two']);
    expect(j.excluded).toEqual([{ match: expect.objectContaining({ entryId: 'one' }), reason: 'entry', falsePositive: entryFp }]);

    const sha256 = 'ab'.repeat(32);
    const contentFp = fp({ sha256 });
    const byContent: AllowlistView = { forEntry: () => undefined, forContent: (h) => (h === sha256 ? contentFp : undefined) };
    const c = judge(list, byContent, settings(), { hashes: { pdq: H, quality: 100, sha256 }, digestKinds: ['image'] });
    expect(c.matches).toEqual([]);
    expect(c.excluded.map((e) => [e.match.entryId, e.reason])).toEqual([
      ['one', 'content'],
      ['two', 'content'],
    ]);
  });
});
