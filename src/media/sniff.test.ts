import { describe, expect, it } from 'vitest';
import { sniffMedia } from './sniff.js';

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const ftyp = (major: string, ...compatible: string[]) => {
  const body = bytes('ftyp', major, [0, 0, 0, 0], ...compatible);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(32)]);
};

describe('sniffMedia', () => {
  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0])],
    ['png', bytes([0x89], 'PNG\r\n\x1a\n')],
    ['gif', bytes('GIF89a')],
    ['gif', bytes('GIF87a')],
    ['webp', bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')],
    ['tiff', bytes('II*\0')],
    ['tiff', bytes('MM\0*')],
    ['avif', ftyp('avif', 'mif1')],
    ['avif', ftyp('mif1', 'avif', 'miaf')],
    ['heic', ftyp('heic', 'mif1')],
    ['heic', ftyp('mif1', 'heic')],
    ['svg', bytes([0xef, 0xbb, 0xbf], '  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">')],
    ['svg', bytes('<svg width="1" height="1"></svg>')],
  ])('recognises %s', (format, input) => {
    expect(sniffMedia(input)).toEqual({ kind: 'image', format });
  });

  it.each([
    ['mp4', ftyp('isom', 'iso2', 'mp41')],
    ['mp4', ftyp('mp42')],
    ['mov', ftyp('qt  ')],
    ['3gp', ftyp('3gp5')],
    ['matroska', bytes([0x1a, 0x45, 0xdf, 0xa3])],
    ['avi', bytes('RIFF', [0, 0, 0, 0], 'AVI LIST')],
    ['flv', bytes('FLV', [1])],
    ['ogg', bytes('OggS')],
    ['asf', bytes([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11])],
    ['mpeg-ps', bytes([0, 0, 1, 0xba])],
  ])('recognises %s video', (container, input) => {
    expect(sniffMedia(input)).toEqual({ kind: 'video', container });
  });

  it('recognises MPEG-TS by its sync bytes every 188 bytes', () => {
    const ts = Buffer.alloc(188 * 3);
    for (let i = 0; i < 3; i++) ts[i * 188] = 0x47;
    expect(sniffMedia(ts)).toEqual({ kind: 'video', container: 'mpeg-ts' });
    ts[188] = 0;
    expect(sniffMedia(ts)).toEqual({ kind: 'unknown' });
  });

  it.each([
    ['empty', bytes()],
    ['text', bytes('hello world')],
    ['html', bytes('<!doctype html><html><body>hi</body></html>')],
    ['partial jpeg magic', bytes([0xff, 0xd8])],
    ['RIFF without a known form', bytes('RIFF', [0, 0, 0, 0], 'WAVE')],
    ['pdf', bytes('%PDF-1.7')],
  ])('does not recognise %s', (_name, input) => {
    expect(sniffMedia(input)).toEqual({ kind: 'unknown' });
  });
});
