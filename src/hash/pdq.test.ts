import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIHEDRAL_NAMES, type DihedralName, dihedralDct } from './dihedral.js';
import { blurDecimate, lumaExact64 } from './pdq-blur.js';
import { pdqBitsFromDct, pdqDct16, pdqMedian, pdqQuality } from './pdq-dct.js';
import { toHex } from './hex.js';
import { pdqFromImageData, pdqFromPixels, pdqLumaSource } from './pdq.js';

const ZERO = '0'.repeat(64);
const dct16 = fc.float32Array({ minLength: 256, maxLength: 256, noNaN: true, noDefaultInfinity: true });

function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('pdqFromPixels arguments', () => {
  const px = new Uint8Array(10 * 10 * 3);
  it.each([
    [() => pdqFromPixels([1, 2, 3] as unknown as Uint8Array, 1, 1, 3), TypeError, 'Expected `pixels` to be a Uint8Array or Uint8ClampedArray, got an array'],
    [() => pdqFromPixels(px, 0, 10, 3), RangeError, 'Expected `width` to be a positive integer, got 0'],
    [() => pdqFromPixels(px, 10, 2.5, 3), RangeError, 'Expected `height` to be a positive integer, got 2.5'],
    [() => pdqFromPixels(px, 10, 10, 2 as 3), RangeError, 'Expected `channels` to be 1, 3 or 4, got 2'],
    [() => pdqFromPixels(px, 10, 9, 3), RangeError, 'Expected `pixels` to hold width x height x channels = 270 samples, got 300'],
    [() => pdqFromPixels(px, 10, 10, 3, { resize: 'half' as 'full' }), TypeError, "Expected `resize` to be 'full' or 'cli512', got \"half\""],
    [() => pdqFromPixels(px, 10, 10, 3, { dihedral: 1 as unknown as boolean }), TypeError, 'Expected `dihedral` to be a boolean, got 1'],
    [() => pdqFromPixels(px, 10, 10, 3, 'full' as never), TypeError, 'Expected PDQ options to be an object, got "full"'],
    [() => pdqFromImageData(null as never), TypeError, 'Expected `image` to be an ImageData-like object, got null'],
  ])('rejects bad input %#', (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});

describe('pdqFromPixels rules', () => {
  it('gives the all-zero hash and quality 0 below 5 pixels on a side, dihedrals included', () => {
    for (const [w, h] of [
      [4, 100],
      [100, 4],
      [1, 1],
    ] as const) {
      const r = pdqFromPixels(noise(w * h * 3, w), w, h, 3, { dihedral: true });
      expect(r.hash).toBe(ZERO);
      expect(r.quality).toBe(0);
      expect(Object.values(r.dihedral!)).toEqual(Array(8).fill(ZERO));
    }
    expect(pdqFromPixels(noise(5 * 5, 1), 5, 5, 1).quality).toBeGreaterThan(0);
  });

  it('applies the < 5 px rule after the cli512 resize, so a 600x4 image is hashed as 512x512', () => {
    const px = noise(600 * 4 * 3, 9);
    expect(pdqFromPixels(px, 600, 4, 3).hash).toBe(ZERO);
    expect(pdqFromPixels(px, 600, 4, 3, { resize: 'cli512' }).hash).not.toBe(ZERO);
  });

  it('ignores alpha: RGBA hashes like the same RGB', () => {
    const rgb = noise(70 * 90 * 3, 3);
    const rgba = new Uint8Array(70 * 90 * 4);
    const alpha = noise(70 * 90, 4);
    for (let p = 0; p < 70 * 90; p++) {
      rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = alpha[p]!;
    }
    expect(pdqFromPixels(rgba, 70, 90, 4)).toEqual(pdqFromPixels(rgb, 70, 90, 3));
    expect(pdqFromImageData({ data: new Uint8ClampedArray(rgba.buffer), width: 70, height: 90 })).toEqual(
      pdqFromPixels(rgb, 70, 90, 3),
    );
  });

  it('hashes exactly 64x64 input from the unblurred luma, and its dihedrals from the window-1 blur', () => {
    const px = noise(64 * 64 * 3, 5);
    const r = pdqFromPixels(px, 64, 64, 3, { dihedral: true });
    const a = lumaExact64(pdqLumaSource(px, 64, 64, 3, 'full'));
    expect(r.hash).toBe(toHex(pdqBitsFromDct(pdqDct16(a))));
    expect(r.quality).toBe(pdqQuality(a));
    expect(r.dihedral).toBeDefined();
  });

  it('leaves images of 512 px or less alone in cli512 mode', () => {
    const px = noise(512 * 300 * 3, 6);
    expect(pdqFromPixels(px, 512, 300, 3, { resize: 'cli512', dihedral: true })).toEqual(
      pdqFromPixels(px, 512, 300, 3, { dihedral: true }),
    );
  });

  it('emits lowercase hex, 64 digits, and orig equal to hash', () => {
    const r = pdqFromPixels(noise(200 * 150, 7), 200, 150, 1, { dihedral: true });
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.dihedral!.orig).toBe(r.hash);
    expect(Object.keys(r.dihedral!)).toEqual([...DIHEDRAL_NAMES]);
  });
});

describe('bit layout and median', () => {
  it('sets bit k = i*16+j when B[i][j] > the lower median, words written row 15 first', () => {
    const ascending = Float32Array.from({ length: 256 }, (_, k) => k);
    expect(toHex(pdqBitsFromDct(ascending))).toBe('ffff'.repeat(8) + '0000'.repeat(8));
    const descending = Float32Array.from({ length: 256 }, (_, k) => 255 - k);
    expect(toHex(pdqBitsFromDct(descending))).toBe('0000'.repeat(8) + 'ffff'.repeat(8));
    // B[0][0], the (1,1) coefficient, is the least significant bit of the last hex digit.
    const corner = Float32Array.from({ length: 256 }, (_, k) => (k === 0 ? 1000 : k));
    expect(toHex(pdqBitsFromDct(corner))).toBe('ffff'.repeat(7) + 'fffe' + '0000'.repeat(7) + '0001');
  });

  it('uses the 128th smallest value as the median and a strict > (ties stay 0)', () => {
    fc.assert(
      fc.property(dct16, (b) => {
        const sorted = Array.from(b).sort((x, y) => x - y);
        // -0 and +0 compare equal, which is all the threshold needs.
        expect(pdqMedian(b) === sorted[127]).toBe(true);
        const bits = pdqBitsFromDct(b);
        let set = 0;
        for (const byte of bits) for (let i = 0; i < 8; i++) set += (byte >> i) & 1;
        expect(set).toBe(sorted.filter((v) => v > sorted[127]!).length);
      }),
    );
  });

  it('flat images have quality 0', () => {
    expect(pdqQuality(new Float32Array(4096).fill(77))).toBe(0);
    expect(pdqFromPixels(new Uint8Array(300 * 200).fill(128), 300, 200, 1).quality).toBe(0);
  });
});

describe('dihedral variants at the DCT level', () => {
  const apply = (b: Float32Array, ...names: DihedralName[]) => names.reduce((x, n) => dihedralDct(x, n), b);
  const same = (a: Float32Array, b: Float32Array) => expect(Array.from(a)).toEqual(Array.from(b));

  it('compose like the dihedral group of the square', () => {
    fc.assert(
      fc.property(dct16, (b) => {
        same(apply(b, 'rot90', 'rot90', 'rot90', 'rot90'), b);
        same(apply(b, 'rot90', 'rot90'), apply(b, 'rot180'));
        same(apply(b, 'rot90', 'rot90', 'rot90'), apply(b, 'rot270'));
        same(apply(b, 'rot90', 'rot270'), b);
        for (const flip of ['flipx', 'flipy', 'flipp', 'flipm'] as const) same(apply(b, flip, flip), b);
        same(apply(b, 'flipx', 'flipy'), apply(b, 'rot180'));
        same(apply(b, 'flipp', 'flipm'), apply(b, 'rot180'));
        same(apply(b, 'orig'), b);
      }),
    );
  });

  it('relate to the coefficients as the reference tables state (checked on an index matrix)', () => {
    const b = Float32Array.from({ length: 256 }, (_, k) => k + 1);
    const at = (x: Float32Array, i: number, j: number) => x[i * 16 + j]!;
    // rot90 (counter-clockwise) negates even rows of the transpose; flipx negates even rows.
    expect(at(dihedralDct(b, 'rot90'), 0, 1)).toBe(-at(b, 1, 0));
    expect(at(dihedralDct(b, 'rot90'), 1, 0)).toBe(at(b, 0, 1));
    expect(at(dihedralDct(b, 'flipx'), 2, 5)).toBe(-at(b, 2, 5));
    expect(at(dihedralDct(b, 'flipy'), 2, 5)).toBe(at(b, 2, 5));
    expect(at(dihedralDct(b, 'flipm'), 3, 4)).toBe(-at(b, 4, 3));
  });

  it('gives the dihedral hashes pdqFromPixels reports', () => {
    const px = noise(150 * 90 * 3, 8);
    const r = pdqFromPixels(px, 150, 90, 3, { dihedral: true });
    // Independent path: the exported stages, composed by hand.
    const dct = pdqDct16(blurDecimate(pdqLumaSource(px, 150, 90, 3, 'full')));
    for (const n of DIHEDRAL_NAMES) expect(r.dihedral![n]).toBe(toHex(pdqBitsFromDct(dihedralDct(dct, n))));
  });
});
