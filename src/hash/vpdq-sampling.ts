/**
 * vPDQ frame sampling and timestamps, exactly as the reference computes them (docs/hashing.md#video). Pure.
 *
 * @module
 */

/**
 * Every how many decoded frames one is hashed: `trunc(secondsPerHash * fps)`, and 1 when that is 0 (so
 * `secondsPerHash = 0`, or a rate below 1 fps, hashes every frame). Frame `n` is hashed iff `n % frameMod === 0`.
 *
 * @example
 * ```ts
 * vpdqFrameMod(1, 30000 / 1001) // 29: frames 0, 29, 58, ... at 29.97 fps
 * ```
 */
export function vpdqFrameMod(secondsPerHash: number, fps: number): number {
  const mod = Math.trunc(secondsPerHash * fps);
  return Number.isFinite(mod) && mod >= 1 ? mod : 1;
}

/**
 * The reference timestamp of a frame: `(float)frame / (float)fps` in float32 arithmetic (not the PTS), in seconds.
 * Printed to 3 decimals by the C++ tool (see `formatFixed`).
 */
export function vpdqTimestamp(frame: number, fps: number): number {
  return Math.fround(Math.fround(frame) / Math.fround(fps));
}
