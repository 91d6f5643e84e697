/**
 * The rescan checkpoint ("ledger"): for every file judged so far, its size, modification time, SHA-256, the list
 * version it was judged against and the full result. A rerun skips what the ledger already holds; `--since-version`
 * rescans only what was judged against an older list.
 *
 * The file is rewritten whole and atomically (temp file, fsync, rename), at most about once a second and on
 * `flush()`, so a crash or a kill leaves either the previous or the new snapshot, never a torn one. Results that
 * were not flushed yet are simply redone.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { RescanRecord } from './record.js';

/** Format marker and version written in every ledger file. */
export const LEDGER_FORMAT = 'tidscan-rescan-ledger';
/** Bump on incompatible changes; older versions are refused with a clear message. */
export const LEDGER_VERSION = 1;

/** One ledger record: the result plus what identifies the file version it was computed from. */
export interface LedgerRecord extends RescanRecord {
  /** Modification time (ms since epoch) of the file when it was judged. */
  mtimeMs: number;
}

interface LedgerFileV1 {
  format: typeof LEDGER_FORMAT;
  version: typeof LEDGER_VERSION;
  updatedAt: string;
  /** Keyed by absolute path. */
  records: Record<string, LedgerRecord>;
}

/** Options of {@link RescanLedger.open}. */
export interface LedgerOptions {
  /** Ignore and replace an existing ledger. @default false */
  fresh?: boolean;
  /** Minimum milliseconds between automatic flushes. @default 1000 */
  flushIntervalMs?: number;
}

/** The checkpoint of a rescan job. Not safe for two processes at once (the CLI takes a lock file). */
export class RescanLedger {
  readonly path: string;
  readonly #records: Map<string, LedgerRecord>;
  readonly #flushIntervalMs: number;
  #dirty = false;
  #lastFlush = 0;
  #flushes = 0;

  private constructor(file: string, records: Map<string, LedgerRecord>, flushIntervalMs: number) {
    this.path = file;
    this.#records = records;
    this.#flushIntervalMs = flushIntervalMs;
  }

  /**
   * Opens (or starts) the ledger at `file`.
   *
   * @throws {ConfigError} `CONFIG_INVALID` when the file exists but is not a readable ledger of this version.
   */
  static open(file: string, options: LedgerOptions = {}): RescanLedger {
    const flushIntervalMs = options.flushIntervalMs ?? 1000;
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 0) {
      throw new RangeError(`Expected \`flushIntervalMs\` to be a non-negative number, got ${flushIntervalMs}`);
    }
    const abs = path.resolve(file);
    if (options.fresh) rmSync(abs, { force: true });
    let text: string | undefined;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError('CONFIG_INVALID', `Cannot read checkpoint ${abs}: ${(err as Error).message}`, { cause: err });
      }
    }
    const records = new Map<string, LedgerRecord>();
    if (text !== undefined) {
      let parsed: Partial<LedgerFileV1>;
      try {
        parsed = JSON.parse(text) as Partial<LedgerFileV1>;
      } catch (err) {
        throw new ConfigError('CONFIG_INVALID', `Checkpoint ${abs} is not valid JSON; delete it or pass --fresh`, {
          cause: err,
        });
      }
      if (parsed?.format !== LEDGER_FORMAT || typeof parsed.records !== 'object' || parsed.records === null) {
        throw new ConfigError('CONFIG_INVALID', `${abs} is not a tidscan rescan checkpoint; delete it or pass --fresh`);
      }
      if (parsed.version !== LEDGER_VERSION) {
        throw new ConfigError(
          'CONFIG_INVALID',
          `Checkpoint ${abs} has version ${String(parsed.version)}, this tidscan reads version ${LEDGER_VERSION}; pass --fresh`,
        );
      }
      for (const [key, record] of Object.entries(parsed.records)) records.set(key, record);
    }
    return new RescanLedger(abs, records, flushIntervalMs);
  }

  /** Number of files recorded. */
  get size(): number {
    return this.#records.size;
  }

  /** How many times the ledger was written to disk. */
  get flushes(): number {
    return this.#flushes;
  }

  /** The record for an absolute path. */
  get(absPath: string): LedgerRecord | undefined {
    return this.#records.get(absPath);
  }

  /** Every `[absolutePath, record]`. */
  entries(): IterableIterator<[string, LedgerRecord]> {
    return this.#records.entries();
  }

  /** Records a result and flushes if the last flush is older than the flush interval. */
  set(absPath: string, record: LedgerRecord): void {
    this.#records.set(absPath, record);
    this.#dirty = true;
    if (Date.now() - this.#lastFlush >= this.#flushIntervalMs) this.flush();
  }

  /** Writes the ledger now if anything changed (synchronous, so it is safe in signal and exit handlers). */
  flush(): void {
    if (!this.#dirty) return;
    const body: LedgerFileV1 = {
      format: LEDGER_FORMAT,
      version: LEDGER_VERSION,
      updatedAt: new Date().toISOString(),
      records: Object.fromEntries(this.#records),
    };
    writeAtomic(this.path, JSON.stringify(body) + '\n');
    this.#dirty = false;
    this.#lastFlush = Date.now();
    this.#flushes++;
  }
}

/** Writes `text` to `file` through a temp file in the same folder, fsync and rename. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dir = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the rename itself is still atomic.
  }
}
