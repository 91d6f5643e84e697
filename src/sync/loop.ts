/**
 * `startSyncLoop()`: `sync()` on an interval with jitter, for long-running processes (the alternative to cron).
 * One run at a time in this process; across processes the store's sync lock applies (a run that finds the lock
 * held reports `SYNC_LOCKED` and the loop simply tries again next time).
 *
 * @module
 */
import { publishError } from './syncer-diagnostics.js';
import { SyncError } from '../errors.js';
import { checkSyncOptions, sync, type SyncOptions } from './syncer.js';
import { type SyncReport, toFailure } from './syncer-report.js';

/** Options of {@link startSyncLoop}: those of `sync()` plus the schedule. */
export interface SyncLoopOptions extends Omit<SyncOptions, 'signal'> {
  /**
   * Time from the end of one run to the start of the next, ms.
   * @default 900000 (15 min)
   */
  interval?: number;
  /**
   * A random 0..`jitter` ms added to each wait, so many processes started together do not sync in lockstep.
   * @default interval / 10
   */
  jitter?: number;
  /**
   * Run once at start instead of waiting a first interval.
   * @default true
   */
  immediate?: boolean;
  /** Called with every run's report. A throw or rejection is published on `tidscan:sync:error`, never fatal. */
  onReport?: (report: SyncReport) => void | Promise<void>;
  /** Stops the loop (and aborts a run in progress) when aborted. */
  signal?: AbortSignal;
  /**
   * Let the process exit while the loop waits (the timer is `unref`ed).
   * @default false
   */
  unref?: boolean;
}

/** A running loop. */
export interface SyncLoop {
  /** Runs a sync now (or joins the one in progress) and resolves to its report. */
  runNow(): Promise<SyncReport>;
  /** Stops the loop: aborts a run in progress and resolves once it has ended. Idempotent. */
  stop(): Promise<void>;
  /** The last finished run's report, if any. */
  readonly lastReport: SyncReport | undefined;
  /** True between start and stop. */
  readonly active: boolean;
}

function checkMs(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`Expected \`${name}\` to be an integer number of ms, got ${typeof value}`);
  if (value < min || value > 2_147_483_647) throw new RangeError(`Expected \`${name}\` to be an integer from ${min} to 2147483647, got ${value}`);
  return value;
}

/**
 * Starts syncing on a schedule.
 *
 * @example
 * ```ts
 * const loop = startSyncLoop({ store, list, sources, interval: 10 * 60_000, onReport: (r) => log(r) });
 * process.on('SIGTERM', () => void loop.stop());
 * ```
 * @throws {TypeError | RangeError} for bad options (those of `sync()` included, checked at once).
 */
export function startSyncLoop(options: SyncLoopOptions): SyncLoop {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  const { interval: _i, jitter: _j, immediate: _im, onReport, signal, unref: _u, ...syncOptions } = options;
  const interval = checkMs('interval', options.interval, 1000, 900_000);
  const jitter = checkMs('jitter', options.jitter, 0, Math.floor(interval / 10));
  if (onReport !== undefined && typeof onReport !== 'function') throw new TypeError(`Expected \`onReport\` to be a function, got ${typeof onReport}`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('Expected `signal` to be an AbortSignal');
  const unref = options.unref === true;
  checkSyncOptions(syncOptions);

  let active = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<SyncReport> | undefined;
  let runAbort: AbortController | undefined;
  let lastReport: SyncReport | undefined;

  const schedule = (ms: number) => {
    if (!active) return;
    timer = setTimeout(() => {
      timer = undefined;
      void runNow();
    }, ms);
    if (unref) timer.unref();
  };

  const runNow = (): Promise<SyncReport> => {
    if (current) return current;
    if (timer) clearTimeout(timer);
    timer = undefined;
    runAbort = new AbortController();
    current = (async () => {
      let report: SyncReport;
      try {
        report = await sync({ ...syncOptions, signal: runAbort.signal });
      } catch (err) {
        // Only bad options throw; the loop cannot recover from them, so it stops and says why.
        active = false;
        throw err;
      }
      lastReport = report;
      try {
        await onReport?.(report);
      } catch (err) {
        publishError(toFailure(err));
      }
      return report;
    })().finally(() => {
      current = undefined;
      runAbort = undefined;
      schedule(interval + Math.floor(Math.random() * (jitter + 1)));
    });
    return current;
  };

  const stop = async (): Promise<void> => {
    active = false;
    signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    timer = undefined;
    runAbort?.abort();
    await current?.catch(() => {});
  };
  const onAbort = () => void stop();

  if (signal?.aborted) active = false;
  else {
    signal?.addEventListener('abort', onAbort, { once: true });
    if (options.immediate === false) schedule(interval + Math.floor(Math.random() * (jitter + 1)));
    else void runNow().catch(() => {});
  }

  return {
    runNow: () => (active ? runNow() : Promise.reject(new SyncError('SYNC_ABORTED', 'The sync loop is stopped'))),
    stop,
    get lastReport() {
      return lastReport;
    },
    get active() {
      return active;
    },
  };
}
