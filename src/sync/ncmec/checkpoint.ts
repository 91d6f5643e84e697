/**
 * The NCMEC source's checkpoint: a persisted format (stored by the list store), so changes must stay readable
 * (see checkpoint.test.ts, the compatibility test).
 *
 * @module
 */
import { SyncError } from '../../errors.js';
import { checkpointField, compareIsoTimes } from '../checkpoint-order.js';

/** A saved mid-window cursor: resumable only for the same window and only while fresh (12 h by default). */
export interface NcmecPagingState {
  /** The `<paging><next>` link exactly as the server wrote it (relative to the base URL; unescaped). */
  nextUrl: string;
  /** The window the link belongs to: `from` (exclusive) and `to` (inclusive), ISO 8601 UTC. */
  windowFrom: string;
  windowTo: string;
  /** When the link was received, ISO 8601 UTC. */
  savedAt: string;
}

/** Checkpoint of the NCMEC source. */
export interface NcmecCheckpoint {
  version: 1;
  /**
   * End (inclusive) of the last window fetched COMPLETELY, ISO 8601 UTC. The next window starts after it.
   * Only advanced once a window is exhausted, because the API does not list entries in timestamp order.
   */
  windowEnd: string;
  /** Present while a window is only partly fetched. */
  paging?: NcmecPagingState;
}

function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * Validates a stored checkpoint.
 *
 * @throws {SyncError} `SYNC_CHECKPOINT_INVALID` when it is not an NCMEC checkpoint this version can read.
 */
export function parseNcmecCheckpoint(value: unknown): NcmecCheckpoint {
  const invalid = (why: string) =>
    new SyncError('SYNC_CHECKPOINT_INVALID', `The stored NCMEC checkpoint is invalid: ${why}`, { details: { source: 'ncmec' } });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('not an object');
  const cp = value as Record<string, unknown>;
  if (cp.version !== 1) throw invalid(`unsupported version ${JSON.stringify(cp.version)}`);
  if (!isIsoDate(cp.windowEnd)) throw invalid('windowEnd is not an ISO 8601 UTC timestamp');
  const out: NcmecCheckpoint = { version: 1, windowEnd: cp.windowEnd };
  if (cp.paging !== undefined && cp.paging !== null) {
    const p = cp.paging as Record<string, unknown>;
    if (typeof p !== 'object' || typeof p.nextUrl !== 'string' || p.nextUrl.length === 0) throw invalid('paging.nextUrl is missing');
    if (!isIsoDate(p.windowFrom) || !isIsoDate(p.windowTo) || !isIsoDate(p.savedAt)) {
      throw invalid('paging.windowFrom, windowTo and savedAt must be ISO 8601 UTC timestamps');
    }
    out.paging = { nextUrl: p.nextUrl, windowFrom: p.windowFrom, windowTo: p.windowTo, savedAt: p.savedAt };
  }
  return out;
}

/**
 * Orders NCMEC checkpoints by `windowEnd`, which only advances once a window is exhausted (pages inside a window
 * keep it). 0 for values that are not checkpoints.
 */
export function compareNcmecCheckpoints(a: unknown, b: unknown): number {
  return compareIsoTimes(checkpointField(a, 'windowEnd'), checkpointField(b, 'windowEnd'));
}

/** Whole seconds since the epoch of an ISO timestamp. */
export function isoToSec(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** `2025-01-31T17:50:00Z`: the API's `from`/`to` format (UTC, whole seconds, no millis). */
export function secToIso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
