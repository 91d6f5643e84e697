/**
 * Options of video hashing: sampling, downsampling, the container allowlist and the resource caps, with their
 * defaults and eager validation (TypeError / RangeError naming the option and the value).
 *
 * @module
 */
import type { FfmpegLocateOptions } from './ffmpeg.js';

/**
 * Demuxers (ffmpeg short names) accepted by default. Everything else, in particular playlists and indirection
 * formats (`hls`, `dash`, `concat`, `image2`, `tee`...) that make ffmpeg open other files or URLs, is refused
 * before any decoding. See docs/hashing.md#video for the reasoning.
 *
 * - `mov`: MP4, MOV, M4V, 3GP (the demuxer also named `mp4,m4a,3gp,3g2,mj2`)
 * - `matroska`: MKV and WebM
 * - `avi`, `mpegts` (.ts, .m2ts), `mpeg` (program stream .mpg/.vob), `asf` (.wmv), `flv`, `ogg` (Theora),
 *   `gif` (animated GIF as video)
 */
export const DEFAULT_VIDEO_CONTAINERS: readonly string[] = Object.freeze([
  'mov',
  'matroska',
  'avi',
  'mpegts',
  'mpeg',
  'asf',
  'flv',
  'ogg',
  'gif',
]);

/** Resource caps for one video. Exceeding one is a typed error, never a truncated result. */
export interface VideoLimits {
  /**
   * Largest accepted input, in bytes (`INPUT_TOO_LARGE`).
   * @default 1073741824 (1 GiB)
   */
  maxInputBytes?: number;
  /**
   * Longest accepted video in seconds, by container metadata and by decoded frame timestamps (`VIDEO_TOO_LONG`).
   * @default 3600
   */
  maxDurationSec?: number;
  /**
   * Most decoded frames accepted, by container metadata and while decoding (`TOO_MANY_FRAMES`).
   * @default 250000
   */
  maxFrames?: number;
  /**
   * Largest frame in pixels (width x height) accepted (`TOO_MANY_PIXELS`). Also bounds ffmpeg's largest single
   * memory allocation (8 bytes per pixel), so a forged header cannot make it allocate gigabytes.
   * @default 33177600 (7680 x 4320, 8K UHD)
   */
  maxPixels?: number;
  /**
   * Wall-clock limit for the whole call (probe, decode, hashing), in ms (`FFMPEG_TIMEOUT`).
   * @default 600000 (10 minutes)
   */
  timeoutMs?: number;
}

/** Options of `hashVideo`. */
export interface HashVideoOptions extends VideoLimits, FfmpegLocateOptions {
  /**
   * Seconds between hashed frames: every `trunc(secondsPerHash x fps)`-th frame is hashed (vPDQ's rule, so at
   * 29.97 fps the default hashes frames 0, 29, 58...). `0` hashes every frame, like `vpdq-hash-video -r 0`.
   * @default 1 (python-threatexchange / HMA)
   */
  secondsPerHash?: number;
  /**
   * Scale every frame to N x N (aspect ratio not kept, area filter) before hashing, like `vpdq-hash-video -s N`.
   * Only useful for parity with reference files made that way.
   * @default undefined (native size)
   */
  downsample?: number;
  /**
   * Demuxers accepted (ffmpeg short names, e.g. `mov`, `matroska`).
   * @default DEFAULT_VIDEO_CONTAINERS
   */
  allowedContainers?: readonly string[];
  /**
   * Directory for the private temporary copy of Buffer and stream inputs (a fresh `mkdtemp` folder inside it,
   * file mode 0600, always removed).
   * @default os.tmpdir()
   */
  tempDir?: string;
  /** Aborting kills ffmpeg, removes temporary files and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Default caps; see {@link VideoLimits}. */
export const DEFAULT_VIDEO_LIMITS: Readonly<Required<VideoLimits>> = Object.freeze({
  maxInputBytes: 1024 ** 3,
  maxDurationSec: 3600,
  maxFrames: 250_000,
  maxPixels: 7680 * 4320,
  timeoutMs: 600_000,
});

/** Options after defaults and validation. */
export interface ResolvedHashVideoOptions extends Required<VideoLimits> {
  secondsPerHash: number;
  downsample: number | undefined;
  allowedContainers: readonly string[];
  tempDir: string | undefined;
  signal: AbortSignal | undefined;
  locate: FfmpegLocateOptions;
}

/** The smallest frame side vPDQ hashes (PDQ returns nothing useful below it; the reference fails the video). */
export const MIN_FRAME_SIDE = 5;

const CONTAINER_NAME = /^[a-z0-9_]+$/;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Expected \`${name}\` to be a positive integer, got ${show(value)}`);
  }
  return value;
}

function positiveNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Expected \`${name}\` to be a positive finite number, got ${show(value)}`);
  }
  return value;
}

/**
 * Applies defaults and validates every option of `hashVideo`.
 *
 * @throws {TypeError | RangeError} naming the offending option and value.
 */
export function resolveHashVideoOptions(options: unknown): ResolvedHashVideoOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected video options to be an object, got ${show(options)}`);
  }
  const o = options as HashVideoOptions;

  let secondsPerHash = 1;
  if (o.secondsPerHash !== undefined) {
    if (typeof o.secondsPerHash !== 'number' || !Number.isFinite(o.secondsPerHash) || o.secondsPerHash < 0) {
      throw new RangeError(
        `Expected \`secondsPerHash\` to be a finite number >= 0 (0 = every frame), got ${show(o.secondsPerHash)}`,
      );
    }
    secondsPerHash = o.secondsPerHash;
  }

  let downsample: number | undefined;
  if (o.downsample !== undefined) {
    if (
      typeof o.downsample !== 'number' ||
      !Number.isSafeInteger(o.downsample) ||
      o.downsample < MIN_FRAME_SIDE ||
      o.downsample > 16384
    ) {
      throw new RangeError(`Expected \`downsample\` to be an integer from ${MIN_FRAME_SIDE} to 16384, got ${show(o.downsample)}`);
    }
    downsample = o.downsample;
  }

  let allowedContainers = DEFAULT_VIDEO_CONTAINERS;
  if (o.allowedContainers !== undefined) {
    if (!Array.isArray(o.allowedContainers) || o.allowedContainers.length === 0) {
      throw new TypeError(`Expected \`allowedContainers\` to be a non-empty array of demuxer names, got ${show(o.allowedContainers)}`);
    }
    for (const name of o.allowedContainers) {
      if (typeof name !== 'string' || !CONTAINER_NAME.test(name)) {
        throw new TypeError(
          `Expected \`allowedContainers\` entries to be ffmpeg demuxer names like "mov" (a-z, 0-9, _), got ${show(name)}`,
        );
      }
    }
    allowedContainers = Object.freeze([...o.allowedContainers]);
  }

  if (o.tempDir !== undefined && (typeof o.tempDir !== 'string' || o.tempDir.length === 0)) {
    throw new TypeError(`Expected \`tempDir\` to be a non-empty path string, got ${show(o.tempDir)}`);
  }
  if (
    o.signal !== undefined &&
    (typeof o.signal !== 'object' || o.signal === null || typeof (o.signal as AbortSignal).aborted !== 'boolean')
  ) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${show(o.signal)}`);
  }
  for (const name of ['ffmpegPath', 'ffprobePath'] as const) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
      throw new TypeError(`Expected \`${name}\` to be a non-empty path string, got ${show(v)}`);
    }
  }

  const locate: FfmpegLocateOptions = {};
  if (o.ffmpegPath !== undefined) locate.ffmpegPath = o.ffmpegPath;
  if (o.ffprobePath !== undefined) locate.ffprobePath = o.ffprobePath;
  if (o.env !== undefined) locate.env = o.env;

  return {
    secondsPerHash,
    downsample,
    allowedContainers,
    tempDir: o.tempDir,
    signal: o.signal,
    locate,
    maxInputBytes: positiveInteger('maxInputBytes', o.maxInputBytes, DEFAULT_VIDEO_LIMITS.maxInputBytes),
    maxDurationSec: positiveNumber('maxDurationSec', o.maxDurationSec, DEFAULT_VIDEO_LIMITS.maxDurationSec),
    maxFrames: positiveInteger('maxFrames', o.maxFrames, DEFAULT_VIDEO_LIMITS.maxFrames),
    maxPixels: positiveInteger('maxPixels', o.maxPixels, DEFAULT_VIDEO_LIMITS.maxPixels),
    timeoutMs: positiveInteger('timeoutMs', o.timeoutMs, DEFAULT_VIDEO_LIMITS.timeoutMs),
  };
}
