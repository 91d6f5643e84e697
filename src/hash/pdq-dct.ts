/**
 * The cheap half of PDQ, on the 64x64 buffer: quality (spec §7), the 16x16 DCT (§8), the median (§9) and the bit
 * layout (§10). All float32, in the reference's operation order.
 *
 * @module
 */
import { DCT_MATRIX, PDQ_DCT_SIZE, PDQ_DECIMATED } from './pdq-constants.js';

const f = Math.fround;
const N = PDQ_DECIMATED;
const M = PDQ_DCT_SIZE;

/**
 * PDQ quality (0-100) from the 64x64 buffer: the sum of `|trunc((u - v) * 100 / 255)|` over vertical and horizontal
 * neighbours, divided by 90 (integer division), capped at 100.
 */
export function pdqQuality(a: Float32Array): number {
  let gradientSum = 0;
  for (let i = 0; i < N - 1; i++) {
    for (let j = 0; j < N; j++) {
      gradientSum += Math.abs(Math.trunc(f(f(f(a[i * N + j]! - a[(i + 1) * N + j]!) * 100) / 255)));
    }
  }
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N - 1; j++) {
      gradientSum += Math.abs(Math.trunc(f(f(f(a[i * N + j]! - a[i * N + j + 1]!) * 100) / 255)));
    }
  }
  return Math.min(100, Math.trunc(gradientSum / 90));
}

/**
 * The 16x16 DCT `B = D * A * Dᵀ` of the 64x64 buffer (row-major, `B[i*16+j]` = coefficient (i+1, j+1)).
 * Both products accumulate in float32 with k ascending and no fused multiply-add, as the reference does.
 */
export function pdqDct16(a: Float32Array): Float32Array {
  const t = new Float32Array(M * N);
  // T = D * A, interchanged to i-k-j: every T[i][j] still receives its k terms in ascending order.
  for (let i = 0; i < M; i++) {
    const tRow = i * N;
    for (let k = 0; k < N; k++) {
      const d = DCT_MATRIX[i * N + k]!;
      const aRow = k * N;
      for (let j = 0; j < N; j++) t[tRow + j] = t[tRow + j]! + f(d * a[aRow + j]!);
    }
  }
  const b = new Float32Array(M * M);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let k = 0; k < N; k++) s = f(s + f(t[i * N + k]! * DCT_MATRIX[j * N + k]!));
      b[i * M + j] = s;
    }
  }
  return b;
}

/** The median PDQ thresholds at: the 128th smallest of the 256 values (Torben's lower median, spec §9). */
export function pdqMedian(values: Float32Array): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[(sorted.length >> 1) - 1]!;
}

/**
 * The packed 32-byte hash of a 16x16 DCT: bit k = i*16+j is set iff `B[i][j] > median`, and the 256-bit number
 * Σ bitₖ·2ᵏ is stored big-endian (byte 0 holds row 15, columns 15..8), i.e. the bytes of the hex form.
 */
export function pdqBitsFromDct(b: Float32Array): Uint8Array {
  const median = pdqMedian(b);
  const out = new Uint8Array(32);
  for (let i = 0; i < M; i++) {
    let word = 0;
    for (let j = 0; j < M; j++) if (b[i * M + j]! > median) word |= 1 << j;
    const byte = (15 - i) * 2;
    out[byte] = word >>> 8;
    out[byte + 1] = word & 0xff;
  }
  return out;
}
