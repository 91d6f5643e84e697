import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBatch, forEachAdd, PackedAdds } from './batch.js';

const pair = fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.uint8Array({ minLength: 32, maxLength: 32 }));

/** What `forEachAdd` hands an index, as plain values. */
function added(batch: Parameters<typeof checkBatch>[0]): Array<[number, number[]]> {
  const out: Array<[number, number[]]> = [];
  forEachAdd(checkBatch(batch).adds, (id, bytes, from) => out.push([id, [...bytes.subarray(from, from + 32)]]));
  return out;
}

describe('checkBatch', () => {
  it('hands over every addition in order, from an array or from any other iterable (packed as it is read)', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 200, size: 'max' }), (pairs) => {
        const expected = pairs.map(([id, hash]): [number, number[]] => [id, [...hash]]);
        expect(added({ add: pairs })).toEqual(expected);
        expect(added({ add: (function* () { yield* pairs; })() })).toEqual(expected);
        expect(added({ add: new Set(pairs) })).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('reads packed additions in place, and any other reader iterates them as the same pairs', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 200, size: 'max' }), fc.nat({ max: 3 }), (pairs, spare) => {
        const expected = pairs.map(([id, hash]): [number, number[]] => [id, [...hash]]);
        // Spare room after the last pair, as the hash list leaves when some touched entries lost their PDQ.
        const ids = new Uint32Array(pairs.length + spare);
        const hashes = new Uint8Array((pairs.length + spare) * 32).fill(0xee);
        pairs.forEach(([id, hash], i) => {
          ids[i] = id;
          hashes.set(hash, i * 32);
        });
        const packed = new PackedAdds(ids, hashes, pairs.length);
        expect(added({ add: packed })).toEqual(expected);
        expect(checkBatch({ add: packed }).maxAddId).toBe(pairs.length === 0 ? -1 : Math.max(...pairs.map(([id]) => id)));
        expect([...packed].map(([id, hash]): [number, number[]] => [id, [...hash]])).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a packed count its arrays cannot hold', () => {
    expect(() => new PackedAdds(new Uint32Array(2), new Uint8Array(64), 3)).toThrow(RangeError);
    expect(() => new PackedAdds(new Uint32Array(3), new Uint8Array(64), 3)).toThrow(RangeError);
    expect(() => new PackedAdds(new Uint32Array(2), new Uint8Array(64), -1)).toThrow(RangeError);
    expect(new PackedAdds(new Uint32Array(3), new Uint8Array(96), 3).count).toBe(3);
  });

  it('reports the largest id added, and -1 with no additions', () => {
    expect(checkBatch({ add: (function* () { yield [7, new Uint8Array(32)] as const; yield [3, new Uint8Array(32)] as const; })() }).maxAddId).toBe(7);
    expect(checkBatch({ remove: [1, 2] }).maxAddId).toBe(-1);
  });

  it('names the bad pair of an iterable, however far in it is', () => {
    const bad = (function* () {
      for (let i = 0; i < 40; i++) yield [i, new Uint8Array(32)] as const;
      yield [40, new Uint8Array(31)] as const;
    })();
    expect(() => checkBatch({ add: bad })).toThrow(new RangeError('Expected `batch.add[40][1]` to be a Uint8Array of 32 bytes (a packed PDQ hash), got Uint8Array(31)'));
  });
});
