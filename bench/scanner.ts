/**
 * Scanner facade benchmark: `npx tsx bench/scanner.ts [--entries N] [--rounds R] [--json]`.
 *
 * What the facade adds on top of its parts, as ratios measured in the same run on the same inputs:
 * - matchImage / hashImage on distinct synthetic images against a list of N PDQ entries (cache off): the cost of
 *   the queue, the cache key, the lookups and the verdict. Goal: <= 1.10.
 * - matchImage cache hit / matchImage miss on the same bytes.
 * - matchHashes({ pdq }) / HashList.queryPdq for the same hashes: the verdict wrapper around one index query.
 * Each column keeps its fastest round (contention only adds time). Wall and process CPU time are both reported.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { createScene, renderScene } from '../scripts/lib/synth.js';
import { toHex } from '../src/hash/hex.js';
import { HashList } from '../src/list/hash-list.js';
import { hashImage } from '../src/media/image.js';
import { createScanner } from '../src/scanner/index.js';
import type { DeltaPage, HashListSource, ListUpdate } from '../src/sync/types.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`Expected ${name} to be a positive integer, got ${args[i + 1]}`);
  return v;
};
const entries = flag('--entries', 100_000);
const rounds = flag('--rounds', 3);
const json = args.includes('--json');
const IMAGES = 40;
const QUERIES = 2000;

/** Random PDQ entries, in pages of 10 000. */
function syntheticSource(count: number): HashListSource<number> {
  return {
    name: 'bench',
    id: 'bench',
    async *fetch(checkpoint) {
      for (let start = checkpoint ?? 0; start < count; start += 10_000) {
        const updates: ListUpdate[] = [];
        for (let i = start; i < Math.min(count, start + 10_000); i++) {
          updates.push({ key: `e${i}`, entry: { source: 'bench', id: `e${i}`, kind: 'image', fingerprints: { pdq: toHex(randomBytes(32)) } } });
        }
        yield { updates, skipped: [], checkpoint: Math.min(count, start + 10_000) } satisfies DeltaPage<number>;
      }
    },
  };
}

interface Timing {
  wall: number;
  cpu: number;
}

async function measure(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  return { wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 };
}

const best = (xs: Timing[]): Timing => ({ wall: Math.min(...xs.map((x) => x.wall)), cpu: Math.min(...xs.map((x) => x.cpu)) });
const ratio = (a: Timing, b: Timing) => ({ wall: a.wall / b.wall, cpu: a.cpu / b.cpu });

const images = await Promise.all(
  Array.from({ length: IMAGES }, (_, i) =>
    sharp(renderScene(createScene(`bench-scanner-${i}`), 640, 480), { raw: { width: 640, height: 480, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  ),
);

const syncStart = performance.now();
const scanner = await createScanner({ lists: [{ source: syntheticSource(entries) }], cacheSize: 0, concurrency: 1 });
const report = await scanner.sync();
const syncMs = performance.now() - syncStart;
const cached = await createScanner({ lists: [{ source: syntheticSource(entries) }], concurrency: 1 });
await cached.sync();

const list = new HashList();
const queryHashes = Array.from({ length: QUERIES }, () => toHex(randomBytes(32)));
for await (const page of syntheticSource(entries).fetch(null)) list.apply('bench', page.updates);

const cols: Record<'hashImage' | 'matchImage' | 'miss' | 'hit' | 'queryPdq' | 'matchHashes', Timing[]> = {
  hashImage: [],
  matchImage: [],
  miss: [],
  hit: [],
  queryPdq: [],
  matchHashes: [],
};
for (let r = 0; r < rounds; r++) {
  cols.hashImage.push(await measure(async () => { for (const b of images) await hashImage(b); }));
  cols.matchImage.push(await measure(async () => { for (const b of images) await scanner.matchImage(b); }));
  cols.miss.push(await measure(async () => { for (const b of images) await cached.matchImage(Buffer.concat([b, Buffer.from([r])])); }));
  cols.hit.push(await measure(async () => { for (const b of images) await cached.matchImage(Buffer.concat([b, Buffer.from([r])])); }));
  cols.queryPdq.push(await measure(async () => { for (const h of queryHashes) list.queryPdq(h, 31); }));
  cols.matchHashes.push(await measure(async () => { for (const h of queryHashes) await scanner.matchHashes({ pdq: h }); }));
}
await scanner.close();
await cached.close();

const b = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, best(v)])) as Record<keyof typeof cols, Timing>;
const result = {
  entries,
  index: scanner.stats().list.index.name,
  syncMs: Math.round(syncMs),
  syncOk: report.ok,
  perImageMs: { hashImage: b.hashImage.wall / IMAGES, matchImage: b.matchImage.wall / IMAGES, cacheHit: b.hit.wall / IMAGES },
  matchImageOverHashImage: ratio(b.matchImage, b.hashImage),
  cacheHitOverMiss: ratio(b.hit, b.miss),
  perQueryUs: { queryPdq: (b.queryPdq.wall * 1000) / QUERIES, matchHashes: (b.matchHashes.wall * 1000) / QUERIES },
  matchHashesOverQueryPdq: ratio(b.matchHashes, b.queryPdq),
};
if (json) console.log(JSON.stringify(result));
else {
  const f = (x: number) => x.toFixed(3);
  console.log(`scanner bench: ${entries} PDQ entries (${result.index} index), sync ${result.syncMs} ms, ${rounds} rounds, best kept`);
  console.log(`  per image: hashImage ${f(result.perImageMs.hashImage)} ms, matchImage ${f(result.perImageMs.matchImage)} ms, cache hit ${f(result.perImageMs.cacheHit)} ms`);
  console.log(`  matchImage / hashImage: wall ${f(result.matchImageOverHashImage.wall)}, cpu ${f(result.matchImageOverHashImage.cpu)} (goal <= 1.10)`);
  console.log(`  cache hit / miss: wall ${f(result.cacheHitOverMiss.wall)}, cpu ${f(result.cacheHitOverMiss.cpu)}`);
  console.log(`  per query: queryPdq ${f(result.perQueryUs.queryPdq)} us, matchHashes ${f(result.perQueryUs.matchHashes)} us`);
  console.log(`  matchHashes / queryPdq: wall ${f(result.matchHashesOverQueryPdq.wall)}, cpu ${f(result.matchHashesOverQueryPdq.cpu)}`);
}
