import { describe, expect, it } from 'vitest';
import { DEFAULT_VIDEO_CONTAINERS, DEFAULT_VIDEO_LIMITS, resolveHashVideoOptions } from './video-options.js';

describe('resolveHashVideoOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveHashVideoOptions(undefined);
    expect(o.secondsPerHash).toBe(1);
    expect(o.downsample).toBeUndefined();
    expect(o.allowedContainers).toEqual(DEFAULT_VIDEO_CONTAINERS);
    expect(o).toMatchObject(DEFAULT_VIDEO_LIMITS);
    expect(DEFAULT_VIDEO_LIMITS).toEqual({
      maxInputBytes: 1024 ** 3,
      maxDurationSec: 3600,
      maxFrames: 250_000,
      maxPixels: 7680 * 4320,
      timeoutMs: 600_000,
    });
  });

  it('never allows playlist or indirection demuxers by default', () => {
    for (const name of ['hls', 'dash', 'concat', 'image2', 'tee', 'lavfi', 'data', 'subfile']) {
      expect(DEFAULT_VIDEO_CONTAINERS).not.toContain(name);
    }
  });

  it('accepts every-frame sampling and downsampling', () => {
    const o = resolveHashVideoOptions({ secondsPerHash: 0, downsample: 128, allowedContainers: ['mov'] });
    expect(o).toMatchObject({ secondsPerHash: 0, downsample: 128, allowedContainers: ['mov'] });
  });

  it.each([
    [[], TypeError, 'Expected video options to be an object, got an array'],
    [{ secondsPerHash: -1 }, RangeError, 'Expected `secondsPerHash` to be a finite number >= 0 (0 = every frame), got -1'],
    [{ secondsPerHash: Number.POSITIVE_INFINITY }, RangeError, 'got Infinity'],
    [{ downsample: 4 }, RangeError, 'Expected `downsample` to be an integer from 5 to 16384, got 4'],
    [{ downsample: 64.5 }, RangeError, 'got 64.5'],
    [{ allowedContainers: [] }, TypeError, 'Expected `allowedContainers` to be a non-empty array of demuxer names, got an array'],
    [{ allowedContainers: ['mov,hls'] }, TypeError, 'got "mov,hls"'],
    [{ allowedContainers: 'mov' }, TypeError, 'got "mov"'],
    [{ maxInputBytes: 0 }, RangeError, 'Expected `maxInputBytes` to be a positive integer, got 0'],
    [{ maxFrames: 1.5 }, RangeError, 'Expected `maxFrames` to be a positive integer, got 1.5'],
    [{ maxPixels: '100' }, RangeError, 'Expected `maxPixels` to be a positive integer, got "100"'],
    [{ maxDurationSec: 0 }, RangeError, 'Expected `maxDurationSec` to be a positive finite number, got 0'],
    [{ timeoutMs: -5 }, RangeError, 'Expected `timeoutMs` to be a positive integer, got -5'],
    [{ tempDir: '' }, TypeError, 'Expected `tempDir` to be a non-empty path string, got ""'],
    [{ signal: {} }, TypeError, 'Expected `signal` to be an AbortSignal, got an object'],
    [{ ffmpegPath: 3 }, TypeError, 'Expected `ffmpegPath` to be a non-empty path string, got 3'],
  ])('rejects %o', (options, type, message) => {
    expect(() => resolveHashVideoOptions(options)).toThrow(type);
    expect(() => resolveHashVideoOptions(options)).toThrow(message);
  });
});
