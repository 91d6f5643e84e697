/**
 * Source throughput, as ratios against baselines measured in the same run (`npx tsx bench/sources.ts [N]`):
 * 1. NCMEC page parsing (parseEntriesPage) vs bare saxes over the same 1000-entry page (min of 40 runs).
 * 2. The NCMEC source end to end (HTTP + parse + windows) vs fetching the same pages raw, from the mock running in
 *    a child process; client CPU time per entry and wall-clock entries/s.
 */
import { SaxesParser } from 'saxes';
import { parseEntriesPage } from '../src/sync/ncmec/entries-xml.js';
import { createNcmecSource } from '../src/sync/ncmec/source.js';
import { request } from 'undici';
import { startMockServerProcess } from '../test/helpers/mock-server-process.js';

const N = Number(process.argv[2] ?? 200_000);
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const record = (i: number) =>
  `<image><member id="7001">Take It Down</member><timestamp>2025-01-01T00:00:12Z</timestamp><id>img-${i}</id><classification>B1</classification><fingerprints><md5>eb1f3e3f38d7f084e567a8e3ad39d3b3</md5><sha1>4b2aed6cfe377378ef1879b200fcb4799cf9420e</sha1><pdq>e1c2ad853802ad79494c03890ff529f0fb6745e19c18c07b6cd159f662150987</pdq></fingerprints></image>`;
const page = Buffer.from(
  `<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images>${Array.from({ length: 1000 }, (_, i) => record(i)).join('')}</images></queryResult>`,
);
let bare = Infinity;
let full = Infinity;
for (let k = 0; k < 40; k++) {
  let t = performance.now();
  const parser = new SaxesParser({ xmlns: false, position: false });
  let events = 0;
  parser.on('opentag', () => events++);
  parser.on('text', () => events++);
  parser.on('closetag', () => events++);
  parser.write(page.toString()).close();
  bare = Math.min(bare, performance.now() - t);
  t = performance.now();
  await parseEntriesPage((async function* () { yield page; })(), 'bench');
  full = Math.min(full, performance.now() - t);
}
console.log(
  `parse: bare saxes ${bare.toFixed(2)} ms/page, parseEntriesPage ${full.toFixed(2)} ms/page ` +
    `(ratio ${(full / bare).toFixed(2)}, ${Math.round(1e6 / full)} entries/s)`,
);

const mock = await startMockServerProcess('ncmec', { entries: N, spacingMs: 10, recordRequests: false });
try {
  const auth = 'Basic ' + Buffer.from(`${mock.username}:${mock.password}`).toString('base64');
  let c = cpuSeconds();
  let t = performance.now();
  let url: string | undefined = `${mock.url}/v2/entries?from=2024-12-31T00:00:00Z&to=2025-06-30T00:00:00Z`;
  while (url) {
    const res = await request(url, { headers: { authorization: auth } });
    const text = await res.body.text();
    const next = /<next>([^<]*)<\/next>/.exec(text);
    url = next ? mock.url + next[1]!.replaceAll('&amp;', '&') : undefined;
  }
  const rawCpu = cpuSeconds() - c;
  const rawWall = (performance.now() - t) / 1000;
  const source = createNcmecSource({
    baseUrl: mock.url,
    username: mock.username!,
    password: mock.password!,
    since: '2024-12-31T00:00:00Z',
    now: () => Date.UTC(2025, 6, 1),
    maxWindowEntries: 10_000_000,
  });
  c = cpuSeconds();
  t = performance.now();
  let n = 0;
  for await (const p of source.fetch(null)) n += p.updates.length;
  const srcCpu = cpuSeconds() - c;
  const srcWall = (performance.now() - t) / 1000;
  console.log(
    `NCMEC source, ${n} entries: raw fetch ${Math.round(N / rawWall)} entries/s (${((rawCpu / N) * 1e6).toFixed(1)} µs CPU/entry); ` +
      `source ${Math.round(n / srcWall)} entries/s (${((srcCpu / n) * 1e6).toFixed(1)} µs CPU/entry); ` +
      `CPU ratio source/raw ${(srcCpu / rawCpu).toFixed(2)}; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
  );
} finally {
  await mock.close();
}
