import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { INDEX_NAMES } from '../match/create.js';
import type { HashListSource } from '../sync/types.js';
import { SCANNER_DEFAULTS, resolveScannerOptions } from './options.js';

const source = (id: string): HashListSource => ({
  name: 'test',
  id,
  async *fetch() {
    /* nothing */
  },
});

describe('resolveScannerOptions', () => {
  it('fills in the documented defaults', () => {
    const o = resolveScannerOptions(undefined);
    expect(o).toMatchObject({
      lists: [],
      store: ':memory:',
      index: undefined,
      defaults: { maxDistance: 31, vpdq: { frameDistance: 31, queryPercent: 80, targetPercent: 0 } },
      minQuality: 50,
      dihedral: false,
      concurrency: availableParallelism(),
      maxQueue: 1000,
      cacheSize: 10_000,
      sourceThread: 'auto',
    });
    expect(SCANNER_DEFAULTS.maxDistance).toBe(31);
  });

  it('gives each list its own thresholds, falling back to the scanner-wide ones', () => {
    const o = resolveScannerOptions({
      maxDistance: 20,
      vpdq: { queryPercent: 70 },
      lists: [{ source: source('a'), maxDistance: 10, vpdq: { targetPercent: 50 } }, { source: source('b') }],
    });
    expect(o.lists.map((l) => [l.id, l.maxDistance, l.vpdq])).toEqual([
      ['a', 10, { frameDistance: 31, queryPercent: 70, targetPercent: 50 }],
      ['b', 20, { frameDistance: 31, queryPercent: 70, targetPercent: 0 }],
    ]);
  });

  const cases: Array<[string, unknown, ErrorConstructor, string]> = [
    ['options not an object', 5, TypeError, 'Expected `options` to be an object, got 5'],
    ['unknown option', { maxDistanse: 3 }, TypeError, 'Unknown option `maxDistanse`; expected one of `lists`'],
    ['maxDistance too large', { maxDistance: 300 }, RangeError, 'Expected `maxDistance` to be an integer from 0 to 256, got 300'],
    ['maxDistance not integer', { maxDistance: 1.5 }, RangeError, 'Expected `maxDistance` to be an integer from 0 to 256, got 1.5'],
    ['maxDistance a string', { maxDistance: '31' }, TypeError, 'Expected `maxDistance` to be an integer from 0 to 256, got "31"'],
    ['minQuality', { minQuality: 101 }, RangeError, 'Expected `minQuality` to be an integer from 0 to 100, got 101'],
    ['dihedral', { dihedral: 'yes' }, TypeError, 'Expected `dihedral` to be a boolean, got "yes"'],
    ['concurrency', { concurrency: 0 }, RangeError, 'Expected `concurrency` to be an integer from 1 to 1024, got 0'],
    ['maxQueue', { maxQueue: -1 }, RangeError, 'Expected `maxQueue` to be an integer from 0 to'],
    ['cacheSize', { cacheSize: null }, TypeError, 'Expected `cacheSize` to be an integer from 0 to 100000000, got null'],
    ['sourceThread', { sourceThread: 1 }, TypeError, 'Expected `sourceThread` to be true, false or "auto", got 1'],
    ['store', { store: '' }, TypeError, 'Expected `store` to be a non-empty string, got ""'],
    ['index', { index: 'kd-tree' }, TypeError, `Expected \`index\` to be one of ${INDEX_NAMES.map((n) => `'${n}'`).join(', ')}, got "kd-tree"`],
    ['index type', { index: 3 }, TypeError, 'got 3'],
    ['image', { image: 'big' }, TypeError, 'Expected `image` to be an object, got "big"'],
    ['video', { video: [] }, TypeError, 'Expected `video` to be an object, got an array'],
    ['vpdq key', { vpdq: { percent: 1 } }, TypeError, 'Unknown option `percent` in `vpdq`'],
    ['vpdq.queryPercent', { vpdq: { queryPercent: 120 } }, RangeError, 'Expected `vpdq.queryPercent` to be a number from 0 to 100, got 120'],
    ['vpdq.frameDistance', { vpdq: { frameDistance: -1 } }, RangeError, 'Expected `vpdq.frameDistance` to be an integer from 0 to 256, got -1'],
    ['lists not an array', { lists: {} }, TypeError, 'Expected `lists` to be an array, got an object'],
    ['list not an object', { lists: [source('a')] }, TypeError, 'Unknown option `name` in `lists[0]`'],
    ['list without source', { lists: [{}] }, TypeError, 'Expected `lists[0].source` to be a hash-list source, got undefined'],
    ['source without id', { lists: [{ source: { fetch() {} } }] }, TypeError, 'Expected `lists[0].source.id` to be a non-empty string, got undefined'],
    ['source without fetch', { lists: [{ source: { id: 'x' } }] }, TypeError, 'Expected `lists[0].source.fetch` to be a function, got undefined'],
    [
      'duplicate list ids',
      { lists: [{ source: source('a') }, { source: source('a') }] },
      TypeError,
      'Expected `lists[1].source.id` to be unique among lists, got "a" twice',
    ],
    ['list maxDistance', { lists: [{ source: source('a'), maxDistance: 257 }] }, RangeError, 'Expected `lists[0].maxDistance` to be an integer from 0 to 256, got 257'],
    [
      'list vpdq',
      { lists: [{ source: source('a'), vpdq: { targetPercent: Number.NaN } }] },
      RangeError,
      'Expected `lists[0].vpdq.targetPercent` to be a number from 0 to 100, got NaN',
    ],
  ];
  it.each(cases)('rejects %s', (_name, options, type, message) => {
    expect(() => resolveScannerOptions(options)).toThrow(type);
    expect(() => resolveScannerOptions(options)).toThrow(message);
  });
});
