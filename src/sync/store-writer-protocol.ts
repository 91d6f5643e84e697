/**
 * The messages between a syncing thread and its store writer thread, and how errors cross between them
 * (structured clone keeps neither the class nor the `code` of an error, so they travel as plain data).
 *
 * @module
 */
import { StoreError, SyncError, type StoreErrorCode, type SyncErrorCode } from '../errors.js';
import type { StoreRows, StoreRowsResult } from './store.js';

/** `workerData` of the writer thread. */
export interface WriterStart {
  path: string;
  busyTimeoutMs: number;
  synchronous: 'full' | 'normal';
}

export type WriterRequest = { type: 'commit'; id: number; rows: StoreRows } | { type: 'close' };

export type WriterResponse =
  | { type: 'ready' }
  | { type: 'open-failed'; error: SerializedWriterError }
  | { type: 'done'; id: number; result: StoreRowsResult }
  | { type: 'failed'; id: number; error: SerializedWriterError };

export interface SerializedWriterError {
  name: string;
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

export function serializeWriterError(err: unknown): SerializedWriterError {
  if (err instanceof StoreError || err instanceof SyncError) {
    return { name: err.name, code: err.code, message: err.message, details: err.details };
  }
  return { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}

/** The error as the syncing thread throws it: the same class and code the store would have thrown in-thread. */
export function deserializeWriterError(error: SerializedWriterError, path: string): StoreError | SyncError {
  if (error.name === 'SyncError' && error.code) {
    return new SyncError(error.code as SyncErrorCode, error.message, { details: error.details ?? {} });
  }
  if (error.name === 'StoreError' && error.code) {
    return new StoreError(error.code as StoreErrorCode, error.message, { details: error.details ?? {} });
  }
  return new StoreError('STORE_WRITE_FAILED', `Cannot commit to the list store ${path}: ${error.message}`, { details: { path } });
}
