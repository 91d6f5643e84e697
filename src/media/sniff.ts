/**
 * Media type detection from magic bytes. Files are routed and allowlisted by what they are, never by their name:
 * only bytes that look like an allowed format ever reach a decoder, which keeps sharp's many other loaders
 * (SVG, PDF, FITS, ImageMagick, ...) out of reach of untrusted input.
 *
 * @module
 */

/** Image formats tidscan can recognise. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heic' | 'svg';

/** Video containers tidscan can recognise (hashing them is the video hasher's job). */
export type VideoContainer = 'mp4' | 'mov' | 'matroska' | 'avi' | 'flv' | 'mpeg-ts' | 'mpeg-ps' | 'asf' | 'ogg' | '3gp';

/** What the first bytes of a file say it is. */
export type SniffResult =
  | { kind: 'image'; format: ImageFormat }
  | { kind: 'video'; container: VideoContainer }
  | { kind: 'unknown' };

/** How many leading bytes {@link sniffMedia} looks at; pass at least this many when you can. */
export const SNIFF_BYTES = 1024;

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
};

const startsWith = (bytes: Uint8Array, magic: readonly number[]): boolean =>
  bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

const IMAGE_BRANDS: Record<string, ImageFormat> = {
  avif: 'avif',
  avis: 'avif',
  heic: 'heic',
  heix: 'heic',
  heim: 'heic',
  heis: 'heic',
  hevc: 'heic',
  hevx: 'heic',
  mif1: 'heic',
  msf1: 'heic',
};

/** ISO-BMFF (`ftyp` box): AVIF/HEIF still images, or MP4/MOV/3GP video. */
function sniffIsoBmff(bytes: Uint8Array): SniffResult | null {
  if (!ascii(bytes, 4, 'ftyp') || bytes.length < 12) return null;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const major = String.fromCharCode(...bytes.subarray(8, 12));
  const brands = [major];
  for (let o = 16; o + 4 <= Math.min(boxSize, bytes.length); o += 4) brands.push(String.fromCharCode(...bytes.subarray(o, o + 4)));
  // The major brand decides; `mif1` as major with an `avif` compatible brand is an AVIF.
  if (major === 'avif' || major === 'avis' || (major === 'mif1' && brands.includes('avif'))) return { kind: 'image', format: 'avif' };
  const image = IMAGE_BRANDS[major];
  if (image) return { kind: 'image', format: image };
  if (major === 'qt  ') return { kind: 'video', container: 'mov' };
  if (major.startsWith('3g')) return { kind: 'video', container: '3gp' };
  return { kind: 'video', container: 'mp4' };
}

function sniffSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, SNIFF_BYTES)).replace(/^\uFEFF/, '');
  return /^\s*</.test(head) && /<svg[\s>]/i.test(head);
}

/**
 * Identifies an image format or video container from the first bytes of a file ({@link SNIFF_BYTES} suffice).
 *
 * @example
 * ```ts
 * sniffMedia(buffer) // { kind: 'image', format: 'jpeg' }
 * ```
 */
export function sniffMedia(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'image', format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', format: 'png' };
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return { kind: 'image', format: 'gif' };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return { kind: 'image', format: 'webp' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { kind: 'image', format: 'tiff' };
  }
  const bmff = sniffIsoBmff(bytes);
  if (bmff) return bmff;
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return { kind: 'video', container: 'matroska' };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'AVI ')) return { kind: 'video', container: 'avi' };
  if (ascii(bytes, 0, 'FLV')) return { kind: 'video', container: 'flv' };
  if (ascii(bytes, 0, 'OggS')) return { kind: 'video', container: 'ogg' };
  if (startsWith(bytes, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])) return { kind: 'video', container: 'asf' };
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0xba])) return { kind: 'video', container: 'mpeg-ps' };
  if (bytes.length >= 376 && bytes[0] === 0x47 && bytes[188] === 0x47 && bytes[376] === 0x47) {
    return { kind: 'video', container: 'mpeg-ts' };
  }
  if (sniffSvg(bytes)) return { kind: 'image', format: 'svg' };
  return { kind: 'unknown' };
}
