/**
 * Image hashing benchmark: `npm run bench:hash [-- --rounds N] [--json] [--no-simd]`.
 *
 * Over the image vectors in ../shared/vectors, measures in the same run and on the same in-memory bytes:
 * - sharp decode-only: the decode hashImage performs (same options, raw RGB output), the floor;
 * - hashImage in `full` and `cli512` modes (digests, decode, grey check, PDQ);
 * - the PDQ core alone on the decoded pixels.
 * Files are measured interleaved, round after round, and each file's fastest round is kept (contention only ever
 * adds time, so the minimum is the steadiest estimate of the work itself), and noise hits every column alike. Each measurement records wall time and the process's CPU time (all threads, so sharp's
 * worker threads count): on a shared machine CPU-time ratios are the steadier figure. Photos of 1 MP and up are
 * reported separately: the target is hashImage / decode <= 1.5.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { pdqFromPixels } from '../src/hash/pdq.js';
import { pdqSimdAvailable, setPdqWasmEnabled } from '../src/hash/pdq-wasm.js';
import { hashImage } from '../src/media/image.js';
import { readExpectedCsv } from '../test/helpers/pdq-vectors.js';
import { VECTORS_DIR, vectorPath, vectorsAvailable } from '../test/helpers/vectors.js';

type Column = 'decode' | 'full' | 'cli512' | 'pdq';
interface Sample {
  file: string;
  megapixels: number;
  wall: Record<Column, number[]>;
  cpu: Record<Column, number[]>;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
// --no-simd measures the plain JS fallback (runtimes without WebAssembly SIMD).
if (args.includes('--no-simd')) setPdqWasmEnabled(false);
const roundsArg = args.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 5;
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`Expected --rounds to be a positive integer, got ${args[roundsArg + 1]}`);
if (!vectorsAvailable) {
  console.error(`bench:hash needs the vectors at ${VECTORS_DIR} (or set TIDSCAN_VECTORS)`);
  process.exit(2);
}

const fastest = (xs: number[]): number => Math.min(...xs);

async function time(s: Sample, column: Column, fn: () => Promise<unknown> | unknown): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  s.wall[column].push(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  s.cpu[column].push((cpu.user + cpu.system) / 1000);
}

/** The decode hashImage does, and nothing else. */
function decodeOnly(bytes: Buffer) {
  return sharp(bytes, { failOn: 'warning', limitInputPixels: 100_000_000, ignoreIcc: true, autoOrient: false, pages: 1, sequentialRead: true })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
}

const files = readExpectedCsv('fullres').map((r) => ({ file: r.file, bytes: readFileSync(vectorPath(r.file)), pixels: r.rows * r.cols }));
const columns = (): Record<Column, number[]> => ({ decode: [], full: [], cli512: [], pdq: [] });
const samples: Sample[] = files.map((f) => ({ file: f.file, megapixels: f.pixels / 1e6, wall: columns(), cpu: columns() }));

// Warm-up: JIT, sharp's thread pool, file caches.
for (const f of files) {
  await hashImage(f.bytes);
  await hashImage(f.bytes, { resize: 'cli512' });
  await decodeOnly(f.bytes);
}

for (let round = 0; round < rounds; round++) {
  for (const [i, f] of files.entries()) {
    const s = samples[i]!;
    let decoded: Awaited<ReturnType<typeof decodeOnly>> | undefined;
    await time(s, 'decode', async () => (decoded = await decodeOnly(f.bytes)));
    await time(s, 'full', () => hashImage(f.bytes));
    await time(s, 'cli512', () => hashImage(f.bytes, { resize: 'cli512' }));
    const { data, info } = decoded!;
    await time(s, 'pdq', () => pdqFromPixels(data, info.width, info.height, 3));
  }
  if (!json) process.stderr.write(`round ${round + 1}/${rounds}\r`);
}

interface GroupRow {
  group: string;
  files: number;
  megapixels: number;
  decodeMs: number;
  fullMs: number;
  cli512Ms: number;
  pdqMs: number;
  fullRatio: number;
  cli512Ratio: number;
  pdqRatio: number;
  cpuFullRatio: number;
  cpuCli512Ratio: number;
  cpuPdqRatio: number;
  fullImagesPerSecond: number;
  cli512ImagesPerSecond: number;
}

function group(name: string, members: Sample[]): GroupRow {
  const sum = (clock: 'wall' | 'cpu', k: Column) => members.reduce((t, s) => t + fastest(s[clock][k]), 0);
  const decodeMs = sum('wall', 'decode');
  const fullMs = sum('wall', 'full');
  const cli512Ms = sum('wall', 'cli512');
  const pdqMs = sum('wall', 'pdq');
  const cpuDecode = sum('cpu', 'decode');
  return {
    group: name,
    files: members.length,
    megapixels: members.reduce((t, s) => t + s.megapixels, 0),
    decodeMs,
    fullMs,
    cli512Ms,
    pdqMs,
    fullRatio: fullMs / decodeMs,
    cli512Ratio: cli512Ms / decodeMs,
    pdqRatio: pdqMs / decodeMs,
    cpuFullRatio: sum('cpu', 'full') / cpuDecode,
    cpuCli512Ratio: sum('cpu', 'cli512') / cpuDecode,
    cpuPdqRatio: sum('cpu', 'pdq') / cpuDecode,
    fullImagesPerSecond: (members.length * 1000) / fullMs,
    cli512ImagesPerSecond: (members.length * 1000) / cli512Ms,
  };
}

const rows = [
  group('>= 1 MP', samples.filter((s) => s.megapixels >= 1)),
  group('< 1 MP', samples.filter((s) => s.megapixels < 1)),
  group('all', samples),
  ...[...new Set(samples.map((s) => s.megapixels))]
    .filter((mp) => mp >= 1)
    .sort((a, b) => b - a)
    .map((mp) => group(`${mp.toFixed(1)} MP photos`, samples.filter((s) => s.megapixels === mp))),
];

if (json) {
  for (const r of rows) console.log(JSON.stringify({ bench: 'hash', rounds, simd: pdqSimdAvailable(), ...r }));
} else {
  const header = ['group', 'files', 'MP', 'decode ms', 'full ms', 'full/decode', 'cli512 ms', 'cli512/decode', 'PDQ/decode', 'CPU full/dec', 'CPU cli512/dec', 'CPU PDQ/dec', 'img/s full', 'img/s cli512'];
  const table = rows.map((r) => [
    r.group,
    String(r.files),
    r.megapixels.toFixed(1),
    r.decodeMs.toFixed(0),
    r.fullMs.toFixed(0),
    r.fullRatio.toFixed(2),
    r.cli512Ms.toFixed(0),
    r.cli512Ratio.toFixed(2),
    r.pdqRatio.toFixed(2),
    r.cpuFullRatio.toFixed(2),
    r.cpuCli512Ratio.toFixed(2),
    r.cpuPdqRatio.toFixed(2),
    r.fullImagesPerSecond.toFixed(1),
    r.cli512ImagesPerSecond.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\nImage hashing, ${rounds} rounds, fastest round per file, summed per group (node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, SIMD ${pdqSimdAvailable() ? 'on' : 'off'})`);
  console.log(line(header));
  for (const t of table) console.log(line(t));
}
