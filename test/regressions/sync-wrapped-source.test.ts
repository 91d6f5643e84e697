/**
 * Regression (found in review before it shipped): `sync()` asks the NCMEC source for packed pages through its fetch
 * options, and a packed page's public `updates` array is empty. A plug-in source that wraps the built-in one,
 * forwards the options (for the abort signal, say) and rebuilds each page from its `updates` would then have
 * dropped every entry while its checkpoints advanced. Only fetch functions that pack themselves get the request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { HashList } from '../../src/list/hash-list.js';
import { createNcmecSource } from '../../src/sync/ncmec/source.js';
import { openListStore } from '../../src/sync/store.js';
import { sync } from '../../src/sync/syncer.js';
import type { DeltaPage, FetchOptions, HashListSource } from '../../src/sync/types.js';
import { startMockNcmecServer } from '../helpers/mock-ncmec-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a source wrapping the NCMEC source and forwarding its fetch options still delivers every entry', async () => {
  const now = () => Date.UTC(2025, 0, 10);
  const server = await startMockNcmecServer({ entries: 300, seed: 7, pageSize: 50, now });
  cleanups.push(() => server.close());
  const inner = createNcmecSource({ baseUrl: server.url, username: server.username, password: server.password, since: '2024-12-01T00:00:00Z', now });
  let pagesSeen = 0;
  const wrapped: HashListSource = {
    name: 'wrapped-ncmec',
    id: inner.id,
    async *fetch(checkpoint: unknown, options?: FetchOptions): AsyncGenerator<DeltaPage> {
      for await (const page of inner.fetch(checkpoint as never, options)) {
        pagesSeen++;
        yield { updates: page.updates.map((u) => ({ ...u })), skipped: page.skipped ?? [], checkpoint: page.checkpoint };
      }
    },
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-wrapped-'));
  const store = openListStore(path.join(dir, 'list.db'));
  cleanups.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const list = new HashList();
  for (const sourceThread of [false, true]) {
    const report = await sync({ store, list, sources: [wrapped], sourceThread });
    expect(report.ok).toBe(true);
  }
  expect(pagesSeen).toBeGreaterThan(1);
  const expected = server.currentList();
  expect(store.stats().entries).toBe(expected.size);
  expect(list.size).toBe(expected.size);
});
