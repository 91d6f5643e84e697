/**
 * Compatibility of the persisted store format: files written by earlier schema versions keep opening. Each
 * fixture is built here from literal SQL, exactly as that version wrote it, never by the code under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { HashList } from '../list/hash-list.js';
import { openListStore } from './store.js';
import { STORE_MIGRATIONS } from './store-schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-compat-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const PDQ = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';

/** A schema-version-1 store as tidscan 0.1 writes it: one live entry, one tombstone, a checkpoint, an allowlist row. */
function writeV1(file: string): void {
  const db = new Database(file);
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE entries (
      id INTEGER PRIMARY KEY, source TEXT NOT NULL, key TEXT NOT NULL,
      kind TEXT CHECK (kind IN ('image', 'video')), entry TEXT,
      version INTEGER NOT NULL, seen INTEGER NOT NULL,
      UNIQUE (source, key), CHECK ((entry IS NULL) = (kind IS NULL)));
    CREATE INDEX entries_by_version ON entries (version);
    CREATE TABLE checkpoints (source TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE versions (version INTEGER PRIMARY KEY, source TEXT, committed_at TEXT NOT NULL,
      added INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE sync_lock (name TEXT PRIMARY KEY, token TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
      acquired_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE false_positives (id INTEGER PRIMARY KEY, list TEXT, entry_id TEXT, sha256 TEXT, note TEXT, created_at TEXT NOT NULL,
      CHECK ((list IS NOT NULL AND entry_id IS NOT NULL AND sha256 IS NULL) OR (list IS NULL AND entry_id IS NULL AND sha256 IS NOT NULL)));
    CREATE UNIQUE INDEX false_positives_by_entry ON false_positives (list, entry_id) WHERE sha256 IS NULL;
    CREATE UNIQUE INDEX false_positives_by_content ON false_positives (sha256) WHERE sha256 IS NOT NULL;
    INSERT INTO meta VALUES ('list_version', '2'), ('commit_seq', '3'), ('store_id', '0b9c1f0e-5d2a-4c7e-9a51-3f1d2e4b6a70'),
      ('created_at', '2025-02-01T00:00:00.000Z'), ('tombstones_pruned_through', '0');
    INSERT INTO entries (source, key, kind, entry, version, seen) VALUES
      ('ncmec', '7001-tid-1', 'image', '{"source":"ncmec","id":"tid-1","member":{"id":"7001","name":"Take It Down"},"classification":"A1","kind":"image","fingerprints":{"md5":"9e107d9d372bb6826bd81d3542a419d6","pdq":"${PDQ}"},"timestamp":"2025-01-31T17:50:00Z"}', 1, 3),
      ('ncmec', '7001-tid-2', NULL, NULL, 2, 2);
    INSERT INTO checkpoints VALUES ('ncmec', '{"version":1,"windowEnd":"2025-01-31T18:00:00Z"}', 2, '2025-02-01T00:00:03.000Z');
    INSERT INTO versions VALUES (1, 'ncmec', '2025-02-01T00:00:01.000Z', 2, 0, 0), (2, 'ncmec', '2025-02-01T00:00:02.000Z', 0, 0, 1);
    INSERT INTO false_positives (list, entry_id, sha256, note, created_at) VALUES ('ncmec', 'tid-1', NULL, 'ticket 42', '2025-02-02T00:00:00.000Z');
    PRAGMA application_id = ${0x74696473};
    PRAGMA user_version = 1;
  `);
  db.close();
}

describe('store format compatibility', () => {
  it('opens a schema-version-1 file and reads and extends everything in it', () => {
    const file = path.join(dir, 'v1.db');
    writeV1(file);
    const store = openListStore(file);
    try {
      expect(store.version).toBe(2);
      expect(store.commitSeq).toBe(3);
      expect(store.storeId).toBe('0b9c1f0e-5d2a-4c7e-9a51-3f1d2e4b6a70');
      expect(store.getCheckpoint('ncmec')).toEqual({
        source: 'ncmec',
        checkpoint: { version: 1, windowEnd: '2025-01-31T18:00:00Z' },
        version: 2,
        updatedAt: '2025-02-01T00:00:03.000Z',
      });
      expect(store.getEntry('ncmec', '7001-tid-1')).toMatchObject({ id: 'tid-1', classification: 'A1', fingerprints: { pdq: PDQ } });
      expect(store.getEntry('ncmec', '7001-tid-2')).toBeUndefined();
      expect(store.changesSince(1)).toEqual({ version: 2, changes: [{ source: 'ncmec', key: '7001-tid-2', entry: null }] });
      expect(store.listFalsePositives()).toEqual([{ list: 'ncmec', entryId: 'tid-1', note: 'ticket 42', createdAt: '2025-02-02T00:00:00.000Z' }]);
      const list = HashList.load(store);
      expect(list.queryPdq(PDQ, 0).map((h) => h.key)).toEqual(['7001-tid-1']);
      const next = store.commit({ sourceId: 'ncmec', updates: [{ key: '7001-tid-2', entry: { source: 'ncmec', id: 'tid-2', kind: 'video', fingerprints: {} } }], checkpoint: { version: 1, windowEnd: '2025-02-01T00:00:00Z' } });
      expect(next).toMatchObject({ previousVersion: 2, version: 3, added: 1, commitSeq: 4 });
    } finally {
      store.close();
    }
    // New stores use 16 KiB pages; a file made with SQLite's default keeps its own.
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('page_size', { simple: true })).toBe(4096);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  });

  it('runs later migrations once, in one transaction, and leaves the file untouched when one fails', () => {
    const file = path.join(dir, 'v1.db');
    writeV1(file);
    let runs = 0;
    const v2 = {
      from: 1,
      description: 'add entries.note',
      up(db: Database.Database) {
        runs++;
        db.exec('ALTER TABLE entries ADD COLUMN note TEXT');
      },
    };
    const broken = {
      from: 1,
      description: 'a broken step',
      up(db: Database.Database) {
        db.exec('ALTER TABLE entries ADD COLUMN half TEXT');
        throw new Error('disk says no');
      },
    };
    let error: unknown;
    try {
      openListStore(file, { migrations: [...STORE_MIGRATIONS, broken] });
    } catch (err) {
      error = err;
    }
    expect(isTidscanError(error) && error.code).toBe('STORE_OPEN_FAILED');
    expect((error as Error).message).toContain('from schema version 1 (a broken step): disk says no');
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect((raw.prepare('SELECT * FROM entries LIMIT 1').get() as Record<string, unknown>).half).toBeUndefined();
    raw.close();

    openListStore(file, { migrations: [...STORE_MIGRATIONS, v2] }).close();
    const again = openListStore(file, { migrations: [...STORE_MIGRATIONS, v2] });
    expect(again.schemaVersion).toBe(2);
    expect(again.version).toBe(2);
    again.close();
    expect(runs).toBe(1);
  });
});
