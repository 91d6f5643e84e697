/**
 * `hashImage`: MD5/SHA-1/SHA-256 of the original bytes and the PDQ hash of the decoded pixels, decoded with sharp
 * the way the reference decodes (docs/hashing.md#decoding): no ICC conversion, no EXIF auto-orient, alpha dropped
 * (not flattened), grey images hashed as grey, first frame only. Untrusted input is bounded in bytes, pixels, time
 * and format, and every failure is a {@link MediaError} with a stable code.
 *
 * @module
 */
import type { Sharp, SharpOptions } from 'sharp';
import { MediaError, isTidscanError } from '../errors.js';
import type { DihedralName } from '../hash/dihedral.js';
import { pdqFromPixels } from '../hash/pdq.js';
import { Digester, type Digests } from './digest.js';
import { type HashImageOptions, type ResolvedImageOptions, resolveImageOptions } from './image-options.js';
import { type MediaInput, readMediaInput } from './read-input.js';
import { type ImageFormat, sniffMedia } from './sniff.js';

/** The result of {@link hashImage}. */
export interface ImageHash extends Digests {
  /** PDQ of the first frame. */
  pdq: {
    /** 64 lowercase hex digits. */
    hash: string;
    /** 0-100; below 50 the reference treats the hash as unusable. */
    quality: number;
    /** The 8 DCT-dihedral hashes, when asked with `dihedral: true`. */
    dihedral?: Record<DihedralName, string>;
  };
  /** Decoded width of the first frame, in pixels. */
  width: number;
  /** Decoded height of the first frame, in pixels. */
  height: number;
  /** The format detected from the bytes. */
  format: ImageFormat;
}

/** Longest side accepted, in pixels (the JPEG maximum). */
export const MAX_IMAGE_SIDE = 65_535;

type SharpFactory = (input?: Buffer, options?: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | undefined;

/** sharp, imported on first use so that users of the pure hash APIs never load the native module. */
function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then(
    (m) => ((m as { default?: SharpFactory }).default ?? (m as unknown as SharpFactory)),
    (err: unknown) => {
      sharpModule = undefined;
      throw new MediaError('DECODE_FAILED', `Cannot load sharp, which image decoding needs: ${(err as Error).message}`, {
        cause: err,
      });
    },
  );
  return sharpModule;
}

/** sharp's `metadata().format` names for each format we accept. */
const SHARP_FORMAT: Record<ImageFormat, readonly string[]> = {
  jpeg: ['jpeg'],
  png: ['png'],
  webp: ['webp'],
  gif: ['gif'],
  tiff: ['tiff'],
  avif: ['heif'],
  heic: ['heif'],
  svg: ['svg'],
};

/** Turns a sharp/libvips failure into a coded error. */
function decodeError(err: unknown, options: ResolvedImageOptions, format: ImageFormat): MediaError {
  if (isTidscanError(err)) return err as MediaError;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return new MediaError('TOO_MANY_PIXELS', `Image exceeds the ${options.limitInputPixels}-pixel limit`, {
      cause: err,
      details: { limitInputPixels: options.limitInputPixels },
    });
  }
  if (/^timeout/i.test(message)) {
    return new MediaError('DECODE_TIMEOUT', `Decoding took longer than ${options.timeoutMs} ms`, { cause: err });
  }
  if (/unsupported image format/i.test(message)) {
    return new MediaError('UNSUPPORTED_FORMAT', `sharp cannot decode this ${format} file: ${message}`, { cause: err });
  }
  return new MediaError('DECODE_FAILED', `Cannot decode the ${format} image: ${message.trim()}`, {
    cause: err,
    details: { format },
  });
}

/** The reference sees an image as grey when every pixel has R = G = B (ImageMagick then writes PGM). */
function greyChannel(rgb: Uint8Array): Uint8Array | null {
  const n = rgb.length;
  for (let i = 0; i < n; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return null;
  const grey = new Uint8Array(n / 3);
  for (let i = 0, p = 0; p < grey.length; i += 3, p++) grey[p] = rgb[i]!;
  return grey;
}

async function decodeAndHash(bytes: Buffer, format: ImageFormat, options: ResolvedImageOptions, signal: AbortSignal): Promise<ImageHash> {
  const sharp = await loadSharp();
  const sharpOptions: SharpOptions = {
    failOn: options.failOn,
    limitInputPixels: options.limitInputPixels,
    ignoreIcc: true,
    autoOrient: false,
    pages: 1,
    page: 0,
    sequentialRead: true,
  };
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  let meta;
  try {
    // Header only (no pixels are decoded), so the pixel limit is checked below, with the size in the error.
    meta = await sharp(bytes, { ...sharpOptions, limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeError(err, options, format);
  }
  signal.throwIfAborted();
  if (!SHARP_FORMAT[format].includes(meta.format ?? '')) {
    throw new MediaError('UNSUPPORTED_FORMAT', `The bytes look like ${format} but decode as ${meta.format ?? 'unknown'}`, {
      details: { format, decodedAs: meta.format },
    });
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  // Hashing buffers grow with each side, so a 20000000 x 5 strip within the pixel limit could still demand
  // gigabytes. No camera or JPEG exceeds 65535 px on a side.
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new MediaError('TOO_MANY_PIXELS', `Image is ${width}x${height}; sides above ${MAX_IMAGE_SIDE} px are not accepted`, {
      details: { width, height, maxSide: MAX_IMAGE_SIDE },
    });
  }
  if (width * height > options.limitInputPixels) {
    throw new MediaError(
      'TOO_MANY_PIXELS',
      `Image is ${width}x${height} (${width * height} pixels), over the ${options.limitInputPixels}-pixel limit`,
      { details: { width, height, limitInputPixels: options.limitInputPixels } },
    );
  }
  // Start decoding on libuv's pool, and digest the bytes on this thread meanwhile.
  const decoded = sharp(bytes, sharpOptions)
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .timeout({ seconds })
    .toBuffer({ resolveWithObject: true });
  const digests = new Digester().update(bytes).digest();
  let data: Buffer;
  let info;
  try {
    ({ data, info } = await abortable(decoded, signal));
  } catch (err) {
    throw decodeError(err, options, format);
  }
  let pixels: Uint8Array = data;
  let channels: 1 | 3;
  if (info.channels === 3) {
    const grey = greyChannel(data);
    channels = grey ? 1 : 3;
    if (grey) pixels = grey;
  } else if (info.channels === 1) {
    channels = 1;
  } else {
    throw new MediaError('DECODE_FAILED', `Decoded image has ${info.channels} channels, expected 1 or 3`, {
      details: { channels: info.channels },
    });
  }
  signal.throwIfAborted();
  const pdq = pdqFromPixels(pixels, info.width, info.height, channels, { resize: options.resize, dihedral: options.dihedral });
  return { ...digests, pdq, width: info.width, height: info.height, format };
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // A promise we stop waiting for must not surface later as an unhandled rejection.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Hashes an image with options already checked by {@link resolveImageOptions} (for callers that hash many files).
 */
export async function hashImageResolved(input: MediaInput, options: ResolvedImageOptions): Promise<ImageHash> {
  const budget = new AbortController();
  const timer = setTimeout(
    () => budget.abort(new MediaError('DECODE_TIMEOUT', `Hashing the image took longer than ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const onAbort = (): void => budget.abort(options.signal!.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const bytes = await abortable(readMediaInput(input, options.maxInputBytes, budget.signal), budget.signal);
    if (bytes.length === 0) throw new MediaError('EMPTY_INPUT', 'Input is empty (0 bytes)');
    const sniffed = sniffMedia(bytes);
    if (sniffed.kind !== 'image') {
      const what = sniffed.kind === 'video' ? `a ${sniffed.container} video` : 'not a recognised image format';
      throw new MediaError('UNSUPPORTED_FORMAT', `Input is ${what}`, { details: { sniffed } });
    }
    if (!options.formats.includes(sniffed.format)) {
      const hint = sniffed.format === 'heic' ? " (sharp's prebuilt libheif has no HEVC decoder)" : '';
      throw new MediaError('UNSUPPORTED_FORMAT', `${sniffed.format} images are not accepted${hint}; allowed: ${options.formats.join(', ')}`, {
        details: { format: sniffed.format, allowed: options.formats },
      });
    }
    return await decodeAndHash(bytes, sniffed.format, options, budget.signal);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Hashes an image: MD5, SHA-1 and SHA-256 of its bytes, and PDQ of its decoded pixels.
 *
 * @param input The image bytes, a file path or `file:` URL, or a readable stream of bytes.
 * @throws {TypeError | RangeError} for bad options or input types (before any work).
 * @throws {MediaError} `EMPTY_INPUT`, `INPUT_TOO_LARGE`, `INPUT_NOT_FOUND`, `INPUT_READ_FAILED`,
 *   `UNSUPPORTED_FORMAT`, `TOO_MANY_PIXELS`, `DECODE_FAILED`, `DECODE_TIMEOUT`.
 *
 * @example
 * ```ts
 * const { sha256, pdq } = await hashImage('upload.jpg');
 * if (pdq.quality >= 50) await index.query(parsePdq(pdq.hash), 31);
 * ```
 */
export async function hashImage(input: MediaInput, options?: HashImageOptions): Promise<ImageHash> {
  return hashImageResolved(input, resolveImageOptions(options));
}
