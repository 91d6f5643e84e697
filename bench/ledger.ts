/**
 * Rescan checkpoint cost: `npm run bench:ledger [-- --files 200000 --every 1000 --rewrite-up-to 100000]`
 *
 * Records `--files` rescan results through {@link RescanLedger}, flushing every `--every` results (a rescan judging
 * ~1000 files/s flushes about that often, once a second), against a baseline measured in the same run: appending
 * the same lines to a plain file with the same fsyncs (the floor for any durable checkpoint). For comparison it also
 * runs, up to `--rewrite-up-to` files, the checkpoint before the journal, which rewrote its whole JSON at every
 * flush (its cost per flush grows with the files recorded). Then it reopens the ledger (what a resumed rescan pays).
 *
 * Prints one JSON object: ms and the ratio to the baseline for each, the last flush's ms, the file size.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type LedgerRecord, RescanLedger, writeAtomic } from '../src/rescan/ledger.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '200000' },
    every: { type: 'string', default: '1000' },
    'rewrite-up-to': { type: 'string', default: '100000' },
  },
});
const FILES = Number(values.files);
const EVERY = Number(values.every);
const REWRITE_UP_TO = Number(values['rewrite-up-to']);

/** A realistic record: a no_match image with its SHA-256 and PDQ. */
function record(i: number): LedgerRecord {
  const hex = (seed: number) => (seed >>> 0).toString(16).padStart(8, '0').repeat(8);
  return {
    file: `uploads/2026/${(i % 365).toString().padStart(3, '0')}/${i.toString(36)}-photo.jpg`,
    kind: 'image',
    outcome: 'no_match',
    size: 100_000 + (i % 5000),
    sha256: hex(i * 2654435761),
    listVersion: 42,
    pdq: hex(i * 40503),
    quality: 100,
    scannedAt: new Date(Date.UTC(2026, 11, 5) + i).toISOString(),
    mtimeMs: 1_760_000_000_000 + i,
  };
}
const absPath = (i: number) => `/srv/media/${record(i).file}`;

const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-bench-ledger-'));
try {
  // Baseline: the same lines appended to a plain file, fsync per flush.
  let t = performance.now();
  {
    const fd = openSync(path.join(dir, 'plain.ndjson'), 'w');
    let pending: string[] = [];
    for (let i = 0; i < FILES; i++) {
      pending.push(JSON.stringify({ path: absPath(i), record: record(i) }) + '\n');
      if (pending.length === EVERY || i === FILES - 1) {
        writeSync(fd, pending.join(''));
        fsyncSync(fd);
        pending = [];
      }
    }
    closeSync(fd);
  }
  const baselineMs = performance.now() - t;

  // The journal.
  const file = path.join(dir, 'journal.json');
  const ledger = RescanLedger.open(file, { flushIntervalMs: Number.MAX_SAFE_INTEGER });
  let lastFlushMs = 0;
  t = performance.now();
  for (let i = 0; i < FILES; i++) {
    ledger.set(absPath(i), record(i));
    if ((i + 1) % EVERY === 0 || i === FILES - 1) {
      const f = performance.now();
      ledger.flush();
      lastFlushMs = performance.now() - f;
    }
  }
  const journalMs = performance.now() - t;
  t = performance.now();
  const reopened = RescanLedger.open(file);
  const reopenMs = performance.now() - t;
  if (reopened.size !== FILES) throw new Error(`reopened ${reopened.size} records, expected ${FILES}`);

  // The checkpoint before the journal: the whole ledger as one JSON text, written atomically at every flush.
  const rewriteFiles = Math.min(FILES, REWRITE_UP_TO);
  const records = new Map<string, LedgerRecord>();
  let rewriteLastFlushMs = 0;
  t = performance.now();
  for (let i = 0; i < rewriteFiles; i++) {
    records.set(absPath(i), record(i));
    if ((i + 1) % EVERY === 0 || i === rewriteFiles - 1) {
      const f = performance.now();
      const body = { format: 'tidscan-rescan-ledger', version: 1, updatedAt: new Date().toISOString(), records: Object.fromEntries(records) };
      writeAtomic(path.join(dir, 'whole.json'), JSON.stringify(body) + '\n');
      rewriteLastFlushMs = performance.now() - f;
    }
  }
  const rewriteMs = performance.now() - t;

  console.log(
    JSON.stringify({
      files: FILES,
      flushEvery: EVERY,
      baselineAppendMs: Math.round(baselineMs),
      journal: {
        ms: Math.round(journalMs),
        ratioToBaseline: +(journalMs / baselineMs).toFixed(2),
        lastFlushMs: +lastFlushMs.toFixed(1),
        fileMB: +(statSync(file).size / 1e6).toFixed(1),
        reopenMs: Math.round(reopenMs),
      },
      wholeRewrite: {
        files: rewriteFiles,
        ms: Math.round(rewriteMs),
        // Against the baseline's time for the same number of files (it is linear in them).
        ratioToBaseline: +(rewriteMs / (baselineMs * (rewriteFiles / FILES))).toFixed(2),
        lastFlushMs: +rewriteLastFlushMs.toFixed(1),
      },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
