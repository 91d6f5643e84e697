/**
 * The 8 dihedral variants of a PDQ hash, computed from the DCT by sign flips and transposes (spec §11). They are
 * what the reference's `--pdqdih` output holds; they are *not* the hashes of physically rotated pixels (the sample
 * grid is not symmetric), so never compare them with those.
 *
 * @module
 */
import { PDQ_DCT_SIZE } from './pdq-constants.js';

/**
 * Names of the 8 symmetries, in the reference CLI's output order: identity, rotations counter-clockwise by 90/180/270
 * degrees, vertical flip (top-bottom), horizontal mirror (left-right), transpose and anti-transpose.
 */
export const DIHEDRAL_NAMES = ['orig', 'rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipp', 'flipm'] as const;

/** One of {@link DIHEDRAL_NAMES}. */
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

const M = PDQ_DCT_SIZE;

/**
 * The 16x16 DCT of the transformed image, from the DCT `b` of the original: `X[i][j] = ±B[i][j]` or `±B[j][i]`.
 * Index parity is 0-based, so an even index is an odd frequency, and odd frequencies change sign under a flip.
 *
 * @example
 * ```ts
 * const rotated = dihedralDct(dct, 'rot90'); // then pdqBitsFromDct(rotated)
 * ```
 */
export function dihedralDct(b: Float32Array, name: DihedralName): Float32Array {
  const x = new Float32Array(M * M);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      const same = b[i * M + j]!;
      const swapped = b[j * M + i]!;
      let v: number;
      switch (name) {
        case 'orig':
          v = same;
          break;
        case 'rot90':
          v = i & 1 ? swapped : -swapped;
          break;
        case 'rot180':
          v = (i + j) & 1 ? -same : same;
          break;
        case 'rot270':
          v = j & 1 ? swapped : -swapped;
          break;
        case 'flipx':
          v = i & 1 ? same : -same;
          break;
        case 'flipy':
          v = j & 1 ? same : -same;
          break;
        case 'flipp':
          v = swapped;
          break;
        case 'flipm':
          v = (i + j) & 1 ? -swapped : swapped;
          break;
      }
      x[i * M + j] = v;
    }
  }
  return x;
}
