import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../errors.js';
import type { Verdict } from '../scanner/types.js';
import { collectTargets } from './inputs.js';
import { RescanLedger } from './ledger.js';
import { runRescan, type RescanProgress, type RescanScanner } from './rescan.js';

/**
 * A scanner stand-in that judges by file name, so the engine's bookkeeping (skip, resume, since-version, abort)
 * can be tested exactly. The real scanner is exercised by test/integration/rescan-*.test.ts.
 */
class NameScanner implements RescanScanner {
  listVersion = 1;
  calls: string[] = [];
  async matchImage(file: string): Promise<Verdict> {
    this.calls.push(path.basename(file));
    await new Promise((r) => setTimeout(r, 1));
    const base = { operation: 'image' as const, hashes: { sha256: 'ab'.repeat(32) }, listVersion: this.listVersion, excluded: [] };
    const timing = { totalMs: 1, hashMs: 1, matchMs: 0, cached: false };
    if (file.includes('broken')) throw new MediaError('DECODE_FAILED', 'cannot decode');
    if (file.includes('hit')) {
      return {
        ...base,
        timing,
        kind: 'match',
        matches: [{ list: 'l', entryId: 'e1', entryKind: 'image', signal: 'pdq', distance: 4, transform: 'orig' }],
      };
    }
    if (file.includes('flat')) return { ...base, timing, kind: 'unhashable', reason: 'low_quality', message: 'q 0' };
    return { ...base, timing, kind: 'no_match' };
  }
  matchVideo(file: string): Promise<Verdict> {
    return this.matchImage(file);
  }
}

async function setup(names: string[]) {
  const root = mkdtempSync(path.join(tmpdir(), 'tidscan-rescan-'));
  for (const n of names) writeFileSync(path.join(root, n), n);
  const { targets } = await collectTargets({ dirs: ['.'] }, root);
  return { root, targets, ledgerFile: path.join(root, '.ckpt', 'ledger.json') };
}

const names = ['a-hit.jpg', 'b.jpg', 'c-flat.png', 'd-broken.jpg', 'e.jpg', 'f.jpg'];

describe('runRescan', () => {
  it('judges every file once and counts outcomes', async () => {
    const { targets, ledgerFile } = await setup(names);
    const scanner = new NameScanner();
    const seen: string[] = [];
    const progress: RescanProgress[] = [];
    const result = await runRescan({
      scanner,
      targets,
      ledger: RescanLedger.open(ledgerFile),
      concurrency: 3,
      onRecord: (r) => seen.push(r.file),
      onProgress: (p) => progress.push(p),
    });
    expect(result.complete).toBe(true);
    expect(result.counts).toEqual({ files: 6, match: 1, no_match: 3, unhashable: 1, error: 1 });
    expect(seen.sort()).toEqual([...names].sort());
    expect(scanner.calls.sort()).toEqual([...names].sort());
    expect(result.records.map((r) => r.file)).toEqual(names);
    expect(result.records.find((r) => r.file === 'd-broken.jpg')?.error?.code).toBe('DECODE_FAILED');
    expect(progress.at(-1)).toMatchObject({ done: 6, total: 6, scanned: 6, skipped: 0 });
  });

  it('resumes: skips recorded files, retries errors, rescans changed files', async () => {
    const { root, targets, ledgerFile } = await setup(names);
    await runRescan({ scanner: new NameScanner(), targets, ledger: RescanLedger.open(ledgerFile) });
    writeFileSync(path.join(root, 'e.jpg'), 'changed content');
    utimesSync(path.join(root, 'e.jpg'), new Date(), new Date(Date.now() + 5000));
    const again = new NameScanner();
    const result = await runRescan({ scanner: again, targets, ledger: RescanLedger.open(ledgerFile) });
    expect(again.calls.sort()).toEqual(['d-broken.jpg', 'e.jpg']);
    expect(result).toMatchObject({ skipped: 4, scanned: 2, complete: true });
    expect(result.counts).toEqual({ files: 6, match: 1, no_match: 3, unhashable: 1, error: 1 });
  });

  it('with sinceVersion rescans only what was judged against an older list version', async () => {
    const { targets, ledgerFile } = await setup(names);
    const v1 = new NameScanner();
    await runRescan({ scanner: v1, targets: targets.slice(0, 3), ledger: RescanLedger.open(ledgerFile) });
    const v2 = new NameScanner();
    v2.listVersion = 2;
    await runRescan({ scanner: v2, targets: targets.slice(3), ledger: RescanLedger.open(ledgerFile) });
    const v3 = new NameScanner();
    v3.listVersion = 2;
    const result = await runRescan({ scanner: v3, targets, ledger: RescanLedger.open(ledgerFile), sinceVersion: 2 });
    // The three judged at version 1 and the broken one (errors are always retried).
    expect(v3.calls.sort()).toEqual(['a-hit.jpg', 'b.jpg', 'c-flat.png', 'd-broken.jpg']);
    expect(result.records.every((r) => r.outcome === 'error' || r.listVersion === 2)).toBe(true);
  });

  it('stops starting files when aborted and records only finished ones', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}.jpg`);
    const { targets, ledgerFile } = await setup(many);
    const controller = new AbortController();
    let recorded = 0;
    const ledger = RescanLedger.open(ledgerFile);
    const result = await runRescan({
      scanner: new NameScanner(),
      targets,
      ledger,
      concurrency: 2,
      signal: controller.signal,
      onRecord: () => {
        if (++recorded === 10) controller.abort();
      },
    });
    expect(result.complete).toBe(false);
    expect(result.scanned).toBeGreaterThanOrEqual(10);
    expect(result.scanned).toBeLessThan(40);
    expect(RescanLedger.open(ledgerFile).size).toBe(result.scanned);
    expect(result.records).toHaveLength(result.scanned);
  });

  it('validates options eagerly', async () => {
    const { targets, ledgerFile } = await setup(['a.jpg']);
    const ledger = RescanLedger.open(ledgerFile);
    await expect(runRescan({ scanner: new NameScanner(), targets, ledger, concurrency: 0 })).rejects.toThrow(
      'Expected `concurrency` to be a positive integer, got 0',
    );
    await expect(runRescan({ scanner: new NameScanner(), targets, ledger, sinceVersion: 1.5 })).rejects.toThrow(
      'Expected `sinceVersion` to be a non-negative integer, got 1.5',
    );
  });
});
