import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { RescanLedger, type LedgerRecord } from './ledger.js';

const rec = (file: string, listVersion = 1): LedgerRecord => ({
  file,
  kind: 'image',
  outcome: 'no_match',
  size: 5,
  mtimeMs: 123,
  listVersion,
  scannedAt: '2026-01-01T00:00:00.000Z',
});

function tempFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'tidscan-ledger-')), 'nested', 'ckpt.json');
}

describe('RescanLedger', () => {
  it('persists records across opens', () => {
    const file = tempFile();
    const a = RescanLedger.open(file, { flushIntervalMs: 60_000 });
    a.set('/x/a.jpg', rec('a.jpg'));
    a.set('/x/b.jpg', rec('b.jpg', 2));
    a.flush();
    const b = RescanLedger.open(file);
    expect(b.size).toBe(2);
    expect(b.get('/x/b.jpg')).toEqual(rec('b.jpg', 2));
  });

  it('flushes on its own at most once per interval', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 50; i++) ledger.set(`/x/${i}.jpg`, rec(`${i}.jpg`));
    expect(ledger.flushes).toBe(1);
    expect(RescanLedger.open(file).size).toBe(1);
    ledger.flush();
    expect(RescanLedger.open(file).size).toBe(50);
  });

  it('leaves no temp file behind', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 0 });
    ledger.set('/x/a.jpg', rec('a.jpg'));
    expect(readdirSync(path.dirname(file))).toEqual(['ckpt.json']);
  });

  it('starts over with fresh', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 0 });
    ledger.set('/x/a.jpg', rec('a.jpg'));
    expect(RescanLedger.open(file, { fresh: true }).size).toBe(0);
  });

  it('refuses a file that is not a ledger with CONFIG_INVALID and a hint', () => {
    const file = tempFile();
    RescanLedger.open(file, { flushIntervalMs: 0 }).set('/a', rec('a'));
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as object;
    for (const body of ['{not json', '{"format":"other","records":{}}', JSON.stringify({ ...header, version: 99 }) + '\n']) {
      writeFileSync(file, body);
      let caught: unknown;
      try {
        RescanLedger.open(file);
      } catch (err) {
        caught = err;
      }
      expect(isTidscanError(caught) && caught.code).toBe('CONFIG_INVALID');
      expect((caught as Error).message).toMatch(/--fresh/);
    }
  });

  it('appends each flush to the journal instead of rewriting what it holds', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 60_000 });
    ledger.set('/x/a.jpg', rec('a.jpg'));
    ledger.flush();
    const first = readFileSync(file);
    ledger.set('/x/b.jpg', rec('b.jpg'));
    ledger.set('/x/c.jpg', rec('c.jpg'));
    ledger.flush();
    const second = readFileSync(file);
    expect(second.subarray(0, first.length).equals(first)).toBe(true);
    const lines = second.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ format: 'tidscan-rescan-ledger', version: 2 });
    expect(lines.slice(1)).toEqual([
      { path: '/x/a.jpg', record: rec('a.jpg') },
      { path: '/x/b.jpg', record: rec('b.jpg') },
      { path: '/x/c.jpg', record: rec('c.jpg') },
    ]);
  });

  it('keeps the latest record of a path judged again', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 0 });
    ledger.set('/x/a.jpg', rec('a.jpg', 1));
    ledger.set('/x/a.jpg', rec('a.jpg', 2));
    const reopened = RescanLedger.open(file);
    expect(reopened.size).toBe(1);
    expect(reopened.get('/x/a.jpg')).toEqual(rec('a.jpg', 2));
  });

  it('drops a torn last line (a crash mid-append) and appends after the last whole line', () => {
    const whole = (file: string) => JSON.stringify({ path: '/x/c.jpg', record: rec(file) });
    // Shorter than the next line, exactly as long, and longer (its tail must not survive the next append).
    for (const torn of ['{"path":"/x/c.jpg","rec', whole('c.jpg'), whole('c'.repeat(300)).slice(0, -5)]) {
      const file = tempFile();
      const ledger = RescanLedger.open(file, { flushIntervalMs: 0 });
      ledger.set('/x/a.jpg', rec('a.jpg'));
      ledger.set('/x/b.jpg', rec('b.jpg'));
      const before = statSync(file).size;
      appendFileSync(file, torn); // no newline: the append never finished
      const reopened = RescanLedger.open(file, { flushIntervalMs: 0 });
      expect(reopened.size).toBe(2);
      expect(reopened.get('/x/c.jpg')).toBeUndefined();
      reopened.set('/x/d.jpg', rec('d.jpg'));
      const text = readFileSync(file, 'utf8');
      expect(text.length).toBe(before + JSON.stringify({ path: '/x/d.jpg', record: rec('d.jpg') }).length + 1);
      expect(text.endsWith('\n')).toBe(true);
      expect(new Set([...RescanLedger.open(file).entries()].map(([p]) => p))).toEqual(new Set(['/x/a.jpg', '/x/b.jpg', '/x/d.jpg']));
    }
  });

  it('refuses a damaged line that is not the last one', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 0 });
    ledger.set('/x/a.jpg', rec('a.jpg'));
    ledger.set('/x/b.jpg', rec('b.jpg'));
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const bad of ['{"path":"/x/a.jpg","rec', '{"path":"/x/a.jpg"}', '[]']) {
      writeFileSync(file, [lines[0], bad, ...lines.slice(2)].join('\n'));
      expect(() => RescanLedger.open(file)).toThrow(/line 2 .*--fresh/);
    }
  });

  it('reads a version 1 checkpoint and converts it at the first flush', () => {
    const file = tempFile();
    RescanLedger.open(file, { flushIntervalMs: 0 }).set('/x/a.jpg', rec('a.jpg')); // creates the folder
    const v1 = { format: 'tidscan-rescan-ledger', version: 1, updatedAt: '2026-01-01T00:00:00.000Z', records: { '/x/a.jpg': rec('a.jpg'), '/x/b.jpg': rec('b.jpg', 3) } };
    writeFileSync(file, JSON.stringify(v1) + '\n');
    const ledger = RescanLedger.open(file, { flushIntervalMs: 60_000 });
    expect(ledger.size).toBe(2);
    expect(ledger.get('/x/b.jpg')).toEqual(rec('b.jpg', 3));
    ledger.set('/x/c.jpg', rec('c.jpg'));
    ledger.flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { version?: number; path?: string });
    expect(lines[0]!.version).toBe(2);
    expect(lines.slice(1).map((l) => l.path).sort()).toEqual(['/x/a.jpg', '/x/b.jpg', '/x/c.jpg']);
    expect(RescanLedger.open(file).get('/x/b.jpg')).toEqual(rec('b.jpg', 3));
  });

  it('compacts a journal whose lines for files judged again outnumber the files', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 60_000 });
    for (let round = 1; round <= 40; round++) {
      for (let i = 0; i < 100; i++) ledger.set(`/x/${i}.jpg`, rec(`${i}.jpg`, round));
      ledger.flush();
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n').length - 1;
      expect(lines).toBeLessThanOrEqual(2 * 100 + 1024 + 100);
    }
    const reopened = RescanLedger.open(file);
    expect(reopened.size).toBe(100);
    for (let i = 0; i < 100; i++) expect(reopened.get(`/x/${i}.jpg`)?.listVersion).toBe(40);
  });

  it('reads a journal larger than its read chunk, lines across chunk boundaries', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 60_000 });
    const long = (i: number) => ({ ...rec(`${'é'.repeat(i % 300)}${i}.jpg`), sha256: 'a'.repeat(64) });
    for (let i = 0; i < 6000; i++) ledger.set(`/x/${i}`, long(i));
    ledger.flush();
    expect(statSync(file).size).toBeGreaterThan(2 << 20);
    const reopened = RescanLedger.open(file);
    expect(reopened.size).toBe(6000);
    for (let i = 0; i < 6000; i += 997) expect(reopened.get(`/x/${i}`)).toEqual(long(i));
  });

  it('recreates a journal removed while the rescan runs', () => {
    const file = tempFile();
    const ledger = RescanLedger.open(file, { flushIntervalMs: 0 });
    ledger.set('/x/a.jpg', rec('a.jpg'));
    rmSync(file);
    ledger.set('/x/b.jpg', rec('b.jpg'));
    expect(RescanLedger.open(file).size).toBe(2);
  });

  it('after any sets, flushes and a crash cutting the last append anywhere, holds every earlier flush and a prefix of the last', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 99 })), { maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (flushes, cutAt) => {
          const file = tempFile();
          const ledger = RescanLedger.open(file, { flushIntervalMs: 60_000 });
          const state = new Map<string, number>();
          let before = new Map<string, number>();
          let lastAppend: Array<[string, number]> = [];
          let sizeBefore = 0;
          for (const sets of flushes) {
            before = new Map(state);
            sizeBefore = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
            for (const [p, v] of sets) {
              ledger.set(`/x/${p}`, rec(`${p}`, v));
              state.set(`/x/${p}`, v);
            }
            lastAppend = sets.map(([p, v]) => [`/x/${p}`, v]);
            ledger.flush();
          }
          const size = statSync(file).size;
          const firstFlush = flushes.length === 1;
          // Cut inside the last append (never inside the atomically written first file).
          if (!firstFlush && size > sizeBefore) truncateSync(file, sizeBefore + Math.floor(cutAt * (size - sizeBefore)));
          const reopened = RescanLedger.open(file);
          const got = new Map([...reopened.entries()].map(([p, r]) => [p, r.listVersion!]));
          if (firstFlush) {
            expect(got).toEqual(state);
          } else {
            // Some prefix of the last append's lines landed, on top of the state before it.
            const candidates = [new Map(before)];
            for (const [p, v] of lastAppend) candidates.push(new Map(candidates.at(-1)!).set(p, v));
            expect(candidates).toContainEqual(got);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('validates flushIntervalMs', () => {
    expect(() => RescanLedger.open(tempFile(), { flushIntervalMs: -1 })).toThrow(
      'Expected `flushIntervalMs` to be a non-negative number, got -1',
    );
  });
});
