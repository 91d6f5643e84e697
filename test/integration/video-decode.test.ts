/**
 * The decoding rules vPDQ depends on (VPDQ.md section 5), checked on raw decoded pixels: rotation metadata and
 * BT.709 colour tags are ignored, exactly as the reference C++ ignores them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg } from '../../src/media/ffmpeg.js';
import { probeFile } from '../../src/media/probe.js';
import { hashVideo } from '../../src/media/video.js';
import { decodeFrames } from '../../src/media/video-frames.js';
import { DEFAULT_VIDEO_CONTAINERS } from '../../src/media/video-options.js';

let dir: string;
const f = (name: string) => path.join(dir, name);

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Every decoded frame as our pipeline produces it, concatenated. */
async function pixels(file: string): Promise<{ width: number; height: number; bytes: Buffer }> {
  const { ffmpeg: bin, ffprobe } = await locateFfmpeg();
  const common = { allowedContainers: DEFAULT_VIDEO_CONTAINERS, maxAllocBytes: 256 * 1024 * 1024, timeoutMs: 30_000 };
  const probe = await probeFile(file, { ffprobe, ...common });
  const frames: Buffer[] = [];
  for await (const frame of decodeFrames({
    ffmpeg: bin,
    file,
    demuxer: probe.demuxer,
    width: probe.width,
    height: probe.height,
    downsample: false,
    frameMod: 1,
    ...common,
  })) {
    frames.push(Buffer.from(frame.pixels));
  }
  return { width: probe.width, height: probe.height, bytes: Buffer.concat(frames) };
}

/** What plain `ffmpeg -i F -f rawvideo -pix_fmt rgb24` (autorotate, tag-honouring conversion) outputs. */
function naivePixels(file: string): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-decode-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=96x64:r=10:d=1', '-c:v', 'mpeg4', '-q:v', '3', '-pix_fmt', 'yuv420p', f('plain.mp4'));
  ffmpeg('-i', f('plain.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', f('rotated.mp4'));
  ffmpeg('-i', f('plain.mp4'), '-c', 'copy', '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-movflags', '+write_colr', f('bt709.mp4'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('frame decoding', () => {
  it('ignores rotation metadata (no autorotate), like vPDQ', async () => {
    const plain = await pixels(f('plain.mp4'));
    const rotated = await pixels(f('rotated.mp4'));
    expect(naivePixels(f('rotated.mp4')).equals(naivePixels(f('plain.mp4')))).toBe(false); // the tag is real
    expect(rotated.width).toBe(96);
    expect(rotated.bytes.equals(plain.bytes)).toBe(true);
    const hashed = await hashVideo(f('rotated.mp4'), { secondsPerHash: 0 });
    expect({ width: hashed.width, height: hashed.height }).toEqual({ width: 96, height: 64 });
    expect(hashed.frames).toEqual((await hashVideo(f('plain.mp4'), { secondsPerHash: 0 })).frames);
  });

  it('converts BT.709-tagged streams with the BT.601 matrix, like vPDQ', async () => {
    expect(naivePixels(f('bt709.mp4')).equals(naivePixels(f('plain.mp4')))).toBe(false); // the tag is honoured by default
    expect((await pixels(f('bt709.mp4'))).bytes.equals((await pixels(f('plain.mp4'))).bytes)).toBe(true);
  });

  it('outputs every decoded frame once, in order, with passthrough timing', async () => {
    const { bytes, width, height } = await pixels(f('plain.mp4'));
    expect(bytes.length).toBe(10 * width * height * 3);
  });
});
