/** The `tidscan hash` contract, through the real CLI process. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashImage } from '../../src/media/image.js';
import { runCli } from '../helpers/cli.js';
import { noiseImage } from '../helpers/hostile-images.js';
import { readExpectedCsv } from '../helpers/pdq-vectors.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';

let dir: string;
let png: string;
let jpeg: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-cli-'));
  png = path.join(dir, 'a.png');
  jpeg = path.join(dir, 'b.jpg');
  await writeFile(png, await noiseImage('png', 150, 100, 3));
  await writeFile(jpeg, await noiseImage('jpeg', 90, 120, 4));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('tidscan hash', () => {
  it('prints one JSON line per file, keys in contract order, and exits 0', async () => {
    const r = await runCli(['hash', png, jpeg]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((o) => Object.keys(o))).toEqual(Array(2).fill(['file', 'md5', 'sha1', 'sha256', 'pdq', 'quality', 'width', 'height']));
    for (const [i, file] of [png, jpeg].entries()) {
      const expected = await hashImage(file);
      expect(out[i]).toEqual({
        file,
        md5: expected.md5,
        sha1: expected.sha1,
        sha256: expected.sha256,
        pdq: expected.pdq.hash,
        quality: expected.pdq.quality,
        width: expected.width,
        height: expected.height,
      });
    }
  });

  it('adds the 8 dihedral hashes last with --dihedral, and honours --resize', async () => {
    const r = await runCli(['hash', '--dihedral', '--resize', 'cli512', png]);
    expect(r.status).toBe(0);
    const [line] = lines(r.stdout);
    expect(Object.keys(line!)).toEqual(['file', 'md5', 'sha1', 'sha256', 'pdq', 'quality', 'width', 'height', 'dihedral']);
    expect(line!.dihedral).toEqual((await hashImage(png, { dihedral: true, resize: 'cli512' })).pdq.dihedral);
  });

  it('reports each failing file as an error line, keeps going, and exits 1', async () => {
    const text = path.join(dir, 'notes.png');
    const video = path.join(dir, 'clip.jpg');
    await writeFile(text, 'not an image');
    await writeFile(video, Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom\0\0\0\0isom'), Buffer.alloc(64)]));
    const missing = path.join(dir, 'missing.jpg');
    const r = await runCli(['hash', missing, text, png, video]);
    expect(r.status).toBe(1);
    const out = lines(r.stdout);
    expect(out.map((o) => Object.keys(o))).toEqual([['file', 'error'], ['file', 'error'], Object.keys(out[2]!), ['file', 'error']]);
    expect(out.map((o) => (o.error as { code?: string } | undefined)?.code ?? 'ok')).toEqual([
      'INPUT_NOT_FOUND',
      'UNSUPPORTED_FORMAT',
      'ok',
      'DECODE_FAILED',
    ]);
    expect(out[0]).toEqual({ file: missing, error: { code: 'INPUT_NOT_FOUND', message: `No such file: ${missing}` } });
    // An ftyp header with no movie box: routed to the video hasher, which finds it truncated.
    expect((out[3]!.error as { message: string }).message).toContain('damaged or truncated');
  });

  it('exits 2 with the usage on bad usage, and prints its help', async () => {
    const cases: Array<[string[], string]> = [
      [['hash'], 'expected at least one FILE'],
      [['hash', '--resize', 'half', 'x.jpg'], '--resize must be full or cli512, got "half"'],
      [['hash', '--fast', 'x.jpg'], "Unknown option '--fast'"],
    ];
    // One process each, run side by side: process start-up is most of the cost.
    const [help, ...results] = await Promise.all([runCli(['hash', '--help']), ...cases.map(([args]) => runCli(args))]);
    for (const [i, r] of results.entries()) {
      expect(r.status, cases[i]![0].join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(cases[i]![1]);
      expect(r.stderr).toContain('Usage: tidscan hash');
    }
    expect(help!.status).toBe(0);
    expect(help!.stdout).toContain('Usage: tidscan hash [--dihedral] [--resize full|cli512]');
  });
});

describeVectors('tidscan hash on reference vectors', () => {
  it('prints the reference hashes in both modes', async () => {
    const file = 'pdq/data/reg-test-input/dih/bridge-1-original.jpg';
    for (const mode of ['fullres', 'cli512'] as const) {
      const row = readExpectedCsv(mode).find((x) => x.file === file)!;
      const r = await runCli(['hash', '--dihedral', '--resize', mode === 'fullres' ? 'full' : 'cli512', vectorPath(file)]);
      expect(r.status).toBe(0);
      const [line] = lines(r.stdout);
      expect(line).toMatchObject({ pdq: row.hash, quality: row.quality, width: 1600, height: 1004, dihedral: row.dihedral });
    }
  });
});
