/**
 * The rescan engine: judges many files with bounded concurrency, records each result in the ledger, skips what
 * the ledger already holds, and stops cleanly (finishing in-flight files) when its signal aborts.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import PQueue from 'p-queue';
import type { Verdict } from '../scanner/types.js';
import type { RescanTarget } from './inputs.js';
import type { LedgerRecord, RescanLedger } from './ledger.js';
import { recordFromError, recordFromVerdict, type RescanRecord } from './record.js';
import { countRecord, emptyCounts, type OutcomeCounts } from './summary.js';

/** The part of a scanner a rescan needs (a `Scanner` from `createScanner` fits). */
export interface RescanScanner {
  matchImage(file: string): Promise<Verdict>;
  matchVideo(file: string): Promise<Verdict>;
}

/** A progress snapshot. */
export interface RescanProgress {
  /** Files in this job. */
  total: number;
  /** Files finished: judged in this run plus skipped (already in the checkpoint). */
  done: number;
  /** Judged in this run. */
  scanned: number;
  /** Skipped because the checkpoint already had a current result. */
  skipped: number;
  /** Job-wide outcome counts so far (skipped files count with their recorded outcome). */
  counts: OutcomeCounts;
  /** Files judged per second in this run. */
  rate: number;
  /** Estimated seconds left, or undefined before the first result. */
  etaSeconds: number | undefined;
  elapsedMs: number;
}

/** Options of {@link runRescan}. */
export interface RescanOptions {
  scanner: RescanScanner;
  targets: readonly RescanTarget[];
  ledger: RescanLedger;
  /**
   * Files in flight at once (reading, waiting for the scanner). The scanner's own `concurrency` still bounds how
   * many are decoded at the same time.
   * @default 4
   */
  concurrency?: number;
  /**
   * Rescan files whose recorded list version is lower than this; files judged against this version or a newer one
   * are skipped. Without it, every file with a current record is skipped (resume).
   */
  sinceVersion?: number;
  /** Stops starting new files; files in flight finish and are recorded. */
  signal?: AbortSignal;
  /**
   * Called for every file judged in this run, in completion order, before the ledger records it. If it throws
   * (the output is gone), the file is not recorded, no new file starts, and `runRescan` rejects with that error
   * once the files in flight are done.
   */
  onRecord?: (record: RescanRecord) => void;
  /** Called after every finished or skipped file. */
  onProgress?: (progress: RescanProgress) => void;
}

/** Result of {@link runRescan}. */
export interface RescanResult {
  /** False when the signal aborted the run before every file was done. */
  complete: boolean;
  /** The current record of every finished target, in target order (skipped ones included). */
  records: RescanRecord[];
  /** Job-wide counts over `records`. */
  counts: OutcomeCounts;
  scanned: number;
  skipped: number;
  elapsedMs: number;
}

/** True when the ledger's record is still valid for the file as it is now. */
function isCurrent(record: LedgerRecord | undefined, size: number, mtimeMs: number, sinceVersion: number | undefined) {
  if (!record || record.outcome === 'error') return false;
  if (record.size !== size || record.mtimeMs !== mtimeMs) return false;
  if (sinceVersion !== undefined && (record.listVersion ?? -1) < sinceVersion) return false;
  return true;
}

/**
 * Judges `targets`, resuming from and recording into `ledger`.
 *
 * @example
 * ```ts
 * const ledger = RescanLedger.open('.tidscan/rescan.json');
 * const { targets } = await collectTargets({ dirs: ['uploads'] }, process.cwd());
 * const result = await runRescan({ scanner, targets, ledger, onRecord: (r) => console.log(JSON.stringify(r)) });
 * ledger.flush();
 * ```
 */
export async function runRescan(options: RescanOptions): Promise<RescanResult> {
  const { scanner, targets, ledger, sinceVersion, signal, onRecord, onProgress } = options;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Expected \`concurrency\` to be a positive integer, got ${concurrency}`);
  }
  if (sinceVersion !== undefined && (!Number.isInteger(sinceVersion) || sinceVersion < 0)) {
    throw new RangeError(`Expected \`sinceVersion\` to be a non-negative integer, got ${sinceVersion}`);
  }
  const started = performance.now();
  const counts = emptyCounts();
  let scanned = 0;
  let skipped = 0;
  const finished = new Set<string>();
  let outputFailure: { error: unknown } | undefined;

  const progress = (): void => {
    if (!onProgress) return;
    const elapsedMs = performance.now() - started;
    const rate = scanned === 0 ? 0 : scanned / (elapsedMs / 1000);
    const remaining = targets.length - finished.size;
    onProgress({
      total: targets.length,
      done: finished.size,
      scanned,
      skipped,
      counts: { ...counts },
      rate,
      etaSeconds: rate > 0 ? remaining / rate : undefined,
      elapsedMs,
    });
  };

  const judge = async (target: RescanTarget): Promise<void> => {
    let size = 0;
    let mtimeMs = 0;
    let record: RescanRecord;
    try {
      const st = await stat(target.path);
      size = st.size;
      mtimeMs = st.mtimeMs;
      const previous = ledger.get(target.path);
      if (isCurrent(previous, size, mtimeMs, sinceVersion)) {
        skipped++;
        finished.add(target.path);
        countRecord(counts, previous!);
        progress();
        return;
      }
      const verdict = await (target.kind === 'video' ? scanner.matchVideo(target.path) : scanner.matchImage(target.path));
      record = recordFromVerdict(target.display, target.kind, size, verdict);
    } catch (err) {
      record = recordFromError(target.display, target.kind, size, err);
    }
    if (outputFailure) return;
    // Output first, then the ledger: a file is marked done only once its result has been written.
    try {
      onRecord?.(record);
    } catch (error) {
      outputFailure = { error };
      return;
    }
    ledger.set(target.path, { ...record, mtimeMs });
    scanned++;
    finished.add(target.path);
    countRecord(counts, record);
    progress();
  };

  const queue = new PQueue({ concurrency });
  const stopped = () => signal?.aborted === true || outputFailure !== undefined;
  for (const target of targets) {
    if (stopped()) break;
    await queue.onSizeLessThan(concurrency * 2);
    if (stopped()) break;
    void queue.add(async () => {
      if (!stopped()) await judge(target);
    });
  }
  await queue.onIdle();
  ledger.flush();
  if (outputFailure) throw outputFailure.error;

  const records: RescanRecord[] = [];
  for (const target of targets) {
    if (!finished.has(target.path)) continue;
    const { mtimeMs: _mtime, ...record } = ledger.get(target.path)!;
    records.push({ ...record, file: target.display });
  }
  return {
    complete: finished.size === targets.length,
    records,
    counts,
    scanned,
    skipped,
    elapsedMs: performance.now() - started,
  };
}
