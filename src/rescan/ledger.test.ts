import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
    for (const body of ['{not json', '{"format":"other","records":{}}', JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), version: 99 })]) {
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

  it('validates flushIntervalMs', () => {
    expect(() => RescanLedger.open(tempFile(), { flushIntervalMs: -1 })).toThrow(
      'Expected `flushIntervalMs` to be a non-negative number, got -1',
    );
  });
});
