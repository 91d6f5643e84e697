/**
 * Video hashing benchmark: `npm run bench:video [-- --rounds N] [-- --every-frame all] [-- --json]`.
 *
 * On the sample videos in ../shared/vectors, measures in the same run:
 * - decode-only: ffmpeg with exactly the arguments hashVideo uses (same sampling filter, RGB24 output), its
 *   output drained through a pipe and thrown away: the floor;
 * - hashVideo: locate ffmpeg, probe, decode, PDQ per sampled frame, MD5/SHA-1/SHA-256 of the file.
 * The target is hashVideo / decode-only <= 1.5 at the default one hash per second. Every-frame hashing (which
 * PDQ dominates) runs on 3 videos unless `--every-frame all`. Videos are measured interleaved, round after round,
 * and each one's median is kept, so the shared machine's noise hits both columns alike.
 *
 * Wall-clock ratios on a loaded machine mostly measure the scheduler, so CPU time is reported too (on Linux):
 * this process's user+system time plus that of its reaped children (ffmpeg, ffprobe), from /proc/self/stat.
 */
import { readFileSync } from 'node:fs';
import { startTool } from '../src/media/ffmpeg-process.js';
import { locateFfmpeg } from '../src/media/ffmpeg.js';
import { probeFile } from '../src/media/probe.js';
import { hashVideo } from '../src/media/video.js';
import { frameDecodeArgs } from '../src/media/video-frames.js';
import { DEFAULT_VIDEO_CONTAINERS, DEFAULT_VIDEO_LIMITS } from '../src/media/video-options.js';
import { vpdqFrameMod } from '../src/hash/vpdq-sampling.js';
import { VECTORS_DIR, vectorPath, vectorsAvailable } from '../test/helpers/vectors.js';

const VIDEOS = [
  'chair-19-sd-bar',
  'chair-20-sd-bar',
  'chair-22-sd-grey-bar',
  'chair-22-sd-sepia-bar',
  'chair-22-with-large-logo-bar',
  'chair-22-with-small-logo-bar',
  'chair-orig-22-sd-bar',
  'doorknob-hd-no-bar',
  'pattern-hd-no-bar',
  'pattern-longer-no-bar',
  'pattern-sd-grey-bar',
  'pattern-sd-with-large-logo-bar',
  'pattern-sd-with-small-logo-bar',
  'test-padded-dimensions',
];
const EVERY_FRAME_SUBSET = ['doorknob-hd-no-bar', 'pattern-sd-grey-bar', 'test-padded-dimensions'];

const args = process.argv.slice(2);
const json = args.includes('--json');
const roundsArg = args.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 3;
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`Expected --rounds to be a positive integer, got ${args[roundsArg + 1]}`);
const everyFrameAll = args[args.indexOf('--every-frame') + 1] === 'all' && args.includes('--every-frame');
if (!vectorsAvailable) {
  console.error(`bench:video needs the vectors at ${VECTORS_DIR} (or set TIDSCAN_VECTORS)`);
  process.exit(2);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const { ffmpeg, ffprobe } = await locateFfmpeg();
const maxAllocBytes = DEFAULT_VIDEO_LIMITS.maxPixels * 8;

interface Job {
  video: string;
  secondsPerHash: number;
  file: string;
  decodeArgs: string[];
  durationSec: number;
  hashedFrames: number;
  decode: number[];
  hash: number[];
  decodeCpu: number[];
  hashCpu: number[];
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on every Linux ABI Node supports

/** CPU milliseconds used so far by this process and its reaped children; NaN where /proc is unavailable. */
function cpuMs(): number {
  const self = process.cpuUsage();
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: field 3 is index 0, so cutime (16) and cstime (17) are indexes 13 and 14.
    const children = (Number(fields[13]) + Number(fields[14])) * CLOCK_TICK_MS;
    return (self.user + self.system) / 1000 + children;
  } catch {
    return Number.NaN;
  }
}

async function measure(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await fn();
  return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
}

async function makeJob(video: string, secondsPerHash: number): Promise<Job> {
  const file = vectorPath('vpdq', 'tmk', 'sample-videos', `${video}.mp4`);
  const probe = await probeFile(file, { ffprobe, allowedContainers: DEFAULT_VIDEO_CONTAINERS, maxAllocBytes, timeoutMs: 60_000 });
  const decodeArgs = frameDecodeArgs({
    file,
    demuxer: probe.demuxer,
    allowedContainers: DEFAULT_VIDEO_CONTAINERS,
    maxAllocBytes,
    width: probe.width,
    height: probe.height,
    downsample: false,
    frameMod: secondsPerHash === 0 ? 1 : vpdqFrameMod(secondsPerHash, probe.fps),
  });
  return {
    video,
    secondsPerHash,
    file,
    decodeArgs,
    durationSec: probe.durationSec ?? 0,
    hashedFrames: 0,
    decode: [],
    hash: [],
    decodeCpu: [],
    hashCpu: [],
  };
}

/** ffmpeg with hashVideo's arguments, stdout drained and discarded. */
async function decodeOnly(job: Job): Promise<void> {
  const { wall, cpu } = await measure(async () => {
    const proc = startTool(ffmpeg, job.decodeArgs, { timeoutMs: 600_000 });
    proc.stdout.resume();
    const exit = await proc.exited;
    if (exit.code !== 0) throw new Error(`ffmpeg failed on ${job.video}: ${exit.stderr}`);
  });
  job.decode.push(wall);
  job.decodeCpu.push(cpu);
}

async function hashOnce(job: Job): Promise<void> {
  const { wall, cpu } = await measure(async () => {
    const r = await hashVideo(job.file, { secondsPerHash: job.secondsPerHash });
    job.hashedFrames = r.frames.length;
  });
  job.hash.push(wall);
  job.hashCpu.push(cpu);
}

const perSecond = await Promise.all(VIDEOS.map((v) => makeJob(v, 1)));
const everyFrame = await Promise.all((everyFrameAll ? VIDEOS : EVERY_FRAME_SUBSET).map((v) => makeJob(v, 0)));
const jobs = [...perSecond, ...everyFrame];

// Warm-up: JIT, page cache, ffmpeg's shared libraries (then forget the samples).
await hashOnce(perSecond[0]!);
await decodeOnly(perSecond[0]!);
Object.assign(perSecond[0]!, { decode: [], hash: [], decodeCpu: [], hashCpu: [] });

for (let round = 0; round < rounds; round++) {
  for (const job of jobs) {
    // Alternate the order so neither column always runs on a warmer cache.
    if (round % 2 === 0) {
      await decodeOnly(job);
      await hashOnce(job);
    } else {
      await hashOnce(job);
      await decodeOnly(job);
    }
  }
  if (!json) process.stderr.write(`round ${round + 1}/${rounds}\r`);
}

interface Row {
  video: string;
  mode: string;
  frames: number;
  durationSec: number;
  decodeMs: number;
  hashMs: number;
  ratio: number;
  decodeCpuMs: number;
  hashCpuMs: number;
  cpuRatio: number;
  realtime: number;
}

const rows: Row[] = jobs.map((j) => {
  const decodeMs = median(j.decode);
  const hashMs = median(j.hash);
  const decodeCpuMs = median(j.decodeCpu);
  const hashCpuMs = median(j.hashCpu);
  return {
    video: j.video,
    mode: j.secondsPerHash === 0 ? 'every frame' : '1 per second',
    frames: j.hashedFrames,
    durationSec: j.durationSec,
    decodeMs,
    hashMs,
    ratio: hashMs / decodeMs,
    decodeCpuMs,
    hashCpuMs,
    cpuRatio: hashCpuMs / decodeCpuMs,
    realtime: j.durationSec / (hashMs / 1000),
  };
});

function summary(mode: string) {
  const sel = rows.filter((r) => r.mode === mode);
  const decodeMs = sel.reduce((a, r) => a + r.decodeMs, 0);
  const hashMs = sel.reduce((a, r) => a + r.hashMs, 0);
  const seconds = sel.reduce((a, r) => a + r.durationSec, 0);
  const decodeCpuMs = sel.reduce((a, r) => a + r.decodeCpuMs, 0);
  const hashCpuMs = sel.reduce((a, r) => a + r.hashCpuMs, 0);
  return {
    mode,
    videos: sel.length,
    frames: sel.reduce((a, r) => a + r.frames, 0),
    durationSec: seconds,
    decodeMs,
    hashMs,
    ratio: hashMs / decodeMs,
    cpuRatio: hashCpuMs / decodeCpuMs,
    realtime: seconds / (hashMs / 1000),
    cpuRealtime: seconds / (hashCpuMs / 1000),
    worstRatio: Math.max(...sel.map((r) => r.ratio)),
  };
}

const totals = [summary('1 per second'), summary('every frame')];

if (json) {
  console.log(JSON.stringify({ rounds, ffmpeg: ffmpeg, rows, totals }, null, 2));
} else {
  const f1 = (n: number) => n.toFixed(1);
  const f2 = (n: number) => n.toFixed(2);
  console.log(`\nbench:video, ${rounds} rounds, medians; ratio = hashVideo / ffmpeg decode-only with the same arguments\n`);
  console.log('| video | mode | hashed frames | video s | decode ms | hashVideo ms | wall ratio | CPU ratio | x realtime |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.video} | ${r.mode} | ${r.frames} | ${f1(r.durationSec)} | ${r.decodeMs.toFixed(0)} | ${r.hashMs.toFixed(0)} | ${f2(r.ratio)} | ${f2(r.cpuRatio)} | ${f1(r.realtime)} |`,
    );
  }
  console.log('\n| mode | videos | hashed frames | video s | decode ms | hashVideo ms | wall ratio (sum) | worst wall ratio | CPU ratio (sum) | x realtime (wall) | x realtime (CPU) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of totals) {
    console.log(
      `| ${t.mode} | ${t.videos} | ${t.frames} | ${f1(t.durationSec)} | ${t.decodeMs.toFixed(0)} | ${t.hashMs.toFixed(0)} | ${f2(t.ratio)} | ${f2(t.worstRatio)} | ${f2(t.cpuRatio)} | ${f1(t.realtime)} | ${f1(t.cpuRealtime)} |`,
    );
  }
}
