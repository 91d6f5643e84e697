/**
 * Bounded hashing slots: p-queue for concurrency, plus a cap on how many calls may wait. A call that finds the
 * waiting line full is refused at once with `QUEUE_FULL` instead of piling up memory behind a slow decoder.
 *
 * @module
 * @internal
 */
import PQueue from 'p-queue';
import { ScannerError } from '../errors.js';

/** Counters of the queue for `stats()`. */
export interface ScannerQueueStats {
  /** Hashing slots. */
  concurrency: number;
  /** Calls being hashed now. */
  running: number;
  /** Calls waiting for a slot. */
  waiting: number;
  /** The cap on `waiting`. */
  maxQueue: number;
  /** Calls refused with `QUEUE_FULL` so far. */
  rejected: number;
}

/** Runs tasks on a fixed number of slots with a bounded waiting line. */
export class WorkQueue {
  readonly #queue: PQueue;
  readonly #maxQueue: number;
  #rejected = 0;

  constructor(concurrency: number, maxQueue: number) {
    this.#queue = new PQueue({ concurrency });
    this.#maxQueue = maxQueue;
  }

  /**
   * Runs `task` when a slot is free.
   *
   * @param bounded - false for callers that bound themselves (`matchMany` keeps a fixed window in flight).
   * @throws {ScannerError} `QUEUE_FULL` when `bounded` and `maxQueue` calls are already waiting.
   */
  run<T>(task: () => Promise<T>, bounded = true): Promise<T> {
    if (bounded && this.#queue.pending >= this.#queue.concurrency && this.#queue.size >= this.#maxQueue) {
      this.#rejected++;
      return Promise.reject(
        new ScannerError(
          'QUEUE_FULL',
          `The scanner's queue is full (${this.#queue.size} calls waiting, maxQueue ${this.#maxQueue}); retry later`,
          { details: { waiting: this.#queue.size, maxQueue: this.#maxQueue } },
        ),
      );
    }
    return this.#queue.add(task);
  }

  /** Resolves when nothing runs or waits. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }

  stats(): ScannerQueueStats {
    return {
      concurrency: this.#queue.concurrency,
      running: this.#queue.pending,
      waiting: this.#queue.size,
      maxQueue: this.#maxQueue,
      rejected: this.#rejected,
    };
  }
}
