/**
 * When `sourceThread: 'auto'` moves a large NCMEC sync to its thread: only once the prestarted thread is ready, and
 * never when it could not boot. The thread is a fake here (a real one boots in whatever time the machine gives it);
 * test/integration/sync-source-thread.test.ts moves real ones.
 */
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MockNcmecServer, startMockNcmecServer } from '../../test/helpers/mock-ncmec-server.js';
import { HashList } from '../list/hash-list.js';
import { createNcmecSource } from './ncmec/source.js';
import { withPackRequest } from './packed-page.js';
import { fetchOnThread, type PendingSourceThread, prestartSourceThread } from './source-thread.js';
import { openListStore } from './store.js';
import { SOURCE_THREAD_AFTER_UPDATES, sync } from './syncer.js';
import type { SyncPageEvent } from './syncer-diagnostics.js';

vi.mock('./source-thread.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./source-thread.js')>()),
  prestartSourceThread: vi.fn(),
  fetchOnThread: vi.fn(),
}));

const PAGE = 700;
const ENTRIES = SOURCE_THREAD_AFTER_UPDATES + 8 * PAGE;
/** The page at which the sync has received SOURCE_THREAD_AFTER_UPDATES updates (the move point). */
const MOVE_PAGE = Math.ceil(SOURCE_THREAD_AFTER_UPDATES / PAGE);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.mocked(prestartSourceThread).mockReset();
  vi.mocked(fetchOnThread).mockReset();
});

async function server(): Promise<MockNcmecServer> {
  const s = await startMockNcmecServer({ entries: ENTRIES, pageSize: PAGE, spacingMs: 2 });
  cleanups.push(() => s.close());
  return s;
}

function source(s: MockNcmecServer) {
  return createNcmecSource({ baseUrl: s.url, username: s.username, password: s.password, since: '2024-12-31T00:00:00Z', retryDelayMs: 1, timeoutMs: 5000 });
}

/** Runs a sync with a list, one page per commit; returns its report, each page's fetcher and the store's entries. */
async function run(mock: MockNcmecServer) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-syncer-move-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = openListStore(path.join(dir, 'list.db'));
  cleanups.push(() => store.close());
  const fetchers: string[] = [];
  const seen = (message: unknown) => fetchers.push((message as SyncPageEvent).fetcher);
  diagnostics.subscribe('tidscan:sync:page', seen);
  try {
    const report = await sync({ store, list: new HashList(), sources: [source(mock)], commitEvery: { updates: PAGE } });
    const keys = new Set<string>();
    store.forEachEntry((_, key) => keys.add(key));
    return { report, fetchers, keys };
  } finally {
    diagnostics.unsubscribe('tidscan:sync:page', seen);
  }
}

/** A prestarted thread whose state the test decides; `start` fetches on this thread, as the real one would there. */
function fakeThread(mock: MockNcmecServer, state: () => PendingSourceThread['state']) {
  const fake = {
    get state() {
      return state();
    },
    start: vi.fn((checkpoint: unknown) => {
      const s = source(mock);
      return s.fetch(checkpoint as Parameters<typeof s.fetch>[0], withPackRequest(s, {}, { fingerprints: true }))[Symbol.asyncIterator]();
    }),
    cancel: vi.fn(),
  };
  vi.mocked(prestartSourceThread).mockReturnValue(fake);
  return fake;
}

describe("sync() with sourceThread 'auto' and a prestarted thread", () => {
  it('moves at the first page after the thread is ready, not before, losing and repeating nothing', async () => {
    const mock = await server();
    const entriesRequests = () => mock.requests.filter((r) => r.endpoint === 'entries').length;
    const readyAfter = MOVE_PAGE + 4; // requests: the thread is "ready" four pages after the move point
    const fake = fakeThread(mock, () => (entriesRequests() >= readyAfter ? 'ready' : 'booting'));
    const { report, fetchers, keys } = await run(mock);
    expect(report.error).toBeUndefined();
    expect(report.sources[0]!.added).toBe(ENTRIES);
    expect(keys.size).toBe(ENTRIES);
    expect(fake.start).toHaveBeenCalledTimes(1);
    const inlinePages = fetchers.indexOf('thread');
    // The syncing thread asks for the next page before it handles one, so "ready" shows a page early at most.
    expect(inlinePages).toBeGreaterThanOrEqual(readyAfter - 2);
    expect(fetchers.slice(inlinePages).every((f) => f === 'thread')).toBe(true);
    expect(fetchOnThread).not.toHaveBeenCalled();
  });

  it('stays on the syncing thread while the thread is still booting, and stops it at the end', async () => {
    const mock = await server();
    const fake = fakeThread(mock, () => 'booting');
    const { report, fetchers, keys } = await run(mock);
    expect(report.ok).toBe(true);
    expect(keys.size).toBe(ENTRIES);
    expect(fetchers.length).toBeGreaterThan(MOVE_PAGE);
    expect(fetchers.every((f) => f === 'inline')).toBe(true);
    expect(fake.start).not.toHaveBeenCalled();
    expect(fake.cancel).toHaveBeenCalledTimes(1);
  });

  it('stays on the syncing thread when the thread failed to boot', async () => {
    const mock = await server();
    const fake = fakeThread(mock, () => 'failed');
    const { report, fetchers, keys } = await run(mock);
    expect(report.ok).toBe(true);
    expect(report.sources[0]!.added).toBe(ENTRIES);
    expect(keys.size).toBe(ENTRIES);
    expect(fetchers.every((f) => f === 'inline')).toBe(true);
    expect(fake.start).not.toHaveBeenCalled();
    expect(fake.cancel).toHaveBeenCalledTimes(1);
    expect(fetchOnThread).not.toHaveBeenCalled();
  });
});
