import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, SyncError } from '../errors.js';
import { acquireSyncLock } from './lock.js';
import { type ListStore, openListStore, type StoreRows, type StoreRowsResult, toStoreRows } from './store.js';
import { Worker } from 'node:worker_threads';
import { inlineStoreWriter, startStoreWriterThread, type StoreWriter, SyncWriters, THREAD_AFTER_UPDATES, THREAD_PRESTART_AFTER_UPDATES, ThreadWriter } from './store-writer.js';
import type { ListEntry } from './types.js';

let dir: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-writer-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

function storeAt(name: string): ListStore {
  const s = openListStore(path.join(dir, name));
  cleanups.push(() => s.close());
  return s;
}

async function threadFor(store: ListStore): Promise<StoreWriter> {
  const writer = await startStoreWriterThread(store);
  if (!writer) throw new Error('no writer thread');
  cleanups.push(() => writer.close());
  return writer;
}

function entryJson(id: string, variant: number): string {
  const e: ListEntry = { source: 's', id, kind: variant % 3 === 0 ? 'video' : 'image', fingerprints: { md5: variant.toString(16).padStart(32, '0') } };
  return JSON.stringify(e);
}

function rows(ops: Array<{ key: string; variant: number | null }>, checkpoint: unknown, extra: Partial<StoreRows> = {}): StoreRows {
  const updates = ops.map((o) => ({ key: o.key, entry: o.variant === null ? null : (JSON.parse(entryJson(o.key, o.variant)) as ListEntry) }));
  return { ...toStoreRows({ sourceId: 's', updates, checkpoint }, JSON.stringify(checkpoint)), ...extra };
}

function contents(store: ListStore): Map<string, ListEntry> {
  const out = new Map<string, ListEntry>();
  store.forEachEntry((source, key, e) => out.set(`${source}/${key}`, e));
  return out;
}

describe('store writer thread', () => {
  it('commits exactly what the store commits in-thread: same outcomes, counts, versions and contents', async () => {
    const inline = storeAt('inline.db');
    const threaded = storeAt('threaded.db');
    const writer = await threadFor(threaded);
    expect(writer.threaded).toBe(true);
    // Few keys, so adds, updates, identical re-adds, deletes of present and absent keys and re-adds all happen.
    const op = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), variant: fc.option(fc.nat(4), { nil: null }) });
    let checkpoint = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 12, size: 'max' }), { minLength: 1, maxLength: 5, size: 'max' }), async (commits) => {
        for (const ops of commits) {
          const batch = rows(ops, ++checkpoint);
          const expected: StoreRowsResult = inline.commitRows(batch);
          const actual = await writer.commit(batch);
          expect({ ...actual, outcomes: [...actual.outcomes] }).toEqual({ ...expected, outcomes: [...expected.outcomes] });
        }
        expect(contents(threaded)).toEqual(contents(inline));
        expect(threaded.version).toBe(inline.version);
        expect(threaded.getCheckpointJson('s')).toBe(inline.getCheckpointJson('s'));
      }),
      { numRuns: 40 },
    );
  });

  it('lands commits sent back to back in the order they were sent', async () => {
    const store = storeAt('order.db');
    const writer = await threadFor(store);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => writer.commit(rows([{ key: 'k', variant: i }, { key: `only-${i}`, variant: 1 }], i))),
    );
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(contents(store).get('s/k')).toEqual(JSON.parse(entryJson('k', 19)));
    expect(store.getCheckpointJson('s')).toBe('19');
  });

  it('rejects with the class and code the store throws in-thread, and the store is unchanged', async () => {
    const store = storeAt('errors.db');
    const writer = await threadFor(store);
    await writer.commit(rows([{ key: 'a', variant: 1 }], 'first'));

    const conflict = writer.commit(rows([{ key: 'b', variant: 1 }], 'second', { expectedCheckpoint: '"not this"' }));
    await expect(conflict).rejects.toBeInstanceOf(SyncError);
    await expect(conflict).rejects.toMatchObject({ code: 'SYNC_CONFLICT', details: { source: 's' } });

    const lock = acquireSyncLock(store, { ttlMs: 60_000 });
    cleanups.push(() => lock.release());
    const lost = writer.commit(rows([{ key: 'b', variant: 1 }], 'second', { lockToken: 'someone else' }));
    await expect(lost).rejects.toBeInstanceOf(SyncError);
    await expect(lost).rejects.toMatchObject({ code: 'SYNC_LOCK_LOST' });

    expect([...contents(store).keys()]).toEqual(['s/a']);
    expect(store.getCheckpointJson('s')).toBe('"first"');
    // The thread goes on working after a failed commit.
    const ok = await writer.commit(rows([{ key: 'b', variant: 1 }], 'second', { lockToken: lock.token, expectedCheckpoint: '"first"' }));
    expect(ok.added).toBe(1);
  });

  it('after close, commits reject with STORE_CLOSED; close is idempotent', async () => {
    const store = storeAt('closed.db');
    const writer = await threadFor(store);
    const pending = writer.commit(rows([{ key: 'a', variant: 1 }], 1));
    await writer.close();
    expect((await pending).added).toBe(1); // a commit sent before close still lands
    const closed = writer.commit(rows([{ key: 'b', variant: 1 }], 2));
    await expect(closed).rejects.toBeInstanceOf(StoreError);
    await expect(closed).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await writer.close();
    expect(store.version).toBe(1);
  });

  it('is not started for stores another connection cannot share (in-memory, read-only)', async () => {
    const memory = openListStore(':memory:');
    cleanups.push(() => memory.close());
    expect(await startStoreWriterThread(memory)).toBeUndefined();
    storeAt('ro.db').close();
    const readonly = openListStore(path.join(dir, 'ro.db'), { readonly: true });
    cleanups.push(() => readonly.close());
    expect(await startStoreWriterThread(readonly)).toBeUndefined();
  });

  it('opens its connection with the store’s synchronous mode and busy timeout', async () => {
    const store = openListStore(path.join(dir, 'settings.db'), { synchronous: 'normal', busyTimeoutMs: 1234 });
    cleanups.push(() => store.close());
    expect(store.connectionSettings).toEqual({ synchronous: 'normal', busyTimeoutMs: 1234 });
    const writer = await threadFor(store);
    expect((await writer.commit(rows([{ key: 'a', variant: 1 }], 1))).added).toBe(1);
  });
});

describe('a writer thread that dies', () => {
  it('fails the commit in flight and every later one with STORE_WRITE_FAILED, saying it may have landed', async () => {
    // A thread that exits as soon as it receives a commit: the syncing side cannot know whether it landed.
    const dying = new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(3));", { eval: true });
    const writer = new ThreadWriter(dying, '/srv/list.db');
    const first = writer.commit(rows([{ key: 'a', variant: 1 }], 1));
    await expect(first).rejects.toBeInstanceOf(StoreError);
    await expect(first).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED', message: expect.stringMatching(/may or may not have landed/) });
    await expect(writer.commit(rows([{ key: 'b', variant: 1 }], 2))).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    await writer.close(); // resolves although the thread is gone
  });
});

describe('inline store writer', () => {
  it('commits synchronously inside commit() and reports failures as rejections', async () => {
    const store = storeAt('inline-only.db');
    const writer = inlineStoreWriter(store);
    const promise = writer.commit(rows([{ key: 'a', variant: 1 }], 1));
    expect(store.version).toBe(1); // before the promise settles
    expect((await promise).added).toBe(1);
    await expect(writer.commit(rows([{ key: 'b', variant: 1 }], 2, { expectedCheckpoint: null }))).rejects.toMatchObject({ code: 'SYNC_CONFLICT' });
  });
});

describe("a sync's writers ('auto')", () => {
  it('commits inline until THREAD_AFTER_UPDATES even once the thread started early is ready, then on the thread', async () => {
    const store = storeAt('auto.db');
    const writers = new SyncWriters(store, 'auto');
    expect((await writers.next(THREAD_PRESTART_AFTER_UPDATES - 1)).threaded).toBe(false);
    expect((await writers.next(1)).threaded).toBe(false); // the thread starts booting here
    await new Promise((resolve) => setTimeout(resolve, 1500)); // ready by now, under tsx too
    expect((await writers.next(THREAD_AFTER_UPDATES - THREAD_PRESTART_AFTER_UPDATES - 1)).threaded).toBe(false);
    const writer = await writers.next(1);
    expect(writer.threaded).toBe(true);
    expect((await writer.commit(rows([{ key: 'a', variant: 1 }], 1))).added).toBe(1);
    await writers.close();
    expect(store.version).toBe(1);
  });
});
