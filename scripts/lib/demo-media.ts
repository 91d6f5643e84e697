/**
 * The demo media set: listed originals, edited copies of them, unrelated pictures, a flat picture, and videos
 * (a listed clip, a re-encode of it, a clip that shows a listed photo in the middle, and an unrelated clip).
 * Everything is generated from fixed seeds, so every run writes the same bytes.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { encodeFrames } from './ffmpeg-encode.js';
import { createScene, renderFlat, renderScene, type Scene } from './synth.js';

/** Bump when the generator's output changes, so stale folders are regenerated. */
export const DEMO_MEDIA_VERSION = 1;

/** What a demo file is and what the demo expects the scanner to say about it. */
export interface DemoFile {
  /** Path relative to the media folder, with `/` separators. */
  file: string;
  sha256: string;
  kind: 'image' | 'video';
  role: 'listed' | 'edited' | 'unrelated' | 'flat' | 'listed-video' | 'contains-listed' | 'reencoded-listed';
  /** The listed original or clip this file derives from. */
  of?: string;
  /** The edit applied to the original. */
  edit?: string;
  /** Human-readable expectation for the demo table. */
  expect: string;
}

/** The manifest written beside the media. */
export interface DemoManifest {
  version: number;
  /** False when ffmpeg was not available: no videos. */
  videos: boolean;
  files: DemoFile[];
}

const IMAGE_W = 640;
const IMAGE_H = 480;
const VIDEO_W = 320;
const VIDEO_H = 240;
const FPS = 10;

/** Seeds of the listed originals; their ids in the demo list are `tid-demo-000N`. */
export const LISTED_SEEDS = ['listed-1', 'listed-2', 'listed-3'] as const;
const UNRELATED_SEEDS = ['unrelated-1', 'unrelated-2', 'unrelated-3', 'unrelated-4'] as const;

type Edit = { name: string; expect: string; apply: (img: Sharp) => Sharp };

/** The edits applied to each listed original, the way uploads get altered in practice. */
const EDITS: Edit[] = [
  { name: 'resized', expect: 'match (near)', apply: (i) => i.resize(256, 192).jpeg({ quality: 85 }) },
  { name: 'recompressed', expect: 'match (near)', apply: (i) => i.jpeg({ quality: 18 }) },
  {
    name: 'cropped',
    expect: 'match (near)',
    apply: (i) => i.extract({ left: 6, top: 5, width: IMAGE_W - 12, height: IMAGE_H - 10 }).jpeg({ quality: 90 }),
  },
  { name: 'rotated90', expect: 'match (dihedral)', apply: (i) => i.rotate(90).jpeg({ quality: 90 }) },
  { name: 'mirrored', expect: 'match (dihedral)', apply: (i) => i.flop().jpeg({ quality: 90 }) },
  { name: 'brighter', expect: 'match (near)', apply: (i) => i.linear(1.1, 12).jpeg({ quality: 90 }) },
];

function raw(pixels: Buffer, width: number, height: number): Sharp {
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

async function writeFileReport(root: string, rel: string, data: Buffer, meta: Omit<DemoFile, 'file' | 'sha256'>) {
  const abs = path.join(root, ...rel.split('/'));
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, data);
  return { file: rel, sha256: createHash('sha256').update(data).digest('hex'), ...meta } satisfies DemoFile;
}

function* panFrames(scene: Scene, seconds: number, from: number, to: number): Generator<Buffer> {
  const count = seconds * FPS;
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 0 : i / (count - 1);
    const x = from + (to - from) * t;
    yield renderScene(scene, VIDEO_W, VIDEO_H, {
      viewport: { x, y: 0.1 + 0.05 * t, width: 0.6, height: 0.6 },
    });
  }
}

function* stillFrames(pixels: Buffer, seconds: number): Generator<Buffer> {
  for (let i = 0; i < seconds * FPS; i++) yield pixels;
}

/** Options of {@link generateDemoMedia}. */
export interface GenerateOptions {
  /** ffmpeg binary for the videos; `null` skips the videos. */
  ffmpeg: string | null;
}

/**
 * Writes the demo media into `root` (emptied first) and returns the manifest (also written as
 * `root/manifest.json`).
 */
export async function generateDemoMedia(root: string, options: GenerateOptions): Promise<DemoManifest> {
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const files: DemoFile[] = [];

  for (const seed of LISTED_SEEDS) {
    const pixels = renderScene(createScene(seed), IMAGE_W, IMAGE_H);
    const original = await raw(pixels, IMAGE_W, IMAGE_H).jpeg({ quality: 92 }).toBuffer();
    files.push(
      await writeFileReport(root, `images/${seed}.jpg`, original, { kind: 'image', role: 'listed', expect: 'match (exact)' }),
    );
    for (const edit of EDITS) {
      const data = await edit.apply(sharp(original)).toBuffer();
      files.push(
        await writeFileReport(root, `images/${seed}.${edit.name}.jpg`, data, {
          kind: 'image',
          role: 'edited',
          of: `images/${seed}.jpg`,
          edit: edit.name,
          expect: edit.expect,
        }),
      );
    }
  }
  for (const [i, seed] of UNRELATED_SEEDS.entries()) {
    const img = raw(renderScene(createScene(seed), IMAGE_W, IMAGE_H), IMAGE_W, IMAGE_H);
    const png = i === UNRELATED_SEEDS.length - 1;
    const data = await (png ? img.png({ compressionLevel: 9 }) : img.jpeg({ quality: 90 })).toBuffer();
    files.push(
      await writeFileReport(root, `images/${seed}.${png ? 'png' : 'jpg'}`, data, {
        kind: 'image',
        role: 'unrelated',
        expect: 'no_match',
      }),
    );
  }
  const flat = await raw(renderFlat(IMAGE_W, IMAGE_H, [128, 128, 128]), IMAGE_W, IMAGE_H).png().toBuffer();
  files.push(await writeFileReport(root, 'images/flat-grey.png', flat, { kind: 'image', role: 'flat', expect: 'unhashable' }));

  if (options.ffmpeg !== null) files.push(...(await generateVideos(root, options.ffmpeg)));

  const manifest: DemoManifest = { version: DEMO_MEDIA_VERSION, videos: options.ffmpeg !== null, files };
  await writeFile(path.join(root, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function generateVideos(root: string, ffmpeg: string): Promise<DemoFile[]> {
  const out: DemoFile[] = [];
  const encode = async (rel: string, frames: Iterable<Buffer>, crf: number, meta: Omit<DemoFile, 'file' | 'sha256'>) => {
    const abs = path.join(root, ...rel.split('/'));
    await mkdir(path.dirname(abs), { recursive: true });
    await encodeFrames(frames, abs, { ffmpeg, width: VIDEO_W, height: VIDEO_H, fps: FPS, crf });
    const data = await readFile(abs);
    out.push({ file: rel, sha256: createHash('sha256').update(data).digest('hex'), ...meta });
  };
  const listedClip = createScene('listed-video-1');
  await encode('videos/listed-clip.mp4', panFrames(listedClip, 6, 0.05, 0.35), 20, {
    kind: 'video',
    role: 'listed-video',
    expect: 'match (exact + vPDQ)',
  });
  await encode('videos/listed-clip.reencoded.mp4', panFrames(listedClip, 6, 0.05, 0.35), 34, {
    kind: 'video',
    role: 'reencoded-listed',
    of: 'videos/listed-clip.mp4',
    expect: 'match (vPDQ)',
  });
  // A listed photo shown for three seconds in the middle of unrelated footage.
  const photo = await sharp(path.join(root, 'images', `${LISTED_SEEDS[1]}.jpg`))
    .resize(VIDEO_W, VIDEO_H)
    .removeAlpha()
    .raw()
    .toBuffer();
  const before = createScene('video-scene-a');
  const after = createScene('video-scene-b');
  const frames = function* () {
    yield* panFrames(before, 3, 0.1, 0.3);
    yield* stillFrames(photo, 3);
    yield* panFrames(after, 3, 0.3, 0.1);
  };
  await encode('videos/holiday-with-listed-photo.mp4', frames(), 20, {
    kind: 'video',
    role: 'contains-listed',
    of: `images/${LISTED_SEEDS[1]}.jpg`,
    expect: 'match (frame ~3-6 s)',
  });
  await encode('videos/unrelated-clip.mp4', panFrames(createScene('video-scene-c'), 6, 0.3, 0.0), 20, {
    kind: 'video',
    role: 'unrelated',
    expect: 'no_match',
  });
  return out;
}
