/**
 * Readers for the PDQ conformance material in ../shared/vectors/generated/pdq (README section 1): the reference
 * CSVs, the stage-by-stage intermediates and the exact decoded pixels.
 */
import { readFileSync, readdirSync } from 'node:fs';
import sharp from 'sharp';
import { vectorPath } from './vectors.js';

export type PdqMode = 'fullres' | 'cli512';

/** One row of expected-fullres.csv / expected-cli512.csv. */
export interface ExpectedPdqRow {
  file: string;
  hash: string;
  quality: number;
  dihedral: Record<'orig' | 'rot90' | 'rot180' | 'rot270' | 'flipx' | 'flipy' | 'flipp' | 'flipm', string>;
  rows: number;
  cols: number;
}

export function readExpectedCsv(mode: PdqMode): ExpectedPdqRow[] {
  const text = readFileSync(vectorPath('generated', 'pdq', `expected-${mode}.csv`), 'utf8').trim();
  const [header, ...lines] = text.split('\n');
  if (!header!.startsWith('hash,quality,dih_orig')) throw new Error(`unexpected CSV header: ${header}`);
  return lines.map((line) => {
    const c = line.split(',');
    const [rows, cols] = c[10]!.split('x').map(Number);
    return {
      hash: c[0]!,
      quality: Number(c[1]),
      dihedral: {
        orig: c[2]!,
        rot90: c[3]!,
        rot180: c[4]!,
        rot270: c[5]!,
        flipx: c[6]!,
        flipy: c[7]!,
        flipp: c[8]!,
        flipm: c[9]!,
      },
      rows: rows!,
      cols: cols!,
      file: c[11]!,
    };
  });
}

/** A `generated/pdq/intermediates/*.json` record (floats parsed back to float32). */
export interface PdqIntermediates {
  name: string;
  file: string;
  mode: PdqMode;
  rows: number;
  cols: number;
  channels: 1 | 3;
  quality: number;
  hash: string;
  median: number;
  luma64: Float32Array;
  dct16: Float32Array;
}

export function listIntermediates(): PdqIntermediates[] {
  const dir = vectorPath('generated', 'pdq', 'intermediates');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((name) => {
      const raw = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as {
        file: string;
        mode: PdqMode;
        rows: number;
        cols: number;
        channels: 1 | 3;
        quality: number;
        hash: string;
        median: number;
        luma64: number[][];
        dct16: number[][];
      };
      return {
        ...raw,
        name,
        median: Math.fround(raw.median),
        luma64: Float32Array.from(raw.luma64.flat()),
        dct16: Float32Array.from(raw.dct16.flat()),
      };
    });
}

/** The file name prefix the vectors use for a source file: its path with `/` replaced by `_`. */
export function vectorStem(file: string): string {
  return file.replaceAll('/', '_');
}

/** Decoded pixels PNG for a source file and mode, when the vectors have one. */
export function decodedPixelsPath(file: string, mode: PdqMode): string {
  return vectorPath('generated', 'pdq', 'decoded-pixels', `${vectorStem(file)}.${mode}.png`);
}

export function listDecodedPixels(): Array<{ path: string; file: string; mode: PdqMode }> {
  const dir = vectorPath('generated', 'pdq', 'decoded-pixels');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .map((n) => {
      const m = /^(.*)\.(fullres|cli512)\.png$/.exec(n)!;
      return { path: `${dir}/${n}`, file: m[1]!, mode: m[2] as PdqMode };
    });
}

/**
 * Reads a decoded-pixels PNG losslessly: grey PNGs as 1 channel (what the reference's P5 path saw), colour as RGB.
 */
export async function readDecodedPixels(
  path: string,
): Promise<{ pixels: Uint8Array; width: number; height: number; channels: 1 | 3 }> {
  const meta = await sharp(path).metadata();
  const grey = meta.channels === 1;
  const { data, info } = await sharp(path, { ignoreIcc: true })
    .toColourspace(grey ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== (grey ? 1 : 3)) throw new Error(`${path}: unexpected ${info.channels} channels`);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: grey ? 1 : 3 };
}

/** Parses a C `%a` hex float such as `0x1.69edfcp-3` or `-0x1.2p+1`. */
export function parseHexFloat(text: string): number {
  const m = /^(-?)0x([01])\.?([0-9a-f]*)p([+-]?\d+)$/i.exec(text.trim());
  if (!m) throw new Error(`not a hex float: ${text}`);
  const mantissa = Number.parseInt(m[2]! + m[3]!, 16) / 16 ** m[3]!.length;
  return (m[1] ? -1 : 1) * mantissa * 2 ** Number(m[4]);
}
