/**
 * vPDQ conformance: our frame hashes against the 42 outputs of the reference C++ `vpdq-hash-video` (FFmpeg 5.1.9,
 * x86-64 SIMD) in ../shared/vectors/generated/vpdq (vectors README section 4), with the machine's ffmpeg.
 *
 * Every file needs a full decode, and the every-frame native files ~5,000 full-size PDQ hashes, so the default run
 * checks all 14 one-per-second files (the production path) and 3 videos of each every-frame kind; all 42 run
 * when TIDSCAN_FULL_CONFORMANCE=1 or CI is set.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { hammingDistance, parsePdq } from '../../src/hash/hex.js';
import { formatVpdqFile, parseVpdqFile, type VpdqFrame } from '../../src/hash/vpdq-format.js';
import { hashVideo } from '../../src/media/video.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';

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
const FULL = process.env.TIDSCAN_FULL_CONFORMANCE === '1' || Boolean(process.env.CI);
// Landscape HD (the video the SIMD/C-path difference hits hardest), square 1080 with coded padding, portrait SD.
const EVERY_FRAME_SUBSET = new Set(['doorknob-hd-no-bar', 'test-padded-dimensions', 'pattern-sd-grey-bar']);
const REFERENCE_DIR = ['generated', 'vpdq', 'vpdq-cpp-ffmpeg5.1.9-x86simd'];
const SLOW = 600_000;

const video = (name: string) => vectorPath('vpdq', 'tmk', 'sample-videos', `${name}.mp4`);
const reference = (file: string) => readFileSync(vectorPath(...REFERENCE_DIR, file), 'utf8');

function ffmpegVersion(): string {
  try {
    return execFileSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    return 'ffmpeg not in PATH';
  }
}

/** Line-by-line comparison; on any difference the report says how far off it is. */
function compare(ours: VpdqFrame[], expectedText: string) {
  const expected = parseVpdqFile(expectedText);
  const distances: number[] = [];
  let otherFieldDiffs = 0;
  for (let i = 0; i < Math.min(ours.length, expected.length); i++) {
    const a = ours[i]!;
    const b = expected[i]!;
    distances.push(hammingDistance(parsePdq(a.pdq), parsePdq(b.pdq)));
    if (a.frame !== b.frame || a.quality !== b.quality || a.timestamp !== b.timestamp) otherFieldDiffs++;
  }
  return {
    lines: ours.length,
    expectedLines: expected.length,
    identicalText: formatVpdqFile(ours) === expectedText,
    hashesDiffering: distances.filter((d) => d > 0).length,
    maxDistance: Math.max(0, ...distances),
    otherFieldDiffs,
  };
}

function expectIdentical(report: ReturnType<typeof compare>): void {
  expect(report, `with ${ffmpegVersion()}`).toEqual({
    lines: report.expectedLines,
    expectedLines: report.expectedLines,
    identicalText: true,
    hashesDiffering: 0,
    maxDistance: 0,
    otherFieldDiffs: 0,
  });
}

describeVectors('vPDQ frame hashes equal the reference C++ output', () => {
  for (const name of VIDEOS) {
    it(`${name}: one hash per second (-r 1, the HMA default)`, async () => {
      const result = await hashVideo(video(name));
      expectIdentical(compare(result.frames, reference(`${name}-r1.txt`)));
    }, SLOW);
  }

  for (const name of VIDEOS) {
    it.runIf(FULL || EVERY_FRAME_SUBSET.has(name))(`${name}: every frame at 128x128 area (-r 0 -s 128)`, async () => {
      const result = await hashVideo(video(name), { secondsPerHash: 0, downsample: 128 });
      expectIdentical(compare(result.frames, reference(`${name}-128x128-SWS_AREA.txt`)));
    }, SLOW);
  }

  for (const name of VIDEOS) {
    it.runIf(FULL || EVERY_FRAME_SUBSET.has(name))(`${name}: every frame at native size (-r 0)`, async () => {
      const result = await hashVideo(video(name), { secondsPerHash: 0 });
      expectIdentical(compare(result.frames, reference(`${name}.txt`)));
    }, SLOW);
  }

  it('chair-20 at 1 s is within 4 bits of python-threatexchange test hashes (made on swscale C path)', async () => {
    const lines = readFileSync(vectorPath('vpdq', 'expected-from-repo', 'chair-20-sd-bar.python-threatexchange-1s.txt'), 'utf8')
      .split('\n')
      .filter((l) => /^[0-9a-f]{64}$/.test(l));
    const result = await hashVideo(video('chair-20-sd-bar'));
    expect(result.frames.map((f) => f.frame)).toEqual(lines.map((_, i) => i * 30));
    const distances = result.frames.map((f, i) => hammingDistance(parsePdq(f.pdq), parsePdq(lines[i]!)));
    expect(Math.max(...distances)).toBeLessThanOrEqual(4);
    expect(result.frames.every((f) => f.quality === 100)).toBe(true);
  }, SLOW);
});
