/**
 * The messages between a syncing thread and a source thread (see source-thread.ts).
 *
 * @internal
 * @module
 */
import type { PackedPage } from './packed-page.js';
import type { SourceSpec } from './source-spec.js';
import type { SerializedError } from './thread-errors.js';

/** `workerData` of a source thread. */
export interface SourceThreadStart {
  spec: SourceSpec;
  /** Where to start fetching; with `deferred`, the `start` request says instead. */
  checkpoint: unknown;
  /** Boot, then wait for a `start` request before fetching anything. */
  deferred?: boolean;
  /** Pack fingerprints too (an in-memory list will index the pages). */
  fingerprints: boolean;
  /** Pages the thread may send before the syncing thread asks for more. */
  ahead: number;
  /** Bytes of packed pages the thread may have sent before the syncing thread asks for more (one page always goes). */
  aheadBytes: number;
}

/** To the source thread: start fetching after `checkpoint` (a deferred thread); one more page may be sent; or stop now. */
export type SourceThreadRequest = { type: 'start'; checkpoint: unknown } | { type: 'more' } | { type: 'stop' };

/**
 * To the syncing thread: the thread has loaded its modules and takes requests; a page, prepared (validated,
 * normalised) and packed; an HTTP event; the end; an error.
 */
export type SourceThreadMessage =
  | { type: 'ready' }
  | { type: 'page'; page: PackedPage }
  | { type: 'http'; event: unknown }
  | { type: 'done' }
  | { type: 'error'; error: SerializedError };
