/**
 * hashImage on hostile and unusual input: every case settles with its own MediaError code, nothing hangs, the
 * process survives. All files are generated into a temp dir at test time.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTidscanError } from '../../src/errors.js';
import { pdqFromPixels } from '../../src/hash/pdq.js';
import { hashImage } from '../../src/media/image.js';
import { jpegClaimingSize, jpegWithBrokenHuffmanTable, noiseImage, pngWithIccProfile, zeroPng } from '../helpers/hostile-images.js';

let dir: string;
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-hostile-'));
  jpeg = await noiseImage('jpeg');
  png = await noiseImage('png');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}

/** The error code hashImage rejects with (fails the test if it resolves or throws a non-tidscan error). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(isTidscanError(err), String(err)).toBe(true);
    return (err as { code: string }).code;
  }
  throw new Error('expected a rejection');
}

describe('decompression bombs and lying headers', () => {
  it('refuses a real 108-megapixel PNG bomb from its header, before decoding', async () => {
    const bomb = zeroPng(12_000, 9_000);
    expect(bomb.length).toBeLessThan(200_000);
    const before = process.memoryUsage().rss;
    expect(await codeOf(hashImage(bomb))).toBe('TOO_MANY_PIXELS');
    // Decoding would have needed 108 MB grey, 324 MB as RGB.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses a PNG header claiming 100000 x 100000 with almost no data', async () => {
    expect(await codeOf(hashImage(zeroPng(100_000, 100_000, 1)))).toBe('TOO_MANY_PIXELS');
  });

  it('refuses a JPEG header claiming 65000 x 65000', async () => {
    expect(await codeOf(hashImage(jpegClaimingSize(jpeg, 65_000, 65_000)))).toBe('TOO_MANY_PIXELS');
  });

  it('refuses a side longer than 65535 px even within the pixel limit (hashing buffers grow per side)', async () => {
    const err = await hashImage(zeroPng(70_000, 10, 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_MANY_PIXELS', details: { width: 70_000, height: 10, maxSide: 65_535 } });
    expect(await codeOf(hashImage(zeroPng(10, 70_000, 1)))).toBe('TOO_MANY_PIXELS');
  });

  it('honours a lower limitInputPixels, with the size in the error details', async () => {
    const err = await hashImage(zeroPng(2_000, 1_000), { limitInputPixels: 1_000_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_MANY_PIXELS', details: { width: 2000, height: 1000, limitInputPixels: 1_000_000 } });
    await expect(hashImage(zeroPng(2_000, 500), { limitInputPixels: 1_000_000 })).resolves.toMatchObject({ width: 2000 });
  });

  it('rejects a header that promises more rows than the data holds', async () => {
    expect(await codeOf(hashImage(zeroPng(3_000, 3_000, 10)))).toBe('DECODE_FAILED');
  });
});

describe('damaged files', () => {
  it('rejects a truncated JPEG by default, and hashes it with failOn: none', async () => {
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    expect(await codeOf(hashImage(truncated))).toBe('DECODE_FAILED');
    await expect(hashImage(truncated, { failOn: 'none' })).resolves.toMatchObject({ format: 'jpeg' });
  });

  it('rejects a truncated PNG', async () => {
    expect(await codeOf(hashImage(png.subarray(0, png.length >> 1)))).toBe('DECODE_FAILED');
  });

  it('rejects a JPEG with a corrupt Huffman table, even with failOn: none', async () => {
    const broken = jpegWithBrokenHuffmanTable(jpeg);
    expect(await codeOf(hashImage(broken))).toBe('DECODE_FAILED');
    expect(await codeOf(hashImage(broken, { failOn: 'none' }))).toBe('DECODE_FAILED');
  });

  it('rejects valid magic bytes followed by garbage', async () => {
    const garbage = Buffer.alloc(4096, 0x5a);
    expect(await codeOf(hashImage(Buffer.concat([jpeg.subarray(0, 3), garbage])))).toBe('DECODE_FAILED');
    expect(await codeOf(hashImage(Buffer.concat([png.subarray(0, 8), garbage])))).toBe('DECODE_FAILED');
    expect(await codeOf(hashImage(Buffer.from('GIF89a')))).toBe('DECODE_FAILED');
  });
});

describe('what is not an accepted image', () => {
  it('rejects zero bytes with EMPTY_INPUT, as bytes, file and stream', async () => {
    expect(await codeOf(hashImage(new Uint8Array(0)))).toBe('EMPTY_INPUT');
    expect(await codeOf(hashImage(await file('empty.jpg', new Uint8Array(0))))).toBe('EMPTY_INPUT');
    expect(await codeOf(hashImage(Readable.from([])))).toBe('EMPTY_INPUT');
  });

  it('rejects random bytes and text as UNSUPPORTED_FORMAT', async () => {
    const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24));
    expect(await codeOf(hashImage(random))).toBe('UNSUPPORTED_FORMAT');
    expect(await codeOf(hashImage(Buffer.from('hello, this is not an image\n')))).toBe('UNSUPPORTED_FORMAT');
  });

  it('rejects SVG by default and renders it when allowed', async () => {
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="80" height="60"><rect width="40" height="60" fill="#f00"/></svg>');
    expect(await codeOf(hashImage(svg))).toBe('UNSUPPORTED_FORMAT');
    await expect(hashImage(svg, { formats: ['svg'] })).resolves.toMatchObject({ format: 'svg', width: 80, height: 60 });
  });

  it('rejects a format left out of `formats`', async () => {
    expect(await codeOf(hashImage(png, { formats: ['jpeg'] }))).toBe('UNSUPPORTED_FORMAT');
  });

  it('rejects videos and HEIC by their ftyp brand', async () => {
    const ftyp = (brand: string) => Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}\0\0\0\0${brand}mp41`), Buffer.alloc(100)]);
    const video = await hashImage(ftyp('isom')).catch((e: unknown) => e);
    expect(video).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringContaining('mp4 video') });
    const heic = await hashImage(ftyp('heic')).catch((e: unknown) => e);
    expect(heic).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringContaining('HEVC') });
  });

  it('goes by the bytes, not the file name', async () => {
    const pngNamedJpg = await hashImage(await file('really-a-png.jpg', png));
    expect(pngNamedJpg.format).toBe('png');
    expect(pngNamedJpg).toEqual(await hashImage(png));
    expect(await codeOf(hashImage(await file('text.png', Buffer.from('not an image at all'))))).toBe('UNSUPPORTED_FORMAT');
  });
});

describe('input limits and failures', () => {
  it('enforces maxInputBytes on bytes, files and streams', async () => {
    const max = png.length - 1;
    expect(await codeOf(hashImage(png, { maxInputBytes: max }))).toBe('INPUT_TOO_LARGE');
    expect(await codeOf(hashImage(await file('big.png', png), { maxInputBytes: max }))).toBe('INPUT_TOO_LARGE');
    expect(await codeOf(hashImage(Readable.from([png.subarray(0, 1000), png.subarray(1000)]), { maxInputBytes: max }))).toBe(
      'INPUT_TOO_LARGE',
    );
    await expect(hashImage(png, { maxInputBytes: png.length })).resolves.toMatchObject({ format: 'png' });
  });

  it('stops reading an endless stream at the cap and closes it', async () => {
    let closed = false;
    async function* endless() {
      try {
        for (;;) yield new Uint8Array(64 * 1024);
      } finally {
        closed = true;
      }
    }
    expect(await codeOf(hashImage(endless(), { maxInputBytes: 1024 * 1024 }))).toBe('INPUT_TOO_LARGE');
    expect(closed).toBe(true);
  });

  it('times out on a stream that never ends, and destroys it', async () => {
    const stalled = new Readable({ read() {} });
    stalled.push(png.subarray(0, 100));
    expect(await codeOf(hashImage(stalled, { timeoutMs: 200 }))).toBe('DECODE_TIMEOUT');
    expect(stalled.destroyed).toBe(true);
  });

  it('rejects with the signal reason when aborted', async () => {
    const controller = new AbortController();
    const stalled = new Readable({ read() {} });
    const pending = hashImage(stalled, { signal: controller.signal });
    controller.abort(new Error('upload cancelled'));
    await expect(pending).rejects.toThrow('upload cancelled');
    await expect(hashImage(png, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports missing files, directories and device files with their codes', async () => {
    expect(await codeOf(hashImage(path.join(dir, 'nope.jpg')))).toBe('INPUT_NOT_FOUND');
    await mkdir(path.join(dir, 'a-dir.jpg'), { recursive: true });
    expect(await codeOf(hashImage(path.join(dir, 'a-dir.jpg')))).toBe('INPUT_READ_FAILED');
    if (process.platform === 'linux') expect(await codeOf(hashImage('/dev/zero'))).toBe('INPUT_READ_FAILED');
  });

  it('reports a failing stream as INPUT_READ_FAILED', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('socket hang up'));
      },
    });
    const err = await hashImage(failing).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INPUT_READ_FAILED', message: expect.stringContaining('socket hang up') });
  });

  it('refuses text streams', async () => {
    expect(await codeOf(hashImage(Readable.from(['not', 'bytes'])))).toBe('INPUT_READ_FAILED');
  });

  it('settles every hostile input in one concurrent batch, with a code each', async () => {
    const inputs = [
      zeroPng(12_000, 9_000),
      zeroPng(100_000, 100_000, 1),
      jpeg.subarray(0, 500),
      jpegWithBrokenHuffmanTable(jpeg),
      Buffer.alloc(0),
      Buffer.alloc(3000, 7),
      png,
    ];
    const settled = await Promise.allSettled(inputs.map((b) => hashImage(b)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as { code: string }).code))).toEqual([
      'TOO_MANY_PIXELS',
      'TOO_MANY_PIXELS',
      'DECODE_FAILED',
      'DECODE_FAILED',
      'EMPTY_INPUT',
      'UNSUPPORTED_FORMAT',
      'ok',
    ]);
  });
});

describe('decoding like the reference', () => {
  it('drops alpha without flattening: transparent pixels count with their stored colour', async () => {
    const width = 120;
    const height = 90;
    const rgba = Buffer.alloc(width * height * 4);
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const v = [(p * 7) % 256, (p * 13) % 256, ((p / width) * 3) % 256];
      rgb.set(v, p * 3);
      rgba.set([...v, p % 3 === 0 ? 0 : 255], p * 4);
    }
    const file = await sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
    const r = await hashImage(file);
    expect(r.pdq.hash).toBe(pdqFromPixels(rgb, width, height, 3).hash);
    const flattened = await sharp(file).flatten({ background: '#000' }).raw().toBuffer();
    expect(r.pdq.hash).not.toBe(pdqFromPixels(flattened, width, height, 3).hash);
  });

  it('hashes grey images with the grey luma (1 channel), as the reference does', async () => {
    const grey = Uint8Array.from({ length: 100 * 80 }, (_, i) => ((i % 100) * 2 + Math.floor(i / 100)) & 0xff);
    const file = await sharp(Buffer.from(grey), { raw: { width: 100, height: 80, channels: 1 } }).png().toBuffer();
    expect((await hashImage(file)).pdq).toEqual(pdqFromPixels(grey, 100, 80, 1));
  });

  it('ignores EXIF orientation and embedded ICC profiles', async () => {
    const pixels = await sharp(png).raw().toBuffer();
    const plain = await sharp(pixels, { raw: { width: 192, height: 128, channels: 3 } }).png().toBuffer();
    const rotatedTag = await sharp(pixels, { raw: { width: 192, height: 128, channels: 3 } }).withMetadata({ orientation: 6 }).png().toBuffer();
    const p3 = (await sharp(png).withIccProfile('p3').png().toBuffer().then((b) => sharp(b).metadata())).icc!;
    const withIcc = pngWithIccProfile(plain, p3);
    expect((await sharp(rotatedTag).metadata()).orientation).toBe(6);
    expect((await sharp(withIcc).metadata()).icc).toBeDefined();
    // The profile matters: a colour-managed decode gives other pixels, so this checks that we ignore it.
    expect(await sharp(withIcc).raw().toBuffer()).not.toEqual(pixels);
    const expected = await hashImage(plain);
    expect(expected.pdq.hash).toBe(pdqFromPixels(pixels, 192, 128, 3).hash);
    for (const variant of [rotatedTag, withIcc]) {
      const r = await hashImage(variant);
      expect([r.width, r.height]).toEqual([192, 128]);
      expect(r.pdq).toEqual(expected.pdq);
    }
  });

  it('hashes only the first frame of an animated GIF', async () => {
    const frames = await Promise.all([1, 2].map((seed) => noiseImage('png', 64, 48, seed)));
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif, { pages: -1 }).metadata()).pages).toBe(2);
    const r = await hashImage(gif);
    expect([r.width, r.height]).toEqual([64, 48]);
    const frame = async (page: number) => sharp(gif, { page }).removeAlpha().raw().toBuffer();
    expect(r.pdq.hash).toBe(pdqFromPixels(await frame(0), 64, 48, 3).hash);
    expect(r.pdq.hash).not.toBe(pdqFromPixels(await frame(1), 64, 48, 3).hash);
  });

  it('decodes WebP, AVIF, TIFF and GIF', async () => {
    for (const format of ['webp', 'avif', 'tiff', 'gif'] as const) {
      const r = await hashImage(await sharp(png).toFormat(format).toBuffer());
      expect(r.format).toBe(format);
      expect(r.pdq.quality).toBeGreaterThan(50);
    }
  });
});
