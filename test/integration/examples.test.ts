/**
 * Smoke tests of the runnable examples: each runs against a real store synced from a list file, over real HTTP
 * where it serves HTTP.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUploadServer } from '../../examples/upload-handler.js';
import { createScanner, type Scanner } from '../../src/scanner/index.js';
import { REPO_ROOT } from '../helpers/vectors.js';
import { flatPng, listRecordFor, sceneJpeg, syncListFile } from './rescan-fixtures.js';

let dir: string;
let store: string;
const img: Record<string, Buffer> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-examples-'));
  store = path.join(dir, 'lists.db');
  img.listed = await sceneJpeg('examples-listed');
  img.unrelated = await sceneJpeg('examples-unrelated');
  img.flat = await flatPng();
  await syncListFile(store, path.join(dir, 'list.ndjson'), [await listRecordFor(img.listed, 'tid-ex-1')]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('examples/upload-handler.ts', () => {
  let scanner: Scanner;
  let base: string;
  let close: () => Promise<void>;
  const audit: Array<Record<string, any>> = [];
  const uploadDir = () => path.join(dir, 'uploads');

  beforeAll(async () => {
    scanner = await createScanner({ store });
    const server = createUploadServer({ scanner, uploadDir: uploadDir(), audit: (r) => audit.push(r), maxBytes: 1024 * 1024 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close?.();
    await scanner?.close();
  });

  const post = (body: Buffer) => fetch(`${base}/upload`, { method: 'POST', body });

  it('rejects a listed image with 451, stores nothing, and audits the entry id without telling the uploader', async () => {
    const res = await post(img.listed);
    expect(res.status).toBe(451);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe('rejected');
    expect(JSON.stringify(body)).not.toContain('tid-ex-1');
    expect(audit.at(-1)).toMatchObject({ verdict: 'match', matches: [{ entryId: 'tid-ex-1', list: 'tid' }] });
    await expect(readdir(uploadDir())).rejects.toThrow(); // nothing was ever written
  });

  it('stores an unrelated image (201) under its SHA-256', async () => {
    const res = await post(img.unrelated);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await readdir(uploadDir())).toEqual([`${id}.jpeg`]);
  });

  it('holds an image it cannot judge for review (202), and refuses non-images (415) and oversized bodies (413)', async () => {
    expect((await post(img.flat)).status).toBe(202);
    const bad = await post(Buffer.from('definitely not an image'));
    expect(bad.status).toBe(415);
    expect(((await bad.json()) as { error: string }).error).toBe('UNSUPPORTED_FORMAT');
    expect((await post(Buffer.alloc(2 * 1024 * 1024, 1))).status).toBe(413);
    expect(await readdir(uploadDir())).toHaveLength(1);
  });
});

describe('examples/batch-rescan.ts', () => {
  it('prints the matches of a folder and a summary, and exits 3', async () => {
    const folder = path.join(dir, 'corpus');
    await mkdir(path.join(folder, 'sub'), { recursive: true });
    await writeFile(path.join(folder, 'a-unrelated.jpg'), img.unrelated);
    await writeFile(path.join(folder, 'sub', 'b-listed.jpg'), img.listed);
    await writeFile(path.join(folder, 'c-flat.png'), img.flat);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'examples', 'batch-rescan.ts'), folder, store], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const [status] = (await once(child, 'close')) as [number | null];
    expect(status).toBe(3);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ file: path.join(folder, 'sub', 'b-listed.jpg'), matches: [{ entryId: 'tid-ex-1' }] });
    expect(lines[1]!.summary).toMatchObject({ match: 1, no_match: 1, unhashable: 1, error: 0 });
  }, 120_000);
});
