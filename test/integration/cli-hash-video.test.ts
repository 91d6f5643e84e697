/**
 * `tidscan hash` on videos, through the real CLI process: the JSON contract, the sampling flags, routing by
 * content (not extension), mixed image/video batches and usage errors.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVpdqFile } from '../../src/hash/vpdq-format.js';
import { runCli } from '../helpers/cli.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';

let dir: string;
const f = (name: string) => path.join(dir, name);
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-cli-video-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=96x64:r=10:d=3', '-c:v', 'mpeg4', '-q:v', '3', f('clip.mp4'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=96x64:r=10:d=1', '-frames:v', '1', f('still.png'));
  // A QuickTime file whose first box is not `ftyp` (renamed to `free`): no signature matches, ffprobe still knows it.
  const mov = await readFile(f('clip.mp4'));
  mov.write('free', 4, 'latin1');
  await writeFile(f('no-signature.bin'), mov);
  // A video named like an image, and an HLS playlist named like a video.
  await writeFile(f('video-named.jpg'), await readFile(f('clip.mp4')));
  await writeFile(f('playlist.mp4'), `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nfile:${f('clip.mp4')}\n#EXT-X-ENDLIST\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tidscan hash VIDEO', () => {
  it('prints the video contract, keys in order, one hash per second by default', async () => {
    const r = await runCli(['hash', f('clip.mp4')]);
    expect(r.status).toBe(0);
    const [out] = lines(r.stdout);
    expect(Object.keys(out!)).toEqual(['file', 'md5', 'sha1', 'sha256', 'width', 'height', 'fps', 'vpdq']);
    expect(out).toMatchObject({ file: f('clip.mp4'), width: 96, height: 64, fps: 10 });
    const vpdq = out!.vpdq as Array<Record<string, unknown>>;
    expect(vpdq.map((v) => Object.keys(v))).toEqual(vpdq.map(() => ['frame', 'timestamp', 'pdq', 'quality']));
    expect(vpdq.map((v) => [v.frame, v.timestamp])).toEqual([
      [0, 0],
      [10, 1],
      [20, 2],
    ]);
    expect(out!.md5).toBe(createHash('md5').update(readFileSync(f('clip.mp4'))).digest('hex'));
  });

  it('--every-frame equals --seconds-per-hash 0, and --seconds-per-hash 2 picks every 20th frame of it', async () => {
    const every = lines((await runCli(['hash', '--every-frame', f('clip.mp4')])).stdout)[0]!.vpdq as Array<{ frame: number }>;
    const zero = lines((await runCli(['hash', '--seconds-per-hash', '0', f('clip.mp4')])).stdout)[0]!.vpdq;
    const two = lines((await runCli(['hash', '--seconds-per-hash', '2', f('clip.mp4')])).stdout)[0]!.vpdq;
    expect(every.map((v) => v.frame)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(zero).toEqual(every);
    expect(two).toEqual(every.filter((v) => v.frame % 20 === 0));
  });

  it('routes by content: a video named .jpg and a QuickTime file without a signature are hashed as videos', async () => {
    const r = await runCli(['hash', f('video-named.jpg'), f('no-signature.bin')]);
    expect(r.status).toBe(0);
    const [named, unsigned] = lines(r.stdout);
    const clip = lines((await runCli(['hash', f('clip.mp4')])).stdout)[0]!;
    expect(named!.vpdq).toEqual(clip.vpdq);
    expect(unsigned!.vpdq).toEqual(clip.vpdq);
  });

  it('keeps argument order in a mixed batch and exits 1 when any file fails', async () => {
    const r = await runCli(['hash', f('clip.mp4'), f('still.png'), f('playlist.mp4'), f('missing.mp4')]);
    expect(r.status).toBe(1);
    const out = lines(r.stdout);
    expect(out.map((o) => o.file)).toEqual([f('clip.mp4'), f('still.png'), f('playlist.mp4'), f('missing.mp4')]);
    expect(out[0]).toHaveProperty('vpdq');
    expect(out[1]).toHaveProperty('pdq');
    expect(Object.keys(out[2]!)).toEqual(['file', 'error']);
    expect(Object.keys(out[2]!.error as object)).toEqual(['code', 'message']);
    expect(out[3]).toHaveProperty('error.code', 'INPUT_NOT_FOUND');
  });

  it.each([
    [['--every-frame', '--seconds-per-hash', '1'], /cannot be used together/],
    [['--seconds-per-hash=-1'], /--seconds-per-hash must be a number of seconds >= 0, got "-1"/],
    [['--seconds-per-hash', 'soon'], /got "soon"/],
  ])('exits 2 on %j', async (flags, message) => {
    const r = await runCli(['hash', ...flags, f('clip.mp4')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describeVectors('tidscan hash on a reference video', () => {
  it('prints the reference C++ one-per-second hashes', async () => {
    const name = 'test-padded-dimensions';
    const r = await runCli(['hash', vectorPath('vpdq', 'tmk', 'sample-videos', `${name}.mp4`)]);
    expect(r.status).toBe(0);
    const expected = parseVpdqFile(readFileSync(vectorPath('generated', 'vpdq', 'vpdq-cpp-ffmpeg5.1.9-x86simd', `${name}-r1.txt`), 'utf8'));
    expect(lines(r.stdout)[0]!.vpdq).toEqual(expected);
  });
});
