import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHex } from '../hash/hex.js';
import { DigestIndex } from './digest-index.js';

const hex = (d: Uint8Array) => Buffer.from(d).toString('hex');

describe.each([16, 20, 32] as const)('DigestIndex(%i)', (bytes) => {
  it('property: lookups match a Map oracle under any add/remove sequence, with shared digests', () => {
    const pool = fc.sample(fc.uint8Array({ minLength: bytes, maxLength: bytes }), { numRuns: 6, seed: bytes });
    const digest = fc.oneof(fc.constantFrom(...pool), fc.uint8Array({ minLength: bytes, maxLength: bytes }));
    const id = fc.nat({ max: 40 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id, digest }),
      fc.record({ kind: fc.constant('remove' as const), id }),
      fc.record({ kind: fc.constant('reserve' as const), size: fc.nat({ max: 80 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200, size: 'max' }), (ops) => {
        const index = new DigestIndex(bytes);
        const oracle = new Map<number, string>();
        for (const o of ops) {
          if (o.kind === 'reserve') index.reserve(o.size);
          else if (o.kind === 'add') {
            index.add(o.id, o.digest);
            oracle.set(o.id, hex(o.digest));
          } else {
            expect(index.remove(o.id)).toBe(oracle.delete(o.id));
          }
          expect(index.size).toBe(oracle.size);
          expect(index.digestCount).toBe(new Set(oracle.values()).size);
        }
        for (const d of [...pool, ...ops.flatMap((o) => (o.kind === 'add' ? [o.digest] : []))]) {
          const expected = [...oracle].filter(([, h]) => h === hex(d)).map(([i]) => i).sort((x, y) => x - y);
          expect(index.lookup(d)).toEqual(expected);
        }
        for (const i of oracle.keys()) expect(index.has(i)).toBe(true);
        for (let i = 0; i <= 40; i++) {
          const got = index.digestOf(i);
          expect(got === undefined ? undefined : hex(got)).toBe(oracle.get(i));
        }
      }),
      { numRuns: 80 },
    );
  });

  it('reserve(n) sets room aside once: adding n ids with n distinct digests then regrows nothing', () => {
    const n = 5000;
    const index = new DigestIndex(bytes);
    index.add(0, new Uint8Array(bytes).fill(1)); // reserving keeps what is there
    const empty = index.memoryBytes();
    index.reserve(n);
    const reserved = index.memoryBytes();
    expect(reserved).toBeGreaterThan(empty + n * (bytes + 16)); // the digests' words and four arrays per id, at least
    const digest = new Uint8Array(bytes);
    for (let id = 1; id < n; id++) {
      new DataView(digest.buffer).setUint32(0, id);
      index.add(id, digest);
    }
    expect(index.size).toBe(n);
    expect(index.memoryBytes()).toBe(reserved);
    expect(index.lookup(new Uint8Array(bytes).fill(1))).toEqual([0]);
    expect(index.lookup(digest)).toEqual([n - 1]);
    index.reserve(10); // never shrinks
    expect(index.memoryBytes()).toBe(reserved);
    expect(() => index.reserve(-1)).toThrow(new RangeError('Expected `size` to be an integer from 0 to 4294967295, got -1'));
    expect(() => index.reserve(1.5)).toThrow(RangeError);
    expect(() => index.reserve('9' as unknown as number)).toThrow(new TypeError('Expected `size` to be an integer from 0 to 4294967295, got "9"'));
  });

  it('keeps thousands of ids on one digest with O(1) removal from the middle', () => {
    const index = new DigestIndex(bytes);
    const d = new Uint8Array(bytes).fill(7);
    for (let i = 0; i < 5000; i++) index.add(i, d);
    for (let i = 1000; i < 4000; i++) index.remove(i);
    const ids = index.lookup(d);
    expect(ids.length).toBe(2000);
    expect(ids[999]).toBe(999);
    expect(ids[1000]).toBe(4000);
    expect(index.digestCount).toBe(1);
    index.clear();
    expect(index.lookup(d)).toEqual([]);
    expect(index.memoryBytes()).toBeGreaterThan(0);
  });

  it('validates digests and ids', () => {
    const index = new DigestIndex(bytes);
    expect(() => index.add(1, new Uint8Array(bytes + 1))).toThrow(RangeError);
    expect(() => index.lookup('00'.repeat(bytes) as never)).toThrow(TypeError);
    expect(() => index.add(-1, new Uint8Array(bytes))).toThrow(RangeError);
    expect(index.size).toBe(0);
  });
});

describe('DigestIndex', () => {
  it('works with parsed MD5 hex and rejects other sizes', () => {
    const md5 = new DigestIndex(16);
    const empty = parseHex('md5', 'd41d8cd98f00b204e9800998ecf8427e');
    md5.add(9, empty);
    md5.add(1, empty);
    expect(md5.lookup(parseHex('md5', 'D41D8CD98F00B204E9800998ECF8427E'))).toEqual([1, 9]);
    expect(() => new DigestIndex(24 as never)).toThrow(new RangeError('Expected `bytes` to be 16, 20 or 32, got 24'));
    expect(() => md5.add(2, parseHex('sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'))).toThrow(
      new RangeError('Expected `digest` to be a Uint8Array of 16 bytes (an MD5 digest), got Uint8Array(20)'),
    );
  });
});
