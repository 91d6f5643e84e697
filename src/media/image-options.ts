/**
 * Options of {@link hashImage}: defaults, limits and eager validation.
 *
 * @module
 */
import { type PdqResizePolicy, validatePdqOptions } from '../hash/pdq.js';
import type { ImageFormat } from './sniff.js';

/** How strict decoding is about damaged input (sharp's `failOn`): stop at warnings, errors, truncation, or never. */
export type FailOnLevel = 'none' | 'truncated' | 'error' | 'warning';

/** Image formats {@link hashImage} can decode. HEIC is recognised but not decodable (sharp ships no HEVC decoder). */
export const SUPPORTED_IMAGE_FORMATS: readonly ImageFormat[] = Object.freeze(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'svg']);

/** Formats allowed by default: the raster formats uploads use. SVG is opt-in (it is a renderer, not a decoder). */
export const DEFAULT_IMAGE_FORMATS: readonly ImageFormat[] = Object.freeze(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']);

/** Default limits, chosen in docs/hashing.md#limits. */
export const IMAGE_DEFAULTS = Object.freeze({
  /** 50 MiB: above any camera JPEG or PNG screenshot a platform accepts, small enough to buffer. */
  maxInputBytes: 50 * 1024 * 1024,
  /** 100 MP: every consumer camera and phone default mode; decoded RGB costs 3 bytes per pixel (300 MB). */
  limitInputPixels: 100_000_000,
  failOn: 'warning' as FailOnLevel,
  /** 30 s for read + decode + hash; a 100 MP JPEG decodes in a few seconds on one core. */
  timeoutMs: 30_000,
});

/** Options of {@link hashImage}. */
export interface HashImageOptions {
  /**
   * Resize policy before PDQ: `full` matches HMA / python-threatexchange / pdqhash, `cli512` the reference CLI.
   * @default 'full'
   */
  resize?: PdqResizePolicy;
  /**
   * Also return the 8 DCT-dihedral PDQ hashes.
   * @default false
   */
  dihedral?: boolean;
  /**
   * Largest input accepted, in bytes; enforced while reading files and streams.
   * @default 52428800 (50 MiB)
   */
  maxInputBytes?: number;
  /**
   * Largest image accepted, in pixels (width x height of the first frame), checked from the header before decoding.
   * @default 100000000
   */
  limitInputPixels?: number;
  /**
   * Decoder strictness; the default refuses files with any decoder warning (truncated, corrupt).
   * @default 'warning'
   */
  failOn?: FailOnLevel;
  /**
   * Formats accepted, detected from the bytes (never from a file name).
   * @default ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']
   */
  formats?: readonly ImageFormat[];
  /**
   * Time budget for reading, decoding and hashing, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /** Cancels the work; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** {@link HashImageOptions} with every default applied. */
export interface ResolvedImageOptions {
  resize: PdqResizePolicy;
  dihedral: boolean;
  maxInputBytes: number;
  limitInputPixels: number;
  failOn: FailOnLevel;
  formats: readonly ImageFormat[];
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

const FAIL_ON: readonly FailOnLevel[] = ['none', 'truncated', 'error', 'warning'];

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function positiveInteger(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer from 1 to ${max}, got ${show(value)}`);
  }
  return value;
}

/**
 * Validates {@link HashImageOptions} and applies defaults. Throws `TypeError` / `RangeError` naming the option.
 *
 * @example
 * ```ts
 * const options = resolveImageOptions({ resize: 'cli512' }); // validate once, reuse for many images
 * ```
 */
export function resolveImageOptions(options: HashImageOptions | undefined): ResolvedImageOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`Expected options to be an object, got ${show(options)}`);
  }
  const o = options ?? {};
  const { resize, dihedral } = validatePdqOptions({ resize: o.resize, dihedral: o.dihedral });
  const failOn = o.failOn ?? IMAGE_DEFAULTS.failOn;
  if (!FAIL_ON.includes(failOn)) {
    throw new TypeError(`Expected \`failOn\` to be one of ${FAIL_ON.map((l) => `'${l}'`).join(', ')}, got ${show(failOn)}`);
  }
  let formats = DEFAULT_IMAGE_FORMATS;
  if (o.formats !== undefined) {
    if (!Array.isArray(o.formats) || o.formats.length === 0) {
      throw new TypeError(`Expected \`formats\` to be a non-empty array of image formats, got ${show(o.formats)}`);
    }
    for (const f of o.formats) {
      if (!SUPPORTED_IMAGE_FORMATS.includes(f)) {
        throw new TypeError(
          `Expected \`formats\` entries to be one of ${SUPPORTED_IMAGE_FORMATS.join(', ')}, got ${show(f)}`,
        );
      }
    }
    formats = Object.freeze([...o.formats]);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${show(o.signal)}`);
  }
  return {
    resize,
    dihedral,
    maxInputBytes: positiveInteger('maxInputBytes', o.maxInputBytes, IMAGE_DEFAULTS.maxInputBytes, 2 ** 31 - 1),
    limitInputPixels: positiveInteger('limitInputPixels', o.limitInputPixels, IMAGE_DEFAULTS.limitInputPixels, 0x3fff ** 2 * 4),
    failOn,
    formats,
    timeoutMs: positiveInteger('timeoutMs', o.timeoutMs, IMAGE_DEFAULTS.timeoutMs, 3_600_000),
    signal: o.signal,
  };
}
