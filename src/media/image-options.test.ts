import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_FORMATS, IMAGE_DEFAULTS, resolveImageOptions } from './image-options.js';
import { hashImage } from './image.js';

describe('resolveImageOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolveImageOptions(undefined)).toEqual({
      resize: 'full',
      dihedral: false,
      maxInputBytes: 52_428_800,
      limitInputPixels: 100_000_000,
      failOn: 'warning',
      formats: ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'],
      timeoutMs: 30_000,
      signal: undefined,
    });
    expect(IMAGE_DEFAULTS.maxInputBytes).toBe(50 * 1024 * 1024);
    expect(DEFAULT_IMAGE_FORMATS).not.toContain('svg');
  });

  it('keeps valid values', () => {
    const signal = new AbortController().signal;
    expect(
      resolveImageOptions({ resize: 'cli512', dihedral: true, maxInputBytes: 1, limitInputPixels: 25, failOn: 'none', formats: ['png', 'svg'], timeoutMs: 5, signal }),
    ).toEqual({ resize: 'cli512', dihedral: true, maxInputBytes: 1, limitInputPixels: 25, failOn: 'none', formats: ['png', 'svg'], timeoutMs: 5, signal });
  });

  it.each([
    ['options', 'fast', TypeError, 'Expected options to be an object, got "fast"'],
    ['resize', { resize: 512 }, TypeError, "Expected `resize` to be 'full' or 'cli512', got 512"],
    ['dihedral', { dihedral: 'yes' }, TypeError, 'Expected `dihedral` to be a boolean, got "yes"'],
    ['maxInputBytes', { maxInputBytes: 0 }, RangeError, 'Expected `maxInputBytes` to be an integer from 1 to 2147483647, got 0'],
    ['maxInputBytes', { maxInputBytes: 1.5 }, RangeError, 'Expected `maxInputBytes` to be an integer from 1 to 2147483647, got 1.5'],
    ['limitInputPixels', { limitInputPixels: -1 }, RangeError, 'Expected `limitInputPixels` to be an integer from 1 to 1073610756, got -1'],
    ['timeoutMs', { timeoutMs: Number.POSITIVE_INFINITY }, RangeError, 'Expected `timeoutMs` to be an integer from 1 to 3600000, got Infinity'],
    ['failOn', { failOn: 'never' }, TypeError, "Expected `failOn` to be one of 'none', 'truncated', 'error', 'warning', got \"never\""],
    ['formats', { formats: [] }, TypeError, 'Expected `formats` to be a non-empty array of image formats, got an array'],
    ['formats', { formats: 'png' }, TypeError, 'Expected `formats` to be a non-empty array of image formats, got "png"'],
    ['formats', { formats: ['png', 'heic'] }, TypeError, 'Expected `formats` entries to be one of jpeg, png, webp, gif, tiff, avif, svg, got "heic"'],
    ['signal', { signal: {} }, TypeError, 'Expected `signal` to be an AbortSignal, got an object'],
  ])('rejects a bad %s', (_name, options, type, message) => {
    expect(() => resolveImageOptions(options as never)).toThrow(type);
    expect(() => resolveImageOptions(options as never)).toThrow(message);
  });

  it('makes hashImage reject before touching the input', async () => {
    await expect(hashImage('/definitely/not/here.jpg', { timeoutMs: -5 })).rejects.toThrow(RangeError);
    await expect(hashImage(42 as never)).rejects.toThrow(
      'Expected the input to be a Buffer/Uint8Array, a file path, a file: URL or a readable stream, got number',
    );
    await expect(hashImage(new URL('https://example.com/a.jpg'))).rejects.toThrow('Expected a file: URL, got https:');
  });
});
