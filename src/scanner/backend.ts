/**
 * What the scanner needs from the list side (store, in-memory list, sync), as one port. `openBackend` builds it from
 * the store and list modules; keeping the port narrow keeps the facade independent of their internals.
 *
 * @module
 * @internal
 */
import type { FalsePositivePersistence } from './allowlist.js';
import type { ListView } from './judge.js';

/** The in-memory list as the scanner reads it. */
export interface ListBackend extends ListView {
  /** Increases with every committed change; verdicts carry it. */
  readonly version: number;
  /** Number of entries. */
  readonly size: number;
}

/** Counters of the list side for `stats()`. */
export interface ScannerListStats {
  /** Entries by list id. */
  entriesByList: Record<string, number>;
  /** Total entries. */
  entries: number;
  /** The Hamming index in use and its estimated memory. */
  index: { name: string; size: number; memoryBytes: number };
}

/** One scanner's list side. */
export interface ScannerBackend {
  readonly list: ListBackend;
  readonly falsePositives: FalsePositivePersistence;
  /** Pulls every configured source into the store and the in-memory list. */
  sync(options: { signal?: AbortSignal | undefined }): Promise<unknown>;
  /** Picks up changes another process committed to the same store (cheap when there are none). */
  refresh(): void;
  stats(): ScannerListStats;
  /** Closes the store. Idempotent. */
  close(): void;
}
