import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Digester, digestBytes } from './digest.js';

describe('digests', () => {
  it('match the published test vectors (RFC 1321, FIPS 180)', () => {
    expect(digestBytes(new Uint8Array(0))).toEqual({
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(digestBytes(new TextEncoder().encode('abc'))).toEqual({
      md5: '900150983cd24fb0d6963f7d28e17f72',
      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('give the same result however the input is chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000, size: 'max' }), fc.array(fc.nat(2000), { maxLength: 64, size: 'max' }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const d = new Digester();
        let start = 0;
        for (const p of [...points, data.length]) {
          d.update(data.subarray(start, p));
          start = p;
        }
        expect(d.digest()).toEqual(digestBytes(data));
      }),
      { numRuns: 50 },
    );
  });
});
