/**
 * What a rescan reads: the media files under folders (walked in sorted order) or named in a list file / stdin.
 *
 * @module
 */
import { opendir } from 'node:fs/promises';
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif', 'heic', 'heif']);
const VIDEO_EXTENSIONS = new Set([
  'mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'mpg', 'mpeg', 'ts', 'mts', 'm2ts', '3gp', '3g2', 'wmv', 'flv', 'ogv',
]);

/** `image` or `video` from a file name's extension (case-insensitive), or undefined for anything else. */
export function mediaKindOf(file: string): 'image' | 'video' | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext)) return 'image';
  if (VIDEO_EXTENSIONS.has(ext)) return 'video';
  return undefined;
}

/** One file to judge. */
export interface RescanTarget {
  /** Absolute path. */
  path: string;
  /** How it is shown in output: relative to the working directory when inside it. */
  display: string;
  kind: 'image' | 'video';
}

/** How a path is shown: relative to `cwd` when inside it, else absolute; always with `/` separators. */
export function displayPath(absPath: string, cwd: string): string {
  const rel = path.relative(cwd, absPath);
  const shown = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absPath;
  return shown.split(path.sep).join('/');
}

/** Result of {@link collectTargets}. */
export interface CollectedTargets {
  targets: RescanTarget[];
  /** Files found in folders that are not images or videos by extension (not scanned). */
  ignored: number;
}

/**
 * Walks `dir` recursively in sorted order. Skips dot-files and dot-folders (`.git`, `.DS_Store`, tidscan's own
 * `.tidscan`) and does not follow symbolic links, so a link loop cannot trap the walk.
 */
export async function* walkFiles(dir: string): AsyncGenerator<string> {
  const entries: Array<{ name: string; dir: boolean }> = [];
  for await (const entry of await opendir(dir)) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) entries.push({ name: entry.name, dir: true });
    else if (entry.isFile()) entries.push({ name: entry.name, dir: false });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.dir) yield* walkFiles(full);
    else yield full;
  }
}

/**
 * Splits a file list: one path per line (blank lines and lines starting with `#` are skipped), or NUL-separated
 * when the text contains a NUL (`find -print0`).
 */
export function parseFileList(text: string): string[] {
  if (text.includes('\0')) return text.split('\0').filter((p) => p !== '');
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Turns folders and listed files into targets. Listed files are taken as given (an unknown extension is tried
 * as an image, and a failure is reported per file); files found by walking a folder are kept only when their
 * extension is a known image or video type. Duplicates are dropped, first occurrence wins.
 */
export async function collectTargets(
  input: { dirs?: readonly string[]; files?: readonly string[] },
  cwd: string,
): Promise<CollectedTargets> {
  const seen = new Set<string>();
  const targets: RescanTarget[] = [];
  let ignored = 0;
  const push = (abs: string, kind: 'image' | 'video') => {
    if (seen.has(abs)) return;
    seen.add(abs);
    targets.push({ path: abs, display: displayPath(abs, cwd), kind });
  };
  for (const dir of input.dirs ?? []) {
    for await (const file of walkFiles(path.resolve(cwd, dir))) {
      const kind = mediaKindOf(file);
      if (kind === undefined) ignored++;
      else push(file, kind);
    }
  }
  for (const file of input.files ?? []) {
    const abs = path.resolve(cwd, file);
    push(abs, mediaKindOf(abs) ?? 'image');
  }
  return { targets, ignored };
}
