/**
 * `tidscan sync`: pulls hash lists into a store, for system cron. The contract (tooling depends on it):
 * the sync report is printed as ONE JSON object on the LAST line of stdout; the exit status is 0 when every
 * source synced, non-zero otherwise (pages committed before a failure stay in the store).
 *
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, isTidscanError } from '../../errors.js';
import { createConfiguredSources, loadSyncConfig, type SourceConfig, type SyncConfig } from '../../sync/config.js';
import { openListStore } from '../../sync/store.js';
import { isStoreWriterMode } from '../../sync/store-writer.js';
import { sync } from '../../sync/syncer.js';
import { SYNC_CHANNELS, type SyncPageEvent } from '../../sync/syncer-diagnostics.js';
import { type SyncReport, toFailure } from '../../sync/syncer-report.js';
import type { CliCommand, CliIO } from '../command.js';
import { UsageError, writeJsonLine } from '../command.js';

/** Exit statuses of `tidscan sync` (sysexits.h where one fits). */
export const SYNC_EXIT = {
  ok: 0,
  /** A source or the store failed; the report says which and why. */
  failed: 1,
  /** Bad flags. */
  usage: 2,
  /** Another sync holds the store's lock (`SYNC_LOCKED`): try again later. EX_TEMPFAIL. */
  locked: 75,
  /** The config, a credential or a source setting is missing or invalid. EX_CONFIG. */
  config: 78,
} as const;

const USAGE = `Usage:
  tidscan sync --store PATH --source ncmec --url BASE_URL [--id ID] [--since ISO8601]
  tidscan sync --store PATH --source stopncii [--url BASE_URL] [--id ID] [--since ISO8601]
  tidscan sync --store PATH --source file --url PATH_OR_URL [--id ID] [--format ndjson|csv|json]
  tidscan sync --config FILE [--store PATH]

Pulls the hash list(s) into the store (created when missing) and prints the sync report as one JSON object on
the last line of stdout:
  {"ok","version","previousVersion","startedAt","durationMs","sources":[{"id","name","ok","pages","added",
   "updated","unchanged","deleted","skipped":[{"reason","count","examples"}],"durationMs","checkpoint","error"?}],
   "error"?:{"code","message"}}

Options:
  --store PATH          the list store (SQLite file); overrides the config file and TIDSCAN_STORE
  --source TYPE         ncmec | stopncii | file (one source; or use --config for several)
  --url URL             NCMEC environment base URL, StopNCII base URL, or the list file's path or https URL
                        (plain http is accepted for loopback hosts only)
  --id ID               the list id stored with each entry (default: the source type)
  --since ISO8601       where a first sync starts (NCMEC default 2000-01-01; StopNCII default the beginning)
  --format FORMAT       list file format (default: from the extension, then the content)
  --config FILE         JSON config file with "store" and "sources" (see docs/operations.md#sync)
  --lock-ttl-ms MS      sync-lock lease (default 60000)
  --store-writer MODE   where store commits run: auto (a writer thread once a sync passes 20000 updates),
                        thread, or inline (default: auto, or "storeWriter" in the config file)
  --source-thread       fetch and parse on a thread of its own (or "sourceThread": true in the config file)
  --progress            one JSON line per committed page on stderr

Environment:
  TIDSCAN_NCMEC_USER, TIDSCAN_NCMEC_PASSWORD                     NCMEC Basic-auth credentials
  TIDSCAN_STOPNCII_FUNCTION_KEY, TIDSCAN_STOPNCII_SUBSCRIPTION_KEY  StopNCII keys
  TIDSCAN_STORE                                                  store path when neither --store nor the config sets it
  TIDSCAN_CONFIG                                                 config file when --config and --source are absent

Exit status: 0 synced; 1 a source or the store failed; 2 bad flags; 75 another sync holds the lock;
78 invalid config or missing credentials. SIGINT/SIGTERM stop after committing the pages already received.`;

const OPTIONS = {
  store: { type: 'string' },
  source: { type: 'string' },
  url: { type: 'string' },
  id: { type: 'string' },
  since: { type: 'string' },
  format: { type: 'string' },
  config: { type: 'string' },
  'lock-ttl-ms': { type: 'string' },
  'store-writer': { type: 'string' },
  'source-thread': { type: 'boolean', default: false },
  progress: { type: 'boolean', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];

/** The settings the flags (and config file) describe. Throws UsageError or ConfigError. */
function resolveSettings(flags: Flags, io: CliIO): SyncConfig {
  const configFile = flags.config ?? (flags.source === undefined ? io.env.TIDSCAN_CONFIG : undefined);
  if (configFile !== undefined && flags.source !== undefined) throw new UsageError('Use either --config or --source, not both');
  let config: SyncConfig;
  if (configFile !== undefined) {
    for (const flag of ['url', 'id', 'since', 'format'] as const) {
      if (flags[flag] !== undefined) throw new UsageError(`--${flag} describes a --source; put it in the config file instead`);
    }
    config = loadSyncConfig(configFile, { env: io.env, cwd: io.cwd });
  } else {
    if (flags.source === undefined) throw new UsageError('Missing --source (ncmec, stopncii or file) or --config');
    const type = flags.source;
    if (type !== 'ncmec' && type !== 'stopncii' && type !== 'file') throw new UsageError(`Unknown --source ${JSON.stringify(type)}: expected ncmec, stopncii or file`);
    if (type !== 'stopncii' && flags.url === undefined) throw new UsageError(`--source ${type} needs --url`);
    if (type === 'file' && flags.since !== undefined) throw new UsageError('--since does not apply to --source file');
    if (type !== 'file' && flags.format !== undefined) throw new UsageError('--format applies to --source file only');
    if (flags.since !== undefined && Number.isNaN(Date.parse(flags.since))) throw new UsageError(`--since must be an ISO 8601 date, got ${JSON.stringify(flags.since)}`);
    const source: Record<string, unknown> = { type };
    if (flags.id !== undefined) source.id = flags.id;
    if (flags.url !== undefined) {
      source.url = type === 'file' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(flags.url) ? path.resolve(io.cwd, flags.url) : flags.url;
    }
    if (flags.since !== undefined) source.since = flags.since;
    if (flags.format !== undefined) source.format = flags.format;
    config = { store: io.env.TIDSCAN_STORE ? path.resolve(io.cwd, io.env.TIDSCAN_STORE) : '', sources: [source as unknown as SourceConfig] };
  }
  if (flags.store !== undefined) config.store = path.resolve(io.cwd, flags.store);
  if (config.store === '') throw new UsageError('Missing --store (or "store" in the config file, or TIDSCAN_STORE)');
  if (flags['lock-ttl-ms'] !== undefined) {
    const ttl = Number(flags['lock-ttl-ms']);
    if (!Number.isInteger(ttl) || ttl < 1000) throw new UsageError(`--lock-ttl-ms must be an integer >= 1000, got ${JSON.stringify(flags['lock-ttl-ms'])}`);
    config.lockTtlMs = ttl;
  }
  const writer = flags['store-writer'];
  if (writer !== undefined) {
    if (!isStoreWriterMode(writer)) {
      throw new UsageError(`--store-writer must be auto, thread or inline, got ${JSON.stringify(writer)}`);
    }
    config.storeWriter = writer;
  }
  if (flags['source-thread']) config.sourceThread = true;
  return config;
}

function failedReport(err: unknown): SyncReport {
  return { ok: false, version: 0, previousVersion: 0, startedAt: new Date().toISOString(), durationMs: 0, sources: [], error: toFailure(err) };
}

function exitStatus(report: SyncReport): number {
  if (report.ok) return SYNC_EXIT.ok;
  const code = report.error?.code ?? '';
  if (code === 'SYNC_LOCKED') return SYNC_EXIT.locked;
  if (code.startsWith('CONFIG_')) return SYNC_EXIT.config;
  return SYNC_EXIT.failed;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values: flags } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  const config = resolveSettings(flags, io);

  let report: SyncReport;
  let store;
  let sources;
  try {
    sources = createConfiguredSources(config, { env: io.env });
    store = openListStore(config.store);
  } catch (err) {
    const wrapped = err instanceof TypeError || err instanceof RangeError ? new ConfigError('CONFIG_INVALID', err.message, { cause: err }) : err;
    report = failedReport(wrapped);
    writeJsonLine(io.stdout, report);
    return exitStatus(report);
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onPage = (m: unknown) => writeJsonLine(io.stderr, { event: 'page', ...(m as SyncPageEvent) });
  if (flags.progress) subscribe(SYNC_CHANNELS.page, onPage);
  try {
    report = await sync({
      store,
      sources,
      signal: controller.signal,
      lock: config.lockTtlMs !== undefined ? { ttlMs: config.lockTtlMs } : {},
      ...(config.stallTimeoutMs !== undefined ? { stallTimeoutMs: config.stallTimeoutMs } : {}),
      ...(config.storeWriter !== undefined ? { storeWriter: config.storeWriter } : {}),
      ...(config.sourceThread !== undefined ? { sourceThread: config.sourceThread } : {}),
    });
  } catch (err) {
    report = failedReport(isTidscanError(err) ? err : new ConfigError('CONFIG_INVALID', (err as Error).message, { cause: err }));
  } finally {
    if (flags.progress) unsubscribe(SYNC_CHANNELS.page, onPage);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    store.close();
  }
  writeJsonLine(io.stdout, report);
  return exitStatus(report);
}

/** `tidscan sync`. */
export const syncCommand: CliCommand = {
  name: 'sync',
  summary: 'Pull hash lists (NCMEC, StopNCII, a list file) into a local store; prints a JSON report',
  usage: USAGE,
  run,
};
