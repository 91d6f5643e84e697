/**
 * Videos end to end through the facade, against lists synced from the loopback NCMEC mock (images, video digests)
 * and a loopback list file (vPDQ features). Videos are made with the system ffmpeg from generated frames.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrames } from '../../scripts/lib/ffmpeg-encode.js';
import { createScene, renderScene } from '../../scripts/lib/synth.js';
import { VideoError } from '../../src/errors.js';
import { hashImage } from '../../src/media/image.js';
import { hashVideo } from '../../src/media/video.js';
import { type Scanner, createScanner } from '../../src/scanner/index.js';
import { createFileSource } from '../../src/sync/file-source.js';
import { createNcmecSource } from '../../src/sync/ncmec/source.js';
import { type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { type ListServer, naiveDistance, startListServer } from './scanner-helpers.js';

const W = 320;
const H = 240;
const FPS = 10;

let dir: string;
let ncmec: MockNcmecServer;
let listFile: ListServer;
let scanner: Scanner;
const files: Record<string, string> = {};
let photoPdq: string;
let clipFrames: Array<{ pdq: string; quality: number; timestamp: number }>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-scanner-video-'));
  const photo = renderScene(createScene('scanner-listed'), W, H);
  const other = renderScene(createScene('scanner-unrelated'), W, H);
  photoPdq = (await hashImage(await sharp(photo, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer())).pdq.hash;

  // 2 s of an unrelated picture, then 2 s of the listed photo.
  files.withPhoto = path.join(dir, 'with-photo.mp4');
  await encodeFrames([...Array<Buffer>(2 * FPS).fill(other), ...Array<Buffer>(2 * FPS).fill(photo)], files.withPhoto, {
    ffmpeg: 'ffmpeg',
    width: W,
    height: H,
    fps: FPS,
  });
  // A slow pan over another scene, and the same frames encoded again much worse.
  const scene = createScene('scanner-clip');
  const pan = Array.from({ length: 3 * FPS }, (_, i) =>
    renderScene(scene, W, H, { viewport: { x: i * 0.01, y: 0, width: 0.7, height: 0.7 }, noiseFrame: i }),
  );
  files.clip = path.join(dir, 'clip.mp4');
  files.clipReencoded = path.join(dir, 'clip-crf38.mp4');
  await encodeFrames(pan, files.clip, { ffmpeg: 'ffmpeg', width: W, height: H, fps: FPS });
  await encodeFrames(pan, files.clipReencoded, { ffmpeg: 'ffmpeg', width: W, height: H, fps: FPS, crf: 38 });
  files.audio = path.join(dir, 'tone.m4a');
  await promisify(execFile)('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', files.audio]);

  const clip = await hashVideo(files.clip, { secondsPerHash: 0 });
  clipFrames = clip.frames.map(({ pdq, quality, timestamp }) => ({ pdq, quality, timestamp }));

  const listedAt = Date.now() - 60_000;
  ncmec = await startMockNcmecServer({ entries: 50, seed: 5 });
  ncmec.add({ id: 'tid-photo', kind: 'image', classification: 'A1', fingerprints: { pdq: photoPdq } }, { timestamp: listedAt });
  ncmec.add({ id: 'tid-clip-file', kind: 'video', fingerprints: { md5: clip.md5 } }, { timestamp: listedAt });
  listFile = await startListServer([{ id: 'vpdq-clip', kind: 'video', fingerprints: { vpdq: clipFrames } }]);

  scanner = await createScanner({
    lists: [
      { source: createNcmecSource({ baseUrl: ncmec.url, username: ncmec.username, password: ncmec.password, id: 'ncmec' }) },
      { source: createFileSource({ location: listFile.url, id: 'partner' }) },
    ],
  });
  await scanner.sync();
}, 120_000);

afterAll(async () => {
  await scanner?.close();
  await ncmec?.close();
  await listFile?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('matchVideo', () => {
  it('catches a listed photo shown inside a video, at the frames and timestamps where it appears', async () => {
    const v = await scanner.matchVideo(files.withPhoto);
    expect(v.kind).toBe('match');
    if (v.kind !== 'match') return;
    const photoMatch = v.matches.find((m) => m.entryId === 'tid-photo');
    expect(photoMatch?.signal).toBe('pdq');
    if (photoMatch?.signal !== 'pdq') return;

    // Independently: hash the video, compare every sampled frame with the listed hash by a nibble popcount.
    const hashed = await hashVideo(files.withPhoto);
    const expectedFrames = hashed.frames
      .map((f) => ({ frame: f.frame, timestamp: f.timestamp, distance: naiveDistance(f.pdq, photoPdq) }))
      .filter((f) => f.distance <= 31);
    expect(photoMatch.frames).toEqual(expectedFrames);
    // Ground truth from how the video was made: the photo is on screen from 2 s on, and only then.
    expect(expectedFrames.map((f) => f.timestamp)).toEqual([2, 3]);
    expect(photoMatch.frame).toEqual(expectedFrames.reduce((a, b) => (b.distance < a.distance ? b : a)));
    expect(photoMatch.distance).toBe(photoMatch.frame!.distance);
    expect(v.media).toMatchObject({ kind: 'video', width: W, height: H, fps: FPS });
    expect(v.hashes.vpdq).toHaveLength(4);
  });

  it('matches a listed video file by its digest (against video entries only)', async () => {
    const v = await scanner.matchVideo(files.clip);
    expect(v.kind).toBe('match');
    if (v.kind !== 'match') return;
    expect(v.matches.find((m) => m.list === 'ncmec')).toMatchObject({
      entryId: 'tid-clip-file',
      entryKind: 'video',
      signal: 'md5',
      distance: 0,
    });
  });

  it('matches a re-encoded copy by vPDQ with the percentages computed independently', async () => {
    const v = await scanner.matchVideo(files.clipReencoded);
    expect(v.kind).toBe('match');
    if (v.kind !== 'match') return;
    const m = v.matches.find((x) => x.entryId === 'vpdq-clip');
    expect(m?.signal).toBe('vpdq');
    if (m?.signal !== 'vpdq') return;

    // Naive bag-of-frames with HMA's rules: quality >= 50, unique hashes, distance <= 31.
    const query = [...new Set(v.hashes.vpdq!.filter((f) => f.quality >= 50).map((f) => f.pdq))];
    const target = [...new Set(clipFrames.filter((f) => f.quality >= 50).map((f) => f.pdq))];
    const close = (a: string, b: string): boolean => naiveDistance(a, b) <= 31;
    const queryPercent = (query.filter((q) => target.some((t) => close(q, t))).length * 100) / query.length;
    const targetPercent = (target.filter((t) => query.some((q) => close(q, t))).length * 100) / target.length;
    expect(queryPercent).toBeGreaterThanOrEqual(80);
    expect(m.queryPercent).toBe(queryPercent);
    expect(m.targetPercent).toBe(targetPercent);
    expect(m.distance).toBe(Math.min(...query.flatMap((q) => target.map((t) => naiveDistance(q, t)))));
    // The re-encoded file is a different file: no digest match.
    expect(v.matches.some((x) => x.signal === 'md5')).toBe(false);
  });

  it('does not match a video of unrelated content', async () => {
    const unrelated = path.join(dir, 'unrelated.mp4');
    const frames = Array.from({ length: 2 * FPS }, (_, i) => renderScene(createScene('scanner-video-other'), W, H, { noiseFrame: i }));
    await encodeFrames(frames, unrelated, { ffmpeg: 'ffmpeg', width: W, height: H, fps: FPS });
    const v = await scanner.matchVideo(await readFile(unrelated));
    expect(v).toMatchObject({ kind: 'no_match', operation: 'video' });
    expect(v.hashes.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('calls an audio-only file unhashable (no video stream), keeping its digests', async () => {
    const bytes = await readFile(files.audio);
    const v = await scanner.matchVideo(bytes);
    expect(v).toMatchObject({ kind: 'unhashable', reason: 'no_video_stream' });
    const { createHash } = await import('node:crypto');
    expect(v.hashes.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('calls a video smaller than 5 pixels a side unhashable (too small)', async () => {
    const tiny = path.join(dir, 'tiny.mp4');
    await encodeFrames(Array<Buffer>(10).fill(Buffer.alloc(4 * 4 * 3, 90)), tiny, { ffmpeg: 'ffmpeg', width: 4, height: 4, fps: FPS });
    const v = await scanner.matchVideo(tiny);
    expect(v).toMatchObject({ kind: 'unhashable', reason: 'too_small' });
    expect(v.hashes.sha256).toMatch(/^[0-9a-f]{64}$/); // read for the cache before decoding
  });

  it('rejects bad input with the video error hashVideo gives, unchanged', async () => {
    for (const input of [Buffer.from('definitely not a video'), path.join(dir, 'missing.mp4')]) {
      const direct = await hashVideo(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      const viaScanner = await scanner.matchVideo(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(direct).toBeInstanceOf(VideoError);
      expect(viaScanner).toBeInstanceOf(VideoError);
      expect((viaScanner as VideoError).code).toBe((direct as VideoError).code);
    }
  });

  it('serves a repeated video from the cache', async () => {
    const first = await scanner.matchVideo(files.withPhoto);
    const again = await scanner.matchVideo(files.withPhoto);
    expect(again.timing.cached).toBe(true);
    expect(again.kind).toBe(first.kind);
    expect(again.hashes).toEqual(first.hashes);
  });
});
