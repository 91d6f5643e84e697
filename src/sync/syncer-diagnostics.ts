/**
 * `node:diagnostics_channel` events published by `sync()`. Messages carry counts, versions, codes and redacted
 * checkpoints; never credentials, never entries.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('tidscan:sync:page', (m) => metrics.add((m as SyncPageEvent).added));
 * ```
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { SyncFailure, SyncReport } from './syncer-report.js';

/** Channel names, stable across versions. */
export const SYNC_CHANNELS = {
  /** One message per committed batch of delta pages. */
  page: 'tidscan:sync:page',
  /** One message per finished `sync()` call (success or not), carrying the report. */
  done: 'tidscan:sync:done',
  /** One message per failure (a source failing, the lock being held, a loop callback throwing). */
  error: 'tidscan:sync:error',
} as const;

/** Message on `tidscan:sync:page`. */
export interface SyncPageEvent {
  source: string;
  /** Delta pages in this commit. */
  pages: number;
  added: number;
  updated: number;
  unchanged: number;
  deleted: number;
  skipped: number;
  /** List version after the commit. */
  version: number;
  /** Where the commit ran: on the syncing thread, or on the store writer thread (`SyncOptions.storeWriter`). */
  writer: 'inline' | 'thread';
  /** Where the source fetched and parsed these pages: on the syncing thread, or on a source thread (`SyncOptions.sourceThread`). */
  fetcher: 'inline' | 'thread';
}

/** Message on `tidscan:sync:done`. */
export interface SyncDoneEvent {
  report: SyncReport;
}

/** Message on `tidscan:sync:error`. */
export interface SyncErrorEvent extends SyncFailure {
  /** The source that failed, when one did. */
  source?: string;
}

const pageChannel = channel(SYNC_CHANNELS.page);
const doneChannel = channel(SYNC_CHANNELS.done);
const errorChannel = channel(SYNC_CHANNELS.error);

/** @internal */
export function publishPage(event: SyncPageEvent): void {
  if (pageChannel.hasSubscribers) pageChannel.publish(event);
}

/** @internal */
export function publishDone(report: SyncReport): void {
  if (doneChannel.hasSubscribers) doneChannel.publish({ report } satisfies SyncDoneEvent);
}

/** @internal */
export function publishError(event: SyncErrorEvent): void {
  if (errorChannel.hasSubscribers) errorChannel.publish(event);
}
