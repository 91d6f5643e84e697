/**
 * Generates the demo media and hash lists into `.tidscan/demo/` (or `$TIDSCAN_DEMO_DIR`).
 *
 *   npx tsx scripts/make-demo-media.ts            # generate (or reuse an intact set) and print the digests
 *   npx tsx scripts/make-demo-media.ts --force    # regenerate
 *   npx tsx scripts/make-demo-media.ts --check    # generate twice into temp folders and compare every byte
 *
 * Everything comes from fixed seeds (no third-party images), so every run writes the same bytes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDemoMedia } from './lib/demo-media.js';
import { demoPaths, ensureDemoMedia, findFfmpeg } from './lib/demo-setup.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const { ffmpeg, reason } = await findFfmpeg();
  if (!ffmpeg) console.warn(`ffmpeg not found (${reason}); generating images only.`);
  if (args.includes('--check')) {
    const a = await mkdtemp(path.join(tmpdir(), 'tidscan-demo-a-'));
    const b = await mkdtemp(path.join(tmpdir(), 'tidscan-demo-b-'));
    try {
      const [ma, mb] = [await generateDemoMedia(a, { ffmpeg }), await generateDemoMedia(b, { ffmpeg })];
      const differ = ma.files.filter((f, i) => f.sha256 !== mb.files[i]?.sha256 || f.file !== mb.files[i]?.file);
      for (const f of ma.files) console.log(`${f.sha256}  ${f.file}`);
      if (differ.length > 0 || ma.files.length !== mb.files.length) {
        console.error(`NOT deterministic: ${differ.map((f) => f.file).join(', ')}`);
        return 1;
      }
      console.log(`deterministic: ${ma.files.length} files identical across two runs`);
      return 0;
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  }
  const paths = demoPaths();
  const { manifest, lists, generated } = await ensureDemoMedia(paths, ffmpeg, args.includes('--force'));
  for (const f of manifest.files) console.log(`${f.sha256}  ${f.file}`);
  console.log(`${generated ? 'generated' : 'reused'} ${manifest.files.length} files in ${paths.media}`);
  console.log(`lists: ${lists.ncmecFile}${lists.videoListFile ? `, ${lists.videoListFile}` : ''}`);
  return 0;
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
