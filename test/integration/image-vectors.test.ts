/**
 * End to end: hashImage (sharp decode + PDQ) on all 54 image vectors, in both resize modes, against the C++
 * reference runs. Exact wherever sharp's decode equals ImageMagick's; the two known decoder differences are
 * pinned to their measured distances and explained in docs/hashing.md#known-differences.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { hexDistance } from '../../src/hash/hex.js';
import { hashImage } from '../../src/media/image.js';
import { type ExpectedPdqRow, type PdqMode, listDecodedPixels, readExpectedCsv } from '../helpers/pdq-vectors.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';

const resizeOf = (mode: PdqMode): 'full' | 'cli512' => (mode === 'fullres' ? 'full' : 'cli512');

/**
 * Files whose sharp decode differs from the reference's ImageMagick decode, with the largest distance measured
 * (hash, and each dihedral) per mode. See docs/hashing.md#known-differences.
 */
const DECODER_DIFFERENCES: Record<string, { why: string; fullres: number; cli512: number }> = {
  'pdq/data/misc-images/modes/CMYK.jpg': { why: 'lcms CMYK->sRGB vs a naive conversion', fullres: 12, cli512: 10 },
  'python-threatexchange/threatexchange/tests/hashing/resources/I16.png': {
    why: '16-bit grey: sharp scales to 8 bits, the reference keeps the low byte',
    fullres: 136,
    cli512: 136,
  },
};

describeVectors('hashImage on the 54 image vectors', () => {
  const rows = new Map<PdqMode, ExpectedPdqRow[]>();
  beforeAll(() => {
    rows.set('fullres', readExpectedCsv('fullres'));
    rows.set('cli512', readExpectedCsv('cli512'));
  });

  it('lists 54 vectors in both modes', () => {
    expect(rows.get('fullres')).toHaveLength(54);
    expect(rows.get('cli512')!.map((r) => r.file)).toEqual(rows.get('fullres')!.map((r) => r.file));
  });

  for (const mode of ['fullres', 'cli512'] as const) {
    it(`matches the reference ${mode} hash, quality and dihedrals (exact for 52, bounded for 2)`, async () => {
      const failures: string[] = [];
      const decodedSize = new Map(rows.get('fullres')!.map((x) => [x.file, [x.rows, x.cols]]));
      for (const row of rows.get(mode)!) {
        const r = await hashImage(vectorPath(row.file), { resize: resizeOf(mode), dihedral: true });
        // The CSVs give the hashed size as rows x cols; the full-resolution one is the decoded size.
        expect([r.height, r.width], row.file).toEqual(decodedSize.get(row.file));
        const distances = [hexDistance(r.pdq.hash, row.hash), ...Object.entries(row.dihedral).map(([k, v]) => hexDistance(r.pdq.dihedral![k as 'orig'], v))];
        const known = DECODER_DIFFERENCES[row.file];
        if (known) {
          expect(Math.max(...distances), `${row.file} (${known.why})`).toBeLessThanOrEqual(known[mode]);
          continue;
        }
        if (Math.max(...distances) !== 0 || r.pdq.quality !== row.quality) {
          failures.push(`${row.file}: distances ${distances.join(',')}, quality ${r.pdq.quality} vs ${row.quality}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('reproduces the reference rows from its own decoded pixels (incl. grey PNGs hashed as grey)', async () => {
    const byFile = new Map(rows.get('fullres')!.map((r) => [r.file.replaceAll('/', '_'), r]));
    const cli = new Map(rows.get('cli512')!.map((r) => [r.file.replaceAll('/', '_'), r]));
    for (const { path, file, mode } of listDecodedPixels()) {
      const row = (mode === 'fullres' ? byFile : cli).get(file)!;
      const r = await hashImage(path, { dihedral: true });
      expect(r.pdq.hash, path).toBe(row.hash);
      expect(r.pdq.quality, path).toBe(row.quality);
    }
  });

  it('hashes python-threatexchange I16.png as the 8-bit scaling of its samples, documented distances to both references', async () => {
    const r = await hashImage(vectorPath('python-threatexchange/threatexchange/tests/hashing/resources/I16.png'));
    const cpp = rows.get('fullres')!.find((x) => x.file.endsWith('I16.png'))!;
    // python-threatexchange (PIL clamps 16-bit values to 255) expects this hash, quality 36.
    const hma = 'de2ef0e99ecdfc1d248a0eb055f023d1d61e79c3920cbb55d561c02accab1763';
    expect(hexDistance(r.pdq.hash, cpp.hash)).toBe(130);
    expect(hexDistance(r.pdq.hash, hma)).toBe(118);
  });

  it('digests the original bytes, the same whether given a Buffer, a path, a file: URL or a stream', async () => {
    const file = vectorPath('pdq/data/reg-test-input/pen-and-coaster.png');
    const bytes = readFileSync(file);
    const expected = {
      md5: createHash('md5').update(bytes).digest('hex'),
      sha1: createHash('sha1').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const results = [
      await hashImage(bytes),
      await hashImage(new Uint8Array(bytes)),
      await hashImage(file),
      await hashImage(pathToFileURL(file)),
      await hashImage(createReadStream(file, { highWaterMark: 4096 })),
    ];
    for (const r of results) {
      expect(r).toMatchObject(expected);
      expect(r).toEqual(results[0]);
    }
    expect(results[0]!.format).toBe('png');
  });
});
