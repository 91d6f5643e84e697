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

/** Fills `out[outOff .. outOff+cols)` with the float32 luma of hashed row `r` (spec §3). */
export function lumaRow(src: LumaSource, r: number, out: Float32Array, outOff = 0): void {
  const { pixels, channels, cols, colMap } = src;
  // Local aliases: imported bindings are live, and V8 re-checks them inside the loop otherwise.
  const tr = LUMA_TABLE_R;
  const tg = LUMA_TABLE_G;
  const tb = LUMA_TABLE_B;
  const srcRow = src.rowMap ? src.rowMap[r]! : r;
  const base = srcRow * src.width * channels;
  if (colMap === null) {
    if (channels === 1) {
      for (let c = 0; c < cols; c++) out[outOff + c] = pixels[base + c]!;
    } else {
      for (let c = 0, p = base; c < cols; c++, p += channels) {
        out[outOff + c] = f(f(tr[pixels[p]!]! + tg[pixels[p + 1]!]!) + tb[pixels[p + 2]!]!);
      }
    }
    return;
  }
  if (channels === 1) {
    for (let c = 0; c < cols; c++) out[outOff + c] = pixels[base + colMap[c]!]!;
  } else {
    for (let c = 0; c < cols; c++) {
      const p = base + colMap[c]! * channels;
      out[outOff + c] = f(f(tr[pixels[p]!]! + tg[pixels[p + 1]!]!) + tb[pixels[p + 2]!]!);
    }
  }
}

/*
 * Division. The reference divides a float32 running sum by the int count n in float32. We multiply by 1/n in
 * double and round to float32 instead, which gives the same float in every case (and is several times cheaper):
 * - q = sum/n is either a float (then the double product, within 2^-51.9 relative of q, rounds back to it), or
 * - q lies strictly between floats and at least 2^-25/n (relative) away from the midpoint of its neighbours:
 *   writing sum = m*2^e (m < 2^24) and n = 2^a*k (k odd), q equal to a midpoint would need a 25-bit odd
 *   significand (2t+1) = m*2^(..)/k <= m < 2^24, impossible; and a nonzero integer numerator bounds the gap.
 * The double product is within 2^-51.9 relative of q, far inside 2^-25/n for any n below 2^26 (n <= 1024 here),
 * so rounding it to float32 lands on the correctly rounded quotient. `pdq-blur.test.ts` checks this exhaustively
 * over n and millions of sums, and the conformance tests check the end result.
 */

/**
 * One box pass along 4 rows at once (`stride` apart), each in the reference's exact operation order. The 4
 * independent running sums hide the float-add latency that makes a single running sum slow.
 */
function boxRows4(
  input: Float32Array,
  inOff: number,
  output: Float32Array,
  outOff: number,
  stride: number,
  length: number,
  w: number,
): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = length - w;
  const p4 = half - 1;
  const r1 = stride;
  const r2 = 2 * stride;
  const r3 = 3 * stride;
  let ri = inOff;
  let li = inOff;
  let oi = outOff;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let n = 0;
  for (let k = 0; k < p1; k++, ri++) {
    s0 = f(s0 + input[ri]!);
    s1 = f(s1 + input[ri + r1]!);
    s2 = f(s2 + input[ri + r2]!);
    s3 = f(s3 + input[ri + r3]!);
    n++;
  }
  for (let k = 0; k < p2; k++, ri++, oi++) {
    s0 = f(s0 + input[ri]!);
    s1 = f(s1 + input[ri + r1]!);
    s2 = f(s2 + input[ri + r2]!);
    s3 = f(s3 + input[ri + r3]!);
    n++;
    const inv = 1 / n;
    output[oi] = s0 * inv;
    output[oi + r1] = s1 * inv;
    output[oi + r2] = s2 * inv;
    output[oi + r3] = s3 * inv;
  }
  const inv = 1 / n;
  for (let k = 0; k < p3; k++, ri++, li++, oi++) {
    s0 = f(f(s0 + input[ri]!) - input[li]!);
    s1 = f(f(s1 + input[ri + r1]!) - input[li + r1]!);
    s2 = f(f(s2 + input[ri + r2]!) - input[li + r2]!);
    s3 = f(f(s3 + input[ri + r3]!) - input[li + r3]!);
    output[oi] = s0 * inv;
    output[oi + r1] = s1 * inv;
    output[oi + r2] = s2 * inv;
    output[oi + r3] = s3 * inv;
  }
  for (let k = 0; k < p4; k++, li++, oi++) {
    s0 = f(s0 - input[li]!);
    s1 = f(s1 - input[li + r1]!);
    s2 = f(s2 - input[li + r2]!);
    s3 = f(s3 - input[li + r3]!);
    n--;
    const inv = 1 / n;
    output[oi] = s0 * inv;
    output[oi + r1] = s1 * inv;
    output[oi + r2] = s2 * inv;
    output[oi + r3] = s3 * inv;
  }
}

/** One box pass along a single contiguous row, reference operation order (leftover rows; the SIMD path's column pass). */
export function boxRow(input: Float32Array, inOff: number, output: Float32Array, outOff: number, length: number, w: number): void {
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
    output[oi++] = sum * (1 / n);
  }
  const inv = 1 / n;
  for (let k = 0; k < p3; k++) {
    sum = f(f(sum + input[ri++]!) - input[li++]!);
    output[oi++] = sum * inv;
  }
  for (let k = 0; k < p4; k++) {
    sum = f(sum - input[li++]!);
    n--;
    output[oi++] = sum * (1 / n);
  }
}

/**
 * Box pass along `count` (1 or 4) rows of `input` (`cols` apart from `inOff`) that keeps only the outputs at the
 * sorted column indices `samples` (repeats allowed): row q's kept values go to `output[outOff + q*64 + s]`. The
 * running sums still visit every sample, so the kept values are exact.
 */
function boxRowsSampled(
  input: Float32Array,
  inOff: number,
  count: 1 | 4,
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
  // Rows beyond `count` read and write row 0 again; harmless, and it keeps one loop body.
  const r1 = count === 4 ? length : 0;
  const r2 = 2 * r1;
  const r3 = 3 * r1;
  const o1 = count === 4 ? PDQ_DECIMATED : 0;
  const o2 = 2 * o1;
  const o3 = 3 * o1;
  let ri = inOff;
  let li = inOff;
  let oi = 0;
  let s = 0;
  let next = samples[0]!;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let n = 0;
  let inv = 0;
  const keep = (): void => {
    while (s < PDQ_DECIMATED && samples[s] === oi) {
      const o = outOff + s++;
      output[o + o3] = s3 * inv;
      output[o + o2] = s2 * inv;
      output[o + o1] = s1 * inv;
      output[o] = s0 * inv;
    }
    next = s < PDQ_DECIMATED ? samples[s]! : -1;
  };
  for (let k = 0; k < p1; k++, ri++) {
    s0 = f(s0 + input[ri]!);
    s1 = f(s1 + input[ri + r1]!);
    s2 = f(s2 + input[ri + r2]!);
    s3 = f(s3 + input[ri + r3]!);
    n++;
  }
  for (let k = 0; k < p2; k++, ri++, oi++) {
    s0 = f(s0 + input[ri]!);
    s1 = f(s1 + input[ri + r1]!);
    s2 = f(s2 + input[ri + r2]!);
    s3 = f(s3 + input[ri + r3]!);
    n++;
    if (oi === next) {
      inv = 1 / n;
      keep();
    }
  }
  inv = 1 / n;
  for (let k = 0; k < p3; k++, ri++, li++, oi++) {
    s0 = f(f(s0 + input[ri]!) - input[li]!);
    s1 = f(f(s1 + input[ri + r1]!) - input[li + r1]!);
    s2 = f(f(s2 + input[ri + r2]!) - input[li + r2]!);
    s3 = f(f(s3 + input[ri + r3]!) - input[li + r3]!);
    if (oi === next) keep();
  }
  for (let k = 0; k < p4; k++, li++, oi++) {
    s0 = f(s0 - input[li]!);
    s1 = f(s1 - input[li + r1]!);
    s2 = f(s2 - input[li + r2]!);
    s3 = f(s3 - input[li + r3]!);
    n--;
    if (oi === next) {
      inv = 1 / n;
      keep();
    }
  }
}

/** Column-pass step that only adds a row: `sum += row`. */
function addRow(sum: Float32Array, ring: Float32Array, add: number, cols: number): void {
  for (let c = 0; c < cols; c++) sum[c] = sum[c]! + ring[add + c]!;
}

/** Column-pass step that adds one row, then subtracts another (reference order), and emits `sum / n`. */
function slideRow(sum: Float32Array, ring: Float32Array, add: number, sub: number, cols: number, inv: number, out: Float32Array, outOff: number): void {
  for (let c = 0; c < cols; c++) {
    const v = f(f(sum[c]! + ring[add + c]!) - ring[sub + c]!);
    sum[c] = v;
    out[outOff + c] = v * inv;
  }
}

/** Column-pass step that only subtracts a row (`sub < 0`: none) and emits `sum / n`. */
function dropRow(sum: Float32Array, ring: Float32Array, sub: number, cols: number, inv: number, out: Float32Array, outOff: number): void {
  if (sub < 0) {
    for (let c = 0; c < cols; c++) out[outOff + c] = sum[c]! * inv;
    return;
  }
  for (let c = 0; c < cols; c++) {
    const v = f(sum[c]! - ring[sub + c]!);
    sum[c] = v;
    out[outOff + c] = v * inv;
  }
}

const BATCH = 4;

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

  const lumaBuf = new Float32Array(BATCH * cols);
  // Rows of the first row pass still needed by the first column pass: the last wCol + 1, plus a batch in flight.
  // A multiple of the batch size, so the 4 rows of a batch sit in consecutive slots.
  const ringRows = Math.ceil((wCol + BATCH) / BATCH) * BATCH;
  const ring = new Float32Array(ringRows * cols);
  const colSum = new Float32Array(cols);
  // Output rows of the first column pass, collected 4 at a time for the second row pass.
  const pending = new Float32Array(BATCH * cols);
  let pendingCount = 0;
  // Second row pass output at the 64 sampled columns, for every row: the input of the second column pass.
  const mid = new Float32Array(rows * PDQ_DECIMATED);
  let emitted = 0;

  const flush = (count: number): void => {
    if (count === BATCH) {
      boxRowsSampled(pending, 0, 4, cols, wRow, sampleCols, mid, emitted * PDQ_DECIMATED);
    } else {
      for (let q = 0; q < count; q++) {
        boxRowsSampled(pending, q * cols, 1, cols, wRow, sampleCols, mid, (emitted + q) * PDQ_DECIMATED);
      }
    }
    emitted += count;
    pendingCount = 0;
  };

  const half = (wCol + 2) >> 1;
  const p1 = half - 1; // rows summed before the first output
  const p4 = half - 1; // outputs after the last row
  let n = 0;

  for (let r0 = 0; r0 < rows; r0 += BATCH) {
    const batch = Math.min(BATCH, rows - r0);
    const slot0 = (r0 % ringRows) * cols;
    if (batch === BATCH) {
      for (let q = 0; q < BATCH; q++) lumaRow(src, r0 + q, lumaBuf, q * cols);
      boxRows4(lumaBuf, 0, ring, slot0, cols, cols, wRow);
    } else {
      for (let q = 0; q < batch; q++) {
        lumaRow(src, r0 + q, lumaBuf, 0);
        boxRow(lumaBuf, 0, ring, slot0 + q * cols, cols, wRow);
      }
    }
    for (let ri = r0; ri < r0 + batch; ri++) {
      const add = (ri % ringRows) * cols;
      if (ri < wCol) {
        addRow(colSum, ring, add, cols);
        n++;
        if (ri >= p1) {
          dropRow(colSum, ring, -1, cols, 1 / n, pending, pendingCount * cols);
          if (++pendingCount === BATCH) flush(BATCH);
        }
      } else {
        slideRow(colSum, ring, add, ((ri - wCol) % ringRows) * cols, cols, 1 / n, pending, pendingCount * cols);
        if (++pendingCount === BATCH) flush(BATCH);
      }
    }
  }
  for (let k = 0, li = rows - wCol; k < p4; k++, li++) {
    n--;
    dropRow(colSum, ring, (li % ringRows) * cols, cols, 1 / n, pending, pendingCount * cols);
    if (++pendingCount === BATCH) flush(BATCH);
  }
  if (pendingCount > 0) flush(pendingCount);

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
  for (let r = 0; r < PDQ_DECIMATED; r++) lumaRow(src, r, out, r * PDQ_DECIMATED);
  return out;
}

/**
 * Materialises a nearest-neighbour view ({@link LumaSource} with index maps) as a contiguous pixel buffer of
 * `rows x cols`, so the SIMD path can hash it. Only pixels are copied; the result hashes identically.
 */
export function gatherNearest(src: LumaSource): LumaSource {
  const { pixels, width, channels, rows, cols, rowMap, colMap } = src;
  if (!rowMap || !colMap) return src;
  const out = new Uint8Array(rows * cols * channels);
  for (let r = 0, o = 0; r < rows; r++) {
    const base = rowMap[r]! * width * channels;
    for (let c = 0; c < cols; c++) {
      const p = base + colMap[c]! * channels;
      for (let k = 0; k < channels; k++) out[o++] = pixels[p + k]!;
    }
  }
  return { pixels: out, width: cols, channels, rows, cols, rowMap: null, colMap: null };
}

/** Nearest-neighbour index map of the reference CLI's 512 resize: `floor(dst * size / 512)` (spec §2). */
export function nearestIndexMap(size: number, target: number): Int32Array {
  const map = new Int32Array(target);
  for (let d = 0; d < target; d++) map[d] = Math.floor((d * size) / target);
  return map;
}
