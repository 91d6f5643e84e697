/**
 * Single-flight across processes: the sync lock is a row in the store naming its holder (random token, pid,
 * host) with a heartbeat and an expiry. Two overlapping cron runs cannot interleave: the second one gets
 * `SYNC_LOCKED`. A holder that died is replaced as soon as that is certain (same host, its pid is gone) or, on
 * another host, once its lease expires. Every commit also checks the token inside its transaction, so a holder
 * whose lease was taken over cannot write (`SYNC_LOCK_LOST`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SyncError } from '../errors.js';
import type { ListStore, LockHolder } from './store.js';

/** Name of the lock row `sync()` takes. */
export const SYNC_LOCK_NAME = 'sync';

/** Options of {@link acquireSyncLock}. */
export interface SyncLockOptions {
  /**
   * Lease length, ms: a holder that stops heart-beating (hung, or died on another host) loses the lock after it.
   * @default 60000
   */
  ttlMs?: number;
  /**
   * Heartbeat interval, ms (each beat extends the lease to now + `ttlMs`).
   * @default ttlMs / 4
   */
  heartbeatMs?: number;
}

/** A held sync lock. Release it when done (also on failure). */
export class SyncLock {
  /** The random token that identifies this holder in the store. */
  readonly token: string;
  readonly #store: ListStore;
  readonly #ttlMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lost = false;

  /** @internal Use {@link acquireSyncLock}. */
  constructor(store: ListStore, token: string, ttlMs: number, heartbeatMs: number) {
    this.#store = store;
    this.token = token;
    this.#ttlMs = ttlMs;
    this.#timer = setInterval(() => this.#beat(), heartbeatMs);
    this.#timer.unref();
  }

  /** True once a heartbeat found that another process took the lock over. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Stops the heartbeat and deletes the lock row (when still ours). Idempotent; never throws. */
  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#lost || !this.#store.open) return;
    try {
      this.#store.releaseLock(SYNC_LOCK_NAME, this.token);
    } catch {
      // The lease expires on its own; a failed unlock must not mask the sync's result.
    }
  }

  #beat(): void {
    if (!this.#store.open) return this.release();
    try {
      if (!this.#store.renewLock(SYNC_LOCK_NAME, this.token, Date.now() + this.#ttlMs)) {
        this.#lost = true;
        this.release();
      }
    } catch {
      // Busy or transient: the next beat retries; the lease is several beats long.
    }
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the store's sync lock or fails at once.
 *
 * @throws {SyncError} `SYNC_LOCKED` with `details` `{ pid, host, since, expiresAt }` of the current holder.
 * @throws {RangeError} for bad options.
 */
export function acquireSyncLock(store: ListStore, options: SyncLockOptions = {}): SyncLock {
  const ttlMs = options.ttlMs ?? 60_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 1000 || ttlMs > 86_400_000) {
    throw new RangeError(`Expected \`lockTtlMs\` to be an integer from 1000 to 86400000, got ${String(ttlMs)}`);
  }
  const heartbeatMs = options.heartbeatMs ?? Math.floor(ttlMs / 4);
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 100 || heartbeatMs >= ttlMs) {
    throw new RangeError(`Expected \`heartbeatMs\` to be an integer from 100 to below lockTtlMs (${ttlMs}), got ${String(heartbeatMs)}`);
  }
  const now = Date.now();
  const host = hostname();
  const token = randomUUID();
  const holder: LockHolder = { token, pid: process.pid, host, acquiredAt: now, heartbeatAt: now, expiresAt: now + ttlMs };
  const current = store.tryAcquireLock(
    SYNC_LOCK_NAME,
    holder,
    (cur) => cur.host === host && cur.pid !== process.pid && !isProcessAlive(cur.pid),
  );
  if (current) {
    throw new SyncError(
      'SYNC_LOCKED',
      `Another sync holds the lock of ${store.path} (pid ${current.pid} on ${current.host}, since ${new Date(current.acquiredAt).toISOString()}, ` +
        `lease until ${new Date(current.expiresAt).toISOString()})`,
      {
        details: {
          path: store.path,
          pid: current.pid,
          host: current.host,
          since: new Date(current.acquiredAt).toISOString(),
          expiresAt: new Date(current.expiresAt).toISOString(),
        },
      },
    );
  }
  return new SyncLock(store, token, ttlMs, heartbeatMs);
}
