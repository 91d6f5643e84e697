/**
 * `npm run bench:sync [-- --entries 1000000 --small 100000]`
 *
 * Entries from the loopback NCMEC mock (in its own process) through XML parse + store commit + in-memory index,
 * end to end with `sync()`, against a baseline measured in the same run: the raw HTTP download of the same pages
 * (bodies read, next-links followed, nothing parsed or stored). Each scenario runs in a fresh child process so
 * its peak RSS is its own. The download and `sync()` scenarios run the built package under plain `node`
 * (bench/sync-run.mjs; `npm run bench:sync` builds first), as users run it; one end-to-end scenario runs the
 * TypeScript sources under tsx for comparison. Reported: entries/s, the ratio to the baseline, peak RSS at the
 * small and the large list size (the growth is what the list itself holds; the streaming pipeline's memory is bounded by page size),
 * the cost of `synchronous=FULL` over `NORMAL`, the reload time of the list from the store at startup, the mock
 * server's own CPU time during each scenario (`serverCpuMs`: it shares the two cores with the client), and at the
 * large size the default (store commits on the writer thread; the source moving to a thread of its own after
 * 20 000 updates, `sourceThread: 'auto'`) against commits on the syncing thread, against `sourceThread: true`
 * (HTTP, parsing and validation on a thread of their own from the start) and against `sourceThread: false`. "source alone" iterates the source's
 * public `fetch()` (update objects); "source packed" asks for the packed pages `sync()` uses (usual records read on
 * the fast path).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { prepareUpdates } from '../src/sync/apply.js';
import { createNcmecSource } from '../src/sync/ncmec/source.js';
import { packedPageOf, withPackRequest } from '../src/sync/packed-page.js';
import { openListStore } from '../src/sync/store.js';
import { startMockNcmecServer } from '../test/helpers/mock-ncmec-server.js';

const SELF = fileURLToPath(import.meta.url);
const RUNNER = fileURLToPath(new URL('./sync-run.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SINCE = '2024-12-31T00:00:00Z';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

interface Server {
  url: string;
  username: string;
  password: string;
  /** The mock's process id, to read its CPU time (Linux). */
  pid?: number;
}

interface Result {
  scenario: string;
  entries: number;
  ms: number;
  perSec: number;
  peakRssMB: number;
  listMB?: number;
  reloadMs?: number;
  storeMB?: number;
  /** V8 heap still in use after the sync and a forced GC. */
  liveHeapMB?: number;
  /** CPU during the sync, ms: the syncing (main) thread, and every other thread (writer, V8 helpers, libuv). */
  cpuMs?: { syncingThread: number; otherThreads: number };
  /**
   * CPU time of the mock server's process during the scenario, ms (Linux): it shares the machine's cores with the
   * client the scenario measures, which a real list server would not.
   */
  serverCpuMs?: number;
}

/** Child: serve N generated entries until stdin closes. */
async function serve(entries: number): Promise<void> {
  // Prerendered: serving a page is a join, so the mock outpaces the client and the numbers are the client's.
  const server = await startMockNcmecServer({ entries, seed: 1, spacingMs: 500, recordRequests: false, prerender: true });
  process.stdout.write(JSON.stringify({ url: server.url, username: server.username, password: server.password, pid: process.pid }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Where the time goes: the same pipeline as a store-only sync, but timing separately the source (HTTP + XML
 * parse, awaiting each page) and our side (prepare + store commit, 10 000 updates per transaction).
 */
async function split(server: Server): Promise<Result[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidscan-bench-split-'));
  try {
    const store = openListStore(path.join(dir, 'list.db'));
    const source = createNcmecSource({ baseUrl: server.url, username: server.username, password: server.password, since: SINCE, maxWindowEntries: 5_000_000 });
    let sourceMs = 0;
    let commitMs = 0;
    let entries = 0;
    let batch: ReturnType<typeof prepareUpdates>['updates'] = [];
    let n = 0;
    const it = source.fetch(null)[Symbol.asyncIterator]();
    for (;;) {
      let t = performance.now();
      const step = await it.next();
      sourceMs += performance.now() - t;
      if (step.done) break;
      t = performance.now();
      for (const u of prepareUpdates('ncmec', step.value.updates).updates) batch.push(u);
      entries += step.value.updates.length;
      if (batch.length >= 10_000) {
        store.commit({ sourceId: 'ncmec', updates: batch, checkpoint: step.value.checkpoint });
        batch = [];
        n++;
      }
      commitMs += performance.now() - t;
    }
    const t = performance.now();
    if (batch.length) store.commit({ sourceId: 'ncmec', updates: batch, checkpoint: n });
    commitMs += performance.now() - t;
    store.close();
    // What sync() asks the source for: pages prepared and packed as they are parsed (the NCMEC fast path).
    const packedSource = createNcmecSource({ baseUrl: server.url, username: server.username, password: server.password, since: SINCE, maxWindowEntries: 5_000_000 });
    let packedMs = 0;
    let packedEntries = 0;
    const pages = packedSource.fetch(null, withPackRequest(packedSource, {}, { fingerprints: true }))[Symbol.asyncIterator]();
    for (;;) {
      const started = performance.now();
      const step = await pages.next();
      packedMs += performance.now() - started;
      if (step.done) break;
      packedEntries += packedPageOf(step.value)!.batch.count;
    }
    return [
      { scenario: 'source alone (HTTP + XML parse)', entries, ms: sourceMs, perSec: entries / (sourceMs / 1000), peakRssMB: peakRssMB() },
      { scenario: 'prepare + commit alone', entries, ms: commitMs, perSec: entries / (commitMs / 1000), peakRssMB: peakRssMB() },
      { scenario: 'source packed (HTTP + parse + pack)', entries: packedEntries, ms: packedMs, perSec: packedEntries / (packedMs / 1000), peakRssMB: peakRssMB() },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Parent: runs `node [nodeFlags] <script> ...args` (by default `--import tsx bench/sync.ts`) and returns its last
 * stdout line as JSON.
 */
function child<T>(args: string[], onFirstLine?: (line: string) => void, nodeFlags: string[] = [], script: string[] = ['--import', 'tsx', SELF]): { result: Promise<T>; stop: () => void } {
  const proc = spawn(process.execPath, [...nodeFlags, ...script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let last = '';
  let first = true;
  const lines = createInterface({ input: proc.stdout! });
  lines.on('line', (line) => {
    last = line;
    if (first && onFirstLine) onFirstLine(line);
    first = false;
  });
  const result = new Promise<T>((resolve, reject) =>
    proc.on('close', (status) => (status === 0 || onFirstLine ? resolve(JSON.parse(last) as T) : reject(new Error(`child ${args.join(' ')} exited ${status}`)))),
  );
  return { result, stop: () => proc.stdin!.end() };
}

async function withServer<T>(entries: number, fn: (server: Server) => Promise<T>): Promise<T> {
  let resolveServer!: (s: Server) => void;
  const ready = new Promise<Server>((r) => (resolveServer = r));
  const c = child<Server>(['--serve', String(entries)], (line) => resolveServer(JSON.parse(line) as Server));
  try {
    return await fn(await ready);
  } finally {
    c.stop();
    await c.result.catch(() => undefined);
  }
}

/** CPU time (user + system) of process `pid` so far, ms; undefined where /proc cannot tell. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name: utime is the 12th field, stime the 13th, in USER_HZ (100 per second on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** `run()`'s result with the mock server's CPU time during it. */
async function withServerCpu(server: Server, run: () => Promise<Result>): Promise<Result> {
  const before = processCpuMs(server.pid);
  const result = await run();
  const after = processCpuMs(server.pid);
  return before === undefined || after === undefined ? result : { ...result, serverCpuMs: after - before };
}

/** A download or `sync()` scenario in a fresh process: the built package under plain node (see bench/sync-run.mjs). */
async function scenario(name: string, server: Server, nodeFlags: string[] = []): Promise<Result> {
  return withServerCpu(server, () => child<Result>([name, JSON.stringify(server)], undefined, ['--expose-gc', ...nodeFlags], [RUNNER]).result);
}

/** The same `sync()` scenario run from the TypeScript sources under tsx. */
async function scenarioFromSource(name: string, server: Server): Promise<Result> {
  return withServerCpu(server, () => child<Result>([name, JSON.stringify(server), '--from-source'], undefined, ['--expose-gc', '--import', 'tsx'], [RUNNER]).result);
}

/** The V8 heap cap of the bounded-memory check: far below what the list itself would need at the large size. */
const CAPPED_HEAP_MB = 96;

async function main(): Promise<void> {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt !== -1) return serve(Number(process.argv[serveAt + 1]));
  const scenarioAt = process.argv.indexOf('--scenario');
  if (scenarioAt !== -1 && process.argv[scenarioAt + 1] === 'split') {
    const server = JSON.parse(process.argv[scenarioAt + 2]!) as Server;
    process.stdout.write(JSON.stringify(await split(server)) + '\n');
    return;
  }
  if (!existsSync(BUILT)) throw new Error('bench:sync runs the built package: run `npm run build` first (`npm run bench:sync` does)');

  const large = flag('entries', 1_000_000);
  const small = flag('small', 100_000);
  const results: Result[] = [];
  const log = (r: Result) => {
    results.push(r);
    console.error(`  ${r.scenario.padEnd(38)} ${String(r.entries).padStart(8)} entries  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${Math.round(r.perSec).toString().padStart(8)}/s  peak RSS ${r.peakRssMB} MB`);
  };
  console.error(`bench:sync: ${large.toLocaleString()} and ${small.toLocaleString()} entries from the loopback NCMEC mock (1000 per page)`);
  await withServer(small, async (server) => {
    for (const name of ['download', 'list', 'store', 'store-normal']) log(await scenario(name, server));
  });
  await withServer(large, async (server) => {
    // Each default run next to its inline-writer twin, so a change of load on this shared machine hits both.
    // The default end to end runs again after the source-thread run, so their comparison is not biased by order.
    for (const name of ['download', 'list', 'list-inline', 'list-thread', 'list-nothread', 'list-again', 'store', 'store-inline']) log(await scenario(name, server));
    log(await scenarioFromSource('list-source', server));
    // Memory bounded by page size, not list size: the store-only sync must finish inside a small heap.
    const capped = await scenario('store', server, [`--max-old-space-size=${CAPPED_HEAP_MB}`]);
    log({ ...capped, scenario: `sync store only, ${CAPPED_HEAP_MB} MB heap cap` });
    for (const r of await child<Result[]>(['--scenario', 'split', JSON.stringify(server)]).result) log(r);
  });

  const find = (scenario: string, entries: number) => results.find((r) => r.scenario.startsWith(scenario) && r.entries === entries)!;
  const listInline = results.find((r) => r.scenario === 'sync store+index (full), inline writer')!;
  const listThread = results.find((r) => r.scenario === 'sync store+index (full), source thread')!;
  const listAgain = results.find((r) => r.scenario === 'sync store+index (full), again')!;
  const listNoThread = results.find((r) => r.scenario === 'sync store+index (full), no source thread')!;
  const listFromSource = results.find((r) => r.scenario === 'sync store+index (full), from TypeScript sources')!;
  const storeInline = results.find((r) => r.scenario === 'sync store only (full), inline writer')!;
  const base = find('download', large);
  const listL = find('sync store+index', large);
  const storeL = find('sync store only (full)', large);
  const listS = find('sync store+index', small);
  const storeS = find('sync store only (full)', small);
  const normalS = find('sync store only (normal)', small);
  const summary = {
    entriesPerSec: {
      endToEnd: Math.round(listL.perSec),
      storeOnly: Math.round(storeL.perSec),
      download: Math.round(base.perSec),
      sourceAlone: Math.round(find('source alone', large).perSec),
      /** The source as sync() uses it: parse, prepare and pack (usual records on the fast path). */
      sourceAlonePacked: Math.round(find('source packed', large).perSec),
      prepareAndCommitAlone: Math.round(find('prepare + commit alone', large).perSec),
      endToEndInlineWriter: Math.round(listInline.perSec),
      storeOnlyInlineWriter: Math.round(storeInline.perSec),
      endToEndSourceThread: Math.round(listThread.perSec),
      endToEndAgain: Math.round(listAgain.perSec),
      /** `sourceThread: false`: the source always on the syncing thread (the default before 'auto'). */
      endToEndNoSourceThread: Math.round(listNoThread.perSec),
      /** The default end to end run from the TypeScript sources under tsx (how this bench ran before run K). */
      endToEndFromSource: Math.round(listFromSource.perSec),
    },
    /** The download and sync() scenarios run the built package (dist/) under plain node. */
    runsBuiltPackage: true,
    /** Default (auto: commits on the writer thread at this size) over commits on the syncing thread. */
    threadOverInlineWriter: { endToEnd: +(listInline.ms / listL.ms).toFixed(3), storeOnly: +(storeInline.ms / storeL.ms).toFixed(3) },
    /** Where the CPU went at the large size (Linux; absent elsewhere). */
    cpuMs: {
      endToEnd: listL.cpuMs,
      endToEndInlineWriter: listInline.cpuMs,
      storeOnly: storeL.cpuMs,
      storeOnlyInlineWriter: storeInline.cpuMs,
      endToEndSourceThread: listThread.cpuMs,
      endToEndNoSourceThread: listNoThread.cpuMs,
    },
    /** The mock server's CPU during the large download and default runs, ms (Linux; absent elsewhere). */
    serverCpuMs: { download: base.serverCpuMs, endToEnd: listL.serverCpuMs, storeOnly: storeL.serverCpuMs },
    /** `sourceThread: true` over the default (time ratio, same run; > 1 is slower), the default's time being the mean of its runs before and after. */
    sourceThreadOverDefault: { endToEnd: +(listThread.ms / ((listL.ms + listAgain.ms) / 2)).toFixed(3) },
    /** `sourceThread: false` over the default ('auto'), measured like `sourceThreadOverDefault`. */
    noSourceThreadOverDefault: { endToEnd: +(listNoThread.ms / ((listL.ms + listAgain.ms) / 2)).toFixed(3) },
    ratioToDownload: { endToEnd: +(listL.perSec / base.perSec).toFixed(3), storeOnly: +(storeL.perSec / base.perSec).toFixed(3) },
    liveHeapAfterSyncMB: {
      [`storeOnly@${small}`]: storeS.liveHeapMB,
      [`storeOnly@${large}`]: storeL.liveHeapMB,
      [`storeIndex@${small}`]: listS.liveHeapMB,
      [`storeIndex@${large}`]: listL.liveHeapMB,
    },
    storeOnlyWithinHeapCapMB: results.some((r) => r.scenario.includes('heap cap') && r.entries === large) ? CAPPED_HEAP_MB : null,
    peakRssMB: {
      [`storeOnly@${small}`]: storeS.peakRssMB,
      [`storeOnly@${large}`]: storeL.peakRssMB,
      [`storeIndex@${small}`]: listS.peakRssMB,
      [`storeIndex@${large}`]: listL.peakRssMB,
    },
    listEstimateMB: { [small]: listS.listMB, [large]: listL.listMB },
    reloadFromStoreMs: { [small]: Math.round(listS.reloadMs!), [large]: Math.round(listL.reloadMs!) },
    fullOverNormalTime: +(storeS.ms / normalS.ms).toFixed(3),
    storeFileMB: { [large]: storeL.storeMB },
  };
  console.log(JSON.stringify({ results, summary }, null, 2));
}

await main();
