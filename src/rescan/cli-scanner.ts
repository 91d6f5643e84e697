/**
 * Opening a scanner for `tidscan match` and `tidscan rescan`: the store (found the way `tidscan sync` finds it),
 * thresholds from flags, and refusals that keep a misconfiguration from passing as "no match" (a missing store
 * file, an empty list).
 *
 * @module
 * @internal
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { createScanner, type Scanner } from '../scanner/index.js';
import { loadSyncConfig } from '../sync/config.js';
import type { ScannerOptions } from '../scanner/types.js';
import { integerFlag } from './cli-flags.js';

/** `parseArgs` option specs of the scanner flags. */
export const SCANNER_FLAG_OPTIONS = {
  store: { type: 'string' },
  config: { type: 'string' },
  'max-distance': { type: 'string' },
  'min-quality': { type: 'string' },
  dihedral: { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

/** The `--help` block for the scanner flags. */
export const SCANNER_FLAG_USAGE = `Scanner options:
  --store PATH         the SQLite list store that \`tidscan sync\` fills
  --config FILE        the sync config file; its "store" is used (see \`tidscan sync --help\`)
  --max-distance N     PDQ matches need a Hamming distance <= N, 0-256 (default 31)
  --min-quality N      ignore PDQ hashes with quality < N, 0-100 (default 50)
  --dihedral           also match rotated and mirrored copies (8 PDQ variants; default off)
  --concurrency N      files decoded at the same time (default: number of CPUs)

Environment:
  TIDSCAN_CONFIG       config file when --config is absent
  TIDSCAN_STORE        store path; overrides the config file's "store" (as for tidscan sync)
  FFMPEG_PATH, FFPROBE_PATH   ffmpeg binaries for videos (default: from PATH)`;

/** Parsed scanner flags. */
export interface ScannerFlagValues {
  store?: string | undefined;
  config?: string | undefined;
  'max-distance'?: string | undefined;
  'min-quality'?: string | undefined;
  dihedral?: boolean | undefined;
  concurrency?: string | undefined;
}

/**
 * The store path, found as `tidscan sync` finds it: `--store`, else the config file's `store` (`--config` or
 * `TIDSCAN_CONFIG`; `TIDSCAN_STORE` overrides it), else `TIDSCAN_STORE`.
 *
 * @throws {ConfigError} `CONFIG_NOT_FOUND` when none of them names a store, or the config file is unreadable.
 */
export function resolveStorePath(values: ScannerFlagValues, env: NodeJS.ProcessEnv, cwd: string): string {
  if (values.store !== undefined && values.store !== '') return path.resolve(cwd, values.store);
  const configFile = values.config ?? env.TIDSCAN_CONFIG;
  if (configFile !== undefined && configFile !== '') {
    const config = loadSyncConfig(configFile, { env, cwd });
    if (config.store !== '') return config.store;
  }
  if (env.TIDSCAN_STORE) return path.resolve(cwd, env.TIDSCAN_STORE);
  throw new ConfigError(
    'CONFIG_NOT_FOUND',
    'No list store given: pass --store PATH or --config FILE, or set TIDSCAN_STORE (the SQLite file `tidscan sync` writes)',
  );
}

/** Turns flags and environment into `createScanner` options (bad values throw `UsageError` before anything else). */
export function scannerOptionsFromFlags(values: ScannerFlagValues, env: NodeJS.ProcessEnv, cwd: string): ScannerOptions & { store: string } {
  const maxDistance = integerFlag('max-distance', values['max-distance'], 0, 256);
  const minQuality = integerFlag('min-quality', values['min-quality'], 0, 100);
  const concurrency = integerFlag('concurrency', values.concurrency, 1, 1024);
  const options: ScannerOptions & { store: string } = { store: resolveStorePath(values, env, cwd) };
  if (maxDistance !== undefined) options.maxDistance = maxDistance;
  if (minQuality !== undefined) options.minQuality = minQuality;
  if (values.dihedral) options.dihedral = true;
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
