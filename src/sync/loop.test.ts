import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { startSyncLoop } from './loop.js';
import { type ListStore, openListStore } from './store.js';
import type { SyncReport } from './syncer-report.js';
import type { HashListSource } from './types.js';

let dir: string;
let store: ListStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-loop-'));
  store = openListStore(path.join(dir, 'list.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A source whose n-th fetch yields one page adding key `k<n>`; `gate` can hold a fetch open. */
function counting(gate?: Promise<void>): HashListSource & { fetches: number } {
  const source = {
    id: 'c',
    name: 'fake',
    fetches: 0,
    async *fetch() {
      const n = ++source.fetches;
      if (gate) await gate;
      yield { updates: [{ key: `k${n}`, entry: { source: 'c', id: `k${n}`, kind: 'image' as const, fingerprints: {} } }], skipped: [], checkpoint: n };
    },
  };
  return source;
}

describe('startSyncLoop', () => {
  it('runs at once, then every interval, and hands each report to onReport', async () => {
    const reports: SyncReport[] = [];
    const source = counting();
    const loop = startSyncLoop({ store, sources: [source], interval: 1000, jitter: 0, onReport: (r) => void reports.push(r) });
    await new Promise((r) => setTimeout(r, 1500));
    await loop.stop();
    expect(reports.map((r) => r.ok)).toEqual([true, true]);
    expect(reports.map((r) => r.version)).toEqual([1, 2]);
    expect(loop.active).toBe(false);
    expect(loop.lastReport).toBe(reports[1]);
  });

  it('joins a run in progress on runNow, and stop aborts it', async () => {
    let open!: () => void;
    const source = counting(new Promise<void>((r) => (open = r)));
    const loop = startSyncLoop({ store, sources: [source], interval: 60_000 });
    const a = loop.runNow();
    expect(loop.runNow()).toBe(a);
    const stopped = loop.stop();
    open();
    await stopped;
    expect((await a).error?.code).toBe('SYNC_ABORTED');
    expect(source.fetches).toBe(1);
    await loop.runNow().then(
      () => expect.fail('runNow after stop must reject'),
      (err) => expect(isTidscanError(err) && err.code).toBe('SYNC_ABORTED'),
    );
  });

  it('survives a throwing onReport and stops on its signal', async () => {
    const controller = new AbortController();
    let calls = 0;
    const loop = startSyncLoop({
      store,
      sources: [counting()],
      interval: 1000,
      jitter: 0,
      signal: controller.signal,
      onReport: () => {
        calls++;
        throw new Error('callback bug');
      },
    });
    await new Promise((r) => setTimeout(r, 1300));
    controller.abort();
    await new Promise((r) => setTimeout(r, 50));
    expect(loop.active).toBe(false);
    expect(calls).toBe(2);
  });

  it('validates its options and those of sync() at once', () => {
    expect(() => startSyncLoop({ store, sources: [], interval: 10 })).toThrow(new RangeError('Expected `interval` to be an integer from 1000 to 2147483647, got 10'));
    expect(() => startSyncLoop({ store, sources: [], stallTimeoutMs: 1 })).toThrow(RangeError);
  });
});
