/**
 * What a rescan reads: the media files under folders (walked in sorted order) or named in a list file / stdin.
 *
 * @module
 */
import { open, opendir } from 'node:fs/promises';
import path from 'node:path';
import { SNIFF_BYTES, sniffMedia } from '../media/sniff.js';

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

/**
 * `image` or `video` from the file's first bytes (what it is, whatever its name), or undefined when the content
 * is not a recognised image or video, or the file cannot be read (the scan then reports the read error).
 */
export async function sniffKind(file: string): Promise<'image' | 'video' | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    const sniffed = sniffMedia(head.subarray(0, bytesRead));
    return sniffed.kind === 'unknown' ? undefined : sniffed.kind;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
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
  /** Files found in folders that are neither images nor videos, by content or by extension (not scanned). */
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
 * Turns folders and listed files into targets, routed by content: the first bytes decide image or video (upload
 * stores often keep files without extensions), the extension only when the content is not recognised (a damaged
 * `.jpg` is still scanned, and its error reported). Files found by walking a folder that are neither by content nor
 * by extension are counted as `ignored`; listed files are always scanned (as images when unrecognised, so the
 * failure is reported per file). Duplicates are dropped, first occurrence wins.
 */
export async function collectTargets(
  input: { dirs?: readonly string[]; files?: readonly string[] },
  cwd: string,
): Promise<CollectedTargets> {
  const candidates: Array<{ abs: string; listed: boolean }> = [];
  const seen = new Set<string>();
  const add = (abs: string, listed: boolean) => {
    if (seen.has(abs)) return;
    seen.add(abs);
    candidates.push({ abs, listed });
  };
  for (const dir of input.dirs ?? []) {
    for await (const file of walkFiles(path.resolve(cwd, dir))) add(file, false);
  }
  for (const file of input.files ?? []) add(path.resolve(cwd, file), true);

  const kinds = new Array<'image' | 'video' | undefined>(candidates.length);
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const i = next++;
      kinds[i] = (await sniffKind(candidates[i]!.abs)) ?? mediaKindOf(candidates[i]!.abs);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));

  const targets: RescanTarget[] = [];
  let ignored = 0;
  candidates.forEach(({ abs, listed }, i) => {
    const kind = kinds[i] ?? (listed ? 'image' : undefined);
    if (kind === undefined) ignored++;
    else targets.push({ path: abs, display: displayPath(abs, cwd), kind });
  });
  return { targets, ignored };
}
