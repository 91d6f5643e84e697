/**
 * A literal, unoptimised transcription of the PDQ luma, box filter and decimation steps (spec §3-§6): two full-size
 * buffers, strided column passes, every pixel stored. It is the oracle the fast streaming version in
 * `pdq-blur.ts` is checked against (bit for bit, by property tests), and the baseline of `bench/hash.ts`.
 *
 * @internal Not part of the public API.
 * @module
 */
import { LUMA_TABLE_B, LUMA_TABLE_G, LUMA_TABLE_R, PDQ_DECIMATED, boxWindow } from './pdq-constants.js';

const f = Math.fround;

/** Float32 luma, row-major `rows x cols`; `channels` 1 copies the grey value, 3 and 4 use the RGB formula. */
export function referenceLuma(pixels: ArrayLike<number>, width: number, height: number, channels: 1 | 3 | 4): Float32Array {
  const luma = new Float32Array(width * height);
  for (let p = 0, s = 0; p < luma.length; p++, s += channels) {
    luma[p] =
      channels === 1
        ? pixels[s]!
        : f(f(LUMA_TABLE_R[pixels[s]!]! + LUMA_TABLE_G[pixels[s + 1]!]!) + LUMA_TABLE_B[pixels[s + 2]!]!);
  }
  return luma;
}

/** One Jarosz box pass over `length` samples `stride` apart (spec §5), in the reference's exact operation order. */
export function referenceBox1D(
  input: Float32Array,
  output: Float32Array,
  start: number,
  length: number,
  stride: number,
  window: number,
): void {
  const half = Math.floor((window + 2) / 2);
  const p1 = half - 1;
  const p2 = window - half + 1;
  const p3 = length - window;
  const p4 = half - 1;
  let li = start;
  let ri = start;
  let oi = start;
  let sum = 0;
  let n = 0;
  for (let k = 0; k < p1; k++) {
    sum = f(sum + input[ri]!);
    n++;
    ri += stride;
  }
  for (let k = 0; k < p2; k++) {
    sum = f(sum + input[ri]!);
    n++;
    output[oi] = sum / n;
    ri += stride;
    oi += stride;
  }
  for (let k = 0; k < p3; k++) {
    sum = f(sum + input[ri]!);
    sum = f(sum - input[li]!);
    output[oi] = sum / n;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (let k = 0; k < p4; k++) {
    sum = f(sum - input[li]!);
    n--;
    output[oi] = sum / n;
    li += stride;
    oi += stride;
  }
}

/**
 * Two rounds of (rows pass, columns pass) over `luma` (overwritten), then sampling of the 64x64 centres.
 * `skipExact64` applies the reference's no-blur shortcut for exactly 64x64 input (the non-dihedral entry point).
 */
export function referenceBlurDecimate(luma: Float32Array, rows: number, cols: number, skipExact64 = true): Float32Array {
  const out = new Float32Array(PDQ_DECIMATED * PDQ_DECIMATED);
  if (skipExact64 && rows === PDQ_DECIMATED && cols === PDQ_DECIMATED) {
    out.set(luma.subarray(0, out.length));
    return out;
  }
  const buf2 = new Float32Array(rows * cols);
  const windowAlongRows = boxWindow(cols);
  const windowAlongCols = boxWindow(rows);
  for (let rep = 0; rep < 2; rep++) {
    for (let i = 0; i < rows; i++) referenceBox1D(luma, buf2, i * cols, cols, 1, windowAlongRows);
    for (let j = 0; j < cols; j++) referenceBox1D(buf2, luma, j, rows, cols, windowAlongCols);
  }
  for (let i = 0; i < PDQ_DECIMATED; i++) {
    const ini = Math.trunc(((i + 0.5) * rows) / PDQ_DECIMATED);
    for (let j = 0; j < PDQ_DECIMATED; j++) {
      const inj = Math.trunc(((j + 0.5) * cols) / PDQ_DECIMATED);
      out[i * PDQ_DECIMATED + j] = luma[ini * cols + inj]!;
    }
  }
  return out;
}
