/**
 * Validates `createScanner` options eagerly and fills in defaults.
 *
 * @module
 * @internal
 */
import { availableParallelism } from 'node:os';
import { INDEX_NAMES, isIndexName } from '../match/create.js';
import type { HashListSource } from '../sync/types.js';
import type { ScannerOptions, VpdqThresholds } from './types.js';
import {
  checkBoolean,
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkObject,
  checkString,
  describeValue,
  isPlainObject,
} from './validate.js';

/** Scanner-wide defaults, as documented on {@link ScannerOptions}. */
export const SCANNER_DEFAULTS = {
  store: ':memory:',
  maxDistance: 31,
  minQuality: 50,
  dihedral: false,
  vpdq: { frameDistance: 31, queryPercent: 80, targetPercent: 0 },
  maxQueue: 1000,
  cacheSize: 10_000,
  sourceThread: 'auto',
} as const;

/** vPDQ thresholds with every field set. */
export type ResolvedVpdqThresholds = Required<VpdqThresholds>;

/** Thresholds for one list id. */
export interface ListThresholds {
  maxDistance: number;
  vpdq: ResolvedVpdqThresholds;
}

/** A validated list. */
export interface ResolvedList extends ListThresholds {
  id: string;
  source: HashListSource;
}

/** Options after validation, every default filled in. */
export interface ResolvedScannerOptions {
  lists: ResolvedList[];
  store: string;
  index: string | undefined;
  /** Thresholds used for entries whose source is not among `lists`. */
  defaults: ListThresholds;
  minQuality: number;
  dihedral: boolean;
  concurrency: number;
  maxQueue: number;
  cacheSize: number;
  image: Record<string, unknown>;
  video: Record<string, unknown>;
  sourceThread: boolean | 'auto';
}

const SCANNER_KEYS = [
  'lists',
  'store',
  'index',
  'maxDistance',
  'minQuality',
  'dihedral',
  'vpdq',
  'concurrency',
  'maxQueue',
  'cacheSize',
  'image',
  'video',
  'sourceThread',
] as const satisfies ReadonlyArray<keyof ScannerOptions>;
const LIST_KEYS = ['source', 'maxDistance', 'vpdq'] as const;
const VPDQ_KEYS = ['frameDistance', 'queryPercent', 'targetPercent'] as const;

/**
 * Validates `createScanner` options.
 *
 * @throws {TypeError} for a value of the wrong type or an unknown option.
 * @throws {RangeError} for a number out of range.
 */
export function resolveScannerOptions(options: unknown): ResolvedScannerOptions {
  const o = checkObject('options', options);
  checkKnownKeys('options', o, SCANNER_KEYS);
  const defaults: ListThresholds = {
    maxDistance: checkInteger('maxDistance', o.maxDistance, 0, 256, SCANNER_DEFAULTS.maxDistance),
    vpdq: resolveVpdq('vpdq', o.vpdq, SCANNER_DEFAULTS.vpdq),
  };
  return {
    lists: resolveLists(o.lists, defaults),
    store: checkString('store', o.store, SCANNER_DEFAULTS.store),
    index: checkIndex(o.index),
    defaults,
    minQuality: checkInteger('minQuality', o.minQuality, 0, 100, SCANNER_DEFAULTS.minQuality),
    dihedral: checkBoolean('dihedral', o.dihedral, SCANNER_DEFAULTS.dihedral),
    concurrency: checkInteger('concurrency', o.concurrency, 1, 1024, availableParallelism()),
    maxQueue: checkInteger('maxQueue', o.maxQueue, 0, Number.MAX_SAFE_INTEGER, SCANNER_DEFAULTS.maxQueue),
    cacheSize: checkInteger('cacheSize', o.cacheSize, 0, 100_000_000, SCANNER_DEFAULTS.cacheSize),
    image: mediaOptions('image', o.image, ['dihedral', 'signal']),
    video: mediaOptions('video', o.video, ['signal']),
    sourceThread: checkSourceThread(o.sourceThread),
  };
}

function checkIndex(value: unknown): string | undefined {
  if (value === undefined || isIndexName(value)) return value;
  throw new TypeError(
    `Expected \`index\` to be one of ${INDEX_NAMES.map((n) => `'${n}'`).join(', ')}, got ${describeValue(value)}`,
  );
}

/** Media options are checked by the media area; the keys the scanner sets itself are refused here. */
function mediaOptions(name: string, value: unknown, reserved: readonly string[]): Record<string, unknown> {
  const o = checkObject(name, value);
  for (const key of reserved) {
    if (key in o) {
      const instead = key === 'signal' ? 'pass `signal` per call' : `use the scanner's \`${key}\` option`;
      throw new TypeError(`Unexpected option \`${name}.${key}\`; ${instead}`);
    }
  }
  return { ...o };
}

function resolveVpdq(name: string, value: unknown, fallback: ResolvedVpdqThresholds): ResolvedVpdqThresholds {
  const v = checkObject(name, value);
  checkKnownKeys(name, v, VPDQ_KEYS);
  return {
    frameDistance: checkInteger(`${name}.frameDistance`, v.frameDistance, 0, 256, fallback.frameDistance),
    queryPercent: checkNumber(`${name}.queryPercent`, v.queryPercent, 0, 100, fallback.queryPercent),
    targetPercent: checkNumber(`${name}.targetPercent`, v.targetPercent, 0, 100, fallback.targetPercent),
  };
}

function resolveLists(value: unknown, defaults: ListThresholds): ResolvedList[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`Expected \`lists\` to be an array, got ${describeValue(value)}`);
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const name = `lists[${i}]`;
    if (!isPlainObject(item)) throw new TypeError(`Expected \`${name}\` to be an object, got ${describeValue(item)}`);
    checkKnownKeys(name, item, LIST_KEYS);
    const source = checkSource(`${name}.source`, item.source);
    if (seen.has(source.id)) {
      throw new TypeError(`Expected \`${name}.source.id\` to be unique among lists, got ${JSON.stringify(source.id)} twice`);
    }
    seen.add(source.id);
    return {
      id: source.id,
      source,
      maxDistance: checkInteger(`${name}.maxDistance`, item.maxDistance, 0, 256, defaults.maxDistance),
      vpdq: resolveVpdq(`${name}.vpdq`, item.vpdq, defaults.vpdq),
    };
  });
}

function checkSource(name: string, value: unknown): HashListSource {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`Expected \`${name}\` to be a hash-list source, got ${describeValue(value)}`);
  }
  const s = value as Partial<HashListSource>;
  if (typeof s.id !== 'string' || s.id.length === 0) {
    throw new TypeError(`Expected \`${name}.id\` to be a non-empty string, got ${describeValue(s.id)}`);
  }
  if (typeof s.fetch !== 'function') {
    throw new TypeError(`Expected \`${name}.fetch\` to be a function, got ${describeValue(s.fetch)}`);
  }
  return value as HashListSource;
}

function checkSourceThread(value: unknown): boolean | 'auto' {
  if (value === undefined) return SCANNER_DEFAULTS.sourceThread;
  if (typeof value === 'boolean' || value === 'auto') return value;
  throw new TypeError(`Expected \`sourceThread\` to be true, false or "auto", got ${JSON.stringify(value) ?? typeof value}`);
}
