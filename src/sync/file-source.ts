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
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncError } from '../errors.js';
import { checkInteger, checkOneOf, checkSourceId, showValue } from './check-options.js';
import { assertSecureUrl, createHttpClient, type HttpClientOptions, pickHttpOptions, resolveHttpOptions } from './http.js';
import { detectFormat, type ListFileFormat, readListRecords } from './list-file-records.js';
import { normalizeListRecord } from './record.js';
import { sourceSpec, withSourceSpec } from './source-spec.js';
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
  /** The HTTP `ETag` it was served with (URLs only): sent as `If-None-Match`, a 304 means unchanged. */
  etag?: string;
}

/**
 * Options of {@link createFileSource}. The HTTP options (`dispatcher`, `timeoutMs`, `retries`, ...) apply to
 * URLs only; `maxBytes` replaces `maxResponseBytes`.
 */
export interface FileSourceOptions extends Omit<HttpClientOptions, 'maxResponseBytes'> {
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
}

const FORMATS = ['ndjson', 'csv', 'json', 'auto'] as const;
const HEAD_BYTES = 64 * 1024;

interface LocalFile {
  path: string;
  /** Name used for format detection and messages. */
  name: string;
  contentType?: string;
  etag?: string;
  /** SHA-256 when already known (computed while downloading). */
  sha256?: string;
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

function parseLocation(location: string | URL): URL | string {
  if (location instanceof URL) return location;
  // Windows drive letters (C:\...) are paths, not URL schemes.
  return /^[a-z][a-z0-9+.-]+:/i.test(location) && !/^[a-z]:[\\/]/i.test(location) ? new URL(location) : location;
}

async function downloadToTempFile(
  url: URL,
  http: ReturnType<typeof createHttpClient>,
  previous: FileCheckpoint,
  signal: AbortSignal | undefined,
): Promise<LocalFile | 'unchanged'> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidscan-list-'));
  const file = path.join(dir, 'list');
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const details = { url: http.redact(url) };
  try {
    const headers: Record<string, string> = {};
    if (previous.sha256 !== null && previous.etag) headers['if-none-match'] = previous.etag;
    const result = await http.request(
      url,
      async (response) => {
        if (response.status === 304) return 'unchanged' as const;
        // Written from the start on every attempt: a retried download never appends to a partial one.
        const handle = await open(file, 'w');
        const hash = createHash('sha256');
        try {
          for await (const chunk of response.body) {
            hash.update(chunk);
            await handle.write(chunk);
          }
        } finally {
          await handle.close();
        }
        const etag = response.headers.etag;
        const contentType = response.headers['content-type'];
        const local: LocalFile = { path: file, name: url.pathname, details, cleanup, sha256: hash.digest('hex') };
        if (typeof etag === 'string') local.etag = etag;
        if (typeof contentType === 'string') local.contentType = contentType;
        return local;
      },
      { headers, ...(signal ? { signal } : {}), acceptStatus: (s) => (s >= 200 && s < 300) || s === 304 },
    );
    if (result === 'unchanged') await cleanup();
    return result;
  } catch (err) {
    await cleanup();
    throw err;
  }
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
  const httpConfig = resolveHttpOptions({ ...pickHttpOptions(options), maxResponseBytes: maxBytes });
  let parsed: URL | string;
  try {
    parsed = parseLocation(location);
  } catch {
    throw new TypeError(`Expected \`location\` to be a path or URL, got an invalid URL`);
  }
  if (parsed instanceof URL && parsed.protocol !== 'file:') assertSecureUrl(parsed, httpConfig.allowInsecureHttp, httpConfig.secrets);
  const http = parsed instanceof URL && parsed.protocol !== 'file:' ? createHttpClient(httpConfig) : undefined;

  async function acquire(previous: FileCheckpoint, signal: AbortSignal | undefined): Promise<LocalFile | 'unchanged'> {
    if (typeof parsed === 'string' || parsed.protocol === 'file:') {
      const file = typeof parsed === 'string' ? path.resolve(parsed) : fileURLToPath(parsed);
      return { path: file, name: file, details: { path: file }, cleanup: async () => {} };
    }
    return downloadToTempFile(parsed, http!, previous, signal);
  }

  async function* fetch(checkpoint: FileCheckpoint | null, fetchOptions: FetchOptions = {}): AsyncGenerator<DeltaPage<FileCheckpoint>> {
    const { signal } = fetchOptions;
    const previous: FileCheckpoint = checkpoint ?? { sha256: null };
    if (signal?.aborted) throw abortError(signal, {});
    const local = await acquire(previous, signal);
    if (local === 'unchanged') return;
    try {
      const details = local.details;
      const sha256 = local.sha256 ?? (await sha256OfFile(local.path, maxBytes, details, signal));
      if (sha256 === previous.sha256) return;
      const fileFormat =
        format === 'auto' ? detectFormat(local.name, await readHead(local.path, details), local.contentType) : format;

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
      const next: FileCheckpoint = { sha256, format: fileFormat, records };
      if (local.etag) next.etag = local.etag;
      yield { updates, skipped, checkpoint: next, replaceAll: true };
    } finally {
      await local.cleanup();
    }
  }

  // What a source thread needs to make the same source: resolved values, the location made absolute so it names
  // this file even if the working directory changes before the thread starts.
  const spec = sourceSpec('file', options, {
    location: typeof parsed === 'string' ? path.resolve(parsed) : parsed.href,
    id,
    format,
    pageSize,
    maxBytes,
    maxJsonChars,
  } satisfies Partial<FileSourceOptions>);
  return withSourceSpec({ name: 'file', id, fetch }, spec);
}
