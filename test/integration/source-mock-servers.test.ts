/**
 * The loopback mock servers speak the documented wire formats (tests for the test doubles: the demo, the store
 * tests and bench:sync rely on them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMockNcmecServer, type MockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { startMockStopNciiServer, type MockStopNciiServer } from '../helpers/mock-stopncii-server.js';

const closers: Array<MockNcmecServer | MockStopNciiServer> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((s) => s.close()));
});

async function ncmecGet(server: MockNcmecServer, path: string, auth = true) {
  const headers: Record<string, string> = auth ? { authorization: 'Basic ' + Buffer.from(`${server.username}:${server.password}`).toString('base64') } : {};
  const res = await fetch(server.url + path, { headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('mock NCMEC server', () => {
  it('serves namespaced XML pages with HTML-escaped relative next-links under a base path, and requires Basic auth', async () => {
    const server = await startMockNcmecServer({ entries: 5, pageSize: 2 });
    closers.push(server);
    expect(new URL(server.url).pathname).toBe('/hashsharing');
    const denied = await ncmecGet(server, '/v2/entries?from=2024-12-31T00:00:00Z&to=2025-01-02T00:00:00Z', false);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toContain('Basic');
    const page = await ncmecGet(server, '/v2/entries?from=2024-12-31T00:00:00Z&to=2025-01-02T00:00:00Z');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">');
    expect(page.text).toContain(
      '<next>/v2/entries?from=2024-12-31T00%3A00%3A00.000Z&amp;to=2025-01-02T00%3A00%3A00.000Z&amp;start=3&amp;size=2&amp;max=5</next>',
    );
  });

  it('serves the same pages when it prerenders its generated entries (the benchmark mode), mutations included', async () => {
    const options = { entries: 300, pageSize: 70, spacingMs: 20_000, jitterMs: 60_000, videoFraction: 0.3, linkOnlyFraction: 0.5, pdnaFraction: 0.5 };
    const plain = await startMockNcmecServer(options);
    const fast = await startMockNcmecServer({ ...options, prerender: true });
    closers.push(plain, fast);
    for (const server of [plain, fast]) server.update(server.generatedKey(3), { classification: 'B2' }, { timestamp: Date.UTC(2025, 0, 1, 0, 30) });
    const window = 'from=2024-12-31T00:00:00Z&to=2025-01-03T00:00:00Z';
    for (const start of [1, 71, 141, 211, 281]) {
      const path = `/v2/entries?${window}&start=${start}&size=70`;
      const [a, b] = await Promise.all([ncmecGet(plain, path), ncmecGet(fast, path)]);
      expect(a.status).toBe(200);
      expect(b.text).toBe(a.text);
    }
  });

  it('serves prerendered records across its slabs of 65 536 records byte for byte', async () => {
    const options = { entries: 66_000, spacingMs: 1000, videoFraction: 0.2 };
    const plain = await startMockNcmecServer(options);
    const fast = await startMockNcmecServer({ ...options, prerender: true });
    closers.push(plain, fast);
    const window = 'from=2024-12-31T00:00:00Z&to=2025-02-01T00:00:00Z';
    for (const start of [1, 65_480, 65_950]) {
      const path = `/v2/entries?${window}&start=${start}&size=100`;
      const [a, b] = await Promise.all([ncmecGet(plain, path), ncmecGet(fast, path)]);
      expect(a.status).toBe(200);
      expect((a.text.match(/<id>/g) ?? []).length).toBe(start === 65_950 ? 51 : 100);
      expect(b.text).toBe(a.text);
    }
  });

  it('selects from-exclusive, to-inclusive windows, accepting timestamps with and without millis', async () => {
    const start = Date.UTC(2025, 0, 1);
    const server = await startMockNcmecServer({ entries: 3, startTime: start, spacingMs: 1000, videoFraction: 0 });
    closers.push(server);
    const ids = async (from: string, to: string) => [...(await ncmecGet(server, `/v2/entries?from=${from}&to=${to}`)).text.matchAll(/<id>([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(await ids('2025-01-01T00:00:00Z', '2025-01-01T00:00:02Z')).toEqual(['img-0000001', 'img-0000002']);
    expect(await ids('2024-12-31T23:59:59.000Z', '2025-01-01T00:00:01.000Z')).toEqual(['img-0000000', 'img-0000001']);
    expect((await ncmecGet(server, '/v2/entries?from=yesterday&to=2025-01-01T00:00:01Z')).status).toBe(400);
  });

  it('keeps superseded versions in arrival order, with deleted records, and reports the current list', async () => {
    const server = await startMockNcmecServer({ entries: 2, now: () => Date.UTC(2025, 0, 2) });
    closers.push(server);
    const key = server.generatedKey(0);
    server.update(key, { classification: 'A2' }, { timestamp: Date.UTC(2025, 0, 2) });
    server.delete(key, { timestamp: Date.UTC(2025, 0, 1, 12) }); // earlier timestamp, later arrival
    const added = server.add({ kind: 'video', fingerprints: { md5: 'ab'.repeat(16) } });
    const text = (await ncmecGet(server, '/v2/entries?from=2024-12-31T00:00:00Z&to=2025-01-03T00:00:00Z')).text;
    const order = [...text.matchAll(/<(image|video|deletedImage|deletedVideo)>/g)].map((m) => m[1]);
    expect(order).toEqual(['image', 'image', 'image', 'deletedImage', 'video']);
    expect(server.currentList().has(key)).toBe(false);
    expect(server.currentList().get(added.key)?.fingerprints).toEqual({ md5: 'ab'.repeat(16) });
    expect(server.currentSize()).toBe(server.currentList().size);
  });

  it('serves status, reasons and records feedback', async () => {
    const server = await startMockNcmecServer();
    closers.push(server);
    expect((await ncmecGet(server, '/v2/status')).text).toContain(`<username>${server.username}</username>`);
    expect((await ncmecGet(server, '/v2/feedback/MD5/reasons')).text).toContain('type="Md5"');
    const res = await fetch(`${server.url}/v2/entries/7001/x/MD5/feedback`, {
      method: 'PUT',
      headers: { authorization: 'Basic ' + Buffer.from(`${server.username}:${server.password}`).toString('base64') },
      body: '<feedbackSubmission xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><affirmative/></feedbackSubmission>',
    });
    expect(res.status).toBe(200);
    expect(server.feedback).toMatchObject([{ espId: '7001', entryId: 'x', type: 'MD5', vote: 'affirmative' }]);
  });

  it('injects queued faults only into matching requests', async () => {
    const server = await startMockNcmecServer({ entries: 1 });
    closers.push(server);
    server.faults.enqueue({ kind: 'status', status: 429, retryAfter: 3 });
    expect((await ncmecGet(server, '/v2/status')).status).toBe(200); // not an entries request
    const limited = await ncmecGet(server, '/v2/entries?from=2024-12-31T00:00:00Z&to=2025-01-02T00:00:00Z');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(server.faults.pending).toBe(0);
    expect(server.requests.map((r) => [r.endpoint, r.status, r.fault])).toEqual([
      ['status', 200, undefined],
      ['entries', 429, 'status'],
    ]);
  });
});

describe('mock StopNCII server', () => {
  it('requires both key headers and pages with tokens in lastModtimestamp order, inclusive start', async () => {
    const server = await startMockStopNciiServer({ entries: 5, startTimestamp: 1000, pageSize: 2 });
    closers.push(server);
    const headers = { 'x-functions-key': server.functionKey, 'Ocp-Apim-Subscription-Key': server.subscriptionKey };
    expect((await fetch(`${server.url}/FetchHashes`, { headers: { 'x-functions-key': server.functionKey } })).status).toBe(401);
    const seen: number[] = [];
    let token: string | undefined;
    do {
      const url = `${server.url}/FetchHashes?startTimestamp=1001&pageSize=2${token ? `&nextPageToken=${token}` : ''}`;
      const body = (await (await fetch(url, { headers })).json()) as { hashRecords: Array<{ lastModtimestamp: number }>; nextPageToken?: string; hasMoreRecords: boolean };
      seen.push(...body.hashRecords.map((r) => r.lastModtimestamp));
      token = body.nextPageToken;
      expect(body.hasMoreRecords).toBe(token !== undefined);
    } while (token);
    expect(seen).toEqual([1001, 1002, 1003, 1004]);
  });
});
