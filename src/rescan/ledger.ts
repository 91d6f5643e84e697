/**
 * The rescan checkpoint ("ledger"): for every file judged so far, its size, modification time, SHA-256, the list
 * version it was judged against and the full result. A rerun skips what the ledger already holds; `--since-version`
 * rescans only what was judged against an older list.
 *
 * The file is a journal, one JSON object per line: a header line, then one line per judged file
 * (`{"path":…,"record":…}`; a later line for the same path replaces an earlier one). New results are appended, at
 * most about once a second and on `flush()`, each append followed by fsync, so a flush costs what it adds, not
 * what the ledger holds: rewriting the whole ledger each time made a rescan of n files O(n²), and past about a
 * million files its single JSON text could not even be built (V8's string length limit).
 *
 * A crash or a kill can leave only the last line torn (an append cut short); opening drops it, and that file is
 * simply judged again. The file is rewritten whole (temp file, fsync, rename: atomic) only to compact it, once
 * lines for files judged again outnumber the files, and to convert a checkpoint written by tidscan before the
 * journal (one JSON object, format version 1), which is still read.
 *
 * @module
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { RescanRecord } from './record.js';

/** Format marker written in every ledger file. */
export const LEDGER_FORMAT = 'tidscan-rescan-ledger';
/** Bump on incompatible changes; unknown versions are refused with a clear message. 1: one JSON object. 2: journal. */
export const LEDGER_VERSION = 2;

/** One ledger record: the result plus what identifies the file version it was computed from. */
export interface LedgerRecord extends RescanRecord {
  /** Modification time (ms since epoch) of the file when it was judged. */
  mtimeMs: number;
}

/** Options of {@link RescanLedger.open}. */
export interface LedgerOptions {
  /** Ignore and replace an existing ledger. @default false */
  fresh?: boolean;
  /** Minimum milliseconds between automatic flushes. @default 1000 */
  flushIntervalMs?: number;
}

/** Lines beyond one per file that a journal may carry before a flush compacts it. */
const COMPACT_SLACK_LINES = 1024;
/** Bytes read, and written, per system call. */
const IO_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/** What {@link readLedgerFile} found. */
interface LoadedLedger {
  records: Map<string, LedgerRecord>;
  /** Record lines in the journal (0 for a version 1 file). */
  lines: number;
  /** Bytes of the file up to the end of its last complete line: appends go there. */
  validBytes: number;
  /** The file must be written whole before anything is appended (there is none yet, or it is version 1). */
  rewrite: boolean;
}

/** The checkpoint of a rescan job. Not safe for two processes at once (the CLI takes a lock file). */
export class RescanLedger {
  readonly path: string;
  readonly #records: Map<string, LedgerRecord>;
  readonly #flushIntervalMs: number;
  /** Lines of results recorded since the last flush, each ending in a newline. */
  #pending: string[] = [];
  /** Record lines in the journal on disk. */
  #lines: number;
  /** Where the journal's complete lines end: a torn last line is cut off before the first append. */
  #validBytes: number;
  #rewrite: boolean;
  #lastFlush = 0;
  #flushes = 0;

  private constructor(file: string, loaded: LoadedLedger, flushIntervalMs: number) {
    this.path = file;
    this.#records = loaded.records;
    this.#lines = loaded.lines;
    this.#validBytes = loaded.validBytes;
    this.#rewrite = loaded.rewrite;
    this.#flushIntervalMs = flushIntervalMs;
  }

  /**
   * Opens (or starts) the ledger at `file`.
   *
   * @throws {ConfigError} `CONFIG_INVALID` when the file exists but is not a readable ledger of a known version.
   */
  static open(file: string, options: LedgerOptions = {}): RescanLedger {
    const flushIntervalMs = options.flushIntervalMs ?? 1000;
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 0) {
      throw new RangeError(`Expected \`flushIntervalMs\` to be a non-negative number, got ${flushIntervalMs}`);
    }
    const abs = path.resolve(file);
    if (options.fresh) rmSync(abs, { force: true });
    return new RescanLedger(abs, readLedgerFile(abs), flushIntervalMs);
  }

  /** Number of files recorded. */
  get size(): number {
    return this.#records.size;
  }

  /** How many times the ledger was written to disk (appended to or rewritten). */
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
    // Serialised now: the caller may reuse or change the object after this call.
    this.#pending.push(recordLine(absPath, record));
    this.#records.set(absPath, record);
    if (Date.now() - this.#lastFlush >= this.#flushIntervalMs) this.flush();
  }

  /** Writes what was recorded since the last flush (synchronous, so it is safe in signal and exit handlers). */
  flush(): void {
    if (this.#pending.length === 0 && !this.#rewrite) return;
    const compact = this.#lines + this.#pending.length > 2 * this.#records.size + COMPACT_SLACK_LINES;
    if (this.#rewrite || compact || !this.#append()) this.#rewriteWhole();
    this.#pending = [];
    this.#lastFlush = Date.now();
    this.#flushes++;
  }

  /** Appends the pending lines; false when the file is gone (removed while the rescan ran): rewrite it whole. */
  #append(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      // Cut a torn last line (left by a crash mid-append) so the new lines start on a line of their own.
      ftruncateSync(fd, this.#validBytes);
      let at = this.#validBytes;
      for (const chunk of chunked(this.#pending)) at += writeAllAt(fd, chunk, at);
      fsyncSync(fd);
      this.#validBytes = at;
    } finally {
      closeSync(fd);
    }
    this.#lines += this.#pending.length;
    return true;
  }

  /** Writes the header and one line per file, atomically. */
  #rewriteWhole(): void {
    this.#validBytes = writeAtomic(this.path, chunked([headerLine()], linesOf(this.#records)));
    this.#lines = this.#records.size;
    this.#rewrite = false;
  }
}

function headerLine(): string {
  return JSON.stringify({ format: LEDGER_FORMAT, version: LEDGER_VERSION, createdAt: new Date().toISOString() }) + '\n';
}

function recordLine(absPath: string, record: LedgerRecord): string {
  return JSON.stringify({ path: absPath, record }) + '\n';
}

function* linesOf(records: Map<string, LedgerRecord>): Generator<string> {
  for (const [absPath, record] of records) yield recordLine(absPath, record);
}

/** The lines joined into texts of about {@link IO_CHUNK_BYTES} characters: a few system calls, no giant string. */
function* chunked(...sources: Iterable<string>[]): Generator<string> {
  let parts: string[] = [];
  let length = 0;
  for (const lines of sources) {
    for (const line of lines) {
      parts.push(line);
      length += line.length;
      if (length >= IO_CHUNK_BYTES) {
        yield parts.join('');
        parts = [];
        length = 0;
      }
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** Writes all of `text` at `position`; returns the bytes written. */
function writeAllAt(fd: number, text: string, position: number): number {
  const bytes = Buffer.from(text, 'utf8');
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  return bytes.length;
}

/** Reads the ledger at `file` (absent: empty). */
function readLedgerFile(file: string): LoadedLedger {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyLedger();
    throw new ConfigError('CONFIG_INVALID', `Cannot read checkpoint ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseLedger(file, fd);
  } finally {
    closeSync(fd);
  }
}

function parseLedger(file: string, fd: number): LoadedLedger {
  const records = new Map<string, LedgerRecord>();
  const notLedger = () => new ConfigError('CONFIG_INVALID', `${file} is not a tidscan rescan checkpoint; delete it or pass --fresh`);
  let lineNumber = 0;
  let lines = 0;
  let validBytes = 0;
  let rewrite = false;
  let torn: { line: number; error: unknown } | undefined;
  for (const { text, end, complete } of readLines(file, fd)) {
    lineNumber++;
    if (torn) {
      // Only the last line can be cut short by a crash; a bad line with lines after it is damage.
      throw new ConfigError('CONFIG_INVALID', `Checkpoint ${file} line ${torn.line} is not valid JSON; delete it or pass --fresh`, {
        cause: torn.error,
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      if (lineNumber === 1) {
        throw new ConfigError('CONFIG_INVALID', `Checkpoint ${file} is not valid JSON; delete it or pass --fresh`, { cause: error });
      }
      torn = { line: lineNumber, error };
      continue;
    }
    if (lineNumber === 1) {
      const header = value as { format?: unknown; version?: unknown; records?: unknown } | null;
      if (typeof header !== 'object' || header === null || header.format !== LEDGER_FORMAT) throw notLedger();
      if (header.version === 1) {
        // The format before the journal: every record in this one object. Converted at the first flush.
        if (typeof header.records !== 'object' || header.records === null) throw notLedger();
        for (const [key, record] of Object.entries(header.records as Record<string, LedgerRecord>)) records.set(key, record);
        rewrite = true;
      } else if (header.version !== LEDGER_VERSION) {
        throw new ConfigError(
          'CONFIG_INVALID',
          `Checkpoint ${file} has version ${String(header.version)}, this tidscan reads versions 1 and ${LEDGER_VERSION}; pass --fresh`,
        );
      }
    } else {
      if (rewrite) throw notLedger(); // a version 1 file is one line
      if (!complete) {
        // Its newline never made it to disk: the append that wrote it did not finish, whatever it parses to.
        torn = { line: lineNumber, error: undefined };
        continue;
      }
      const entry = value as { path?: unknown; record?: unknown } | null;
      if (typeof entry !== 'object' || entry === null || typeof entry.path !== 'string' || typeof entry.record !== 'object' || entry.record === null) {
        throw new ConfigError('CONFIG_INVALID', `Checkpoint ${file} line ${lineNumber} is not a rescan record; delete it or pass --fresh`);
      }
      records.set(entry.path, entry.record as LedgerRecord);
      lines++;
    }
    validBytes = end; // a line that is not whole never gets here
  }
  return lineNumber === 0 ? emptyLedger() : { records, lines, validBytes, rewrite };
}

/** No file yet (or an empty one): written whole at the first flush. */
function emptyLedger(): LoadedLedger {
  return { records: new Map(), lines: 0, validBytes: 0, rewrite: true };
}

/** The lines of the file, read in chunks (a ledger can be far larger than the longest string V8 can hold). */
function* readLines(file: string, fd: number): Generator<{ text: string; end: number; complete: boolean }> {
  const chunk = Buffer.allocUnsafe(IO_CHUNK_BYTES);
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0; // file offset of carry[0]
  for (;;) {
    let read: number;
    try {
      read = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      throw new ConfigError('CONFIG_INVALID', `Cannot read checkpoint ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (read === 0) break;
    const data = carry.length === 0 ? chunk.subarray(0, read) : Buffer.concat([carry, chunk.subarray(0, read)]);
    let start = 0;
    for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      yield { text: data.toString('utf8', start, nl), end: offset + nl + 1, complete: true };
      start = nl + 1;
    }
    offset += start;
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) yield { text: carry.toString('utf8'), end: offset + carry.length, complete: false };
}

function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the rename itself is still atomic.
  }
}

/**
 * Writes `text` (or its parts, in order) to `file` through a temp file in the same folder, fsync and rename, so
 * the file is either the old one or the new one whole. Returns the bytes written.
 */
export function writeAtomic(file: string, text: string | Iterable<string>): number {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    for (const part of typeof text === 'string' ? [text] : text) bytes += writeAllAt(fd, part, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDirectory(path.dirname(file));
  return bytes;
}
