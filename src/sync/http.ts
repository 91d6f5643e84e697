/**
 * The HTTP transport every remote source uses, over undici `request` with an injectable dispatcher.
 *
 * - https only, except loopback hosts (127.0.0.0/8, ::1, localhost), unless `allowInsecureHttp`.
 * - Timeouts: `timeoutMs` bounds the wait for headers and every gap between body chunks (a stalled response);
 *   `deadlineMs` bounds a whole attempt (a response that drips forever).
 * - The body is streamed to the caller's `consume` function, capped at `maxResponseBytes` while streaming.
 * - GET only: retries on 429/500/502/503/504, network errors and timeouts, with exponential backoff and jitter,
 *   honouring `Retry-After` (seconds or HTTP date, capped at `maxRetryDelayMs`). A GET is retried as a whole,
 *   `consume` included, so `consume` must only build a value (never commit side effects). Other methods are never
 *   retried.
 * - Failures are `SyncError`s with stable codes; their message and details carry a redacted URL (no user-info,
 *   no secret-looking query values, none of the configured `secrets`).
 * - Each response, retry and failure is published on the `tidscan:sync:http` diagnostics channel (redacted).
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { type Dispatcher, request } from 'undici';
import { SyncError, type SyncErrorCode } from '../errors.js';
import { checkBoolean, checkInteger, showValue } from './check-options.js';
import { redactText, redactUrl } from './redact.js';

/** Diagnostics channel carrying {@link HttpDiagnosticEvent}s. */
export const HTTP_DIAGNOSTICS_CHANNEL = 'tidscan:sync:http';

/** An event on the `tidscan:sync:http` channel. URLs are redacted. */
export interface HttpDiagnosticEvent {
  event: 'response' | 'retry' | 'error';
  method: string;
  url: string;
  attempt: number;
  status?: number;
  code?: string;
  delayMs?: number;
}

const channel = diagnostics.channel(HTTP_DIAGNOSTICS_CHANNEL);

/** Options of {@link createHttpClient}; sources accept the same options and pass them through. */
export interface HttpClientOptions {
  /**
   * The undici dispatcher (an `Agent`, a `MockAgent`, a proxy agent...).
   * @default undici's global dispatcher
   */
  dispatcher?: Dispatcher;
  /**
   * Milliseconds to wait for response headers, and at most between two body chunks.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Milliseconds one attempt (request, headers and the whole body) may take.
   * @default 300000
   */
  deadlineMs?: number;
  /**
   * Largest response body accepted, in bytes, enforced while streaming.
   * @default 67108864 (64 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Retries of a GET after the first attempt.
   * @default 4
   */
  retries?: number;
  /**
   * Base of the exponential backoff, in milliseconds (attempt n waits about `retryDelayMs * 2^n`, with jitter).
   * @default 250
   */
  retryDelayMs?: number;
  /**
   * Longest wait before a retry, including a server's `Retry-After`.
   * @default 30000
   */
  maxRetryDelayMs?: number;
  /**
   * Accept plain `http:` URLs to non-loopback hosts.
   * @default false
   */
  allowInsecureHttp?: boolean;
  /** Strings never to show in errors or diagnostics (passwords, API keys). The sources add their credentials. */
  secrets?: readonly string[];
}

/** One request. */
export interface HttpRequestOptions {
  /** @default 'GET' */
  method?: 'GET' | 'PUT' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /**
   * Which statuses `consume` handles; others become errors.
   * @default 2xx
   */
  acceptStatus?: (status: number) => boolean;
}

/** A response handed to `consume`. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The redacted URL, for messages. */
  url: string;
  /** The body, capped and timed; fails with a `SyncError`. Iterate it at most once. */
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body as UTF-8 text (still capped). */
  text(): Promise<string>;
}

/** The transport. */
export interface HttpClient {
  /**
   * Sends a request and hands the response to `consume`, retrying a GET (with `consume`) on transient failures.
   *
   * @throws {SyncError} `SYNC_INSECURE_URL`, `SYNC_AUTH_FAILED`, `SYNC_HTTP_ERROR`, `SYNC_TIMEOUT`,
   * `SYNC_NETWORK_ERROR`, `SYNC_RESPONSE_TOO_LARGE`, `SYNC_ABORTED`, or whatever `consume` throws.
   */
  request<T>(url: string | URL, consume: (response: HttpResponse) => Promise<T>, options?: HttpRequestOptions): Promise<T>;
  /** Redacts a URL with this client's secrets. */
  redact(url: string | URL): string;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const kRetryable = Symbol('tidscan.retryable');
const SNIPPET_BYTES = 512;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Throws `SYNC_INSECURE_URL` unless the URL is https, or http to a loopback host, or http with `allowInsecureHttp`.
 */
export function assertSecureUrl(url: URL, allowInsecureHttp: boolean, secrets: readonly string[] = []): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackHost(url.hostname))) return;
  throw new SyncError(
    'SYNC_INSECURE_URL',
    url.protocol === 'http:' ?
      `Refusing plain http to a non-loopback host (${redactUrl(url, secrets)}); use https or set allowInsecureHttp`
    : `Unsupported URL scheme ${url.protocol} (${redactUrl(url, secrets)}); use https`,
    { details: { url: redactUrl(url, secrets) } },
  );
}

/**
 * Parses a `Retry-After` value (delta-seconds or an HTTP date) into milliseconds from `now`; undefined when
 * absent or invalid. A date in the past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, date - now);
}

class AttemptAbort {
  constructor(readonly kind: 'timeout' | 'deadline' | 'user', readonly reason?: unknown) {}
}

function retryable(error: SyncError): SyncError {
  Object.defineProperty(error, kRetryable, { value: true });
  return error;
}

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[kRetryable] === true;
}

const HTTP_OPTION_KEYS = [
  'dispatcher',
  'timeoutMs',
  'deadlineMs',
  'maxResponseBytes',
  'retries',
  'retryDelayMs',
  'maxRetryDelayMs',
  'allowInsecureHttp',
  'secrets',
] as const satisfies ReadonlyArray<keyof HttpClientOptions>;

/** The transport options found in a source's options object (other keys ignored). */
export function pickHttpOptions(options: HttpClientOptions): HttpClientOptions {
  const out: Record<string, unknown> = {};
  for (const key of HTTP_OPTION_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out as HttpClientOptions;
}

/** Checks the transport options; returns them with defaults applied. */
export function resolveHttpOptions(options: HttpClientOptions = {}): Required<Omit<HttpClientOptions, 'dispatcher'>> & {
  dispatcher: Dispatcher | undefined;
} {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${showValue(options)}`);
  }
  const { dispatcher, secrets } = options;
  if (dispatcher !== undefined && (typeof dispatcher !== 'object' || dispatcher === null || typeof dispatcher.dispatch !== 'function')) {
    throw new TypeError(`Expected \`dispatcher\` to be an undici Dispatcher, got ${showValue(dispatcher)}`);
  }
  if (secrets !== undefined && (!Array.isArray(secrets) || secrets.some((s) => typeof s !== 'string'))) {
    throw new TypeError(`Expected \`secrets\` to be an array of strings, got ${showValue(secrets)}`);
  }
  const day = 24 * 3600 * 1000;
  return {
    dispatcher,
    timeoutMs: checkInteger('timeoutMs', options.timeoutMs, 1, day, 30_000),
    deadlineMs: checkInteger('deadlineMs', options.deadlineMs, 1, day, 300_000),
    maxResponseBytes: checkInteger('maxResponseBytes', options.maxResponseBytes, 1, Number.MAX_SAFE_INTEGER, 64 * 1024 * 1024),
    retries: checkInteger('retries', options.retries, 0, 100, 4),
    retryDelayMs: checkInteger('retryDelayMs', options.retryDelayMs, 0, day, 250),
    maxRetryDelayMs: checkInteger('maxRetryDelayMs', options.maxRetryDelayMs, 0, day, 30_000),
    allowInsecureHttp: checkBoolean('allowInsecureHttp', options.allowInsecureHttp, false),
    secrets: [...(secrets ?? [])],
  };
}

/**
 * Creates the transport.
 *
 * @example
 * ```ts
 * const http = createHttpClient({ timeoutMs: 10_000, secrets: [password] });
 * const xml = await http.request(url, (res) => res.text(), { headers: { authorization } });
 * ```
 * @throws {TypeError | RangeError} for bad options (checked eagerly).
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const config = resolveHttpOptions(options);
  const secrets = config.secrets;
  const redact = (url: string | URL) => redactUrl(url, secrets);

  function backoff(attempt: number): number {
    const exp = Math.min(config.maxRetryDelayMs, config.retryDelayMs * 2 ** attempt);
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  async function sleep(ms: number, signal: AbortSignal | undefined, details: Record<string, unknown>): Promise<void> {
    try {
      await sleepTimer(ms, undefined, signal ? { signal } : undefined);
    } catch {
      throw new SyncError('SYNC_ABORTED', `${String(details.method)} ${String(details.url)} was aborted`, {
        cause: signal?.reason,
        details,
      });
    }
  }

  function transportError(err: unknown, abort: AttemptAbort | undefined, details: Record<string, unknown>): SyncError {
    if (err instanceof SyncError) return err;
    const where = `${String(details.method)} ${String(details.url)}`;
    const message = redactText(err instanceof Error ? err.message : String(err), secrets);
    const cause = Object.assign(new Error(message), { code: (err as { code?: unknown })?.code });
    if (abort?.kind === 'user') return new SyncError('SYNC_ABORTED', `${where} was aborted`, { cause: abort.reason, details });
    const code = (err as { code?: string })?.code;
    if (abort || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
      const what = abort?.kind === 'deadline' ? `did not complete within ${config.deadlineMs} ms` : `stalled for ${config.timeoutMs} ms`;
      return retryable(new SyncError('SYNC_TIMEOUT', `${where} timed out: it ${what}`, { cause, details }));
    }
    return retryable(new SyncError('SYNC_NETWORK_ERROR', `${where} failed: ${message}`, { cause, details }));
  }

  async function readSnippet(body: AsyncIterable<Uint8Array> & { destroy?: () => void }): Promise<string> {
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of body) {
        chunks.push(Buffer.from(chunk));
        length += chunk.length;
        if (length >= SNIPPET_BYTES) break;
      }
    } catch {
      // The snippet is best effort; the status is what matters.
    }
    return redactText(Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'), secrets).trim();
  }

  async function attemptOnce<T>(
    url: URL,
    consume: (response: HttpResponse) => Promise<T>,
    options: HttpRequestOptions,
    details: Record<string, unknown>,
  ): Promise<{ retryAfterMs?: number; status?: number; value?: T; done: boolean }> {
    const controller = new AbortController();
    let abort: AttemptAbort | undefined;
    const fire = (a: AttemptAbort) => {
      if (abort) return;
      abort = a;
      controller.abort(a.reason ?? new Error(a.kind));
    };
    let idle = setTimeout(() => fire(new AttemptAbort('timeout')), config.timeoutMs);
    const deadline = setTimeout(() => fire(new AttemptAbort('deadline')), config.deadlineMs);
    const onUserAbort = () => fire(new AttemptAbort('user', options.signal?.reason));
    options.signal?.addEventListener('abort', onUserAbort, { once: true });
    let body: Dispatcher.ResponseData['body'] | undefined;
    try {
      const headers: Record<string, string> = { 'user-agent': 'tidscan', ...options.headers };
      if (url.username || url.password) {
        headers.authorization ??=
          'Basic ' + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
      }
      const target = new URL(url);
      target.username = '';
      target.password = '';
      let response: Dispatcher.ResponseData;
      try {
        response = await request(target, {
          method: options.method ?? 'GET',
          headers,
          body: options.body ?? null,
          signal: controller.signal,
          ...(config.dispatcher ? { dispatcher: config.dispatcher } : {}),
          // Backstops only: our own timers fire first and tell a stall from a user abort.
          headersTimeout: config.timeoutMs + 1000,
          bodyTimeout: config.timeoutMs + 1000,
        });
      } catch (err) {
        throw transportError(err, abort, { ...details });
      }
      body = response.body;
      const status = response.statusCode;
      details.status = status;
      const isGet = (options.method ?? 'GET') === 'GET';
      channel.publish({ event: 'response', method: details.method, url: details.url, attempt: details.attempts, status } as HttpDiagnosticEvent);
      const accept = options.acceptStatus ?? ((s: number) => s >= 200 && s < 300);
      if (!accept(status)) {
        if (isGet && RETRY_STATUSES.has(status)) {
          const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
          return retryAfterMs === undefined ? { status, done: false } : { status, retryAfterMs, done: false };
        }
        const snippet = await readSnippet(response.body);
        if (snippet) details.body = snippet;
        const where = `${String(details.method)} ${String(details.url)}`;
        if (status === 401 || status === 403) {
          throw new SyncError('SYNC_AUTH_FAILED', `${where} was refused with HTTP ${status}: check the credentials`, {
            details: { ...details },
          });
        }
        throw new SyncError('SYNC_HTTP_ERROR', `${where} failed with HTTP ${status}`, { details: { ...details } });
      }
      const length = Number(response.headers['content-length']);
      if (Number.isFinite(length) && length > config.maxResponseBytes) {
        throw new SyncError(
          'SYNC_RESPONSE_TOO_LARGE',
          `${String(details.method)} ${String(details.url)}: the response is ${length} bytes, more than maxResponseBytes (${config.maxResponseBytes})`,
          { details: { ...details, bytes: length, maxResponseBytes: config.maxResponseBytes } },
        );
      }
      const raw = response.body;
      let consumed = false;
      const capped = async function* (): AsyncGenerator<Uint8Array> {
        if (consumed) throw new TypeError('The response body can only be read once');
        consumed = true;
        let received = 0;
        try {
          for await (const chunk of raw) {
            const bytes = chunk as Buffer;
            received += bytes.length;
            if (received > config.maxResponseBytes) {
              throw new SyncError(
                'SYNC_RESPONSE_TOO_LARGE',
                `${String(details.method)} ${String(details.url)}: the response exceeds maxResponseBytes (${config.maxResponseBytes})`,
                { details: { ...details, maxResponseBytes: config.maxResponseBytes } },
              );
            }
            clearTimeout(idle);
            idle = setTimeout(() => fire(new AttemptAbort('timeout')), config.timeoutMs);
            yield bytes;
          }
        } catch (err) {
          throw transportError(err, abort, { ...details });
        }
      };
      const wrapped: HttpResponse = {
        status,
        headers: response.headers,
        url: String(details.url),
        body: { [Symbol.asyncIterator]: () => capped() },
        async text() {
          const chunks: Uint8Array[] = [];
          for await (const chunk of capped()) chunks.push(chunk);
          return Buffer.concat(chunks).toString('utf8');
        },
      };
      clearTimeout(idle);
      idle = setTimeout(() => fire(new AttemptAbort('timeout')), config.timeoutMs);
      // Errors from `consume` pass through unchanged: body failures already arrive as SyncErrors from `capped`.
      const value = await consume(wrapped);
      return { value, done: true };
    } finally {
      clearTimeout(idle);
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onUserAbort);
      if (body && !body.readableEnded) {
        // Destroying an unfinished undici body emits 'error'; it is expected here, so it must not go uncaught.
        body.on('error', () => {});
        body.destroy();
      }
    }
  }

  async function requestWithRetries<T>(
    input: string | URL,
    consume: (response: HttpResponse) => Promise<T>,
    options: HttpRequestOptions = {},
  ): Promise<T> {
    if (typeof consume !== 'function') throw new TypeError(`Expected \`consume\` to be a function, got ${showValue(consume)}`);
    let url: URL;
    try {
      url = new URL(String(input));
    } catch {
      throw new TypeError(`Expected \`url\` to be an absolute URL, got ${showValue(redactText(String(input), secrets))}`);
    }
    const method = options.method ?? 'GET';
    const details: Record<string, unknown> = { method, url: redact(url), attempts: 0 };
    assertSecureUrl(url, config.allowInsecureHttp, secrets);
    const maxAttempts = method === 'GET' ? config.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) {
        throw new SyncError('SYNC_ABORTED', `${method} ${String(details.url)} was aborted`, { cause: options.signal.reason, details });
      }
      details.attempts = attempt + 1;
      delete details.status;
      let delayMs: number;
      let code: SyncErrorCode | undefined;
      try {
        const result = await attemptOnce(url, consume, options, details);
        if (result.done) return result.value as T;
        if (attempt + 1 >= maxAttempts) {
          const status = result.status!;
          throw new SyncError(
            'SYNC_HTTP_ERROR',
            `${method} ${String(details.url)} failed with HTTP ${status} after ${attempt + 1} attempt(s)`,
            { details: result.retryAfterMs === undefined ? { ...details } : { ...details, retryAfterMs: result.retryAfterMs } },
          );
        }
        delayMs = result.retryAfterMs === undefined ? backoff(attempt) : Math.min(result.retryAfterMs, config.maxRetryDelayMs);
      } catch (err) {
        if (!isRetryable(err) || attempt + 1 >= maxAttempts) {
          const error = err as SyncError;
          if (err instanceof SyncError) {
            channel.publish({ event: 'error', method, url: details.url, attempt: attempt + 1, code: error.code } as HttpDiagnosticEvent);
          }
          throw err;
        }
        code = (err as SyncError).code;
        delayMs = backoff(attempt);
      }
      const event: HttpDiagnosticEvent = { event: 'retry', method, url: String(details.url), attempt: attempt + 1, delayMs };
      if (details.status !== undefined) event.status = details.status as number;
      if (code) event.code = code;
      channel.publish(event);
      await sleep(delayMs, options.signal, { ...details });
    }
  }

  return { request: requestWithRetries, redact };
}
