/**
 * Sync settings from a JSON config file and the environment, for `tidscan sync` and `startSyncLoop()` users.
 *
 * ```json
 * {
 *   "store": "/var/lib/tidscan/list.db",
 *   "sources": [
 *     { "type": "ncmec", "url": "https://report.cybertip.org/hashsharing", "since": "2024-01-01T00:00:00Z" },
 *     { "type": "stopncii" },
 *     { "type": "file", "id": "local", "url": "./extra-hashes.ndjson" }
 *   ],
 *   "lockTtlMs": 60000,
 *   "stallTimeoutMs": 300000,
 *   "storeWriter": "auto"
 * }
 * ```
 *
 * Secrets never live in the file: NCMEC credentials come from `TIDSCAN_NCMEC_USER` / `TIDSCAN_NCMEC_PASSWORD`,
 * StopNCII keys from `TIDSCAN_STOPNCII_FUNCTION_KEY` / `TIDSCAN_STOPNCII_SUBSCRIPTION_KEY`. `TIDSCAN_STORE`
 * overrides `store`. Relative paths (`store`, file `url`s) resolve against the config file's directory.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, isTidscanError } from '../errors.js';
import type { Environment } from './credentials.js';
import { createFileSource } from './file-source.js';
import { createNcmecSource } from './ncmec/source.js';
import { createStopNciiSource } from './stopncii.js';
import { isStoreWriterMode, type StoreWriterMode } from './store-writer.js';
import type { HashListSource } from './types.js';

/** HTTP settings every remote source accepts. */
export interface HttpSourceSettings {
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Retries of a failed GET (429, 5xx, network errors). */
  retries?: number;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  maxResponseBytes?: number;
  /** Plain http to a non-loopback host (loopback is always allowed). */
  allowInsecureHttp?: boolean;
}

/** One configured source. `id` defaults to the type. */
export type SourceConfig =
  | ({ type: 'ncmec'; id?: string; url: string; since?: string; maxWindowEntries?: number } & HttpSourceSettings)
  | ({ type: 'stopncii'; id?: string; url?: string; since?: string; pageSize?: number } & HttpSourceSettings)
  | ({ type: 'file'; id?: string; url: string; format?: 'ndjson' | 'csv' | 'json' | 'auto'; pageSize?: number; maxBytes?: number } & HttpSourceSettings);

/** The sync settings. */
export interface SyncConfig {
  /** Path of the list store. */
  store: string;
  sources: SourceConfig[];
  /** Sync-lock lease, ms. @default 60000 */
  lockTtlMs?: number;
  /** Give a source up when it yields nothing for this long, ms. @default 300000 */
  stallTimeoutMs?: number;
  /** Where store commits run (`SyncOptions.storeWriter`): `"auto"`, `"thread"` or `"inline"`. @default "auto" */
  storeWriter?: StoreWriterMode;
  /** Where the sources run (`SyncOptions.sourceThread`): `true`, `false` or `"auto"`. @default "auto" */
  sourceThread?: boolean | 'auto';
}

const HTTP_KEYS = ['timeoutMs', 'retries', 'retryDelayMs', 'maxRetryDelayMs', 'maxResponseBytes', 'allowInsecureHttp'] as const;
const SOURCE_KEYS: Record<SourceConfig['type'], readonly string[]> = {
  ncmec: ['type', 'id', 'url', 'since', 'maxWindowEntries', ...HTTP_KEYS],
  stopncii: ['type', 'id', 'url', 'since', 'pageSize', ...HTTP_KEYS],
  file: ['type', 'id', 'url', 'format', 'pageSize', 'maxBytes', ...HTTP_KEYS],
};
const TOP_KEYS = ['store', 'sources', 'lockTtlMs', 'stallTimeoutMs', 'storeWriter', 'sourceThread', '$schema', 'comment'];

function invalid(where: string, message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', `${where}: ${message}`, { details: { where } });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/**
 * Checks a parsed config object, resolving relative paths against `baseDir`.
 *
 * @throws {ConfigError} `CONFIG_INVALID` naming the offending key.
 */
export function parseSyncConfig(value: unknown, options: { baseDir?: string; where?: string } = {}): SyncConfig {
  const where = options.where ?? 'config';
  const baseDir = options.baseDir ?? process.cwd();
  if (!isObject(value)) throw invalid(where, 'expected a JSON object');
  for (const key of Object.keys(value)) if (!TOP_KEYS.includes(key)) throw invalid(where, `unknown key "${key}"`);
  const out: SyncConfig = { store: '', sources: [] };
  if (value.store !== undefined) {
    if (typeof value.store !== 'string' || value.store === '') throw invalid(where, '"store" must be a non-empty path');
    out.store = path.resolve(baseDir, value.store);
  }
  for (const key of ['lockTtlMs', 'stallTimeoutMs'] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw invalid(where, `"${key}" must be a positive integer`);
    out[key] = v;
  }
  if (value.storeWriter !== undefined) {
    if (!isStoreWriterMode(value.storeWriter)) {
      throw invalid(where, `"storeWriter" must be "auto", "thread" or "inline", got ${JSON.stringify(value.storeWriter)}`);
    }
    out.storeWriter = value.storeWriter;
  }
  if (value.sourceThread !== undefined) {
    if (typeof value.sourceThread !== 'boolean' && value.sourceThread !== 'auto') {
      throw invalid(where, `"sourceThread" must be true, false or "auto", got ${JSON.stringify(value.sourceThread)}`);
    }
    out.sourceThread = value.sourceThread;
  }
  const sources = value.sources ?? [];
  if (!Array.isArray(sources)) throw invalid(where, '"sources" must be an array');
  const ids = new Set<string>();
  sources.forEach((raw: unknown, i: number) => {
    const at = `${where} sources[${i}]`;
    if (!isObject(raw)) throw invalid(at, 'expected an object');
    const type = raw.type;
    if (type !== 'ncmec' && type !== 'stopncii' && type !== 'file') throw invalid(at, `"type" must be "ncmec", "stopncii" or "file", got ${JSON.stringify(type)}`);
    for (const key of Object.keys(raw)) if (!SOURCE_KEYS[type].includes(key)) throw invalid(at, `unknown key "${key}" for a ${type} source`);
    for (const key of ['id', 'url', 'since', 'format'] as const) {
      if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) throw invalid(at, `"${key}" must be a non-empty string`);
    }
    if ((type === 'ncmec' || type === 'file') && raw.url === undefined) throw invalid(at, `"url" is required for a ${type} source`);
    if (raw.since !== undefined && Number.isNaN(Date.parse(raw.since as string))) throw invalid(at, '"since" must be an ISO 8601 date');
    const source = { ...raw } as unknown as SourceConfig;
    if (type === 'file' && !isUrl(raw.url as string)) (source as { url: string }).url = path.resolve(baseDir, raw.url as string);
    const id = (source.id ?? type) as string;
    if (ids.has(id)) throw invalid(at, `source id ${JSON.stringify(id)} is used twice; give each source its own "id"`);
    ids.add(id);
    out.sources.push(source);
  });
  return out;
}

/**
 * Reads and checks a JSON config file; `TIDSCAN_STORE` (from `env`) overrides its `store`.
 *
 * @throws {ConfigError} `CONFIG_NOT_FOUND` when the file cannot be read, `CONFIG_INVALID` when it is not valid.
 */
export function loadSyncConfig(file: string, options: { env?: Environment; cwd?: string } = {}): SyncConfig {
  const full = path.resolve(options.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_NOT_FOUND', `Cannot read the config file ${full}: ${(err as Error).message}`, { cause: err, details: { path: full } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `The config file ${full} is not valid JSON: ${(err as Error).message}`, { cause: err, details: { path: full } });
  }
  const config = parseSyncConfig(json, { baseDir: path.dirname(full), where: full });
  const envStore = options.env?.TIDSCAN_STORE;
  if (envStore) config.store = path.resolve(options.cwd ?? process.cwd(), envStore);
  return config;
}

function pick(config: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const c = config as Record<string, unknown>;
  for (const k of keys) if (c[k] !== undefined) out[k] = c[k];
  return out;
}

/**
 * Builds the sources of a config. Credentials come from `env` (see the module notes).
 *
 * @throws {ConfigError} `CONFIG_INVALID` when a source rejects its settings (missing credentials, bad URL...);
 * {@link SyncError} `SYNC_INSECURE_URL` for plain http to a non-loopback host.
 */
export function createConfiguredSources(config: Pick<SyncConfig, 'sources'>, options: { env?: Environment } = {}): HashListSource[] {
  const env = options.env ?? process.env;
  return config.sources.map((s, i) => {
    try {
      const http = pick(s, HTTP_KEYS);
      const id = s.id ?? s.type;
      switch (s.type) {
        case 'ncmec':
          return createNcmecSource({ ...http, id, env, baseUrl: s.url, ...pick(s, ['since', 'maxWindowEntries']) });
        case 'stopncii':
          return createStopNciiSource({
            ...http,
            id,
            env,
            ...(s.url !== undefined ? { baseUrl: s.url } : {}),
            ...(s.since !== undefined ? { startTimestamp: Math.floor(Date.parse(s.since) / 1000) } : {}),
            ...pick(s, ['pageSize']),
          });
        case 'file':
          return createFileSource({ ...http, id, location: s.url, ...pick(s, ['format', 'pageSize', 'maxBytes']) });
      }
    } catch (err) {
      if (isTidscanError(err)) throw err;
      throw new ConfigError('CONFIG_INVALID', `sources[${i}] (${s.type}): ${(err as Error).message}`, { cause: err, details: { source: s.id ?? s.type } });
    }
  });
}
