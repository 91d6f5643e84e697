/**
 * PDQ perceptual hashing of decoded pixels, bit-exact with Meta's C++ reference (docs/hashing.md). Pure TypeScript
 * with no Node imports, so the same code hashes `ImageData` in a browser or frames from any decoder.
 *
 * @module
 */
import { toHex } from './hex.js';
import { DIHEDRAL_NAMES, type DihedralName, dihedralDct } from './dihedral.js';
import { type LumaSource, type PixelArray, blurDecimate, gatherNearest, lumaExact64, nearestIndexMap } from './pdq-blur.js';
import { PDQ_CLI_DOWNSAMPLE_DIM, PDQ_DECIMATED, PDQ_MIN_HASHABLE_DIM } from './pdq-constants.js';
import { blurDecimateWasm, pdqSimdAvailable } from './pdq-wasm.js';
import { pdqBitsFromDct, pdqDct16, pdqQuality } from './pdq-dct.js';

export type { DihedralName } from './dihedral.js';

/** A PDQ hash and its quality. */
export interface PdqResult {
  /** 64 lowercase hex digits (the 256-bit hash, big-endian). */
  hash: string;
  /** 0-100; the reference discards hashes below 50 (docs/hashing.md). */
  quality: number;
}

/** {@link PdqResult} plus the 8 DCT-dihedral hashes when `dihedral: true` was asked. */
export interface PdqFullResult extends PdqResult {
  /** The hashes of the 8 symmetries computed from the DCT (`orig` equals `hash` except for exactly 64x64 input). */
  dihedral?: Record<DihedralName, string>;
}

/**
 * Resize policy before hashing.
 * - `full`: hash the decoded image as is (python-threatexchange / HMA / pdqhash / Java / vPDQ).
 * - `cli512`: if either side exceeds 512, nearest-neighbour resize to exactly 512x512 first (the reference
 *   `pdq-photo-hasher` CLI and the WASM hasher).
 */
export type PdqResizePolicy = 'full' | 'cli512';

/** Options of {@link pdqFromPixels}. */
export interface PdqOptions {
  /**
   * Resize policy; see {@link PdqResizePolicy}.
   * @default 'full'
   */
  resize?: PdqResizePolicy;
  /**
   * Also compute the 8 DCT-dihedral hashes.
   * @default false
   */
  dihedral?: boolean;
}

/** Pixel layouts accepted: 1 = grey, 3 = RGB, 4 = RGBA (alpha ignored, not composited). */
export type PdqChannels = 1 | 3 | 4;

const RESIZE_POLICIES: readonly PdqResizePolicy[] = ['full', 'cli512'];

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** Validates {@link PdqOptions}; throws TypeError/RangeError with the offending value. */
export function validatePdqOptions(options: unknown): Required<PdqOptions> {
  if (options === undefined) return { resize: 'full', dihedral: false };
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected PDQ options to be an object, got ${describe(options)}`);
  }
  const { resize = 'full', dihedral = false } = options as PdqOptions;
  if (!RESIZE_POLICIES.includes(resize)) {
    throw new TypeError(`Expected \`resize\` to be 'full' or 'cli512', got ${describe(resize)}`);
  }
  if (typeof dihedral !== 'boolean') {
    throw new TypeError(`Expected \`dihedral\` to be a boolean, got ${describe(dihedral)}`);
  }
  return { resize, dihedral };
}

function validatePixels(pixels: unknown, width: unknown, height: unknown, channels: unknown): void {
  if (!(pixels instanceof Uint8Array) && !(pixels instanceof Uint8ClampedArray)) {
    throw new TypeError(`Expected \`pixels\` to be a Uint8Array or Uint8ClampedArray, got ${describe(pixels)}`);
  }
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Expected \`${name}\` to be a positive integer, got ${describe(value)}`);
    }
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`Expected \`channels\` to be 1, 3 or 4, got ${describe(channels)}`);
  }
  const expected = (width as number) * (height as number) * channels;
  if (pixels.length !== expected) {
    throw new RangeError(
      `Expected \`pixels\` to hold width x height x channels = ${expected} samples, got ${pixels.length}`,
    );
  }
}

const ZERO_HASH = '0'.repeat(64);

/**
 * The source the hasher reads for a resize policy: the decoded pixels, or a 512x512 nearest-neighbour view of them.
 */
export function pdqLumaSource(
  pixels: PixelArray,
  width: number,
  height: number,
  channels: PdqChannels,
  resize: PdqResizePolicy,
): LumaSource {
  if (resize === 'cli512' && (width > PDQ_CLI_DOWNSAMPLE_DIM || height > PDQ_CLI_DOWNSAMPLE_DIM)) {
    return {
      pixels,
      width,
      channels,
      rows: PDQ_CLI_DOWNSAMPLE_DIM,
      cols: PDQ_CLI_DOWNSAMPLE_DIM,
      rowMap: nearestIndexMap(height, PDQ_CLI_DOWNSAMPLE_DIM),
      colMap: nearestIndexMap(width, PDQ_CLI_DOWNSAMPLE_DIM),
    };
  }
  return { pixels, width, channels, rows: height, cols: width, rowMap: null, colMap: null };
}

/**
 * PDQ hash of decoded 8-bit pixels.
 *
 * @param pixels Interleaved samples, row-major, exactly `width * height * channels` long.
 * @param channels 1 (grey: luma = the value), 3 (RGB) or 4 (RGBA: alpha ignored, as the reference drops it).
 * @throws {TypeError | RangeError} on bad arguments.
 *
 * @example
 * ```ts
 * const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
 * const { hash, quality } = pdqFromPixels(data, info.width, info.height, 3);
 * ```
 */
export function pdqFromPixels(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: PdqChannels,
  options?: PdqOptions,
): PdqFullResult {
  validatePixels(pixels, width, height, channels);
  const { resize, dihedral } = validatePdqOptions(options);
  const src = pdqLumaSource(pixels, width, height, channels, resize);

  if (src.rows < PDQ_MIN_HASHABLE_DIM || src.cols < PDQ_MIN_HASHABLE_DIM) {
    const result: PdqFullResult = { hash: ZERO_HASH, quality: 0 };
    if (dihedral) result.dihedral = Object.fromEntries(DIHEDRAL_NAMES.map((n) => [n, ZERO_HASH])) as Record<DihedralName, string>;
    return result;
  }

  const exact64 = src.rows === PDQ_DECIMATED && src.cols === PDQ_DECIMATED;
  // The SIMD path reads contiguous rows, so a cli512 view is gathered first (512x512 pixels, cheap).
  const a = exact64 ? lumaExact64(src) : pdqSimdAvailable() ? blurDecimateWasm(gatherNearest(src))! : blurDecimate(src);
  const dct = pdqDct16(a);
  const result: PdqFullResult = { hash: toHex(pdqBitsFromDct(dct)), quality: pdqQuality(a) };
  if (dihedral) {
    // The reference's dihedral entry point has no exact-64x64 shortcut: it blurs with window 1.
    const dihedralSource = exact64 ? pdqDct16(blurDecimate(src)) : dct;
    result.dihedral = Object.fromEntries(
      DIHEDRAL_NAMES.map((n) => [n, toHex(pdqBitsFromDct(dihedralDct(dihedralSource, n)))]),
    ) as Record<DihedralName, string>;
  }
  return result;
}

/** The subset of the DOM `ImageData` that {@link pdqFromImageData} needs (RGBA, 8 bits per sample). */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/**
 * PDQ hash of a browser `ImageData` (or any RGBA buffer of that shape). Note that a canvas applies colour
 * management and EXIF orientation when drawing, which the reference does not: see docs/hashing.md.
 *
 * @example
 * ```ts
 * const { hash } = pdqFromImageData(ctx.getImageData(0, 0, w, h));
 * ```
 */
export function pdqFromImageData(image: ImageDataLike, options?: PdqOptions): PdqFullResult {
  if (typeof image !== 'object' || image === null) {
    throw new TypeError(`Expected \`image\` to be an ImageData-like object, got ${describe(image)}`);
  }
  return pdqFromPixels(image.data, image.width, image.height, 4, options);
}
