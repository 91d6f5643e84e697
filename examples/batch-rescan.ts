/**
 * Rescan a folder of stored images and videos with the library API, e.g. after a sync brought new list entries.
 * Prints one JSON line per match and a summary; exits 3 when anything matched (0 otherwise, 1 on failure).
 *
 *   npx tsx examples/batch-rescan.ts FOLDER [STORE]        # STORE defaults to $TIDSCAN_STORE
 *
 * For large corpora prefer the CLI, which adds what a long batch needs: a resumable checkpoint, progress,
 * CSV and HTML reports (`tidscan rescan FOLDER --report report.html`).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createScanner, type MatchManyResult } from '../src/index.js';

const VIDEO = /\.(mp4|m4v|mov|mkv|webm|avi)$/i;
const IMAGE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

async function main(): Promise<number> {
  const [folder, storeArg] = process.argv.slice(2);
  const store = storeArg ?? process.env.TIDSCAN_STORE;
  if (!folder || !store) {
    console.error('Usage: npx tsx examples/batch-rescan.ts FOLDER [STORE]   (or set TIDSCAN_STORE)');
    return 1;
  }
  const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();

  const scanner = await createScanner({ store });
  const counts = { match: 0, no_match: 0, unhashable: 0, error: 0 };
  const report = (r: MatchManyResult<string>) => {
    const { verdict } = r;
    if (verdict === undefined) {
      counts.error++;
      console.error(`${r.input}: ${(r.error as Error).message}`);
      return;
    }
    counts[verdict.kind]++;
    if (verdict.kind === 'match') {
      console.log(JSON.stringify({ file: r.input, listVersion: verdict.listVersion, matches: verdict.matches }));
    }
  };
  try {
    // matchMany keeps a bounded window in flight and waits for room instead of failing with QUEUE_FULL.
    for await (const r of scanner.matchMany(files.filter((f) => IMAGE.test(f)), { kind: 'image', concurrency: 4 })) report(r);
    for await (const r of scanner.matchMany(files.filter((f) => VIDEO.test(f)), { kind: 'video', concurrency: 2 })) report(r);
  } finally {
    await scanner.close();
  }
  console.log(JSON.stringify({ summary: { ...counts, listVersion: scanner.stats().listVersion } }));
  return counts.match > 0 ? 3 : 0;
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
