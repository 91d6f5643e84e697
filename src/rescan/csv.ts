/**
 * CSV rendering of rescan records (RFC 4180 quoting). Cells that a spreadsheet would run as a formula (starting
 * with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`, because file names come from uploaders and reviewers open
 * these files in spreadsheets.
 *
 * @module
 */
import { bestDistance, type RescanRecord } from './record.js';

/** Column names, in order. */
export const RESCAN_CSV_COLUMNS = [
  'file',
  'outcome',
  'list_version',
  'lists',
  'entry_ids',
  'signals',
  'best_distance',
  'where',
  'reason',
  'error_code',
  'error_message',
  'sha256',
  'pdq',
  'quality',
  'scanned_at',
] as const;

/** One CSV cell, quoted when needed and defused against formula injection. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header line (with CRLF). */
export function csvHeader(): string {
  return RESCAN_CSV_COLUMNS.join(',') + '\r\n';
}

/** One record as a CSV line (with CRLF). Several matches are joined with `;` in the same column order. */
export function csvRow(r: RescanRecord): string {
  const matches = r.matches ?? [];
  const where = matches.map((m) =>
    m.frame !== undefined ? `t=${m.timestamp ?? '?'}s` : m.transform && m.transform !== 'orig' ? m.transform : '',
  );
  const cells = [
    r.file,
    r.outcome,
    r.listVersion,
    matches.map((m) => m.list).join(';'),
    matches.map((m) => m.entryId).join(';'),
    matches.map((m) => m.signal).join(';'),
    bestDistance(r),
    where.some((w) => w !== '') ? where.join(';') : '',
    r.reason,
    r.error?.code,
    r.error?.message,
    r.sha256,
    r.pdq,
    r.quality,
    r.scannedAt,
  ];
  return cells.map(csvCell).join(',') + '\r\n';
}
