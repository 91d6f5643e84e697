/**
 * Proof: for random fault schedules on the loopback mock servers (real HTTP), `sync()` into the real store, retried
 * until it succeeds, ends with the store (and the in-memory list) equal to the server's current list exactly:
 * nothing lost, nothing duplicated, every delete applied; and again after the server changes (incremental syncs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { HashList } from '../../src/list/hash-list.js';
import { createNcmecSource } from '../../src/sync/ncmec/source.js';
import { createStopNciiSource } from '../../src/sync/stopncii.js';
import { type ListStore, openListStore } from '../../src/sync/store.js';
import { sync, type SyncOptions } from '../../src/sync/syncer.js';
import type { SyncReport } from '../../src/sync/syncer-report.js';
import type { HashListSource, ListEntry } from '../../src/sync/types.js';
import type { MockFault } from '../helpers/mock-faults.js';
import { startMockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { startMockStopNciiServer } from '../helpers/mock-stopncii-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempStore(): ListStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-sync-faults-'));
  const store = openListStore(path.join(dir, 'list.db'));
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** The store's content as `key -> entry` without metadata (feedback etc.), to compare with a mock's list. */
function storeList(store: ListStore, source: string): Map<string, ListEntry> {
  const out = new Map<string, ListEntry>();
  for (const { key, entry } of store.iterateEntries({ source })) {
    const { metadata: _m, ...rest } = entry;
    out.set(key, rest);
  }
  return out;
}

function listKeys(list: HashList): string[] {
  return [...list.entries()].map((i) => `${i.entry.source}/${i.key}`).sort();
}

function storeKeys(store: ListStore): string[] {
  return [...store.iterateEntries()].map((i) => `${i.source}/${i.key}`).sort();
}

/** Syncs until a run succeeds (each retry resumes from the committed checkpoint). */
async function syncUntilOk(store: ListStore, list: HashList, source: HashListSource, options: Partial<SyncOptions> = {}, maxRuns = 30): Promise<SyncReport[]> {
  const reports: SyncReport[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const report = await sync({ store, list, sources: [source], stallTimeoutMs: 10_000, ...options });
    reports.push(report);
    if (report.ok) return reports;
    expect(report.error?.code, JSON.stringify(report.error)).toMatch(/^SYNC_(HTTP_ERROR|TIMEOUT|NETWORK_ERROR|MALFORMED_RESPONSE)$/);
  }
  throw new Error(`no successful sync in ${maxRuns} runs: ${JSON.stringify(reports.at(-1)?.error)}`);
}

const faultArb: fc.Arbitrary<MockFault | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom<MockFault>({ kind: 'status', status: 429, retryAfter: 0 }, { kind: 'status', status: 500 }, { kind: 'status', status: 503 }) },
  { weight: 1, arbitrary: fc.double({ min: 0.05, max: 0.95, noNaN: true }).map((fraction): MockFault => ({ kind: 'truncate', fraction, mode: 'malformed' })) },
  { weight: 1, arbitrary: fc.double({ min: 0.05, max: 0.95, noNaN: true }).map((fraction): MockFault => ({ kind: 'truncate', fraction, mode: 'cut' })) },
  { weight: 1, arbitrary: fc.constantFrom<MockFault>({ kind: 'reset' }, { kind: 'delay', ms: 30 }, { kind: 'slowBody', chunkBytes: 4096, intervalMs: 2 }, { kind: 'stall' }) },
);

/** A mutation of the server between syncs: indexes pick existing generated keys. */
type Mutation = { op: 'add' } | { op: 'update'; index: number } | { op: 'delete'; index: number } | { op: 'updateThenDelete'; index: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ op: 'add' }),
  fc.record({ op: fc.constant('update' as const), index: fc.nat(199) }),
  fc.record({ op: fc.constant('delete' as const), index: fc.nat(199) }),
  fc.record({ op: fc.constant('updateThenDelete' as const), index: fc.nat(199) }),
);

/** A fault schedule that starts with a real fault, so every run exercises at least one. */
const scheduleArb = (maxLength: number) =>
  fc.tuple(faultArb.filter((f) => f !== undefined), fc.array(faultArb, { maxLength, size: 'max' })).map(([first, rest]) => [first, ...rest]);

describe('sync proof: NCMEC mock with random faults', () => {
  it('ends equal to the server list after retries, initially and after mutations', async () => {
    await fc.assert(
      fc.asyncProperty(
        scheduleArb(40),
        fc.array(mutationArb, { maxLength: 12, size: 'max' }),
        fc.array(faultArb, { maxLength: 10, size: 'max' }),
        fc.integer({ min: 1, max: 1000 }),
        // Commits on the syncing thread or on the writer thread (then in flight while the next pages are fetched).
        fc.record({ storeWriter: fc.constantFrom<'inline' | 'thread'>('inline', 'thread'), commitEvery: fc.record({ updates: fc.integer({ min: 1, max: 120 }) }) }),
        async (faults, mutations, laterFaults, seed, writing) => {
          let t = Date.UTC(2025, 0, 10);
          const now = () => t;
          const server = await startMockNcmecServer({ entries: 200, seed, spacingMs: 1500, jitterMs: 60_000, pageSize: 40, videoFraction: 0.2, linkOnlyFraction: 0.3, now });
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
          const store = tempStore();
          const list = new HashList();
          const schedule = (plan: Array<MockFault | undefined>) => {
            let n = 0;
            server.faults.setSchedule((req) => (req.endpoint === 'entries' ? plan[n++] : undefined));
          };

          schedule(faults);
          await syncUntilOk(store, list, source, writing);
          expect(server.requests.some((r) => r.fault !== undefined)).toBe(true);
          expect(storeList(store, 'ncmec')).toEqual(server.currentList('ncmec'));
          expect(listKeys(list)).toEqual(storeKeys(store));
          expect(list.version).toBe(store.version);

          t += 60_000;
          for (const m of mutations) {
            const key = m.op === 'add' ? '' : server.generatedKey(m.index);
            if (m.op === 'add') server.add({ kind: 'image' });
            else if (m.op === 'update') server.update(key, { classification: 'B2' });
            else if (m.op === 'delete') server.delete(key);
            else {
              server.update(key, { classification: 'A2' });
              server.delete(key);
            }
          }
          t += 60_000;
          schedule(laterFaults);
          await syncUntilOk(store, list, source, writing);
          expect(storeList(store, 'ncmec')).toEqual(server.currentList('ncmec'));
          expect(listKeys(list)).toEqual(storeKeys(store));
          expect(list.version).toBe(store.version);
          await server.close();
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('sync proof: StopNCII mock with random faults', () => {
  it('ends equal to the server list after retries, withdrawn and deleted hashes removed', async () => {
    await fc.assert(
      fc.asyncProperty(
        scheduleArb(30),
        fc.array(fc.record({ index: fc.nat(299), status: fc.constantFrom('Withdrawn', 'Deleted', 'Active') as fc.Arbitrary<'Withdrawn' | 'Deleted' | 'Active'> }), { maxLength: 10, size: 'max' }),
        fc.array(faultArb, { maxLength: 8, size: 'max' }),
        fc.integer({ min: 1, max: 1000 }),
        async (faults, changes, laterFaults, seed) => {
          let t = Date.UTC(2025, 0, 1);
          const now = () => t;
          const server = await startMockStopNciiServer({ entries: 300, seed, spacingSec: 0.5, withdrawnFraction: 0.1, now });
          cleanups.push(() => server.close());
          const source = createStopNciiSource({
            baseUrl: server.url,
            functionKey: server.functionKey,
            subscriptionKey: server.subscriptionKey,
            now,
            pageSize: 60,
            timeoutMs: 400,
            retries: 1,
            retryDelayMs: 1,
            maxRetryDelayMs: 5,
          });
          const store = tempStore();
          const list = new HashList();
          const schedule = (plan: Array<MockFault | undefined>) => {
            let n = 0;
            server.faults.setSchedule((req) => (req.endpoint === 'fetch' ? plan[n++] : undefined));
          };
          schedule(faults);
          await syncUntilOk(store, list, source);
          expect(server.requests.some((r) => r.fault !== undefined)).toBe(true);
          expect(storeList(store, 'stopncii')).toEqual(server.currentList('stopncii'));

          t += 60_000;
          for (const c of changes) server.setStatus(server.generatedKey(c.index), c.status);
          server.add({ signalType: 'ImagePDQ' });
          t += 60_000;
          schedule(laterFaults);
          await syncUntilOk(store, list, source);
          expect(storeList(store, 'stopncii')).toEqual(server.currentList('stopncii'));
          expect(listKeys(list)).toEqual(storeKeys(store));
          await server.close();
        },
      ),
      { numRuns: 6 },
    );
  });
});
