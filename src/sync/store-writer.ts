/**
 * Where a sync's store commits run: on the syncing thread ({@link inlineStoreWriter}), or on a thread of their
 * own with its own SQLite connection ({@link startStoreWriterThread}), so that a large sync parses and indexes
 * the next pages while SQLite writes the previous ones. Either way a commit is the same
 * {@link ListStore.commitRows} transaction; the caller keeps at most one commit in flight, so commits land in
 * the order they were made.
 *
 * @module
 */
import type { Worker } from 'node:worker_threads';
import { StoreError } from '../errors.js';
import type { ListStore, StoreRows, StoreRowsResult } from './store.js';
import { deserializeWriterError, type WriterRequest, type WriterResponse, type WriterStart } from './store-writer-protocol.js';
import { spawnSiblingWorker } from './worker-script.js';

/** Runs store commits. */
export interface StoreWriter {
  /** True when commits run on another thread. */
  readonly threaded: boolean;
  /** Commits one transaction; rejects with the error the store would have thrown. */
  commit(rows: StoreRows): Promise<StoreRowsResult>;
  /** Stops the writer once its commits are done. Never rejects. */
  close(): Promise<void>;
}

/** Commits on the calling thread, synchronously inside `commit()` (the returned promise only carries the result). */
export function inlineStoreWriter(store: ListStore): StoreWriter {
  return {
    threaded: false,
    commit(rows) {
      try {
        return Promise.resolve(store.commitRows(rows));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    close: () => Promise.resolve(),
  };
}

/** How long a writer thread may take to open the store before the sync goes on without it. */
const START_TIMEOUT_MS = 30_000;
/** How long `close()` waits for the thread to finish before terminating it. */
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * Starts a writer thread with its own connection to `store`'s file (opened with the same busy timeout and
 * `synchronous` mode). Resolves to undefined when no thread can be had (an in-memory or read-only store, the
 * worker script missing because the package was bundled, the thread failing to open the store): the caller
 * then commits in-thread.
 */
export async function startStoreWriterThread(store: ListStore): Promise<StoreWriter | undefined> {
  if (store.readonly || store.path === '' || store.path === ':memory:' || store.path.startsWith('file:')) return undefined;
  let worker: Worker | undefined;
  try {
    worker = spawnSiblingWorker('store-worker', { path: store.path, ...store.connectionSettings } satisfies WriterStart);
  } catch {
    return undefined;
  }
  if (!worker) return undefined;
  const thread = worker;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), START_TIMEOUT_MS);
    const onMessage = (m: WriterResponse) => done(m.type === 'ready');
    const onFail = () => done(false);
    function done(ok: boolean): void {
      clearTimeout(timer);
      thread.off('message', onMessage).off('error', onFail).off('exit', onFail);
      resolve(ok);
    }
    thread.once('message', onMessage).once('error', onFail).once('exit', onFail);
  });
  if (!ready) {
    void thread.terminate();
    return undefined;
  }
  return new ThreadWriter(thread, store.path);
}

interface Pending {
  resolve(result: StoreRowsResult): void;
  reject(err: unknown): void;
}

/** A writer thread that is up (see {@link startStoreWriterThread}). @internal Exported for tests. */
export class ThreadWriter implements StoreWriter {
  readonly threaded = true;
  readonly #worker: Worker;
  readonly #path: string;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stopped: StoreError | undefined;
  readonly #exited: Promise<void>;

  constructor(worker: Worker, path: string) {
    this.#worker = worker;
    this.#path = path;
    worker.on('message', (m: WriterResponse) => {
      if (m.type !== 'done' && m.type !== 'failed') return;
      const pending = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.type === 'done') pending?.resolve(m.result);
      else pending?.reject(deserializeWriterError(m.error, this.#path));
    });
    worker.on('error', (err) => this.#stop(err));
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    void this.#exited.then(() => this.#stop(undefined));
  }

  commit(rows: StoreRows): Promise<StoreRowsResult> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'commit', id, rows } satisfies WriterRequest);
    });
  }

  async close(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = new StoreError('STORE_CLOSED', `The store writer thread of ${this.#path} is closed`, { details: { path: this.#path } });
      this.#worker.postMessage({ type: 'close' } satisfies WriterRequest);
    }
    const timer = setTimeout(() => void this.#worker.terminate(), CLOSE_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** The thread died or exited: whatever was in flight may or may not have been committed. */
  #stop(cause: unknown): void {
    const err = new StoreError(
      'STORE_WRITE_FAILED',
      `The store writer thread of ${this.#path} stopped${cause instanceof Error ? `: ${cause.message}` : ''}; its last commit may or may not have landed`,
      { cause, details: { path: this.#path } },
    );
    this.#stopped ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

/** Where a sync's commits run (`SyncOptions.storeWriter`). */
export type StoreWriterMode = 'auto' | 'thread' | 'inline';

/** True for a {@link StoreWriterMode} (options, config files and flags check with this one test). */
export function isStoreWriterMode(value: unknown): value is StoreWriterMode {
  return value === 'auto' || value === 'thread' || value === 'inline';
}

/** In `'auto'` mode, the number of updates in one sync after which its commits move to a writer thread. */
export const THREAD_AFTER_UPDATES = 20_000;
/**
 * In `'auto'` mode, the number of updates after which the writer thread starts booting (loading SQLite, opening
 * its connection) while commits still run inline, so that it is ready when the sync reaches
 * {@link THREAD_AFTER_UPDATES} instead of holding up that commit. Not lower: a sync that ends before the switch
 * waits for the unused thread's start when it closes (~0.1 s; at 5 000, a sync of 8 000 updates took 0.19-0.24 s
 * instead of 0.10-0.17 s).
 */
export const THREAD_PRESTART_AFTER_UPDATES = 10_000;

/**
 * The writer a sync's next commit goes to: in-thread until a writer thread is wanted and ready, then the thread.
 * Switching is safe because the sync keeps at most one commit in flight.
 */
export class SyncWriters {
  readonly #store: ListStore;
  readonly #mode: StoreWriterMode;
  readonly #inline: StoreWriter;
  #thread: StoreWriter | undefined;
  #starting: Promise<void> | undefined;
  #updates = 0;

  constructor(store: ListStore, mode: StoreWriterMode) {
    this.#store = store;
    this.#mode = mode;
    this.#inline = inlineStoreWriter(store);
  }

  /** In `'thread'` mode, starts the thread and waits until it is ready (or known to be unavailable). */
  async prepare(): Promise<void> {
    if (this.#mode === 'thread') await this.#start();
  }

  /**
   * The writer for a commit of `updates` more updates. In `'auto'` mode, the thread starts booting with the commit
   * that takes the sync past {@link THREAD_PRESTART_AFTER_UPDATES}; the commit that takes it past
   * {@link THREAD_AFTER_UPDATES} waits for the thread to be ready (usually it is by then) and goes to it, so which
   * commits ran where does not depend on timing.
   */
  async next(updates: number): Promise<StoreWriter> {
    this.#updates += updates;
    if (this.#mode === 'auto') {
      if (this.#updates < THREAD_PRESTART_AFTER_UPDATES) return this.#inline;
      if (this.#updates < THREAD_AFTER_UPDATES) {
        void this.#start();
        return this.#inline;
      }
      await this.#start();
    }
    return this.#thread ?? this.#inline;
  }

  /** Stops the thread, if any, after its commits. Never rejects. */
  async close(): Promise<void> {
    await this.#starting;
    await this.#thread?.close();
  }

  #start(): Promise<void> {
    this.#starting ??= startStoreWriterThread(this.#store).then(
      (writer) => {
        this.#thread = writer;
      },
      () => {},
    );
    return this.#starting;
  }
}
