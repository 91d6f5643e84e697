/**
 * Opening a scanner for `tidscan match` and `tidscan rescan`: the store (flag, then `TIDSCAN_STORE`), thresholds
 * from flags, and refusals that keep a misconfiguration from passing as "no match" (a missing store file, an empty
 * list).
 *
 * @module
 * @internal
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { createScanner, type Scanner } from '../scanner/index.js';
import type { ScannerOptions } from '../scanner/types.js';
import { integerFlag } from './cli-flags.js';

/** `parseArgs` option specs of the scanner flags. */
export const SCANNER_FLAG_OPTIONS = {
  store: { type: 'string' },
  'max-distance': { type: 'string' },
  'min-quality': { type: 'string' },
  dihedral: { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

/** The `--help` block for the scanner flags. */
export const SCANNER_FLAG_USAGE = `Scanner options:
  --store PATH         the SQLite list store that \`tidscan sync\` fills (default: $TIDSCAN_STORE)
  --max-distance N     PDQ matches need a Hamming distance <= N, 0-256 (default 31)
  --min-quality N      ignore PDQ hashes with quality < N, 0-100 (default 50)
  --dihedral           also match rotated and mirrored copies (8 PDQ variants; default off)
  --concurrency N      files decoded at the same time (default: number of CPUs)

Environment:
  TIDSCAN_STORE        default for --store
  FFMPEG_PATH, FFPROBE_PATH   ffmpeg binaries for videos (default: from PATH)`;

/** Parsed scanner flags. */
export interface ScannerFlagValues {
  store?: string | undefined;
  'max-distance'?: string | undefined;
  'min-quality'?: string | undefined;
  dihedral?: boolean | undefined;
  concurrency?: string | undefined;
}

/** Turns flags and environment into `createScanner` options (throws `UsageError` for bad values). */
export function scannerOptionsFromFlags(values: ScannerFlagValues, env: NodeJS.ProcessEnv, cwd: string): ScannerOptions & { store: string } {
  const store = values.store ?? env.TIDSCAN_STORE;
  if (store === undefined || store === '') {
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      'No list store given: pass --store PATH or set TIDSCAN_STORE (the SQLite file `tidscan sync` writes)',
    );
  }
  const options: ScannerOptions & { store: string } = { store: path.resolve(cwd, store) };
  const maxDistance = integerFlag('max-distance', values['max-distance'], 0, 256);
  if (maxDistance !== undefined) options.maxDistance = maxDistance;
  const minQuality = integerFlag('min-quality', values['min-quality'], 0, 100);
  if (minQuality !== undefined) options.minQuality = minQuality;
  if (values.dihedral) options.dihedral = true;
  const concurrency = integerFlag('concurrency', values.concurrency, 1, 1024);
  if (concurrency !== undefined) options.concurrency = concurrency;
  return options;
}

/**
 * Opens the scanner on an existing, non-empty store.
 *
 * @throws {ConfigError} `CONFIG_NOT_FOUND` when the store file does not exist, `CONFIG_INVALID` when it holds no
 * entries: judging against an empty list would report every file as `no_match`.
 */
export async function openCliScanner(options: ScannerOptions & { store: string }): Promise<Scanner> {
  if (!existsSync(options.store)) {
    throw new ConfigError('CONFIG_NOT_FOUND', `List store ${options.store} does not exist; run \`tidscan sync\` first`);
  }
  const scanner = await createScanner(options);
  if (scanner.stats().list.entries === 0) {
    await scanner.close();
    throw new ConfigError(
      'CONFIG_INVALID',
      `List store ${options.store} has no entries; run \`tidscan sync\` first (judging against an empty list would call everything no_match)`,
    );
  }
  return scanner;
}
