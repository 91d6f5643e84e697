import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { splitLines } from './text-lines.js';

async function* chunked(text: string, cuts: number[]): AsyncGenerator<string> {
  let start = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
    yield text.slice(start, cut);
    start = cut;
  }
  yield text.slice(start);
}
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const quote = (s: string) => (/[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s);
const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') });

describe('parseCsv', () => {
  it('parses any table written with RFC 4180 quoting, at any chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        async (table, cuts, crlf) => {
          const text = table.map((row) => row.map(quote).join(',')).join(crlf ? '\r\n' : '\n');
          const rows = await all(parseCsv(chunked(text, cuts), 1 << 20));
          expect(rows.map((r) => r.fields)).toEqual(table);
          expect(rows.every((r) => r.error === undefined)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports the starting line of each row and flags malformed quoting', async () => {
    const rows = await all(parseCsv(chunked('a,"x\ny"\n\nb,c"d\ne,"open', []), 1000));
    expect(rows.map((r) => [r.line, r.fields, r.error])).toEqual([
      [1, ['a', 'x\ny'], undefined],
      [4, ['b', 'c"d'], 'unexpected quote inside an unquoted field (column 2)'],
      [5, ['e', 'open'], 'unterminated quoted field at end of input'],
    ]);
  });

  it('refuses a field larger than the limit', async () => {
    await expect(all(parseCsv(chunked('"' + 'x'.repeat(100), [10, 50]), 20))).rejects.toThrow(RangeError);
  });
});

describe('splitLines', () => {
  it('yields the same lines at any chunk boundaries, LF or CRLF', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom('a', 'é', ' ', '{') }), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 5 }), fc.boolean(), async (lines, cuts, crlf) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        const got = await all(splitLines(chunked(text, cuts), 1 << 20));
        // A final newline ends the last line rather than starting an empty one.
        const expected = text === '' ? [] : lines.at(-1) === '' ? lines.slice(0, -1) : lines;
        expect(got.map((l) => l.line)).toEqual(expected);
        expect(got.map((l) => l.number)).toEqual(expected.map((_, i) => i + 1));
      }),
      { numRuns: 200 },
    );
  });
});
