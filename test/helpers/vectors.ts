/**
 * Locates ../shared/vectors (or $TIDSCAN_VECTORS). Conformance suites call `describeVectors` so that they skip
 * loudly when the folder is absent, and fail instead of skipping when CI is set.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const VECTORS_DIR = process.env.TIDSCAN_VECTORS
  ? path.resolve(process.env.TIDSCAN_VECTORS)
  : path.resolve(REPO_ROOT, '..', 'shared', 'vectors');

export const vectorsAvailable = existsSync(path.join(VECTORS_DIR, 'README.md'));

/** Absolute path of a file inside the vectors folder. */
export function vectorPath(...parts: string[]): string {
  return path.join(VECTORS_DIR, ...parts);
}

/** `describe` for suites that need the shared vectors. */
export function describeVectors(name: string, fn: () => void): void {
  if (vectorsAvailable) {
    describe(name, fn);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      throw new Error(`Conformance vectors not found at ${VECTORS_DIR}; CI must run these tests (set TIDSCAN_VECTORS).`);
    });
    return;
  }
  console.warn(
    `\n!!! SKIPPING conformance suite "${name}": vectors not found at ${VECTORS_DIR}. ` +
      `Put ../shared/vectors beside the repo or set TIDSCAN_VECTORS. !!!\n`,
  );
  describe.skip(name, fn);
}
