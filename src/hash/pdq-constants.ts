/**
 * Constants of the PDQ algorithm (docs/hashing.md, ../shared/specs/PDQ.md §3-§8), as float32 values.
 *
 * @module
 */

const f = Math.fround;

/** Side of the decimated luma buffer. */
export const PDQ_DECIMATED = 64;
/** Side of the DCT output (coefficients 1..16 on both axes). */
export const PDQ_DCT_SIZE = 16;
/** Images with a side below this hash to all zeros with quality 0. */
export const PDQ_MIN_HASHABLE_DIM = 5;
/** Side the `cli512` resize policy resizes to (when either side exceeds it). */
export const PDQ_CLI_DOWNSAMPLE_DIM = 512;

/** `0.299f`, `0.587f`, `0.114f` as declared in the reference. */
export const LUMA_R = f(0.299);
export const LUMA_G = f(0.587);
export const LUMA_B = f(0.114);

/**
 * Per-channel luma products `fl32(coeff * v)` for v in 0..255. The products are what the reference computes per pixel,
 * so a lookup is exact and saves three multiplications per pixel.
 */
export const LUMA_TABLE_R = new Float32Array(256);
export const LUMA_TABLE_G = new Float32Array(256);
export const LUMA_TABLE_B = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  LUMA_TABLE_R[v] = f(LUMA_R * v);
  LUMA_TABLE_G[v] = f(LUMA_G * v);
  LUMA_TABLE_B[v] = f(LUMA_B * v);
}

/**
 * The 16x64 DCT matrix, row-major: `D[i*64+j] = fl32(fl32(sqrt(2/64)) * cos((pi/2/64)*(i+1)*(2j+1)))`, the
 * argument evaluated left to right in double exactly as the reference does. The conformance test checks all 1024
 * entries against the reference's `%a` dump.
 */
export const DCT_MATRIX: Float32Array = (() => {
  const d = new Float32Array(PDQ_DCT_SIZE * PDQ_DECIMATED);
  const scale = f(Math.sqrt(2 / 64));
  for (let i = 0; i < PDQ_DCT_SIZE; i++) {
    for (let j = 0; j < PDQ_DECIMATED; j++) {
      d[i * PDQ_DECIMATED + j] = f(scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1)));
    }
  }
  return d;
})();

/** Box-filter window for a dimension: `ceil(dim / 128)`, written as the reference computes it. */
export function boxWindow(dim: number): number {
  return Math.floor((dim + 2 * PDQ_DECIMATED - 1) / (2 * PDQ_DECIMATED));
}

/** The 64 row (or column) indices decimation samples from a dimension of `dim`: `trunc((i + 0.5) * dim / 64)`. */
export function decimationIndices(dim: number): Int32Array {
  const out = new Int32Array(PDQ_DECIMATED);
  for (let i = 0; i < PDQ_DECIMATED; i++) out[i] = Math.trunc(((i + 0.5) * dim) / PDQ_DECIMATED);
  return out;
}
