/**
 * The rescan proof, small enough for the suite: a corpus of generated images is rescanned by the real CLI in a
 * child process, interrupted with SIGINT midway, and resumed; finished work is not redone, and the HTML report
 * agrees with the NDJSON. (scripts/rescan-proof.ts does the same with 10,000 images.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProofImages, type ProofImages } from '../../scripts/lib/proof-media.js';
import { listRecordFor, parseRescanOutput, reportCounts, runMainInProcess, startCli, syncListFile } from './rescan-fixtures.js';

const COUNT = 300;
let dir: string;
let corpus: string;
let store: string;
let proof: ProofImages;
let listRecords: Array<Record<string, unknown>>;
let v1: number;

const outFile = () => path.join(dir, 'out.ndjson');
const reportFile = () => path.join(dir, 'report.html');
const checkpoint = () => path.join(dir, 'ckpt', 'job.json');
const args = () => [
  'rescan',
  corpus,
  '--store',
  store,
  '--output',
  outFile(),
  '--report',
  reportFile(),
  '--checkpoint',
  checkpoint(),
  '--progress',
  'lines',
  '--progress-interval',
  '0.2',
  '--concurrency',
  '1',
];

function countOutcomes(results: Array<Record<string, any>>): Record<string, number> {
  const counts: Record<string, number> = { match: 0, no_match: 0, unhashable: 0, error: 0, files: results.length };
  for (const r of results) counts[r.outcome]++;
  return counts;
}

async function waitForLines(file: string, atLeast: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.split('\n').length - 1 >= atLeast) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${file} did not reach ${atLeast} lines in ${timeoutMs} ms`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-rescan-'));
  corpus = path.join(dir, 'corpus');
  store = path.join(dir, 'lists.db');
  proof = await generateProofImages(corpus, { count: COUNT, listedEvery: 50, perFolder: 100 });
  // A damaged upload and a file that is not media at all.
  await writeFile(path.join(corpus, 'batch-000', 'damaged.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]));
  await writeFile(path.join(corpus, 'batch-000', 'notes.txt'), 'not media');
  listRecords = await Promise.all(proof.listed.map((l, i) => listRecordFor(l.file, `tid-${i}`)));
  v1 = await syncListFile(store, path.join(dir, 'list.ndjson'), listRecords);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tidscan rescan: interrupt and resume', () => {
  it('shows progress, stops cleanly on SIGINT, resumes without redoing finished files, and the report agrees', async () => {
    const total = COUNT + 1;
    const first = startCli(args());
    await waitForLines(outFile(), 40, 90_000);
    first.child.kill('SIGINT');
    const exit1 = await first.exited;
    expect(exit1.status).toBe(130);
    expect(first.stderr()).toMatch(/rescan: \d+\/301 \(\d+\.\d%\), [\d.]+ files\/s, ETA \S+, matches \d+/);
    expect(first.stderr()).toContain('SIGINT: finishing files in flight');

    const run1 = parseRescanOutput(await readFile(outFile(), 'utf8'));
    expect(run1.summaries).toHaveLength(1);
    const s1 = run1.summaries[0]!;
    expect(s1).toMatchObject({ complete: false, interrupted: 'SIGINT', scanned: run1.results.length, skipped: 0, exitStatus: 130 });
    expect(run1.results.length).toBeGreaterThanOrEqual(40);
    expect(run1.results.length).toBeLessThan(total);
    // The checkpoint holds exactly the files whose lines were written.
    const [header, ...journal] = (await readFile(checkpoint(), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { version?: number; record: { file: string } });
    expect(header!.version).toBe(2);
    expect(journal.map((l) => l.record.file).sort()).toEqual(run1.results.map((r) => r.file).sort());
    const partial = await readFile(reportFile(), 'utf8');
    expect(partial).toContain('This rescan was interrupted');
    expect(reportCounts(partial)).toEqual(countOutcomes(run1.results));

    const second = startCli(args());
    const exit2 = await second.exited;
    expect(exit2.status).toBe(3);
    expect(second.stderr()).toContain(`resuming: ${run1.results.length} files recorded`);
    const all = parseRescanOutput(await readFile(outFile(), 'utf8'));
    const run2 = all.results.slice(run1.results.length);
    // Nothing finished in run 1 was judged again in run 2 (files that failed are retried), and together the runs
    // cover every file.
    const done1 = new Set(run1.results.filter((r) => r.outcome !== 'error').map((r) => r.file));
    expect(run2.filter((r) => done1.has(r.file))).toEqual([]);
    expect(done1.size + run2.length).toBe(total);
    const latest = new Map(all.results.map((r) => [r.file, r]));
    expect(latest.size).toBe(total);
    const s2 = all.summaries.at(-1)!;
    expect(s2).toMatchObject({ complete: true, files: total, scanned: total - done1.size, skipped: done1.size, ignored: 1, exitStatus: 3 });

    const byFile = new Map([...latest.values()].map((r) => [path.resolve(r.file), r]));
    for (const f of proof.expectedMatches) expect(byFile.get(f)?.outcome, f).toBe('match');
    expect(byFile.get(path.join(corpus, 'batch-000', 'damaged.jpg'))?.error?.code).toBe('DECODE_FAILED');
    const counts = countOutcomes([...latest.values()]);
    expect(counts.match).toBe(proof.expectedMatches.length);
    expect(s2).toMatchObject(counts);
    expect(reportCounts(await readFile(reportFile(), 'utf8'))).toEqual(counts);
    expect([...latest.values()].every((r) => r.outcome === 'error' || r.listVersion === v1)).toBe(true);
  }, 240_000);

  it('--since-version rescans only what was judged against an older list version', async () => {
    // A new list entry for an image that did not match before: the list version goes up.
    const newcomer = proof.files.find((f) => !proof.expectedMatches.includes(f))!;
    const v2 = await syncListFile(store, path.join(dir, 'list.ndjson'), [...listRecords, await listRecordFor(newcomer, 'tid-new')]);
    expect(v2).toBeGreaterThan(v1);
    const common = ['rescan', corpus, '--store', store, '--checkpoint', checkpoint(), '--progress', 'none'];

    const plain = await runMainInProcess(common);
    expect(parseRescanOutput(plain.stdout).summaries[0]).toMatchObject({ scanned: 1, skipped: COUNT }); // the error is retried

    const since = await runMainInProcess([...common, '--since-version', 'latest']);
    const { results, summaries } = parseRescanOutput(since.stdout);
    expect(summaries[0]).toMatchObject({ complete: true, scanned: COUNT + 1, skipped: 0, listVersion: v2, sinceVersion: v2 });
    expect(results.find((r) => path.resolve(r.file) === newcomer)).toMatchObject({ outcome: 'match', listVersion: v2 });

    const again = await runMainInProcess([...common, '--since-version', String(v2)]);
    expect(parseRescanOutput(again.stdout).summaries[0]).toMatchObject({ scanned: 1, skipped: COUNT });
    const future = await runMainInProcess([...common, '--since-version', String(v2 + 1)]);
    expect(future.status).toBe(2);
    expect(future.stderr).toContain(`is newer than the store's list version ${v2}`);
  }, 240_000);

  it('reads paths from standard input and writes CSV with the summary as a # line', async () => {
    const picked = [proof.expectedMatches[0]!, proof.files[1]!, proof.files[2]!];
    const r = await runMainInProcess(
      ['rescan', '-', '--store', store, '--format', 'csv', '--checkpoint', path.join(dir, 'csv.json'), '--progress', 'none'],
      { input: picked.join('\0') + '\0' },
    );
    expect(r.status).toBe(3);
    const lines = r.stdout.trimEnd().split('\r\n').join('\n').split('\n');
    expect(lines[0]).toMatch(/^file,outcome,list_version,/);
    expect(lines.slice(1, -1)).toHaveLength(3);
    expect(lines.slice(1, -1).map((l) => l.split(',')[1]).sort()).toEqual(['match', 'no_match', 'no_match']);
    expect(JSON.parse(lines.at(-1)!.replace(/^# /, '')).summary).toMatchObject({ files: 3, match: 1, exitStatus: 3 });
  });

  it('rejects bad flags and missing inputs', async () => {
    expect((await runMainInProcess(['rescan', '--store', store])).status).toBe(2);
    const bad = await runMainInProcess(['rescan', corpus, '--store', store, '--progress', 'loud']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Expected --progress to be one of auto, bar, lines, none, got "loud"');
    const missing = await runMainInProcess(['rescan', path.join(dir, 'nowhere'), '--store', store]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('INPUT_NOT_FOUND');
    expect((await runMainInProcess(['rescan', '--help'])).stdout).toContain('Exit status:');
  });
});
