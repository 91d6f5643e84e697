import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectTargets, displayPath, mediaKindOf, parseFileList } from './inputs.js';

describe('mediaKindOf', () => {
  it('classifies by extension, case-insensitively', () => {
    expect(mediaKindOf('a/B.JPG')).toBe('image');
    expect(mediaKindOf('clip.MP4')).toBe('video');
    expect(mediaKindOf('notes.txt')).toBeUndefined();
    expect(mediaKindOf('noext')).toBeUndefined();
  });
});

describe('parseFileList', () => {
  it('reads lines, skipping blanks and comments', () => {
    expect(parseFileList('a.jpg\r\n\n# note\n  b c.png  \n')).toEqual(['a.jpg', 'b c.png']);
  });
  it('reads NUL-separated lists verbatim', () => {
    expect(parseFileList('a.jpg\0 with space.png\0')).toEqual(['a.jpg', ' with space.png']);
  });
});

describe('collectTargets', () => {
  it('walks folders in sorted order, routes by content, skips dot entries, non-media and symlinks, and dedupes', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tidscan-inputs-'));
    mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
    mkdirSync(path.join(root, 'd', '.hidden'));
    for (const f of ['d/b.jpg', 'd/a.png', 'd/sub/c.mp4', 'd/readme.txt', 'd/.DS_Store', 'd/.hidden/x.jpg']) {
      writeFileSync(path.join(root, f), 'x');
    }
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const mp4 = Buffer.concat([Buffer.from('0000001866747970', 'hex'), Buffer.from('isom\0\0\0\0isomiso2')]);
    writeFileSync(path.join(root, 'd', 'upload-7f3a'), png);
    writeFileSync(path.join(root, 'd', 'clip-no-ext'), mp4);
    writeFileSync(path.join(root, 'd', 'video-named.jpg'), mp4);
    symlinkSync(path.join(root, 'd'), path.join(root, 'd', 'sub', 'loop'));
    const { targets, ignored } = await collectTargets({ dirs: ['d'], files: ['d/a.png', 'other.bin'] }, root);
    expect(targets.map((t) => [t.display, t.kind])).toEqual([
      ['d/a.png', 'image'],
      ['d/b.jpg', 'image'],
      ['d/clip-no-ext', 'video'],
      ['d/sub/c.mp4', 'video'],
      ['d/upload-7f3a', 'image'],
      ['d/video-named.jpg', 'video'],
      ['other.bin', 'image'],
    ]);
    expect(ignored).toBe(1);
    expect(targets.every((t) => path.isAbsolute(t.path))).toBe(true);
  });
});

describe('displayPath', () => {
  it('is relative inside the working directory and absolute outside', () => {
    expect(displayPath('/w/a/b.jpg', '/w')).toBe('a/b.jpg');
    expect(displayPath('/elsewhere/b.jpg', '/w')).toBe('/elsewhere/b.jpg');
  });
});
