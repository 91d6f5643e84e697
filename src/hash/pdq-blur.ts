/**
 * The expensive half of PDQ: luma, two rounds of the Jarosz box filter and decimation to 64x64 (spec §3, §5, §6),
 * restructured for speed without changing a single float operation (spec §15):
 *
 * - luma is computed one row at a time, straight into the first row pass (no full-size luma buffer);
 * - the column passes run row by row over an array of per-column running sums (loop interchange: each column still
 *   sees its own adds and subtracts in the reference order), so memory access is sequential;
 * - the whole pipeline streams: the first column pass only needs the last `window + 1` rows of the first row pass,
 *   kept in a small ring buffer, so the working set stays in cache whatever the image size;
 * - the second row pass keeps only the 64 sampled columns, and the second column pass runs on those alone;
 * - in `cli512` mode the nearest-neighbour resize is an index map into the decoded buffer.
 *
 * `pdq-reference.ts` is the literal version; property tests require both to agree bit for bit.
 *
 * @module
 */
import {
  LUMA_TABLE_B,
  LUMA_TABLE_G,
  LUMA_TABLE_R,
  PDQ_DECIMATED,
  boxWindow,
  decimationIndices,
} from './pdq-constants.js';

const f = Math.fround;

/** 8-bit interleaved pixels in one of the layouts PDQ accepts. */
export type PixelArray = Uint8Array | Uint8ClampedArray;

/**
 * Which pixels the hasher sees: the decoded `width x height` buffer, optionally through a nearest-neighbour index
 * map (`rowMap[r]` / `colMap[c]` = source row / column of hashed row r / column c).
 */
export interface LumaSource {
  pixels: PixelArray;
  width: number;
  channels: 1 | 3 | 4;
  /** Hashed rows (image height, or 512 after the cli512 resize). */
  rows: number;
  /** Hashed columns (image width, or 512 after the cli512 resize). */
  cols: number;
  rowMap: Int32Array | null;
  colMap: Int32Array | null;
}

/** Fills `out[0..cols)` with the float32 luma of hashed row `r` (spec §3). */
export function lumaRow(src: LumaSource, r: number, out: Float32Array): void {
  const { pixels, channels, cols, colMap } = src;
  const srcRow = src.rowMap ? src.rowMap[r]! : r;
  const base = srcRow * src.width * channels;
  if (colMap === null) {
    if (channels === 1) {
      for (let c = 0; c < cols; c++) out[c] = pixels[base + c]!;
    } else {
      for (let c = 0, p = base; c < cols; c++, p += channels) {
        out[c] = f(f(LUMA_TABLE_R[pixels[p]!]! + LUMA_TABLE_G[pixels[p + 1]!]!) + LUMA_TABLE_B[pixels[p + 2]!]!);
      }
    }
    return;
  }
  if (channels === 1) {
    for (let c = 0; c < cols; c++) out[c] = pixels[base + colMap[c]!]!;
  } else {
    for (let c = 0; c < cols; c++) {
      const p = base + colMap[c]! * channels;
      out[c] = f(f(LUMA_TABLE_R[pixels[p]!]! + LUMA_TABLE_G[pixels[p + 1]!]!) + LUMA_TABLE_B[pixels[p + 2]!]!);
    }
  }
}

/** One box pass along a contiguous row: `input[inOff..)` to `output[outOff..)`, reference operation order. */
function boxRow(input: Float32Array, inOff: number, output: Float32Array, outOff: number, length: number, w: number): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = length - w;
  const p4 = half - 1;
  let ri = inOff;
  let li = inOff;
  let oi = outOff;
  let sum = 0;
  let n = 0;
  for (let k = 0; k < p1; k++) {
    sum = f(sum + input[ri++]!);
    n++;
  }
  for (let k = 0; k < p2; k++) {
    sum = f(sum + input[ri++]!);
    n++;
    output[oi++] = sum / n;
  }
  for (let k = 0; k < p3; k++) {
    sum = f(f(sum + input[ri++]!) - input[li++]!);
    output[oi++] = sum / n;
  }
  for (let k = 0; k < p4; k++) {
    sum = f(sum - input[li++]!);
    n--;
    output[oi++] = sum / n;
  }
}

/**
 * One box pass along a row that only keeps the outputs at the sorted column indices `samples` (repeats allowed),
 * written to `output[outOff + s]`. The running sum still visits every sample, so the kept values are exact.
 */
function boxRowSampled(
  input: Float32Array,
  length: number,
  w: number,
  samples: Int32Array,
  output: Float32Array,
  outOff: number,
): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = length - w;
  const p4 = half - 1;
  let ri = 0;
  let li = 0;
  let oi = 0;
  let s = 0;
  let next = samples[0]!;
  let sum = 0;
  let n = 0;
  for (let k = 0; k < p1; k++) {
    sum = f(sum + input[ri++]!);
    n++;
  }
  for (let k = 0; k < p2; k++) {
    sum = f(sum + input[ri++]!);
    n++;
    if (oi === next) {
      const v = f(sum / n);
      while (s < PDQ_DECIMATED && samples[s] === oi) output[outOff + s++] = v;
      next = s < PDQ_DECIMATED ? samples[s]! : -1;
    }
    oi++;
  }
  for (let k = 0; k < p3; k++) {
    sum = f(f(sum + input[ri++]!) - input[li++]!);
    if (oi === next) {
      const v = f(sum / n);
      while (s < PDQ_DECIMATED && samples[s] === oi) output[outOff + s++] = v;
      next = s < PDQ_DECIMATED ? samples[s]! : -1;
    }
    oi++;
  }
  for (let k = 0; k < p4; k++) {
    sum = f(sum - input[li++]!);
    n--;
    if (oi === next) {
      const v = f(sum / n);
      while (s < PDQ_DECIMATED && samples[s] === oi) output[outOff + s++] = v;
      next = s < PDQ_DECIMATED ? samples[s]! : -1;
    }
    oi++;
  }
}

/**
 * Luma, 2 rounds of box filtering and decimation, streamed (see the module comment). Returns the 64x64 buffer `A`
 * row-major. Requires `rows, cols >= 1`; the caller handles the < 5 px and exact-64x64 rules.
 */
export function blurDecimate(src: LumaSource): Float32Array {
  const { rows, cols } = src;
  const wRow = boxWindow(cols);
  const wCol = boxWindow(rows);
  const sampleCols = decimationIndices(cols);
  const sampleRows = decimationIndices(rows);

  const lumaBuf = new Float32Array(cols);
  const ringRows = wCol + 1;
  const ring = new Float32Array(ringRows * cols);
  const colSum = new Float32Array(cols);
  const colOut = new Float32Array(cols);
  // Second row pass output at the 64 sampled columns, for every row: the input of the second column pass.
  const mid = new Float32Array(rows * PDQ_DECIMATED);

  const half = (wCol + 2) >> 1;
  const p1 = half - 1;
  const p12 = wCol; // p1 + p2
  const p4 = half - 1;
  let n = 0;
  let oi = 0;

  const emit = (): void => {
    for (let c = 0; c < cols; c++) colOut[c] = colSum[c]! / n;
    boxRowSampled(colOut, cols, wRow, sampleCols, mid, oi * PDQ_DECIMATED);
    oi++;
  };

  for (let ri = 0; ri < rows; ri++) {
    const slot = (ri % ringRows) * cols;
    lumaRow(src, ri, lumaBuf);
    boxRow(lumaBuf, 0, ring, slot, cols, wRow);
    if (ri < p12) {
      for (let c = 0; c < cols; c++) colSum[c] = colSum[c]! + ring[slot + c]!;
      n++;
      if (ri >= p1) emit();
    } else {
      const old = ((ri - wCol) % ringRows) * cols;
      for (let c = 0; c < cols; c++) colSum[c] = f(colSum[c]! + ring[slot + c]!) - ring[old + c]!;
      emit();
    }
  }
  for (let k = 0, li = rows - wCol; k < p4; k++, li++) {
    const old = (li % ringRows) * cols;
    for (let c = 0; c < cols; c++) colSum[c] = colSum[c]! - ring[old + c]!;
    n--;
    emit();
  }

  // Second column pass over the 64 kept columns, keeping only the 64 sampled rows.
  const out = new Float32Array(PDQ_DECIMATED * PDQ_DECIMATED);
  const column = new Float32Array(rows);
  const filtered = new Float32Array(rows);
  for (let j = 0; j < PDQ_DECIMATED; j++) {
    for (let r = 0, p = j; r < rows; r++, p += PDQ_DECIMATED) column[r] = mid[p]!;
    boxRow(column, 0, filtered, 0, rows, wCol);
    for (let i = 0; i < PDQ_DECIMATED; i++) out[i * PDQ_DECIMATED + j] = filtered[sampleRows[i]!]!;
  }
  return out;
}

/** The luma itself as the 64x64 buffer (the reference's no-blur shortcut for exactly 64x64 input, spec §6.1). */
export function lumaExact64(src: LumaSource): Float32Array {
  const out = new Float32Array(PDQ_DECIMATED * PDQ_DECIMATED);
  const row = new Float32Array(PDQ_DECIMATED);
  for (let r = 0; r < PDQ_DECIMATED; r++) {
    lumaRow(src, r, row);
    out.set(row, r * PDQ_DECIMATED);
  }
  return out;
}

/** Nearest-neighbour index map of the reference CLI's 512 resize: `floor(dst * size / 512)` (spec §2). */
export function nearestIndexMap(size: number, target: number): Int32Array {
  const map = new Int32Array(target);
  for (let d = 0; d < target; d++) map[d] = Math.floor((d * size) / target);
  return map;
}
