import diagnostics from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTidscanError, SyncError } from '../errors.js';
import {
  createHttpClient,
  HTTP_DIAGNOSTICS_CHANNEL,
  type HttpDiagnosticEvent,
  isLoopbackHost,
  parseRetryAfter,
} from './http.js';
import { redactUrl } from './redact.js';

type Handler = (req: IncomingMessage, res: ServerResponse, count: number) => void;
let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end('ok');
let requests: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  requests = [];
});

const fast = { retryDelayMs: 1, maxRetryDelayMs: 20, timeoutMs: 2000 };

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SyncError) return err;
    throw err;
  }
  throw new Error('expected a SyncError');
}

function recordEvents(): { events: HttpDiagnosticEvent[]; stop(): void } {
  const events: HttpDiagnosticEvent[] = [];
  const listener = (message: unknown) => events.push(message as HttpDiagnosticEvent);
  diagnostics.subscribe(HTTP_DIAGNOSTICS_CHANNEL, listener);
  return { events, stop: () => diagnostics.unsubscribe(HTTP_DIAGNOSTICS_CHANNEL, listener) };
}

describe('createHttpClient over loopback', () => {
  it('streams a 200 body to consume', async () => {
    handler = (_req, res) => res.end('hello world');
    const http = createHttpClient(fast);
    expect(await http.request(`${base}/x`, (res) => res.text())).toBe('hello world');
  });

  it('retries a GET on 500/503 and succeeds, publishing retry events', async () => {
    handler = (_req, res, n) => {
      res.statusCode = n === 1 ? 500 : n === 2 ? 503 : 200;
      res.end(n < 3 ? 'busy' : 'done');
    };
    const rec = recordEvents();
    try {
      const http = createHttpClient(fast);
      expect(await http.request(`${base}/x`, (res) => res.text())).toBe('done');
    } finally {
      rec.stop();
    }
    expect(requests).toHaveLength(3);
    expect(rec.events.filter((e) => e.event === 'retry').map((e) => e.status)).toEqual([500, 503]);
  });

  it('honours Retry-After in seconds and as an HTTP date, capped at maxRetryDelayMs', async () => {
    const times: number[] = [];
    handler = (_req, res, n) => {
      times.push(performance.now());
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else if (n === 2) res.writeHead(503, { 'retry-after': new Date(Date.now() + 3600_000).toUTCString() }).end();
      else res.end('ok');
    };
    const rec = recordEvents();
    try {
      const http = createHttpClient({ ...fast, retryDelayMs: 0, maxRetryDelayMs: 60 });
      expect(await http.request(`${base}/x`, (res) => res.text())).toBe('ok');
    } finally {
      rec.stop();
    }
    // Both waits are the cap (the server asked for 1 s and 1 h); backoff alone would be 0 ms.
    expect(rec.events.filter((e) => e.event === 'retry' && e.status).map((e) => e.delayMs)).toEqual([60, 60]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(55);
  });

  it('gives up after `retries` with SYNC_HTTP_ERROR carrying the status and attempts', async () => {
    handler = (_req, res) => res.writeHead(502).end();
    const err = await failure(createHttpClient({ ...fast, retries: 2 }).request(`${base}/x`, (res) => res.text()));
    expect(err.code).toBe('SYNC_HTTP_ERROR');
    expect(err.details).toMatchObject({ status: 502, attempts: 3, method: 'GET' });
    expect(requests).toHaveLength(3);
  });

  it('never retries a PUT, even on 503', async () => {
    handler = (_req, res) => res.writeHead(503).end('later');
    const err = await failure(
      createHttpClient(fast).request(`${base}/x`, (res) => res.text(), { method: 'PUT', body: '<x/>' }),
    );
    expect(err.code).toBe('SYNC_HTTP_ERROR');
    expect(err.details).toMatchObject({ status: 503, attempts: 1, body: 'later' });
    expect(requests).toHaveLength(1);
  });

  it('maps 401 and 403 to SYNC_AUTH_FAILED without retrying', async () => {
    for (const status of [401, 403]) {
      requests = [];
      handler = (_req, res) => res.writeHead(status).end();
      const err = await failure(createHttpClient(fast).request(`${base}/x`, (res) => res.text()));
      expect(err.code).toBe('SYNC_AUTH_FAILED');
      expect(err.details.status).toBe(status);
      expect(requests).toHaveLength(1);
    }
  });

  it('times out a stalled body (headers sent, then nothing) and a response that never sends headers', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<queryResult>');
    };
    const stalled = await failure(
      createHttpClient({ ...fast, timeoutMs: 100, retries: 1 }).request(`${base}/x`, (res) => res.text()),
    );
    expect(stalled.code).toBe('SYNC_TIMEOUT');
    expect(requests).toHaveLength(2);
    requests = [];
    handler = () => {};
    const silent = await failure(createHttpClient({ ...fast, timeoutMs: 100, retries: 0 }).request(`${base}/x`, (res) => res.text()));
    expect(silent.code).toBe('SYNC_TIMEOUT');
  });

  it('enforces deadlineMs on a response that keeps dripping', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(timer));
    };
    const err = await failure(
      createHttpClient({ ...fast, timeoutMs: 1000, deadlineMs: 300, retries: 0 }).request(`${base}/x`, (res) => res.text()),
    );
    expect(err.code).toBe('SYNC_TIMEOUT');
    expect(err.message).toContain('did not complete within 300 ms');
  });

  it('caps the body size while streaming, with or without content-length', async () => {
    const big = 'x'.repeat(10_000);
    for (const chunked of [false, true]) {
      handler = (_req, res) => {
        if (chunked) {
          res.write(big.slice(0, 5000));
          res.end(big.slice(5000));
        } else res.writeHead(200, { 'content-length': big.length }).end(big);
      };
      const err = await failure(createHttpClient({ ...fast, maxResponseBytes: 4096 }).request(`${base}/x`, (res) => res.text()));
      expect(err.code).toBe('SYNC_RESPONSE_TOO_LARGE');
    }
  });

  it('retries a body cut short by the server (network error) with consume, then succeeds', async () => {
    handler = (_req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': 100 });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 10);
      } else res.end('complete');
    };
    let consumed = 0;
    const text = await createHttpClient(fast).request(`${base}/x`, async (res) => {
      consumed++;
      return res.text();
    });
    expect(text).toBe('complete');
    expect(consumed).toBe(2);
  });

  it('reports a connection refused as SYNC_NETWORK_ERROR after retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(createHttpClient({ ...fast, retries: 1 }).request(`http://127.0.0.1:${port}/`, (res) => res.text()));
    expect(err.code).toBe('SYNC_NETWORK_ERROR');
    expect(err.details.attempts).toBe(2);
  });

  it('passes errors thrown by consume through unchanged and does not retry them', async () => {
    handler = (_req, res) => res.end('<bad');
    const mine = new SyncError('SYNC_MALFORMED_RESPONSE', 'bad xml');
    const err = await failure(createHttpClient(fast).request(`${base}/x`, async () => Promise.reject(mine)));
    expect(err).toBe(mine);
    expect(requests).toHaveLength(1);
  });

  it('aborts with SYNC_ABORTED, before the request, during a stall and during a retry wait', async () => {
    const pre = await failure(createHttpClient(fast).request(`${base}/x`, (r) => r.text(), { signal: AbortSignal.abort() }));
    expect(pre.code).toBe('SYNC_ABORTED');
    expect(requests).toHaveLength(0);

    handler = (_req, res) => res.writeHead(200).write('x');
    const during = await failure(
      createHttpClient({ ...fast, timeoutMs: 5000 }).request(`${base}/x`, (r) => r.text(), { signal: AbortSignal.timeout(50) }),
    );
    expect(during.code).toBe('SYNC_ABORTED');

    handler = (_req, res) => res.writeHead(503, { 'retry-after': '5' }).end();
    const waiting = await failure(
      createHttpClient({ ...fast, maxRetryDelayMs: 10_000 }).request(`${base}/x`, (r) => r.text(), { signal: AbortSignal.timeout(80) }),
    );
    expect(waiting.code).toBe('SYNC_ABORTED');
  });

  it('never shows credentials: user-info, secret query values and configured secrets are redacted everywhere', async () => {
    const password = 'pa55-w0rd:secret';
    const apiKey = 'K3Y-0123456789';
    let authorization: string | undefined;
    handler = (req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(req.headers['x-functions-key'] === apiKey ? 500 : 400).end(`echo ${apiKey} ${password}`);
    };
    const rec = recordEvents();
    let err: SyncError;
    try {
      const http = createHttpClient({ ...fast, retries: 1, secrets: [apiKey] });
      const url = `http://alice:${encodeURIComponent(password)}@127.0.0.1:${new URL(base).port}/v2/${apiKey}?code=${apiKey}&from=2020`;
      err = await failure(http.request(url, (r) => r.text(), { headers: { 'x-functions-key': apiKey } }));
    } finally {
      rec.stop();
    }
    expect(authorization).toBe('Basic ' + Buffer.from(`alice:${password}`).toString('base64'));
    expect(err.code).toBe('SYNC_HTTP_ERROR');
    const everything = JSON.stringify([err.message, err.details, String(err.stack), rec.events, err.toJSON()]);
    for (const secret of [password, encodeURIComponent(password), apiKey, 'alice']) expect(everything).not.toContain(secret);
    expect(err.details.url).toContain('from=2020');
  });
});

describe('https policy', () => {
  it('refuses plain http to a non-loopback host before any request, unless allowInsecureHttp', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('http://lists.example').intercept({ path: '/list.ndjson' }).reply(200, 'ok');
    const refused = await failure(createHttpClient({ ...fast, dispatcher: agent }).request('http://lists.example/list.ndjson', (r) => r.text()));
    expect(refused.code).toBe('SYNC_INSECURE_URL');
    agent.assertNoPendingInterceptors === undefined || expect(agent.pendingInterceptors()).toHaveLength(1);
    const allowed = await createHttpClient({ ...fast, dispatcher: agent, allowInsecureHttp: true }).request(
      'http://lists.example/list.ndjson',
      (r) => r.text(),
    );
    expect(allowed).toBe('ok');
    const ftp = await failure(createHttpClient(fast).request('ftp://lists.example/x', (r) => r.text()));
    expect(ftp.code).toBe('SYNC_INSECURE_URL');
    await agent.close();
  });

  it('uses an injected dispatcher for https (MockAgent)', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('https://report.example').intercept({ path: '/v2/status', method: 'GET' }).reply(200, '<status/>');
    expect(await createHttpClient({ dispatcher: agent }).request('https://report.example/v2/status', (r) => r.text())).toBe('<status/>');
    await agent.close();
  });

  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '[::1]', '::1', 'api.localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['128.0.0.1', '10.0.0.1', 'example.com', '127.0.0.1.example.com', '[::2]', 'localhost.evil.com']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2025-01-31T17:50:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 31 Jan 2025 17:50:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 31 Jan 2025 17:49:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000);
    for (const bad of [undefined, '', 'soon', '-5', '1.5', '2025-01-31']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

describe('redactUrl', () => {
  it('hides user-info, secret-looking query values and configured secrets, keeping the rest', () => {
    expect(redactUrl('https://u:p@host/v2/x?code=abc&from=1')).toBe('https://***:***@host/v2/x?code=***&from=1');
    expect(redactUrl('https://h/FetchHashes?startTimestamp=10&nextPageToken=eyJ9&api_key=z')).toBe(
      'https://h/FetchHashes?startTimestamp=10&nextPageToken=***&api_key=***',
    );
    expect(redactUrl('not a url')).toBe('[invalid URL]');
  });

  it('never leaves a configured secret in the output, whatever the secret and wherever it sits', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 30 }), fc.constantFrom('path', 'query', 'user', 'pass', 'hash'), (secret, where) => {
        const enc = encodeURIComponent(secret);
        const url =
          where === 'path' ? `https://h/a/${enc}/b`
          : where === 'query' ? `https://h/a?x=${enc}`
          : where === 'user' ? `https://${enc}@h/`
          : where === 'pass' ? `https://u:${enc}@h/`
          : `https://h/#${enc}`;
        const out = redactUrl(url, [secret]);
        expect(out).not.toContain(enc);
        if (secret.trim().length >= 4 && !/[%*]/.test(secret)) expect(decodeURIComponent(out)).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});

describe('option checks', () => {
  it('throws precise TypeError/RangeError messages', () => {
    expect(() => createHttpClient({ timeoutMs: 0 })).toThrow(new RangeError('Expected `timeoutMs` to be an integer from 1 to 86400000, got 0'));
    expect(() => createHttpClient({ retries: 1.5 })).toThrow(new TypeError('Expected `retries` to be an integer from 0 to 100, got 1.5'));
    expect(() => createHttpClient({ dispatcher: {} as never })).toThrow('Expected `dispatcher` to be an undici Dispatcher, got object');
    expect(() => createHttpClient({ allowInsecureHttp: 'yes' as never })).toThrow('Expected `allowInsecureHttp` to be a boolean, got "yes"');
    expect(() => createHttpClient({ secrets: [1] as never })).toThrow(TypeError);
    expect(isTidscanError(new SyncError('SYNC_TIMEOUT', 'x'))).toBe(true);
  });
});
