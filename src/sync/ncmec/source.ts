/**
 * The NCMEC hash-sharing source: fetches `GET /v2/entries` in time windows and yields one delta page per API
 * page.
 *
 * How it stays correct (see the spec, "Client behaviour worth copying"):
 * - Windows are `(from, to]` in whole UTC seconds, ending `endLagMs` (5 s) before now.
 * - The API does not list entries in timestamp order, so the checkpoint's `windowEnd` only advances when a
 *   window is exhausted. Pages inside a window carry `paging` (the next-link, its window, when it was saved):
 *   a later fetch resumes from that link only for the same window and only within `pagingTtlMs` (12 h),
 *   because a link reused with another `to` skips entries (#1744). Otherwise the window restarts from its
 *   beginning (already applied entries are re-delivered; last write wins makes that harmless).
 * - Within a fetch, updates are applied in arrival order (document order, page after page, window after
 *   window); the key is `${memberId}-${id}`.
 * - Adaptive windows: the first page of a window is a probe; when its next-link says the window holds more
 *   than `maxWindowEntries`, the window shrinks by 4 (never below 1 s) and the probe is discarded. After 4
 *   consecutive windows with fewer than `maxWindowEntries / 50` entries the window doubles. A 1 s window that
 *   is still too dense is paged through with next-links (#1679).
 * - A page that is not well-formed XML throws `SYNC_MALFORMED_RESPONSE` and nothing of it is yielded.
 *
 * @module
 */
import { SyncError } from '../../errors.js';
import { checkInteger, checkSourceId, showValue } from '../check-options.js';
import { checkBaseUrl, checkEnv, type Environment, readCredential } from '../credentials.js';
import { assertSecureUrl, createHttpClient, type HttpClientOptions, pickHttpOptions, resolveHttpOptions } from '../http.js';
import { packedDeltaPage, packRequestOf, packsPages } from '../packed-page.js';
import { readAhead } from '../read-ahead.js';
import { sourceSpec, withSourceSpec } from '../source-spec.js';
import type { DeltaPage, FetchOptions, HashListSource } from '../types.js';
import { createNcmecApi, type NcmecFeedbackInput, type NcmecFeedbackReason, type NcmecStatus } from './api.js';
import { compareNcmecCheckpoints, isoToSec, type NcmecCheckpoint, parseNcmecCheckpoint, secToIso } from './checkpoint.js';
import type { NcmecEntriesPage } from './entries-xml.js';

/** Options of {@link createNcmecSource}. */
export interface NcmecSourceOptions extends HttpClientOptions {
  /**
   * The environment's base URL, e.g. `https://report.cybertip.org/hashsharing` (requests go to `{baseUrl}/v2/...`).
   * Plain http only for loopback hosts or with `allowInsecureHttp`.
   */
  baseUrl: string | URL;
  /** Basic-auth user. @default process.env.TIDSCAN_NCMEC_USER */
  username?: string;
  /** Basic-auth password. @default process.env.TIDSCAN_NCMEC_PASSWORD */
  password?: string;
  /** Environment to read credentials from. @default process.env */
  env?: Environment;
  /** The list id stored in every entry's `source`. @default 'ncmec' */
  id?: string;
  /**
   * Where the first sync starts (exclusive), when there is no checkpoint.
   * @default '2000-01-01T00:00:00Z'
   */
  since?: string | Date;
  /** Windows end this many ms before now ("avoid being exactly at end time"). @default 5000 */
  endLagMs?: number;
  /** A window whose probe announces more entries than this shrinks. @default 100000 */
  maxWindowEntries?: number;
  /** Longest window, seconds. @default 31622400 (366 days) */
  maxWindowSec?: number;
  /** A saved next-link older than this is not reused. @default 43200000 (12 h) */
  pagingTtlMs?: number;
  /** Clock, ms since the epoch (tests share a fake clock with the mock server). @default Date.now */
  now?: () => number;
}

/** The NCMEC source: a {@link HashListSource} plus the feedback and status calls. */
export interface NcmecSource extends HashListSource<NcmecCheckpoint> {
  readonly name: 'ncmec';
  /** `GET /v2/status`: checks the credentials and shows the member they belong to. */
  getStatus(options?: { signal?: AbortSignal }): Promise<NcmecStatus>;
  /** `GET /v2/feedback/{TYPE}/reasons`. */
  getFeedbackReasons(type: string, options?: { signal?: AbortSignal }): Promise<NcmecFeedbackReason[]>;
  /**
   * `PUT /v2/entries/{memberId}/{entryId}/{TYPE}/feedback`: an up or down vote on one fingerprint. Never retried
   * automatically (a failed vote throws `FEEDBACK_FAILED`; the caller decides).
   */
  submitFeedback(input: NcmecFeedbackInput): Promise<void>;
}

const DEFAULT_SINCE = '2000-01-01T00:00:00Z';
const LOW_STREAK_TO_GROW = 4;
const SHRINK_FACTOR = 4;
const MAX_PAGES_PER_WINDOW = 1_000_000;

function parseSince(value: unknown): number {
  if (value === undefined) return isoToSec(DEFAULT_SINCE);
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`Expected \`since\` to be an ISO 8601 date, got ${showValue(value)}`);
  return Math.floor(ms / 1000);
}

/** The `max` (total in window) a next-link announces, if any. */
function announcedTotal(next: string): number | undefined {
  const max = Number(linkQuery(next).get('max'));
  return Number.isFinite(max) && max > 0 ? max : undefined;
}

/** The query parameters of a next-link (a path with a query, as the API sends it). */
function linkQuery(next: string): URLSearchParams {
  return new URLSearchParams(next.includes('?') ? next.slice(next.indexOf('?') + 1) : '');
}

/**
 * The records a next-link says are left in its window, from the record numbered `start` to `max`
 * (HASH_LIST_APIS.md), if it says so.
 */
function announcedRemaining(next: string): number | undefined {
  const query = linkQuery(next);
  const start = Number(query.get('start'));
  const max = Number(query.get('max'));
  return Number.isSafeInteger(start) && Number.isSafeInteger(max) && start >= 1 && max >= start ? max - start + 1 : undefined;
}

/** True when a next-link's own `from`/`to` (if present) are the window's. */
function linkMatchesWindow(next: string, fromSec: number, toSec: number): boolean {
  const query = linkQuery(next);
  const from = query.get('from');
  const to = query.get('to');
  if (from === null || to === null) return true;
  return isoToSec(from) === fromSec && isoToSec(to) === toSec;
}

/**
 * Creates the NCMEC hash-sharing source.
 *
 * @example
 * ```ts
 * const ncmec = createNcmecSource({ baseUrl: 'https://report.cybertip.org/hashsharing' }); // credentials from env
 * for await (const page of ncmec.fetch(checkpoint)) store.commit(page);
 * ```
 * @throws {TypeError | RangeError} for bad options; {@link SyncError} `SYNC_INSECURE_URL` for plain http to a
 * non-loopback host.
 */
export function createNcmecSource(options: NcmecSourceOptions): NcmecSource {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${showValue(options)}`);
  }
  const baseUrl = checkBaseUrl(options.baseUrl);
  const env = checkEnv(options.env);
  const username = readCredential('username', options.username, 'TIDSCAN_NCMEC_USER', env);
  const password = readCredential('password', options.password, 'TIDSCAN_NCMEC_PASSWORD', env);
  if (username.includes(':')) throw new TypeError('Expected `username` without a colon (Basic auth cannot carry one)');
  const id = checkSourceId(options.id, 'ncmec');
  const sinceSec = parseSince(options.since);
  const endLagMs = checkInteger('endLagMs', options.endLagMs, 0, 24 * 3600 * 1000, 5000);
  const maxWindowEntries = checkInteger('maxWindowEntries', options.maxWindowEntries, 1, 100_000_000, 100_000);
  const maxWindowSec = checkInteger('maxWindowSec', options.maxWindowSec, 1, 100 * 366 * 86400, 366 * 86400);
  const pagingTtlMs = checkInteger('pagingTtlMs', options.pagingTtlMs, 0, 30 * 86400 * 1000, 12 * 3600 * 1000);
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError(`Expected \`now\` to be a function returning ms since the epoch, got ${showValue(options.now)}`);
  }
  const now = options.now ?? Date.now;
  const authorization = 'Basic ' + Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  const httpConfig = resolveHttpOptions({
    ...pickHttpOptions(options),
    secrets: [...(options.secrets ?? []), password, authorization.slice(6)],
  });
  assertSecureUrl(baseUrl, httpConfig.allowInsecureHttp, httpConfig.secrets);
  const http = createHttpClient(httpConfig);
  const api = createNcmecApi({ http, baseUrl, authorization, sourceId: id });

  async function* fetch(checkpoint: NcmecCheckpoint | null, fetchOptions: FetchOptions = {}): AsyncGenerator<DeltaPage<NcmecCheckpoint>> {
    const { signal } = fetchOptions;
    // sync() asks for pages prepared and packed; anyone else gets update objects.
    const pack = packRequestOf(fetchOptions);
    const fetchPage = (url: URL, s?: AbortSignal) => api.fetchEntriesPage(url, s, pack);
    const delta = (page: NcmecEntriesPage, checkpoint: NcmecCheckpoint): DeltaPage<NcmecCheckpoint> => {
      const remaining = page.next === undefined ? undefined : announcedRemaining(page.next);
      const hint = remaining === undefined ? {} : { remainingHint: remaining };
      return page.batch ?
          (packedDeltaPage({ batch: page.batch, skipped: page.skipped, checkpoint, ...hint }) as DeltaPage<NcmecCheckpoint>)
        : { updates: page.updates, skipped: page.skipped, checkpoint, ...hint };
    };
    const start: NcmecCheckpoint = checkpoint === null ? { version: 1, windowEnd: secToIso(sinceSec) } : parseNcmecCheckpoint(checkpoint);
    const endSec = Math.floor((now() - endLagMs) / 1000);
    let windowEnd = isoToSec(start.windowEnd);
    const checkAbort = () => {
      if (signal?.aborted) {
        throw new SyncError('SYNC_ABORTED', 'The NCMEC sync was aborted', { cause: signal.reason, details: { source: id } });
      }
    };

    /** Pages through one window from `first`, yielding a delta page per API page. Returns the entries seen. */
    async function* pageWindow(fromSec: number, toSec: number, first: NcmecEntriesPage, firstUrl: URL): AsyncGenerator<DeltaPage<NcmecCheckpoint>, number> {
      let page = first;
      let url = firstUrl;
      let entries = 0;
      const seen = new Set<string>([url.href]);
      for (let pages = 1; ; pages++) {
        entries += (page.batch?.count ?? page.updates.length) + page.skipped.length;
        const next = page.next;
        if (next !== undefined && !linkMatchesWindow(next, fromSec, toSec)) {
          throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The NCMEC paging link does not belong to the requested window', {
            details: { url: http.redact(url), windowFrom: secToIso(fromSec), windowTo: secToIso(toSec) },
          });
        }
        const cp: NcmecCheckpoint =
          next === undefined ?
            { version: 1, windowEnd: secToIso(toSec) }
          : {
              version: 1,
              windowEnd: secToIso(fromSec),
              paging: { nextUrl: next, windowFrom: secToIso(fromSec), windowTo: secToIso(toSec), savedAt: new Date(now()).toISOString() },
            };
        if (next === undefined) {
          yield delta(page, cp);
          return entries;
        }
        // The next link is checked now, to read ahead, but a bad one fails only after this page was handed over.
        let problem: SyncError | undefined;
        try {
          url = api.resolveNext(next);
          if (seen.has(url.href) || pages >= MAX_PAGES_PER_WINDOW) {
            throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The NCMEC paging links loop', { details: { url: http.redact(url) } });
          }
          seen.add(url.href);
        } catch (err) {
          if (!(err instanceof SyncError)) throw err;
          problem = err;
        }
        const target = url;
        const ahead = problem ? undefined : await readAhead((s) => fetchPage(target, s), signal);
        try {
          yield delta(page, cp);
          checkAbort();
          if (problem) throw problem;
          page = await ahead!.result;
        } finally {
          ahead?.cancel();
        }
      }
    }

    checkAbort();
    // 1. Resume a saved cursor: same window, fresh enough, and its link still names that window.
    const paging = start.paging;
    if (paging) {
      const fromSec = isoToSec(paging.windowFrom);
      const toSec = isoToSec(paging.windowTo);
      const fresh = now() - Date.parse(paging.savedAt) <= pagingTtlMs && Date.parse(paging.savedAt) <= now() + 60_000;
      if (fresh && fromSec === windowEnd && toSec > fromSec && linkMatchesWindow(paging.nextUrl, fromSec, toSec)) {
        const url = api.resolveNext(paging.nextUrl);
        let first: NcmecEntriesPage | undefined;
        try {
          first = await fetchPage(url, signal);
        } catch (err) {
          // The API invalidates cursors (notably near the end of a list): restart the window instead.
          const status = err instanceof SyncError ? err.details.status : undefined;
          if (!(err instanceof SyncError && err.code === 'SYNC_HTTP_ERROR' && (status === 400 || status === 404 || status === 410))) throw err;
        }
        if (first) {
          yield* pageWindow(fromSec, toSec, first, url);
          windowEnd = toSec;
        }
      }
    }

    // 2. Windows up to now - endLag.
    let windowSec = Math.max(1, Math.min(maxWindowSec, endSec - windowEnd));
    let lowStreak = 0;
    while (windowEnd < endSec) {
      checkAbort();
      const fromSec = windowEnd;
      let toSec = Math.min(endSec, fromSec + windowSec);
      let url = api.entriesUrl(secToIso(fromSec), secToIso(toSec));
      let first = await fetchPage(url, signal);
      // Probe: shrink while the window announces too many entries and can still shrink.
      for (;;) {
        const total = first.next === undefined ? undefined : announcedTotal(first.next);
        if (total === undefined || total <= maxWindowEntries || toSec - fromSec <= 1) break;
        windowSec = Math.max(1, Math.floor((toSec - fromSec) / SHRINK_FACTOR));
        toSec = fromSec + windowSec;
        checkAbort();
        url = api.entriesUrl(secToIso(fromSec), secToIso(toSec));
        first = await fetchPage(url, signal);
      }
      const seen = yield* pageWindow(fromSec, toSec, first, url);
      windowEnd = toSec;
      if (seen < maxWindowEntries / 50) {
        if (++lowStreak >= LOW_STREAK_TO_GROW) {
          windowSec = Math.min(maxWindowSec, windowSec * 2);
          lowStreak = 0;
        }
      } else {
        lowStreak = 0;
      }
    }
  }

  // What a source thread needs to make the same source (resolved values only; a dispatcher or clock cannot move).
  const spec = sourceSpec('ncmec', options, {
    baseUrl: baseUrl.href,
    username,
    password,
    id,
    since: secToIso(sinceSec),
    endLagMs,
    maxWindowEntries,
    maxWindowSec,
    pagingTtlMs,
  } satisfies Partial<NcmecSourceOptions>);
  return withSourceSpec(
    {
      name: 'ncmec',
      id,
      fetch: packsPages(fetch),
      compareCheckpoints: compareNcmecCheckpoints,
      getStatus: (opts = {}) => api.getStatus(opts.signal),
      getFeedbackReasons: (type, opts = {}) => api.getFeedbackReasons(type, opts.signal),
      submitFeedback: (input) => api.submitFeedback(input),
    },
    spec,
  );
}
