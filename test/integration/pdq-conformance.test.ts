/**
 * Bit-exact conformance of the PDQ core with the C++ reference, independent of any decoder: the exact pixels the
 * reference hashed (decoded-pixels/*.png), its stage-by-stage intermediates and its DCT matrix.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it, onTestFinished } from 'vitest';
import { DIHEDRAL_NAMES } from '../../src/hash/dihedral.js';
import { blurDecimate } from '../../src/hash/pdq-blur.js';
import { DCT_MATRIX } from '../../src/hash/pdq-constants.js';
import { pdqDct16, pdqMedian, pdqQuality } from '../../src/hash/pdq-dct.js';
import { referenceBlurDecimate, referenceLuma } from '../../src/hash/pdq-reference.js';
import { pdqFromPixels, pdqLumaSource } from '../../src/hash/pdq.js';
import { blurDecimateWasm, setPdqWasmEnabled } from '../../src/hash/pdq-wasm.js';
import {
  type ExpectedPdqRow,
  type PdqMode,
  decodedPixelsPath,
  listDecodedPixels,
  listIntermediates,
  parseHexFloat,
  readDecodedPixels,
  readExpectedCsv,
  vectorStem,
} from '../helpers/pdq-vectors.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';

const MODES: PdqMode[] = ['fullres', 'cli512'];
const resizeOf = (mode: PdqMode): 'full' | 'cli512' => (mode === 'fullres' ? 'full' : 'cli512');

/** Indices where two float32 arrays differ bitwise (NaN-free data, so `!==` plus a -0 check is exact). */
function bitDiffs(actual: Float32Array, expected: Float32Array): number[] {
  expect(actual.length).toBe(expected.length);
  const diffs: number[] = [];
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i] || Object.is(actual[i], -0) !== Object.is(expected[i], -0)) diffs.push(i);
  }
  return diffs;
}

describeVectors('PDQ core conformance (reference pixels)', () => {
  const expected = new Map<PdqMode, Map<string, ExpectedPdqRow>>();
  beforeAll(() => {
    for (const mode of MODES) expected.set(mode, new Map(readExpectedCsv(mode).map((r) => [vectorStem(r.file), r])));
  });

  it('computes the same 16x64 DCT matrix as the reference, all 1024 entries', () => {
    const lines = readFileSync(vectorPath('generated', 'pdq', 'dct-matrix-16x64-float32-hex.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1024);
    const reference = Float32Array.from(lines.map(parseHexFloat));
    expect(bitDiffs(DCT_MATRIX, reference)).toEqual([]);
  });

  const decoded = listDecodedPixels();
  it('finds the 13 decoded-pixel images', () => expect(decoded).toHaveLength(13));

  for (const { path, file, mode } of decoded) for (const backend of ['simd', 'js'] as const) {
    it(`hashes ${file}.${mode}.png exactly like the reference (hash, quality, 8 dihedrals; ${backend})`, async () => {
      setPdqWasmEnabled(backend === 'simd');
      onTestFinished(() => setPdqWasmEnabled(true));
      const row = expected.get(mode)!.get(file)!;
      expect(row, 'row in the expected CSV').toBeDefined();
      const { pixels, width, height, channels } = await readDecodedPixels(path);
      const result = pdqFromPixels(pixels, width, height, channels, { dihedral: true });
      expect(result.hash).toBe(row.hash);
      expect(result.quality).toBe(row.quality);
      expect(result.dihedral).toEqual(row.dihedral);
      if (mode === 'fullres') {
        // The same pixels through our own cli512 resize give the reference CLI's row.
        const cli = expected.get('cli512')!.get(file)!;
        const viaResize = pdqFromPixels(pixels, width, height, channels, { resize: 'cli512', dihedral: true });
        expect(viaResize.hash).toBe(cli.hash);
        expect(viaResize.quality).toBe(cli.quality);
        expect(viaResize.dihedral).toEqual(cli.dihedral);
      }
    });
  }

  for (const im of listIntermediates()) {
    it(`matches the reference stage by stage on ${im.name}`, async () => {
      const { pixels, width, height, channels } = await readDecodedPixels(decodedPixelsPath(im.file, 'fullres'));
      expect(channels).toBe(im.channels);
      const src = pdqLumaSource(pixels, width, height, channels, resizeOf(im.mode));
      expect([src.rows, src.cols]).toEqual([im.rows, im.cols]);

      const a = blurDecimate(src);
      expect(bitDiffs(a, im.luma64), 'luma64').toEqual([]);
      if (im.mode === 'fullres') expect(bitDiffs(blurDecimateWasm(src)!, im.luma64), 'luma64 (SIMD)').toEqual([]);
      expect(pdqQuality(a)).toBe(im.quality);
      const dct = pdqDct16(a);
      expect(bitDiffs(dct, im.dct16), 'dct16').toEqual([]);
      expect(pdqMedian(dct)).toBe(im.median);
      expect(pdqFromPixels(pixels, width, height, channels, { resize: resizeOf(im.mode) }).hash).toBe(im.hash);

      if (im.mode === 'fullres') {
        // The literal two-buffer transcription agrees too, so the oracle the property tests use is itself right.
        const literal = referenceBlurDecimate(referenceLuma(pixels, width, height, channels), height, width);
        expect(bitDiffs(literal, im.luma64), 'reference luma64').toEqual([]);
      }
    });
  }

  it('names the dihedral variants in the reference CLI order', () => {
    expect(DIHEDRAL_NAMES).toEqual(['orig', 'rot90', 'rot180', 'rot270', 'flipx', 'flipy', 'flipp', 'flipm']);
  });
});
