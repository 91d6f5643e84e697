/**
 * The plain-text verdict table of `tidscan match --format table` and the demo: one row per match, or one row per
 * file without a match.
 *
 * @module
 */
import type { RescanRecord } from './record.js';

const HEADERS = ['FILE', 'VERDICT', 'LIST', 'ENTRY', 'DIST', 'WHERE'] as const;

function where(record: RescanRecord, m?: NonNullable<RescanRecord['matches']>[number]): string {
  if (record.outcome === 'error') return `${record.error?.code ?? ''}: ${record.error?.message ?? ''}`;
  if (record.outcome === 'unhashable') return record.reason ?? '';
  if (!m) return '';
  const parts: string[] = [m.signal];
  if (m.transform !== undefined && m.transform !== 'orig') parts.push(m.transform);
  if (m.frame !== undefined) parts.push(`frame ${m.frame} @ ${m.timestamp?.toFixed(1) ?? '?'}s`);
  if (m.queryPercent !== undefined) parts.push(`${m.queryPercent.toFixed(0)}% of frames`);
  return parts.join(' ');
}

/** Rows of cells (without the header). */
export function tableRows(records: readonly RescanRecord[]): string[][] {
  const rows: string[][] = [];
  for (const r of records) {
    if (r.matches?.length) {
      r.matches.forEach((m, i) => {
        rows.push([i === 0 ? r.file : '', i === 0 ? r.outcome : '', m.list, m.entryId, String(m.distance), where(r, m)]);
      });
    } else {
      rows.push([r.file, r.outcome, '', '', '', where(r)]);
    }
  }
  return rows;
}

/** Control characters (from hostile file names) would rewrite the terminal; show them as U+FFFD. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
}

/** The aligned table, header included, ending with a newline. */
export function renderTable(records: readonly RescanRecord[]): string {
  const rows = [[...HEADERS], ...tableRows(records)].map((cells) => cells.map(printable));
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, c) => (c === row.length - 1 ? cell : c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
