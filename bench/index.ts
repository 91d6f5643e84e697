/**
 * Hamming index benchmark: `npm run bench:index -- [--json] [--sizes 100000,1000000] [--radii 31,10]
 * [--datasets uniform,clustered] [--indexes auto,mih,bktree,linear] [--seconds 3] [--queries 400] [--seed 1]
 * [--updates] [--crossover] [--dihedral]`
 *
 * For every size × dataset it builds each index from the same deterministic hashes, then measures queries per
 * second at each radius. The machine is shared and noisy, so indexes are measured in interleaved time slices
 * (every index runs a slice, then the next round starts): load changes hit all indexes alike and the ratios to
 * `linear` stay meaningful. Each index's answers are compared with linear's for every query it ran.
 *
 * `--json` prints one object per line and measurement:
 * `{"index","n","dataset","r","qps","buildMs","heapBytesPerEntry","identicalToLinear",...}`; the default index is
 * printed once more as `"default"`. Extra fields: compactMs (full rebuild from the index's own storage, free of
 * the caller-side GC that buildMs includes), rssBytesPerEntry, memoryBytesPerEntry (the index's own estimate),
 * ratioToLinear, queries, substringBits. `--indexes mih:20` adds a MIH variant with a fixed substring
 * width (printed with `"variant"`). `--updates`, `--crossover` and `--dihedral` add the update-throughput,
 * scan/probe crossover and 8-variant batch measurements described in docs/performance.md.
 */
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DEFAULT_INDEX, type HashIndexOptions, type IndexName, createHashIndex, isIndexName } from '../src/match/create.js';
import type { HashIndex, IndexMatch } from '../src/match/types.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

// ------------------------------------------------------------------------------------------------ options

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '100000,1000000' },
    radii: { type: 'string', default: '31,10' },
    datasets: { type: 'string', default: 'uniform,clustered' },
    indexes: { type: 'string', default: 'auto,mih,bktree,linear' },
    seconds: { type: 'string', default: '3' },
    queries: { type: 'string', default: '400' },
    seed: { type: 'string', default: '1' },
    updates: { type: 'boolean', default: false },
    crossover: { type: 'boolean', default: false },
    dihedral: { type: 'boolean', default: false },
  },
});

function intList(flag: string, value: string, min: number, max: number): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  for (const v of list) {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`Expected \`--${flag}\` to be integers from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
  }
  return list;
}

type Dataset = 'uniform' | 'clustered';
interface Contender {
  label: string;
  name: IndexName;
  options: HashIndexOptions;
  variant?: string;
}

const sizes = intList('sizes', args.sizes!, 1, 100_000_000);
const radii = intList('radii', args.radii!, 0, 256);
const seconds = Number(args.seconds);
const queryCount = intList('queries', args.queries!, 1, 1_000_000)[0]!;
const seed = intList('seed', args.seed!, 0, 2 ** 31)[0]!;
const datasets = args.datasets!.split(',').map((d) => {
  if (d !== 'uniform' && d !== 'clustered') throw new RangeError(`Expected \`--datasets\` of uniform, clustered; got ${d}`);
  return d as Dataset;
});
const contenders: Contender[] = args.indexes!.split(',').map((spec) => {
  const [name, bits] = spec.split(':');
  if (!isIndexName(name)) throw new RangeError(`Unknown index ${JSON.stringify(name)} in --indexes`);
  if (bits === undefined) return { label: name, name, options: { name } };
  return { label: spec, name, options: { name, substringBits: Number(bits) }, variant: spec };
});
if (!contenders.some((c) => c.label === 'linear')) contenders.push({ label: 'linear', name: 'linear', options: { name: 'linear' } });
if (!(seconds > 0)) throw new RangeError(`Expected \`--seconds\` to be a positive number, got ${args.seconds}`);

// ------------------------------------------------------------------------------------------------ data

/** xorshift128+ style 32-bit PRNG (deterministic per seed). */
function makeRandom(s: number): () => number {
  let a = s ^ 0x9e3779b9, b = Math.imul(s, 0x85ebca6b) ^ 0xc2b2ae35, c = 0x27d4eb2f, d = 0x165667b1;
  return () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    return d;
  };
}

function flip(hash: Uint8Array, count: number, rand: () => number): void {
  for (let i = 0; i < count; i++) {
    const bit = rand() & 255;
    hash[bit >> 3]! ^= 1 << (bit & 7);
  }
}

/**
 * `n` packed hashes. uniform: independent random bits. clustered: bases, each followed by 0–15 near-duplicates
 * with 0–40 random bit flips (flips may repeat, so some land closer), which is what real PDQ lists look like.
 */
function generate(n: number, dataset: Dataset, rand: () => number): Uint8Array {
  const data = new Uint8Array(n * 32);
  const words = new Uint32Array(data.buffer);
  for (let i = 0; i < words.length; i++) words[i] = rand();
  if (dataset === 'clustered') {
    let i = 0;
    while (i < n) {
      const base = data.subarray(i * 32, i * 32 + 32);
      const members = Math.min(n - i - 1, Math.floor(((rand() % 1000) / 1000) ** 2 * 16));
      for (let k = 1; k <= members; k++) {
        const h = data.subarray((i + k) * 32, (i + k) * 32 + 32);
        h.set(base);
        flip(h, rand() % 41, rand);
      }
      i += members + 1;
    }
  }
  return data;
}

/** Half near-duplicates of list entries (0–24 flips: mostly hits at r=31), half fresh random hashes. */
function makeQueries(data: Uint8Array, n: number, count: number, rand: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const h = new Uint8Array(32);
    if (i % 2 === 0) {
      const j = rand() % n;
      h.set(data.subarray(j * 32, j * 32 + 32));
      flip(h, rand() % 25, rand);
    } else for (let k = 0; k < 32; k++) h[k] = rand() & 255;
    out.push(h);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ measuring

interface Built {
  c: Contender;
  index: HashIndex;
  buildMs: number;
  compactMs: number | undefined;
  heapBytes: number;
  rssBytes: number;
}

function heap(): { heap: number; rss: number } {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

function pairsOf(data: Uint8Array, n: number): (readonly [number, Uint8Array])[] {
  return Array.from({ length: n }, (_, id) => [id, data.subarray(id * 32, id * 32 + 32)] as const);
}

/**
 * Builds one index with a single `apply` (timed: `buildMs`, which includes any GC the caller's pairs cause),
 * measures its heap growth, then times a full rebuild from its own storage where it has one (`compactMs`).
 */
function build(c: Contender, pairs: (readonly [number, Uint8Array])[]): Built {
  const before = heap();
  const index = createHashIndex(c.options);
  const t = performance.now();
  index.apply({ add: pairs });
  const buildMs = performance.now() - t;
  const after = heap();
  let compactMs: number | undefined;
  const compact = (index as { compact?: () => void }).compact;
  if (compact !== undefined) {
    const t2 = performance.now();
    compact.call(index);
    compactMs = performance.now() - t2;
  }
  return { c, index, buildMs, compactMs, heapBytes: after.heap - before.heap, rssBytes: after.rss - before.rss };
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand() % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function same(a: readonly IndexMatch[], b: readonly IndexMatch[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.id !== b[i]!.id || a[i]!.distance !== b[i]!.distance) return false;
  return true;
}

interface Timing {
  queries: number;
  ms: number;
  identical: boolean;
}

/**
 * Interleaved measurement at radius `r`: a warm-up slice per index, then `rounds` rounds in which every index runs queries for
 * its slice (at least one), in a freshly shuffled order each round. Results are checked against `oracle` (linear's answers).
 */
function measure(built: Built[], queries: Uint8Array[], r: number, oracle: IndexMatch[][]): Map<Built, Timing> {
  const rounds = 6;
  const slice = (seconds * 1000) / rounds / built.length;
  const out = new Map<Built, Timing>();
  const cursor = new Map<Built, number>();
  for (const b of built) {
    const t = performance.now();
    let i = 0;
    // Time-based warm-up: enough iterations for the optimising JIT on fast indexes, one query on slow ones.
    do b.index.query(queries[i++ % queries.length]!, r);
    while (performance.now() - t < slice);
    out.set(b, { queries: 0, ms: 0, identical: true });
    cursor.set(b, i);
  }
  for (let round = 0; round < rounds; round++) {
    // A fresh seeded order each round: whoever runs right after a full scan finds caches and TLB flushed, and a
    // rotation keeps the cyclic order (the same index would always follow linear).
    const order = shuffled(built, makeRandom(round * 7 + r + 1));
    for (const b of order) {
      const timing = out.get(b)!;
      let i = cursor.get(b)!;
      const t = performance.now();
      do {
        const k = i++ % queries.length;
        const got = b.index.query(queries[k]!, r);
        if (!same(got, oracle[k]!)) timing.identical = false;
        timing.queries++;
      } while (performance.now() - t < slice);
      timing.ms += performance.now() - t;
      cursor.set(b, i);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ output

const rows: Record<string, unknown>[] = [];
function emit(row: Record<string, unknown>): void {
  rows.push(row);
  if (args.json) console.log(JSON.stringify(row));
}

function printTable(n: number, dataset: Dataset, group: Record<string, unknown>[]): void {
  if (args.json) return;
  console.log(`\nN = ${n.toLocaleString('en-US')}, ${dataset}`);
  const header = ['index', ...radii.map((r) => `r=${r} q/s (× linear)`), 'build ms', 'rebuild ms', 'heap B/entry', 'identical'];
  const lines = [header];
  for (const label of [...new Set(group.map((g) => g.variant ?? g.index))]) {
    const mine = group.filter((g) => (g.variant ?? g.index) === label);
    const first = mine[0]!;
    lines.push([
      String(label) + (first.substringBits ? ` (${first.substringBits}-bit)` : ''),
      ...radii.map((r) => {
        const m = mine.find((g) => g.r === r)!;
        return `${Math.round(m.qps as number).toLocaleString('en-US')} (×${(m.ratioToLinear as number).toFixed(1)})`;
      }),
      String(Math.round(first.buildMs as number)),
      first.compactMs === undefined ? '-' : String(Math.round(first.compactMs as number)),
      String(Math.round(first.heapBytesPerEntry as number)),
      mine.every((m) => m.identicalToLinear) ? 'yes' : 'NO',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const l of lines) console.log('  ' + l.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

// ------------------------------------------------------------------------------------------------ extras

/** Update throughput on an index of n entries: single adds, single removes, 1,000-entry batches; worst pause. */
function measureUpdates(c: Contender, data: Uint8Array, n: number, dataset: Dataset): void {
  const pairs = Array.from({ length: n }, (_, id) => [id, data.subarray(id * 32, id * 32 + 32)] as const);
  const index = createHashIndex(c.options);
  index.apply({ add: pairs });
  const ops = Math.min(20_000, n);
  const run = (kind: string, step: (i: number) => void, count: number, perOp: number) => {
    let worst = 0;
    const t = performance.now();
    for (let i = 0; i < count; i++) {
      const s = performance.now();
      step(i);
      worst = Math.max(worst, performance.now() - s);
    }
    const ms = performance.now() - t;
    emit({ kind: 'update', index: c.label, n, dataset, op: kind, opsPerSecond: (count * perOp * 1000) / ms, worstPauseMs: worst });
  };
  run('add', (i) => index.add(n + i, pairs[i]![1]), ops, 1);
  run('remove', (i) => index.remove(i), ops, 1);
  run(
    'batch1000',
    (i) => {
      const base = 2 * n + i * 500;
      index.apply({ remove: Array.from({ length: 500 }, (_, k) => ops + i * 500 + k), add: pairs.slice(base % n, (base % n) + 500).map(([, h], k) => [base + k, h] as const) });
    },
    Math.min(40, Math.floor((n - ops) / 500)),
    1000,
  );
}

/** Query rate of mih and linear across radii 30–64, to place the planner's scan/probe crossover. */
function measureCrossover(n: number, dataset: Dataset, pairs: (readonly [number, Uint8Array])[], queries: Uint8Array[]): void {
  const built = [build({ label: 'mih', name: 'mih', options: { name: 'mih' } }, pairs), build({ label: 'linear', name: 'linear', options: { name: 'linear' } }, pairs)];
  for (let r = 30; r <= 64; r += 2) {
    const oracle = queries.map((q) => built[1]!.index.query(q, r));
    const t = measure(built, queries, r, oracle);
    const [mih, lin] = built.map((b) => t.get(b)!);
    emit({ kind: 'crossover', n, dataset, r, mihQps: (mih!.queries * 1000) / mih!.ms, linearQps: (lin!.queries * 1000) / lin!.ms, ratio: (mih!.queries / mih!.ms) / (lin!.queries / lin!.ms) });
  }
}

/** 8 dihedral-style variants per upload: queryMany versus 8 single queries, for each index. */
function measureDihedral(built: Built[], queries: Uint8Array[], n: number, dataset: Dataset, r: number): void {
  for (const b of built) {
    const t = performance.now();
    let groups = 0;
    do b.index.queryMany(queries.slice((groups * 8) % (queries.length - 8), ((groups * 8) % (queries.length - 8)) + 8), r);
    while (++groups < 3 || performance.now() - t < (seconds * 1000) / built.length / 2);
    emit({ kind: 'dihedral', index: b.c.label, n, dataset, r, uploadsPerSecond: (groups * 1000) / (performance.now() - t) });
  }
}

// ------------------------------------------------------------------------------------------------ main

for (const n of sizes) {
  for (const dataset of datasets) {
    const rand = makeRandom(seed * 7919 + n + (dataset === 'clustered' ? 1 : 0));
    const data = generate(n, dataset, rand);
    const queries = makeQueries(data, n, queryCount, rand);
    if (args.updates) for (const c of contenders.filter((x) => x.name !== 'linear')) measureUpdates(c, data, Math.min(n, 1_000_000), dataset);
    if (args.crossover) measureCrossover(n, dataset, pairsOf(data, n), queries.slice(0, 100));
    // Each index gets fresh [id, hash] pairs, dropped after its build, as a caller loading a list would.
    const built = contenders.map((c) => build(c, pairsOf(data, n)));
    const linear = built.find((b) => b.c.label === 'linear')!;
    const group: Record<string, unknown>[] = [];
    for (const r of radii) {
      const oracle = queries.map((q) => linear.index.query(q, r));
      const timings = measure(built, queries, r, oracle);
      const linearQps = (timings.get(linear)!.queries * 1000) / timings.get(linear)!.ms;
      for (const b of built) {
        const t = timings.get(b)!;
        const qps = (t.queries * 1000) / t.ms;
        const bits = (b.index as { substringBits?: number }).substringBits;
        const row = {
          index: b.c.name,
          ...(b.c.variant ? { variant: b.c.variant } : {}),
          n,
          dataset,
          r,
          qps,
          buildMs: b.buildMs,
          ...(b.compactMs !== undefined ? { compactMs: b.compactMs } : {}),
          heapBytesPerEntry: b.heapBytes / n,
          identicalToLinear: t.identical,
          rssBytesPerEntry: b.rssBytes / n,
          memoryBytesPerEntry: b.index.memoryBytes() / n,
          ratioToLinear: qps / linearQps,
          queries: t.queries,
          ...(bits ? { substringBits: bits } : {}),
        };
        emit(row);
        group.push(row);
        if (b.c.name === DEFAULT_INDEX && !b.c.variant) emit({ ...row, index: 'default', is: DEFAULT_INDEX });
      }
    }
    if (args.dihedral) measureDihedral(built, queries, n, dataset, 31);
    printTable(n, dataset, group);
    for (const b of built) b.index.clear();
    built.length = 0;
    gc();
  }
}
if (!args.json) {
  const extras = rows.filter((r) => r.kind !== undefined);
  for (const e of extras) console.log(JSON.stringify(e));
}
