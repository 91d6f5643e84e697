/**
 * Builders for hostile image files, generated at test time (never stored in the repo): decompression bombs,
 * headers that lie about their size, truncated and corrupt files.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid 8-bit greyscale PNG of `width x height` zeros. Compresses about 1000:1, so a few hundred kilobytes
 * decode to a hundred megapixels: the classic decompression bomb. `rowsToStore` < height writes only that many
 * rows, so the header lies about the size (truncated data).
 */
export function zeroPng(width: number, height: number, rowsToStore = height): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(rowsToStore * (width + 1)); // filter byte 0 + zero samples per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A small noisy RGB image encoded as `format`, deterministic for a given seed. */
export async function noiseImage(format: 'jpeg' | 'png' | 'webp', width = 192, height = 128, seed = 1): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    // Smooth gradients plus noise: a realistic, high-quality PDQ input.
    pixels[i] = (((i / 3) % width) + Math.floor(i / 3 / width) + ((x >>> 27) & 15)) & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}

/** Rewrites the frame header (SOF0/SOF2) of a JPEG so it claims `width x height` (at most 65535 each). */
export function jpegClaimingSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; ) {
    if (out[i] !== 0xff) throw new Error('not at a JPEG marker');
    const marker = out[i + 1]!;
    const length = out.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + length;
  }
  throw new Error('no SOF marker found');
}

/** Corrupts a JPEG's first Huffman table definition (DHT), which every decoder must reject. */
export function jpegWithBrokenHuffmanTable(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 4; ) {
    const marker = out[i + 1]!;
    const length = out.readUInt16BE(i + 2);
    if (marker === 0xc4) {
      // Code counts for lengths 1..16 summing far past 256 symbols: "Bogus Huffman table definition".
      out.fill(0xff, i + 5, i + 5 + 16);
      return out;
    }
    i += 2 + length;
  }
  throw new Error('no DHT marker found');
}

/**
 * Inserts an `iCCP` chunk (an embedded colour profile) into a PNG without touching its pixels, which encoders
 * that convert to the profile's colour space would do.
 */
export function pngWithIccProfile(png: Buffer, profile: Uint8Array): Buffer {
  const ihdrEnd = 8 + 8 + 13 + 4;
  const data = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(profile)]);
  return Buffer.concat([png.subarray(0, ihdrEnd), pngChunk('iCCP', data), png.subarray(ihdrEnd)]);
}
