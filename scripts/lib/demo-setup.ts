/**
 * Where the demo keeps its files, and making sure its media and lists exist (generated once, reused while the
 * generator version and the files' digests still match).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTidscanError } from '../../src/errors.js';
import { locateFfmpeg } from '../../src/media/ffmpeg.js';
import { buildDemoLists, type DemoLists } from './demo-list.js';
import { DEMO_MEDIA_VERSION, type DemoManifest, generateDemoMedia } from './demo-media.js';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The demo's folders and files (all under `.tidscan/demo/` unless `TIDSCAN_DEMO_DIR` says otherwise). */
export interface DemoPaths {
  root: string;
  media: string;
  lists: string;
  store: string;
  checkpoint: string;
  ndjson: string;
  html: string;
}

/** The demo paths, rooted at `TIDSCAN_DEMO_DIR` or `<repo>/.tidscan/demo`. */
export function demoPaths(env: NodeJS.ProcessEnv = process.env): DemoPaths {
  const root = path.resolve(env.TIDSCAN_DEMO_DIR ?? path.join(REPO_ROOT, '.tidscan', 'demo'));
  return {
    root,
    media: path.join(root, 'media'),
    lists: path.join(root, 'lists'),
    store: path.join(root, 'store.sqlite'),
    checkpoint: path.join(root, 'rescan-checkpoint.json'),
    ndjson: path.join(root, 'report.ndjson'),
    html: path.join(root, 'report.html'),
  };
}

/** The ffmpeg binary, or null (with the reason) when it cannot be found. */
export async function findFfmpeg(): Promise<{ ffmpeg: string | null; reason?: string }> {
  try {
    return { ffmpeg: (await locateFfmpeg()).ffmpeg };
  } catch (err) {
    return { ffmpeg: null, reason: isTidscanError(err) ? err.message : String(err) };
  }
}

async function existingManifest(mediaDir: string, wantVideos: boolean): Promise<DemoManifest | undefined> {
  let manifest: DemoManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(mediaDir, 'manifest.json'), 'utf8')) as DemoManifest;
  } catch {
    return undefined;
  }
  if (manifest.version !== DEMO_MEDIA_VERSION || manifest.videos !== wantVideos) return undefined;
  for (const f of manifest.files) {
    try {
      const data = await readFile(path.join(mediaDir, ...f.file.split('/')));
      if (createHash('sha256').update(data).digest('hex') !== f.sha256) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest;
}

/** Result of {@link ensureDemoMedia}. */
export interface DemoMedia {
  manifest: DemoManifest;
  lists: DemoLists;
  /** False when existing files were reused. */
  generated: boolean;
}

/** Generates the media (unless an intact set exists) and (re)builds the lists. */
export async function ensureDemoMedia(paths: DemoPaths, ffmpeg: string | null, force = false): Promise<DemoMedia> {
  let manifest = force ? undefined : await existingManifest(paths.media, ffmpeg !== null);
  const generated = manifest === undefined;
  manifest ??= await generateDemoMedia(paths.media, { ffmpeg });
  const lists = await buildDemoLists(paths.media, manifest, paths.lists);
  return { manifest, lists, generated };
}
