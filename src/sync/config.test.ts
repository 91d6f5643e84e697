import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { createConfiguredSources, loadSyncConfig, parseSyncConfig } from './config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: isTidscanError(err) ? err.code : undefined, message: (err as Error).message };
  }
  throw new Error('expected a throw');
}

describe('sync config', () => {
  it('resolves relative paths against the config file and lets TIDSCAN_STORE override the store', () => {
    const file = path.join(dir, 'tidscan.json');
    writeFileSync(file, JSON.stringify({ store: 'data/list.db', sources: [{ type: 'file', url: 'lists/a.ndjson' }, { type: 'file', id: 'b', url: 'https://example.org/b.csv' }] }));
    const config = loadSyncConfig(file, { env: {} });
    expect(config.store).toBe(path.join(dir, 'data/list.db'));
    expect(config.sources.map((s) => s.url)).toEqual([path.join(dir, 'lists/a.ndjson'), 'https://example.org/b.csv']);
    expect(loadSyncConfig(file, { env: { TIDSCAN_STORE: '/srv/list.db' } }).store).toBe('/srv/list.db');
  });

  it('names the offending key of an invalid config', () => {
    expect(errorOf(() => parseSyncConfig({ sourcs: [] }))).toEqual({ code: 'CONFIG_INVALID', message: 'config: unknown key "sourcs"' });
    expect(errorOf(() => parseSyncConfig({ sources: [{ type: 'ncmec' }] })).message).toBe('config sources[0]: "url" is required for a ncmec source');
    expect(errorOf(() => parseSyncConfig({ sources: [{ type: 'stopncii', password: 'x' }] })).message).toBe(
      'config sources[0]: unknown key "password" for a stopncii source',
    );
    expect(errorOf(() => parseSyncConfig({ sources: [{ type: 'file', url: 'a' }, { type: 'file', url: 'b' }] })).message).toMatch(/used twice/);
    expect(errorOf(() => parseSyncConfig({ sources: [{ type: 'ncmec', url: 'https://x', since: 'yesterday' }] })).message).toMatch(/ISO 8601/);
    expect(errorOf(() => loadSyncConfig(path.join(dir, 'missing.json'))).code).toBe('CONFIG_NOT_FOUND');
    expect(errorOf(() => parseSyncConfig({ storeWriter: 'worker' })).message).toBe(
      'config: "storeWriter" must be "auto", "thread" or "inline", got "worker"',
    );
    expect(parseSyncConfig({ storeWriter: 'thread' }).storeWriter).toBe('thread');
    expect(errorOf(() => parseSyncConfig({ sourceThread: 'yes' })).message).toBe('config: "sourceThread" must be true, false or "auto", got "yes"');
    expect(parseSyncConfig({ sourceThread: true }).sourceThread).toBe(true);
    expect(parseSyncConfig({ sourceThread: 'auto' }).sourceThread).toBe('auto');
    writeFileSync(path.join(dir, 'broken.json'), '{');
    expect(errorOf(() => loadSyncConfig(path.join(dir, 'broken.json'))).code).toBe('CONFIG_INVALID');
  });

  it('builds sources with credentials from the environment only, never echoing them', () => {
    const config = parseSyncConfig({ sources: [{ type: 'ncmec', url: 'https://report.example/hashsharing' }, { type: 'stopncii' }] });
    const sources = createConfiguredSources(config, {
      env: { TIDSCAN_NCMEC_USER: 'u', TIDSCAN_NCMEC_PASSWORD: 'p4ssw0rd', TIDSCAN_STOPNCII_FUNCTION_KEY: 'f', TIDSCAN_STOPNCII_SUBSCRIPTION_KEY: 's' },
    });
    expect(sources.map((s) => [s.name, s.id])).toEqual([
      ['ncmec', 'ncmec'],
      ['stopncii', 'stopncii'],
    ]);
    const missing = errorOf(() => createConfiguredSources(config, { env: {} }));
    expect(missing).toEqual({ code: 'CONFIG_INVALID', message: 'sources[0] (ncmec): Expected `username` to be set, or the TIDSCAN_NCMEC_USER environment variable' });
  });
});
