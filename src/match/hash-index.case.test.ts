/**
 * The shared conformance suite every Hamming index must pass (hono's `*.case.test.ts` pattern): one set of cases,
 * run below against every built-in index name and against MIH configurations chosen to exercise its internals
 * (tiny rebuild thresholds, substrings that straddle words, hashed 32-bit buckets). The oracle is the naive
 * bit-by-bit scan in test/helpers/hamming.ts, which shares no code with the indexes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbHash, arbListHash, flipBits, naiveQuery, prng, randomBits, randomHash } from '../../test/helpers/hamming.js';
import { type HashIndexOptions, INDEX_NAMES, createHashIndex } from './create.js';
import type { HashIndex } from './types.js';

/** Runs the conformance cases against indexes built by `make`. */
export function describeHashIndexConformance(label: string, make: () => HashIndex, expectedName: string): void {
  describe(`HashIndex conformance: ${label}`, () => {
    const rand = prng(0xc0ffee);
    const a = randomHash(rand);
    const b = flipBits(a, randomBits(rand, 10));
    const c = randomHash(rand);

    it('has its stable name and starts empty', () => {
      const index = make();
      expect(index.name).toBe(expectedName);
      expect(index.size).toBe(0);
      expect(index.query(a, 256)).toEqual([]);
      expect(index.queryMany([a, b], 31)).toEqual([[], []]);
    });

    it('finds entries within the radius, inclusive, sorted by distance then id', () => {
      const index = make();
      index.add(30, c);
      index.add(20, b);
      index.add(10, a);
      index.add(5, b);
      expect(index.size).toBe(4);
      expect(index.query(a, 9)).toEqual([{ id: 10, distance: 0 }]);
      expect(index.query(a, 10)).toEqual([
        { id: 10, distance: 0 },
        { id: 5, distance: 10 },
        { id: 20, distance: 10 },
      ]);
      expect(index.query(b, 0)).toEqual([
        { id: 5, distance: 0 },
        { id: 20, distance: 0 },
      ]);
    });

    it('gives back the hash stored under an id, a copy, until the id is removed', () => {
      const index = make();
      expect(typeof index.hashOf).toBe('function'); // optional for plug-ins; every built-in index has it
      index.add(1, a);
      index.add(2, b);
      index.add(2, c); // replaced
      index.apply({ add: [[3, b]], remove: [1] });
      expect(index.hashOf!(1)).toBeUndefined();
      expect(index.hashOf!(2)).toEqual(c);
      expect(index.hashOf!(3)).toEqual(b);
      expect(index.hashOf!(4)).toBeUndefined();
      index.hashOf!(3)![0]! ^= 0xff;
      expect(index.hashOf!(3)).toEqual(b);
    });

    it('matches exactly at every distance boundary from 0 to 256', () => {
      const index = make();
      const order = randomBits(rand, 256);
      for (let k = 0; k <= 256; k += 1) index.add(k, flipBits(a, order.slice(0, k)));
      for (const r of [0, 1, 7, 8, 15, 16, 31, 32, 47, 64, 100, 255, 256]) {
        const got = index.query(a, r);
        expect(got.map((m) => m.id)).toEqual(Array.from({ length: r + 1 }, (_, k) => k));
        expect(got.every((m) => m.distance === m.id)).toBe(true);
      }
    });

    it('returns every id sharing a hash, ascending', () => {
      const index = make();
      const ids = [9, 3, 4_294_967_295, 0, 77, 12];
      for (const id of ids) index.add(id, a);
      expect(index.query(a, 0).map((m) => m.id)).toEqual([...ids].sort((x, y) => x - y));
      index.remove(77);
      expect(index.query(a, 5).map((m) => m.id)).toEqual([0, 3, 9, 12, 4_294_967_295]);
    });

    it('replaces the hash of an id that is added again', () => {
      const index = make();
      index.add(1, a);
      index.add(1, c);
      expect(index.size).toBe(1);
      expect(index.query(a, 0)).toEqual([]);
      expect(index.query(c, 0)).toEqual([{ id: 1, distance: 0 }]);
    });

    it('removes ids and reports whether they were present', () => {
      const index = make();
      index.add(1, a);
      index.add(2, b);
      expect(index.has(1)).toBe(true);
      expect(index.remove(1)).toBe(true);
      expect(index.remove(1)).toBe(false);
      expect(index.has(1)).toBe(false);
      expect(index.remove(99)).toBe(false);
      expect(index.size).toBe(1);
      expect(index.query(a, 31)).toEqual([{ id: 2, distance: 10 }]);
    });

    it('applies a batch as removals first, then additions in order', () => {
      const index = make();
      index.add(1, a);
      index.add(2, b);
      index.apply({ remove: [1, 2, 3], add: [[2, c], [1, b], [1, a]] });
      expect(index.size).toBe(2);
      expect(index.query(a, 0)).toEqual([{ id: 1, distance: 0 }]);
      expect(index.query(c, 0)).toEqual([{ id: 2, distance: 0 }]);
    });

    it('accepts iterables that are not arrays', () => {
      const index = make();
      function* adds(): Generator<readonly [number, Uint8Array]> {
        yield [1, a];
        yield [2, b];
      }
      index.apply({ add: adds() });
      index.apply({ remove: new Set([2]) });
      expect(index.query(a, 31)).toEqual([{ id: 1, distance: 0 }]);
    });

    it('rejects a batch with any bad entry without applying any of it', () => {
      const index = make();
      index.add(1, a);
      const bad: unknown[] = [
        { remove: [2], add: [[3, b], [4, new Uint8Array(31)]] },
        { remove: [1, -1] },
        { add: [[5, c], [2 ** 32, c]] },
        { add: [[5, c], 'nope'] },
      ];
      function* badAfterGood(): Generator<unknown> {
        yield [3, b];
        yield [4, c];
        yield [5, new Uint8Array(33)];
      }
      bad.push({ remove: [1], add: badAfterGood() as never });
      for (const batch of bad) expect(() => index.apply(batch as never)).toThrow();
      expect(index.size).toBe(1);
      expect(index.query(a, 256)).toEqual([{ id: 1, distance: 0 }]);
      expect(() => index.apply(null as never)).toThrow(TypeError);
    });

    it('answers queryMany like separate queries', () => {
      const index = make();
      index.apply({ add: [[1, a], [2, b], [3, c]] });
      const hashes = [a, c, flipBits(b, [0, 1, 2])];
      for (const r of [0, 3, 13, 31, 200]) {
        expect(index.queryMany(hashes, r)).toEqual(hashes.map((h) => index.query(h, r)));
      }
    });

    it('clears everything and stays usable', () => {
      const index = make();
      index.apply({ add: [[1, a], [2, b]] });
      const before = index.memoryBytes();
      expect(before).toBeGreaterThan(0);
      index.clear();
      expect(index.size).toBe(0);
      expect(index.query(a, 256)).toEqual([]);
      index.add(3, c);
      expect(index.query(c, 0)).toEqual([{ id: 3, distance: 0 }]);
    });

    it('reserves room ahead (a built-in index), validating the size, without changing any answer', () => {
      const index = make();
      expect(typeof index.reserve).toBe('function');
      index.apply({ add: [[1, a], [2, b]] });
      const before = index.memoryBytes();
      index.reserve!(4000);
      expect(index.memoryBytes()).toBeGreaterThan(before + 4000 * 32); // the hashes' room at least
      expect(index.query(a, 256)).toEqual(naiveQuery(new Map([[1, a], [2, b]]), a, 256));
      const live = new Map<number, Uint8Array>([[1, a], [2, b]]);
      const rand = prng(7);
      for (let id = 3; id < 4000; id++) live.set(id, randomHash(rand));
      index.apply({ add: [...live].slice(2) });
      for (const q of [a, c, live.get(3999)!]) expect(index.query(q, 40)).toEqual(naiveQuery(live, q, 40));
      expect(() => index.reserve!(-1)).toThrow(new RangeError('Expected `size` to be an integer from 0 to 4294967295, got -1'));
      expect(() => index.reserve!(2 ** 32)).toThrow(RangeError);
      expect(() => index.reserve!('9' as never)).toThrow(new TypeError('Expected `size` to be an integer from 0 to 4294967295, got "9"'));
    });

    it('validates ids, hashes and radii with clear messages', () => {
      const index = make();
      expect(() => index.add(-1, a)).toThrow(new RangeError('Expected `id` to be an integer from 0 to 4294967295, got -1'));
      expect(() => index.add(1.5, a)).toThrow(RangeError);
      expect(() => index.add(2 ** 32, a)).toThrow(RangeError);
      expect(() => index.add('1' as never, a)).toThrow(
        new TypeError('Expected `id` to be an integer from 0 to 4294967295, got "1"'),
      );
      expect(() => index.add(1, new Uint8Array(16))).toThrow(
        new RangeError('Expected `hash` to be a Uint8Array of 32 bytes (a packed PDQ hash), got Uint8Array(16)'),
      );
      expect(() => index.add(1, 'ab'.repeat(32) as never)).toThrow(TypeError);
      expect(() => index.query(a, 300)).toThrow(
        new RangeError('Expected `maxDistance` to be an integer from 0 to 256, got 300'),
      );
      expect(() => index.query(a, -1)).toThrow(RangeError);
      expect(() => index.query(a, 2.5)).toThrow(RangeError);
      expect(() => index.query(a, '31' as never)).toThrow(TypeError);
      expect(() => index.queryMany([a, new Uint8Array(3)], 31)).toThrow(/`hashes\[1\]`/);
      expect(() => index.remove(-5)).toThrow(RangeError);
      expect(() => index.has(NaN)).toThrow(RangeError);
      expect(index.size).toBe(0);
    });

    it('agrees with a naive scan on a seeded clustered list of 3,000 hashes with churn', () => {
      const r = prng(42);
      const bases = Array.from({ length: 40 }, () => randomHash(r));
      const live = new Map<number, Uint8Array>();
      const index = make();
      const pick = () => {
        const base = bases[Math.floor(r() * bases.length)]!;
        return r() < 0.15 ? randomHash(r) : flipBits(base, randomBits(r, Math.floor(r() * 41)));
      };
      const initial: [number, Uint8Array][] = [];
      for (let id = 0; id < 3000; id++) initial.push([id, pick()]);
      index.apply({ add: initial });
      for (const [id, h] of initial) live.set(id, h);
      for (let round = 0; round < 12; round++) {
        const removes = Array.from({ length: 150 }, () => Math.floor(r() * 3600));
        const adds: [number, Uint8Array][] = Array.from({ length: 150 }, () => [Math.floor(r() * 3600), pick()]);
        index.apply({ remove: removes, add: adds });
        for (const id of removes) live.delete(id);
        for (const [id, h] of adds) live.set(id, h);
        for (let i = 0; i < 20; i++) {
          const id = Math.floor(r() * 3600);
          expect(index.remove(id)).toBe(live.delete(id));
        }
        const queries = [pick(), pick(), randomHash(r)];
        const all = queries.map((q) => naiveQuery(live, q, 256));
        for (const radius of [0, 6, 10, 20, 31, 40, 64]) {
          const expected = all.map((matches) => matches.filter((m) => m.distance <= radius));
          queries.forEach((q, j) => expect(index.query(q, radius)).toEqual(expected[j]));
          expect(index.queryMany(queries, radius)).toEqual(expected);
        }
      }
      expect(index.size).toBe(live.size);
    });

    it('property: any interleaving of adds, removes and batches answers every query like a naive scan', () => {
      const bases = Array.from({ length: 4 }, (_, i) => randomHash(prng(i + 1)));
      const hash = arbListHash(bases);
      const id = fc.nat({ max: 60 });
      const op = fc.oneof(
        { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), id, hash }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), id }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('batch' as const),
            remove: fc.array(id, { maxLength: 10 }),
            add: fc.array(fc.tuple(id, hash), { maxLength: 30, size: 'max' }),
            lazily: fc.boolean(),
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('reserve' as const), size: fc.nat({ max: 100 }) }) },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('query' as const),
            hash: fc.oneof(hash, arbHash),
            r: fc.nat({ max: 64 }),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('queryMany' as const),
            hashes: fc.array(fc.oneof(hash, arbHash), { minLength: 1, maxLength: 8 }),
            r: fc.nat({ max: 64 }),
          }),
        },
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 120, size: 'max' }), (ops) => {
          const index = make();
          const live = new Map<number, Uint8Array>();
          for (const o of ops) {
            if (o.kind === 'add') {
              index.add(o.id, o.hash);
              live.set(o.id, o.hash);
            } else if (o.kind === 'remove') {
              expect(index.remove(o.id)).toBe(live.delete(o.id));
            } else if (o.kind === 'reserve') {
              index.reserve?.(o.size);
            } else if (o.kind === 'batch') {
              index.apply({ remove: o.remove, add: o.lazily ? o.add.values() : o.add });
              for (const r of o.remove) live.delete(r);
              for (const [i, h] of o.add) live.set(i, h);
            } else if (o.kind === 'query') {
              expect(index.query(o.hash, o.r)).toEqual(naiveQuery(live, o.hash, o.r));
            } else {
              expect(index.queryMany(o.hashes, o.r)).toEqual(o.hashes.map((h) => naiveQuery(live, h, o.r)));
            }
            expect(index.size).toBe(live.size);
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}

for (const name of INDEX_NAMES) describeHashIndexConformance(`'${name}'`, () => createHashIndex(name), name);

const variants: [string, HashIndexOptions][] = [
  ['mih, 8-bit substrings, rebuild after every few changes', { name: 'mih', substringBits: 8, minDeltaEntries: 3 }],
  ['mih, 12-bit substrings straddling words, small deltas', { name: 'mih', substringBits: 12, minDeltaEntries: 16 }],
  ['mih, 13-bit substrings, never rebuilt incrementally', { name: 'mih', substringBits: 13, minDeltaEntries: 1e9 }],
  ['mih, 32-bit hashed buckets', { name: 'mih', substringBits: 32, minDeltaEntries: 8 }],
  ['auto, 10-bit substrings, small deltas', { name: 'auto', substringBits: 10, minDeltaEntries: 8 }],
];
for (const [label, options] of variants) describeHashIndexConformance(label, () => createHashIndex(options), options.name!);
