/**
 * What the scanner needs from the list side (store, in-memory list, sync), as one port. `openBackend` builds it from
 * the store and list modules; keeping the port narrow keeps the facade independent of their internals.
 *
 * @module
 * @internal
 */
import type { HashListStats } from '../list/hash-list.js';
import type { SyncReport } from '../sync/syncer-report.js';
import type { FalsePositivePersistence } from './allowlist.js';
import type { ListView } from './judge.js';

/** The in-memory list as the scanner reads it. */
export interface ListBackend extends ListView {
  /** Increases with every committed change; verdicts carry it. */
  readonly version: number;
  /** Number of entries. */
  readonly size: number;
}

/** One scanner's list side. */
export interface ScannerBackend {
  readonly list: ListBackend;
  readonly falsePositives: FalsePositivePersistence;
  /** Pulls every configured source into the store and the in-memory list. */
  sync(options: { signal?: AbortSignal | undefined }): Promise<SyncReport>;
  /** Picks up changes another process committed to the same store (cheap when there are none). */
  refresh(): void;
  stats(): HashListStats;
  /** Closes the store. Idempotent. */
  close(): void;
}
