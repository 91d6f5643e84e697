import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { decodeHexInto, hammingDistance, hexDistance, isHexOfLength, isLowerHexOfLength, parseHex, parsePdq, toHex } from './hex.js';

const pdqBytes = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('hex hashes', () => {
  it('round-trips any 32 bytes through lowercase hex', () => {
    fc.assert(
      fc.property(pdqBytes, (b) => {
        const hex = toHex(b);
        expect(hex).toMatch(/^[0-9a-f]{64}$/);
        expect(parsePdq(hex)).toEqual(b);
        expect(parsePdq(hex.toUpperCase())).toEqual(b);
      }),
    );
  });

  it('rejects wrong lengths and non-hex with INVALID_HASH', () => {
    for (const bad of ['', 'abc', 'g'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), ' ' + 'a'.repeat(63), 42, null]) {
      let caught: unknown;
      try {
        parsePdq(bad);
      } catch (e) {
        caught = e;
      }
      expect(isTidscanError(caught)).toBe(true);
      expect((caught as { code: string }).code).toBe('INVALID_HASH');
    }
    expect(() => parseHex('md5', 'a'.repeat(40))).toThrow(/md5 hash of 32 hex/);
  });

  it('decodeHexInto writes what parseHex returns, at the offset, and throws what parseHex throws', () => {
    const kindArb = fc.constantFrom('pdq', 'md5', 'sha1', 'sha256') as fc.Arbitrary<'pdq' | 'md5' | 'sha1' | 'sha256'>;
    fc.assert(
      fc.property(kindArb, fc.string({ maxLength: 70 }), pdqBytes, fc.nat(5), (kind, junk, bytes, offset) => {
        const hex = toHex(bytes).slice(0, { pdq: 64, md5: 32, sha1: 40, sha256: 64 }[kind]);
        for (const value of [hex, hex.toUpperCase(), junk]) {
          const out = new Uint8Array(offset + 40).fill(7);
          let expected: Uint8Array | Error;
          try {
            expected = parseHex(kind, value);
          } catch (err) {
            expected = err as Error;
          }
          if (expected instanceof Error) {
            expect(() => decodeHexInto(kind, value, out, offset)).toThrow(expected.message);
          } else {
            decodeHexInto(kind, value, out, offset);
            expect(out.subarray(offset, offset + expected.length)).toEqual(expected);
            expect([...out.subarray(0, offset)].every((b) => b === 7)).toBe(true);
            expect([...out.subarray(offset + expected.length)].every((b) => b === 7)).toBe(true);
          }
        }
      }),
    );
  });

  it('distance is symmetric, zero iff equal, and obeys the triangle inequality', () => {
    fc.assert(
      fc.property(pdqBytes, pdqBytes, pdqBytes, (a, b, c) => {
        expect(hammingDistance(a, b)).toBe(hammingDistance(b, a));
        expect(hammingDistance(a, b) === 0).toBe(toHex(a) === toHex(b));
        expect(hammingDistance(a, c)).toBeLessThanOrEqual(hammingDistance(a, b) + hammingDistance(b, c));
      }),
    );
  });

  it('counts bits like a naive per-bit loop', () => {
    fc.assert(
      fc.property(pdqBytes, pdqBytes, (a, b) => {
        let naive = 0;
        for (let i = 0; i < 256; i++) naive += ((a[i >> 3]! >> (i & 7)) & 1) ^ ((b[i >> 3]! >> (i & 7)) & 1);
        expect(hammingDistance(a, b)).toBe(naive);
      }),
    );
  });

  it('measures the documented reference distance between full-res and CLI-512 bridge hashes (6 bits)', () => {
    expect(
      hexDistance(
        'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22',
        'd8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22',
      ),
    ).toBe(6);
  });
});

describe('isLowerHexOfLength', () => {
  it('accepts exactly the strings isHexOfLength accepts that are already lowercase', () => {
    const text = fc.oneof(fc.string({ maxLength: 10 }), fc.stringMatching(/^[0-9a-fA-F]{8}$/), fc.stringMatching(/^[0-9a-f]{8}$/));
    fc.assert(
      fc.property(text, (s) => {
        expect(isLowerHexOfLength(s, 4)).toBe(isHexOfLength(s, 4) && s === s.toLowerCase());
      }),
    );
    expect(isLowerHexOfLength(42, 4)).toBe(false);
  });
});
