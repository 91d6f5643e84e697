/**
 * `tidscan match` end to end: a real store synced from a list file, the real CLI in a child process, real images.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { flatPng, listRecordFor, runMainInProcess, sceneJpeg, syncListFile } from './rescan-fixtures.js';

let dir: string;
let store: string;
let listVersion: number;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-cli-match-'));
  store = file('lists.db');
  const listed = await sceneJpeg('cli-match-listed');
  await writeFile(file('listed.jpg'), listed);
  await writeFile(file('listed-small.jpg'), await sharp(listed).resize(160, 120).jpeg({ quality: 60 }).toBuffer());
  await writeFile(file('mirrored.jpg'), await sharp(listed).flop().jpeg({ quality: 90 }).toBuffer());
  await writeFile(file('unrelated.jpg'), await sceneJpeg('cli-match-unrelated'));
  await writeFile(file('flat.png'), await flatPng());
  await writeFile(file('not-an-image.jpg'), 'hello');
  listVersion = await syncListFile(store, file('list.ndjson'), [await listRecordFor(listed, 'tid-1')]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('tidscan match', () => {
  it('prints one verdict per file in argument order and exits 3 when something matched', async () => {
    const r = await runCli([
      'match',
      '--store',
      store,
      file('unrelated.jpg'),
      file('listed-small.jpg'),
      file('flat.png'),
      file('not-an-image.jpg'),
      file('mirrored.jpg'),
    ]);
    expect(r.status).toBe(3);
    const out = lines(r.stdout);
    expect(out.map((o) => [path.basename(o.file), o.kind ?? 'error'])).toEqual([
      ['unrelated.jpg', 'no_match'],
      ['listed-small.jpg', 'match'],
      ['flat.png', 'unhashable'],
      ['not-an-image.jpg', 'error'],
      // Dihedral matching is off by default.
      ['mirrored.jpg', 'no_match'],
    ]);
    expect(out[1]!.matches[0]).toMatchObject({ list: 'tid', entryId: 'tid-1', signal: 'pdq' });
    expect(out[1]!.listVersion).toBe(listVersion);
    expect(out[2]!.reason).toBe('low_quality');
    expect(out[3]!.error.code).toBe('UNSUPPORTED_FORMAT');
  });

  it('exits 0 when every file was judged and none matched, 4 when one could not be judged', async () => {
    expect((await runCli(['match', '--store', store, file('unrelated.jpg'), file('flat.png')])).status).toBe(0);
    const r = await runCli(['match', '--store', store, file('unrelated.jpg'), file('missing.jpg')]);
    expect(r.status).toBe(4);
    expect(lines(r.stdout)[1]!.error.code).toBe('INPUT_NOT_FOUND');
  });

  it('with --dihedral matches a mirrored copy and says which transform; prints a table for people', async () => {
    const r = await runCli(['match', '--store', store, '--dihedral', '--format', 'table', file('mirrored.jpg'), file('listed.jpg'), file('unrelated.jpg')]);
    expect(r.status).toBe(3);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['FILE', 'VERDICT', 'LIST', 'ENTRY', 'DIST', 'WHERE']);
    expect(rows[0]).toMatch(/mirrored\.jpg\s+match\s+tid\s+tid-1\s+\d+\s+pdq flipy/);
    expect(rows[1]).toMatch(/listed\.jpg\s+match\s+tid\s+tid-1\s+0\s+md5/);
    expect(rows[2]).toMatch(/unrelated\.jpg\s+no_match/);
  });

  it('reads an image from standard input with -, finding the store through TIDSCAN_STORE', async () => {
    const r = await runCli(['match', '-'], { input: await sceneJpeg('cli-match-listed'), env: { TIDSCAN_STORE: store } });
    expect(r.status).toBe(3);
    expect(lines(r.stdout)[0]).toMatchObject({ file: '-', kind: 'match' });
  });

  it('finds the store through a sync config file', async () => {
    await writeFile(file('tidscan.json'), JSON.stringify({ store: 'lists.db', sources: [] }));
    const r = await runCli(['match', '--config', file('tidscan.json'), file('listed.jpg')], { env: { TIDSCAN_STORE: '' } });
    expect(r.status).toBe(3);
  });

  it('refuses to judge without a usable store (exit 1), so a misconfiguration cannot pass as no_match', async () => {
    const none = await runMainInProcess(['match', file('listed.jpg')], { env: { TIDSCAN_STORE: '', TIDSCAN_CONFIG: '' } });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('CONFIG_NOT_FOUND');
    const missing = await runMainInProcess(['match', '--store', file('nope.db'), file('listed.jpg')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/does not exist; run `tidscan sync` first/);
    await syncListFile(file('empty.db'), file('empty.ndjson'), []);
    const empty = await runCli(['match', '--store', file('empty.db'), file('listed.jpg')]);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('has no entries');
    expect(empty.stdout).toBe('');
  });

  it('rejects bad flags with exit 2 and a message naming the flag', async () => {
    const r = await runMainInProcess(['match', '--store', store, '--max-distance', '300', file('listed.jpg')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Expected --max-distance to be an integer from 0 to 256, got "300"');
    expect((await runMainInProcess(['match', '--store', store, '--format', 'xml', file('listed.jpg')])).stderr).toContain(
      'Expected --format to be one of ndjson, table, got "xml"',
    );
    expect((await runMainInProcess(['match', '--store', store])).status).toBe(2);
    expect((await runMainInProcess(['match', '--bogus'])).status).toBe(2);
  });

  it('documents the exit statuses in --help', async () => {
    const r = await runMainInProcess(['match', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Exit status:[\s\S]*3 +at least one file matched/);
  });
});
