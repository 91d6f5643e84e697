/**
 * Source throughput, as ratios against baselines measured in the same run (`npx tsx bench/sources.ts [N] [ROUNDS]`):
 * 1. NCMEC page parsing alone: 1000-entry pages fetched once from the mock (body chunks kept exactly as undici
 *    delivered them), then parsed over and over by parseEntriesPage and by the saxes-based oracle it replaced
 *    (test/helpers/ncmec-entries-saxes.ts), alternating which goes first each round; entries/s of both (best and
 *    median round) and the speed-up.
 * 2. The NCMEC source end to end (HTTP + parse + windows) vs fetching the same pages raw, from the mock running in
 *    a child process; client CPU time per entry and wall-clock entries/s.
 */
import { request } from 'undici';
import { parseEntriesPage } from '../src/sync/ncmec/entries-xml.js';
import { createNcmecSource } from '../src/sync/ncmec/source.js';
import { startMockNcmecServer } from '../test/helpers/mock-ncmec-server.js';
import { parseEntriesPageWithSaxes } from '../test/helpers/ncmec-entries-saxes.js';
import { startMockServerProcess } from '../test/helpers/mock-server-process.js';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 15);
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// 1. Parse only.
const PAGES = 4;
const pages: Buffer[][] = [];
{
  const mock = await startMockNcmecServer({ entries: PAGES * 1000, spacingMs: 10, recordRequests: false });
  const auth = 'Basic ' + Buffer.from(`${mock.username}:${mock.password}`).toString('base64');
  let url: string | undefined = `${mock.url}/v2/entries?from=2024-12-31T00:00:00Z&to=2025-06-30T00:00:00Z`;
  while (url) {
    const res = await request(url, { headers: { authorization: auth } });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    pages.push(chunks);
    const next = /<next>([^<]*)<\/next>/.exec(Buffer.concat(chunks).toString());
    url = next ? mock.url + next[1]!.replaceAll('&amp;', '&') : undefined;
  }
  await mock.close();
}
const entries = (await Promise.all(pages.map((chunks) => parseEntriesPage(body(chunks), 'bench')))).reduce((n, p) => n + p.updates.length + p.skipped.length, 0);
const bytes = pages.flat().reduce((n, c) => n + c.length, 0);
async function* body(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}
/** Seconds to parse every page `times` times. */
async function timeParser(parse: typeof parseEntriesPage, times: number): Promise<number> {
  const t = performance.now();
  for (let k = 0; k < times; k++) for (const chunks of pages) await parse(body(chunks), 'bench');
  return (performance.now() - t) / 1000;
}
const perRound = { scanner: [] as number[], saxes: [] as number[] };
await timeParser(parseEntriesPage, 5); // warm-up
await timeParser(parseEntriesPageWithSaxes, 2);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['scanner', 'saxes'] as const) : (['saxes', 'scanner'] as const);
  for (const which of order) {
    const times = which === 'scanner' ? 10 : 3;
    const seconds = await timeParser(which === 'scanner' ? parseEntriesPage : parseEntriesPageWithSaxes, times);
    perRound[which].push((entries * times) / seconds);
  }
}
const fmt = (r: number) => `${Math.round(r / 1000)}k`;
console.log(
  `parse only (${pages.length} mock pages, ${entries} entries, ${Math.round(bytes / entries)} B/entry, ${pages.flat().length} chunks, ${ROUNDS} rounds): ` +
    `parseEntriesPage ${fmt(Math.max(...perRound.scanner))} entries/s best, ${fmt(median(perRound.scanner))} median; ` +
    `saxes oracle ${fmt(Math.max(...perRound.saxes))} best, ${fmt(median(perRound.saxes))} median; ` +
    `speed-up ${(median(perRound.scanner) / median(perRound.saxes)).toFixed(2)}x (medians)`,
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
