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
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
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

  it('keeps every key through growth, and reserve() avoids later growth', () => {
    const table = new IdTable();
    table.reserve(5000);
    const bytes = table.memoryBytes();
    for (let i = 0; i < 5000; i++) table.set(i * 7919, i);
    expect(table.memoryBytes()).toBe(bytes);
    for (let i = 0; i < 5000; i++) expect(table.get(i * 7919)).toBe(i);
    for (let i = 0; i < 5000; i += 2) table.delete(i * 7919);
    for (let i = 0; i < 5000; i++) expect(table.get(i * 7919)).toBe(i % 2 ? i : -1);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(7919)).toBe(-1);
  });
});
