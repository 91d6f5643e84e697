/**
 * Errors crossing between threads: structured clone keeps neither the class nor the `code` of an error, so they
 * travel as plain data and are rebuilt as the same class with the same code and details.
 *
 * @internal
 * @module
 */
import { ConfigError, HashFormatError, MediaError, ScannerError, StoreError, SyncError, TidscanError, VideoError } from '../errors.js';

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const CLASSES: Record<string, new (code: any, message: string, options?: { details?: Record<string, unknown> }) => TidscanError> = {
  TidscanError,
  HashFormatError,
  MediaError,
  VideoError,
  SyncError,
  StoreError,
  ScannerError,
  ConfigError,
};

export function serializeError(err: unknown): SerializedError {
  if (err instanceof TidscanError) {
    let details: Record<string, unknown> | undefined;
    try {
      details = JSON.parse(JSON.stringify(err.details)) as Record<string, unknown>; // only what survives JSON crosses
    } catch {
      details = undefined;
    }
    return { name: err.name, code: err.code, message: err.message, ...(details ? { details } : {}) };
  }
  return { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(error: SerializedError): Error {
  const Class = error.code === undefined ? undefined : CLASSES[error.name];
  if (Class) return new Class(error.code, error.message, { details: error.details ?? {} });
  if (error.name === 'TypeError') return new TypeError(error.message);
  if (error.name === 'RangeError') return new RangeError(error.message);
  const plain = new Error(error.message);
  plain.name = error.name;
  return plain;
}
