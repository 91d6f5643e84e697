/** docs/api.md must stay accurate to the code: exports, error codes, defaults and channel names. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { SCANNER_CHANNELS, SCANNER_DEFAULTS } from '../../src/scanner/index.js';
import { SYNC_CHANNELS } from '../../src/sync/syncer-diagnostics.js';
import { REPO_ROOT } from '../helpers/vectors.js';

const api = readFileSync(path.join(REPO_ROOT, 'docs', 'api.md'), 'utf8');

describe('docs/api.md', () => {
  it('has one row per error code, and no code the code does not have', () => {
    const all = Object.values(ERROR_CODES).flat() as string[];
    const rows = [...api.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
    expect(new Set(rows)).toEqual(new Set(all));
    expect(rows).toHaveLength(all.length);
  });

  it('mentions every export of the scanner barrel', () => {
    const barrel = readFileSync(path.join(REPO_ROOT, 'src', 'scanner', 'index.ts'), 'utf8');
    const names = [...barrel.replace(/\/\/.*$/gm, '').matchAll(/\b(?:type\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?=[,}])/g)]
      .map((m) => m[1]!)
      .filter((n) => n !== 'type');
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(api, name).toContain(`\`${name}\``);
  });

  it('states the defaults the code uses', () => {
    for (const key of ['store', 'maxDistance', 'minQuality', 'dihedral', 'maxQueue', 'cacheSize'] as const) {
      const value = SCANNER_DEFAULTS[key];
      const shown = typeof value === 'string' ? `'${value}'` : String(value);
      expect(api, key).toMatch(new RegExp(`^\\| \`${key}\` \\| \`${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`, 'm'));
    }
    const { frameDistance, queryPercent, targetPercent } = SCANNER_DEFAULTS.vpdq;
    expect(api).toContain(`| \`vpdq\` | \`{ frameDistance: ${frameDistance}, queryPercent: ${queryPercent}, targetPercent: ${targetPercent} }\` |`);
  });

  it('names every diagnostics channel', () => {
    for (const name of [...Object.values(SCANNER_CHANNELS), ...Object.values(SYNC_CHANNELS)]) expect(api).toContain(`| \`${name}\` |`);
  });
});
