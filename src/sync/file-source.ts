/**
 * The local list file source: a complete list snapshot in NDJSON, CSV (header row) or JSON, read from a path or
 * an https URL. It needs no credentials and is the demo's default list.
 *
 * How a snapshot becomes deltas (NOTE for the store engineer):
 * - The checkpoint is {@link FileCheckpoint}: the SHA-256 of the file's bytes. When the content is unchanged
 *   (same SHA-256 as the checkpoint), `fetch()` yields nothing at all.
 * - Otherwise it yields pages of upserts (and deletes for records with `deleted: true`) in file order, each page
 *   with the PREVIOUS checkpoint (or `{sha256: null}`), so a fetch interrupted half-way starts over next time.
 * - The LAST page (always yielded, possibly with no updates) carries the new checkpoint and `replaceAll: true`
 *   (see `DeltaPage.replaceAll` in ./types.ts): when committing it, delete every key of this source that no page
 *   of this `fetch()` mentioned. That is how entries removed from the file get deleted.
 * - Bad records never stop the sync: each goes to `skipped` with `line N: reason` (or `entries[i]: reason`).
 *   A file that is unusable as a whole (invalid JSON document, unknown CSV columns, not UTF-8) throws
 *   `SYNC_MALFORMED_RESPONSE` before the last page, so nothing is deleted.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SyncError } from '../errors.js';
import { checkBoolean, checkInteger, checkOneOf, checkSourceId, showValue } from './check-options.js';
import { detectFormat, type ListFileFormat, readListRecords } from './list-file-records.js';
import { normalizeListRecord } from './record.js';
import { decodeUtf8 } from './text-lines.js';
import type { DeltaPage, FetchOptions, HashListSource, ListUpdate, SkippedRecord } from './types.js';

export type { ListFileFormat } from './list-file-records.js';

/** Checkpoint of the file source: which snapshot was last applied completely. */
export interface FileCheckpoint {
  /** Lowercase hex SHA-256 of the last completely applied file, or null before the first one. */
  sha256: string | null;
  /** Format of that file. */
  format?: ListFileFormat;
  /** Number of records in it (updates, excluding skipped). */
  records?: number;
}

/** Options of {@link createFileSource}. */
export interface FileSourceOptions {
  /**
   * Where the list is: a filesystem path, a `file:` URL, or an `https:` URL (plain `http:` only for loopback
   * hosts or with `allowInsecureHttp`).
   */
  location: string | URL;
  /**
   * The list id, stored in every entry's `source`.
   * @default 'file'
   */
  id?: string;
  /**
   * The file format. `auto` picks it from the extension, then from the content.
   * @default 'auto'
   */
  format?: ListFileFormat | 'auto';
  /**
   * Records (updates plus skipped) per delta page.
   * @default 5000
   */
  pageSize?: number;
  /**
   * Largest file accepted, in bytes (also the download cap for URLs).
   * @default 1073741824 (1 GiB)
   */
  maxBytes?: number;
  /**
   * Largest JSON (not NDJSON) document, in characters: JSON is parsed whole, so use NDJSON for large lists.
   * @default 134217728 (128 Mi)
   */
  maxJsonChars?: number;
  /**
   * Accept plain `http:` URLs to non-loopback hosts.
   * @default false
   */
  allowInsecureHttp?: boolean;
}

const FORMATS = ['ndjson', 'csv', 'json', 'auto'] as const;
const HEAD_BYTES = 64 * 1024;

interface LocalFile {
  path: string;
  /** Name used for format detection and messages. */
  name: string;
  details: Record<string, unknown>;
  cleanup(): Promise<void>;
}

function fsError(err: unknown, details: Record<string, unknown>): SyncError {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new SyncError('SYNC_SOURCE_NOT_FOUND', `List file not found: ${String(details.path)}`, { cause: err, details });
  }
  return new SyncError('SYNC_SOURCE_READ_FAILED', `Cannot read list file ${String(details.path)}: ${(err as Error).message}`, {
    cause: err,
    details,
  });
}

function abortError(signal: AbortSignal, details: Record<string, unknown>): SyncError {
  return new SyncError('SYNC_ABORTED', 'The list file sync was aborted', { cause: signal.reason, details });
}

async function sha256OfFile(file: string, maxBytes: number, details: Record<string, unknown>, signal?: AbortSignal) {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw fsError(err, details);
  }
  if (info.isDirectory()) throw fsError(Object.assign(new Error('is a directory'), { code: 'ENOTDIR' }), details);
  if (info.size > maxBytes) {
    throw new SyncError('SYNC_RESPONSE_TOO_LARGE', `The list file is ${info.size} bytes, more than maxBytes (${maxBytes})`, {
      details: { ...details, bytes: info.size, maxBytes },
    });
  }
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file, signal ? { signal } : {})) hash.update(chunk as Buffer);
  } catch (err) {
    if (signal?.aborted) throw abortError(signal, details);
    throw fsError(err, details);
  }
  return hash.digest('hex');
}

async function readHead(file: string, details: Record<string, unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of createReadStream(file, { start: 0, end: HEAD_BYTES - 1 })) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
  } catch (err) {
    throw fsError(err, details);
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

async function openLocation(location: string | URL): Promise<LocalFile> {
  const url = location instanceof URL ? location : /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? new URL(location) : undefined;
  if (url && url.protocol !== 'file:') {
    throw new SyncError('SYNC_SOURCE_NOT_FOUND', `Unsupported list URL scheme ${url.protocol}`, { details: { scheme: url.protocol } });
  }
  const file = url ? decodeURIComponent(url.pathname) : path.resolve(location as string);
  return { path: file, name: file, details: { path: file }, cleanup: async () => {} };
}

/**
 * Creates the list file source.
 *
 * @example
 * ```ts
 * const source = createFileSource({ location: './takeitdown.ndjson' });
 * for await (const page of source.fetch(checkpoint)) store.commit(page);
 * ```
 * @throws {TypeError | RangeError} for bad options (checked eagerly).
 */
export function createFileSource(options: FileSourceOptions): HashListSource<FileCheckpoint> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${showValue(options)}`);
  }
  const { location } = options;
  if (!(location instanceof URL) && (typeof location !== 'string' || location.length === 0)) {
    throw new TypeError(`Expected \`location\` to be a path or URL, got ${showValue(location)}`);
  }
  const id = checkSourceId(options.id, 'file');
  const format = checkOneOf('format', options.format, FORMATS, 'auto');
  const pageSize = checkInteger('pageSize', options.pageSize, 1, 1_000_000, 5000);
  const maxBytes = checkInteger('maxBytes', options.maxBytes, 1, Number.MAX_SAFE_INTEGER, 1024 * 1024 * 1024);
  const maxJsonChars = checkInteger('maxJsonChars', options.maxJsonChars, 1, 512 * 1024 * 1024, 128 * 1024 * 1024);
  checkBoolean('allowInsecureHttp', options.allowInsecureHttp, false);

  async function* fetch(checkpoint: FileCheckpoint | null, fetchOptions: FetchOptions = {}): AsyncGenerator<DeltaPage<FileCheckpoint>> {
    const { signal } = fetchOptions;
    const previous: FileCheckpoint = checkpoint ?? { sha256: null };
    const local = await openLocation(location);
    try {
      const details = local.details;
      if (signal?.aborted) throw abortError(signal, details);
      const sha256 = await sha256OfFile(local.path, maxBytes, details, signal);
      if (sha256 === previous.sha256) return;
      const fileFormat = format === 'auto' ? detectFormat(local.name, await readHead(local.path, details)) : format;

      // Hash again while parsing: if the file changes between the two passes, this fetch must not replace the list.
      const hash = createHash('sha256');
      const bytes = (async function* () {
        try {
          for await (const chunk of createReadStream(local.path, signal ? { signal } : {})) {
            hash.update(chunk as Buffer);
            yield chunk as Buffer;
          }
        } catch (err) {
          if (signal?.aborted) throw abortError(signal, details);
          throw fsError(err, details);
        }
      })();
      let updates: ListUpdate[] = [];
      let skipped: SkippedRecord[] = [];
      let records = 0;
      for await (const raw of readListRecords(fileFormat, decodeUtf8(bytes), { maxJsonChars, details })) {
        if ('error' in raw) {
          skipped.push({ reason: `${raw.where}: ${raw.error}` });
        } else {
          const result = normalizeListRecord(raw.value, id);
          if (result.ok) {
            updates.push(result.update);
            records++;
          } else {
            skipped.push({ ...result.skipped, reason: `${raw.where}: ${result.skipped.reason}` });
          }
        }
        if (updates.length + skipped.length >= pageSize) {
          yield { updates, skipped, checkpoint: previous };
          updates = [];
          skipped = [];
          if (signal?.aborted) throw abortError(signal, details);
        }
      }
      if (hash.digest('hex') !== sha256) {
        throw new SyncError('SYNC_SOURCE_READ_FAILED', 'The list file changed while it was being read; retry the sync', {
          details,
        });
      }
      yield { updates, skipped, checkpoint: { sha256, format: fileFormat, records }, replaceAll: true };
    } finally {
      await local.cleanup();
    }
  }

  return { name: 'file', id, fetch };
}
