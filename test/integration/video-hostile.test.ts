/**
 * Hostile and broken videos: every case ends in a typed error (or a partial, honest result), ffmpeg never follows
 * a playlist, nothing is left running or on disk, and the host process survives. All fixtures are generated here
 * with the system ffmpeg into a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, stat, mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTidscanError } from '../../src/errors.js';
import { hashVideo } from '../../src/media/video.js';

let dir: string;
let tempDir: string;
let server: Server;
let httpRequests = 0;
const f = (name: string) => path.join(dir, name);

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ffprobeFormat(file: string): string {
  try {
    return execFileSync('ffprobe', ['-v', 'quiet', '-show_entries', 'format=format_name', '-of', 'csv=p=0', file], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'failed';
  }
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (!isTidscanError(err)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a rejection');
}

/** Command lines of live processes that mention `text` (Linux /proc; empty elsewhere). */
async function commandLinesContaining(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' '));
  }
  return found;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-hostile-'));
  server = createServer((_req, res) => {
    httpRequests++;
    res.end('');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const src = ['-f', 'lavfi', '-i', 'testsrc2=s=96x64:r=10:d=2'];
  ffmpeg(...src, '-c:v', 'mpeg4', '-q:v', '3', '-pix_fmt', 'yuv420p', f('small.mp4'));
  ffmpeg(...src, '-c:v', 'mpeg4', '-q:v', '3', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', f('faststart.mp4'));
  ffmpeg(...src, '-c:v', 'mpeg4', '-q:v', '3', f('small.mkv'));
  ffmpeg('-f', 'lavfi', '-i', 'sine=d=1', '-c:a', 'aac', f('audio.m4a'));
  // Cheap to encode, slow to hash every frame of (1,800 frames of 640x360): for the timeout and abort tests.
  ffmpeg('-f', 'lavfi', '-i', 'color=c=gray:s=640x360:r=30:d=60', '-c:v', 'mpeg4', '-g', '300', f('long.mp4'));
  // A lossless 256x256 stream whose Matroska header is then patched to claim 16000x16000.
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=256x256:r=5:d=1', '-c:v', 'ffv1', f('huge.mkv'));
  const mkv = await readFile(f('huge.mkv'));
  for (const id of [0xb0, 0xba]) {
    const at = mkv.indexOf(Buffer.from([id, 0x82, 0x01, 0x00]));
    if (at < 0) throw new Error('PixelWidth/PixelHeight element not found');
    mkv.writeUInt16BE(16000, at + 2);
  }
  await writeFile(f('huge.mkv'), mkv);

  await writeFile(
    f('playlist.mp4'),
    [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXTINF:2.0,',
      `file:${f('small.mp4')}`,
      '#EXTINF:2.0,',
      `http://127.0.0.1:${port}/segment.ts`,
      '#EXT-X-ENDLIST',
      '',
    ].join('\n'),
  );
  await writeFile(f('concat.mp4'), "ffconcat version 1.0\nfile 'small.mp4'\nfile 'small.mp4'\n");
  const full = await readFile(f('small.mp4'));
  await writeFile(f('truncated-moov-at-end.mp4'), full.subarray(0, Math.floor(full.length / 2)));
  const fast = await readFile(f('faststart.mp4'));
  await writeFile(f('truncated-faststart.mp4'), fast.subarray(0, Math.floor(fast.length * 0.6)));
  await writeFile(f('random.mp4'), noise(65_536, 2024));
  await writeFile(f('empty.mp4'), Buffer.alloc(0));
});

beforeEach(async () => {
  tempDir = await mkdtemp(path.join(dir, 'tmp-'));
});

afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function expectTempDirEmpty(): Promise<void> {
  expect(await readdir(tempDir)).toEqual([]);
}

describe('hostile inputs', () => {
  it('refuses an HLS playlist renamed .mp4 without opening the file: or http: URLs it lists', async () => {
    expect(ffprobeFormat(f('playlist.mp4'))).toBe('hls'); // an unhardened ffprobe would follow it
    httpRequests = 0;
    const err = await failure(hashVideo(f('playlist.mp4')));
    expect(err.code).toBe('UNSUPPORTED_CONTAINER');
    expect(err.message).toMatch(/\(hls\)/);
    const fromBuffer = await failure(hashVideo(await readFile(f('playlist.mp4')), { tempDir }));
    expect(fromBuffer.code).toBe('UNSUPPORTED_CONTAINER');
    expect(httpRequests).toBe(0);
    await expectTempDirEmpty();
  });

  it('refuses an ffconcat list', async () => {
    expect(ffprobeFormat(f('concat.mp4'))).toBe('concat');
    expect((await failure(hashVideo(f('concat.mp4')))).code).toBe('UNSUPPORTED_CONTAINER');
  });

  it('reports an MP4 cut before its index as DECODE_FAILED', async () => {
    expect((await failure(hashVideo(f('truncated-moov-at-end.mp4')))).code).toBe('DECODE_FAILED');
  });

  it('hashes the decodable part of a truncated fast-start MP4', async () => {
    const whole = await hashVideo(f('faststart.mp4'), { secondsPerHash: 0 });
    const part = await hashVideo(f('truncated-faststart.mp4'), { secondsPerHash: 0 });
    expect(part.frames.length).toBeGreaterThan(0);
    expect(part.frames.length).toBeLessThan(whole.frames.length);
    // The last frame may come from a packet cut in the middle; every earlier one is intact.
    expect(part.frames.slice(0, -1)).toEqual(whole.frames.slice(0, part.frames.length - 1));
  });

  it('refuses random bytes with a typed error', async () => {
    expect(['UNSUPPORTED_CONTAINER', 'DECODE_FAILED', 'NO_VIDEO_STREAM']).toContain((await failure(hashVideo(f('random.mp4')))).code);
  });

  it('refuses zero bytes as EMPTY_INPUT (path, Buffer and stream)', async () => {
    expect((await failure(hashVideo(f('empty.mp4')))).code).toBe('EMPTY_INPUT');
    expect((await failure(hashVideo(new Uint8Array(0), { tempDir }))).code).toBe('EMPTY_INPUT');
    expect((await failure(hashVideo((async function* () {})(), { tempDir }))).code).toBe('EMPTY_INPUT');
    await expectTempDirEmpty();
  });

  it('reports an audio-only file as NO_VIDEO_STREAM', async () => {
    const err = await failure(hashVideo(f('audio.m4a')));
    expect(err).toEqual({ code: 'NO_VIDEO_STREAM', message: expect.stringContaining('audio') });
  });

  it('refuses a forged 16000x16000 header before decoding (TOO_MANY_PIXELS)', async () => {
    const err = await failure(hashVideo(f('huge.mkv')));
    expect(err).toEqual({ code: 'TOO_MANY_PIXELS', message: expect.stringContaining('16000x16000') });
  });

  it('refuses frames above maxPixels', async () => {
    expect((await failure(hashVideo(f('small.mp4'), { maxPixels: 96 * 64 - 1 }))).code).toBe('TOO_MANY_PIXELS');
  });

  it('refuses a video longer than maxDurationSec', async () => {
    expect((await failure(hashVideo(f('small.mp4'), { maxDurationSec: 1 }))).code).toBe('VIDEO_TOO_LONG');
  });

  it('stops decoding at maxFrames even when the container does not state a frame count', async () => {
    // Matroska carries no frame count, so only the decoding loop can notice.
    expect((await failure(hashVideo(f('small.mkv'), { secondsPerHash: 0, maxFrames: 5 }))).code).toBe('TOO_MANY_FRAMES');
    expect((await failure(hashVideo(f('small.mkv'), { maxFrames: 5 }))).code).toBe('TOO_MANY_FRAMES');
    expect((await hashVideo(f('small.mkv'), { secondsPerHash: 0, maxFrames: 20 })).frames).toHaveLength(20);
  });

  it('refuses inputs over maxInputBytes (path, Buffer, stream) and stops reading the stream', async () => {
    const bytes = await readFile(f('small.mp4'));
    expect((await failure(hashVideo(f('small.mp4'), { maxInputBytes: bytes.length - 1 }))).code).toBe('INPUT_TOO_LARGE');
    expect((await failure(hashVideo(bytes, { maxInputBytes: bytes.length - 1, tempDir }))).code).toBe('INPUT_TOO_LARGE');
    let pulled = 0;
    let closed = false;
    async function* chunks() {
      try {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield new Uint8Array(1000);
        }
      } finally {
        closed = true;
      }
    }
    expect((await failure(hashVideo(chunks(), { maxInputBytes: 5000, tempDir }))).code).toBe('INPUT_TOO_LARGE');
    expect(pulled).toBe(6);
    expect(closed).toBe(true);
    await expectTempDirEmpty();
  });

  it('gives up on a stalled upload stream at the timeout (DECODE_TIMEOUT) and removes the temp file', async () => {
    async function* stalled() {
      yield new Uint8Array(100);
      await new Promise(() => {});
    }
    expect((await failure(hashVideo(stalled(), { timeoutMs: 300, tempDir }))).code).toBe('DECODE_TIMEOUT');
    await expectTempDirEmpty();
  });

  it('kills ffmpeg at the timeout (FFMPEG_TIMEOUT) and leaves no process or file behind', async () => {
    const marker = path.join(tempDir, 'tidscan-video-');
    const started = Date.now();
    const err = await failure(hashVideo(await readFile(f('long.mp4')), { secondsPerHash: 0, timeoutMs: 1500, tempDir }));
    expect(err.code).toBe('FFMPEG_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await commandLinesContaining(marker)).toEqual([]);
    await expectTempDirEmpty();
  });

  it('aborts on signal with the signal reason, killing ffmpeg and removing the temp file', async () => {
    const controller = new AbortController();
    const reason = new Error('upload cancelled');
    setTimeout(() => controller.abort(reason), 300);
    await expect(
      hashVideo(await readFile(f('long.mp4')), { secondsPerHash: 0, signal: controller.signal, tempDir }),
    ).rejects.toBe(reason);
    await expectTempDirEmpty();
    const already = AbortSignal.abort(reason);
    await expect(hashVideo(f('small.mp4'), { signal: already })).rejects.toBe(reason);
  });

  it('reports a missing file as INPUT_NOT_FOUND and a directory as INPUT_READ_FAILED', async () => {
    expect((await failure(hashVideo(f('nope.mp4')))).code).toBe('INPUT_NOT_FOUND');
    expect((await failure(hashVideo(dir))).code).toBe('INPUT_READ_FAILED');
  });

  it('reports a missing ffmpeg as FFMPEG_NOT_FOUND', async () => {
    const err = await failure(hashVideo(f('small.mp4'), { ffmpegPath: path.join(dir, 'no-ffmpeg') }));
    expect(err.code).toBe('FFMPEG_NOT_FOUND');
  });

  it('keeps the temporary copy private (0700 folder, 0600 file) while it exists', async () => {
    const bytes = await readFile(f('small.mp4'));
    const modes: number[] = [];
    async function* chunks() {
      yield bytes.subarray(0, 1000);
      const [folder] = await readdir(tempDir);
      modes.push((await stat(path.join(tempDir, folder!))).mode & 0o777);
      modes.push((await stat(path.join(tempDir, folder!, 'input'))).mode & 0o777);
      yield bytes.subarray(1000);
    }
    await hashVideo(chunks(), { tempDir });
    expect(modes).toEqual([0o700, 0o600]);
    await expectTempDirEmpty();
  });
});

describe('inputs and results', () => {
  it('gives the same result for a path, a Buffer and a stream, with the file digests', async () => {
    const bytes = await readFile(f('small.mp4'));
    const fromPath = await hashVideo(f('small.mp4'), { secondsPerHash: 0 });
    const fromBuffer = await hashVideo(bytes, { secondsPerHash: 0, tempDir });
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
    }
    const fromStream = await hashVideo(chunks(), { secondsPerHash: 0, tempDir });
    expect(fromBuffer).toEqual(fromPath);
    expect(fromStream).toEqual(fromPath);
    expect(fromPath).toMatchObject({
      md5: createHash('md5').update(bytes).digest('hex'),
      sha1: createHash('sha1').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      width: 96,
      height: 64,
      fps: 10,
      durationSec: 2,
      codec: 'mpeg4',
      frameMod: 1,
    });
    expect(fromPath.frames.map((fr) => fr.frame)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await expectTempDirEmpty();
  });

  it('samples trunc(secondsPerHash x fps) frames apart with float32 timestamps at 29.97 fps', async () => {
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=30000/1001:d=4', '-c:v', 'mpeg4', '-q:v', '5', f('ntsc.mp4'));
    const every = await hashVideo(f('ntsc.mp4'), { secondsPerHash: 0 });
    const sampled = await hashVideo(f('ntsc.mp4'));
    expect(sampled.fps).toBeCloseTo(29.97, 2);
    expect(sampled.frameMod).toBe(29);
    expect(sampled.frames.map((fr) => fr.frame)).toEqual([0, 29, 58, 87, 116].filter((n) => n < every.frames.length));
    // The sampled frames are exactly the corresponding frames of the every-frame run.
    expect(sampled.frames).toEqual(every.frames.filter((fr) => fr.frame % 29 === 0));
    expect(sampled.frames[1]!.timestamp).toBe(Number(Math.fround(Math.fround(29) / Math.fround(sampled.fps)).toFixed(3)));
  });
});
