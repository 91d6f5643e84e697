import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from './id-table.js';

describe('IdTable', () => {
  it('property: behaves like a Map<uint32, uint32> under any set/delete sequence', () => {
    const key = fc.oneof(fc.nat({ max: 200 }), fc.constantFrom(0, 0xffff_ffff, 0x8000_0000), fc.nat({ max: 0xffff_ffff }));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key, value: fc.nat({ max: 0xffff_fffe }) }),
      fc.record({ kind: fc.constant('delete' as const), key }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400, size: 'max' }), (ops) => {
        const table = new IdTable();
        const oracle = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(table.set(o.key, o.value)).toBe(oracle.get(o.key) ?? -1);
            oracle.set(o.key, o.value);
          } else {
            expect(table.delete(o.key)).toBe(oracle.get(o.key) ?? -1);
            oracle.delete(o.key);
          }
          expect(table.size).toBe(oracle.size);
        }
        for (const [k, v] of oracle) expect(table.get(k)).toBe(v);
        const seen = new Map<number, number>();
        table.forEach((k, v) => seen.set(k, v));
        expect(seen).toEqual(oracle);
      }),
    );
  });

  it('keeps dense ids in a direct array and sparse ids hashed', () => {
    const dense = new IdTable();
    for (let i = 0; i < 100_000; i++) dense.set(i, i * 3);
    expect(dense.memoryBytes()).toBeLessThanOrEqual(4 * 131_072 + 8192);
    const sparse = new IdTable();
    for (let i = 0; i < 100_000; i++) sparse.set(i * 40_503 + 7, i);
    expect(sparse.memoryBytes()).toBeGreaterThan(8 * 131_072);
    for (let i = 0; i < 100_000; i += 3) {
      expect(dense.get(i)).toBe(i * 3);
      expect(sparse.get(i * 40_503 + 7)).toBe(i);
    }
    for (let i = 0; i < 100_000; i += 2) dense.delete(i);
    for (let i = 0; i < 10; i++) expect(dense.get(i)).toBe(i % 2 ? i * 3 : -1);
    expect(dense.size).toBe(50_000);
  });

  it('moves hashed keys into the direct part when it grows over them', () => {
    const table = new IdTable();
    for (let i = 5000; i > 0; i -= 2) table.set(i, i + 1);
    for (let i = 0; i <= 5000; i++) expect(table.get(i)).toBe(i % 2 === 0 && i > 0 ? i + 1 : -1);
    expect(table.size).toBe(2500);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(10)).toBe(-1);
  });
});
