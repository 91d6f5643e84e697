/**
 * `node:diagnostics_channel` events published by the scanner. Subscribing costs nothing when nobody listens
 * (`hasSubscribers` is checked before a message is built), and no logger dependency is needed.
 *
 * Messages never carry content bytes. They carry hashes and list entry ids, which platforms need for audit
 * trails; treat them as sensitive operational data.
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { type ErrorCode, isTidscanError } from '../errors.js';
import type { ScanOperation, Verdict } from './types.js';

/** Channel names, stable across versions. */
export const SCANNER_CHANNELS = {
  /** One message per verdict returned by `matchImage`, `matchVideo`, `matchHashes` and `matchMany`. */
  match: 'tidscan:match',
  /** One message per rejected scanner call (bad input, media failure, `QUEUE_FULL`, `SCANNER_CLOSED`, ...). */
  error: 'tidscan:error',
} as const;

/**
 * The message published on `tidscan:match`.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('tidscan:match', (m) => {
 *   const msg = m as ScanMatchEvent;
 *   verdicts.inc({ kind: msg.kind, operation: msg.operation });
 * });
 * ```
 */
export interface ScanMatchEvent {
  /** Which scanner method produced the verdict. */
  operation: ScanOperation;
  /** The verdict kind, for counters. */
  kind: Verdict['kind'];
  /** Set for `unhashable` verdicts. */
  reason?: string;
  /** Number of (non-excluded) matches. */
  matchCount: number;
  /** Number of matches excluded by the false-positive allowlist. */
  excludedCount: number;
  /** The list version the verdict was judged against. */
  listVersion: number;
  /** Wall-clock milliseconds from the call to the verdict (queue wait included). */
  durationMs: number;
  /** True when the verdict came from the repeat-content cache. */
  cached: boolean;
  /** The full verdict (hashes, matches, exclusions); never content bytes. */
  verdict: Verdict;
}

/** The message published on `tidscan:error`. */
export interface ScanErrorEvent {
  operation: ScanOperation;
  /** The error's stable code, or `INTERNAL` for an unexpected non-tidscan error. */
  code: ErrorCode | 'INTERNAL';
  /** The error's message (never content bytes). */
  message: string;
  /** Wall-clock milliseconds from the call to the failure. */
  durationMs: number;
  /** The error object itself (the value the call rejected with). */
  error: unknown;
}

const matchChannel = channel(SCANNER_CHANNELS.match);
const errorChannel = channel(SCANNER_CHANNELS.error);

/** Publishes a verdict on `tidscan:match` when someone listens. */
export function publishMatch(operation: ScanOperation, verdict: Verdict, durationMs: number): void {
  if (!matchChannel.hasSubscribers) return;
  const message: ScanMatchEvent = {
    operation,
    kind: verdict.kind,
    matchCount: verdict.kind === 'match' ? verdict.matches.length : 0,
    excludedCount: verdict.excluded.length,
    listVersion: verdict.listVersion,
    durationMs,
    cached: verdict.timing.cached,
    verdict,
  };
  if (verdict.kind === 'unhashable') message.reason = verdict.reason;
  matchChannel.publish(message);
}

/** Publishes a failed call on `tidscan:error` when someone listens. */
export function publishError(operation: ScanOperation, error: unknown, durationMs: number): void {
  if (!errorChannel.hasSubscribers) return;
  const { code, message } = describeError(error);
  const event: ScanErrorEvent = { operation, code, message, durationMs, error };
  errorChannel.publish(event);
}

function describeError(error: unknown): { code: ErrorCode | 'INTERNAL'; message: string } {
  if (isTidscanError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message };
  return { code: 'INTERNAL', message: String(error) };
}
