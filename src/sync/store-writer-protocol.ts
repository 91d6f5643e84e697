/**
 * The messages between a syncing thread and its store writer thread. Errors cross as plain data (thread-errors.ts);
 * one that is not a store or sync error becomes `STORE_WRITE_FAILED`.
 *
 * @module
 */
import { StoreError, type SyncError } from '../errors.js';
import type { StoreRows, StoreRowsResult } from './store.js';
import { deserializeError, type SerializedError, serializeError } from './thread-errors.js';

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

export type SerializedWriterError = SerializedError;

export const serializeWriterError = serializeError;

/** The error as the syncing thread throws it: the same class and code the store would have thrown in-thread. */
export function deserializeWriterError(error: SerializedWriterError, path: string): StoreError | SyncError {
  if ((error.name === 'SyncError' || error.name === 'StoreError') && error.code) return deserializeError(error) as StoreError | SyncError;
  return new StoreError('STORE_WRITE_FAILED', `Cannot commit to the list store ${path}: ${error.message}`, { details: { path } });
}
