import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { locateFfmpeg } from './ffmpeg.js';

let dir: string;
let binA: string;
let binB: string;

async function fakeTool(where: string, name: string, mode = 0o755): Promise<string> {
  const file = path.join(where, name);
  await writeFile(file, '#!/bin/sh\nexit 0\n');
  await chmod(file, mode);
  return file;
}

async function codeOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { ...(isTidscanError(err) ? { code: err.code } : {}), message: (err as Error).message };
  }
  return { message: 'resolved' };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-locate-'));
  binA = path.join(dir, 'a');
  binB = path.join(dir, 'b');
  await mkdir(binA);
  await mkdir(binB);
  await fakeTool(binA, 'ffmpeg');
  await fakeTool(binA, 'ffprobe');
  await fakeTool(binB, 'ffmpeg');
  await fakeTool(binB, 'ffprobe');
  await fakeTool(dir, 'not-executable', 0o644);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('locateFfmpeg', () => {
  it('searches PATH in order', async () => {
    const env = { PATH: [path.join(dir, 'missing'), binB, binA].join(path.delimiter) };
    expect(await locateFfmpeg({ env })).toEqual({ ffmpeg: path.join(binB, 'ffmpeg'), ffprobe: path.join(binB, 'ffprobe') });
  });

  it('prefers the options, then FFMPEG_PATH / FFPROBE_PATH, over PATH', async () => {
    const env = { PATH: binA, FFMPEG_PATH: path.join(binB, 'ffmpeg'), FFPROBE_PATH: path.join(binB, 'ffprobe') };
    expect(await locateFfmpeg({ env })).toEqual({ ffmpeg: path.join(binB, 'ffmpeg'), ffprobe: path.join(binB, 'ffprobe') });
    expect(await locateFfmpeg({ env, ffmpegPath: path.join(binA, 'ffmpeg'), ffprobePath: path.join(binA, 'ffprobe') })).toEqual({
      ffmpeg: path.join(binA, 'ffmpeg'),
      ffprobe: path.join(binA, 'ffprobe'),
    });
  });

  it('finds ffprobe beside an explicitly chosen ffmpeg before PATH', async () => {
    expect(await locateFfmpeg({ env: { PATH: binA }, ffmpegPath: path.join(binB, 'ffmpeg') })).toEqual({
      ffmpeg: path.join(binB, 'ffmpeg'),
      ffprobe: path.join(binB, 'ffprobe'),
    });
  });

  it('looks a bare command name up in PATH', async () => {
    expect((await locateFfmpeg({ env: { PATH: binA }, ffmpegPath: 'ffmpeg' })).ffmpeg).toBe(path.join(binA, 'ffmpeg'));
  });

  it('fails with FFMPEG_NOT_FOUND and a hint when nothing is found', async () => {
    const r = await codeOf(locateFfmpeg({ env: { PATH: path.join(dir, 'missing') } }));
    expect(r.code).toBe('FFMPEG_NOT_FOUND');
    expect(r.message).toMatch(/ffmpeg not found in PATH.*`ffmpegPath`.*FFMPEG_PATH/);
  });

  it('names the option or variable that points nowhere', async () => {
    const viaOption = await codeOf(locateFfmpeg({ env: { PATH: binA }, ffmpegPath: path.join(dir, 'nope') }));
    expect(viaOption).toEqual({ code: 'FFMPEG_NOT_FOUND', message: expect.stringContaining('`ffmpegPath`') });
    const viaEnv = await codeOf(locateFfmpeg({ env: { PATH: binA, FFPROBE_PATH: path.join(dir, 'not-executable') } }));
    expect(viaEnv).toEqual({ code: 'FFMPEG_NOT_FOUND', message: expect.stringContaining('FFPROBE_PATH=') });
  });

  it('rejects a directory or a non-executable file', async () => {
    expect((await codeOf(locateFfmpeg({ env: {}, ffmpegPath: binA }))).code).toBe('FFMPEG_NOT_FOUND');
    expect((await codeOf(locateFfmpeg({ env: {}, ffmpegPath: path.join(dir, 'not-executable') }))).code).toBe('FFMPEG_NOT_FOUND');
  });

  it('validates option types', async () => {
    await expect(locateFfmpeg({ ffmpegPath: '' })).rejects.toThrow(TypeError);
    await expect(locateFfmpeg({ ffprobePath: 7 as unknown as string })).rejects.toThrow('Expected `ffprobePath` to be a non-empty path string, got 7');
  });
});
