import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blurDecimate, gatherNearest, lumaExact64, nearestIndexMap } from './pdq-blur.js';
import { referenceBlurDecimate, referenceLuma } from './pdq-reference.js';
import { blurDecimateWasm, pdqKernels } from './pdq-wasm.js';
import { pdqLumaSource } from './pdq.js';

/** A random image: `size` picks dimensions that exercise window 1, even and odd windows, and batch remainders. */
const image = (maxSide: number) =>
  fc
    .record({
      width: fc.integer({ min: 1, max: maxSide }),
      height: fc.integer({ min: 1, max: maxSide }),
      channels: fc.constantFrom(1 as const, 3 as const, 4 as const),
      seed: fc.integer(),
      smooth: fc.boolean(),
    })
    .map(({ width, height, channels, seed, smooth }) => {
      const pixels = new Uint8Array(width * height * channels);
      let x = seed | 0;
      for (let i = 0; i < pixels.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) | 0;
        // Smooth images have long runs of equal values, where running-sum rounding noise is most visible.
        pixels[i] = smooth ? ((i / channels / 97) | 0) * 31 + ((x >>> 29) & 1) : x >>> 24;
      }
      return { pixels, width, height, channels };
    });

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('streaming blur and decimation (JS and WebAssembly SIMD)', () => {
  it('equals the literal reference transcription bit for bit (full resolution)', () => {
    fc.assert(
      fc.property(image(300), ({ pixels, width, height, channels }) => {
        const fast = blurDecimate(pdqLumaSource(pixels, width, height, channels, 'full'));
        const literal = referenceBlurDecimate(referenceLuma(pixels, width, height, channels), height, width, false);
        expect(sameBits(fast, literal)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('the WebAssembly SIMD path equals the literal reference bit for bit', () => {
    expect(pdqKernels(), 'this Node has WebAssembly SIMD').not.toBeNull();
    fc.assert(
      fc.property(image(300), ({ pixels, width, height, channels }) => {
        const simd = blurDecimateWasm(pdqLumaSource(pixels, width, height, channels, 'full'))!;
        const literal = referenceBlurDecimate(referenceLuma(pixels, width, height, channels), height, width, false);
        expect(sameBits(simd, literal)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('the SIMD path stays exact across consecutive images of different shapes (no stale state)', () => {
    const shapes = [[900, 700, 3], [7, 9, 1], [333, 1200, 4], [64, 65, 3], [1300, 5, 1]] as const;
    for (const [width, height, channels] of [...shapes, ...shapes.slice().reverse()]) {
      const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 40503 + width) & 0xff);
      const simd = blurDecimateWasm(pdqLumaSource(pixels, width, height, channels, 'full'))!;
      const literal = referenceBlurDecimate(referenceLuma(pixels, width, height, channels), height, width, false);
      expect(sameBits(simd, literal), `${width}x${height}x${channels}`).toBe(true);
    }
  });

  it('stays exact after an image large enough to make the SIMD path drop and rebuild its memory', () => {
    // 1000000 x 5: the per-row buffers (luma quad, ring, sums) take about 72 MB, over the 64 MB the instance keeps.
    const [width, height] = [1_000_000, 5];
    const tall = new Uint8Array(width * height);
    for (let i = 0; i < tall.length; i++) tall[i] = (i * 31 + (i >> 9)) & 0xff;
    const before = pdqKernels();
    const simd = blurDecimateWasm(pdqLumaSource(tall, width, height, 1, 'full'))!;
    expect(sameBits(simd, referenceBlurDecimate(referenceLuma(tall, width, height, 1), height, width, false))).toBe(true);
    expect(pdqKernels()).not.toBe(before);
    const pixels = Uint8Array.from({ length: 300 * 200 * 3 }, (_, i) => (i * 7) & 0xff);
    const literal = referenceBlurDecimate(referenceLuma(pixels, 300, 200, 3), 200, 300, false);
    expect(sameBits(blurDecimateWasm(pdqLumaSource(pixels, 300, 200, 3, 'full'))!, literal)).toBe(true);
    expect(pdqKernels()!.memory.buffer.byteLength).toBeLessThan(64 * 1024 * 1024);
  });

  it('equals the reference on extreme aspect ratios and large windows', () => {
    for (const [width, height] of [
      [1, 700],
      [700, 1],
      [5, 1030],
      [1030, 7],
      [129, 257],
      [131, 389],
    ] as const) {
      const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 251);
      const fast = blurDecimate(pdqLumaSource(pixels, width, height, 3, 'full'));
      const simd = blurDecimateWasm(pdqLumaSource(pixels, width, height, 3, 'full'))!;
      const literal = referenceBlurDecimate(referenceLuma(pixels, width, height, 3), height, width, false);
      expect(sameBits(fast, literal), `${width}x${height}`).toBe(true);
      expect(sameBits(simd, literal), `${width}x${height} SIMD`).toBe(true);
    }
  });

  it('samples the cli512 nearest-neighbour view like an explicit 512x512 resize', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 513, max: 900 }),
        fc.integer({ min: 1, max: 900 }),
        fc.constantFrom(1 as const, 3 as const),
        (width, height, channels) => {
          const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 2654435761) >>> 24);
          const rows = nearestIndexMap(height, 512);
          const cols = nearestIndexMap(width, 512);
          const resized = new Uint8Array(512 * 512 * channels);
          for (let y = 0; y < 512; y++) {
            for (let x = 0; x < 512; x++) {
              for (let c = 0; c < channels; c++) {
                resized[(y * 512 + x) * channels + c] = pixels[(rows[y]! * width + cols[x]!) * channels + c]!;
              }
            }
          }
          const view = pdqLumaSource(pixels, width, height, channels, 'cli512');
          const literal = referenceBlurDecimate(referenceLuma(resized, 512, 512, channels), 512, 512);
          expect(sameBits(blurDecimate(view), literal)).toBe(true);
          const gathered = gatherNearest(view);
          expect(Array.from(gathered.pixels)).toEqual(Array.from(resized));
          expect(sameBits(blurDecimateWasm(gathered)!, literal)).toBe(true);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('maps indices like floor(dst * size / 512)', () => {
    expect(Array.from(nearestIndexMap(1024, 512).subarray(0, 4))).toEqual([0, 2, 4, 6]);
    expect(nearestIndexMap(300, 512)[511]).toBe(299);
    expect(nearestIndexMap(1600, 512)[1]).toBe(3);
  });

  it('copies the luma unblurred for exactly 64x64 input', () => {
    const pixels = Uint8Array.from({ length: 64 * 64 }, (_, i) => i % 256);
    const a = lumaExact64(pdqLumaSource(pixels, 64, 64, 1, 'full'));
    expect(Array.from(a)).toEqual(Array.from(pixels));
  });
});

describe('float32 division by a count', () => {
  // The blur multiplies by the double reciprocal instead of dividing in float32; pdq-blur.ts proves they agree.
  it('fl32(sum * (1/n)) equals fl32(sum / n): every n up to 1024 on 4M random sums, and whole binades', () => {
    const sums = new Float32Array(1 << 22);
    let x = 12345;
    for (let i = 0; i < sums.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) | 0;
      // Sums of up to 1024 luma values: any float in [0, 261120], with dense low-bit patterns.
      sums[i] = (x >>> 0) / 2 ** 32 * 261120 * (i & 1 ? 1 : 2 ** -((x >>> 3) & 15));
    }
    const out = new Float32Array(1);
    let mismatches = 0;
    for (let n = 1; n <= 1024; n++) {
      const inv = 1 / n;
      for (let i = (n * 977) % 1024; i < sums.length; i += 1024) {
        out[0] = sums[i]! * inv;
        if (out[0] !== Math.fround(sums[i]! / n)) mismatches++;
      }
    }
    // Exhaustive over one binade (all 2^23 floats in [128, 256)) for a few odd counts, where rounding is hardest.
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    for (const n of [3, 7, 13]) {
      const inv = 1 / n;
      for (let m = 0; m < 1 << 23; m++) {
        bits[0] = ((127 + 7) << 23) | m;
        const sum = asFloat[0]!;
        out[0] = sum * inv;
        if (out[0] !== Math.fround(sum / n)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
});
