import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { naiveQuery, prng, randomHash } from '../../test/helpers/hamming.js';
import { LinearIndex } from './linear.js';
import { MihIndex, chooseSubstringBits, mihProbeCount } from './mih.js';
import type { IndexBatch } from './types.js';

function list(n: number, seed: number): [number, Uint8Array][] {
  const r = prng(seed);
  return Array.from({ length: n }, (_, id) => [id, randomHash(r)]);
}

describe('MihIndex', () => {
  it('probes per the refined pigeonhole split: 16×16 bits at r=31 is 17 buckets in each of 16 tables', () => {
    expect(mihProbeCount(16, 31)).toBe(16 * 17);
    expect(mihProbeCount(16, 10)).toBe(11);
    expect(mihProbeCount(16, 32)).toBe(1 * 137 + 15 * 17);
    expect(mihProbeCount(8, 10)).toBe(11);
  });

  it('widens substrings as the list grows, within the memory budget', () => {
    let last = 0;
    for (const n of [0, 1e4, 1e5, 1e6, 2e6, 4e6, 1e7, 1e8]) {
      const bits = chooseSubstringBits(n);
      expect(bits).toBeGreaterThanOrEqual(last);
      last = bits;
    }
    expect(chooseSubstringBits(5e5)).toBe(16);
    expect(chooseSubstringBits(1e6)).toBe(18);
    expect(chooseSubstringBits(1e7)).toBe(21);
  });

  it('rebuilds at most one table per single add or remove (a bounded pause)', () => {
    // 25 tables; a threshold of at least 25 entries means one change never owes more than one rebuild.
    const index = new MihIndex({ substringBits: 10, minDeltaEntries: 32, maxDeltaFraction: 1 / 16 });
    index.apply({ add: list(100, 1) });
    const extra = list(300, 2);
    let before = index.stats().rebuilds;
    for (const [id, h] of extra) {
      index.add(id + 1000, h);
      const now = index.stats().rebuilds;
      expect(now - before).toBeLessThanOrEqual(1);
      before = now;
    }
    for (let id = 0; id < 100; id++) {
      index.remove(id);
      const now = index.stats().rebuilds;
      expect(now - before).toBeLessThanOrEqual(1);
      before = now;
    }
    expect(index.stats().rebuilds).toBeGreaterThan(25);
    // Each table is rebuilt within one call per table after crossing the threshold.
    expect(Math.max(...index.stats().dirty)).toBeLessThanOrEqual(32 + 25);
  });

  it('rebuilds tables by merging through batches of adds, replacements and removals, and answers like a scan', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ adds: fc.nat({ max: 40 }), replaces: fc.nat({ max: 10 }), removes: fc.nat({ max: 15 }) }), { minLength: 5, maxLength: 25, size: 'max' }),
        fc.integer({ min: 1, max: 1e6 }),
        (batches, seed) => {
          const index = new MihIndex({ substringBits: 8, minDeltaEntries: 8, maxDeltaFraction: 1 / 8 });
          const oracle = new LinearIndex();
          const stored = new Map<number, Uint8Array>();
          let next = 0;
          let salt = seed;
          for (const { adds, replaces, removes } of batches) {
            const live = [...stored.keys()];
            const batch: IndexBatch = {
              remove: live.slice(0, removes),
              add: [
                ...live.slice(removes, removes + replaces).map((id) => [id, list(1, ++salt)[0]![1]] as const),
                ...list(adds, ++salt).map(([, h]) => [next++, h] as const),
              ],
            };
            index.apply(batch);
            oracle.apply(batch);
            for (const id of batch.remove!) stored.delete(id);
            for (const [id, h] of batch.add as (readonly [number, Uint8Array])[]) stored.set(id, h);
          }
          // Queries near stored hashes (3 bits flipped), so there are hits to compare.
          for (const h of [...stored.values()].slice(0, 10)) {
            const q = Uint8Array.from(h);
            q[0]! ^= 0b1011;
            expect(index.query(q, 8)).toEqual(oracle.query(q, 8));
            expect(index.query(q, 8).length).toBeGreaterThan(0);
          }
          expect(index.size).toBe(oracle.size);
          expect(index.stats().mergeFallbacks).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
    // The merge path does run in such churn.
    const index = new MihIndex({ substringBits: 8, minDeltaEntries: 8, maxDeltaFraction: 1 / 8 });
    for (let b = 0; b < 20; b++) index.apply({ add: list(20, b + 100).map(([id, h]) => [id + b * 20, h] as const) });
    expect(index.stats().merges).toBeGreaterThan(0);
  });

  it('reuses a freed slot only after every table was rebuilt since it died', () => {
    const index = new MihIndex({ substringBits: 8, minDeltaEntries: 1e9 });
    index.apply({ add: list(10, 3) });
    expect(index.stats().slots).toBe(10);
    index.remove(0);
    index.add(50, randomHash(prng(4)));
    expect(index.stats().slots).toBe(11);
    expect(index.stats().pending).toBe(1);
    index.compact();
    expect(index.stats().pending).toBe(0);
    index.add(51, randomHash(prng(5)));
    expect(index.stats().slots).toBe(11);
  });

  it('compact() folds every delta into the CSR tables and keeps the answers', () => {
    const index = new MihIndex({ substringBits: 16, minDeltaEntries: 1e9 });
    const entries = list(500, 6);
    for (const [id, h] of entries) index.add(id, h);
    expect(index.stats().delta.every((d) => d === 500)).toBe(true);
    const q = entries[17]![1];
    const before = index.query(q, 120);
    index.compact();
    expect(index.stats().delta.every((d) => d === 0)).toBe(true);
    expect(index.query(q, 120)).toEqual(before);
    expect(before).toEqual(naiveQuery(new Map(entries), q, 120));
  });

  it('bulk-loads a large batch with one full build instead of deltas', () => {
    const index = new MihIndex({ minDeltaEntries: 100 });
    index.apply({ add: list(1000, 8) });
    expect(index.stats().rebuilds).toBe(index.substringBits === 16 ? 16 : Math.floor(256 / index.substringBits));
    expect(index.stats().delta.every((d) => d === 0)).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new MihIndex({ substringBits: 7 })).toThrow(
      new RangeError("Expected `substringBits` to be 'auto', an integer from 8 to 24, or 32, got 7"),
    );
    expect(() => new MihIndex({ maxDeltaFraction: 0 })).toThrow(RangeError);
    expect(() => new MihIndex({ minDeltaEntries: 0.5 })).toThrow(RangeError);
    expect(() => new MihIndex(null as never)).toThrow(TypeError);
  });
});
