/**
 * Regression: the NCMEC sync proof (test/integration/sync-faults.test.ts) failed for seed -725586472, path
 * "1:0:0:1:0:18:18": counterexample `[[truncate 0.05 cut], [updateThenDelete 153, update 153], [], 1]`, ending
 * with 199 entries where the server listed 200.
 *
 * Cause: the mock server's `update()` of a deleted key (a re-add) started from an empty content, so it served an
 * `<image>` with an empty `<fingerprints/>`, a record no hash-sharing API sends (a record is the entry's full
 * state). The client rightly skips a record without fingerprints ("no fingerprints" in the sync report), while
 * the mock's `currentList()` counted it as live. The client applied the update, the delete and the re-add in
 * arrival order, all in the same second; it lost nothing. The mock now re-adds from the entry's last content.
 *
 * These cases pin the re-add itself: after an update, a delete and a re-add of the same key, within one second or
 * across syncs, the store and the in-memory list hold the entry again with its hashes, findable by digest and PDQ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HashList } from '../../src/list/hash-list.js';
import { createNcmecSource } from '../../src/sync/ncmec/source.js';
import { type ListStore, openListStore } from '../../src/sync/store.js';
import { sync } from '../../src/sync/syncer.js';
import type { SyncReport } from '../../src/sync/syncer-report.js';
import type { HashListSource, ListEntry } from '../../src/sync/types.js';
import { type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempStore(): ListStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-readd-'));
  const store = openListStore(path.join(dir, 'list.db'));
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

function storeList(store: ListStore): Map<string, ListEntry> {
  const out = new Map<string, ListEntry>();
  for (const { key, entry } of store.iterateEntries({ source: 'ncmec' })) {
    const { metadata: _m, ...rest } = entry;
    out.set(key, rest);
  }
  return out;
}

async function syncUntilOk(store: ListStore, list: HashList, source: HashListSource): Promise<SyncReport> {
  for (let i = 0; i < 10; i++) {
    const report = await sync({ store, list, sources: [source], stallTimeoutMs: 10_000 });
    if (report.ok) return report;
    expect(report.error?.code).toMatch(/^SYNC_(HTTP_ERROR|TIMEOUT|NETWORK_ERROR|MALFORMED_RESPONSE)$/);
  }
  throw new Error('no successful sync in 10 runs');
}

/** The counterexample's server, client and clock (same options as the proof). */
async function setup(): Promise<{ server: MockNcmecServer; source: HashListSource; store: ListStore; list: HashList; advance(ms: number): void }> {
  let t = Date.UTC(2025, 0, 10);
  const now = () => t;
  const server = await startMockNcmecServer({ entries: 200, seed: 1, spacingMs: 1500, jitterMs: 60_000, pageSize: 40, videoFraction: 0.2, linkOnlyFraction: 0.3, now });
  cleanups.push(() => server.close());
  const source = createNcmecSource({
    baseUrl: server.url,
    username: server.username,
    password: server.password,
    since: '2024-12-01T00:00:00Z',
    now,
    timeoutMs: 400,
    retries: 1,
    retryDelayMs: 1,
    maxRetryDelayMs: 5,
  });
  return { server, source, store: tempStore(), list: new HashList(), advance: (ms) => (t += ms) };
}

/** Asserts the entry of `key` is live in store and list with `fingerprints` and is found by its hashes. */
function expectLive(store: ListStore, list: HashList, key: string, fingerprints: Record<string, unknown>, classification: string): void {
  const stored = storeList(store).get(key);
  expect(stored?.fingerprints).toEqual(fingerprints);
  expect(stored?.classification).toBe(classification);
  expect(list.getEntry('ncmec', key)?.fingerprints).toEqual(fingerprints);
  expect(list.lookupDigest('md5', fingerprints.md5 as string).map((e) => e.id)).toContain(stored?.id);
  if (typeof fingerprints.pdq === 'string') {
    expect(list.queryPdq(fingerprints.pdq, 0).map((h) => h.key)).toContain(key);
  }
}

describe('regression: an entry updated, deleted and re-added is live again after sync', () => {
  it('seed -725586472 counterexample: update, delete and re-add in the same second, first sync cut mid-body', async () => {
    const { server, source, store, list, advance } = await setup();
    let n = 0;
    server.faults.setSchedule((req) => (req.endpoint === 'entries' && n++ === 0 ? { kind: 'truncate', fraction: 0.05, mode: 'cut' } : undefined));
    await syncUntilOk(store, list, source);
    expect(server.requests.some((r) => r.fault === 'truncate')).toBe(true);
    server.faults.clear();

    const key = server.generatedKey(153);
    const original = server.latest(key)?.content;
    expect(original?.fingerprints.md5).toMatch(/^[0-9a-f]{32}$/);
    advance(60_000);
    server.update(key, { classification: 'A2' });
    server.delete(key);
    server.update(key, { classification: 'B2' });
    advance(60_000);
    const report = await syncUntilOk(store, list, source);

    expect(report.sources[0]?.skipped).toEqual([]);
    expect(server.currentList('ncmec').get(key)?.fingerprints).toEqual(original?.fingerprints);
    expect(storeList(store)).toEqual(server.currentList('ncmec'));
    expectLive(store, list, key, original!.fingerprints, 'B2');
  });

  it('delete in one sync, re-add in the next: the deleted key is inserted again', async () => {
    const { server, source, store, list, advance } = await setup();
    await syncUntilOk(store, list, source);
    const key = server.generatedKey(153);
    const original = server.latest(key)!.content!;

    advance(60_000);
    server.delete(key);
    advance(60_000);
    await syncUntilOk(store, list, source);
    expect(storeList(store).has(key)).toBe(false);
    expect(list.getEntry('ncmec', key)).toBeUndefined();

    advance(60_000);
    server.update(key, { classification: 'B1' });
    advance(60_000);
    const report = await syncUntilOk(store, list, source);
    expect(report.sources[0]?.skipped).toEqual([]);
    expect(storeList(store)).toEqual(server.currentList('ncmec'));
    expectLive(store, list, key, original.fingerprints, 'B1');
    expect(list.version).toBe(store.version);
  });
});
