/**
 * `sync({ sourceThread: true })`: the built-in sources run on a thread of their own (a real worker, real HTTP to the
 * loopback mock) and the result must be exactly what the same sync gives on the syncing thread: store, list,
 * report; errors with their class and code; abort; HTTP diagnostics forwarded.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HashList } from '../../src/list/hash-list.js';
import { createScanner } from '../../src/scanner/index.js';
import { HTTP_DIAGNOSTICS_CHANNEL } from '../../src/sync/http.js';
import { createFileSource } from '../../src/sync/file-source.js';
import { createNcmecSource, type NcmecSourceOptions } from '../../src/sync/ncmec/source.js';
import { sourceSpecOf } from '../../src/sync/source-spec.js';
import { packedPageOf } from '../../src/sync/packed-page.js';
import { AHEAD, fetchOnThread, liveSourceThreads, prestartSourceThread } from '../../src/sync/source-thread.js';
import { createStopNciiSource } from '../../src/sync/stopncii.js';
import { type ListStore, openListStore } from '../../src/sync/store.js';
import { SOURCE_THREAD_AFTER_UPDATES, SOURCE_THREAD_PRESTART_AFTER_UPDATES, sync } from '../../src/sync/syncer.js';
import type { SyncReport } from '../../src/sync/syncer-report.js';
import type { ListEntry } from '../../src/sync/types.js';
import { type MockNcmecOptions, type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { startMockStopNciiServer } from '../helpers/mock-stopncii-server.js';

const SINCE = '2024-12-31T00:00:00Z';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: MockNcmecOptions): Promise<MockNcmecServer> {
  const s = await startMockNcmecServer({ spacingMs: 500, ...options });
  cleanups.push(() => s.close());
  return s;
}

function store(): ListStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-source-thread-'));
  const s = openListStore(path.join(dir, 'list.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => s.close());
  return s;
}

function source(s: MockNcmecServer, options: Partial<NcmecSourceOptions> = {}) {
  return createNcmecSource({ baseUrl: s.url, username: s.username, password: s.password, since: SINCE, retryDelayMs: 1, maxRetryDelayMs: 20, timeoutMs: 5000, ...options });
}

function contents(st: ListStore): Map<string, ListEntry> {
  const out = new Map<string, ListEntry>();
  st.forEachEntry((src, key, entry) => out.set(`${src}/${key}`, entry));
  return out;
}

/** A report without its timings and checkpoints (the windows end at the real clock, a second apart). */
function counts(report: SyncReport) {
  return report.sources.map(({ durationMs: _, checkpoint: __, ...rest }) => rest);
}

/** Source threads exit once their sync is over (a terminated worker's exit event comes a moment later). */
async function expectNoSourceThreads(): Promise<void> {
  for (let i = 0; i < 100 && liveSourceThreads() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(liveSourceThreads()).toBe(0);
}

describe('sync with the source on its own thread', () => {
  it('stores, indexes and reports exactly what the same sync does on the syncing thread, first sync and incremental', async () => {
    const mock = await server({ entries: 3500, videoFraction: 0.3, linkOnlyFraction: 0.4, pdnaFraction: 0.3, pageSize: 400 });
    const [threaded, inline] = [store(), store()];
    const [threadedList, inlineList] = [new HashList(), new HashList()];
    const threadedSource = source(mock);
    const fetch = vi.spyOn(threadedSource, 'fetch');

    const run = async () => {
      const a = await sync({ store: threaded, list: threadedList, sources: [threadedSource], sourceThread: true, commitEvery: { updates: 1000 } });
      const b = await sync({ store: inline, list: inlineList, sources: [source(mock)], sourceThread: false, commitEvery: { updates: 1000 } });
      expect(a.ok).toBe(true);
      expect(counts(a)).toEqual(counts(b));
      expect(contents(threaded)).toEqual(contents(inline));
      expect(contents(threaded)).toEqual(new Map([...mock.currentList()].map(([k, e]) => [`ncmec/${k}`, e])));
      expect(threadedList.stats()).toEqual(inlineList.stats());
      for (const { key, entry } of inlineList.entries()) expect(threadedList.getEntry('ncmec', key)).toEqual(entry);
    };
    await run();
    expect(fetch).not.toHaveBeenCalled(); // the pages came from the thread
    expect(threadedList.size).toBe(3500);

    // Updates, deletes and an update-then-delete since the first sync.
    const keys = [...mock.currentList().keys()];
    mock.update(keys[1]!, { classification: 'A2' });
    mock.delete(keys[2]!);
    mock.update(keys[3]!, { classification: 'B2' });
    mock.delete(keys[3]!);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // the window ends 5 s before now
    await run();
    expect(threadedList.size).toBe(3498);
  }, 60_000);

  it('StopNCII and list-file sources: the same store, list and report as on the syncing thread', async () => {
    const stopncii = await startMockStopNciiServer({ entries: 1500, withdrawnFraction: 0.1, pageSize: 300 });
    cleanups.push(() => stopncii.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-source-thread-file-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'list.ndjson');
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({ id: `f-${i}`, kind: i % 5 === 0 ? 'video' : 'image', fingerprints: { md5: i.toString(16).padStart(32, '0'), ...(i % 3 ? { pdq: (i * 7919).toString(16).padStart(64, 'a') } : {}) } }),
    );
    writeFileSync(file, [...lines, '{"id": "broken"', ''].join('\n'));
    const sources = () => [
      createStopNciiSource({ baseUrl: stopncii.url, functionKey: stopncii.functionKey, subscriptionKey: stopncii.subscriptionKey, retryDelayMs: 1 }),
      createFileSource({ location: path.relative(process.cwd(), file), pageSize: 250 }),
    ];
    const [threaded, inline] = [store(), store()];
    const [threadedList, inlineList] = [new HashList(), new HashList()];
    const threadedSources = sources();
    const fetches = threadedSources.map((s) => vi.spyOn(s, 'fetch'));
    const a = await sync({ store: threaded, list: threadedList, sources: threadedSources, sourceThread: true });
    const b = await sync({ store: inline, list: inlineList, sources: sources() });
    expect(a.ok).toBe(true);
    for (const fetch of fetches) expect(fetch).not.toHaveBeenCalled();
    expect(counts(a)).toEqual(counts(b));
    expect(a.sources[1]!.skipped.length).toBeGreaterThan(0); // the broken line is reported, not dropped
    expect(contents(threaded)).toEqual(contents(inline));
    expect(contents(threaded).size).toBe(inlineList.size);
    expect(threadedList.stats()).toEqual(inlineList.stats());
  }, 60_000);

  it('fails with the same class and code as on the syncing thread (wrong password)', async () => {
    const mock = await server({ entries: 10 });
    const report = await sync({ store: store(), sources: [source(mock, { password: 'wrong' })], sourceThread: true });
    const inline = await sync({ store: store(), sources: [source(mock, { password: 'wrong' })] });
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('SYNC_AUTH_FAILED');
    expect(report.error).toEqual(inline.error);
  });

  it('hostile responses through the thread: retries a 503 and a 429, then a malformed page fails the sync like on the syncing thread', async () => {
    const run = async (sourceThread: boolean) => {
      const mock = await server({ entries: 2000, pageSize: 200 });
      mock.faults.setSchedule((req) =>
        req.n === 2 ? { kind: 'status', status: 503 } : req.n === 4 ? { kind: 'status', status: 429, retryAfter: 0 } : req.n === 7 ? { kind: 'truncate', mode: 'malformed' } : undefined,
      );
      const st = store();
      const report = await sync({ store: st, sources: [source(mock, { retries: 2 })], sourceThread, commitEvery: { updates: 200 } });
      return { error: report.error, stored: contents(st) };
    };
    const threaded = await run(true);
    const inline = await run(false);
    expect(threaded.error?.code).toBe('SYNC_MALFORMED_RESPONSE');
    expect(threaded.error).toEqual(inline.error);
    expect(threaded.stored.size).toBeGreaterThan(0);
    expect(threaded.stored).toEqual(inline.stored); // every page before the malformed one, nothing of it
  });

  it('gives a stalled source thread up with SYNC_TIMEOUT and stops it', async () => {
    const mock = await server({ entries: 1000, pageSize: 100 });
    mock.faults.setSchedule((req) => (req.n === 3 ? { kind: 'delay', ms: 20_000 } : undefined));
    const st = store();
    const started = performance.now();
    const report = await sync({ store: st, sources: [source(mock)], sourceThread: true, stallTimeoutMs: 300, commitEvery: { updates: 100 } });
    expect(report.error?.code).toBe('SYNC_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(10_000); // it did not wait for the delayed page
    expect(contents(st).size % 100).toBe(0);
  });

  it('stops on abort: pages committed before it stay, the report says SYNC_ABORTED, nothing hangs', async () => {
    const mock = await server({ entries: 5000, pageSize: 100 });
    const st = store();
    const controller = new AbortController();
    const seen = (message: unknown) => {
      if ((message as { pages?: number }).pages) controller.abort();
    };
    diagnostics.subscribe('tidscan:sync:page', seen);
    cleanups.push(() => diagnostics.unsubscribe('tidscan:sync:page', seen));
    const report = await sync({ store: st, sources: [source(mock)], sourceThread: true, signal: controller.signal, commitEvery: { updates: 100 } });
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('SYNC_ABORTED');
    const stored = contents(st).size;
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(5000);
    expect(stored % 100).toBe(0); // whole pages only
  });

  it('forwards the HTTP diagnostics events of the thread to subscribers here', async () => {
    const mock = await server({ entries: 50 });
    const events: unknown[] = [];
    const listener = (event: unknown) => events.push(event);
    diagnostics.subscribe(HTTP_DIAGNOSTICS_CHANNEL, listener);
    cleanups.push(() => diagnostics.unsubscribe(HTTP_DIAGNOSTICS_CHANNEL, listener));
    const report = await sync({ store: store(), sources: [source(mock)], sourceThread: true });
    expect(report.ok).toBe(true);
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(mock.password);
  });

  it('keeps a source it cannot move (custom clock) on the syncing thread', async () => {
    const mock = await server({ entries: 20 });
    const pinned = source(mock, { now: () => Date.now() });
    const fetch = vi.spyOn(pinned, 'fetch');
    const report = await sync({ store: store(), sources: [pinned], sourceThread: true });
    expect(report.ok).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('keeps the source spec, credentials included, out of inspection and JSON', async () => {
    const mock = await server({ entries: 1 });
    const ncmec = source(mock, { password: 'sekrit-password' });
    expect(inspect(ncmec, { depth: 5 })).not.toContain('sekrit-password');
    expect(JSON.stringify(ncmec)).not.toContain('sekrit-password');
    expect(Object.keys(ncmec)).not.toContain('spec');
  });

  it('a scanner created with sourceThread syncs through the thread and matches what it synced', async () => {
    const mock = await server({ entries: 300 });
    const ncmec = source(mock);
    const fetch = vi.spyOn(ncmec, 'fetch');
    const scanner = await createScanner({ lists: [{ source: ncmec }], sourceThread: true });
    cleanups.push(() => scanner.close());
    const report = await scanner.sync();
    expect(report.ok).toBe(true);
    expect(fetch).not.toHaveBeenCalled();
    const [key, entry] = [...mock.currentList()][7]!;
    const verdict = await scanner.matchHashes({ md5: entry.fingerprints.md5! });
    expect(verdict.kind).toBe('match');
    expect(verdict.kind === 'match' && verdict.matches.map((m) => m.entryId)).toContain(entry.id);
    expect(key).toContain(entry.id);
  });

  it('the thread iterator keeps answering done after the end, and return() stops it at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-source-thread-iter-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'list.ndjson');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `x${i}`, kind: 'image', fingerprints: { md5: i.toString(16).padStart(32, '0') } })).join('\n'));
    const spec = sourceSpecOf(createFileSource({ location: file, pageSize: 10 }))!;
    const pages = fetchOnThread(spec, null, { fingerprints: true })!;
    const seen: Array<[number, boolean]> = [];
    for (let step = await pages.next(); !step.done; step = await pages.next()) seen.push([packedPageOf(step.value)!.batch.count, step.value.replaceAll === true]);
    expect(seen).toEqual([[10, false], [10, false], [10, false], [0, true]]); // and the snapshot's closing page
    expect(await pages.next()).toEqual({ done: true, value: undefined });
    const stopped = fetchOnThread(spec, null, { fingerprints: false })!;
    expect((await stopped.next()).done).toBe(false);
    await stopped.return!();
    expect(await stopped.next()).toEqual({ done: true, value: undefined });
  });

  it('a prestarted thread says when it is ready, fetches nothing until started, then after the checkpoint it is given; unused, it exits', async () => {
    const pageSize = 10;
    const mock = await server({ entries: 60, pageSize });
    const spec = sourceSpecOf(source(mock))!;
    const entriesRequests = () => mock.requests.filter((r) => r.endpoint === 'entries').length;
    // The reference: the same source read from the start on this thread, up to the checkpoint of its second page.
    const reference: Array<[number, number | undefined]> = [];
    let afterSecond: unknown;
    for await (const page of source(mock).fetch(null)) {
      reference.push([page.updates.length, page.remainingHint]);
      if (reference.length === 2) afterSecond = page.checkpoint;
    }
    const threadsBefore = liveSourceThreads();
    const requestsBefore = entriesRequests();
    const unused = prestartSourceThread(spec, { fingerprints: true })!;
    const pending = prestartSourceThread(spec, { fingerprints: true })!;
    expect(liveSourceThreads()).toBe(threadsBefore + 2);
    expect([pending.state, unused.state]).toEqual(['booting', 'booting']); // its modules load on the thread, later
    for (let i = 0; i < 250 && pending.state === 'booting'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pending.state).toBe('ready');
    await new Promise((resolve) => setTimeout(resolve, 300)); // time to fetch, if it would
    expect(entriesRequests()).toBe(requestsBefore);
    unused.cancel();
    expect(unused.state).toBe('failed');
    const pages = pending.start(afterSecond);
    cleanups.push(() => pages.return!());
    const counts: Array<[number, number | undefined]> = [];
    for (let step = await pages.next(); !step.done; step = await pages.next()) counts.push([packedPageOf(step.value)!.batch.count, step.value.remainingHint]);
    expect(counts.length).toBeGreaterThan(2);
    expect(counts).toEqual(reference.slice(2)); // the same pages, with the same hints of what is left
    expect(counts.some(([, hint]) => hint !== undefined)).toBe(true);
    expect(entriesRequests() - requestsBefore).toBe(counts.length); // one request a page, by the started thread only
    for (let i = 0; i < 100 && liveSourceThreads() > threadsBefore; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(liveSourceThreads()).toBe(threadsBefore);
  });

  it('runs at most AHEAD pages ahead of the consumer: memory stays bounded by page size', async () => {
    const pageSize = 10;
    const mock = await server({ entries: pageSize * (AHEAD + 20), pageSize });
    const spec = sourceSpecOf(source(mock))!;
    const pages = fetchOnThread(spec, null, { fingerprints: true })!;
    cleanups.push(() => pages.return!());
    const entriesRequests = () => mock.requests.filter((r) => r.endpoint === 'entries').length;
    expect(packedPageOf((await pages.next()).value)!.batch.count).toBe(pageSize);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // It does read ahead while nobody asks...
    for (let i = 0; i < 400 && entriesRequests() <= AHEAD; i++) await sleep(50);
    expect(entriesRequests()).toBeGreaterThan(AHEAD);
    // ...but no further than the consumed page, AHEAD pages sent ahead, one packed page waiting for a credit, and
    // the source's own read-ahead request for the next one (a page of 10 takes milliseconds: 500 ms is plenty).
    await sleep(500);
    expect(entriesRequests()).toBeLessThanOrEqual(AHEAD + 3);
    let entries = pageSize;
    for (let step = await pages.next(); !step.done; step = await pages.next()) entries += packedPageOf(step.value)!.batch.count;
    expect(entries).toBe(pageSize * (AHEAD + 20));
  });

  it('runs no more than aheadBytes of packed pages ahead, but always at least one page', async () => {
    const pageSize = 10;
    const mock = await server({ entries: pageSize * 30, pageSize });
    const spec = sourceSpecOf(source(mock))!;
    const pages = fetchOnThread(spec, null, { fingerprints: true, aheadBytes: 1 })!;
    cleanups.push(() => pages.return!());
    const entriesRequests = () => mock.requests.filter((r) => r.endpoint === 'entries').length;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let entries = 0;
    for (let consumed = 1; consumed <= 3; consumed++) {
      entries += packedPageOf((await pages.next()).value)!.batch.count;
      await sleep(500);
      // The consumed pages, one sent ahead (over the byte budget alone), one waiting to be sent, the source's read-ahead.
      expect(entriesRequests()).toBeLessThanOrEqual(consumed + 3);
    }
    for (let step = await pages.next(); !step.done; step = await pages.next()) entries += packedPageOf(step.value)!.batch.count;
    expect(entries).toBe(pageSize * 30);
  });

  it("'auto' (the default) moves an NCMEC source to a thread once a sync with a list is large, losing and repeating nothing", async () => {
    // Dense timestamps (many records per second) and out-of-order jitter: the move resumes mid-window from a next-link.
    const entries = SOURCE_THREAD_AFTER_UPDATES + 6000;
    const mock = await server({ entries, pageSize: 700, spacingMs: 2, jitterMs: 40, videoFraction: 0.2 });
    // The thread boots from about page 15 and takes over once it is ready: slow pages until page 29 give it time (a
    // worker loading through tsx on a busy machine). Requests after the move fail now and then, a 503 and a 429:
    // retried on the thread.
    mock.faults.setSchedule((req) =>
      req.n >= 16 && req.n <= 28 ? { kind: 'delay', ms: 150 }
      : req.n === 34 ? { kind: 'status', status: 503 }
      : req.n === 36 ? { kind: 'status', status: 429, retryAfter: 0 }
      : undefined,
    );
    const fetchers: string[] = [];
    const seen = (message: unknown) => fetchers.push((message as { fetcher: string }).fetcher);
    diagnostics.subscribe('tidscan:sync:page', seen);
    cleanups.push(() => diagnostics.unsubscribe('tidscan:sync:page', seen));
    const [moved, stayed] = [store(), store()];
    const [movedList, stayedList] = [new HashList(), new HashList()];
    const a = await sync({ store: moved, list: movedList, sources: [source(mock)], commitEvery: { updates: 2000 } });
    const movedFetchers = fetchers.splice(0);
    const b = await sync({ store: stayed, list: stayedList, sources: [source(mock)], sourceThread: false, commitEvery: { updates: 2000 } });
    expect(a.error).toBeUndefined();
    expect(a.ok).toBe(true);
    expect(movedFetchers[0]).toBe('inline');
    expect(movedFetchers.at(-1)).toBe('thread');
    expect(fetchers.every((f) => f === 'inline')).toBe(true);
    const want = new Map([...mock.currentList()].map(([k, e]) => [`ncmec/${k}`, e]));
    expect(want.size).toBe(entries);
    expect(contents(moved)).toEqual(want);
    expect(contents(stayed)).toEqual(want);
    expect(a.sources[0]!.added).toBe(entries); // each entry once: none fetched twice across the move
    expect(a.sources[0]!.updated + a.sources[0]!.unchanged).toBe(0);
    expect(movedList.stats()).toEqual(stayedList.stats());
    for (const { key, entry } of stayedList.entries()) expect(movedList.getEntry('ncmec', key)).toEqual(entry);
    await expectNoSourceThreads();
  });

  it("'auto' keeps a sync without a list, and a small one, on the syncing thread", async () => {
    const mock = await server({ entries: SOURCE_THREAD_AFTER_UPDATES + 1000, pageSize: 1000, spacingMs: 1 });
    const fetchers: string[] = [];
    const seen = (message: unknown) => fetchers.push((message as { fetcher: string }).fetcher);
    diagnostics.subscribe('tidscan:sync:page', seen);
    cleanups.push(() => diagnostics.unsubscribe('tidscan:sync:page', seen));
    expect((await sync({ store: store(), sources: [source(mock)] })).ok).toBe(true);
    expect((await sync({ store: store(), list: new HashList(), sources: [source(mock, { since: new Date(Date.UTC(2025, 0, 1) + 5000).toISOString() })] })).ok).toBe(true);
    expect(fetchers.length).toBeGreaterThan(0);
    expect(fetchers.every((f) => f === 'inline')).toBe(true);
    // The second sync (~16 000 updates) passed the prestart point: its thread booted, was never used, and is gone.
    expect(fetchers.length).toBeGreaterThan(SOURCE_THREAD_PRESTART_AFTER_UPDATES / 1000 / 10);
    await expectNoSourceThreads();
  });

  it('validates the option', async () => {
    await expect(sync({ store: store(), sources: [], sourceThread: 'yes' as unknown as boolean })).rejects.toThrow(
      new TypeError('Expected `sourceThread` to be true, false or "auto", got "yes"'),
    );
  });
});
