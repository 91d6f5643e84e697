import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESCAN_CSV_COLUMNS, csvCell, csvHeader, csvRow } from './csv.js';

/** A small RFC 4180 parser for one line, to check the writer round-trips. */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (line[q + 1] === '"') {
          value += line.slice(i, q + 1);
          i = q + 2;
        } else {
          value += line.slice(i, q);
          i = q + 1;
          break;
        }
      }
      cells.push(value);
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      cells.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return cells;
}

describe('csv', () => {
  it('round-trips any text that does not look like a formula', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s)), (s) => {
        expect(parseCsvLine(csvCell(s))).toEqual([s]);
      }),
    );
  });

  it('defuses spreadsheet formulas in file names', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('writes one row per record with the header column count', () => {
    const row = csvRow({
      file: 'dir/a, "b".jpg',
      kind: 'image',
      outcome: 'match',
      size: 10,
      listVersion: 4,
      matches: [
        { list: 'ncmec', entryId: 'e1', signal: 'md5', distance: 0 },
        { list: 'ncmec', entryId: 'e2', signal: 'pdq', distance: 9, transform: 'flipy' },
      ],
      scannedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(row.endsWith('\r\n')).toBe(true);
    const cells = parseCsvLine(row.slice(0, -2));
    expect(cells).toHaveLength(RESCAN_CSV_COLUMNS.length);
    expect(csvHeader().trim().split(',')).toEqual([...RESCAN_CSV_COLUMNS]);
    const get = (c: (typeof RESCAN_CSV_COLUMNS)[number]) => cells[RESCAN_CSV_COLUMNS.indexOf(c)];
    expect(get('file')).toBe('dir/a, "b".jpg');
    expect(get('entry_ids')).toBe('e1;e2');
    expect(get('best_distance')).toBe('0');
    expect(get('where')).toBe(';flipy');
  });
});
