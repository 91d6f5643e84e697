import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RescanRecord } from '../rescan/record.js';
import { escapeHtml } from './escape.js';
import { histogram } from './histogram.js';
import { renderHtmlReport } from './html.js';

const at = '2026-01-01T00:00:00.000Z';

function record(file: string, outcome: RescanRecord['outcome'], extra: Partial<RescanRecord> = {}): RescanRecord {
  return { file, kind: 'image', outcome, size: 1, scannedAt: at, listVersion: 3, ...extra };
}

function countsOf(html: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of html.matchAll(/data-outcome="(\w+)">(\d+)</g)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('escapeHtml', () => {
  it('leaves no markup-significant character in any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(escapeHtml(s)).not.toMatch(/[<>"'`]/);
        // Every & starts an entity we produced.
        expect(escapeHtml(s).replace(/&(amp|lt|gt|quot|#39|#96);/g, '')).not.toContain('&');
      }),
    );
  });
});

describe('histogram', () => {
  it('puts every value in exactly one bin', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 256 })), fc.integer({ min: 0, max: 64 }), (values, max) => {
        const bins = histogram(values, max);
        expect(bins).toHaveLength(max + 1);
        expect(bins.reduce((a, b) => a + b, 0)).toBe(values.length);
      }),
    );
  });
});

describe('renderHtmlReport', () => {
  const records: RescanRecord[] = [
    record('a.jpg', 'match', {
      matches: [{ list: 'ncmec', entryId: 'tid-1', signal: 'pdq', distance: 7, transform: 'rot90' }],
    }),
    record('v.mp4', 'match', {
      kind: 'video',
      matches: [{ list: 'ncmec', entryId: 'tid-2', signal: 'pdq', distance: 12, transform: 'orig', frame: 30, timestamp: 3 }],
    }),
    record('b.jpg', 'no_match'),
    record('c.png', 'unhashable', { reason: 'low_quality', message: 'quality 0 < 50' }),
    record('d.jpg', 'error', { error: { code: 'DECODE_FAILED', message: 'bad' }, listVersion: undefined }),
  ];

  it('counts outcomes from the records it is given', () => {
    const html = renderHtmlReport({ records });
    expect(countsOf(html)).toEqual({ match: 2, no_match: 1, unhashable: 1, error: 1, files: 5 });
  });

  it('lists every match with entry id, distance and where it matched', () => {
    const html = renderHtmlReport({ records });
    expect(html).toContain('tid-1');
    expect(html).toContain('transform rot90');
    expect(html).toContain('frame 30 @ 3.0 s');
    expect(html).toContain('<svg');
    expect(html).toContain('distance 7: 1');
  });

  it('escapes hostile file names, entry ids and messages, and forbids scripts', () => {
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    const html = renderHtmlReport({
      records: [
        record(`${evil}.jpg`, 'match', { matches: [{ list: evil, entryId: evil, signal: 'md5', distance: 0 }] }),
        record('e.jpg', 'error', { error: { code: evil, message: evil } }),
      ],
      title: evil,
      notes: [evil],
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('never references external resources', () => {
    const html = renderHtmlReport({ records });
    expect(html).not.toMatch(/(src|href)=/i);
  });

  it('says when the rescan was interrupted', () => {
    expect(renderHtmlReport({ records, complete: false })).toContain('interrupted');
    expect(renderHtmlReport({ records })).not.toContain('interrupted');
  });

  it('caps long tables and says how many rows were left out', () => {
    const many = Array.from({ length: 12 }, (_, i) => record(`u${i}.png`, 'unhashable', { reason: 'low_quality' }));
    const html = renderHtmlReport({ records: many, maxRows: 10 });
    expect(html).toContain('... and 2 more rows');
    expect(countsOf(html).unhashable).toBe(12);
  });
});
