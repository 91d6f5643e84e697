/**
 * Reading one page ahead for the paged HTTP sources: the request for page N+1 goes out before page N is handed to
 * the caller, so the server prepares it (and the body streams in) while the caller commits page N.
 *
 * The caller's commit can be synchronous (SQLite on the syncing thread), so the request must be on the wire before
 * it starts. undici frees a kept-alive socket one event-loop turn after a response ends and writes a queued request
 * in a later turn: one turn before and one after the dispatch put the request out on the same socket (without them
 * it went out only after the commit, and the first one opened a second connection).
 *
 * @module
 */

/** A request started ahead of need. */
export interface ReadAhead<T> {
  /** Its outcome; awaiting it is how a failure surfaces (once the page before it was handed over). */
  readonly result: Promise<T>;
  /** Aborts it unless it already settled. Call it whenever the caller will not await `result`. */
  cancel(): void;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Starts `start(signal)` with a signal that follows `signal` and `cancel()`, once the event loop has turned, and
 * returns after the request had a turn to be written.
 */
export async function readAhead<T>(start: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<ReadAhead<T>> {
  await nextTurn();
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  const result = start(controller.signal);
  result.catch(() => {}); // awaited by the caller; this only keeps an abandoned read-ahead from being unhandled
  await nextTurn();
  return {
    result,
    cancel: () => {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
    },
  };
}
