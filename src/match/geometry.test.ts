import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbHash } from '../../test/helpers/hamming.js';
import { makeGeometry, substringOf } from './geometry.js';
import { packHash } from './packed.js';

/** Bits [start, start + len) of the hash, most significant bit first, read one bit at a time. */
function naiveBits(h: Uint8Array, start: number, len: number): number {
  let v = 0;
  for (let i = start; i < start + len; i++) v = v * 2 + ((h[i >> 3]! >> (7 - (i & 7))) & 1);
  return v;
}

describe('substring geometry', () => {
  it.each([8, 12, 13, 16, 19, 21, 22, 24, 32])('%i-bit substrings are consecutive bit ranges', (bits) => {
    const g = makeGeometry(bits);
    expect(g.tables).toBe(Math.floor(256 / bits));
    fc.assert(
      fc.property(arbHash, (h) => {
        const words = new Uint32Array(8);
        packHash(h, words, 0);
        for (let t = 0; t < g.tables; t++) {
          const expected = naiveBits(h, t * bits, bits);
          expect(substringOf(g, words, 0, t) >>> 0).toBe(expected);
        }
      }),
      { numRuns: 50 },
    );
  });
});
