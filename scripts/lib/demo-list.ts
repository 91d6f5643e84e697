/**
 * The demo hash lists, built by hashing the listed demo media with tidscan's own hashers:
 * - `ncmec-entries.json`: what the loopback NCMEC mock server serves (the listed photos' MD5/SHA-1/PDQ and the
 *   listed clip's MD5/SHA-1, as NCMEC's API carries them; its wire format has no vPDQ);
 * - `platform-videos.ndjson`: a local list file (file source format) with the listed clip's vPDQ frame hashes,
 *   the way a platform keeps its own video list beside NCMEC's.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashImage } from '../../src/media/image.js';
import { hashVideo } from '../../src/media/video.js';
import type { DemoManifest } from './demo-media.js';

/** The member all demo entries are attributed to (invented; the real Take It Down member id is not public). */
export const DEMO_MEMBER = { id: '7001', name: 'Take It Down (demo)' } as const;

/** One entry for the mock NCMEC server (`server.add`). */
export interface DemoNcmecEntry {
  kind: 'image' | 'video';
  id: string;
  member: { id: string; name: string };
  classification: string;
  fingerprints: Record<string, string>;
}

/** Paths and contents of the demo lists. */
export interface DemoLists {
  ncmecEntries: DemoNcmecEntry[];
  ncmecFile: string;
  /** Absent when the media have no videos (no ffmpeg). */
  videoListFile: string | undefined;
  /** Demo entry id of each listed media file (relative media path -> id). */
  idsByFile: Record<string, string>;
}

/** Hashes the listed media of `manifest` (in `mediaDir`) and writes the lists into `listDir`. */
export async function buildDemoLists(mediaDir: string, manifest: DemoManifest, listDir: string): Promise<DemoLists> {
  await mkdir(listDir, { recursive: true });
  const ncmecEntries: DemoNcmecEntry[] = [];
  const idsByFile: Record<string, string> = {};
  const videoRecords: string[] = [];
  let image = 0;
  let video = 0;
  for (const f of manifest.files) {
    const abs = path.join(mediaDir, ...f.file.split('/'));
    if (f.role === 'listed') {
      const h = await hashImage(abs);
      const id = `tid-demo-${String(++image).padStart(4, '0')}`;
      idsByFile[f.file] = id;
      ncmecEntries.push({
        kind: 'image',
        id,
        member: { ...DEMO_MEMBER },
        classification: 'A1',
        fingerprints: { md5: h.md5, sha1: h.sha1, pdq: h.pdq.hash },
      });
    } else if (f.role === 'listed-video') {
      const v = await hashVideo(abs);
      const id = `tid-demo-v${String(++video).padStart(3, '0')}`;
      idsByFile[f.file] = id;
      ncmecEntries.push({
        kind: 'video',
        id,
        member: { ...DEMO_MEMBER },
        classification: 'A1',
        fingerprints: { md5: v.md5, sha1: v.sha1 },
      });
      videoRecords.push(
        JSON.stringify({
          id: `platform-${id}`,
          kind: 'video',
          classification: 'internal',
          fingerprints: { vpdq: v.frames.map((fr) => ({ pdq: fr.pdq, quality: fr.quality, timestamp: fr.timestamp })) },
        }),
      );
    }
  }
  const ncmecFile = path.join(listDir, 'ncmec-entries.json');
  await writeFile(ncmecFile, JSON.stringify(ncmecEntries, null, 2) + '\n');
  let videoListFile: string | undefined;
  if (videoRecords.length > 0) {
    videoListFile = path.join(listDir, 'platform-videos.ndjson');
    await writeFile(videoListFile, videoRecords.join('\n') + '\n');
  }
  return { ncmecEntries, ncmecFile, videoListFile, idsByFile };
}
