/**
 * The StopNCII source: `GET {baseUrl}/FetchHashes?startTimestamp=..&pageSize=..[&nextPageToken=..]` with the
 * `x-functions-key` and `Ocp-Apim-Subscription-Key` headers (spec §2b).
 *
 * - Each record is the current state of `${signalType}:${hashValue}` and replaces any earlier one.
 *   `hashStatus` `Withdrawn` or `Deleted` is a delete (pytx/HMA test `hashValue` there and never delete: the known
 *   bug this source does not have).
 * - Signal types: `ImagePDQ` -> `pdq`, `ImageMD5` -> `md5` (image), `VideoMD5` -> `md5` (video); any other type
 *   is kept as an opaque fingerprint under its lowercased name (kind video when it starts with `Video`).
 * - Checkpoint: `nextSetTimestamp` advances only when a paging session is exhausted; pages in between carry the
 *   page token (resumable for `pageTokenTtlMs`, "not valid over long periods of time"). A checkpoint older than
 *   30 days (or none) is stale: the fetch starts over from `startTimestamp` and, when that full fetch completes in
 *   one call, its last page carries `replaceAll` so hashes StopNCII no longer lists are deleted too. An
 *   interrupted full fetch resumes as an ordinary session (without `replaceAll`).
 * - A truncated or malformed JSON page throws `SYNC_MALFORMED_RESPONSE` (never a silent stall, unlike HMA #2005);
 *   a malformed record is skipped with a reason.
 *
 * @module
 */
import { SyncError } from '../errors.js';
import { HASH_BYTES, isHexOfLength } from '../hash/hex.js';
import { checkInteger, checkSourceId, showValue } from './check-options.js';
import { checkpointField, compareIsoTimes, compareNumbers } from './checkpoint-order.js';
import { checkBaseUrl, checkEnv, type Environment, readCredential } from './credentials.js';
import { assertSecureUrl, createHttpClient, type HttpClientOptions, pickHttpOptions, resolveHttpOptions } from './http.js';
import { readAhead } from './read-ahead.js';
import { sourceSpec, withSourceSpec } from './source-spec.js';
import type { DeltaPage, EntryKind, FetchOptions, HashListSource, ListEntry, ListUpdate, SkippedRecord } from './types.js';

/** Checkpoint of the StopNCII source (persisted by the store; keep it readable across versions). */
export interface StopNciiCheckpoint {
  version: 1;
  /** `startTimestamp` of the next paging session (unix seconds): the last completed session's `nextSetTimestamp`. */
  nextSetTimestamp: number;
  /**
   * When the last paging session completed (or, while a full fetch is in progress, when it started), ISO 8601.
   * Staleness is measured from it.
   */
  lastFetchAt: string;
  /** Present while a paging session is only partly fetched. */
  paging?: { startTimestamp: number; nextPageToken: string; savedAt: string };
}

/** Options of {@link createStopNciiSource}. */
export interface StopNciiSourceOptions extends HttpClientOptions {
  /** @default 'https://api.stopncii.org/v1' */
  baseUrl?: string | URL;
  /** `x-functions-key`. @default process.env.TIDSCAN_STOPNCII_FUNCTION_KEY */
  functionKey?: string;
  /** `Ocp-Apim-Subscription-Key`. @default process.env.TIDSCAN_STOPNCII_SUBSCRIPTION_KEY */
  subscriptionKey?: string;
  /** Environment to read keys from. @default process.env */
  env?: Environment;
  /** @default 'stopncii' */
  id?: string;
  /** Records per request. @default 800 */
  pageSize?: number;
  /** `startTimestamp` of a full fetch (first sync, or after a stale checkpoint), unix seconds. @default 10 */
  startTimestamp?: number;
  /** A checkpoint whose last completed fetch is older than this is stale. @default 2592000000 (30 days) */
  staleAfterMs?: number;
  /** A saved page token older than this is not reused. @default 3600000 (1 h) */
  pageTokenTtlMs?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

const DEFAULT_BASE = 'https://api.stopncii.org/v1';
const DELETE_STATUSES = new Set(['withdrawn', 'deleted']);
const SIGNAL_TYPES: Record<string, { kind: EntryKind; fingerprint: 'pdq' | 'md5'; bytes: number }> = {
  imagepdq: { kind: 'image', fingerprint: 'pdq', bytes: HASH_BYTES.pdq },
  imagemd5: { kind: 'image', fingerprint: 'md5', bytes: HASH_BYTES.md5 },
  videomd5: { kind: 'video', fingerprint: 'md5', bytes: HASH_BYTES.md5 },
};
const MAX_PAGES = 10_000_000;

interface FetchHashesPage {
  records: unknown[];
  nextSetTimestamp: number;
  hasMoreRecords: boolean;
  nextPageToken?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a stored StopNCII checkpoint.
 *
 * @throws {SyncError} `SYNC_CHECKPOINT_INVALID`
 */
export function parseStopNciiCheckpoint(value: unknown): StopNciiCheckpoint {
  const invalid = (why: string) =>
    new SyncError('SYNC_CHECKPOINT_INVALID', `The stored StopNCII checkpoint is invalid: ${why}`, { details: { source: 'stopncii' } });
  if (!isObject(value)) throw invalid('not an object');
  if (value.version !== 1) throw invalid(`unsupported version ${JSON.stringify(value.version)}`);
  if (typeof value.nextSetTimestamp !== 'number' || !Number.isInteger(value.nextSetTimestamp) || value.nextSetTimestamp < 0) {
    throw invalid('nextSetTimestamp is not a unix timestamp');
  }
  if (typeof value.lastFetchAt !== 'string' || Number.isNaN(Date.parse(value.lastFetchAt))) throw invalid('lastFetchAt is not a date');
  const out: StopNciiCheckpoint = { version: 1, nextSetTimestamp: value.nextSetTimestamp, lastFetchAt: value.lastFetchAt };
  if (value.paging !== undefined && value.paging !== null) {
    const p = value.paging;
    if (
      !isObject(p) ||
      typeof p.nextPageToken !== 'string' ||
      p.nextPageToken.length === 0 ||
      typeof p.startTimestamp !== 'number' ||
      typeof p.savedAt !== 'string' ||
      Number.isNaN(Date.parse(p.savedAt))
    ) {
      throw invalid('paging must be {startTimestamp, nextPageToken, savedAt}');
    }
    out.paging = { startTimestamp: p.startTimestamp, nextPageToken: p.nextPageToken, savedAt: p.savedAt };
  }
  return out;
}

/** Maps one `hashRecords` item to an update, or a skip reason. */
export function mapStopNciiRecord(raw: unknown, sourceId: string, index: number): { update: ListUpdate } | { skipped: SkippedRecord } {
  const where = `hashRecords[${index}]`;
  if (!isObject(raw)) return { skipped: { reason: `${where}: not an object` } };
  const { signalType, hashValue, hashStatus, lastModtimestamp } = raw;
  if (typeof signalType !== 'string' || signalType.length === 0) return { skipped: { reason: `${where}: missing signalType` } };
  if (typeof hashValue !== 'string' || hashValue.trim().length === 0) return { skipped: { reason: `${where}: missing hashValue` } };
  const known = SIGNAL_TYPES[signalType.toLowerCase()];
  const value: string = hashValue.trim();
  const length = value.length;
  if (known && !isHexOfLength(value, known.bytes)) {
    return {
      skipped: {
        key: `${signalType}:${value}`,
        reason: `${where}: ${signalType} hashValue must be ${known.bytes * 2} hex characters, got length ${length}`,
      },
    };
  }
  const key = `${signalType}:${known ? value.toLowerCase() : value}`;
  if (typeof hashStatus !== 'string') return { skipped: { key, reason: `${where}: missing hashStatus` } };
  if (DELETE_STATUSES.has(hashStatus.toLowerCase())) return { update: { key, entry: null } };
  const kind: EntryKind = known ? known.kind : /^video/i.test(signalType) ? 'video' : 'image';
  const fingerprint = known ? known.fingerprint : signalType.toLowerCase();
  const entry: ListEntry = { source: sourceId, id: key, kind, fingerprints: { [fingerprint]: known ? value.toLowerCase() : value } };
  if (typeof lastModtimestamp === 'number' && Number.isFinite(lastModtimestamp)) {
    entry.timestamp = new Date(lastModtimestamp * 1000).toISOString();
  }
  const metadata: Record<string, unknown> = { hashStatus };
  if (isObject(raw.caseNumbers)) metadata.caseNumbers = raw.caseNumbers;
  if (Array.isArray(raw.CSPFeedbacks)) metadata.CSPFeedbacks = raw.CSPFeedbacks;
  entry.metadata = metadata;
  return { update: { key, entry } };
}

/**
 * Orders StopNCII checkpoints by `lastFetchAt`, then `nextSetTimestamp`. A stale checkpoint restarts the full
 * fetch from the beginning (`nextSetTimestamp` drops) but with a new, later `lastFetchAt`, so that legitimate
 * restart is not a rewind, while a `nextSetTimestamp` going back within the same fetch generation is.
 */
export function compareStopNciiCheckpoints(a: unknown, b: unknown): number {
  return (
    compareIsoTimes(checkpointField(a, 'lastFetchAt'), checkpointField(b, 'lastFetchAt')) ||
    compareNumbers(checkpointField(a, 'nextSetTimestamp'), checkpointField(b, 'nextSetTimestamp'))
  );
}

function parsePage(text: string, details: Record<string, unknown>): FetchHashesPage {
  const malformed = (why: string, cause?: unknown) =>
    new SyncError('SYNC_MALFORMED_RESPONSE', `The StopNCII FetchHashes response is malformed: ${why}`, { cause, details });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw malformed(`not valid JSON (truncated?): ${(err as Error).message}`, err);
  }
  if (!isObject(body)) throw malformed('not a JSON object');
  if (!Array.isArray(body.hashRecords)) throw malformed('hashRecords is not an array');
  if (typeof body.nextSetTimestamp !== 'number' || !Number.isInteger(body.nextSetTimestamp) || body.nextSetTimestamp < 0) {
    throw malformed('nextSetTimestamp is not a unix timestamp');
  }
  if (typeof body.hasMoreRecords !== 'boolean') throw malformed('hasMoreRecords is not a boolean');
  if (body.hasMoreRecords && (typeof body.nextPageToken !== 'string' || body.nextPageToken.length === 0)) {
    throw malformed('hasMoreRecords is true but there is no nextPageToken');
  }
  const page: FetchHashesPage = { records: body.hashRecords, nextSetTimestamp: body.nextSetTimestamp, hasMoreRecords: body.hasMoreRecords };
  if (typeof body.nextPageToken === 'string' && body.nextPageToken.length > 0) page.nextPageToken = body.nextPageToken;
  return page;
}

/**
 * Creates the StopNCII source.
 *
 * @example
 * ```ts
 * const stopncii = createStopNciiSource({}); // keys from TIDSCAN_STOPNCII_FUNCTION_KEY / _SUBSCRIPTION_KEY
 * for await (const page of stopncii.fetch(checkpoint)) store.commit(page);
 * ```
 * @throws {TypeError | RangeError} for bad options; {@link SyncError} `SYNC_INSECURE_URL` for plain http to a
 * non-loopback host.
 */
export function createStopNciiSource(options: StopNciiSourceOptions = {}): HashListSource<StopNciiCheckpoint> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${showValue(options)}`);
  }
  const baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE);
  const env = checkEnv(options.env);
  const functionKey = readCredential('functionKey', options.functionKey, 'TIDSCAN_STOPNCII_FUNCTION_KEY', env);
  const subscriptionKey = readCredential('subscriptionKey', options.subscriptionKey, 'TIDSCAN_STOPNCII_SUBSCRIPTION_KEY', env);
  const id = checkSourceId(options.id, 'stopncii');
  const pageSize = checkInteger('pageSize', options.pageSize, 1, 10_000, 800);
  const startTimestamp = checkInteger('startTimestamp', options.startTimestamp, 0, 2 ** 32, 10);
  const staleAfterMs = checkInteger('staleAfterMs', options.staleAfterMs, 1, 10 * 366 * 86400_000, 30 * 86400_000);
  const pageTokenTtlMs = checkInteger('pageTokenTtlMs', options.pageTokenTtlMs, 0, 30 * 86400_000, 3600_000);
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError(`Expected \`now\` to be a function returning ms since the epoch, got ${showValue(options.now)}`);
  }
  const now = options.now ?? Date.now;
  const httpConfig = resolveHttpOptions({
    ...pickHttpOptions(options),
    secrets: [...(options.secrets ?? []), functionKey, subscriptionKey],
  });
  assertSecureUrl(baseUrl, httpConfig.allowInsecureHttp, httpConfig.secrets);
  const http = createHttpClient(httpConfig);
  const baseHref = baseUrl.href.replace(/\/+$/, '');
  const headers = { 'x-functions-key': functionKey, 'Ocp-Apim-Subscription-Key': subscriptionKey, accept: 'application/json' };

  function pageUrl(start: number, token: string | undefined): URL {
    const url = new URL(`${baseHref}/FetchHashes`);
    url.searchParams.set('startTimestamp', String(start));
    url.searchParams.set('pageSize', String(pageSize));
    if (token !== undefined) url.searchParams.set('nextPageToken', token);
    return url;
  }

  async function getPage(start: number, token: string | undefined, signal?: AbortSignal): Promise<FetchHashesPage> {
    const url = pageUrl(start, token);
    return http.request(url, async (res) => parsePage(await res.text(), { url: res.url }), { headers, ...(signal ? { signal } : {}) });
  }

  async function* fetch(checkpoint: StopNciiCheckpoint | null, fetchOptions: FetchOptions = {}): AsyncGenerator<DeltaPage<StopNciiCheckpoint>> {
    const { signal } = fetchOptions;
    const previous = checkpoint === null ? null : parseStopNciiCheckpoint(checkpoint);
    const fetchStart = now();
    const stale = previous === null || fetchStart - Date.parse(previous.lastFetchAt) > staleAfterMs;
    const sessionStart = stale ? startTimestamp : previous.nextSetTimestamp;
    // What an interrupted fetch resumes from: the same session start (with the saved page token while it is
    // fresh). A full fetch counts as recent from its start, so an interrupted first sync resumes.
    const base: StopNciiCheckpoint =
      stale ?
        { version: 1, nextSetTimestamp: startTimestamp, lastFetchAt: new Date(fetchStart).toISOString() }
      : { version: 1, nextSetTimestamp: previous.nextSetTimestamp, lastFetchAt: previous.lastFetchAt };

    let token: string | undefined;
    let first: FetchHashesPage | undefined;
    const saved = stale ? undefined : previous?.paging;
    if (saved && saved.startTimestamp === sessionStart && fetchStart - Date.parse(saved.savedAt) <= pageTokenTtlMs) {
      try {
        first = await getPage(sessionStart, saved.nextPageToken, signal);
        token = saved.nextPageToken;
      } catch (err) {
        // An expired or rejected token: start the session over (records replace, so re-delivery is harmless).
        const status = err instanceof SyncError ? err.details.status : undefined;
        if (!(err instanceof SyncError && err.code === 'SYNC_HTTP_ERROR' && (status === 400 || status === 404 || status === 410))) throw err;
      }
    }
    first ??= await getPage(sessionStart, undefined, signal);

    let page = first;
    let maxNext = sessionStart;
    const tokens = new Set<string>(token ? [token] : []);
    for (let pages = 1; ; pages++) {
      const updates: ListUpdate[] = [];
      const skipped: SkippedRecord[] = [];
      page.records.forEach((raw, i) => {
        const result = mapStopNciiRecord(raw, id, i);
        if ('update' in result) updates.push(result.update);
        else skipped.push(result.skipped);
      });
      maxNext = Math.max(maxNext, page.nextSetTimestamp);
      if (!page.hasMoreRecords) {
        const done: DeltaPage<StopNciiCheckpoint> = {
          updates,
          skipped,
          checkpoint: { version: 1, nextSetTimestamp: maxNext, lastFetchAt: new Date(now()).toISOString() },
        };
        // A full fetch (from its first page, in this call) enumerated every hash StopNCII still lists.
        if (stale) done.replaceAll = true;
        yield done;
        return;
      }
      const next = page.nextPageToken!;
      // Read ahead (see read-ahead.ts), unless the token repeats: that fails once this page was handed over.
      const loops = tokens.has(next) || pages >= MAX_PAGES;
      tokens.add(next);
      const ahead = loops ? undefined : await readAhead((s) => getPage(sessionStart, next, s), signal);
      try {
        yield {
          updates,
          skipped,
          checkpoint: { ...base, paging: { startTimestamp: sessionStart, nextPageToken: next, savedAt: new Date(now()).toISOString() } },
        };
        if (signal?.aborted) throw new SyncError('SYNC_ABORTED', 'The StopNCII sync was aborted', { cause: signal.reason, details: { source: id } });
        if (!ahead) throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The StopNCII nextPageToken repeats', { details: { source: id } });
        page = await ahead.result;
      } finally {
        ahead?.cancel();
      }
    }
  }

  // What a source thread needs to make the same source (resolved values only; a dispatcher or clock cannot move).
  const spec = sourceSpec('stopncii', options, {
    baseUrl: baseUrl.href,
    functionKey,
    subscriptionKey,
    id,
    pageSize,
    startTimestamp,
    staleAfterMs,
    pageTokenTtlMs,
  } satisfies Partial<StopNciiSourceOptions>);
  return withSourceSpec({ name: 'stopncii', id, fetch, compareCheckpoints: compareStopNciiCheckpoints }, spec);
}
