import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellOfPair, deletePairAt, pairHome, placePair, regrowPairs } from './pair-table.js';

/** Every value present is found by probing from its home before an empty cell. */
function findValue(cells: Uint32Array, bits: number, hash: number, value: number): boolean {
  const mask = (1 << bits) - 1;
  for (let i = pairHome(hash, bits); cells[2 * i + 1] !== 0; i = (i + 1) & mask) if (cells[2 * i + 1] === value + 1) return true;
  return false;
}

describe('pair table', () => {
  it('finds every value after any placements and deletions, including wrapped probe runs and a regrow', () => {
    // Two hashes per home 13, 14, 15 and 0 on a 16-cell table: long, colliding runs that wrap past the last cell.
    const hashes: number[] = [];
    for (const home of [13, 14, 15, 0]) {
      for (let h = 0, found = 0; found < 2; h++) if (pairHome(h, 4) === home) (hashes.push(h), found++);
    }
    const op = fc.record({ remove: fc.boolean(), value: fc.nat({ max: 11 }), hash: fc.constantFrom(...hashes) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60, size: 'max' }), fc.boolean(), (ops, regrow) => {
        let bits = 4;
        let cells = new Uint32Array(2 << bits);
        const model = new Map<number, number>();
        for (const { remove, value, hash } of ops) {
          if (remove && model.has(value)) {
            deletePairAt(cells, bits, cellOfPair(cells, bits, model.get(value)!, value));
            model.delete(value);
          } else if (!remove && !model.has(value)) {
            placePair(cells, bits, hash, value);
            model.set(value, hash);
          }
        }
        if (regrow) cells = regrowPairs(cells, ++bits);
        for (let v = 0; v < 12; v++) expect(model.has(v) ? findValue(cells, bits, model.get(v)!, v) : false).toBe(model.has(v));
        let occupied = 0;
        for (let i = 1; i < cells.length; i += 2) if (cells[i] !== 0) occupied++;
        expect(occupied).toBe(model.size);
      }),
      { numRuns: 500 },
    );
  });
});
