/**
 * The demo's verdict table and its expectation check (what each demo file should get).
 *
 * @module
 */
import type { RescanRecord } from '../../src/rescan/record.js';
import type { DemoFile } from './demo-media.js';

/** True when `record` is the verdict the demo expects for `file`. */
export function checkExpectation(record: RescanRecord, file: DemoFile | undefined, idsByFile: Record<string, string>): boolean {
  if (!file) return false;
  const ids = new Set((record.matches ?? []).map((m) => m.entryId));
  switch (file.role) {
    case 'listed':
      return record.outcome === 'match' && ids.has(idsByFile[file.file]!);
    case 'edited':
      return record.outcome === 'match' && ids.has(idsByFile[file.of!]!);
    case 'listed-video':
      return record.outcome === 'match' && ids.has(idsByFile[file.file]!) && ids.has(`platform-${idsByFile[file.file]!}`);
    case 'reencoded-listed':
      return record.outcome === 'match' && ids.has(`platform-${idsByFile[file.of!]!}`);
    case 'contains-listed': {
      const hit = record.matches?.find((m) => m.entryId === idsByFile[file.of!]);
      return record.outcome === 'match' && hit?.timestamp !== undefined && hit.timestamp >= 3 && hit.timestamp < 6;
    }
    case 'unrelated':
      return record.outcome === 'no_match';
    case 'flat':
      return record.outcome === 'unhashable';
  }
}

function where(m: NonNullable<RescanRecord['matches']>[number]): string {
  const parts: string[] = [m.signal];
  if (m.transform !== undefined && m.transform !== 'orig') parts.push(m.transform);
  if (m.frame !== undefined) parts.push(`frame ${m.frame} @ ${m.timestamp?.toFixed(1) ?? '?'}s`);
  if (m.queryPercent !== undefined) parts.push(`${m.queryPercent.toFixed(0)}% of frames`);
  return parts.join(' ');
}

/** The table: one row per match (or per file without one), with the expectation and a check mark. */
export function renderDemoTable(rows: Array<{ record: RescanRecord; file: DemoFile | undefined; ok: boolean }>): string {
  const header = ['FILE', 'EXPECTED', 'VERDICT', 'ENTRY', 'DIST', 'HOW', ''];
  const lines: string[][] = [header];
  for (const { record, file, ok } of rows) {
    const mark = ok ? 'ok' : 'UNEXPECTED';
    const matches = record.matches ?? [];
    if (matches.length === 0) {
      const how = record.outcome === 'unhashable' ? (record.reason ?? '') : record.outcome === 'error' ? (record.error?.code ?? '') : '';
      lines.push([record.file, file?.expect ?? '?', record.outcome, '', '', how, mark]);
      continue;
    }
    matches.forEach((m, i) => {
      lines.push([
        i === 0 ? record.file : '',
        i === 0 ? (file?.expect ?? '?') : '',
        i === 0 ? record.outcome : '',
        `${m.list}:${m.entryId}`,
        String(m.distance),
        where(m),
        i === 0 ? mark : '',
      ]);
    });
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  return lines
    .map((l) =>
      l
        .map((cell, c) => (c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((l) => `   ${l}`)
    .join('\n');
}
