import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncError } from '../errors.js';
import { HashList } from '../list/hash-list.js';
import { compareNcmecCheckpoints } from './ncmec/checkpoint.js';
import { acquireSyncLock } from './lock.js';
import { type ListStore, openListStore } from './store.js';
import { sync, sync as syncWith, type SyncOptions } from './syncer.js';
import { SYNC_CHANNELS, type SyncPageEvent } from './syncer-diagnostics.js';
import type { DeltaPage, HashListSource, ListEntry } from './types.js';

let dir: string;
let store: ListStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-syncer-'));
  store = openListStore(path.join(dir, 'list.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function entry(source: string, id: string, byte = 1): ListEntry {
  const hex = byte.toString(16).padStart(2, '0');
  return { source, id, kind: 'image', fingerprints: { md5: hex.repeat(16), pdq: hex.repeat(32) } };
}

type Step = DeltaPage<unknown> | Error | { stall: true } | { waitMs: number } | { run: () => void };

/** A scripted source: yields pages, throws errors, waits or stalls, and records the checkpoints it was given. */
function scripted(id: string, steps: (checkpoint: unknown) => Step[], name = 'fake'): HashListSource & { given: unknown[] } {
  const given: unknown[] = [];
  return {
    id,
    name,
    given,
    async *fetch(checkpoint, options) {
      given.push(checkpoint);
      for (const step of steps(checkpoint)) {
        if (step instanceof Error) throw step;
        if ('stall' in step) {
          await new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(new Error('stopped'))));
        } else if ('run' in step) {
          step.run();
        } else if ('waitMs' in step) {
          await new Promise((r) => setTimeout(r, step.waitMs));
        } else {
          yield step;
        }
      }
    },
  };
}

function page(source: string, n: number, keys: string[], extra: Partial<DeltaPage> = {}): DeltaPage {
  return { updates: keys.map((k) => ({ key: k, entry: k.startsWith('-') ? null : entry(source, k, n) })).map((u) => ({ ...u, key: u.key.replace(/^-/, '') })), skipped: [], checkpoint: { n }, ...extra };
}

function keysOf(s: ListStore): string[] {
  const out: string[] = [];
  s.forEachEntry((source, key) => out.push(`${source}/${key}`));
  return out.sort();
}

describe('sync: room in the list for what a source announces', () => {
  /** Pages of 10 new entries each, with the given `remainingHint`s; the list's reserve calls recorded. */
  async function run(hints: unknown[], reserve?: (n: number) => void) {
    const store = openListStore(path.join(mkdtempSync(path.join(dir, 'run-')), 'list.db'));
    const list = new HashList();
    const calls: number[] = [];
    const own = list.reserve.bind(list);
    list.reserve = (n: number) => {
      calls.push(n);
      (reserve ?? own)(n);
    };
    const pages = hints.map((hint, p) => page('s', p, Array.from({ length: 10 }, (_, i) => `k${p * 10 + i}`), { remainingHint: hint as number }));
    const report = await sync({ store, list, storeWriter: 'inline', sources: [scripted('s', () => pages)], commitEvery: { updates: 10 } });
    const keys = keysOf(store);
    store.close();
    return { report, calls, list, keys };
  }

  it('reserves after each commit whose page announced more, at least half as much again, at most 2M ahead', async () => {
    // After page 1 (10 entries): 10 + 100 000 expected. Page 2 announces the same total. Page 3 more. Page 4's
    // hints are not counts. Page 5's is absurd: capped at 2M entries beyond the 50 the list holds then.
    const { report, calls } = await run([100_000, 99_990, 500_000, -5, 1e12]);
    expect(report.ok).toBe(true);
    expect(calls).toEqual([100_010, 500_030, 2_000_050]);
    const more = await run([1.5, Number.NaN, '70000', 200_000]);
    expect(more.calls).toEqual([200_040]); // the first three are not counts
  });

  it('ignores a hint of fewer than RESERVE_AFTER more entries, and a reserve that fails', async () => {
    expect((await run([49_000, 48_990])).calls).toEqual([]);
    const failing = await run([1_000_000, 999_990], () => {
      throw new RangeError('Array buffer allocation failed');
    });
    expect(failing.report.ok).toBe(true);
    expect(failing.calls).toEqual([1_000_010]);
    expect(failing.list.size).toBe(20);
    expect(failing.keys).toHaveLength(20);
  });
});

// Every behaviour holds whether commits run on the syncing thread or on the store writer thread.
describe.each(['inline', 'thread'] as const)('sync (%s store writer)', (storeWriter) => {
  const sync = (options: SyncOptions) => syncWith({ storeWriter, ...options });

  it('commits every page with its checkpoint, keeps the list in step, and reports counts', async () => {
    const list = new HashList();
    const a = scripted('a', () => [page('a', 1, ['x', 'y']), page('a', 2, ['x', '-y', 'z'])]);
    const b = scripted('b', () => [page('b', 1, ['x'])]);
    const report = await sync({ store, list, sources: [a, b] });
    expect(report).toMatchObject({ ok: true, previousVersion: 0 });
    expect(report.sources.map(({ id, pages, added, updated, deleted }) => ({ id, pages, added, updated, deleted }))).toEqual([
      { id: 'a', pages: 2, added: 3, updated: 1, deleted: 1 },
      { id: 'b', pages: 1, added: 1, updated: 0, deleted: 0 },
    ]);
    expect(keysOf(store)).toEqual(['a/x', 'a/z', 'b/x']);
    expect(report.version).toBe(store.version);
    expect(list.version).toBe(store.version);
    expect([...list.entries()].map((i) => `${i.entry.source}/${i.key}`).sort()).toEqual(keysOf(store));
    expect(store.getCheckpoint('a')?.checkpoint).toEqual({ n: 2 });

    const again = await sync({ store, list, sources: [a] });
    expect(a.given).toEqual([null, { n: 2 }]);
    // Replayed pages: x goes back to page 1's value and forward again, y comes back and goes again.
    expect(again.sources[0]).toMatchObject({ pages: 2, added: 1, updated: 2, unchanged: 1, deleted: 1 });
    expect(keysOf(store)).toEqual(['a/x', 'a/z', 'b/x']);
  });

  it('keeps complete pages and nothing of the failing one; other sources still run', async () => {
    const malformed = new SyncError('SYNC_MALFORMED_RESPONSE', 'page 3 is not XML');
    const a = scripted('a', () => [page('a', 1, ['p1']), page('a', 2, ['p2']), malformed]);
    const b = scripted('b', () => [page('b', 1, ['q'])]);
    const report = await sync({ store, sources: [a, b], commitEvery: { updates: 1000, ms: 60_000 } });
    expect(report.ok).toBe(false);
    expect(report.error).toEqual({ code: 'SYNC_MALFORMED_RESPONSE', message: 'page 3 is not XML' });
    expect(report.sources[0]).toMatchObject({ ok: false, pages: 2, error: { code: 'SYNC_MALFORMED_RESPONSE' } });
    expect(report.sources[1]).toMatchObject({ ok: true, pages: 1 });
    expect(keysOf(store)).toEqual(['a/p1', 'a/p2', 'b/q']);
    expect(store.getCheckpoint('a')?.checkpoint).toEqual({ n: 2 });
  });

  it('refuses a page from a buggy source and a rewinding checkpoint', async () => {
    const bad = scripted('a', () => [page('a', 1, ['x']), { updates: 'nope' } as unknown as DeltaPage]);
    const r1 = await sync({ store, sources: [bad] });
    expect(r1.sources[0]?.error?.code).toBe('SYNC_MALFORMED_RESPONSE');

    const ordered = Object.assign(
      scripted('c', () => [page('c', 5, ['x']), page('c', 3, ['y'])]),
      { compareCheckpoints: (p: unknown, q: unknown) => (p as { n: number }).n - (q as { n: number }).n },
    );
    const r2 = await sync({ store, sources: [ordered] });
    expect(r2.sources[0]).toMatchObject({ pages: 1, error: { code: 'SYNC_CHECKPOINT_REWOUND' } });
    expect(keysOf(store)).toEqual(['a/x', 'c/x']);
    expect(store.getCheckpoint('c')?.checkpoint).toEqual({ n: 5 });
  });

  it('checks the NCMEC checkpoint order against the stored checkpoint', async () => {
    const cp = (windowEnd: string) => ({ version: 1, windowEnd });
    const ordered = (windowEnd: string) =>
      Object.assign(scripted('ncmec', () => [{ updates: [], skipped: [], checkpoint: cp(windowEnd) }], 'ncmec'), {
        compareCheckpoints: compareNcmecCheckpoints,
      });
    expect((await sync({ store, sources: [ordered('2025-01-02T00:00:00Z')] })).ok).toBe(true);
    expect((await sync({ store, sources: [ordered('2025-01-01T00:00:00Z')] })).error?.code).toBe('SYNC_CHECKPOINT_REWOUND');
    // A source only merely named like a built-in one has no order of its own: nothing is assumed about its checkpoints.
    const unordered = scripted('ncmec', () => [{ updates: [], skipped: [], checkpoint: cp('2024-01-01T00:00:00Z') }], 'ncmec');
    expect((await sync({ store, sources: [unordered] })).ok).toBe(true);
  });

  it('reports SYNC_LOCKED and touches nothing while another sync holds the lock', async () => {
    const held = acquireSyncLock(store);
    const a = scripted('a', () => [page('a', 1, ['x'])]);
    const report = await sync({ store, sources: [a] });
    held.release();
    expect(report).toMatchObject({ ok: false, sources: [], error: { code: 'SYNC_LOCKED' } });
    expect(a.given).toEqual([]);
    expect(keysOf(store)).toEqual([]);
    expect((await sync({ store, sources: [a] })).ok).toBe(true);
  });

  it('stops on abort, committing the complete pages already received', async () => {
    const controller = new AbortController();
    const a = scripted('a', () => [page('a', 1, ['x']), { run: () => controller.abort() }, { stall: true }]);
    const b = scripted('b', () => [page('b', 1, ['y'])]);
    const report = await sync({ store, sources: [a, b], signal: controller.signal, commitEvery: { ms: 60_000 } });
    expect(report.error?.code).toBe('SYNC_ABORTED');
    expect(report.sources).toHaveLength(1);
    expect(keysOf(store)).toEqual(['a/x']);
    const pre = new AbortController();
    pre.abort();
    expect((await sync({ store, sources: [b], signal: pre.signal })).error?.code).toBe('SYNC_ABORTED');
    expect(b.given).toEqual([]);
  });

  it('gives up on a source that stalls, after committing what it had', async () => {
    const a = scripted('a', () => [page('a', 1, ['x']), { stall: true }]);
    const report = await sync({ store, sources: [a], stallTimeoutMs: 200, commitEvery: { ms: 60_000 } });
    expect(report.sources[0]).toMatchObject({ pages: 1, error: { code: 'SYNC_TIMEOUT' } });
    expect(keysOf(store)).toEqual(['a/x']);
  });

  it('batches pages into commits by size and by age, and publishes one page event per commit', async () => {
    const events: SyncPageEvent[] = [];
    const listener = (m: unknown) => events.push(m as SyncPageEvent);
    subscribe(SYNC_CHANNELS.page, listener);
    try {
      const a = scripted('a', () => [page('a', 1, ['a', 'b']), page('a', 2, ['c', 'd']), page('a', 3, ['e']), { waitMs: 300 }, page('a', 4, ['f'])]);
      await sync({ store, sources: [a], commitEvery: { updates: 4, ms: 100 } });
      // pages 1+2 reach 4 updates; page 3 waits alone until the age limit fires during the source's pause.
      expect(events.map((e) => e.pages)).toEqual([2, 1, 1]);
      expect(events.map((e) => e.added)).toEqual([4, 1, 1]);
    } finally {
      unsubscribe(SYNC_CHANNELS.page, listener);
    }
  });

  it('deletes what a replaceAll snapshot did not mention', async () => {
    const snapshot = (keys: string[], sha: string) =>
      scripted('file', () => [
        { updates: keys.slice(0, 1).map((k) => ({ key: k, entry: entry('file', k) })), skipped: [], checkpoint: { sha: null } },
        { updates: keys.slice(1).map((k) => ({ key: k, entry: entry('file', k) })), skipped: [], checkpoint: { sha }, replaceAll: true },
      ]);
    await sync({ store, sources: [snapshot(['a', 'b', 'c'], 'v1')] });
    const report = await sync({ store, sources: [snapshot(['b', 'd'], 'v2')], commitEvery: { updates: 1 } });
    expect(report.sources[0]).toMatchObject({ added: 1, unchanged: 1, deleted: 2 });
    expect(keysOf(store)).toEqual(['file/b', 'file/d']);
  });

  it('reports skipped records grouped by reason, including entries the store refuses', async () => {
    const bad = { ...entry('a', 'bad'), fingerprints: { pdq: 'xyz' } };
    const a = scripted('a', () => [
      {
        updates: [{ key: 'ok', entry: entry('a', 'ok') }, { key: 'bad', entry: bad }],
        skipped: [
          { reason: 'line 3: md5 must be 32 hex characters' },
          { reason: 'line 9: md5 must be 32 hex characters' },
          { key: 'k7', reason: 'unknown signal type' },
        ],
        checkpoint: { n: 1, paging: { nextPageToken: 'c2VjcmV0LWN1cnNvcg==', nextUrl: '/v2/entries?from=a&token=abc' } },
      },
    ]);
    const report = await sync({ store, sources: [a] });
    expect(report.sources[0]!.skipped).toEqual([
      { reason: 'md5 must be 32 hex characters', count: 2, examples: ['line 3', 'line 9'] },
      { reason: 'unknown signal type', count: 1, examples: ['k7'] },
      { reason: 'fingerprints.pdq must be 64 hex characters', count: 1, examples: ['bad'] },
    ]);
    expect(keysOf(store)).toEqual(['a/ok']);
    expect(report.sources[0]!.checkpoint).toEqual({ n: 1, paging: { nextPageToken: '***', nextUrl: '/v2/entries?from=a&token=***' } });
  });
});

describe('sync', () => {
  it('validates options', async () => {
    await expect(sync({ store, sources: [scripted('a', () => []), scripted('a', () => [])] })).rejects.toThrow(
      new TypeError('Expected source ids to be unique, got "a" twice'),
    );
    await expect(sync({ store, sources: [], commitEvery: { updates: 0 } })).rejects.toThrow(
      new RangeError('Expected `commitEvery.updates` to be an integer from 1 to 1000000, got 0'),
    );
    await expect(sync({ store: {} as ListStore, sources: [] })).rejects.toThrow(TypeError);
    await expect(sync({ store, sources: [], storeWriter: 'worker' as 'thread' })).rejects.toThrow(
      new TypeError('Expected `storeWriter` to be "auto", "thread" or "inline", got "worker"'),
    );
  });

  it('moves commits to the writer thread once a large sync is under way (auto), list and store in step', async () => {
    const events: SyncPageEvent[] = [];
    const listener = (m: unknown) => events.push(m as SyncPageEvent);
    subscribe(SYNC_CHANNELS.page, listener);
    try {
      const pages = Array.from({ length: 30 }, (_, n) => page('a', n, Array.from({ length: 1000 }, (_, i) => `k${n}-${i}`)));
      // The last page updates and deletes keys the first pages added, so the thread's commits depend on the inline ones.
      pages.push(page('a', 30, ['k0-1', '-k0-2', '-k1-3']));
      const list = new HashList();
      const report = await sync({ store, list, sources: [scripted('a', () => pages)], commitEvery: { updates: 5000 } });
      expect(report.ok).toBe(true);
      const writers = events.map((e) => e.writer);
      expect(writers[0]).toBe('inline');
      expect(writers.at(-1)).toBe('thread');
      expect(report.sources[0]).toMatchObject({ pages: 31, added: 30_000, updated: 1, deleted: 2 });
      expect(store.stats().entries).toBe(29_998);
      expect(list.size).toBe(29_998);
      expect(list.version).toBe(store.version);
      expect([...list.entries()].map((i) => `${i.entry.source}/${i.key}`).sort()).toEqual(keysOf(store));
    } finally {
      unsubscribe(SYNC_CHANNELS.page, listener);
    }
  });

  it('commits in-thread when the store cannot be shared with a thread (in-memory)', async () => {
    const memory = openListStore(':memory:');
    try {
      const events: SyncPageEvent[] = [];
      const listener = (m: unknown) => events.push(m as SyncPageEvent);
      subscribe(SYNC_CHANNELS.page, listener);
      const report = await sync({ store: memory, sources: [scripted('a', () => [page('a', 1, ['x'])])], storeWriter: 'thread' });
      unsubscribe(SYNC_CHANNELS.page, listener);
      expect(report.ok).toBe(true);
      expect(events.map((e) => e.writer)).toEqual(['inline']);
      expect(keysOf(memory)).toEqual(['a/x']);
    } finally {
      memory.close();
    }
  });
});
