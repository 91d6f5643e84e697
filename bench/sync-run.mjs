// @ts-check
/**
 * One `bench:sync` scenario that goes through `sync()` (or the download baseline), run by bench/sync.ts in a
 * fresh process: `node --expose-gc bench/sync-run.mjs <scenario> <server JSON>`.
 *
 * Plain JavaScript so that it runs the built package (`dist/`, what users install) under plain `node`. Under tsx
 * every worker thread the library starts (store writer, source thread) also boots tsx and its loader thread,
 * which costs ~0.5 s per thread and more CPU throughout; `--from-source` runs the TypeScript sources instead
 * (launched with `--import tsx`), for comparison.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';

const SINCE = '2024-12-31T00:00:00Z';
const fromSource = process.argv.includes('--from-source');
const lib = fromSource ? await import('../src/index.ts') : await import('../dist/index.js');

/** @typedef {{ url: string, username: string, password: string }} Server */

function peakRssMB() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** CPU time of this process so far, ms: all threads (exited ones too), and the main thread alone (Linux). */
function cpuNow() {
  const { user, system } = process.cpuUsage();
  let main;
  try {
    // /proc reports in USER_HZ (100 per second on Linux); fields after the command name: utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    main = (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    main = undefined;
  }
  return { total: (user + system) / 1000, main };
}

/** Baseline: GET every page of the window and read the body; count records; parse nothing. @param {Server} server */
async function download(server) {
  const auth = 'Basic ' + Buffer.from(`${server.username}:${server.password}`).toString('base64');
  const to = new Date(Date.now() - 5000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  /** @type {string | undefined} */
  let next = `${server.url}/v2/entries?from=${encodeURIComponent(SINCE)}&to=${encodeURIComponent(to)}`;
  let records = 0;
  const start = performance.now();
  while (next) {
    const res = await request(next, { headers: { authorization: auth } });
    const body = await res.body.text();
    for (let i = body.indexOf('<member'); i !== -1; i = body.indexOf('<member', i + 7)) records++;
    const m = /<next>([^<]*)<\/next>/.exec(body);
    next = m ? server.url + m[1].replaceAll('&amp;', '&') : undefined;
  }
  const ms = performance.now() - start;
  return { scenario: 'download', entries: records, ms, perSec: records / (ms / 1000), peakRssMB: peakRssMB() };
}

/**
 * parse + store (+ index when `withList`), end to end through sync().
 * @param {Server} server
 * @param {boolean} withList
 * @param {'full' | 'normal'} synchronous
 * @param {'auto' | 'thread' | 'inline'} storeWriter
 * @param {boolean | undefined} sourceThread - undefined: the library's default ('auto')
 */
async function runSync(server, withList, synchronous, storeWriter = 'auto', sourceThread = undefined) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-bench-sync-'));
  try {
    const file = path.join(dir, 'list.db');
    const store = lib.openListStore(file, { synchronous });
    const list = withList ? new lib.HashList() : undefined;
    const source = lib.createNcmecSource({ baseUrl: server.url, username: server.username, password: server.password, since: SINCE, maxWindowEntries: 5_000_000 });
    const cpuBefore = cpuNow();
    const start = performance.now();
    const report = await lib.sync({ store, sources: [source], storeWriter, ...(sourceThread !== undefined ? { sourceThread } : {}), ...(list ? { list } : {}) });
    const ms = performance.now() - start;
    const cpuAfter = cpuNow();
    if (!report.ok) throw new Error(`sync failed: ${JSON.stringify(report.error)}`);
    const entries = report.sources[0].added + report.sources[0].updated;
    /** @type {Record<string, unknown>} */
    const result = {
      scenario: `sync ${withList ? 'store+index' : 'store only'} (${synchronous})${storeWriter === 'auto' ? '' : `, ${storeWriter} writer`}${sourceThread === true ? ', source thread' : sourceThread === false ? ', no source thread' : ''}`,
      entries,
      ms,
      perSec: entries / (ms / 1000),
      peakRssMB: peakRssMB(),
      storeMB: Math.round((statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0)) / 1048576),
    };
    if (cpuBefore.main !== undefined && cpuAfter.main !== undefined) {
      const main = cpuAfter.main - cpuBefore.main;
      result.cpuMs = { syncingThread: main, otherThreads: Math.max(0, Math.round(cpuAfter.total - cpuBefore.total - main)) };
    }
    /** @type {{ gc?: () => void }} */ (globalThis).gc?.();
    result.liveHeapMB = Math.round(process.memoryUsage().heapUsed / 1048576);
    if (list) {
      result.listMB = Math.round(list.stats().memoryBytes / 1048576);
      const t = performance.now();
      const reloaded = lib.HashList.load(store);
      result.reloadMs = performance.now() - t;
      if (reloaded.size !== list.size) throw new Error('reload size mismatch');
    }
    store.close();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [name, serverJson] = process.argv.slice(2).filter((a) => a !== '--from-source');
/** @type {Server} */
const server = JSON.parse(serverJson ?? '');
const r =
  name === 'download' ? await download(server)
  : name === 'list' ? await runSync(server, true, 'full')
  : name === 'store' ? await runSync(server, false, 'full')
  : name === 'list-inline' ? await runSync(server, true, 'full', 'inline')
  : name === 'list-thread' ? await runSync(server, true, 'full', 'auto', true)
  : name === 'list-nothread' ? await runSync(server, true, 'full', 'auto', false)
  : name === 'list-again' ? { ...(await runSync(server, true, 'full')), scenario: 'sync store+index (full), again' }
  : name === 'list-source' ? { ...(await runSync(server, true, 'full')), scenario: 'sync store+index (full), from TypeScript sources' }
  : name === 'store-inline' ? await runSync(server, false, 'full', 'inline')
  : name === 'store-normal' ? await runSync(server, false, 'normal')
  : undefined;
if (r === undefined) throw new Error(`unknown scenario ${name}`);
process.stdout.write(JSON.stringify(r) + '\n');
