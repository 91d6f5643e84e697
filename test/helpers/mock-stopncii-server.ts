/**
 * A loopback StopNCII API server (`node:http` on 127.0.0.1, port 0) speaking the JSON wire format of
 * `../shared/specs/HASH_LIST_APIS.md` §2b, for tests, the demo and benchmarks.
 *
 * ```ts
 * const server = await startMockStopNciiServer({ entries: 2000 });
 * const source = createStopNciiSource({ baseUrl: server.url, functionKey: server.functionKey,
 *   subscriptionKey: server.subscriptionKey });
 * server.add({ signalType: 'ImagePDQ' });       // a new hash, lastModtimestamp = now()
 * server.setStatus(key, 'Withdrawn');           // the client must delete it
 * expect(myStore).toEqual(server.currentList());
 * server.faults.enqueue({ kind: 'truncate', mode: 'malformed' });   // HTTP 200 with truncated JSON
 * ```
 *
 * Model. The server holds the current record of each `${signalType}:${hashValue}` key (a later change replaces
 * it and moves it to the end). `GET {base}/FetchHashes?startTimestamp=S&pageSize=P[&nextPageToken=T]` returns the
 * records with `lastModtimestamp >= S` ordered by (lastModtimestamp, change order), P at a time (default 800,
 * at most 5000). `nextPageToken` is an opaque keyset cursor (stable under concurrent changes); `nextSetTimestamp`
 * is the `lastModtimestamp` of the page's last record (S for an empty page), so resuming from it re-delivers
 * at most that second's records. Both headers `x-functions-key` and `Ocp-Apim-Subscription-Key` are required
 * (401 otherwise). Withdrawn and Deleted records stay in the feed with that `hashStatus`.
 *
 * Generated entries are computed from `seed` and their index on demand.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ListEntry } from '../../src/sync/types.js';
import { FaultController, type MockRequestInfo, prng, randomHex, type RecordedRequest, Resources, sendWithFault } from './mock-faults.js';

export type { MockFault, MockRequestInfo, RecordedRequest } from './mock-faults.js';

/** StopNCII hash statuses. */
export type StopNciiStatus = 'Unknown' | 'Received' | 'Active' | 'Withdrawn' | 'Deleted';

/** One record as the API serves it. */
export interface StopNciiRecord {
  lastModtimestamp: number;
  hashValue: string;
  hashStatus: StopNciiStatus;
  caseNumbers: Record<string, string>;
  signalType: string;
  CSPFeedbacks?: Array<{ source: string; feedbackValue: string; tags: string[] }>;
}

/** Options of {@link startMockStopNciiServer}. */
export interface MockStopNciiOptions {
  /** Number of generated records. @default 0 */
  entries?: number;
  /** @default 1 */
  seed?: number;
  /** `lastModtimestamp` of generated record 0, unix seconds. @default 1700000000 */
  startTimestamp?: number;
  /** Seconds between generated records (fractions put several in one second). @default 1 */
  spacingSec?: number;
  /** Signal types of generated records with weights. @default {ImagePDQ: 8, ImageMD5: 1, VideoMD5: 1} */
  signalTypes?: Record<string, number>;
  /** Fraction of generated records that are Withdrawn (they must be deleted by clients). @default 0 */
  withdrawnFraction?: number;
  /** @default 'fn-key-0123456789' */
  functionKey?: string;
  /** @default 'sub-key-0123456789' */
  subscriptionKey?: string;
  /** @default '/v1' */
  basePath?: string;
  /** Page size when the request has none. @default 800 */
  pageSize?: number;
  /** Server clock, ms. @default Date.now */
  now?: () => number;
  /** @default true */
  recordRequests?: boolean;
}

/** The running server. */
export interface MockStopNciiServer {
  /** Base URL, e.g. `http://127.0.0.1:40123/v1`. */
  readonly url: string;
  readonly functionKey: string;
  readonly subscriptionKey: string;
  readonly faults: FaultController;
  readonly requests: RecordedRequest[];
  now(): number;
  /** Adds (or replaces) a record; lastModtimestamp = now() unless given. Returns its key. */
  add(record?: Partial<StopNciiRecord>): string;
  /** Changes a record's status (a new lastModtimestamp). */
  setStatus(key: string, status: StopNciiStatus, options?: { timestamp?: number }): void;
  /** Changes other fields (a new lastModtimestamp). */
  update(key: string, changes: Partial<Omit<StopNciiRecord, 'hashValue' | 'signalType'>>): void;
  /** The current record of `key`. */
  get(key: string): StopNciiRecord | undefined;
  /** Key of generated record `index`. */
  generatedKey(index: number): string;
  /** Every record, including Withdrawn/Deleted ones. */
  allRecords(): Map<string, StopNciiRecord>;
  /**
   * What a perfect client ends with: every record not Withdrawn/Deleted, as `ListEntry`s with `source`, `id` (the
   * key), `kind`, `fingerprints` (`ImagePDQ` -> pdq, `ImageMD5`/`VideoMD5` -> md5, other types under their
   * lowercased name) and `timestamp` (compare ignoring `metadata`).
   */
  currentList(sourceId?: string): Map<string, ListEntry>;
  close(): Promise<void>;
}

const SIGNAL_BYTES: Record<string, number> = { ImagePDQ: 32, ImageMD5: 16, VideoMD5: 16 };

function keyOf(signalType: string, hashValue: string): string {
  return `${signalType}:${hashValue}`;
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startMockStopNciiServer(options: MockStopNciiOptions = {}): Promise<MockStopNciiServer> {
  const count = options.entries ?? 0;
  const seed = options.seed ?? 1;
  const start = options.startTimestamp ?? 1_700_000_000;
  const spacing = options.spacingSec ?? 1;
  const weights = Object.entries(options.signalTypes ?? { ImagePDQ: 8, ImageMD5: 1, VideoMD5: 1 });
  const totalWeight = weights.reduce((s, [, w]) => s + w, 0);
  const withdrawnFraction = options.withdrawnFraction ?? 0;
  const functionKey = options.functionKey ?? 'fn-key-0123456789';
  const subscriptionKey = options.subscriptionKey ?? 'sub-key-0123456789';
  const basePath = (options.basePath ?? '/v1').replace(/\/$/, '');
  const defaultPageSize = options.pageSize ?? 800;
  const now = options.now ?? Date.now;
  const recordRequests = options.recordRequests ?? true;

  const generatedTs = (i: number) => start + Math.floor(i * spacing);
  const generated = (i: number): StopNciiRecord => {
    const next = prng((seed * 0x85ebca6b) ^ i);
    let pick = (next() / 0x100000000) * totalWeight;
    let signalType = weights[0]![0];
    for (const [type, weight] of weights) {
      if (pick < weight) {
        signalType = type;
        break;
      }
      pick -= weight;
    }
    const hashValue = randomHex(next, SIGNAL_BYTES[signalType] ?? 32);
    const status: StopNciiStatus = next() / 0x100000000 < withdrawnFraction ? 'Withdrawn' : 'Active';
    const caseId = `${randomHex(next, 4)}-${randomHex(next, 2)}-${randomHex(next, 2)}-${randomHex(next, 2)}-${randomHex(next, 6)}`;
    return { lastModtimestamp: generatedTs(i), hashValue, hashStatus: status, caseNumbers: { [caseId]: status }, signalType };
  };

  // Changed records, ordered by change: seq = count + change number.
  const changed = new Map<string, { seq: number; record: StopNciiRecord }>();
  const overriddenGenerated = new Set<number>();
  const generatedIndex = new Map<string, number>(); // filled lazily for keys tests mutate
  let changeCount = 0;
  let autoCount = 0;

  function findGenerated(key: string): number | undefined {
    if (generatedIndex.has(key)) return generatedIndex.get(key);
    // Linear search is fine for tests; callers that mutate many should use generatedKey(i) first.
    for (let i = 0; i < count; i++) {
      const r = generated(i);
      if (keyOf(r.signalType, r.hashValue) === key) {
        generatedIndex.set(key, i);
        return i;
      }
    }
    return undefined;
  }

  function get(key: string): StopNciiRecord | undefined {
    const c = changed.get(key);
    if (c) return c.record;
    const i = findGenerated(key);
    return i === undefined ? undefined : generated(i);
  }

  function put(record: StopNciiRecord): string {
    const key = keyOf(record.signalType, record.hashValue);
    const i = generatedIndex.get(key) ?? (changed.has(key) ? undefined : findGenerated(key));
    if (i !== undefined) overriddenGenerated.add(i);
    changed.delete(key); // re-insert: Map order = change order
    changed.set(key, { seq: count + ++changeCount, record });
    return key;
  }

  /** Records with (lastMod, seq) > cursor and lastMod >= from, in order, at most `limit`. */
  function page(from: number, cursor: { t: number; q: number } | undefined, limit: number) {
    const after = (t: number, q: number) => (cursor ? t > cursor.t || (t === cursor.t && q > cursor.q) : true) && t >= from;
    const out: Array<{ seq: number; record: StopNciiRecord }> = [];
    // Generated: (generatedTs(i), i) is increasing in i, so binary search the first candidate.
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(generatedTs(mid), mid)) hi = mid;
      else lo = mid + 1;
    }
    const changes = [...changed.values()].filter((c) => after(c.record.lastModtimestamp, c.seq));
    changes.sort((a, b) => a.record.lastModtimestamp - b.record.lastModtimestamp || a.seq - b.seq);
    let g = lo;
    let c = 0;
    while (out.length < limit + 1) {
      while (g < count && overriddenGenerated.has(g)) g++;
      const gi = g < count ? { seq: g, t: generatedTs(g) } : undefined;
      const ci = changes[c];
      if (!gi && !ci) break;
      if (gi && (!ci || gi.t < ci.record.lastModtimestamp || (gi.t === ci.record.lastModtimestamp && gi.seq < ci.seq))) {
        out.push({ seq: g, record: generated(g) });
        g++;
      } else {
        out.push(ci!);
        c++;
      }
    }
    return out;
  }

  const faults = new FaultController((req) => req.endpoint === 'fetch');
  const requests: RecordedRequest[] = [];
  const resources = new Resources();
  const sockets = new Set<Socket>();
  let requestCount = 0;

  function respond(url: URL, authorized: boolean): { status: number; body: string } {
    if (!authorized) return { status: 401, body: JSON.stringify({ statusCode: 401, message: 'Access denied due to invalid subscription key.' }) };
    const q = url.searchParams;
    const from = Number(q.get('startTimestamp') ?? '10');
    const size = Number(q.get('pageSize') ?? defaultPageSize);
    if (!Number.isInteger(from) || from < 0 || !Number.isInteger(size) || size < 1 || size > 5000) {
      return { status: 400, body: JSON.stringify({ message: 'startTimestamp and pageSize must be positive integers' }) };
    }
    let cursor: { t: number; q: number } | undefined;
    const token = q.get('nextPageToken');
    if (token) {
      try {
        const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s: number; t: number; q: number };
        if (parsed.s !== from) return { status: 400, body: JSON.stringify({ message: 'nextPageToken does not belong to this startTimestamp' }) };
        cursor = { t: parsed.t, q: parsed.q };
      } catch {
        return { status: 400, body: JSON.stringify({ message: 'Invalid nextPageToken' }) };
      }
    }
    const rows = page(from, cursor, size);
    const more = rows.length > size;
    const records = rows.slice(0, size);
    const last = records.at(-1);
    const body: Record<string, unknown> = {
      count: records.length,
      nextSetTimestamp: last ? last.record.lastModtimestamp : from,
      hasMoreRecords: more,
    };
    if (more && last) {
      body.nextPageToken = Buffer.from(JSON.stringify({ s: from, t: last.record.lastModtimestamp, q: last.seq })).toString('base64url');
    }
    body.hashRecords = records.map((r) => r.record);
    return { status: 200, body: JSON.stringify(body) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++requestCount;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname.startsWith(basePath + '/') ? url.pathname.slice(basePath.length) : url.pathname;
    const endpoint = method === 'GET' && path === '/FetchHashes' ? 'fetch' : 'unknown';
    const info: MockRequestInfo = { n, method, endpoint, path, query: url.searchParams };
    const authorized = req.headers['x-functions-key'] === functionKey && req.headers['ocp-apim-subscription-key'] === subscriptionKey;
    const fault = faults.take(info);
    const { status, body } = endpoint === 'fetch' ? respond(url, authorized) : { status: 404, body: JSON.stringify({ message: 'Not found' }) };
    const sent = sendWithFault(req, res, resources, status, { 'content-type': 'application/json; charset=utf-8' }, body, fault);
    if (recordRequests) {
      const entry: RecordedRequest = { ...info, query: Object.fromEntries(url.searchParams), status: sent, authorized };
      if (fault) entry.fault = fault.kind;
      requests.push(entry);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 10_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const toEntry = (key: string, r: StopNciiRecord, sourceId: string): ListEntry => {
    const fp = r.signalType === 'ImagePDQ' ? 'pdq' : r.signalType === 'ImageMD5' || r.signalType === 'VideoMD5' ? 'md5' : r.signalType.toLowerCase();
    return {
      source: sourceId,
      id: key,
      kind: r.signalType.startsWith('Video') ? 'video' : 'image',
      fingerprints: { [fp]: r.hashValue.toLowerCase() },
      timestamp: new Date(r.lastModtimestamp * 1000).toISOString(),
    };
  };

  function allRecords(): Map<string, StopNciiRecord> {
    const out = new Map<string, StopNciiRecord>();
    for (let i = 0; i < count; i++) {
      if (overriddenGenerated.has(i)) continue;
      const r = generated(i);
      out.set(keyOf(r.signalType, r.hashValue), r);
    }
    for (const [key, c] of changed) out.set(key, c.record);
    return out;
  }

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    functionKey,
    subscriptionKey,
    faults,
    requests,
    now,
    add(record = {}) {
      const signalType = record.signalType ?? 'ImagePDQ';
      const next = prng(seed ^ (0xadd00000 + ++autoCount));
      const hashValue = record.hashValue ?? randomHex(next, SIGNAL_BYTES[signalType] ?? 32);
      const hashStatus = record.hashStatus ?? 'Active';
      const full: StopNciiRecord = {
        lastModtimestamp: record.lastModtimestamp ?? Math.floor(now() / 1000),
        hashValue,
        hashStatus,
        caseNumbers: record.caseNumbers ?? { [`case-${autoCount}`]: hashStatus },
        signalType,
      };
      if (record.CSPFeedbacks) full.CSPFeedbacks = record.CSPFeedbacks;
      return put(full);
    },
    setStatus(key, status, opts) {
      const current = get(key);
      if (!current) throw new Error(`Unknown key ${key}`);
      const caseNumbers = Object.fromEntries(Object.keys(current.caseNumbers).map((k) => [k, status]));
      put({ ...current, hashStatus: status, caseNumbers, lastModtimestamp: Math.floor((opts?.timestamp ?? now()) / 1000) });
    },
    update(key, changes) {
      const current = get(key);
      if (!current) throw new Error(`Unknown key ${key}`);
      put({ ...current, ...changes, lastModtimestamp: changes.lastModtimestamp ?? Math.floor(now() / 1000) });
    },
    get,
    generatedKey(index) {
      if (!(index >= 0 && index < count)) throw new RangeError(`No generated record ${index}`);
      const r = generated(index);
      const key = keyOf(r.signalType, r.hashValue);
      generatedIndex.set(key, index);
      return key;
    },
    allRecords,
    currentList(sourceId = 'stopncii') {
      const out = new Map<string, ListEntry>();
      for (const [key, r] of allRecords()) {
        if (r.hashStatus !== 'Withdrawn' && r.hashStatus !== 'Deleted') out.set(key, toEntry(key, r, sourceId));
      }
      return out;
    },
    async close() {
      resources.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
