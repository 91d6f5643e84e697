/**
 * `tidscan hash [--dihedral] [--resize full|cli512] [--every-frame | --seconds-per-hash S] FILE...`: one JSON
 * line per file (a stable contract, see docs/hashing.md#cli). Each file is routed by its magic bytes to a hasher;
 * images go to `hashImage`, videos to `hashVideo` (hash-video.ts), and files no signature matches to the video
 * hasher when ffprobe finds a video stream in them, else to the image hasher.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { errorToJSON } from '../../errors.js';
import { resolveImageOptions } from '../../media/image-options.js';
import { hashImageResolved } from '../../media/image.js';
import { SNIFF_BYTES, type SniffResult, sniffMedia } from '../../media/sniff.js';
import type { CliCommand } from '../command.js';
import { UsageError, writeJsonLine } from '../command.js';
import { VIDEO_FLAG_OPTIONS, VIDEO_FLAG_USAGE, hashVideoFile, probesAsVideo, secondsPerHashFromFlags } from './hash-video.js';

/** Flags shared by every file hasher. */
export interface HashCommandFlags {
  dihedral: boolean;
  resize: 'full' | 'cli512';
  /** Videos: seconds between hashed frames (0 = every frame). */
  secondsPerHash: number;
}

/**
 * Hashes one file and returns the fields printed after `"file"`, in output order. Throw a `TidscanError` to print
 * `{"file","error":{"code","message"}}`.
 */
export type FileHasher = (file: string, flags: HashCommandFlags, sniffed: SniffResult) => Promise<Record<string, unknown>>;

async function hashImageFile(file: string, flags: HashCommandFlags): Promise<Record<string, unknown>> {
  const r = await hashImageResolved(file, resolveImageOptions({ dihedral: flags.dihedral, resize: flags.resize }));
  const fields: Record<string, unknown> = {
    md5: r.md5,
    sha1: r.sha1,
    sha256: r.sha256,
    pdq: r.pdq.hash,
    quality: r.pdq.quality,
    width: r.width,
    height: r.height,
  };
  if (flags.dihedral) fields.dihedral = r.pdq.dihedral;
  return fields;
}

/**
 * The hasher for each kind of file. `unknown` files are videos when ffprobe finds a video stream in an accepted
 * container; otherwise they go to the image hasher, which reports `UNSUPPORTED_FORMAT`.
 */
export const fileHashers: Record<'image' | 'video' | 'unknown', FileHasher> = {
  image: hashImageFile,
  video: (file, flags) => hashVideoFile(file, flags.secondsPerHash),
  unknown: async (file, flags) =>
    (await probesAsVideo(file)) ? hashVideoFile(file, flags.secondsPerHash) : hashImageFile(file, flags),
};

/** Reads the first bytes of a file to decide which hasher gets it (missing files surface from the hasher). */
export async function sniffFile(file: string): Promise<SniffResult> {
  let handle;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return sniffMedia(head.subarray(0, bytesRead));
  } catch {
    return { kind: 'unknown' };
  } finally {
    await handle?.close();
  }
}

const USAGE = `Usage: tidscan hash [--dihedral] [--resize full|cli512] [--every-frame | --seconds-per-hash S] FILE...

Hashes each FILE (image or video, recognised by content) and prints one JSON object per line, in argument order:
  image: {"file","md5","sha1","sha256","pdq","quality","width","height"}   (+ "dihedral" with --dihedral)
  video: {"file","md5","sha1","sha256","width","height","fps","vpdq":[{"frame","timestamp","pdq","quality"},...]}
or, when a file cannot be hashed:
  {"file","error":{"code","message"}}

Options:
  --dihedral          also print the 8 DCT-dihedral PDQ hashes
  --resize MODE       full (default; matches HMA/python-threatexchange) or cli512 (matches pdq-photo-hasher)
${VIDEO_FLAG_USAGE}
  -h, --help          show this help

Exit status: 0 when every file was hashed, 1 when any failed, 2 on bad usage.`;

/** The `hash` command. */
export const hashCommand: CliCommand = {
  name: 'hash',
  summary: 'Hash images and videos: MD5, SHA-1, SHA-256 and PDQ / vPDQ as JSON lines',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        dihedral: { type: 'boolean', default: false },
        resize: { type: 'string', default: 'full' },
        ...VIDEO_FLAG_OPTIONS,
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.resize !== 'full' && values.resize !== 'cli512') {
      throw new UsageError(`--resize must be full or cli512, got ${JSON.stringify(values.resize)}`);
    }
    if (positionals.length === 0) throw new UsageError('expected at least one FILE');
    const flags: HashCommandFlags = {
      dihedral: values.dihedral,
      resize: values.resize,
      secondsPerHash: secondsPerHashFromFlags(values),
    };
    let failed = false;
    for (const file of positionals) {
      try {
        const sniffed = await sniffFile(file);
        const fields = await fileHashers[sniffed.kind](file, flags, sniffed);
        writeJsonLine(io.stdout, { file, ...fields });
      } catch (err) {
        failed = true;
        writeJsonLine(io.stdout, { file, error: errorToJSON(err) });
      }
    }
    return failed ? 1 : 0;
  },
};

export default hashCommand;
