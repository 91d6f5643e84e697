/**
 * `npm run demo` end to end (in a temp folder): generated media, the loopback NCMEC mock, a real sync, the rescan,
 * the table and both reports; and the media generator's determinism.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoManifest, generateDemoMedia } from '../../scripts/lib/demo-media.js';
import { findFfmpeg } from '../../scripts/lib/demo-setup.js';
import { REPO_ROOT } from '../helpers/vectors.js';
import { reportCounts } from './rescan-fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-demo-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('syncs over loopback, rescans the demo media, prints every expected verdict and writes agreeing reports', async () => {
    const demoDir = path.join(dir, 'demo');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'demo.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, TIDSCAN_DEMO_DIR: demoDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [status] = (await once(child, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/Mock NCMEC hash-sharing API on http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).not.toContain('UNEXPECTED');

    const manifest = JSON.parse(await readFile(path.join(demoDir, 'media', 'manifest.json'), 'utf8')) as DemoManifest;
    const records = (await readFile(path.join(demoDir, 'report.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; outcome: string });
    expect(records.map((r) => r.file).sort()).toEqual(manifest.files.map((f) => f.file).sort());
    for (const f of manifest.files) expect(stdout, f.file).toContain(f.file);

    const counts: Record<string, number> = { match: 0, no_match: 0, unhashable: 0, error: 0, files: records.length };
    for (const r of records) counts[r.outcome]!++;
    expect(counts.error).toBe(0);
    expect(counts.unhashable).toBe(manifest.files.filter((f) => f.role === 'flat').length);
    expect(reportCounts(await readFile(path.join(demoDir, 'report.html'), 'utf8'))).toEqual(counts);
  }, 240_000);

  it('generates the same bytes every time', async () => {
    const first = JSON.parse(await readFile(path.join(dir, 'demo', 'media', 'manifest.json'), 'utf8')) as DemoManifest;
    const { ffmpeg } = await findFfmpeg();
    const again = await generateDemoMedia(path.join(dir, 'again'), { ffmpeg });
    expect(again.files.map((f) => [f.file, f.sha256])).toEqual(first.files.map((f) => [f.file, f.sha256]));
  }, 240_000);
});
