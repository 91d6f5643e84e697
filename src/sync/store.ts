/**
 * The durable list store: every source's entries and checkpoint, the list version, the sync lock and the
 * false-positive allowlist, in one SQLite file (better-sqlite3, WAL).
 *
 * Durability: WAL with `synchronous=FULL` by default, so a commit is on disk (fsync of the WAL) before `commit()`
 * returns. `NORMAL` would keep the file consistent but could lose the last commits on power loss; the list
 * version would then be handed out a second time for different contents, and verdicts carry that version as
 * evidence of which list state they were judged against. The cost of FULL over NORMAL is measured by
 * `npm run bench:sync` (docs/performance.md); pages are committed in batches to keep it small.
 *
 * Atomicity: {@link ListStore.commit} writes one batch of delta pages and the checkpoint after them in ONE
 * transaction; a crash leaves either all of it or none of it.
 *
 * @module
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { StoreError, SyncError } from '../errors.js';
import { isHexOfLength } from '../hash/hex.js';
import { type ChangeBatch, ChangeBatchBuilder, rowJson, rowKind, textBuffer } from '../list/change-batch.js';
import { STORE_APPLICATION_ID, STORE_MIGRATIONS, type StoreMigration } from './store-schema.js';
import type { EntryKind, ListEntry, ListUpdate } from './types.js';

/** Options of {@link openListStore}. */
export interface ListStoreOptions {
  /**
   * Open without write access (export, inspection). A store that needs a migration cannot be opened read-only.
   * @default false
   */
  readonly?: boolean;
  /**
   * Create the file when it does not exist (ignored when `readonly`).
   * @default true
   */
  create?: boolean;
  /**
   * How long a statement waits for another process's write transaction before failing with `STORE_BUSY`, ms.
   * @default 10000
   */
  busyTimeoutMs?: number;
  /**
   * SQLite `synchronous` mode. `full` fsyncs the WAL at every commit: a returned commit survives power loss, so
   * a list version is never handed out twice. `normal` skips that fsync (the file still never corrupts, but the
   * last commits can roll back on power loss and their versions be reused for other contents).
   * @default 'full'
   */
  synchronous?: 'full' | 'normal';
  /** @internal Test hatch: the migration list to use instead of the real one. */
  migrations?: readonly StoreMigration[];
}

/** One effective change a commit made (what an in-memory list must apply to follow the store). */
export interface StoreChange {
  key: string;
  /** The entry now stored, or null when the key was deleted. */
  entry: ListEntry | null;
  /** `entry` as the store holds it (JSON), when at hand: an in-memory list keeps this text instead of making it again. */
  json?: string;
}

/** One change as {@link ListStore.changesSince} returns it (any source). */
export interface SourcedStoreChange extends StoreChange {
  source: string;
}

/** What {@link ListStore.commit} writes. */
export interface StoreCommit {
  /** The source (list) id the updates belong to. */
  sourceId: string;
  /**
   * The updates, in arrival order (last write wins). Entries must already be validated and normalised
   * (see `prepareUpdates`) and their `source` must equal `sourceId`.
   */
  updates: readonly ListUpdate[];
  /** The checkpoint after these updates (JSON-serialisable). */
  checkpoint: unknown;
  /**
   * Compare-and-swap: the JSON of the checkpoint this writer started from (null: none). When the stored one
   * differs, another writer got in between and the commit fails with `SYNC_CONFLICT`. Omit to skip the check.
   */
  expectedCheckpoint?: string | null;
  /**
   * For the last page of a complete snapshot (`DeltaPage.replaceAll`): the `commitSeq` read when the snapshot's
   * fetch started. Every entry of the source that no commit after it mentioned is deleted in this transaction.
   */
  replaceAllAfterSeq?: number;
  /** When set, the commit fails with `SYNC_LOCK_LOST` unless this token still holds the sync lock. */
  lockToken?: string;
}

/** What a commit did. */
export interface StoreCommitResult {
  /** The list version after the commit (unchanged when the commit changed no entry). */
  version: number;
  /** The list version before it. */
  previousVersion: number;
  /** This commit's sequence number (every commit gets one, changed or not). */
  commitSeq: number;
  added: number;
  updated: number;
  /** Upserts identical to what was stored. */
  unchanged: number;
  deleted: number;
  /** The effective changes in order, for the in-memory list. */
  changes: StoreChange[];
}

// What happened to one row of a commit (StoreRowsResult.outcomes).
const ROW_NO_CHANGE = 0;
const ROW_ADDED = 1;
const ROW_UPDATED = 2;
const ROW_DELETED = 3;
/**
 * Rows per multi-row INSERT while a commit's rows are new keys (a first sync). One statement for 16 rows costs
 * SQLite's per-statement work (and better-sqlite3's per-call work) once instead of 16 times.
 */
const INSERT_MANY_ROWS = 16;
const INSERT_MANY_SQL =
  'INSERT INTO entries (source, key, kind, entry, version, seen) VALUES ' + new Array(INSERT_MANY_ROWS).fill('(?, ?, ?, ?, ?, ?)').join(', ');

/**
 * One commit with its entries serialised: `keys[i]` with `flags[i]` (`ROW_DELETE`, `ROW_VIDEO`) and the entry's
 * JSON as UTF-8 in `text` (see {@link ChangeBatch}). What crosses to the store writer thread: a few buffers, not
 * thousands of strings.
 *
 * @internal
 */
export interface StoreRows {
  sourceId: string;
  keys: readonly string[];
  flags: Uint8Array;
  text: Uint8Array;
  textEnds: Uint32Array;
  checkpointJson: string;
  expectedCheckpoint?: string | null;
  replaceAllAfterSeq?: number;
  lockToken?: string;
}

/**
 * What {@link ListStore.commitRows} did: the counts, one outcome per row, and the keys a
 * `replaceAllAfterSeq` snapshot deleted.
 *
 * @internal
 */
export interface StoreRowsResult extends Omit<StoreCommitResult, 'changes'> {
  /** Per row: 0 no change (an identical upsert, a delete of an absent key), 1 added, 2 updated, 3 deleted. */
  outcomes: Uint8Array;
  gone: string[];
}

/** Serialises a commit's updates into rows (each entry's JSON is made here, once). @internal */
export function toStoreRows(input: StoreCommit, checkpointJson: string): StoreRows {
  const builder = new ChangeBatchBuilder({ fingerprints: false });
  for (const { key, entry } of input.updates) builder.add(input.sourceId, key, entry);
  return rowsOf(builder.build(), input, checkpointJson);
}

/** The rows of a packed batch of one source's changes, with the commit's other fields. @internal */
export function rowsOf(batch: ChangeBatch, input: Omit<StoreCommit, 'updates' | 'checkpoint'>, checkpointJson: string): StoreRows {
  return {
    sourceId: input.sourceId,
    keys: batch.keys,
    flags: batch.flags,
    text: batch.text,
    textEnds: batch.textEnds,
    checkpointJson,
    ...(input.expectedCheckpoint !== undefined ? { expectedCheckpoint: input.expectedCheckpoint } : {}),
    ...(input.replaceAllAfterSeq !== undefined ? { replaceAllAfterSeq: input.replaceAllAfterSeq } : {}),
    ...(input.lockToken !== undefined ? { lockToken: input.lockToken } : {}),
  };
}

/** The effective changes of a rows commit, in order, as an in-memory list applies them. @internal */
export function toCommitResult(rows: StoreRows, updates: readonly ListUpdate[], done: StoreRowsResult): StoreCommitResult {
  const changes: StoreChange[] = [];
  const { outcomes } = done;
  const text = textBuffer(rows);
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i]!;
    if (outcome === ROW_NO_CHANGE) continue;
    const key = rows.keys[i]!;
    if (outcome === ROW_DELETED) changes.push({ key, entry: null });
    else changes.push({ key, entry: updates[i]!.entry, json: rowJson(rows, text, i)! });
  }
  for (const key of done.gone) changes.push({ key, entry: null });
  const { version, previousVersion, commitSeq, added, updated, unchanged, deleted } = done;
  return { version, previousVersion, commitSeq, added, updated, unchanged, deleted, changes };
}

/** @internal The options a second connection to the same store is opened with. */
export interface StoreConnectionSettings {
  readonly busyTimeoutMs: number;
  readonly synchronous: 'full' | 'normal';
}

/** A stored checkpoint. */
export interface StoredCheckpoint {
  source: string;
  checkpoint: unknown;
  /** The list version when it was written. */
  version: number;
  /** ISO 8601. */
  updatedAt: string;
}

/** Who holds a lock. Contains no secrets. */
export interface LockHolder {
  token: string;
  pid: number;
  host: string;
  /** Epoch ms. */
  acquiredAt: number;
  heartbeatAt: number;
  expiresAt: number;
}

/** A false-positive record as stored: one list entry (`list` + `entryId`) or one content SHA-256. */
export type FalsePositiveRecord = ({ list: string; entryId: string } | { sha256: string }) & {
  note?: string;
  /** ISO 8601. */
  createdAt: string;
};

/** Counters of a store. */
export interface ListStoreStats {
  version: number;
  entries: number;
  tombstones: number;
  /** Live entries by source and kind. */
  bySource: Record<string, { image: number; video: number }>;
  falsePositives: number;
}

interface EntryRow {
  id: number;
  entry: string | null;
}

const KINDS: readonly EntryKind[] = ['image', 'video'];

/** Maps a better-sqlite3 / SQLite failure to a coded {@link StoreError}. */
export function toStoreError(err: unknown, action: string, path: string): StoreError | SyncError {
  if (err instanceof StoreError || err instanceof SyncError) return err;
  const code = String((err as { code?: unknown })?.code ?? '');
  const reason = err instanceof Error ? err.message : String(err);
  const details = { path, sqlite: code || undefined };
  const message = `Cannot ${action} the list store ${path}: ${reason}`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('STORE_BUSY', message, { cause: err, details });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StoreError('STORE_CORRUPT', message, { cause: err, details });
  }
  if (code.startsWith('SQLITE_READONLY')) return new StoreError('STORE_READONLY', message, { cause: err, details });
  if (code.startsWith('SQLITE_CANTOPEN')) return new StoreError('STORE_OPEN_FAILED', message, { cause: err, details });
  return new StoreError('STORE_WRITE_FAILED', message, { cause: err, details });
}

/**
 * Opens (creating and migrating when needed) the list store at `path`.
 *
 * @example
 * ```ts
 * const store = openListStore('/var/lib/tidscan/list.db');
 * console.log(store.version, store.stats());
 * store.close();
 * ```
 * @throws {TypeError} for bad options.
 * @throws {StoreError} `STORE_OPEN_FAILED` (missing file, no permission), `STORE_CORRUPT` (not a tidscan store,
 * damaged file), `STORE_VERSION_UNSUPPORTED` (written by a newer tidscan, or needs a migration while read-only),
 * `STORE_BUSY`.
 */
export function openListStore(path: string, options: ListStoreOptions = {}): ListStore {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`Expected \`path\` to be a non-empty string, got ${typeof path === 'string' ? '""' : typeof path}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const readonly = checkFlag('readonly', options.readonly, false);
  const create = checkFlag('create', options.create, true);
  const busy = options.busyTimeoutMs ?? 10_000;
  if (typeof busy !== 'number' || !Number.isInteger(busy) || busy < 0 || busy > 600_000) {
    throw new RangeError(`Expected \`busyTimeoutMs\` to be an integer from 0 to 600000, got ${String(busy)}`);
  }
  const synchronous = options.synchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new TypeError(`Expected \`synchronous\` to be "full" or "normal", got ${JSON.stringify(synchronous)}`);
  }
  const migrations = options.migrations ?? STORE_MIGRATIONS;
  let db: Db;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly || !create, timeout: busy });
  } catch (err) {
    const code = String((err as { code?: unknown })?.code ?? '');
    const reason = err instanceof Error ? err.message : String(err);
    if (code === 'SQLITE_NOTADB') throw toStoreError(err, 'open', path);
    throw new StoreError('STORE_OPEN_FAILED', `Cannot open the list store ${path}: ${reason}`, {
      cause: err,
      details: { path, sqlite: code || undefined },
    });
  }
  try {
    prepareConnection(db, path, readonly, migrations, synchronous);
    return new ListStore(db, path, readonly, { busyTimeoutMs: busy, synchronous });
  } catch (err) {
    db.close();
    throw toStoreError(err, 'open', path);
  }
}

function checkFlag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got ${typeof value}`);
  return value;
}

/**
 * Page size of a new store file. SQLite writes the WAL and checkpoints one page per system call; with ~0.4 KB
 * rows, 16 KiB pages cut the writer thread's CPU in a 1M-entry store-only sync by about a fifth against the
 * 4 KiB default (docs/performance.md), while a small incremental commit still dirties only a few pages.
 */
const NEW_STORE_PAGE_BYTES = 16384;
/** WAL size that triggers an automatic checkpoint (10 000 pages of 4 KiB, the value before page size was set). */
const WAL_CHECKPOINT_BYTES = 10_000 * 4096;

function prepareConnection(db: Db, path: string, readonly: boolean, migrations: readonly StoreMigration[], synchronous: 'full' | 'normal'): void {
  const target = migrations.length;
  if (!readonly) {
    // Takes effect only while the file is still empty; an existing store keeps the page size it was made with.
    db.pragma(`page_size = ${NEW_STORE_PAGE_BYTES}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // Larger WAL between checkpoints: random-key pages dirty many index pages, and each checkpoint rewrites them.
    const pageBytes = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.ceil(WAL_CHECKPOINT_BYTES / pageBytes)}`);
    db.pragma('journal_size_limit = 67108864');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -32768');
  // A multi-row INSERT keeps a statement journal (to undo just itself on a UNIQUE violation); on disk it spilled
  // to a temp file and cost the writer ~1 s of system time per 1M entries.
  db.pragma('temp_store = MEMORY');
  const appId = db.pragma('application_id', { simple: true }) as number;
  const userVersion = db.pragma('user_version', { simple: true }) as number;
  if (appId !== STORE_APPLICATION_ID) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
    if (appId !== 0 || userVersion !== 0 || tables.n > 0) {
      throw new StoreError('STORE_CORRUPT', `${path} is a SQLite database but not a tidscan list store`, {
        details: { path, applicationId: appId },
      });
    }
  }
  if (userVersion > target) {
    throw new StoreError(
      'STORE_VERSION_UNSUPPORTED',
      `The list store ${path} has schema version ${userVersion}, written by a newer tidscan; this version reads up to ${target}`,
      { details: { path, schemaVersion: userVersion, supported: target } },
    );
  }
  if (userVersion === target) return;
  if (readonly) {
    throw new StoreError(
      'STORE_VERSION_UNSUPPORTED',
      `The list store ${path} has schema version ${userVersion} and needs a migration to ${target}; open it writable once`,
      { details: { path, schemaVersion: userVersion, supported: target } },
    );
  }
  db.transaction(() => {
    // Re-read inside the write transaction: another process may have migrated meanwhile.
    const from = db.pragma('user_version', { simple: true }) as number;
    for (let v = from; v < target; v++) {
      const step = migrations[v]!;
      try {
        if (step.from !== v) throw new Error(`migration ${v} is declared as from ${step.from}`);
        step.up(db);
      } catch (err) {
        throw new StoreError(
          'STORE_OPEN_FAILED',
          `Cannot migrate the list store ${path} from schema version ${v} (${step.description}): ${(err as Error).message}`,
          { cause: err, details: { path, schemaVersion: v } },
        );
      }
    }
    db.pragma(`application_id = ${STORE_APPLICATION_ID}`);
    db.pragma(`user_version = ${target}`);
  }).immediate();
}

/**
 * An open list store. Not thread-safe across worker threads (open one per thread); safe across processes
 * (SQLite locking, plus the sync lock for writers).
 */
export class ListStore {
  /** The file path. */
  readonly path: string;
  /** True when opened read-only. */
  readonly readonly: boolean;
  #db: Db | undefined;
  readonly #stmts = new Map<string, Statement>();
  readonly #settings: StoreConnectionSettings;

  /** @internal Use {@link openListStore}. */
  constructor(db: Db, path: string, readonly: boolean, settings: StoreConnectionSettings = { busyTimeoutMs: 10_000, synchronous: 'full' }) {
    this.#db = db;
    this.path = path;
    this.readonly = readonly;
    this.#settings = settings;
  }

  /** @internal How this connection was opened, so another thread can open its own connection alike. */
  get connectionSettings(): StoreConnectionSettings {
    return this.#settings;
  }

  /** False after {@link close}. */
  get open(): boolean {
    return this.#db !== undefined;
  }

  /** The schema version of the file. */
  get schemaVersion(): number {
    return this.#read('read', (db) => db.pragma('user_version', { simple: true }) as number);
  }

  /** Random id of this store, fixed at creation. */
  get storeId(): string {
    return this.#meta('store_id');
  }

  /** The current list version: 0 for an empty new store, then +1 for every commit that changed an entry. */
  get version(): number {
    return Number(this.#meta('list_version'));
  }

  /** The sequence number of the last commit (every commit, changed or not). */
  get commitSeq(): number {
    return Number(this.#meta('commit_seq'));
  }

  /** The stored checkpoint of a source, parsed, or null when it has none. */
  getCheckpoint(sourceId: string): StoredCheckpoint | null {
    return this.#read('read', () => {
      const row = this.#stmt('SELECT checkpoint, version, updated_at FROM checkpoints WHERE source = ?').get(sourceId) as
        | { checkpoint: string; version: number; updated_at: string }
        | undefined;
      if (!row) return null;
      return { source: sourceId, checkpoint: parseJson(row.checkpoint, this.path), version: row.version, updatedAt: row.updated_at };
    });
  }

  /** The raw JSON of a source's stored checkpoint (for compare-and-swap), or null. */
  getCheckpointJson(sourceId: string): string | null {
    return this.#read('read', () => {
      const row = this.#stmt('SELECT checkpoint FROM checkpoints WHERE source = ?').get(sourceId) as { checkpoint: string } | undefined;
      return row?.checkpoint ?? null;
    });
  }

  /** Every stored checkpoint. */
  checkpoints(): StoredCheckpoint[] {
    return this.#read('read', () =>
      (this.#stmt('SELECT source, checkpoint, version, updated_at FROM checkpoints ORDER BY source').all() as Array<{
        source: string;
        checkpoint: string;
        version: number;
        updated_at: string;
      }>).map((r) => ({ source: r.source, checkpoint: parseJson(r.checkpoint, this.path), version: r.version, updatedAt: r.updated_at })),
    );
  }

  /**
   * Writes a batch of updates and the checkpoint after them in one transaction (all or nothing), and bumps the
   * list version when any entry changed.
   *
   * @throws {SyncError} `SYNC_CONFLICT` (the stored checkpoint is not `expectedCheckpoint`), `SYNC_LOCK_LOST`.
   * @throws {StoreError} `STORE_BUSY`, `STORE_WRITE_FAILED`, `STORE_READONLY`, `STORE_CLOSED`.
   */
  commit(input: StoreCommit): StoreCommitResult {
    this.#writable('commit to');
    const checkpointJson = JSON.stringify(input.checkpoint);
    if (checkpointJson === undefined) throw new TypeError('Expected `checkpoint` to be JSON-serialisable, got undefined');
    const rows = toStoreRows(input, checkpointJson);
    return toCommitResult(rows, input.updates, this.commitRows(rows));
  }

  /**
   * {@link commit} after serialising: the rows of one transaction, each key with its entry's JSON (null: delete).
   * What the store writer thread runs, so both paths share one implementation.
   *
   * @internal
   */
  commitRows(input: StoreRows): StoreRowsResult {
    const db = this.#writable('commit to');
    const { sourceId, keys } = input;
    const text = textBuffer(input);
    const select = this.#stmt('SELECT id, entry FROM entries WHERE source = ? AND key = ?');
    // Insert first: for a new key (the bulk of a first sync) that is one B-tree probe instead of a lookup + insert.
    const insert = this.#stmt('INSERT INTO entries (source, key, kind, entry, version, seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, key) DO NOTHING');
    const update = this.#stmt('UPDATE entries SET kind = ?, entry = ?, version = ?, seen = ? WHERE id = ?');
    const touch = this.#stmt('UPDATE entries SET seen = ? WHERE id = ?');
    const insertMany = this.#stmt(INSERT_MANY_SQL);
    const manyArgs: unknown[] = new Array(INSERT_MANY_ROWS * 6);
    const run = db.transaction((): StoreRowsResult => {
      if (input.lockToken !== undefined) this.#assertLockHeld(input.lockToken);
      if (input.expectedCheckpoint !== undefined) {
        const stored = this.getCheckpointJson(sourceId);
        if (stored !== input.expectedCheckpoint) {
          throw new SyncError(
            'SYNC_CONFLICT',
            `The checkpoint of source ${JSON.stringify(sourceId)} changed since this sync started: another writer is syncing the same store`,
            { details: { source: sourceId, path: this.path } },
          );
        }
      }
      const previousVersion = Number(this.#metaIn('list_version'));
      const version = previousVersion + 1;
      const seq = Number(this.#metaIn('commit_seq')) + 1;
      const result: StoreRowsResult = {
        version,
        previousVersion,
        commitSeq: seq,
        added: 0,
        updated: 0,
        unchanged: 0,
        deleted: 0,
        outcomes: new Uint8Array(keys.length),
        gone: [],
      };
      const { outcomes } = result;
      // Until a run turns out to hold a delete or a known key: then this commit is not a first sync's, and the
      // rest goes row by row rather than try (and undo) a statement per run.
      let manyAtOnce = true;
      for (let i = 0; i < keys.length; i++) {
        if (manyAtOnce && i % INSERT_MANY_ROWS === 0 && i + INSERT_MANY_ROWS <= keys.length) {
          manyAtOnce = this.#insertMany(insertMany, manyArgs, input, text, i, version, seq);
          if (manyAtOnce) {
            outcomes.fill(ROW_ADDED, i, i + INSERT_MANY_ROWS);
            result.added += INSERT_MANY_ROWS;
            i += INSERT_MANY_ROWS - 1;
            continue;
          }
        }
        const key = keys[i]!;
        const json = rowJson(input, text, i);
        const kind = rowKind(input.flags, i);
        if (json !== null) {
          if (insert.run(sourceId, key, kind, json, version, seq).changes === 1) {
            result.added++;
            outcomes[i] = ROW_ADDED;
            continue;
          }
        }
        const row = select.get(sourceId, key) as EntryRow | undefined;
        if (json === null) {
          if (row?.entry != null) {
            update.run(null, null, version, seq, row.id);
            result.deleted++;
            outcomes[i] = ROW_DELETED;
          } else if (row) {
            touch.run(seq, row.id);
          }
          continue;
        }
        if (!row) throw new Error(`entry ${key} is neither insertable nor present`);
        if (row.entry === json) {
          touch.run(seq, row.id);
          result.unchanged++;
          continue;
        }
        update.run(kind, json, version, seq, row.id);
        if (row.entry === null) {
          result.added++;
          outcomes[i] = ROW_ADDED;
        } else {
          result.updated++;
          outcomes[i] = ROW_UPDATED;
        }
      }
      if (input.replaceAllAfterSeq !== undefined) {
        const gone = this.#stmt(
          'UPDATE entries SET kind = NULL, entry = NULL, version = ? WHERE source = ? AND entry IS NOT NULL AND seen <= ? RETURNING key',
        ).all(version, sourceId, input.replaceAllAfterSeq) as Array<{ key: string }>;
        for (const { key } of gone) result.gone.push(key);
        result.deleted += gone.length;
      }
      const changed = result.added + result.updated + result.deleted > 0;
      if (changed) {
        this.#setMeta('list_version', String(version));
        this.#stmt('INSERT INTO versions (version, source, committed_at, added, updated, deleted) VALUES (?, ?, ?, ?, ?, ?)').run(
          version,
          sourceId,
          new Date().toISOString(),
          result.added,
          result.updated,
          result.deleted,
        );
      } else {
        result.version = previousVersion;
      }
      this.#setMeta('commit_seq', String(seq));
      this.#stmt(
        'INSERT INTO checkpoints (source, checkpoint, version, updated_at) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (source) DO UPDATE SET checkpoint = excluded.checkpoint, version = excluded.version, updated_at = excluded.updated_at',
      ).run(sourceId, input.checkpointJson, result.version, new Date().toISOString());
      return result;
    });
    try {
      return run.immediate();
    } catch (err) {
      throw toStoreError(err, 'commit to', this.path);
    }
  }

  /**
   * Every change after list version `since`, read as one consistent snapshot, for a process that keeps an
   * in-memory list in step with a store another process writes. Returns null when tombstones that old were
   * pruned: the caller must reload everything.
   */
  changesSince(since: number): { version: number; changes: SourcedStoreChange[] } | null {
    return this.#read('read', (db) =>
      db.transaction(() => {
        const version = Number(this.#metaIn('list_version'));
        if (since >= version) return { version, changes: [] };
        if (since < Number(this.#metaIn('tombstones_pruned_through'))) return null;
        const rows = this.#stmt('SELECT source, key, entry FROM entries WHERE version > ? ORDER BY version, id').all(since) as Array<{
          source: string;
          key: string;
          entry: string | null;
        }>;
        return {
          version,
          changes: rows.map((r) =>
            r.entry === null ?
              { source: r.source, key: r.key, entry: null }
            : { source: r.source, key: r.key, entry: parseJson(r.entry, this.path) as ListEntry, json: r.entry },
          ),
        };
      })(),
    );
  }

  /**
   * Reads every live entry in one consistent snapshot, calling `onEntry` for each (in storage order: the fastest
   * full read), and returns the list version of that snapshot. Memory stays bounded: rows are streamed.
   * `json` is the entry as stored. `options.onStart`, if given, is called first with an upper bound of the number
   * of entries to come (rows, deleted-entry markers included: read from an index, cheaply), to size things ahead.
   */
  forEachEntry(onEntry: (source: string, key: string, entry: ListEntry, json: string) => void, options: { onStart?: (atMost: number) => void } = {}): number {
    return this.#read('read', (db) =>
      db.transaction(() => {
        const version = Number(this.#metaIn('list_version'));
        if (options.onStart) options.onStart((this.#stmt('SELECT count(*) AS n FROM entries').get() as { n: number }).n);
        const rows = this.#stmt('SELECT source, key, entry FROM entries WHERE entry IS NOT NULL ORDER BY id').iterate() as IterableIterator<{
          source: string;
          key: string;
          entry: string;
        }>;
        for (const r of rows) onEntry(r.source, r.key, parseJson(r.entry, this.path) as ListEntry, r.entry);
        return version;
      })(),
    );
  }

  /**
   * Every live entry (of one source, or all), ordered by source then key, read in pages of `pageSize` rows
   * inside one read transaction: a consistent snapshot with bounded memory, and the consumer may await between
   * items (e.g. for stdout to drain). Do not write through this same `ListStore` until the iteration ends.
   */
  *iterateEntries(options: { source?: string; pageSize?: number } = {}): Generator<{ source: string; key: string; entry: ListEntry }> {
    const db = this.#live();
    const pageSize = options.pageSize ?? 1000;
    const bySource = options.source !== undefined;
    const first = this.#stmt(`SELECT source, key, entry FROM entries WHERE entry IS NOT NULL${bySource ? ' AND source = ?' : ''} ORDER BY source, key LIMIT ?`);
    const after = this.#stmt(
      `SELECT source, key, entry FROM entries WHERE entry IS NOT NULL${bySource ? ' AND source = ?' : ''} AND (source, key) > (?, ?) ORDER BY source, key LIMIT ?`,
    );
    const own = !db.inTransaction;
    if (own) db.exec('BEGIN');
    try {
      let last: { source: string; key: string } | undefined;
      for (;;) {
        const args: unknown[] = bySource ? [options.source] : [];
        const rows = this.#read('read', () =>
          (last ? after.all(...args, last.source, last.key, pageSize) : first.all(...args, pageSize)) as Array<{ source: string; key: string; entry: string }>,
        );
        for (const r of rows) yield { source: r.source, key: r.key, entry: parseJson(r.entry, this.path) as ListEntry };
        if (rows.length < pageSize) return;
        last = rows[rows.length - 1]!;
      }
    } finally {
      if (own && this.#db?.inTransaction) this.#db.exec('COMMIT');
    }
  }

  /** One stored entry, or undefined. */
  getEntry(sourceId: string, key: string): ListEntry | undefined {
    return this.#read('read', () => {
      const row = this.#stmt('SELECT entry FROM entries WHERE source = ? AND key = ?').get(sourceId, key) as { entry: string | null } | undefined;
      return row?.entry == null ? undefined : (parseJson(row.entry, this.path) as ListEntry);
    });
  }

  /** Counters (one snapshot). */
  stats(): ListStoreStats {
    return this.#read('read', (db) =>
      db.transaction(() => {
        const bySource: ListStoreStats['bySource'] = {};
        let entries = 0;
        const rows = this.#stmt('SELECT source, kind, count(*) AS n FROM entries WHERE entry IS NOT NULL GROUP BY source, kind').all() as Array<{
          source: string;
          kind: EntryKind;
          n: number;
        }>;
        for (const r of rows) {
          const counts = (bySource[r.source] ??= { image: 0, video: 0 });
          if (KINDS.includes(r.kind)) counts[r.kind] = r.n;
          entries += r.n;
        }
        const tombstones = (this.#stmt('SELECT count(*) AS n FROM entries WHERE entry IS NULL').get() as { n: number }).n;
        const falsePositives = (this.#stmt('SELECT count(*) AS n FROM false_positives').get() as { n: number }).n;
        return { version: Number(this.#metaIn('list_version')), entries, tombstones, bySource, falsePositives };
      })(),
    );
  }

  /**
   * Deletes tombstones (deleted-entry markers) of list versions committed before `olderThan`. A process whose
   * in-memory list is older than the newest pruned version must then reload fully (`changesSince` returns null).
   * Returns how many were deleted.
   */
  pruneTombstones(olderThan: Date): number {
    const db = this.#writable('prune');
    try {
      return db
        .transaction(() => {
          const row = this.#stmt('SELECT max(version) AS v FROM versions WHERE committed_at < ?').get(olderThan.toISOString()) as { v: number | null };
          if (row.v === null) return 0;
          const through = Math.max(row.v, Number(this.#metaIn('tombstones_pruned_through')));
          const n = this.#stmt('DELETE FROM entries WHERE entry IS NULL AND version <= ?').run(through).changes;
          this.#setMeta('tombstones_pruned_through', String(through));
          return n;
        })
        .immediate();
    } catch (err) {
      throw toStoreError(err, 'prune', this.path);
    }
  }

  // ---- sync lock (policy in lock.ts) ----

  /**
   * Takes the named lock for `holder` when it is free, expired, or `canTakeOver(current)` says the current
   * holder is gone. Returns null on success, else the current holder.
   */
  tryAcquireLock(name: string, holder: LockHolder, canTakeOver: (current: LockHolder) => boolean): LockHolder | null {
    const db = this.#writable('lock');
    try {
      return db
        .transaction((): LockHolder | null => {
          const current = this.readLock(name);
          if (current && current.expiresAt > Date.now() && !canTakeOver(current)) return current;
          this.#stmt(
            'INSERT INTO sync_lock (name, token, pid, host, acquired_at, heartbeat_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
              'ON CONFLICT (name) DO UPDATE SET token = excluded.token, pid = excluded.pid, host = excluded.host, ' +
              'acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at',
          ).run(name, holder.token, holder.pid, holder.host, holder.acquiredAt, holder.heartbeatAt, holder.expiresAt);
          return null;
        })
        .immediate();
    } catch (err) {
      throw toStoreError(err, 'lock', this.path);
    }
  }

  /** Extends a lock this token holds; false when it no longer holds it. */
  renewLock(name: string, token: string, expiresAt: number): boolean {
    this.#writable('lock');
    try {
      const sql = 'UPDATE sync_lock SET heartbeat_at = ?, expires_at = ? WHERE name = ? AND token = ?';
      return this.#stmt(sql).run(Date.now(), expiresAt, name, token).changes === 1;
    } catch (err) {
      throw toStoreError(err, 'lock', this.path);
    }
  }

  /** Releases a lock this token holds; false when it did not hold it. */
  releaseLock(name: string, token: string): boolean {
    this.#writable('unlock');
    try {
      return this.#stmt('DELETE FROM sync_lock WHERE name = ? AND token = ?').run(name, token).changes === 1;
    } catch (err) {
      throw toStoreError(err, 'unlock', this.path);
    }
  }

  /** The current holder of a lock (possibly expired), or undefined. */
  readLock(name: string): LockHolder | undefined {
    return this.#read('read', () => {
      const row = this.#stmt('SELECT token, pid, host, acquired_at, heartbeat_at, expires_at FROM sync_lock WHERE name = ?').get(name) as
        | { token: string; pid: number; host: string; acquired_at: number; heartbeat_at: number; expires_at: number }
        | undefined;
      if (!row) return undefined;
      return { token: row.token, pid: row.pid, host: row.host, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at, expiresAt: row.expires_at };
    });
  }

  // ---- false-positive allowlist ----

  /**
   * Inserts or replaces the false-positive record for its target (a list entry or a content SHA-256).
   *
   * @throws {TypeError} for a malformed record.
   */
  addFalsePositive(record: FalsePositiveRecord): void {
    const { list, entryId, sha256 } = checkTarget(record);
    const note = record.note;
    if (note !== undefined && typeof note !== 'string') throw new TypeError(`Expected \`note\` to be a string, got ${typeof note}`);
    if (typeof record.createdAt !== 'string' || Number.isNaN(Date.parse(record.createdAt))) {
      throw new TypeError(`Expected \`createdAt\` to be an ISO 8601 date, got ${JSON.stringify(record.createdAt)}`);
    }
    const db = this.#writable('write to');
    try {
      db.transaction(() => {
        this.#deleteFalsePositive(list, entryId, sha256);
        this.#stmt('INSERT INTO false_positives (list, entry_id, sha256, note, created_at) VALUES (?, ?, ?, ?, ?)').run(
          list,
          entryId,
          sha256,
          note ?? null,
          record.createdAt,
        );
      }).immediate();
    } catch (err) {
      throw toStoreError(err, 'write to', this.path);
    }
  }

  /** Deletes the record for this target; true when there was one. */
  removeFalsePositive(target: { list: string; entryId: string } | { sha256: string }): boolean {
    const { list, entryId, sha256 } = checkTarget(target);
    this.#writable('write to');
    try {
      return this.#deleteFalsePositive(list, entryId, sha256);
    } catch (err) {
      throw toStoreError(err, 'write to', this.path);
    }
  }

  /** Every false-positive record, oldest first. */
  listFalsePositives(): FalsePositiveRecord[] {
    return this.#read('read', () =>
      (this.#stmt('SELECT list, entry_id, sha256, note, created_at FROM false_positives ORDER BY id').all() as Array<{
        list: string | null;
        entry_id: string | null;
        sha256: string | null;
        note: string | null;
        created_at: string;
      }>).map((r) => {
        const target = r.sha256 !== null ? { sha256: r.sha256 } : { list: r.list!, entryId: r.entry_id! };
        return { ...target, ...(r.note !== null ? { note: r.note } : {}), createdAt: r.created_at };
      }),
    );
  }

  /** Closes the file. Idempotent. */
  close(): void {
    const db = this.#db;
    this.#db = undefined;
    this.#stmts.clear();
    db?.close();
  }

  #deleteFalsePositive(list: string | null, entryId: string | null, sha256: string | null): boolean {
    const run =
      sha256 !== null
        ? this.#stmt('DELETE FROM false_positives WHERE sha256 = ?').run(sha256)
        : this.#stmt('DELETE FROM false_positives WHERE sha256 IS NULL AND list = ? AND entry_id = ?').run(list, entryId);
    return run.changes > 0;
  }

  #assertLockHeld(token: string): void {
    const row = this.#stmt("SELECT token FROM sync_lock WHERE name = 'sync'").get() as { token: string } | undefined;
    if (row?.token !== token) {
      throw new SyncError('SYNC_LOCK_LOST', 'This process no longer holds the sync lock (it expired and another process took it over)', {
        details: { path: this.path },
      });
    }
  }

  /**
   * Inserts rows `from`..`from + INSERT_MANY_ROWS` in one statement when every one is an upsert of a key the store
   * does not hold (and no key repeats among them); false, with nothing written, otherwise. A UNIQUE violation aborts
   * just this statement (SQLite's default ABORT resolution), so the transaction goes on row by row.
   */
  #insertMany(stmt: Statement, args: unknown[], input: StoreRows, text: Buffer, from: number, version: number, seq: number): boolean {
    const { sourceId, keys, flags } = input;
    for (let j = 0, a = 0; j < INSERT_MANY_ROWS; j++) {
      const json = rowJson(input, text, from + j);
      if (json === null) return false;
      args[a++] = sourceId;
      args[a++] = keys[from + j];
      args[a++] = rowKind(flags, from + j);
      args[a++] = json;
      args[a++] = version;
      args[a++] = seq;
    }
    try {
      stmt.run(args);
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
  }

  #stmt(sql: string): Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#live().prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #live(): Db {
    if (!this.#db) throw new StoreError('STORE_CLOSED', `The list store ${this.path} is closed`, { details: { path: this.path } });
    return this.#db;
  }

  #writable(action: string): Db {
    const db = this.#live();
    if (this.readonly) {
      throw new StoreError('STORE_READONLY', `Cannot ${action} the list store ${this.path}: it was opened read-only`, {
        details: { path: this.path },
      });
    }
    return db;
  }

  #read<T>(action: string, fn: (db: Db) => T): T {
    const db = this.#live();
    try {
      return fn(db);
    } catch (err) {
      throw toStoreError(err, action, this.path);
    }
  }

  #meta(key: string): string {
    return this.#read('read', () => this.#metaIn(key));
  }

  #metaIn(key: string): string {
    const row = this.#stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (row === undefined) throw new StoreError('STORE_CORRUPT', `The list store ${this.path} has no ${key}`, { details: { path: this.path } });
    return row.value;
  }

  #setMeta(key: string, value: string): void {
    this.#stmt('UPDATE meta SET value = ? WHERE key = ?').run(value, key);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', `The list store ${path} holds a value that is not JSON`, { cause: err, details: { path } });
  }
}

function checkTarget(target: unknown): { list: string | null; entryId: string | null; sha256: string | null } {
  if (typeof target !== 'object' || target === null) {
    throw new TypeError(`Expected a false-positive target \`{ list, entryId }\` or \`{ sha256 }\`, got ${target === null ? 'null' : typeof target}`);
  }
  const t = target as Record<string, unknown>;
  if (t.sha256 !== undefined) {
    if (!isHexOfLength(t.sha256, 32)) throw new TypeError(`Expected \`sha256\` to be 64 hex characters, got ${JSON.stringify(t.sha256)}`);
    return { list: null, entryId: null, sha256: t.sha256.toLowerCase() };
  }
  for (const name of ['list', 'entryId'] as const) {
    if (typeof t[name] !== 'string' || t[name] === '') {
      throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${JSON.stringify(t[name]) ?? 'undefined'}`);
    }
  }
  return { list: t.list as string, entryId: t.entryId as string, sha256: null };
}
