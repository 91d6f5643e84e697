/**
 * A self-contained HTML report of a rescan for the people who review results: counts, every match with its list
 * entry id and distance, a distance histogram, and the files that could not be judged.
 *
 * It never embeds or links the media (reviewers open matches through the platform's own access-controlled
 * tooling), loads nothing external, and a Content-Security-Policy forbids scripts, so a hostile file name cannot
 * run code even if it slipped past escaping.
 *
 * @module
 */
import { escapeHtml } from './escape.js';
import { histogram, histogramSvg } from './histogram.js';
import type { RescanRecord } from '../rescan/record.js';
import { countRecords } from '../rescan/summary.js';

/** Input of {@link renderHtmlReport}. */
export interface HtmlReportInput {
  /** One record per file (the latest one). */
  records: readonly RescanRecord[];
  /** Heading. @default 'tidscan rescan report' */
  title?: string;
  /** @default now */
  generatedAt?: Date;
  /** False when the rescan was interrupted: the report says so. @default true */
  complete?: boolean;
  /** The histogram spans 0..max(this, largest distance seen). @default 31 */
  maxDistance?: number;
  /** Extra lines for the header (inputs, checkpoint path, ...). */
  notes?: readonly string[];
  /** Rows shown per table before "... and N more". @default 5000 */
  maxRows?: number;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d1d1f;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.warn{background:#fff4e5;border:1px solid #f0b45b;padding:.5em 1em}
.match{color:#b3261e;font-weight:600}.muted{color:#666}
`;

function table(headers: readonly string[], rows: readonly string[][], maxRows: number, numeric: ReadonlySet<number> = new Set()): string {
  const shown = rows.slice(0, maxRows);
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = shown
    .map((cells) => `<tr>${cells.map((c, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  const more =
    rows.length > shown.length
      ? `<p class="muted">... and ${rows.length - shown.length} more rows (see the NDJSON/CSV output).</p>`
      : '';
  return `<table>\n${head}\n${body}\n</table>${more}`;
}

function where(m: NonNullable<RescanRecord['matches']>[number]): string {
  const parts: string[] = [];
  if (m.transform !== undefined && m.transform !== 'orig') parts.push(`transform ${m.transform}`);
  if (m.frame !== undefined) parts.push(`frame ${m.frame} @ ${m.timestamp?.toFixed(1) ?? '?'} s`);
  if (m.queryPercent !== undefined) {
    parts.push(`query ${m.queryPercent.toFixed(1)}% / entry ${m.targetPercent?.toFixed(1) ?? '?'}%`);
  }
  return escapeHtml(parts.join(', '));
}

/** Renders the report as one HTML document (UTF-8). Counts are computed from `records`. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { records, title = 'tidscan rescan report', generatedAt = new Date(), complete = true, notes = [] } = input;
  const maxRows = input.maxRows ?? 5000;
  const counts = countRecords(records);
  const matchRows: Array<{ record: RescanRecord; m: NonNullable<RescanRecord['matches']>[number] }> = [];
  for (const record of records) for (const m of record.matches ?? []) matchRows.push({ record, m });
  matchRows.sort((a, b) => a.m.distance - b.m.distance || (a.record.file < b.record.file ? -1 : a.record.file > b.record.file ? 1 : 0));
  const distances = matchRows.map((r) => r.m.distance);
  const maxDistance = Math.max(input.maxDistance ?? 31, ...distances);
  const versions = [...new Set(records.map((r) => r.listVersion).filter((v): v is number => v !== undefined))].sort(
    (a, b) => a - b,
  );
  const pct = (n: number) => (counts.files === 0 ? '' : `${((100 * n) / counts.files).toFixed(1)}%`);

  const byList = new Map<string, { entries: Set<string>; files: Set<string> }>();
  for (const { record, m } of matchRows) {
    const slot = byList.get(m.list) ?? { entries: new Set(), files: new Set() };
    slot.entries.add(m.entryId);
    slot.files.add(record.file);
    byList.set(m.list, slot);
  }

  const sections: string[] = [];
  const outcomeRow = (outcome: keyof typeof counts, label: string) =>
    `<tr><td>${label}</td><td class="n" data-outcome="${outcome}">${counts[outcome]}</td>` +
    `<td class="n">${outcome === 'files' ? '' : pct(counts[outcome])}</td></tr>`;
  sections.push(
    [
      '<table id="counts">',
      '<tr><th>Outcome</th><th>Files</th><th>Share</th></tr>',
      outcomeRow('match', '<span class="match">match</span>'),
      outcomeRow('no_match', 'no_match'),
      outcomeRow('unhashable', 'unhashable'),
      outcomeRow('error', 'error'),
      outcomeRow('files', '<strong>total</strong>'),
      '</table>',
    ].join('\n'),
  );
  if (byList.size > 0) {
    sections.push('<h2>Matches by list</h2>');
    sections.push(
      table(
        ['List', 'Files matched', 'Distinct entries'],
        [...byList].map(([list, s]) => [escapeHtml(list), String(s.files.size), String(s.entries.size)]),
        maxRows,
        new Set([1, 2]),
      ),
    );
  }
  sections.push(`<h2>Matches (${matchRows.length} in ${counts.match} files)</h2>`);
  if (matchRows.length === 0) {
    sections.push('<p>No file matched.</p>');
  } else {
    sections.push(
      table(
        ['File', 'List', 'Entry id', 'Signal', 'Distance', 'Where', 'Classification', 'List version'],
        matchRows.map(({ record, m }) => [
          `<span class="mono">${escapeHtml(record.file)}</span>`,
          escapeHtml(m.list),
          `<span class="mono">${escapeHtml(m.entryId)}</span>`,
          escapeHtml(m.signal),
          String(m.distance),
          where(m),
          escapeHtml(m.classification ?? ''),
          escapeHtml(record.listVersion ?? ''),
        ]),
        maxRows,
        new Set([4, 7]),
      ),
    );
    sections.push('<h2>Distance histogram</h2>');
    sections.push('<p class="muted">One count per match; exact digest matches are at 0.</p>');
    sections.push(histogramSvg(histogram(distances, maxDistance)));
  }
  const unhashable = records.filter((r) => r.outcome === 'unhashable');
  sections.push(`<h2>Unhashable (${unhashable.length})</h2>`);
  sections.push(
    unhashable.length === 0
      ? '<p>None.</p>'
      : '<p class="muted">Not judged perceptually and no exact digest matched: route these as your policy routes unscannable uploads.</p>' +
          table(
            ['File', 'Reason', 'Detail'],
            unhashable.map((r) => [`<span class="mono">${escapeHtml(r.file)}</span>`, escapeHtml(r.reason), escapeHtml(r.message)]),
            maxRows,
          ),
  );
  const errors = records.filter((r) => r.outcome === 'error');
  sections.push(`<h2>Errors (${errors.length})</h2>`);
  sections.push(
    errors.length === 0
      ? '<p>None.</p>'
      : table(
          ['File', 'Code', 'Message'],
          errors.map((r) => [
            `<span class="mono">${escapeHtml(r.file)}</span>`,
            `<code>${escapeHtml(r.error?.code)}</code>`,
            escapeHtml(r.error?.message),
          ]),
          maxRows,
        ),
  );

  const header = [
    `<p>Generated ${escapeHtml(generatedAt.toISOString())}. List version${versions.length === 1 ? '' : 's'}: ${
      versions.length === 0 ? 'n/a' : escapeHtml(versions.join(', '))
    }.</p>`,
    ...notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`),
    complete
      ? ''
      : '<p class="warn">This rescan was interrupted: the report covers only the files finished so far. Rerun the same command to resume.</p>',
    '<p class="muted">This report contains file names, hashes and list entry ids, never the media. Handle it as sensitive.</p>',
  ];

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    ...header,
    '<h2>Summary</h2>',
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
