/**
 * The rescan proof at scale: generates N small images (default 10,000) with a few listed ones among them, syncs a
 * list into a store, runs `tidscan rescan` in a child process, interrupts it with SIGINT midway, resumes it, and
 * checks that no finished file was judged twice, every file was judged once, every planted match was found and
 * the HTML report's counts equal the NDJSON's. Prints the numbers.
 *
 *   npx tsx scripts/rescan-proof.ts [--count 10000] [--interrupt-at 0.4] [--keep]
 *
 * Work happens in a temp folder (removed unless --keep). Exits 0 when every check holds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { hashImage } from '../src/media/image.js';
import { createScanner } from '../src/scanner/index.js';
import { createFileSource } from '../src/sync/file-source.js';
import { RescanLedger } from '../src/rescan/ledger.js';
import { generateProofImages } from './lib/proof-media.js';
import { REPO_ROOT } from './lib/demo-setup.js';
import { writeFile } from 'node:fs/promises';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    'interrupt-at': { type: 'string', default: '0.4' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count);
const INTERRUPT_AT = Number(values['interrupt-at']);
if (!Number.isInteger(COUNT) || COUNT < 100) throw new RangeError(`Expected --count to be an integer >= 100, got ${values.count}`);
if (!(INTERRUPT_AT > 0 && INTERRUPT_AT < 1)) throw new RangeError(`Expected --interrupt-at in (0, 1), got ${values['interrupt-at']}`);

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'bin.ts');

interface Run {
  status: number | null;
  stderr: string;
  ms: number;
}

function runRescan(args: string[], onStart?: (kill: () => void) => void): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'rescan', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      process.stderr.write(b);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr, ms: performance.now() - started }));
    onStart?.(() => child.kill('SIGINT'));
  });
}

async function lineCount(file: string): Promise<number> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split('\n').length - 1;
  } catch {
    return 0;
  }
}

function parse(text: string) {
  const results: Array<Record<string, any>> = [];
  const summaries: Array<Record<string, any>> = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const v = JSON.parse(line) as Record<string, any>;
    if (v.summary) summaries.push(v.summary);
    else results.push(v);
  }
  return { results, summaries };
}

async function main(): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidscan-proof-'));
  const corpus = path.join(dir, 'corpus');
  const store = path.join(dir, 'lists.db');
  const out = path.join(dir, 'results.ndjson');
  const report = path.join(dir, 'report.html');
  const checkpoint = path.join(dir, 'checkpoint.json');
  const checks: Array<[string, boolean]> = [];
  try {
    let t = performance.now();
    const proof = await generateProofImages(corpus, {
      count: COUNT,
      onProgress: (n) => n % 2000 === 0 && console.error(`generated ${n}/${COUNT}`),
    });
    const genMs = performance.now() - t;
    console.log(`generated ${COUNT} images (128x96 JPEG, ${proof.expectedMatches.length} listed or edited copies) in ${(genMs / 1000).toFixed(1)} s`);

    const listFile = path.join(dir, 'list.ndjson');
    const records = await Promise.all(
      proof.listed.map(async (l, i) => {
        const h = await hashImage(l.file);
        return JSON.stringify({ id: `tid-${i}`, kind: 'image', fingerprints: { md5: h.md5, pdq: h.pdq.hash } });
      }),
    );
    await writeFile(listFile, records.join('\n') + '\n');
    const scanner = await createScanner({ store, lists: [{ source: createFileSource({ location: listFile, id: 'tid' }) }] });
    await scanner.sync();
    await scanner.close();

    const args = [corpus, '--store', store, '--output', out, '--report', report, '--checkpoint', checkpoint, '--progress', 'lines', '--progress-interval', '5'];
    const target = Math.floor(COUNT * INTERRUPT_AT);
    let interruptedAtLines = 0;
    const first = await runRescan(args, (kill) => {
      // One SIGINT only: a second one would be the "stop now" path.
      const poll = setInterval(() => {
        void lineCount(out).then((n) => {
          if (n >= target && interruptedAtLines === 0) {
            clearInterval(poll);
            interruptedAtLines = n;
            kill();
          }
        });
      }, 50);
    });
    const run1 = parse(await readFile(out, 'utf8'));
    const recorded = RescanLedger.open(checkpoint).size; // opening only reads
    console.log(
      `run 1: SIGINT after ${interruptedAtLines} lines; exit ${first.status}; ${run1.results.length} files recorded in ` +
        `${(first.ms / 1000).toFixed(1)} s; checkpoint holds ${recorded}`,
    );
    checks.push(['run 1 exits 130 (SIGINT)', first.status === 130]);
    checks.push(['run 1 summary says interrupted', run1.summaries.at(-1)?.complete === false && run1.summaries.at(-1)?.interrupted === 'SIGINT']);
    checks.push(['run 1 stopped midway', run1.results.length > 0 && run1.results.length < COUNT]);
    checks.push(['checkpoint = lines written', recorded === run1.results.length]);
    checks.push(['progress lines shown', /rescan: \d+\/\d+ .*files\/s, ETA/.test(first.stderr)]);

    t = performance.now();
    const second = await runRescan(args);
    const all = parse(await readFile(out, 'utf8'));
    const run2 = all.results.slice(run1.results.length);
    const s2 = all.summaries.at(-1)!;
    console.log(
      `run 2: exit ${second.status}; judged ${run2.length}, skipped ${s2.skipped} in ${(second.ms / 1000).toFixed(1)} s ` +
        `(${s2.filesPerSecond} files/s)`,
    );
    const done1 = new Set(run1.results.filter((r) => r.outcome !== 'error').map((r) => r.file));
    const latest = new Map(all.results.map((r) => [r.file, r]));
    const counts: Record<string, number> = { match: 0, no_match: 0, unhashable: 0, error: 0 };
    for (const r of latest.values()) counts[r.outcome as string]!++;
    const html = await readFile(report, 'utf8');
    const reportCounts: Record<string, number> = {};
    for (const m of html.matchAll(/data-outcome="(\w+)">(\d+)</g)) reportCounts[m[1]!] = Number(m[2]);
    const matched = new Set([...latest.values()].filter((r) => r.outcome === 'match').map((r) => path.resolve(r.file)));

    checks.push(['run 2 exits 3 (matches found)', second.status === 3]);
    checks.push(['no finished file judged again', run2.every((r) => !done1.has(r.file))]);
    checks.push(['every file judged', latest.size === COUNT && done1.size + run2.length === COUNT]);
    checks.push(['summary: skipped = finished in run 1', s2.skipped === done1.size && s2.scanned === run2.length]);
    checks.push(['every planted match found, nothing else', proof.expectedMatches.every((f) => matched.has(f)) && matched.size === proof.expectedMatches.length]);
    checks.push([
      'report counts = NDJSON counts',
      reportCounts.files === latest.size && (['match', 'no_match', 'unhashable', 'error'] as const).every((k) => reportCounts[k] === counts[k]),
    ]);
    checks.push(['summary counts = NDJSON counts', (['match', 'no_match', 'unhashable', 'error'] as const).every((k) => s2[k] === counts[k])]);
    console.log(`outcomes: ${JSON.stringify(counts)}; report ${(await stat(report)).size} bytes; NDJSON ${(await stat(out)).size} bytes`);
    for (const [name, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
    if (values.keep) console.log(`kept ${dir}`);
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
