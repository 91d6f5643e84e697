import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { acquireSyncLock } from './lock.js';
import { type ListStore, openListStore } from './store.js';
import { STORE_APPLICATION_ID, STORE_SCHEMA_VERSION } from './store-schema.js';
import type { ListEntry, ListUpdate } from './types.js';

let dir: string;
let open: ListStore[];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-store-'));
  open = [];
});
afterEach(() => {
  for (const s of open) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function storeAt(name = 'list.db', options?: Parameters<typeof openListStore>[1]): ListStore {
  const s = openListStore(path.join(dir, name), options);
  open.push(s);
  return s;
}

function entry(source: string, id: string, pdqByte = 0, extra: Partial<ListEntry> = {}): ListEntry {
  return {
    source,
    id,
    kind: 'image',
    fingerprints: { md5: pdqByte.toString(16).padStart(2, '0').repeat(16), pdq: pdqByte.toString(16).padStart(2, '0').repeat(32) },
    ...extra,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isTidscanError(err) ? err.code : `not coded: ${String(err)}`;
  }
  return undefined;
}

function contents(store: ListStore): Map<string, ListEntry> {
  const out = new Map<string, ListEntry>();
  store.forEachEntry((source, key, e) => out.set(`${source}/${key}`, e));
  return out;
}

describe('openListStore', () => {
  it('creates an empty store at version 0 and reopens it', () => {
    const a = storeAt();
    expect(a.version).toBe(0);
    expect(a.schemaVersion).toBe(STORE_SCHEMA_VERSION);
    const id = a.storeId;
    a.close();
    const b = storeAt();
    expect(b.storeId).toBe(id);
    const raw = new Database(path.join(dir, 'list.db'), { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(STORE_APPLICATION_ID);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('page_size', { simple: true })).toBe(16384);
    raw.close();
  });

  it('refuses a foreign SQLite database, a garbage file, and a newer schema', () => {
    const foreign = new Database(path.join(dir, 'foreign.db'));
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    expect(codeOf(() => storeAt('foreign.db'))).toBe('STORE_CORRUPT');

    writeFileSync(path.join(dir, 'garbage.db'), Buffer.alloc(4096, 7));
    expect(codeOf(() => storeAt('garbage.db'))).toBe('STORE_CORRUPT');

    storeAt('newer.db').close();
    const raw = new Database(path.join(dir, 'newer.db'));
    raw.pragma(`user_version = ${STORE_SCHEMA_VERSION + 1}`);
    raw.close();
    expect(codeOf(() => storeAt('newer.db'))).toBe('STORE_VERSION_UNSUPPORTED');
  });

  it('reports missing files, read-only writes and closed stores with codes', () => {
    expect(codeOf(() => storeAt('missing.db', { readonly: true }))).toBe('STORE_OPEN_FAILED');
    expect(codeOf(() => storeAt('missing2.db', { create: false }))).toBe('STORE_OPEN_FAILED');
    storeAt('ro.db').close();
    const ro = storeAt('ro.db', { readonly: true });
    expect(ro.version).toBe(0);
    expect(codeOf(() => ro.commit({ sourceId: 's', updates: [], checkpoint: 1 }))).toBe('STORE_READONLY');
    const s = storeAt('closed.db');
    s.close();
    s.close();
    expect(codeOf(() => s.version)).toBe('STORE_CLOSED');
  });

  it('validates options eagerly', () => {
    expect(() => openListStore('')).toThrow(new TypeError('Expected `path` to be a non-empty string, got ""'));
    expect(() => openListStore(path.join(dir, 'x.db'), { busyTimeoutMs: -1 })).toThrow(
      new RangeError('Expected `busyTimeoutMs` to be an integer from 0 to 600000, got -1'),
    );
    expect(() => openListStore(path.join(dir, 'x.db'), { readonly: 'yes' as never })).toThrow(
      new TypeError('Expected `readonly` to be a boolean, got string'),
    );
  });
});

describe('ListStore.commit', () => {
  it('counts adds, updates, unchanged upserts and deletes, and bumps the version only on change', () => {
    const s = storeAt();
    const r1 = s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: entry('a', '1') }, { key: 'k2', entry: entry('a', '2') }], checkpoint: { n: 1 } });
    expect(r1).toMatchObject({ previousVersion: 0, version: 1, added: 2, updated: 0, unchanged: 0, deleted: 0 });
    const r2 = s.commit({
      sourceId: 'a',
      updates: [
        { key: 'k1', entry: entry('a', '1') },
        { key: 'k2', entry: entry('a', '2', 9) },
        { key: 'gone', entry: null },
      ],
      checkpoint: { n: 2 },
    });
    expect(r2).toMatchObject({ previousVersion: 1, version: 2, added: 0, updated: 1, unchanged: 1, deleted: 0 });
    expect(r2.changes.map((c) => c.key)).toEqual(['k2']);
    const r3 = s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: entry('a', '1') }], checkpoint: { n: 3 } });
    expect(r3).toMatchObject({ previousVersion: 2, version: 2, unchanged: 1, changes: [] });
    expect(s.getCheckpoint('a')?.checkpoint).toEqual({ n: 3 });
    const r4 = s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: null }], checkpoint: { n: 4 } });
    expect(r4).toMatchObject({ version: 3, deleted: 1, changes: [{ key: 'k1', entry: null }] });
    expect([...contents(s).keys()]).toEqual(['a/k2']);
    expect(s.commitSeq).toBe(4);
  });

  it('keeps sources apart: the same key in two sources is two entries', () => {
    const s = storeAt();
    s.commit({ sourceId: 'a', updates: [{ key: 'k', entry: entry('a', '1') }], checkpoint: 1 });
    s.commit({ sourceId: 'b', updates: [{ key: 'k', entry: entry('b', '1') }], checkpoint: 1 });
    s.commit({ sourceId: 'a', updates: [{ key: 'k', entry: null }], checkpoint: 2 });
    expect([...contents(s).keys()]).toEqual(['b/k']);
    expect(s.stats().bySource).toEqual({ b: { image: 1, video: 0 } });
  });

  it('forEachEntry says first how many entries may come: an upper bound, deleted-entry markers included', () => {
    const s = storeAt();
    const calls: string[] = [];
    const read = () => s.forEachEntry((_source, key) => calls.push(key), { onStart: (atMost) => calls.push(`at most ${atMost}`) });
    read();
    expect(calls).toEqual(['at most 0']);
    s.commit({ sourceId: 'a', updates: ['k1', 'k2', 'k3'].map((k) => ({ key: k, entry: entry('a', k) })), checkpoint: 1 });
    s.commit({ sourceId: 'a', updates: [{ key: 'k2', entry: null }], checkpoint: 2 });
    calls.length = 0;
    read();
    expect(calls).toEqual(['at most 3', 'k1', 'k3']); // k2's marker counts, until pruned
    s.pruneTombstones(new Date(Date.now() + 60_000));
    calls.length = 0;
    read();
    expect(calls).toEqual(['at most 2', 'k1', 'k3']);
  });

  it('equals a last-write-wins model for any sequence of pages (property)', () => {
    // Mixed pages: a few hot keys, repeated, updated and deleted. Bulk pages: long runs of distinct keys, mostly new,
    // which the store inserts many rows at a time (a held key or a delete among them sends a run back to row by row).
    const keyArb = fc.oneof(fc.constantFrom('k0', 'k1', 'k2', 'k3', 'k4'), fc.integer({ min: 0, max: 299 }).map((i) => `n${i}`));
    const valueArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 8 });
    const mixedArb = fc.array(fc.record({ key: keyArb, value: valueArb }), { maxLength: 24 });
    const bulkArb = fc.uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 999 }).map((i) => `b${i}`), value: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 40 }) }), {
      selector: (u) => u.key,
      minLength: 16,
      maxLength: 48,
    });
    const pagesArb = fc.array(fc.record({ source: fc.constantFrom('a', 'b'), updates: fc.oneof(mixedArb, bulkArb) }), { maxLength: 12 });
    let run = 0;
    fc.assert(
      fc.property(pagesArb, (pages) => {
        const s = storeAt(`model-${run++}.db`);
        const model = new Map<string, ListEntry>();
        const changedAt = new Map<string, number>();
        const seenIn = new Map<string, number>();
        let version = 0;
        for (const [n, page] of pages.entries()) {
          const updates: ListUpdate[] = page.updates.map((u) => ({ key: u.key, entry: u.value === null ? null : entry(page.source, u.key, u.value) }));
          const want = { added: 0, updated: 0, deleted: 0 };
          const touched: string[] = [];
          for (const u of updates) {
            const k = `${page.source}/${u.key}`;
            const before = model.get(k);
            const outcome =
              u.entry === null ? (before ? 'deleted' : undefined)
              : !before ? 'added'
              : JSON.stringify(before) !== JSON.stringify(u.entry) ? 'updated'
              : undefined;
            if (outcome) {
              want[outcome]++;
              touched.push(k);
            }
            if (u.entry !== null || seenIn.has(k)) seenIn.set(k, n + 1); // the commit_seq of the last commit that mentioned a held row
            if (u.entry === null) model.delete(k);
            else model.set(k, u.entry);
          }
          if (want.added + want.updated + want.deleted > 0) version++;
          for (const k of touched) changedAt.set(k, version);
          const result = s.commit({ sourceId: page.source, updates, checkpoint: n });
          expect(result.version).toBe(version);
          expect({ added: result.added, updated: result.updated, deleted: result.deleted }).toEqual(want);
        }
        expect(contents(s)).toEqual(model);
        expect(s.version).toBe(version);
        // Every row, live or tombstone, carries the version of its last change (what changesSince() reads).
        const raw = new Database(s.path, { readonly: true });
        const rows = raw.prepare('SELECT source, key, version, seen FROM entries').all() as Array<{ source: string; key: string; version: number; seen: number }>;
        raw.close();
        expect(new Map(rows.map((r) => [`${r.source}/${r.key}`, r.version]))).toEqual(changedAt);
        expect(new Map(rows.map((r) => [`${r.source}/${r.key}`, r.seen]))).toEqual(seenIn);
        s.close();
      }),
      { numRuns: 40 },
    );
  });

  it('commits nothing of a batch whose checkpoint compare-and-swap fails', () => {
    const s = storeAt();
    s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: entry('a', '1') }], checkpoint: { n: 1 } });
    const code = codeOf(() =>
      s.commit({ sourceId: 'a', updates: [{ key: 'k2', entry: entry('a', '2') }], checkpoint: { n: 2 }, expectedCheckpoint: JSON.stringify({ n: 0 }) }),
    );
    expect(code).toBe('SYNC_CONFLICT');
    expect([...contents(s).keys()]).toEqual(['a/k1']);
    expect(s.getCheckpoint('a')?.checkpoint).toEqual({ n: 1 });
    expect(s.version).toBe(1);
    const ok = s.commit({ sourceId: 'a', updates: [], checkpoint: { n: 2 }, expectedCheckpoint: JSON.stringify({ n: 1 }) });
    expect(ok.commitSeq).toBe(2);
    expect(s.commit({ sourceId: 'new', updates: [], checkpoint: 0, expectedCheckpoint: null }).commitSeq).toBe(3);
  });

  it('rolls a batch back entirely when a write fails half-way', () => {
    const s = storeAt();
    s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: entry('a', '1') }], checkpoint: 1 });
    // A real SQLite failure on the second row: a trigger added from another connection aborts its insert.
    const raw = new Database(s.path);
    raw.exec(`CREATE TRIGGER fail_k3 BEFORE INSERT ON entries WHEN NEW.key = 'k3' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    raw.close();
    const code = codeOf(() =>
      s.commit({ sourceId: 'a', updates: [{ key: 'k2', entry: entry('a', '2') }, { key: 'k3', entry: entry('a', '3') }], checkpoint: 2 }),
    );
    expect(code).toBe('STORE_WRITE_FAILED');
    expect([...contents(s).keys()]).toEqual(['a/k1']);
    expect(s.getCheckpoint('a')?.checkpoint).toBe(1);
  });

  it('refuses an entry of an unknown kind before writing anything', () => {
    const s = storeAt();
    const bad = { ...entry('a', '3'), kind: 'audio' } as unknown as ListEntry;
    expect(() => s.commit({ sourceId: 'a', updates: [{ key: 'k2', entry: entry('a', '2') }, { key: 'k3', entry: bad }], checkpoint: 2 })).toThrow(TypeError);
    expect(contents(s).size).toBe(0);
    expect(s.version).toBe(0);
  });

  it('replaceAll deletes exactly the keys of that source not mentioned since the snapshot began', () => {
    const s = storeAt();
    s.commit({ sourceId: 'f', updates: ['a', 'b', 'c', 'd'].map((k) => ({ key: k, entry: entry('f', k) })), checkpoint: 'v1' });
    s.commit({ sourceId: 'other', updates: [{ key: 'a', entry: entry('other', 'a') }], checkpoint: 1 });
    const startSeq = s.commitSeq;
    s.commit({ sourceId: 'f', updates: [{ key: 'a', entry: entry('f', 'a') }, { key: 'b', entry: null }], checkpoint: 'v1' });
    const last = s.commit({ sourceId: 'f', updates: [{ key: 'e', entry: entry('f', 'e') }], checkpoint: 'v2', replaceAllAfterSeq: startSeq });
    expect(last.deleted).toBe(2);
    expect(last.changes.filter((c) => c.entry === null).map((c) => c.key).sort()).toEqual(['c', 'd']);
    expect([...contents(s).keys()].sort()).toEqual(['f/a', 'f/e', 'other/a']);
  });

  it('refuses a commit whose lock token no longer holds the lock', () => {
    const s = storeAt();
    const lock = acquireSyncLock(s);
    expect(s.commit({ sourceId: 'a', updates: [], checkpoint: 1, lockToken: lock.token }).commitSeq).toBe(1);
    lock.release();
    expect(codeOf(() => s.commit({ sourceId: 'a', updates: [{ key: 'x', entry: entry('a', 'x') }], checkpoint: 2, lockToken: lock.token }))).toBe(
      'SYNC_LOCK_LOST',
    );
    expect(s.version).toBe(0);
  });
});

describe('ListStore.changesSince', () => {
  it('returns the upserts and deletes after a version, and null once tombstones that old are pruned', () => {
    const s = storeAt();
    s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: entry('a', '1') }, { key: 'k2', entry: entry('a', '2') }], checkpoint: 1 });
    s.commit({ sourceId: 'b', updates: [{ key: 'k1', entry: entry('b', '1') }], checkpoint: 1 });
    s.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: null }], checkpoint: 2 });
    expect(s.changesSince(3)).toEqual({ version: 3, changes: [] });
    const delta = s.changesSince(1)!;
    expect(delta.version).toBe(3);
    expect(delta.changes).toEqual([
      { source: 'b', key: 'k1', entry: entry('b', '1'), json: JSON.stringify(entry('b', '1')) },
      { source: 'a', key: 'k1', entry: null },
    ]);
    expect(s.stats()).toMatchObject({ version: 3, entries: 2, tombstones: 1 });
    expect(s.pruneTombstones(new Date(Date.now() + 1000))).toBe(1);
    expect(s.changesSince(1)).toBeNull();
    expect(s.changesSince(3)).toEqual({ version: 3, changes: [] });
    expect(s.stats().tombstones).toBe(0);
  });
});

describe('false positives', () => {
  it('adds, replaces, lists and removes entry and content records', () => {
    const s = storeAt();
    const sha = 'AB'.repeat(32);
    s.addFalsePositive({ list: 'ncmec', entryId: 'img-1', note: 'ticket 1', createdAt: '2025-01-01T00:00:00.000Z' });
    s.addFalsePositive({ sha256: sha, createdAt: '2025-01-02T00:00:00.000Z' });
    s.addFalsePositive({ list: 'ncmec', entryId: 'img-1', note: 'ticket 2', createdAt: '2025-01-03T00:00:00.000Z' });
    expect(s.listFalsePositives()).toEqual([
      { sha256: sha.toLowerCase(), createdAt: '2025-01-02T00:00:00.000Z' },
      { list: 'ncmec', entryId: 'img-1', note: 'ticket 2', createdAt: '2025-01-03T00:00:00.000Z' },
    ]);
    expect(s.removeFalsePositive({ sha256: sha })).toBe(true);
    expect(s.removeFalsePositive({ sha256: sha })).toBe(false);
    expect(s.removeFalsePositive({ list: 'ncmec', entryId: 'img-1' })).toBe(true);
    expect(s.listFalsePositives()).toEqual([]);
    expect(() => s.addFalsePositive({ sha256: 'xyz', createdAt: '2025-01-01T00:00:00Z' })).toThrow(TypeError);
    expect(() => s.addFalsePositive({ list: '', entryId: 'x', createdAt: '2025-01-01T00:00:00Z' })).toThrow(
      new TypeError('Expected `list` to be a non-empty string, got ""'),
    );
  });
});

describe('sync lock', () => {
  it('lets one holder in, reports the holder to the next, and frees on release', () => {
    const s = storeAt();
    const first = acquireSyncLock(s);
    let err: unknown;
    try {
      acquireSyncLock(s);
    } catch (e) {
      err = e;
    }
    expect(isTidscanError(err) && err.code).toBe('SYNC_LOCKED');
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({ pid: process.pid });
    first.release();
    acquireSyncLock(s).release();
  });

  it('takes over a lock whose holder process is gone, or whose lease expired', () => {
    const s = storeAt();
    const now = Date.now();
    const holder = { token: 'dead', pid: 2 ** 22 + 12345, host: '', acquiredAt: now, heartbeatAt: now, expiresAt: now + 60_000 };
    s.tryAcquireLock('sync', { ...holder, host: hostname() }, () => true);
    const lock = acquireSyncLock(s); // pid 2^22+12345 does not exist on Linux (pid_max <= 2^22)
    lock.release();
    s.tryAcquireLock('sync', { ...holder, host: 'elsewhere', expiresAt: now - 1 }, () => true);
    acquireSyncLock(s).release();
    s.tryAcquireLock('sync', { ...holder, host: 'elsewhere', expiresAt: now + 60_000 }, () => true);
    expect(codeOf(() => acquireSyncLock(s))).toBe('SYNC_LOCKED');
  });

  it('validates lock options', () => {
    const s = storeAt();
    expect(() => acquireSyncLock(s, { ttlMs: 10 })).toThrow(new RangeError('Expected `lockTtlMs` to be an integer from 1000 to 86400000, got 10'));
  });
});
