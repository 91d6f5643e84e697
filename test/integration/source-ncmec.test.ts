/**
 * The NCMEC source against the loopback NCMEC mock, over real HTTP: paging, windows, checkpoints, faults,
 * feedback and credential hygiene.
 */
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isTidscanError, SyncError } from '../../src/errors.js';
import { HTTP_DIAGNOSTICS_CHANNEL } from '../../src/sync/http.js';
import type { NcmecCheckpoint } from '../../src/sync/ncmec/checkpoint.js';
import { createNcmecSource, type NcmecSourceOptions } from '../../src/sync/ncmec/source.js';
import { packedPageOf, withPackRequest } from '../../src/sync/packed-page.js';
import type { DeltaPage, HashListSource } from '../../src/sync/types.js';
import { type MockNcmecOptions, type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { PageApplier } from '../helpers/mock-page-applier.js';

const T0 = Date.UTC(2025, 0, 1);
const servers: MockNcmecServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A fake clock shared by the mock (mutation timestamps) and the source (window ends). */
function fakeClock(start: number) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function setup(mock: MockNcmecOptions, source: Partial<NcmecSourceOptions> = {}, clockStart = T0 + 3 * 86400_000) {
  const clock = fakeClock(clockStart);
  const server = await startMockNcmecServer({ now: clock.now, ...mock });
  servers.push(server);
  const ncmec = createNcmecSource({
    baseUrl: server.url,
    username: server.username,
    password: server.password,
    since: new Date(T0 - 86400_000),
    now: clock.now,
    retryDelayMs: 1,
    maxRetryDelayMs: 20,
    timeoutMs: 2000,
    ...source,
  });
  return { clock, server, ncmec, store: new PageApplier<NcmecCheckpoint>() };
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

/**
 * Syncs `maxPages` pages and stops, then waits until the server has answered the one read-ahead request the
 * source had already sent for the page after them, so later request counts belong to the next sync only.
 */
async function syncPages(store: PageApplier<NcmecCheckpoint>, ncmec: HashListSource<NcmecCheckpoint>, server: MockNcmecServer, maxPages: number): Promise<void> {
  const before = server.requests.length;
  await store.sync(ncmec, { maxPages });
  await expect.poll(() => server.requests.length - before, { timeout: 2000 }).toBe(maxPages + 1);
}

function windowEnds(store: PageApplier<NcmecCheckpoint>): number[] {
  return store.checkpoints.map((c) => Date.parse(c.windowEnd));
}

describe('NCMEC source: full and incremental sync', () => {
  it('ends with exactly the server list: out-of-order timestamps, videos, link-only and PDNA fingerprints, paging', async () => {
    const { server, ncmec, store } = await setup({ entries: 2500, spacingMs: 20_000, jitterMs: 120_000, videoFraction: 0.3, linkOnlyFraction: 0.5, pdnaFraction: 0.3 });
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
    expect(store.skipped).toEqual([]);
    expect(server.requests.some((r) => r.query.start !== undefined)).toBe(true); // it followed next-links
    expect([...store.entries.values()].some((e) => e.links?.some((l) => l.type === 'tmk-pdqf'))).toBe(true);
    // The checkpoint never rewinds and ends 5 s before now.
    const ends = windowEnds(store);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    expect(store.checkpoint).toEqual({ version: 1, windowEnd: new Date(Math.floor((server.now() - 5000) / 1000) * 1000).toISOString().replace('.000Z', 'Z') });
  });

  it('applies later adds, updates and update-then-delete on the next sync, and nothing twice', async () => {
    const { server, ncmec, store, clock } = await setup({ entries: 300, spacingMs: 60_000 });
    await store.sync(ncmec);
    clock.advance(10_000);
    const added = server.add({ kind: 'image', classification: 'A1' });
    server.update(server.generatedKey(5), { classification: 'B2' });
    const doomed = server.generatedKey(6);
    server.update(doomed, { classification: 'A2' });
    server.delete(doomed);
    const both = server.add({ kind: 'video' });
    server.update(both.key, { fingerprints: { md5: 'ab'.repeat(16) } });
    clock.advance(10_000);
    const before = server.requests.length;
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
    expect(store.entries.has(doomed)).toBe(false);
    expect(store.entries.get(added.key)?.classification).toBe('A1');
    expect(store.entries.get(server.generatedKey(5))?.classification).toBe('B2');
    expect(store.entries.get(both.key)?.fingerprints).toEqual({ md5: 'ab'.repeat(16) });
    // A small delta is one window, one request.
    expect(server.requests.length - before).toBe(1);
    // Nothing new: no entries, one empty request, the checkpoint still moves forward.
    clock.advance(60_000);
    const cp = store.checkpoint!;
    await store.sync(ncmec);
    expect(Date.parse(store.checkpoint!.windowEnd)).toBeGreaterThan(Date.parse(cp.windowEnd));
  });

  it('skips malformed records with reasons (bad PDQ hex, missing id) and keeps syncing', async () => {
    const { server, ncmec, store } = await setup({ entries: 10, spacingMs: 1000 });
    server.add({ id: 'bad-pdq', fingerprints: { pdq: 'zz'.repeat(32) } }, { timestamp: T0 + 60_000 });
    server.add({ id: '', fingerprints: { md5: 'ab'.repeat(16) } }, { timestamp: T0 + 61_000 });
    await store.sync(ncmec);
    expect(store.entries.size).toBe(10);
    expect(store.skipped).toHaveLength(2);
    expect(store.skipped[0]).toMatchObject({ key: '7001-bad-pdq', reason: expect.stringContaining('<pdq> must be 64 hex characters') });
    expect(store.skipped[1]!.reason).toContain('missing <id>');
  });
});

describe('NCMEC source: windows and cursors', () => {
  it('resumes mid-window from the saved next-link (same window, fresh) and finishes exactly', async () => {
    const { server, ncmec, store } = await setup({ entries: 3500, spacingMs: 1000, pageSize: 1000 });
    await syncPages(store, ncmec, server, 2);
    const cp = store.checkpoint!;
    expect(cp.paging).toBeDefined();
    expect(cp.paging!.nextUrl).toContain('start=2001');
    expect(cp.windowEnd).toBe(cp.paging!.windowFrom);
    const before = server.requests.length;
    await store.sync(ncmec);
    expect(server.requests[before]!.query).toMatchObject({ start: '2001' });
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('restarts the window instead of reusing a stale (> 12 h) cursor', async () => {
    const { server, ncmec, store, clock } = await setup({ entries: 2500, spacingMs: 1000 });
    await syncPages(store, ncmec, server, 1);
    expect(store.checkpoint!.paging).toBeDefined();
    clock.advance(13 * 3600_000);
    const before = server.requests.length;
    await store.sync(ncmec);
    expect(server.requests[before]!.query.start).toBeUndefined();
    expect(server.requests[before]!.query.from).toBe(store.checkpoints[0]!.windowEnd);
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('never reuses a next-link with another `to` (#1744): the mock skips entries like the real API, the source does not', async () => {
    const { server, ncmec, store } = await setup({ entries: 3000, spacingMs: 1000 });
    await syncPages(store, ncmec, server, 1);
    const cp = store.checkpoint!;
    // What a naive client would do: keep the cursor but move the window end. The offset cursor then skips.
    const link = new URL(server.url + cp.paging!.nextUrl);
    const movedTo = new Date(Date.parse(cp.paging!.windowTo) - 1500_000).toISOString();
    link.searchParams.set('to', movedTo);
    const auth = 'Basic ' + Buffer.from(`${server.username}:${server.password}`).toString('base64');
    const naive = await (await fetch(link, { headers: { authorization: auth } })).text();
    const naiveCount = (naive.match(/<image>|<video>/g) ?? []).length;
    const honestWindow = [...server.currentList().values()].filter(
      (e) => Date.parse(e.timestamp!) > Date.parse(cp.paging!.windowFrom) && Date.parse(e.timestamp!) <= Date.parse(movedTo),
    ).length;
    expect(naiveCount).toBeLessThan(honestWindow - 1000); // the first 1000 of the new window were never seen

    // A checkpoint whose link disagrees with its window is not resumed from: the window restarts.
    const tampered: NcmecCheckpoint = { ...cp, paging: { ...cp.paging!, windowTo: movedTo.replace('.000Z', 'Z') } };
    const fresh = new PageApplier<NcmecCheckpoint>();
    fresh.entries.clear();
    fresh.checkpoint = tampered;
    const before = server.requests.length;
    await fresh.sync(ncmec);
    expect(server.requests[before]!.query.start).toBeUndefined();
    // Together with the first page already applied, the list is complete.
    for (const [k, v] of store.entries) if (!fresh.entries.has(k)) fresh.entries.set(k, v);
    expect(fresh.withoutMetadata()).toEqual(server.currentList());
  });

  it("says on each page how many records are left in its window (the next-link's start and max), packed or not", async () => {
    const { ncmec } = await setup({ entries: 2500, pageSize: 1000, spacingMs: 1, startTime: T0 + 3_600_000 });
    for (const options of [{}, withPackRequest(ncmec, {}, { fingerprints: true })]) {
      const pages: Array<[number, number | undefined]> = [];
      for await (const page of ncmec.fetch(null, options)) {
        const count = packedPageOf(page)?.batch.count ?? page.updates.length;
        if (count > 0) pages.push([count, page.remainingHint]);
      }
      expect(pages).toEqual([[1000, 1500], [1000, 500], [500, undefined]]);
    }
  });

  it('a dense second (thousands of records in 1 s) shrinks the window to 1 s and pages through it', async () => {
    const { server, ncmec, store } = await setup({ entries: 6000, spacingMs: 0.5, startTime: T0 + 3_600_000 }, { maxWindowEntries: 1000 });
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
    const windows = server.requests.map((r) => Date.parse(r.query.to!) - Date.parse(r.query.from!));
    expect(windows).toContain(1000); // a 1-second window
    const oneSecondPages = server.requests.filter((r) => Date.parse(r.query.to!) - Date.parse(r.query.from!) === 1000 && r.query.start);
    expect(oneSecondPages.length).toBeGreaterThan(0); // ...paged with next-links
  });

  it('shrinks for a burst, grows again over the empty period after it, and yields a page per window to save progress', async () => {
    const { server, ncmec, store } = await setup({ entries: 40, spacingMs: 1000, pageSize: 5 }, { maxWindowEntries: 10 }, T0 + 2 * 86400_000);
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
    const firstPages = server.requests.filter((r) => r.query.start === undefined);
    const lengths = firstPages.map((r) => (Date.parse(r.query.to!) - Date.parse(r.query.from!)) / 1000);
    const smallest = Math.min(...lengths);
    expect(smallest).toBeLessThan(60); // shrunk for the burst...
    expect(lengths.at(-2)!).toBeGreaterThan(smallest * 100); // ...and grew back over the empty day
    const ends = windowEnds(store);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    expect(store.pages).toBeGreaterThan(20);
  });
});

describe('NCMEC source: faults', () => {
  it('retries 429 (Retry-After), 500 and 503 and ends complete', async () => {
    const { server, ncmec, store } = await setup({ entries: 2500, spacingMs: 1000 });
    server.faults.enqueue({ kind: 'status', status: 429, retryAfter: 1 });
    server.faults.enqueue({ kind: 'status', status: 500 });
    server.faults.enqueue({ kind: 'status', status: 503, retryAfter: 'Wed, 21 Oct 2037 07:28:00 GMT' });
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
    expect(server.requests.filter((r) => r.fault).map((r) => r.status)).toEqual([429, 500, 503]);
  });

  it('a stalled response times out (SYNC_TIMEOUT); pages before it stay committed and a later sync completes', async () => {
    const { server, ncmec, store } = await setup({ entries: 2500, spacingMs: 1000 }, { timeoutMs: 1000, retries: 0 });
    server.faults.enqueue({ kind: 'stall' }, { match: (r) => r.endpoint === 'entries' && r.query.has('start') });
    const err = await syncError(store.sync(ncmec));
    expect(err.code).toBe('SYNC_TIMEOUT');
    expect(store.pages).toBe(1);
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('a truncated page is SYNC_MALFORMED_RESPONSE and nothing of it is yielded; a cut connection is retried', async () => {
    const { server, ncmec, store } = await setup({ entries: 2500, spacingMs: 1000 });
    server.faults.enqueue({ kind: 'truncate', mode: 'malformed', fraction: 0.7 }, { match: (r) => r.query.get('start') === '1001' });
    const err = await syncError(store.sync(ncmec));
    expect(err.code).toBe('SYNC_MALFORMED_RESPONSE');
    expect(store.pages).toBe(1);
    expect(store.entries.size).toBe(1000);
    server.faults.enqueue({ kind: 'truncate', mode: 'cut', fraction: 0.5 });
    await store.sync(ncmec);
    expect(store.withoutMetadata()).toEqual(server.currentList());
  });

  it('reads one page ahead while the caller works on the current one, and cancels the read-ahead when the caller stops', async () => {
    const { server, ncmec } = await setup({ entries: 3500, spacingMs: 1000 });
    const sent: string[] = [];
    const onSend = (message: unknown) => sent.push(String((message as { request: { path: string } }).request.path));
    diagnostics.subscribe('undici:client:sendHeaders', onSend);
    const it = ncmec.fetch(null)[Symbol.asyncIterator]();
    let first: IteratorResult<DeltaPage>;
    try {
      first = await it.next();
      // Checked synchronously, as a caller's synchronous store commit would follow: the request for page 2 is
      // already written, so the server prepares it meanwhile.
      expect(sent).toHaveLength(2);
      expect(sent[1]).toContain('start=1001');
    } finally {
      diagnostics.unsubscribe('undici:client:sendHeaders', onSend);
    }
    expect(first.done).toBe(false);
    await expect.poll(() => server.requests.filter((r) => r.endpoint === 'entries').length, { timeout: 2000 }).toBe(2);
    const second = await it.next();
    expect((second.value as DeltaPage).updates[0]!.key).not.toBe((first.value as DeltaPage).updates[0]!.key);
    // Stopping now abandons the read-ahead of page 3 without an unhandled rejection or a further request.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await it.return!(undefined);
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
      expect(server.requests.filter((r) => r.endpoint === 'entries').length).toBeLessThanOrEqual(3);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a failing read-ahead surfaces only after the page before it was handed over', async () => {
    const { server, ncmec } = await setup({ entries: 2500, spacingMs: 1000 }, { retries: 0 });
    server.faults.enqueue({ kind: 'status', status: 500 }, { match: (r) => r.query.get('start') === '1001' });
    const it = ncmec.fetch(null)[Symbol.asyncIterator]();
    const first = await it.next();
    expect((first.value as DeltaPage).updates).toHaveLength(1000);
    const err = await syncError(it.next());
    expect(err.code).toBe('SYNC_HTTP_ERROR');
  });

  it('after any random fault schedule and retries, the list equals the server list (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant({ kind: 'status', status: 503 } as const),
            fc.constant({ kind: 'status', status: 429, retryAfter: 0 } as const),
            fc.constant({ kind: 'status', status: 500 } as const),
            fc.constant({ kind: 'truncate', mode: 'malformed' } as const),
            fc.constant({ kind: 'truncate', mode: 'cut' } as const),
            fc.constant({ kind: 'reset' } as const),
            fc.constant({ kind: 'stall' } as const),
          ),
          { maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 1500 }),
        fc.array(fc.tuple(fc.nat(299), fc.constantFrom('update', 'delete', 'add')), { maxLength: 8 }),
        async (faults, entries, mutations) => {
          const { server, ncmec, store, clock } = await setup(
            { entries, spacingMs: 30_000, jitterMs: 60_000, pageSize: 200 },
            { timeoutMs: 500, retries: 1, maxWindowEntries: 500 },
          );
          for (const fault of faults) server.faults.enqueue(fault, { match: (r) => r.endpoint === 'entries' });
          const runUntilDone = async () => {
            for (let attempt = 0; attempt < 20; attempt++) {
              try {
                await store.sync(ncmec);
                return;
              } catch (err) {
                if (!isTidscanError(err)) throw err;
              }
            }
            throw new Error('did not converge');
          };
          await runUntilDone();
          clock.advance(10_000);
          for (const [i, op] of mutations) {
            if (op === 'add') server.add({});
            else if (i < entries) {
              const key = server.generatedKey(i);
              if (server.latest(key)?.content) {
                if (op === 'update') server.update(key, { classification: 'B2' });
                else server.delete(key);
              }
            }
          }
          clock.advance(10_000);
          await runUntilDone();
          expect(store.withoutMetadata()).toEqual(server.currentList());
          await server.close();
          servers.splice(servers.indexOf(server), 1);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('NCMEC source: feedback and status', () => {
  it('submits up and down votes as the documented XML, once, and reads reasons and status', async () => {
    const { server, ncmec } = await setup({});
    const reasons = await ncmec.getFeedbackReasons('pdq');
    expect(reasons.map((r) => r.type)).toEqual(['PDQ', 'PDQ']);
    await ncmec.submitFeedback({ memberId: '7001', entryId: 'tid-000123', type: 'md5', vote: 'up' });
    await ncmec.submitFeedback({ memberId: '7001', entryId: 'tid-000123', type: 'PDQ', vote: 'down', reasonIds: [reasons[0]!.guid] });
    expect(server.feedback).toEqual([
      expect.objectContaining({ espId: '7001', entryId: 'tid-000123', type: 'MD5', vote: 'affirmative', reasonIds: [], contentType: 'application/xml; charset=utf-8' }),
      expect.objectContaining({ type: 'PDQ', vote: 'negative', reasonIds: [reasons[0]!.guid] }),
    ]);
    expect(server.feedback[0]!.body).toBe('<feedbackSubmission xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><affirmative/></feedbackSubmission>');
    expect(await ncmec.getStatus()).toEqual({ ipAddress: '127.0.0.1', username: server.username, member: { id: '7001', name: 'Take It Down' } });
  });

  it('never retries a vote: a 503 is FEEDBACK_FAILED after exactly one request', async () => {
    const { server, ncmec } = await setup({});
    server.faults.enqueue({ kind: 'status', status: 503 }, { match: (r) => r.endpoint === 'feedback' });
    const err = await syncError(ncmec.submitFeedback({ memberId: '7001', entryId: 'x', type: 'MD5', vote: 'up' }));
    expect(err.code).toBe('FEEDBACK_FAILED');
    expect(err.details.status).toBe(503);
    expect(server.requests.filter((r) => r.endpoint === 'feedback')).toHaveLength(1);
    await expect(ncmec.submitFeedback({ memberId: '7001', entryId: 'x', type: 'MD5', vote: 'down' })).rejects.toThrow(TypeError);
  });
});

describe('NCMEC source: credentials and options', () => {
  it('a wrong password is SYNC_AUTH_FAILED, and no credential appears in the error, its details or diagnostics', async () => {
    const password = 'S3cret-Pa55word!';
    const { ncmec } = await setup({}, { password, username: 'ops-user' });
    const events: unknown[] = [];
    const listener = (m: unknown) => events.push(m);
    diagnostics.subscribe(HTTP_DIAGNOSTICS_CHANNEL, listener);
    let err: SyncError;
    try {
      err = await syncError(new PageApplier<NcmecCheckpoint>().sync(ncmec));
    } finally {
      diagnostics.unsubscribe(HTTP_DIAGNOSTICS_CHANNEL, listener);
    }
    expect(err.code).toBe('SYNC_AUTH_FAILED');
    const text = JSON.stringify([err.message, err.details, err.stack, err.toJSON(), events]);
    for (const secret of [password, encodeURIComponent(password), Buffer.from(`ops-user:${password}`).toString('base64')]) {
      expect(text).not.toContain(secret);
    }
  });

  it('reads credentials from the environment, and names the variable (never a value) when missing', async () => {
    const server = await startMockNcmecServer({ entries: 3 });
    servers.push(server);
    const env = { TIDSCAN_NCMEC_USER: server.username, TIDSCAN_NCMEC_PASSWORD: server.password };
    const ncmec = createNcmecSource({ baseUrl: server.url, env, since: new Date(T0 - 60_000) });
    const store = new PageApplier<NcmecCheckpoint>();
    await store.sync(ncmec);
    expect(store.entries.size).toBe(3);
    expect(() => createNcmecSource({ baseUrl: server.url, env: { TIDSCAN_NCMEC_USER: 'u' } })).toThrow(
      'Expected `password` to be set, or the TIDSCAN_NCMEC_PASSWORD environment variable',
    );
  });

  it('refuses plain http to a non-loopback host and credentials in the URL; validates options eagerly', () => {
    const creds = { username: 'u', password: 'p' };
    let err: unknown;
    try {
      createNcmecSource({ baseUrl: 'http://report.cybertip.org/hashsharing', ...creds });
    } catch (e) {
      err = e;
    }
    expect(isTidscanError(err) && err.code).toBe('SYNC_INSECURE_URL');
    expect(() => createNcmecSource({ baseUrl: 'https://u:p@report.cybertip.org/hashsharing', ...creds })).toThrow(/without credentials/);
    expect(() => createNcmecSource({ baseUrl: 'https://report.cybertip.org/hashsharing', ...creds, maxWindowEntries: 0 })).toThrow(
      new RangeError('Expected `maxWindowEntries` to be an integer from 1 to 100000000, got 0'),
    );
    expect(() => createNcmecSource({ baseUrl: 'https://report.cybertip.org/hashsharing', ...creds, since: 'yesterday' })).toThrow(
      'Expected `since` to be an ISO 8601 date, got "yesterday"',
    );
    expect(() => createNcmecSource({ baseUrl: 'https://report.cybertip.org/hashsharing', ...creds })).not.toThrow();
  });

  it('rejects a corrupt checkpoint with SYNC_CHECKPOINT_INVALID', async () => {
    const { ncmec } = await setup({});
    const pages: DeltaPage<NcmecCheckpoint>[] = [];
    const err = await syncError(
      (async () => {
        for await (const p of ncmec.fetch({ version: 1, windowEnd: 'soon' } as unknown as NcmecCheckpoint)) pages.push(p);
      })(),
    );
    expect(err.code).toBe('SYNC_CHECKPOINT_INVALID');
    expect(pages).toEqual([]);
  });
});
