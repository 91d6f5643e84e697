/**
 * The streamed blur of `pdq-blur.ts`, driven through the WebAssembly SIMD kernels of `pdq-wasm-kernels.ts`: the
 * same ring buffer, the same batches of 4 rows, the same operation order, 4 lanes at a time. Used for
 * full-resolution hashing when the runtime has WebAssembly SIMD; `blurDecimate` (plain JS) is the fallback and
 * the cli512 path, and both must agree bit for bit (property tests).
 *
 * @internal
 * @module
 */
import { type LumaSource, boxRow } from './pdq-blur.js';
import { PDQ_DECIMATED, boxWindow, decimationIndices } from './pdq-constants.js';
import { type PdqKernels, assemblePdqKernels, lumaMasks } from './pdq-wasm-kernels.js';

const PAGE = 65536;
/** Largest WebAssembly memory kept between calls (a 12 MP photo needs about 2 MB). */
const RETAINED_MEMORY_BYTES = 64 * 1024 * 1024;

/** The slice of the global `WebAssembly` API used here (browsers and Node both have it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

let kernels: PdqKernels | null | undefined;
let enabled = true;

/** Turns the SIMD path off or on (tests use it to check both paths; default on). @internal */
export function setPdqWasmEnabled(on: boolean): void {
  enabled = on;
}

/** The compiled kernels, or null when this runtime has no WebAssembly SIMD (or refuses synchronous compiles). */
export function pdqKernels(): PdqKernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const bytes = assemblePdqKernels();
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    kernels = wasm && wasm.validate(bytes) ? ({ ...(new wasm.Instance(new wasm.Module(bytes)).exports as PdqKernels) }) : null;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** True when {@link blurDecimateWasm} will run (SIMD available and not switched off). */
export function pdqSimdAvailable(): boolean {
  return enabled && pdqKernels() !== null;
}

const align = (x: number): number => (x + 63) & ~63;

/**
 * Luma, 2 rounds of box filtering and decimation with the SIMD kernels. Returns null when they are unavailable or
 * the source is a resized view (the JS path handles those).
 */
export function blurDecimateWasm(src: LumaSource): Float32Array | null {
  const k = enabled && src.colMap === null && src.rowMap === null ? pdqKernels() : null;
  if (!k) return null;
  const { rows, cols, channels, pixels, width } = src;
  const wRow = boxWindow(cols);
  const wCol = boxWindow(rows);
  const groups = (cols + 3) >> 2;
  const cols4 = groups * 4;
  const rowBytes = width * channels;
  const ringRows = Math.ceil((wCol + 4) / 4) * 4;

  // Memory layout (bytes). Every buffer is padded so 4-lane reads past a row's end stay inside the memory.
  const masks = 0;
  const stage = 64;
  const quad = align(stage + 4 * rowBytes + 64);
  const ring = align(quad + cols4 * 16);
  const colSum = align(ring + ringRows * cols4 * 4);
  const pending = align(colSum + cols4 * 4);
  const samples = align(pending + cols4 * 16);
  const mid = align(samples + PDQ_DECIMATED * 4);
  const end = align(mid + (rows + 4) * PDQ_DECIMATED * 4);
  const memory = k.memory;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
  const heap = new Uint8Array(memory.buffer);
  // Fresh sums, and no stale bytes from an earlier image in the padding lanes (harmless, but could be NaN).
  heap.fill(0, quad, samples);
  new Int32Array(memory.buffer, samples, PDQ_DECIMATED).set(decimationIndices(cols));

  const rowPhases = phases(wRow, cols);
  const colHalf = (wCol + 2) >> 1;
  const p1 = colHalf - 1;
  const p4 = colHalf - 1;
  if (channels !== 1) heap.set(lumaMasks(channels), masks);
  const luma = (src: number, dst: number): void =>
    channels === 1 ? k.luma_grey(src, rowBytes, groups, dst) : k.luma_rgb(src, rowBytes, groups, dst, masks, channels);
  const [rp1, rp2, rp3, rp4] = rowPhases;

  let n = 0;
  let pendingCount = 0;
  let emitted = 0;
  const emitted4 = (): void => {
    if (++pendingCount === 4) {
      k.row4_sampled(pending, mid + emitted * PDQ_DECIMATED * 4, samples, rp1, rp2, rp3, rp4);
      emitted += 4;
      pendingCount = 0;
    }
  };

  for (let r0 = 0; r0 < rows; r0 += 4) {
    const batch = Math.min(4, rows - r0);
    // Rows past the image keep stale bytes: their lanes are computed and never read.
    heap.set(pixels.subarray(r0 * rowBytes, (r0 + batch) * rowBytes), stage);
    luma(stage, quad);
    k.row4(quad, ring + (r0 % ringRows) * cols4 * 4, cols4 * 4, rp1, rp2, rp3, rp4);
    for (let ri = r0; ri < r0 + batch; ri++) {
      const add = ring + (ri % ringRows) * cols4 * 4;
      const out = pending + pendingCount * 4;
      if (ri < wCol) {
        k.col_add(colSum, add, groups);
        n++;
        if (ri >= p1) {
          k.col_emit(colSum, groups, n, out);
          emitted4();
        }
      } else {
        k.col_slide(colSum, add, ring + ((ri - wCol) % ringRows) * cols4 * 4, groups, n, out);
        emitted4();
      }
    }
  }
  for (let step = 0, li = rows - wCol; step < p4; step++, li++) {
    n--;
    k.col_drop(colSum, ring + (li % ringRows) * cols4 * 4, groups, n, pending + pendingCount * 4);
    emitted4();
  }
  if (pendingCount > 0) {
    k.row4_sampled(pending, mid + emitted * PDQ_DECIMATED * 4, samples, rp1, rp2, rp3, rp4);
  }

  // Second column pass over the 64 kept columns, keeping only the 64 sampled rows (JS: rows x 64 values).
  const midValues = new Float32Array(memory.buffer, mid, rows * PDQ_DECIMATED).slice();
  // Memory never shrinks; after an unusually large image, let the instance go and build a fresh one next time.
  if (memory.buffer.byteLength > RETAINED_MEMORY_BYTES) kernels = undefined;
  const sampleRows = decimationIndices(rows);
  const out = new Float32Array(PDQ_DECIMATED * PDQ_DECIMATED);
  const column = new Float32Array(rows);
  const filtered = new Float32Array(rows);
  for (let j = 0; j < PDQ_DECIMATED; j++) {
    for (let r = 0, p = j; r < rows; r++, p += PDQ_DECIMATED) column[r] = midValues[p]!;
    boxRow(column, 0, filtered, 0, rows, wCol);
    for (let i = 0; i < PDQ_DECIMATED; i++) out[i * PDQ_DECIMATED + j] = filtered[sampleRows[i]!]!;
  }
  return out;
}

/** The reference's four box-filter phase lengths for a window over a line. */
function phases(w: number, length: number): [number, number, number, number] {
  const half = (w + 2) >> 1;
  return [half - 1, w - half + 1, length - w, half - 1];
}
