import { describe, expect, it } from 'vitest';
import { assemblePdqKernels } from './pdq-wasm-kernels.js';
import { pdqKernels, pdqSimdAvailable, setPdqWasmEnabled } from './pdq-wasm.js';
import { pdqFromPixels } from './pdq.js';

describe('the WebAssembly SIMD kernels', () => {
  it('assemble into a valid module small enough for synchronous compilation on a browser main thread (4 KB)', () => {
    const bytes = assemblePdqKernels();
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(4096);
  });

  it('can be switched off, and pdqFromPixels then gives the same results through plain JS', () => {
    const pixels = Uint8Array.from({ length: 257 * 131 * 3 }, (_, i) => (i * 2654435761) >>> 24);
    expect(pdqSimdAvailable()).toBe(true);
    const simd = pdqFromPixels(pixels, 257, 131, 3, { dihedral: true });
    setPdqWasmEnabled(false);
    try {
      expect(pdqSimdAvailable()).toBe(false);
      expect(pdqFromPixels(pixels, 257, 131, 3, { dihedral: true })).toEqual(simd);
    } finally {
      setPdqWasmEnabled(true);
    }
    expect(pdqKernels()).not.toBeNull();
  });
});
