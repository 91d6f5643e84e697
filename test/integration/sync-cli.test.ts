/**
 * `tidscan sync` and `tidscan export` as real child processes against the loopback mocks: a sync killed with
 * SIGKILL mid-page resumes to exactly the server's list; two overlapping runs cannot interleave (one gets
 * SYNC_LOCKED, exit 75); the report is the last stdout line; export prints the contract fields.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openListStore } from '../../src/sync/store.js';
import type { SyncReport } from '../../src/sync/syncer-report.js';
import type { ListEntry } from '../../src/sync/types.js';
import { CLI_ENTRY, runCli } from '../helpers/cli.js';
import { type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { REPO_ROOT } from '../helpers/vectors.js';

let dir: string;
let storePath: string;
const servers: MockNcmecServer[] = [];
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-sync-cli-'));
  storePath = path.join(dir, 'list.db');
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function mock(entries: number): Promise<MockNcmecServer> {
  const server = await startMockNcmecServer({ entries, seed: 11, spacingMs: 2000, jitterMs: 30_000, pageSize: 100, videoFraction: 0.2 });
  servers.push(server);
  return server;
}

function env(server: MockNcmecServer): NodeJS.ProcessEnv {
  return { TIDSCAN_NCMEC_USER: server.username, TIDSCAN_NCMEC_PASSWORD: server.password };
}

function lastJson(stdout: string): SyncReport {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as SyncReport;
}

/** The store's entries without metadata, keyed like the mock's currentList. */
function storeList(): Map<string, ListEntry> {
  const store = openListStore(storePath, { readonly: true });
  try {
    const out = new Map<string, ListEntry>();
    for (const { key, entry } of store.iterateEntries()) {
      const { metadata: _m, ...rest } = entry;
      out.set(key, rest);
    }
    return out;
  } finally {
    store.close();
  }
}

function storeVersion(): number {
  try {
    const store = openListStore(storePath, { readonly: true });
    try {
      return store.version;
    } finally {
      store.close();
    }
  } catch {
    return -1; // not created yet
  }
}

function startSync(server: MockNcmecServer, extra: string[] = []): ChildProcess & { done: Promise<{ status: number | null; signal: string | null; stdout: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'sync', '--store', storePath, '--source', 'ncmec', '--url', server.url, ...extra], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env(server) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  const done = new Promise<{ status: number | null; signal: string | null; stdout: string }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout })),
  );
  return Object.assign(child, { done });
}

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tidscan sync (child process)', () => {
  // With commits on the writer thread the kill can also land while that thread is inside a transaction.
  it.each([
    ['inline store writer', ['--store-writer', 'inline']],
    ['thread store writer', ['--store-writer', 'thread']],
    ['source thread', ['--store-writer', 'thread', '--source-thread']],
  ])('resumes after SIGKILL mid-page and ends with exactly the server list (%s)', async (_, flags) => {
    const server = await mock(2500);
    // Every entries page trickles out over ~0.5 s, so a kill lands inside a page transfer.
    server.faults.setSchedule((req) => (req.endpoint === 'entries' ? { kind: 'slowBody', chunkBytes: 2048, intervalMs: 20 } : undefined));
    const first = startSync(server, flags);
    await until(() => storeVersion() >= 1, 45_000, 'a first committed page');
    const requestsAtCommit = server.requests.length;
    await until(() => server.requests.length > requestsAtCommit, 10_000, 'the next page request');
    await new Promise((r) => setTimeout(r, 120)); // inside that page's body
    first.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const partial = storeList();
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(server.currentList().size);

    server.faults.clear();
    const second = await runCli(['sync', '--store', storePath, '--source', 'ncmec', '--url', server.url], { env: env(server) });
    expect(second.status, second.stderr).toBe(0);
    const report = lastJson(second.stdout);
    expect(report.ok).toBe(true);
    expect(report.previousVersion).toBeGreaterThan(0);
    expect(storeList()).toEqual(server.currentList());

    // And the resumed store keeps following the server.
    // Timestamped after the window the last run completed (it ended 5 s before that run), visible to the next.
    const at = Date.now() - 3500;
    server.add({ kind: 'image', classification: 'A1' }, { timestamp: at });
    server.delete(server.generatedKey(3), { timestamp: at });
    await new Promise((r) => setTimeout(r, 2000));
    const third = await runCli(['sync', '--store', storePath, '--source', 'ncmec', '--url', server.url], { env: env(server) });
    expect(third.status, third.stderr).toBe(0);
    expect(storeList()).toEqual(server.currentList());
  });

  it('lets only one of two overlapping runs sync: the other reports SYNC_LOCKED and exits 75', async () => {
    const server = await mock(600);
    server.faults.setSchedule((req) => (req.endpoint === 'entries' ? { kind: 'delay', ms: 300 } : undefined));
    const first = startSync(server);
    await until(() => {
      try {
        const s = openListStore(storePath, { readonly: true });
        try {
          return s.readLock('sync') !== undefined;
        } finally {
          s.close();
        }
      } catch {
        return false;
      }
    }, 30_000, 'the first run to take the lock');
    const second = await runCli(['sync', '--store', storePath, '--source', 'ncmec', '--url', server.url], { env: env(server) });
    expect(second.status).toBe(75);
    const locked = lastJson(second.stdout);
    expect(locked).toMatchObject({ ok: false, sources: [], error: { code: 'SYNC_LOCKED' } });
    expect(locked.error!.message).toContain(`pid ${first.pid}`);
    const done = await first.done;
    expect(done.status).toBe(0);
    expect(lastJson(done.stdout).ok).toBe(true);
    expect(storeList()).toEqual(server.currentList());
  });

  it('syncs from a config file, never prints credentials, and exports the contract fields', async () => {
    const server = await mock(150);
    const config = path.join(dir, 'tidscan.json');
    writeFileSync(config, JSON.stringify({ store: 'list.db', sources: [{ type: 'ncmec', id: 'tid', url: server.url }] }));
    const run = await runCli(['sync', '--config', config, '--progress'], { env: env(server) });
    expect(run.status, run.stderr).toBe(0);
    for (const out of [run.stdout, run.stderr]) {
      expect(out).not.toContain(server.password);
      expect(out).not.toContain(Buffer.from(`${server.username}:${server.password}`).toString('base64'));
    }
    const events = run.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toContain('page');
    expect(events.filter((e) => e.event === 'page').every((e) => e.fetcher === 'inline')).toBe(true);
    const report = lastJson(run.stdout);
    expect(report.sources[0]).toMatchObject({ id: 'tid', name: 'ncmec', ok: true, added: server.currentList().size });

    // The same through a source thread ("sourceThread": true), into a second store.
    const threaded = path.join(dir, 'tidscan-thread.json');
    writeFileSync(threaded, JSON.stringify({ store: 'list-thread.db', sourceThread: true, sources: [{ type: 'ncmec', id: 'tid', url: server.url }] }));
    const viaThread = await runCli(['sync', '--config', threaded, '--progress'], { env: env(server) });
    expect(viaThread.status, viaThread.stderr).toBe(0);
    for (const out of [viaThread.stdout, viaThread.stderr]) expect(out).not.toContain(server.password);
    const threadPages = viaThread.stderr.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'page');
    expect(threadPages.length).toBeGreaterThan(0);
    expect(threadPages.every((e) => e.fetcher === 'thread')).toBe(true);
    expect(lastJson(viaThread.stdout).sources[0]).toMatchObject({ ok: true, added: server.currentList().size });

    const exported = await runCli(['export', '--store', storePath]);
    expect(exported.status, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(server.currentList().size);
    for (const line of lines) expect(Object.keys(line).slice(0, 6)).toEqual(['source', 'id', 'member', 'classification', 'kind', 'fingerprints']);
    const expected = server.currentList('tid');
    for (const line of lines) {
      const want = expected.get(line.key as string)!;
      expect({ source: line.source, id: line.id, member: line.member, kind: line.kind, fingerprints: line.fingerprints }).toEqual({
        source: want.source,
        id: want.id,
        member: want.member,
        kind: want.kind,
        fingerprints: want.fingerprints,
      });
    }
  });

  it('exits non-zero with the report on the last line when the server rejects the credentials', async () => {
    const server = await mock(10);
    const run = await runCli(['sync', '--store', storePath, '--source', 'ncmec', '--url', server.url], {
      env: { TIDSCAN_NCMEC_USER: server.username, TIDSCAN_NCMEC_PASSWORD: 'wrong-password-123' },
    });
    expect(run.status).toBe(1);
    expect(lastJson(run.stdout)).toMatchObject({ ok: false, error: { code: 'SYNC_AUTH_FAILED' } });
    expect(run.stdout + run.stderr).not.toContain('wrong-password-123');
  });
});
