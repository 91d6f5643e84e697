/**
 * `tidscan hash [--dihedral] [--resize full|cli512] FILE...`: one JSON line per file (a stable contract, see
 * docs/hashing.md#cli). Each file is routed by its magic bytes to a hasher; images go to `hashImage`, videos to
 * the video hasher once it is registered in {@link fileHashers}.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MediaError, errorToJSON } from '../../errors.js';
import { resolveImageOptions } from '../../media/image-options.js';
import { hashImageResolved } from '../../media/image.js';
import { SNIFF_BYTES, type SniffResult, sniffMedia } from '../../media/sniff.js';
import type { CliCommand } from '../command.js';
import { UsageError, writeJsonLine } from '../command.js';

/** Flags shared by every file hasher. */
export interface HashCommandFlags {
  dihedral: boolean;
  resize: 'full' | 'cli512';
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
 * The hasher for each kind of file. The video hasher is a placeholder until video support registers itself here
 * (`fileHashers.video = ...`); `unknown` files go to the image hasher, which reports `UNSUPPORTED_FORMAT`.
 */
export const fileHashers: Record<'image' | 'video' | 'unknown', FileHasher> = {
  image: hashImageFile,
  video: async (_file, _flags, sniffed) => {
    const container = sniffed.kind === 'video' ? sniffed.container : 'unknown';
    throw new MediaError('UNSUPPORTED_FORMAT', `Input is a ${container} video; video hashing is not available yet`, {
      details: { container },
    });
  },
  unknown: hashImageFile,
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

const USAGE = `Usage: tidscan hash [--dihedral] [--resize full|cli512] FILE...

Hashes each FILE and prints one JSON object per line, in argument order:
  {"file","md5","sha1","sha256","pdq","quality","width","height"}   (+ "dihedral" with --dihedral)
or, when a file cannot be hashed:
  {"file","error":{"code","message"}}

Options:
  --dihedral          also print the 8 DCT-dihedral PDQ hashes
  --resize MODE       full (default; matches HMA/python-threatexchange) or cli512 (matches pdq-photo-hasher)
  -h, --help          show this help

Exit status: 0 when every file was hashed, 1 when any failed, 2 on bad usage.`;

/** The `hash` command. */
export const hashCommand: CliCommand = {
  name: 'hash',
  summary: 'Hash image files: MD5, SHA-1, SHA-256 and PDQ as JSON lines',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { dihedral: { type: 'boolean', default: false }, resize: { type: 'string', default: 'full' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.resize !== 'full' && values.resize !== 'cli512') {
      throw new UsageError(`--resize must be full or cli512, got ${JSON.stringify(values.resize)}`);
    }
    if (positionals.length === 0) throw new UsageError('expected at least one FILE');
    const flags: HashCommandFlags = { dihedral: values.dihedral, resize: values.resize };
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
