import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8ChunkDecoder, endsInsideSequence } from './xml-utf8.js';

/** What `decoder` returns for each chunk and at the end, up to the call that throws (then 'error'). */
function decodeEach(chunks: readonly Uint8Array[], decoder: { decode(c: Uint8Array): string; end(): string }): string[] {
  const out: string[] = [];
  try {
    for (const chunk of chunks) out.push(decoder.decode(chunk));
    out.push(decoder.end());
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    out.push('error');
  }
  return out;
}

const decodeAll = (chunks: readonly Uint8Array[], decoder: Utf8ChunkDecoder) => decodeEach(chunks, decoder).join('');

/** The reference: TextDecoder, fatal, fed with { stream: true }. */
function reference(): { decode(c: Uint8Array): string; end(): string } {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return { decode: (c) => decoder.decode(c, { stream: true }), end: () => decoder.decode() };
}

function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((p, i) => bytes.subarray(p, points[i] ?? bytes.length));
}

const BOM = [0xef, 0xbb, 0xbf];
const pieces = fc.array(
  fc.oneof(
    fc.string({ maxLength: 20 }).map((s) => [...Buffer.from(s, 'utf8')]),
    fc.string({ unit: 'grapheme', maxLength: 5 }).map((s) => [...Buffer.from(s, 'utf8')]),
    fc.constant(BOM),
    fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 3 }), // stray or truncated sequence bytes
  ),
  { maxLength: 12 },
);

describe('Utf8ChunkDecoder', () => {
  it('returns what a fatal streaming TextDecoder returns for each chunk, and fails at the same chunk (BOM and bad bytes included)', () => {
    fc.assert(
      fc.property(pieces, fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const chunks = split(Uint8Array.from(parts.flat()), cuts);
        expect(decodeEach(chunks, new Utf8ChunkDecoder())).toEqual(decodeEach(chunks, reference()));
      }),
      { numRuns: 2000 },
    );
  });

  it('drops a byte-order mark only at the very start, also when it arrives after ASCII chunks elsewhere', () => {
    const bom = Uint8Array.from(BOM);
    expect(decodeAll([bom, Buffer.from('<a/>')], new Utf8ChunkDecoder())).toBe('<a/>');
    expect(decodeAll([bom.subarray(0, 1), bom.subarray(1), Buffer.from('x')], new Utf8ChunkDecoder())).toBe('x');
    expect(decodeAll([Buffer.from('<a>'), bom, Buffer.from('</a>')], new Utf8ChunkDecoder())).toBe('<a>\ufeff</a>');
  });

  it('accepts plain Uint8Array chunks, not only Buffers', () => {
    expect(decodeAll([new TextEncoder().encode('abc'), new TextEncoder().encode('é')], new Utf8ChunkDecoder())).toBe('abcé');
  });

  it('knows when bytes may end inside a multi-byte sequence', () => {
    const cases: Array<[number[], boolean]> = [
      [[0x41], false],
      [[0xc3, 0xa9], false],
      [[0xc3], true],
      [[0xe2, 0x82], true],
      [[0xe2, 0x82, 0xac], false],
      [[0xf0, 0x9f, 0x98], true],
      [[0xf0, 0x9f, 0x98, 0x80], false],
      [[0x98, 0x80], true], // continuation bytes only: the sequence began in an earlier chunk
      [[], true],
    ];
    for (const [bytes, expected] of cases) expect(endsInsideSequence(Uint8Array.from(bytes))).toBe(expected);
  });
});
