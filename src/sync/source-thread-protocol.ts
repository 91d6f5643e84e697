/**
 * The messages between a syncing thread and a source thread (see source-thread.ts).
 *
 * @internal
 * @module
 */
import type { ChangeBatch } from '../list/change-batch.js';
import type { SourceSpec } from './source-spec.js';
import type { SerializedError } from './thread-errors.js';
import type { SkippedRecord } from './types.js';

/** `workerData` of a source thread. */
export interface SourceThreadStart {
  spec: SourceSpec;
  checkpoint: unknown;
  /** Pack fingerprints too (an in-memory list will index the pages). */
  fingerprints: boolean;
  /** Pages the thread may send before the syncing thread asks for more. */
  ahead: number;
}

/** To the source thread: one more page may be sent; or stop now. */
export type SourceThreadRequest = { type: 'more' } | { type: 'stop' };

/** A page as a source thread sends it: prepared (validated, normalised) and packed. */
export interface PackedPage {
  batch: ChangeBatch;
  /** The source's skipped records and the ones preparation skipped. */
  skipped: SkippedRecord[];
  checkpoint: unknown;
  replaceAll?: boolean;
}

export type SourceThreadMessage =
  | { type: 'page'; page: PackedPage }
  | { type: 'http'; event: unknown }
  | { type: 'done' }
  | { type: 'error'; error: SerializedError };
