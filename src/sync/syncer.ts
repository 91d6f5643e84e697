/**
 * `sync()`: pulls every configured source into the durable store and, when given, the in-memory list.
 *
 * For each source: read its checkpoint, iterate its delta pages, and commit pages together with the checkpoint
 * after them in one store transaction (several consecutive pages may share one transaction, bounded by
 * `commitEvery`, because each SQLite commit costs an fsync and rewrites the index pages it touched), on this thread
 * or on the store writer thread (`storeWriter`); then apply the committed changes to the in-memory list in one
 * synchronous step, in commit order. A page the source cannot parse makes the
 * source throw: nothing of that page is committed, complete pages before it are, and the report names the
 * failure. Other sources still run, unless the failure concerns the whole run (abort, lock lost, store failure).
 *
 * Safety nets: single-flight across processes (the store's sync lock, `SYNC_LOCKED`); the stored checkpoint is
 * compared-and-swapped at every commit (`SYNC_CONFLICT`); checkpoints never rewind (`SYNC_CHECKPOINT_REWOUND`);
 * a source that yields nothing for `stallTimeoutMs` is abandoned (`SYNC_TIMEOUT`).
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { SyncError } from '../errors.js';
import type { HashList } from '../list/hash-list.js';
import { type ChangeBatch, ChangeBatchBuilder } from '../list/change-batch.js';
import { prepareUpdates } from './apply.js';
import { acquireSyncLock, type SyncLock, type SyncLockOptions } from './lock.js';
import { type ListStore, rowsOf, type StoreRowsResult } from './store.js';
import { isStoreWriterMode, type StoreWriterMode, SyncWriters } from './store-writer.js';
import { checkpointComparator } from './checkpoint-order.js';
import { publishDone, publishError, publishPage } from './syncer-diagnostics.js';
import { sourceSpecOf } from './source-spec.js';
import { packedPageOf, withPackRequest } from './packed-page.js';
import { fetchOnThread, type PendingSourceThread, prestartSourceThread } from './source-thread.js';
import { redactCheckpoint, SkippedTally, type SyncFailure, type SyncReport, type SyncSourceReport, toFailure } from './syncer-report.js';
import type { DeltaPage, HashListSource } from './types.js';

/** Options of {@link sync}. */
export interface SyncOptions {
  /** The durable store (opened writable). */
  store: ListStore;
  /** The sources to pull, in order. Ids must be unique. */
  sources: readonly HashListSource[];
  /** An in-memory list to keep in step with the store (it catches up first if another process wrote). */
  list?: HashList;
  /** Stops the sync: complete pages received so far are committed, the report says `SYNC_ABORTED`. */
  signal?: AbortSignal;
  /**
   * The cross-process sync lock. `false` when the caller already serialises syncs itself.
   * @default { ttlMs: 60000 }
   */
  lock?: SyncLockOptions | false;
  /**
   * Commit when this many updates are waiting, or when the oldest waiting page has waited this long
   * (whichever comes first); the last page of a fetch is always committed at once.
   * @default { updates: 10000, ms: 2000 }
   */
  commitEvery?: { updates?: number; ms?: number };
  /**
   * Give a source up with `SYNC_TIMEOUT` when it yields no page for this long, ms (a backstop: the HTTP
   * sources have their own request timeouts).
   * @default 300000
   */
  stallTimeoutMs?: number;
  /**
   * After a successful sync, delete tombstones (deleted-entry markers kept for other processes to catch up)
   * older than this, ms. `false` keeps them.
   * @default 2592000000 (30 days)
   */
  tombstoneRetentionMs?: number | false;
  /**
   * Where store commits run. `'thread'`: on a worker thread with its own connection to the store file, so that
   * fetching, parsing and indexing the next pages overlap SQLite writing the previous ones (commits still land
   * one at a time, in order, each page with its checkpoint). `'inline'`: on the calling thread. `'auto'`: inline,
   * moving to a thread once this sync has sent 20 000 updates (a large sync, where the overlap pays for the
   * thread's start; the thread starts booting at 10 000 so that it is ready by then). Falls back to inline when no
   * thread can be had (an in-memory store, a bundle without the worker script).
   * @default 'auto'
   */
  storeWriter?: StoreWriterMode;
  /**
   * Where the built-in sources (`createNcmecSource`, `createStopNciiSource`, `createFileSource`) fetch, parse and
   * validate their pages. `true`: on a thread of their own from the start; this thread only stores the pages and
   * keeps `list` in step (about half the CPU time it spends otherwise on a large sync, so matching on this thread
   * waits less). `false`: on this thread. `'auto'`: on this thread, until a sync with a `list`, on a machine with at
   * least two cores, has received 20 000 updates from an NCMEC source; the source then moves to a thread, which
   * resumes after the last page received (a large first sync or reload, not the usual small incremental one, pays
   * for a thread; the thread starts booting at 10 000 updates, and the source moves once it is ready, so that the
   * sync never waits for it; if it cannot boot, the source stays here). On two cores that made a 1M-entry sync with a list take about 0.8× the time, one of
   * 200k about 0.93× and one of 100k about the same (docs/performance.md). StopNCII and list-file sources move
   * only with `true`: their pages can complete a full refetch that must not be split. A source made with a
   * `dispatcher` or a custom `now` clock, or a plug-in source, cannot move and runs here. Falls back to this
   * thread when no thread can be had (a bundle without the worker script).
   * @default 'auto'
   */
  sourceThread?: boolean | 'auto';
}

/**
 * Room is made in the in-memory list for what a source announces (`DeltaPage.remainingHint`) once that is at least
 * this many entries more than it holds: a large first sync, where regrowing the list's arrays again and again
 * costs page faults (1M entries: ~35 000 fewer on the syncing thread; docs/performance.md).
 *
 * @internal
 */
export const RESERVE_AFTER = 50_000;

/** At most this many entries of room ahead of the list's size: a hint is a server's word, not a fact. */
export const RESERVE_AHEAD_MAX = 2_000_000;

/**
 * With `sourceThread: 'auto'`, the updates a sync with a list receives on the syncing thread before its NCMEC source
 * moves to a thread of its own (at the first page from then on at which the thread is ready). A thread costs tens
 * of milliseconds and megabytes to start: worth it for the hundreds of pages of a first sync, not for the few
 * pages of the usual incremental one.
 *
 * @internal
 */
export const SOURCE_THREAD_AFTER_UPDATES = 20_000;

/**
 * With `sourceThread: 'auto'`, the updates after which the source thread starts booting (loading undici and the
 * parser, a few hundred milliseconds on a busy core) while the source still runs here; the move waits for it
 * past {@link SOURCE_THREAD_AFTER_UPDATES} rather than keep this thread idle.
 *
 * @internal
 */
export const SOURCE_THREAD_PRESTART_AFTER_UPDATES = 10_000;

interface ResolvedOptions {
  store: ListStore;
  sources: readonly HashListSource[];
  list: HashList | undefined;
  signal: AbortSignal | undefined;
  lock: SyncLockOptions | false;
  maxUpdates: number;
  maxDelayMs: number;
  stallTimeoutMs: number;
  tombstoneRetentionMs: number | false;
  storeWriter: StoreWriterMode;
  sourceThread: boolean | 'auto';
}

function checkInt(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const Err = typeof value === 'number' ? RangeError : TypeError;
    throw new Err(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

/**
 * Validates `sync()` options without running anything.
 *
 * @internal
 * @throws {TypeError | RangeError}
 */
export function checkSyncOptions(options: SyncOptions): void {
  resolveOptions(options);
}

function resolveOptions(options: SyncOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  const { store, sources, list, signal } = options;
  if (typeof store?.commit !== 'function') throw new TypeError('Expected `store` to be a ListStore (openListStore)');
  if (!Array.isArray(sources)) throw new TypeError(`Expected \`sources\` to be an array of hash-list sources, got ${typeof sources}`);
  const ids = new Set<string>();
  sources.forEach((s, i) => {
    if (typeof s?.fetch !== 'function' || typeof s.id !== 'string' || s.id.length === 0 || typeof s.name !== 'string') {
      throw new TypeError(`Expected \`sources[${i}]\` to be a hash-list source with id, name and fetch()`);
    }
    if (ids.has(s.id)) throw new TypeError(`Expected source ids to be unique, got ${JSON.stringify(s.id)} twice`);
    ids.add(s.id);
  });
  if (list !== undefined && typeof list?.applyCommit !== 'function') throw new TypeError('Expected `list` to be a HashList');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('Expected `signal` to be an AbortSignal');
  const lock = options.lock ?? {};
  if (lock !== false && (typeof lock !== 'object' || lock === null)) throw new TypeError('Expected `lock` to be an object or false');
  const every = options.commitEvery ?? {};
  const retention = options.tombstoneRetentionMs;
  const storeWriter = options.storeWriter ?? 'auto';
  if (!isStoreWriterMode(storeWriter)) {
    throw new TypeError(`Expected \`storeWriter\` to be "auto", "thread" or "inline", got ${JSON.stringify(storeWriter)}`);
  }
  const sourceThread = options.sourceThread ?? 'auto';
  if (typeof sourceThread !== 'boolean' && sourceThread !== 'auto') {
    throw new TypeError(`Expected \`sourceThread\` to be true, false or "auto", got ${JSON.stringify(sourceThread) ?? typeof sourceThread}`);
  }
  return {
    store,
    sources,
    list,
    signal,
    lock,
    maxUpdates: checkInt('commitEvery.updates', every.updates, 1, 1_000_000, 10_000),
    maxDelayMs: checkInt('commitEvery.ms', every.ms, 0, 3_600_000, 2000),
    stallTimeoutMs: checkInt('stallTimeoutMs', options.stallTimeoutMs, 100, 86_400_000, 300_000),
    tombstoneRetentionMs: retention === false ? false : checkInt('tombstoneRetentionMs', retention, 0, 10 * 366 * 86_400_000, 30 * 86_400_000),
    storeWriter,
    sourceThread,
  };
}

/** Failures after which no further source runs. */
const RUN_FATAL = new Set(['SYNC_ABORTED', 'SYNC_LOCK_LOST', 'SYNC_CONFLICT', 'STORE_CLOSED', 'STORE_CORRUPT', 'STORE_READONLY', 'STORE_WRITE_FAILED']);

/**
 * Syncs every source into the store (and the list). Resolves to a report; never rejects for runtime failures.
 *
 * @example
 * ```ts
 * const store = openListStore('list.db');
 * const list = HashList.load(store);
 * const report = await sync({ store, list, sources: [createNcmecSource({ baseUrl })] });
 * if (!report.ok) console.error(report.error);
 * ```
 * @throws {TypeError | RangeError} for bad options (programming errors).
 */
export async function sync(options: SyncOptions): Promise<SyncReport> {
  const o = resolveOptions(options);
  const started = performance.now();
  const report: SyncReport = { ok: true, version: 0, previousVersion: 0, startedAt: new Date().toISOString(), durationMs: 0, sources: [] };
  let lock: SyncLock | undefined;
  const writers = new SyncWriters(o.store, o.storeWriter);
  const fail = (failure: SyncFailure, source?: string) => {
    report.ok = false;
    report.error ??= failure;
    publishError(source === undefined ? failure : { ...failure, source });
  };
  try {
    report.previousVersion = report.version = o.store.version;
    if (o.signal?.aborted) throw abortError(o.signal);
    if (o.lock !== false) lock = acquireSyncLock(o.store, o.lock);
    if (o.list && o.list.version !== report.previousVersion) o.list.refresh(o.store);
    await writers.prepare();
    for (const source of o.sources) {
      const r = await syncSource(o, source, lock, writers);
      report.sources.push(r);
      if (r.error) {
        fail(r.error, r.id);
        if (RUN_FATAL.has(r.error.code) || r.error.code.startsWith('STORE_')) break;
      }
    }
    if (report.ok && o.tombstoneRetentionMs !== false) {
      try {
        o.store.pruneTombstones(new Date(Date.now() - o.tombstoneRetentionMs));
      } catch (err) {
        publishError(toFailure(err)); // housekeeping only: the sync itself succeeded
      }
    }
  } catch (err) {
    fail(toFailure(err));
  } finally {
    await writers.close();
    lock?.release();
  }
  try {
    report.version = o.store.version;
  } catch {
    // The store failed; the error is already in the report.
  }
  report.durationMs = Math.round(performance.now() - started);
  publishDone(report);
  return report;
}

function abortError(signal: AbortSignal): SyncError {
  return new SyncError('SYNC_ABORTED', 'The sync was aborted', { cause: signal.reason });
}

const TIMEOUT = Symbol('timeout');

/** Resolves to the promise's value, or TIMEOUT after `ms` (the promise keeps running). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Checks the shape of what a source yielded (a plug-in may be buggy); throws SYNC_MALFORMED_RESPONSE. */
function checkPage(source: HashListSource, page: unknown): DeltaPage {
  const p = page as Partial<DeltaPage> | null;
  const bad = (why: string) =>
    new SyncError('SYNC_MALFORMED_RESPONSE', `Source ${JSON.stringify(source.id)} yielded a malformed page: ${why}`, {
      details: { source: source.id },
    });
  if (typeof p !== 'object' || p === null) throw bad('not an object');
  if (!Array.isArray(p.updates)) throw bad('updates is not an array');
  if (p.skipped !== undefined && !Array.isArray(p.skipped)) throw bad('skipped is not an array');
  if (p.checkpoint === undefined) throw bad('no checkpoint');
  try {
    if (JSON.stringify(p.checkpoint) === undefined) throw bad('checkpoint is not JSON');
  } catch (err) {
    if (err instanceof SyncError) throw err;
    throw bad('checkpoint is not JSON-serialisable');
  }
  return p as DeltaPage;
}

async function syncSource(o: ResolvedOptions, source: HashListSource, lock: SyncLock | undefined, writers: SyncWriters): Promise<SyncSourceReport> {
  const started = performance.now();
  const { store, list } = o;
  const report: SyncSourceReport = {
    id: source.id,
    name: source.name,
    ok: true,
    pages: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    skipped: [],
    durationMs: 0,
    checkpoint: null,
  };
  const tally = new SkippedTally();
  const compare = checkpointComparator(source);
  const controller = new AbortController();
  const onAbort = () => controller.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });

  let committed: unknown = null;
  /** The checkpoint JSON the next commit expects to find: the last one sent (a failed commit ends the sync). */
  let expectedJson: string | null = null;
  // Pages are packed as they arrive, so their entry objects die young (see ChangeBatch).
  const buffer = new ChangeBatchBuilder({ fingerprints: list !== undefined });
  let bufferedPages = 0;
  let bufferedSkipped = 0;
  let bufferedSince = 0;
  let pendingCheckpoint: unknown;
  let lastCheckpoint: unknown;
  let hasLast = false;
  let storeFailed = false;
  /**
   * The commit in flight (at most one): resolves to undefined once its result is applied, to its error, or (when a
   * flush was waiting for it) to the application left for that flush to do after it has sent the next commit.
   */
  let inflight: Promise<undefined | { readonly error: unknown } | { readonly apply: () => void }> | undefined;
  /** A flush is waiting for the commit in flight, with the next batch ready to send. */
  let flushWaiting = false;
  /** Whether the pages come from a source thread. */
  let onThread = false;
  /** The list size the source's hints point at, and the size the list has room for (see {@link reserveRoom}). */
  let expectedSize = 0;
  let roomFor = list?.size ?? 0;
  let received = 0;

  /** Makes room in the list for what the source announced, once it is worth it (see {@link RESERVE_AFTER}). */
  const reserveRoom = (): void => {
    if (!list || expectedSize - list.size < RESERVE_AFTER) return;
    const target = Math.min(expectedSize, list.size + RESERVE_AHEAD_MAX);
    if (target <= roomFor) return;
    // At least half as much again each time, so that hints that keep rising cost no more than growing would.
    roomFor = Math.max(target, Math.ceil(roomFor * 1.5));
    list.reserve(roomFor);
  };

  const applied = (batch: ChangeBatch, result: StoreRowsResult, pages: number, skipped: number, checkpoint: unknown, threaded: boolean): void => {
    committed = checkpoint;
    report.pages += pages;
    report.added += result.added;
    report.updated += result.updated;
    report.unchanged += result.unchanged;
    report.deleted += result.deleted;
    if (list) {
      try {
        list.applyCommittedBatch(source.id, batch, result, store);
      } catch {
        list.reload(store); // the store is the truth; rebuild from it rather than drift
      }
      try {
        reserveRoom(); // after the first batch, which shows what kinds of fingerprints the list holds
      } catch {
        // Memory could not be set aside (a hint only): the list grows as it fills, as it would without one.
      }
    }
    publishPage({
      source: source.id,
      pages,
      added: result.added,
      updated: result.updated,
      unchanged: result.unchanged,
      deleted: result.deleted,
      skipped,
      version: result.version,
      writer: threaded ? 'thread' : 'inline',
      fetcher: onThread ? 'thread' : 'inline',
    });
  };

  /** Waits for the commit in flight, applies its result if that was left to the caller, and throws its error. */
  const settle = async (): Promise<void> => {
    (await waitInflight())?.();
  };

  /** Waits for the commit in flight; returns the application of its result when that was left to the caller. */
  const waitInflight = async (): Promise<(() => void) | undefined> => {
    const pending = inflight;
    inflight = undefined;
    const outcome = await pending;
    if (outcome !== undefined && 'error' in outcome) throw outcome.error;
    return outcome?.apply;
  };

  /**
   * Commits the buffered pages. On a writer thread the commit is left in flight (the caller goes on fetching and
   * parsing) and its result is applied to the report and the list when it arrives, or, when the next flush is
   * already waiting for it, right after that flush has sent its own batch. Results are applied in commit order.
   */
  const flush = async (replaceAllAfterSeq?: number): Promise<void> => {
    if (bufferedPages === 0) return settle();
    // The next batch is ready: send it as soon as the commit in flight is done, and only then apply that commit's
    // result to the list, so the writer works on this batch meanwhile instead of waiting for the list.
    flushWaiting = inflight !== undefined;
    let applyPrevious: (() => void) | undefined;
    try {
      applyPrevious = await waitInflight();
    } finally {
      flushWaiting = false;
    }
    let threaded: boolean;
    try {
      const batch = buffer.build();
      const pages = bufferedPages;
      const skipped = bufferedSkipped;
      const checkpoint = pendingCheckpoint;
      bufferedPages = 0;
      bufferedSkipped = 0;
      const checkpointJson = JSON.stringify(checkpoint);
      const rows = rowsOf(
        batch,
        {
          sourceId: source.id,
          expectedCheckpoint: expectedJson,
          ...(lock ? { lockToken: lock.token } : {}),
          ...(replaceAllAfterSeq !== undefined ? { replaceAllAfterSeq } : {}),
        },
        checkpointJson,
      );
      expectedJson = checkpointJson;
      const writer = await writers.next(batch.count);
      threaded = writer.threaded;
      inflight = writer.commit(rows).then(
        (done) => {
          const apply = () => applied(batch, done, pages, skipped, checkpoint, writer.threaded);
          if (flushWaiting) return { apply };
          apply();
          return undefined;
        },
        (error: unknown) => {
          storeFailed = true;
          return { error };
        },
      );
    } finally {
      applyPrevious?.(); // committed before this flush began: it must reach the list even if sending this one failed
    }
    if (!threaded) await settle();
  };

  let iterator: AsyncIterator<DeltaPage> | undefined;
  /** A source thread booting ahead of the move (undefined: none started, null: none to be had). */
  let prestarted: PendingSourceThread | null | undefined;
  try {
    expectedJson = store.getCheckpointJson(source.id);
    committed = expectedJson === null ? null : JSON.parse(expectedJson);
    if (expectedJson !== null) {
      lastCheckpoint = committed;
      hasLast = true;
    }
    const startSeq = store.commitSeq;
    const sizeAtStart = list?.size ?? 0;
    const spec = o.sourceThread === false ? undefined : sourceSpecOf(source);
    const threadPages = o.sourceThread === true && spec ? fetchOnThread(spec, committed, { signal: controller.signal, fingerprints: list !== undefined }) : undefined;
    onThread = threadPages !== undefined;
    /** With `'auto'`, the spec to move the source to a thread with once the sync proves large. */
    let moveLater = o.sourceThread === 'auto' && list !== undefined && spec?.factory === 'ncmec' && availableParallelism() >= 2 ? spec : undefined;
    // Stopped on its own when the source moves: what it has read ahead, the thread fetches again.
    const inlineStop = new AbortController();
    const inlineSignal = AbortSignal.any([controller.signal, inlineStop.signal]);
    iterator = threadPages ?? source.fetch(committed, withPackRequest(source, { signal: inlineSignal }, { fingerprints: list !== undefined }))[Symbol.asyncIterator]();
    const pull = () => {
      const p = iterator!.next();
      p.catch(() => {}); // observed below; this only prevents an unhandled rejection after a timeout or failure
      return p;
    };
    let next = pull();
    for (;;) {
      if (o.signal?.aborted) throw abortError(o.signal);
      const stallAt = performance.now() + o.stallTimeoutMs;
      let step: IteratorResult<DeltaPage> | typeof TIMEOUT;
      for (;;) {
        const now = performance.now();
        const flushAt = bufferedPages > 0 ? bufferedSince + o.maxDelayMs : Infinity;
        step = await within(next, Math.min(stallAt, flushAt) - now);
        if (step !== TIMEOUT) break;
        if (performance.now() >= stallAt) {
          const err = new SyncError('SYNC_TIMEOUT', `Source ${JSON.stringify(source.id)} yielded no page for ${o.stallTimeoutMs} ms`, {
            details: { source: source.id, stallTimeoutMs: o.stallTimeoutMs },
          });
          controller.abort(err);
          throw err;
        }
        await flush(); // the source is slow: do not keep complete pages waiting
      }
      if (step.done) break;
      // Ask for the next page before committing this one: the server prepares it while we parse and write.
      next = pull();
      const page = checkPage(source, step.value);
      if (compare && hasLast && compare(page.checkpoint, lastCheckpoint) < 0) {
        throw new SyncError(
          'SYNC_CHECKPOINT_REWOUND',
          `Source ${JSON.stringify(source.id)} returned a checkpoint earlier than the one before it; this can indicate a serious problem with the API`,
          { details: { source: source.id, previous: redactCheckpoint(lastCheckpoint), received: redactCheckpoint(page.checkpoint) } },
        );
      }
      lastCheckpoint = page.checkpoint;
      hasLast = true;
      // A page from a source thread arrives prepared and packed; any other is prepared here.
      const packed = packedPageOf(page);
      const prepared = packed ? undefined : prepareUpdates(source.id, page.updates);
      const skipped = (page.skipped?.length ?? 0) + (prepared?.skipped.length ?? 0);
      tally.add(page.skipped ?? []);
      if (prepared) tally.add(prepared.skipped);
      if (bufferedPages === 0) bufferedSince = performance.now();
      const mark = buffer.count;
      try {
        if (packed) buffer.append(packed.batch);
        else for (const u of prepared!.updates) buffer.add(source.id, u.key, u.entry);
      } catch (err) {
        buffer.truncate(mark); // a page goes in whole or not at all
        throw err;
      }
      bufferedPages++;
      bufferedSkipped += skipped;
      pendingCheckpoint = page.checkpoint;
      received += packed ? packed.batch.count : prepared!.updates.length;
      const hint = page.remainingHint;
      if (list && typeof hint === 'number' && Number.isSafeInteger(hint) && hint >= 0) expectedSize = sizeAtStart + received + hint;
      if (page.replaceAll === true) await flush(startSeq);
      else if (buffer.count >= o.maxUpdates || performance.now() - bufferedSince >= o.maxDelayMs) await flush();
      if (moveLater !== undefined && prestarted === undefined && received >= SOURCE_THREAD_PRESTART_AFTER_UPDATES) {
        prestarted = prestartSourceThread(moveLater, { signal: controller.signal, fingerprints: true }) ?? null;
      }
      if (prestarted?.state === 'failed') {
        prestarted.cancel(); // it could not boot: this thread goes on fetching
        prestarted = null;
      }
      // A thread still loading its modules would keep this one waiting: fetch on until it is ready.
      if (moveLater !== undefined && received >= SOURCE_THREAD_AFTER_UPDATES && prestarted?.state !== 'booting') {
        // Every page up to this one is in hand: the thread resumes after it, as a restarted sync would.
        const moved =
          prestarted ? prestarted.start(page.checkpoint)
          : prestarted === null ? undefined // no thread to be had
          : fetchOnThread(moveLater, page.checkpoint, { signal: controller.signal, fingerprints: true });
        prestarted = undefined;
        moveLater = undefined;
        if (moved !== undefined) {
          inlineStop.abort();
          void iterator.return?.().catch(() => {});
          iterator = moved;
          onThread = true;
          next = pull();
        }
      }
    }
    await flush();
    await settle();
  } catch (err) {
    // Complete pages received before the failure are committed; the failing page never reached the buffer.
    try {
      await settle();
      if (!storeFailed) {
        await flush();
        await settle();
      }
    } catch (flushErr) {
      report.error = toFailure(flushErr);
    }
    if (storeFailed && list) {
      try {
        list.refresh(store); // a writer thread that died may have landed its last commit
      } catch {
        // The store cannot be read either; the next sync or refresh catches up.
      }
    }
    report.ok = false;
    const failure = toFailure(err);
    report.error ??= o.signal?.aborted && !failure.code.startsWith('STORE_') ? toFailure(abortError(o.signal)) : failure;
    controller.abort();
    void iterator?.return?.().catch(() => {});
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    prestarted?.cancel(); // the sync ended before the move
  }
  report.skipped = tally.groups();
  report.checkpoint = redactCheckpoint(committed);
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
