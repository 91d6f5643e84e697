/**
 * Running a built-in source on a thread of its own. The source's HTTP requests, XML or JSON parsing, validation
 * and packing of each page happen there; the syncing thread receives pages already prepared and packed (a few
 * transferred buffers per page) and only stores them and keeps the in-memory list in step: roughly half of a
 * large sync's work leaves the syncing thread (docs/performance.md).
 *
 * The pages are the ones the source would have yielded on the syncing thread, prepared exactly as `sync()`
 * prepares them; errors keep their class and code. The thread runs at most {@link AHEAD} pages and
 * {@link AHEAD_BYTES} ahead, so memory stays bounded by page size.
 *
 * @internal
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import { SyncError } from '../errors.js';
import { HTTP_DIAGNOSTICS_CHANNEL } from './http.js';
import type { SourceSpec } from './source-spec.js';
import { packedDeltaPage } from './packed-page.js';
import type { SourceThreadMessage, SourceThreadRequest, SourceThreadStart } from './source-thread-protocol.js';
import { deserializeError } from './thread-errors.js';
import type { DeltaPage } from './types.js';
import { spawnSiblingWorker } from './worker-script.js';

/**
 * Pages a source thread may have sent ahead of the one being consumed. Several commits' worth (10 pages of 1000
 * entries by default): the syncing thread waits for the commit in flight before it sends the next, then applies a
 * committed batch to the list in one burst, and the source thread should go on fetching and parsing through both
 * rather than stop. 1M entries, two order-balanced pairs: 10.5 / 10.9 s against 11.7 / 11.6 s with 12 pages ahead
 * (the syncing thread idle 1.1 s instead of 2.2 s); 12 pages took 0.94-0.99x the time of 2. {@link AHEAD_BYTES}
 * caps what the waiting pages hold, whatever their size.
 */
export const AHEAD = 48;

/** Bytes of packed pages a source thread may have sent ahead (at least one page always goes). */
export const AHEAD_BYTES = 24 << 20;

/**
 * The source thread's young generation, MB (V8's default for a worker is 48). The thread's old generation stays
 * small (~13 MB live), and V8 sets its limit only ~16 MB above that; with a young generation that can promote more
 * than the slack at once, V8 starts marking again right after each full collection, and a 1M-entry sync ran ~50
 * of them on this thread (each ~6 ms of pause and ~30 ms of marking on V8's helper threads). With 8 MB it runs a
 * few, for more but cheaper scavenges: 1-2 s less CPU per 1M sync in three pairs (docs/performance.md).
 */
const YOUNG_GENERATION_MB = 8;

const httpChannel = channel(HTTP_DIAGNOSTICS_CHANNEL);

/**
 * Starts fetching `spec`'s pages after `checkpoint` on a source thread. Undefined when no thread can be had (the
 * worker script is missing because the package was bundled): the caller fetches on its own thread.
 */
export function fetchOnThread(
  spec: SourceSpec,
  checkpoint: unknown,
  options: { signal?: AbortSignal; fingerprints: boolean; aheadBytes?: number },
): AsyncIterator<DeltaPage> | undefined {
  return spawn({ spec, checkpoint, fingerprints: options.fingerprints, ahead: AHEAD, aheadBytes: options.aheadBytes ?? AHEAD_BYTES }, options.signal);
}

/** A source thread started ahead of need: it boots (loads its modules) while the syncing thread goes on fetching. */
export interface PendingSourceThread {
  /**
   * `'booting'` until the thread has loaded its modules, then `'ready'`; `'failed'` when it stopped or failed
   * before it was started (the syncing thread then goes on fetching itself).
   */
  readonly state: 'booting' | 'ready' | 'failed';
  /** Starts fetching after `checkpoint`; the pages, as {@link fetchOnThread} yields them. Call at most once. */
  start(checkpoint: unknown): AsyncIterator<DeltaPage>;
  /** Stops the thread unused. */
  cancel(): void;
}

/**
 * Starts a source thread for `spec` that waits for {@link PendingSourceThread.start} before it fetches anything.
 * Undefined when no thread can be had, as with {@link fetchOnThread}.
 */
export function prestartSourceThread(spec: SourceSpec, options: { signal?: AbortSignal; fingerprints: boolean }): PendingSourceThread | undefined {
  const pages = spawn({ spec, checkpoint: null, deferred: true, fingerprints: options.fingerprints, ahead: AHEAD, aheadBytes: AHEAD_BYTES }, options.signal);
  if (pages === undefined) return undefined;
  return {
    get state() {
      return pages.state;
    },
    start(checkpoint) {
      pages.begin(checkpoint);
      return pages;
    },
    cancel() {
      void pages.return();
    },
  };
}

let liveThreads = 0;

/** @internal Test hatch: source threads started and not yet exited. */
export function liveSourceThreads(): number {
  return liveThreads;
}

function spawn(start: SourceThreadStart, signal: AbortSignal | undefined): ThreadPages | undefined {
  let worker: Worker | undefined;
  try {
    worker = spawnSiblingWorker('source-worker', start, { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB });
  } catch {
    return undefined;
  }
  if (worker === undefined) return undefined;
  liveThreads++;
  worker.once('exit', () => liveThreads--);
  return new ThreadPages(worker, signal);
}

type Settled = { ok: true; message: SourceThreadMessage } | { ok: false; error: unknown };

class ThreadPages implements AsyncIterator<DeltaPage> {
  readonly #worker: Worker;
  readonly #queue: Settled[] = [];
  #waiting: ((settled: Settled) => void) | undefined;
  #finished = false;
  #ready = false;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#fail(this.#signal?.reason ?? new SyncError('SYNC_ABORTED', 'The sync was aborted'));

  constructor(worker: Worker, signal: AbortSignal | undefined) {
    this.#worker = worker;
    this.#signal = signal;
    worker.on('message', (message: SourceThreadMessage) => {
      if (message.type === 'ready') {
        this.#ready = true;
        return;
      }
      if (message.type === 'http') {
        if (httpChannel.hasSubscribers) httpChannel.publish(message.event);
        return;
      }
      this.#push({ ok: true, message });
    });
    worker.on('error', (err) => this.#fail(new SyncError('SYNC_SOURCE_READ_FAILED', `The source thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', () => this.#fail(new SyncError('SYNC_SOURCE_READ_FAILED', 'The source thread stopped before the source was done')));
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** See {@link PendingSourceThread.state}. */
  get state(): 'booting' | 'ready' | 'failed' {
    return this.#finished ? 'failed' : this.#ready ? 'ready' : 'booting';
  }

  /** Tells a deferred thread (see {@link prestartSourceThread}) where to start fetching. */
  begin(checkpoint: unknown): void {
    if (!this.#finished) this.#worker.postMessage({ type: 'start', checkpoint } satisfies SourceThreadRequest);
  }

  async next(): Promise<IteratorResult<DeltaPage>> {
    const queued = this.#queue.shift();
    if (queued === undefined && this.#finished) return { done: true, value: undefined };
    const settled = queued ?? (await new Promise<Settled>((resolve) => (this.#waiting = resolve)));
    if (!settled.ok) {
      this.#finish();
      throw settled.error;
    }
    const { message } = settled;
    if (message.type === 'page') {
      this.#worker.postMessage({ type: 'more' } satisfies SourceThreadRequest);
      return { done: false, value: packedDeltaPage(message.page) };
    }
    this.#finish();
    if (message.type === 'error') throw deserializeError(message.error);
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<DeltaPage>> {
    this.#finish();
    return { done: true, value: undefined };
  }

  #push(settled: Settled): void {
    if (this.#finished) return;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(settled);
    else this.#queue.push(settled);
  }

  /** Ends the iteration with `error` (pages already received are still handed out first). */
  #fail(error: unknown): void {
    if (this.#finished) return;
    this.#push({ ok: false, error });
    this.#finished = true;
  }

  /** Stops the thread; nothing more is received. */
  #finish(): void {
    this.#finished = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#worker.removeAllListeners('message');
    this.#worker.postMessage({ type: 'stop' } satisfies SourceThreadRequest);
    void this.#worker.terminate();
  }
}
