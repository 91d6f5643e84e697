/**
 * Many small generated images for rescan proofs and tests: mostly unrelated scenes, plus a few listed originals
 * and edited copies of them spread through the set, so a rescan has matches to find at known places.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createScene, renderScene } from './synth.js';

/** Result of {@link generateProofImages}. */
export interface ProofImages {
  /** Every written file, absolute, in name order. */
  files: string[];
  /** The listed originals: file and seed (hash these to build the list). */
  listed: Array<{ file: string; seed: string }>;
  /** Files that are listed originals or edits of them (the rescan must report these as matches). */
  expectedMatches: string[];
}

/** Options of {@link generateProofImages}. */
export interface ProofImagesOptions {
  /** How many images. */
  count: number;
  /** One in `listedEvery` images is a listed original or an edit of one. @default 100 */
  listedEvery?: number;
  /** Width and height of each image. @default 128, 96 */
  width?: number;
  height?: number;
  /** Images per sub-folder, to keep folders a realistic size. @default 1000 */
  perFolder?: number;
  /** Called after every 500 files. */
  onProgress?: (written: number) => void;
}

/** Writes `count` JPEGs under `dir` (deterministic: same options, same bytes). */
export async function generateProofImages(dir: string, options: ProofImagesOptions): Promise<ProofImages> {
  const { count, listedEvery = 100, width = 128, height = 96, perFolder = 1000 } = options;
  const listedSeeds = ['proof-listed-a', 'proof-listed-b', 'proof-listed-c'];
  const listed: ProofImages['listed'] = [];
  const files: string[] = [];
  const expectedMatches: string[] = [];
  const digits = String(count - 1).length;
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, `batch-${String(Math.floor(i / perFolder)).padStart(3, '0')}`);
    const name = `img-${String(i).padStart(digits, '0')}`;
    const isListed = i % listedEvery === Math.floor(listedEvery / 2);
    const k = Math.floor(i / listedEvery);
    const seed = isListed ? listedSeeds[k % listedSeeds.length]! : `proof-${i}`;
    let image = sharp(renderScene(createScene(seed), width, height), { raw: { width, height, channels: 3 } });
    let file: string;
    if (isListed && k < listedSeeds.length) {
      // The first occurrence of each listed seed is the original that goes into the list.
      file = path.join(folder, `${name}.listed.jpg`);
      listed.push({ file, seed });
      image = image.jpeg({ quality: 90 });
    } else if (isListed) {
      // Later occurrences are edited copies: re-encoded harder and resized.
      file = path.join(folder, `${name}.edited.jpg`);
      image = image.resize(Math.round(width * 0.75), Math.round(height * 0.75)).jpeg({ quality: 40 });
    } else {
      file = path.join(folder, `${name}.jpg`);
      image = image.jpeg({ quality: 85 });
    }
    if (i % perFolder === 0) await mkdir(folder, { recursive: true });
    await writeFile(file, await image.toBuffer());
    files.push(file);
    if (isListed) expectedMatches.push(file);
    if ((i + 1) % 500 === 0) options.onProgress?.(i + 1);
  }
  return { files, listed, expectedMatches };
}
