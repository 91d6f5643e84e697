/**
 * `npm run demo`: the whole job on a laptop, with no credentials and no external service.
 *
 * 1. generates the demo media (synthetic photos, edited copies, unrelated pictures, videos) unless present;
 * 2. starts the loopback mock NCMEC hash-sharing server seeded with the listed media's hashes (plus generated
 *    decoy entries), and writes a small local vPDQ list file;
 * 3. syncs both lists into a local SQLite store through the real NCMEC source over HTTP;
 * 4. rescans the demo folder (images and videos) and prints a verdict table, checking each verdict against what
 *    the demo expects;
 * 5. writes an NDJSON and a self-contained HTML report.
 *
 * Exits 0 when every verdict is the expected one. Set TIDSCAN_DEMO_DIR to use another folder.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createScanner, type Scanner } from '../src/scanner/index.js';
import { createFileSource } from '../src/sync/file-source.js';
import { createNcmecSource } from '../src/sync/ncmec/source.js';
import { renderHtmlReport } from '../src/report/html.js';
import { collectTargets } from '../src/rescan/inputs.js';
import { RescanLedger } from '../src/rescan/ledger.js';
import type { RescanRecord } from '../src/rescan/record.js';
import { runRescan } from '../src/rescan/rescan.js';
import { startMockNcmecServer, type MockNcmecServer } from '../test/helpers/mock-ncmec-server.js';
import type { DemoFile } from './lib/demo-media.js';
import { demoPaths, ensureDemoMedia, findFfmpeg, REPO_ROOT } from './lib/demo-setup.js';
import { checkExpectation, renderDemoTable } from './lib/demo-table.js';

const DECOY_ENTRIES = 2000;

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}

async function main(): Promise<number> {
  const started = performance.now();
  const paths = demoPaths();
  const { ffmpeg, reason } = await findFfmpeg();
  if (!ffmpeg) console.log(`! ffmpeg not found (${reason}): the demo runs on images only.\n`);

  const { manifest, lists, generated } = await ensureDemoMedia(paths, ffmpeg);
  const images = manifest.files.filter((f) => f.kind === 'image').length;
  console.log(
    `1. Demo media: ${images} images, ${manifest.files.length - images} videos in ${rel(paths.media)} ` +
      `(${generated ? 'generated from fixed seeds' : 'reused, digests verified'})`,
  );

  let server: MockNcmecServer | undefined;
  let scanner: Scanner | undefined;
  try {
    // The mock serves generated decoys plus the demo entries, timestamped a minute ago so the first sync window
    // (which ends a few seconds before now) includes them.
    server = await startMockNcmecServer({ entries: DECOY_ENTRIES, seed: 20_26, recordRequests: false });
    const stamp = Date.now() - 60_000;
    for (const entry of lists.ncmecEntries) server.add(entry, { timestamp: stamp });
    console.log(
      `2. Mock NCMEC hash-sharing API on ${server.url} (loopback): ${lists.ncmecEntries.length} demo entries + ` +
        `${DECOY_ENTRIES} decoys${lists.videoListFile ? `; local vPDQ list ${rel(lists.videoListFile)}` : ''}`,
    );

    // A fresh store each run: the mock server is new each run, so an old checkpoint would not apply to it.
    for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(paths.store + suffix, { force: true });
    const sourceLists = [
      {
        source: createNcmecSource({
          id: 'ncmec',
          baseUrl: server.url,
          username: server.username,
          password: server.password,
        }),
      },
      ...(lists.videoListFile ? [{ source: createFileSource({ id: 'platform-videos', location: lists.videoListFile }) }] : []),
    ];
    scanner = await createScanner({ store: paths.store, lists: sourceLists, dihedral: true });
    const t0 = performance.now();
    await scanner.sync();
    const stats = scanner.stats();
    console.log(
      `3. Synced into ${rel(paths.store)} in ${Math.round(performance.now() - t0)} ms: ` +
        Object.entries(stats.list.entriesByList)
          .map(([list, n]) => `${list} ${n} ${n === 1 ? 'entry' : 'entries'}`)
          .join(', ') +
        ` (list version ${stats.listVersion}, index ${stats.list.index.name})`,
    );

    const { targets } = await collectTargets({ dirs: [paths.media] }, paths.media);
    const result = await runRescan({
      scanner,
      targets,
      ledger: RescanLedger.open(paths.checkpoint, { fresh: true }),
      concurrency: 4,
    });
    console.log(`4. Rescanned ${result.records.length} files in ${Math.round(result.elapsedMs)} ms:\n`);

    const byFile = new Map<string, DemoFile>(manifest.files.map((f) => [f.file, f]));
    const checked = result.records.map((record) => ({
      record,
      file: byFile.get(record.file),
      ok: checkExpectation(record, byFile.get(record.file), lists.idsByFile),
    }));
    console.log(renderDemoTable(checked));

    const c = result.counts;
    console.log(
      `\n   ${c.files} files: ${c.match} match, ${c.no_match} no_match, ${c.unhashable} unhashable, ${c.error} error`,
    );
    await writeFile(paths.ndjson, result.records.map((r: RescanRecord) => JSON.stringify(r)).join('\n') + '\n', { mode: 0o600 });
    await writeFile(
      paths.html,
      renderHtmlReport({
        records: result.records,
        title: 'tidscan demo rescan',
        notes: [`Folder: ${rel(paths.media)}`, `Lists: ${Object.keys(stats.list.entriesByList).join(', ')}`],
      }),
      { mode: 0o600 },
    );
    console.log(`\n5. Reports: ${rel(paths.ndjson)} (one JSON line per file) and ${rel(paths.html)} (open in a browser)`);

    const failed = checked.filter((x) => !x.ok);
    console.log(
      `\nTry the CLI on the same store:\n` +
        `   npx tsx src/cli/bin.ts match --store ${rel(paths.store)} --dihedral --format table ${rel(path.join(paths.media, 'images', 'listed-1.rotated90.jpg'))}\n` +
        `   npx tsx src/cli/bin.ts rescan --store ${rel(paths.store)} --dihedral --report ${rel(path.join(paths.root, 'cli-report.html'))} ${rel(paths.media)}`,
    );
    console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    if (failed.length > 0) {
      console.error(`\n${failed.length} verdict(s) differ from what the demo expects: ${failed.map((x) => x.record.file).join(', ')}`);
      return 1;
    }
    return 0;
  } finally {
    await scanner?.close();
    await server?.close();
  }
}

process.chdir(REPO_ROOT);
main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    console.error('demo failed:', err);
    process.exitCode = 1;
  },
);
