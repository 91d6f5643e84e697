/**
 * The list store's on-disk format (SQLite): the schema, its version and the migrations between versions.
 *
 * This is a persisted format: a store written by any released schema version must keep opening. Add a new
 * version by appending to {@link STORE_MIGRATIONS} (never edit a released one) and add a compatibility case to
 * store-compat.test.ts that builds the old version from literal SQL.
 *
 * Tables (version 1):
 * - `meta`: `list_version` (monotonic, bumped by every commit that changes the list), `commit_seq` (bumped by
 *   every commit), `store_id` (random, names this store in logs), `created_at`, `tombstones_pruned_through`
 *   (catching up from a version below it needs a full reload).
 * - `entries`: one row per `(source, key)`. `entry` is the {@link ListEntry} as JSON, or NULL for a tombstone
 *   (deleted at `version`); tombstones let another process catch up with deletes by version. `version` is the
 *   list version of the row's last change, `seen` the `commit_seq` of the last commit that mentioned the key
 *   (how a `replaceAll` snapshot finds the keys it did not mention).
 * - `checkpoints`: the resume point of each source, JSON, written in the same transaction as its page.
 * - `versions`: one row per list version (when, which source, counts): an audit trail of list changes.
 * - `sync_lock`: at most one row per lock name; who holds it and until when (single-flight across processes).
 * - `false_positives`: the platform's allowlist, one row per list entry (`list`, `entry_id`) or content SHA-256.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/** `PRAGMA application_id` of every tidscan store ("tids"), so a foreign SQLite file is refused. */
export const STORE_APPLICATION_ID = 0x74696473;

/** A step from schema version `from` to `from + 1`, run inside the opening transaction. */
export interface StoreMigration {
  /** The schema version this step upgrades. */
  readonly from: number;
  /** What changes, for error messages and the changelog. */
  readonly description: string;
  /** Applies the change. Runs in a transaction: a failure leaves the file at `from`. */
  up(db: Database): void;
}

const SCHEMA_V1 = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE entries (
  id      INTEGER PRIMARY KEY,
  source  TEXT NOT NULL,
  key     TEXT NOT NULL,
  kind    TEXT CHECK (kind IN ('image', 'video')),
  entry   TEXT,
  version INTEGER NOT NULL,
  seen    INTEGER NOT NULL,
  UNIQUE (source, key),
  CHECK ((entry IS NULL) = (kind IS NULL))
);
CREATE INDEX entries_by_version ON entries (version);

CREATE TABLE checkpoints (
  source     TEXT PRIMARY KEY,
  checkpoint TEXT NOT NULL,
  version    INTEGER NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE versions (
  version      INTEGER PRIMARY KEY,
  source       TEXT,
  committed_at TEXT NOT NULL,
  added        INTEGER NOT NULL DEFAULT 0,
  updated      INTEGER NOT NULL DEFAULT 0,
  deleted      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_lock (
  name         TEXT PRIMARY KEY,
  token        TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  host         TEXT NOT NULL,
  acquired_at  INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE false_positives (
  id         INTEGER PRIMARY KEY,
  list       TEXT,
  entry_id   TEXT,
  sha256     TEXT,
  note       TEXT,
  created_at TEXT NOT NULL,
  CHECK ((list IS NOT NULL AND entry_id IS NOT NULL AND sha256 IS NULL)
      OR (list IS NULL AND entry_id IS NULL AND sha256 IS NOT NULL))
);
CREATE UNIQUE INDEX false_positives_by_entry ON false_positives (list, entry_id) WHERE sha256 IS NULL;
CREATE UNIQUE INDEX false_positives_by_content ON false_positives (sha256) WHERE sha256 IS NOT NULL;
`;

/**
 * Every migration, in order. Index `i` upgrades schema version `i` to `i + 1`; version 0 is an empty file.
 * The current schema version is `STORE_MIGRATIONS.length`.
 */
export const STORE_MIGRATIONS: readonly StoreMigration[] = [
  {
    from: 0,
    description: 'create the version 1 tables',
    up(db) {
      db.exec(SCHEMA_V1);
      const now = new Date().toISOString();
      const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      insert.run('list_version', '0');
      insert.run('store_id', randomUUID());
      insert.run('created_at', now);
      insert.run('tombstones_pruned_through', '0');
      insert.run('commit_seq', '0');
    },
  },
];

/** The schema version this build writes. */
export const STORE_SCHEMA_VERSION = STORE_MIGRATIONS.length;
