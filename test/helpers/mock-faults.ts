/**
 * Fault injection shared by the loopback mock servers (mock-ncmec-server.ts, mock-stopncii-server.ts).
 *
 * A fault replaces or distorts one response. Faults come from a FIFO queue (`enqueue`, each entry used `times`
 * times by requests it matches) or from a schedule function (`setSchedule`, consulted when the queue has nothing
 * for a request): use the schedule for random fault plans (fast-check).
 *
 * ```ts
 * server.faults.enqueue({ kind: 'status', status: 429, retryAfter: 1 });          // next entries request
 * server.faults.enqueue({ kind: 'truncate', mode: 'malformed' }, { times: 2 });
 * server.faults.setSchedule((req) => (req.n % 5 === 0 ? { kind: 'status', status: 503 } : undefined));
 * ```
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One injected fault. */
export type MockFault =
  /** Answer with this status instead (e.g. 429 with Retry-After, 500, 503, 401). */
  | { kind: 'status'; status: number; retryAfter?: number | string; body?: string }
  /** Slow: wait `ms` before sending the normal response. */
  | { kind: 'delay'; ms: number }
  /** Slow body: send the normal response in `chunkBytes` pieces every `intervalMs`. */
  | { kind: 'slowBody'; chunkBytes: number; intervalMs: number }
  /** Stall: send headers and the first bytes of the body, then nothing until the client gives up. */
  | { kind: 'stall' }
  /** Hang: send nothing at all. */
  | { kind: 'hang' }
  /**
   * Truncated body. `malformed`: HTTP framing is complete (content-length matches) but the document is cut at
   * `fraction` (the StopNCII "HTTP 200 with truncated JSON" case). `cut`: the full content-length is announced and
   * the connection is destroyed after `fraction` of the body (a network error for the client).
   */
  | { kind: 'truncate'; fraction?: number; mode?: 'malformed' | 'cut' }
  /** Destroy the connection before any response. */
  | { kind: 'reset' };

/** What a fault matcher or schedule sees about a request. */
export interface MockRequestInfo {
  /** 1-based count of requests to this server so far (including this one). */
  n: number;
  method: string;
  /** Endpoint name: `entries`, `status`, `members`, `reasons`, `feedback`, `fingerprint` (NCMEC); `fetch` (StopNCII). */
  endpoint: string;
  /** Path below the base path, e.g. `/v2/entries`. */
  path: string;
  query: URLSearchParams;
}

/** One request as the server saw it. Credentials are never recorded. */
export interface RecordedRequest extends Omit<MockRequestInfo, 'query'> {
  query: Record<string, string>;
  status: number;
  fault?: MockFault['kind'];
  /** Whether the request carried valid credentials. */
  authorized: boolean;
}

interface QueuedFault {
  fault: MockFault;
  remaining: number;
  match: (req: MockRequestInfo) => boolean;
}

/** The fault controller each mock server exposes as `server.faults`. */
export class FaultController {
  #queue: QueuedFault[] = [];
  #schedule: ((req: MockRequestInfo) => MockFault | undefined) | undefined;
  readonly #defaultMatch: (req: MockRequestInfo) => boolean;

  constructor(defaultMatch: (req: MockRequestInfo) => boolean) {
    this.#defaultMatch = defaultMatch;
  }

  /**
   * Queues a fault for the next `times` requests that `match` (default: the list endpoint, i.e. NCMEC
   * `entries` / StopNCII `fetch`).
   */
  enqueue(fault: MockFault, options: { times?: number; match?: (req: MockRequestInfo) => boolean } = {}): this {
    this.#queue.push({ fault, remaining: options.times ?? 1, match: options.match ?? this.#defaultMatch });
    return this;
  }

  /** Sets (or clears, with undefined) a schedule consulted for every request the queue does not fault. */
  setSchedule(schedule: ((req: MockRequestInfo) => MockFault | undefined) | undefined): this {
    this.#schedule = schedule;
    return this;
  }

  /** Removes every queued fault and the schedule. */
  clear(): this {
    this.#queue = [];
    this.#schedule = undefined;
    return this;
  }

  /** Queued faults not yet used. */
  get pending(): number {
    return this.#queue.reduce((n, q) => n + q.remaining, 0);
  }

  /** @internal Picks the fault for a request, if any. */
  take(req: MockRequestInfo): MockFault | undefined {
    const index = this.#queue.findIndex((q) => q.match(req));
    if (index !== -1) {
      const queued = this.#queue[index]!;
      if (--queued.remaining <= 0) this.#queue.splice(index, 1);
      return queued.fault;
    }
    return this.#schedule?.(req);
  }
}

/** Timers and sockets a mock must clean up on close. */
export class Resources {
  readonly timers = new Set<NodeJS.Timeout>();

  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  every(ms: number, fn: () => boolean): void {
    const timer = setInterval(() => {
      if (!fn()) {
        clearInterval(timer);
        this.timers.delete(timer);
      }
    }, ms);
    this.timers.add(timer);
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * Sends `body` with `status` and `headers`, distorted by `fault` if given. Returns the status the client sees
 * (0 when there is none: hang, reset, stall).
 */
export function sendWithFault(
  req: IncomingMessage,
  res: ServerResponse,
  resources: Resources,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  fault: MockFault | undefined,
): number {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const normal = () => {
    if (res.destroyed) return;
    res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
  };
  if (!fault) {
    normal();
    return status;
  }
  switch (fault.kind) {
    case 'status': {
      const extra: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
      if (fault.retryAfter !== undefined) extra['retry-after'] = String(fault.retryAfter);
      const text = fault.body ?? `injected ${fault.status}`;
      res.writeHead(fault.status, { ...extra, 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return fault.status;
    }
    case 'delay':
      resources.later(fault.ms, normal);
      return status;
    case 'slowBody': {
      res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
      let offset = 0;
      resources.every(fault.intervalMs, () => {
        if (res.destroyed) return false;
        const end = Math.min(bytes.length, offset + fault.chunkBytes);
        res.write(bytes.subarray(offset, end));
        offset = end;
        if (offset >= bytes.length) {
          res.end();
          return false;
        }
        return true;
      });
      return status;
    }
    case 'stall':
      res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, Math.min(64, bytes.length >> 1)));
      return 0;
    case 'hang':
      return 0;
    case 'truncate': {
      const cutAt = Math.floor(bytes.length * (fault.fraction ?? 0.5));
      if ((fault.mode ?? 'malformed') === 'malformed') {
        res.writeHead(status, { ...headers, 'content-length': String(cutAt) });
        res.end(bytes.subarray(0, cutAt));
      } else {
        res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
        res.write(bytes.subarray(0, cutAt), () => req.socket.destroy());
      }
      return status;
    }
    case 'reset':
      req.socket.destroy();
      return 0;
  }
}

/** A small deterministic PRNG (mulberry32) for seeded test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const hexScratch = Buffer.alloc(1024);

/** `bytes` (at most 1024) random bytes as lowercase hex from `next` (a uint32 generator). */
export function randomHex(next: () => number, bytes: number): string {
  const words = (bytes + 3) >>> 2;
  for (let i = 0; i < words; i++) hexScratch.writeUInt32LE(next(), i * 4);
  return hexScratch.toString('hex', 0, bytes);
}

/** Minimal XML text/attribute escaping. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}
