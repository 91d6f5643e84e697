import { describe, expect, it } from 'vitest';
import type { RescanRecord } from './record.js';
import { renderTable } from './table.js';

const at = '2026-01-01T00:00:00.000Z';

describe('renderTable', () => {
  it('aligns one row per match, or per file without one', () => {
    const records: RescanRecord[] = [
      {
        file: 'a.jpg',
        kind: 'image',
        outcome: 'match',
        size: 1,
        scannedAt: at,
        matches: [
          { list: 'ncmec', entryId: 'e1', signal: 'md5', distance: 0 },
          { list: 'ncmec', entryId: 'e22', signal: 'pdq', distance: 12, transform: 'rot90' },
        ],
      },
      { file: 'video.mp4', kind: 'video', outcome: 'match', size: 1, scannedAt: at, matches: [{ list: 'l', entryId: 'e3', signal: 'pdq', distance: 7, transform: 'orig', frame: 30, timestamp: 3 }] },
      { file: 'flat.png', kind: 'image', outcome: 'unhashable', size: 1, scannedAt: at, reason: 'low_quality' },
      { file: 'bad.jpg', kind: 'image', outcome: 'error', size: 1, scannedAt: at, error: { code: 'DECODE_FAILED', message: 'nope' } },
    ];
    expect(renderTable(records)).toBe(
      [
        'FILE       VERDICT     LIST   ENTRY  DIST  WHERE',
        'a.jpg      match       ncmec  e1        0  md5',
        '                       ncmec  e22      12  pdq rot90',
        'video.mp4  match       l      e3        7  pdq frame 30 @ 3.0s',
        'flat.png   unhashable                      low_quality',
        'bad.jpg    error                           DECODE_FAILED: nope',
        '',
      ].join('\n'),
    );
  });

  it('neutralises terminal control characters in file names', () => {
    const out = renderTable([{ file: 'evil\x1b[2J\r.jpg', kind: 'image', outcome: 'no_match', size: 1, scannedAt: at }]);
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(out).toContain('evil\ufffd[2J\ufffd.jpg');
  });
});
