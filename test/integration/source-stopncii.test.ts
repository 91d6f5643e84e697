/**
 * The StopNCII source against the loopback StopNCII mock, over real HTTP.
 */
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isTidscanError, SyncError } from '../../src/errors.js';
import { HTTP_DIAGNOSTICS_CHANNEL } from '../../src/sync/http.js';
import { createStopNciiSource, type StopNciiCheckpoint, type StopNciiSourceOptions } from '../../src/sync/stopncii.js';
import { type MockStopNciiOptions, type MockStopNciiServer, startMockStopNciiServer } from '../helpers/mock-stopncii-server.js';
import { PageApplier } from '../helpers/mock-page-applier.js';

const servers: MockStopNciiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(mock: MockStopNciiOptions = {}, source: Partial<StopNciiSourceOptions> = {}) {
  let t = Date.UTC(2025, 0, 1);
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const server = await startMockStopNciiServer({ now: clock.now, ...mock });
  servers.push(server);
  const stopncii = createStopNciiSource({
    baseUrl: server.url,
    functionKey: server.functionKey,
    subscriptionKey: server.subscriptionKey,
    now: clock.now,
    pageSize: 250,
    retryDelayMs: 1,
    maxRetryDelayMs: 20,
    timeoutMs: 2000,
    ...source,
  });
  return { server, stopncii, clock, store: new PageApplier<StopNciiCheckpoint>() };
}

async function syncError(promise: Promise<unknown>): Promise<SyncError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SyncError) return err;
    throw err;
  }
  throw new Error('expected a SyncError');
}

describe('StopNCII source', () => {
  it('a full sync ends with exactly the live hashes, mapping signal types, with both key headers', async () => {
    const { server, stopncii, store } = await setup({ entries: 1200, withdrawnFraction: 0.1, spacingSec: 0.25 });
    await store.sync(stopncii);
    expect(store.withoutMetadata()).toEqual(server.currentList());
    expect(store.entries.size).toBeLessThan(1200);
    expect(server.requests.every((r) => r.authorized)).toBe(true);
    expect(server.requests[0]!.query).toMatchObject({ startTimestamp: '10', pageSize: '250' });
    const kinds = new Set([...store.entries.values()].map((e) => `${e.kind}:${Object.keys(e.fingerprints)[0]}`));
    expect(kinds).toEqual(new Set(['image:pdq', 'image:md5', 'video:md5']));
    const last = [...server.allRecords().values()].reduce((m, r) => Math.max(m, r.lastModtimestamp), 0);
    expect(store.checkpoint).toMatchObject({ version: 1, nextSetTimestamp: last });
    expect(store.checkpoint!.paging).toBeUndefined();
  });

  it('regression: Withdrawn and Deleted are deletes by hashStatus (pytx/HMA test hashValue and keep them)', async () => {
    const { server, stopncii, store, clock } = await setup({ entries: 50 });
    await store.sync(stopncii);
    const [a, b, c] = [server.generatedKey(3), server.generatedKey(4), server.generatedKey(5)];
    expect(store.entries.has(a) && store.entries.has(b) && store.entries.has(c)).toBe(true);
    clock.advance(60_000);
    server.setStatus(a, 'Withdrawn');
    server.setStatus(b, 'Deleted');
    server.update(c, { CSPFeedbacks: [{ source: 'Facebook', feedbackValue: 'Blocked', tags: ['Nude'] }] });
    const added = server.add({ signalType: 'ImagePDQ' });
    const startFrom = store.checkpoint!.nextSetTimestamp;
    await store.sync(stopncii);
    expect(server.requests.at(-1)!.query.startTimestamp).toBe(String(startFrom));
    expect(store.entries.has(a)).toBe(false);
    expect(store.entries.has(b)).toBe(false);
    expect(store.entries.get(c)!.metadata).toMatchObject({ CSPFeedbacks: [{ feedbackValue: 'Blocked' }] });
    expect(store.entries.has(added)).toBe(true);
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('keeps unknown signal types opaque and skips malformed records with reasons', async () => {
    const { server, stopncii, store } = await setup({});
    server.add({ signalType: 'VideoTMKPDQF', hashValue: 'opaque-tmk-value' });
    server.add({ signalType: 'ImagePDQ', hashValue: 'abc' });
    server.add({ signalType: 'ImageMD5', hashValue: 'AB'.repeat(16) });
    await store.sync(stopncii);
    expect(store.entries.get('VideoTMKPDQF:opaque-tmk-value')).toMatchObject({ kind: 'video', fingerprints: { videotmkpdqf: 'opaque-tmk-value' } });
    expect(store.entries.get(`ImageMD5:${'ab'.repeat(16)}`)).toMatchObject({ kind: 'image', fingerprints: { md5: 'ab'.repeat(16) } });
    expect(store.skipped).toEqual([{ key: 'ImagePDQ:abc', reason: 'hashRecords[1]: ImagePDQ hashValue must be 64 hex characters, got length 3' }]);
  });

  it('a stale checkpoint (> 30 days) refetches everything and deletes hashes no longer listed (replaceAll)', async () => {
    const { server, stopncii, store, clock } = await setup({ entries: 600 });
    await store.sync(stopncii);
    store.entries.set('ImagePDQ:purged', { source: 'stopncii', id: 'ImagePDQ:purged', kind: 'image', fingerprints: { pdq: 'ab'.repeat(32) } });
    clock.advance(3600_000);
    await store.sync(stopncii); // recent: incremental, the purged hash stays
    expect(store.entries.has('ImagePDQ:purged')).toBe(true);
    clock.advance(31 * 86400_000);
    const before = server.requests.length;
    await store.sync(stopncii);
    expect(server.requests[before]!.query.startTimestamp).toBe('10');
    expect(store.entries.has('ImagePDQ:purged')).toBe(false);
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('resumes a paging session from the saved token, and restarts it once the token is too old', async () => {
    const { server, stopncii, store, clock } = await setup({ entries: 1000 });
    const first = server.requests.length;
    await store.sync(stopncii, { maxPages: 2 });
    expect(store.checkpoint!.paging).toBeDefined();
    // Two pages and the read-ahead of the third, which the stopped sync abandoned: count only after it.
    await expect.poll(() => server.requests.length - first, { timeout: 2000 }).toBe(3);
    let before = server.requests.length;
    const resumed = new PageApplier<StopNciiCheckpoint>();
    resumed.checkpoint = store.checkpoint;
    await resumed.sync(stopncii);
    expect(server.requests[before]!.query.nextPageToken).toBeDefined();
    expect(store.pages + resumed.pages).toBe(4);

    clock.advance(2 * 3600_000);
    before = server.requests.length;
    await store.sync(stopncii);
    expect(server.requests[before]!.query.nextPageToken).toBeUndefined();
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('reads one page ahead: the next request is written before a page is handed over', async () => {
    const { server, stopncii } = await setup({ entries: 1000 });
    const sent: string[] = [];
    const onSend = (message: unknown) => sent.push(String((message as { request: { path: string } }).request.path));
    diagnostics.subscribe('undici:client:sendHeaders', onSend);
    const it = stopncii.fetch(null)[Symbol.asyncIterator]();
    try {
      const page = await it.next();
      expect(page.done).toBe(false);
      expect(sent).toHaveLength(2); // checked synchronously, as a caller's store commit would follow
      expect(sent[1]).toContain('nextPageToken=');
    } finally {
      diagnostics.unsubscribe('undici:client:sendHeaders', onSend);
      await it.return!(undefined);
    }
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });

  it('HTTP 200 with truncated JSON is SYNC_MALFORMED_RESPONSE, nothing of that page is applied, and the next sync completes', async () => {
    const { server, stopncii, store } = await setup({ entries: 1000 });
    server.faults.enqueue({ kind: 'truncate', mode: 'malformed', fraction: 0.6 }, { match: (r) => r.query.has('nextPageToken') });
    const err = await syncError(store.sync(stopncii));
    expect(err.code).toBe('SYNC_MALFORMED_RESPONSE');
    expect(store.pages).toBe(1);
    expect(store.entries.size).toBe(250);
    await store.sync(stopncii);
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('retries 429/503, times out a stall, and converges under random fault schedules (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant({ kind: 'status', status: 429, retryAfter: 0 } as const),
            fc.constant({ kind: 'status', status: 503 } as const),
            fc.constant({ kind: 'truncate', mode: 'malformed' } as const),
            fc.constant({ kind: 'truncate', mode: 'cut' } as const),
            fc.constant({ kind: 'stall' } as const),
            fc.constant({ kind: 'reset' } as const),
          ),
          { maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 900 }),
        fc.array(fc.tuple(fc.nat(899), fc.constantFrom('Withdrawn', 'Deleted', 'Active', 'add')), { maxLength: 8 }),
        async (faults, entries, changes) => {
          const { server, stopncii, store, clock } = await setup({ entries, withdrawnFraction: 0.2 }, { timeoutMs: 500, retries: 1 });
          for (const fault of faults) server.faults.enqueue(fault);
          const converge = async () => {
            for (let i = 0; i < 20; i++) {
              try {
                await store.sync(stopncii);
                return;
              } catch (err) {
                if (!isTidscanError(err)) throw err;
              }
            }
            throw new Error('did not converge');
          };
          await converge();
          clock.advance(5000);
          for (const [i, change] of changes) {
            if (change === 'add') server.add();
            else if (i < entries) server.setStatus(server.generatedKey(i), change);
          }
          await converge();
          expect(store.withoutMetadata()).toEqual(server.currentList());
          await server.close();
          servers.splice(servers.indexOf(server), 1);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('StopNCII source: credentials and options', () => {
  it('a wrong key is SYNC_AUTH_FAILED and neither key appears in the error or diagnostics', async () => {
    const server = await startMockStopNciiServer();
    servers.push(server);
    const functionKey = 'Func-Key-Secret-123456';
    const stopncii = createStopNciiSource({ baseUrl: server.url, functionKey, subscriptionKey: server.subscriptionKey, retryDelayMs: 1 });
    const events: unknown[] = [];
    const listener = (m: unknown) => events.push(m);
    diagnostics.subscribe(HTTP_DIAGNOSTICS_CHANNEL, listener);
    let err: SyncError;
    try {
      err = await syncError(new PageApplier<StopNciiCheckpoint>().sync(stopncii));
    } finally {
      diagnostics.unsubscribe(HTTP_DIAGNOSTICS_CHANNEL, listener);
    }
    expect(err.code).toBe('SYNC_AUTH_FAILED');
    const text = JSON.stringify([err.message, err.details, err.stack, events]);
    expect(text).not.toContain(functionKey);
    expect(text).not.toContain(server.subscriptionKey);
  });

  it('reads keys from the environment and names the missing variable', async () => {
    const server = await startMockStopNciiServer({ entries: 5 });
    servers.push(server);
    const env = { TIDSCAN_STOPNCII_FUNCTION_KEY: server.functionKey, TIDSCAN_STOPNCII_SUBSCRIPTION_KEY: server.subscriptionKey };
    const store = new PageApplier<StopNciiCheckpoint>();
    await store.sync(createStopNciiSource({ baseUrl: server.url, env }));
    expect(store.entries.size).toBe(5);
    expect(() => createStopNciiSource({ env: { TIDSCAN_STOPNCII_FUNCTION_KEY: 'k' } })).toThrow(
      'Expected `subscriptionKey` to be set, or the TIDSCAN_STOPNCII_SUBSCRIPTION_KEY environment variable',
    );
  });

  it('validates options eagerly and refuses plain http to non-loopback hosts', () => {
    const keys = { functionKey: 'f', subscriptionKey: 's' };
    expect(() => createStopNciiSource({ ...keys, pageSize: 0 })).toThrow(new RangeError('Expected `pageSize` to be an integer from 1 to 10000, got 0'));
    let err: unknown;
    try {
      createStopNciiSource({ ...keys, baseUrl: 'http://api.stopncii.org/v1' });
    } catch (e) {
      err = e;
    }
    expect(isTidscanError(err) && err.code).toBe('SYNC_INSECURE_URL');
    expect(() => createStopNciiSource(keys)).not.toThrow();
  });
});
