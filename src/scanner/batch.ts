/**
 * `matchMany`: scans an iterable of inputs with a fixed window in flight and yields results in input order.
 *
 * @module
 * @internal
 */
import { ScannerError } from '../errors.js';
import type { Verdict } from './types.js';

/**
 * One result of `matchMany`, in input order. A failed input does not stop the batch: it yields `error` (the value
 * the single call would have rejected with) and the batch goes on.
 */
export type MatchManyResult<I = unknown> =
  | { index: number; input: I; verdict: Verdict; error?: undefined }
  | { index: number; input: I; error: unknown; verdict?: undefined };

/** Runs `scan` over `inputs`, at most `concurrency` at a time, yielding settled results in input order. */
export async function* runBatch<I>(
  inputs: Iterable<I> | AsyncIterable<I>,
  scan: (input: I) => Promise<Verdict>,
  concurrency: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<MatchManyResult<I>, void, undefined> {
  const iterator = toAsyncIterator(inputs);
  const window: Array<Promise<MatchManyResult<I>>> = [];
  let exhausted = false;
  let index = 0;
  try {
    for (;;) {
      while (!exhausted && window.length < concurrency) {
        throwIfAborted(signal);
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const i = index++;
        const input = next.value;
        let started: Promise<Verdict>;
        try {
          started = scan(input);
        } catch (error) {
          started = Promise.reject(error);
        }
        window.push(
          started.then(
            (verdict) => ({ index: i, input, verdict }),
            (error: unknown) => ({ index: i, input, error }),
          ),
        );
      }
      const head = window.shift();
      if (head === undefined) return;
      yield await raceAbort(head, signal);
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}

function toAsyncIterator<I>(inputs: Iterable<I> | AsyncIterable<I>): AsyncIterator<I> {
  if (inputs !== null && typeof inputs === 'object') {
    const asyncIt = (inputs as AsyncIterable<I>)[Symbol.asyncIterator];
    if (typeof asyncIt === 'function') return asyncIt.call(inputs);
    const syncIt = (inputs as Iterable<I>)[Symbol.iterator];
    if (typeof syncIt === 'function') {
      const it = syncIt.call(inputs);
      return {
        next: async () => it.next(),
        return: async () => it.return?.() ?? { done: true, value: undefined },
      };
    }
  }
  throw new TypeError(`Expected \`inputs\` to be an iterable or async iterable, got ${typeof inputs}`);
}

function abortedError(signal: AbortSignal): ScannerError {
  return new ScannerError('ABORTED', 'matchMany was aborted', { cause: signal.reason });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
