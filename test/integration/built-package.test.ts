/**
 * The package as users run it: built by tsup, loaded under plain `node` through its ES module and its CommonJS
 * entry point, syncing from the loopback NCMEC mock with the store writer and the source on their worker threads.
 * Every other test runs the TypeScript sources, where the threads load their scripts through tsx; only here do
 * the built worker scripts (`store-worker.cjs`, `source-worker.cjs` beside the bundle) run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
// Inside the repository, so that the bundle resolves undici and better-sqlite3 from its node_modules.
const OUT = path.join(ROOT, 'node_modules', '.cache', 'tidscan-built-package-test');
const ENTRIES = 3000;

let server: MockNcmecServer;
let work: string;

beforeAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--out-dir', OUT], { cwd: ROOT, stdio: 'pipe' });
  server = await startMockNcmecServer({ entries: ENTRIES, pageSize: 500, spacingMs: 50 });
  work = mkdtempSync(path.join(tmpdir(), 'tidscan-built-package-'));
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(OUT, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What the child process prints: the sync's outcome and which threads committed and fetched its pages. */
interface Outcome {
  ok: boolean;
  added: number;
  listSize: number;
  threads: string[];
}

const SCRIPT = `
  const { subscribe } = lib.diagnostics;
  const threads = new Set();
  subscribe('tidscan:sync:page', (m) => threads.add(m.writer + ' writer, ' + m.fetcher + ' fetcher'));
  const store = lib.openListStore(process.env.STORE);
  const list = new lib.HashList();
  const s = JSON.parse(process.env.SERVER);
  const source = lib.createNcmecSource({ baseUrl: s.url, username: s.username, password: s.password, since: '2024-12-31T00:00:00Z' });
  lib.sync({ store, list, sources: [source], storeWriter: 'thread', sourceThread: true, commitEvery: { updates: 1000 } }).then((r) => {
    store.close();
    process.stdout.write(JSON.stringify({ ok: r.ok, error: r.error, added: r.sources[0].added, listSize: list.size, threads: [...threads] }));
  });
`;

async function runBuilt(flavour: 'esm' | 'cjs'): Promise<Outcome> {
  const env = { ...process.env, STORE: path.join(work, `${flavour}.db`), SERVER: JSON.stringify({ url: server.url, username: server.username, password: server.password }) };
  const load =
    flavour === 'esm' ?
      `const lib = { ...(await import(${JSON.stringify(path.join(OUT, 'index.js'))})), diagnostics: await import('node:diagnostics_channel') };`
    : `const lib = { ...require(${JSON.stringify(path.join(OUT, 'index.cjs'))}), diagnostics: require('node:diagnostics_channel') };`;
  const args = flavour === 'esm' ? ['--input-type=module', '-e', load + SCRIPT] : ['-e', load + SCRIPT];
  const { stdout } = await promisify(execFile)(process.execPath, args, { env, cwd: work, timeout: 60_000 });
  return JSON.parse(stdout) as Outcome;
}

describe('the built package', () => {
  it.each(['esm', 'cjs'] as const)('syncs through its %s entry point with the store writer and the source on their threads', async (flavour) => {
    const outcome = await runBuilt(flavour);
    expect(outcome).toEqual({ ok: true, added: ENTRIES, listSize: ENTRIES, threads: ['thread writer, thread fetcher'] });
  });
});
