/**
 * The index factory: the one place that maps the stable names a user passes (`index: 'auto'`) to
 * implementations, and validates index options eagerly.
 *
 * @module
 */
import { AutoIndex } from './auto.js';
import { BkTreeIndex } from './bk-tree.js';
import { LinearIndex } from './linear.js';
import { MihIndex } from './mih.js';
import { type MihOptions, checkMihOptions } from './mih-plan.js';
import type { HashIndex } from './types.js';
import { describeValue } from './validate.js';

/** Names of the built-in Hamming indexes, stable across releases. */
export const INDEX_NAMES = ['auto', 'mih', 'bktree', 'linear'] as const;

/**
 * A built-in Hamming index name:
 * - `'auto'`: multi-index hashing with a per-query fallback to a scan when that is cheaper (the default);
 * - `'mih'`: multi-index hashing, always probing;
 * - `'bktree'`: BK-tree, competitive only for radii ≲ 8;
 * - `'linear'`: full scan, the reference.
 */
export type IndexName = (typeof INDEX_NAMES)[number];

/** The index {@link createHashIndex} builds when no name is given: the fastest measured (docs/performance.md). */
export const DEFAULT_INDEX: IndexName = 'auto';

/** Options for {@link createHashIndex}. The tuning fields apply to `'mih'` and `'auto'` only. */
export interface HashIndexOptions extends MihOptions {
  /**
   * Which index to build.
   *
   * @default DEFAULT_INDEX
   */
  name?: IndexName;
}

const TUNING_KEYS = ['substringBits', 'maxDeltaFraction', 'minDeltaEntries'] as const;
const KNOWN_KEYS = new Set<string>(['name', ...TUNING_KEYS]);

/** True when `value` is a built-in index name. */
export function isIndexName(value: unknown): value is IndexName {
  return typeof value === 'string' && (INDEX_NAMES as readonly string[]).includes(value);
}

/**
 * Builds an empty Hamming index by name or options.
 *
 * @example
 * ```ts
 * const index = createHashIndex();                              // 'auto', the measured default
 * const oracle = createHashIndex('linear');                     // full scan, the reference
 * const tuned = createHashIndex({ name: 'mih', substringBits: 20 });
 * ```
 * @throws {TypeError} for an unknown name, unknown option, or an option the chosen index does not take.
 * @throws {RangeError} for an out-of-range tuning value.
 */
export function createHashIndex(nameOrOptions: IndexName | HashIndexOptions = {}): HashIndex {
  const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : checkOptionsObject(nameOrOptions);
  const name = options.name ?? DEFAULT_INDEX;
  if (!isIndexName(name)) {
    throw new TypeError(
      `Expected \`name\` to be one of ${INDEX_NAMES.map((n) => `'${n}'`).join(', ')}, got ${describeValue(name)}`,
    );
  }
  const { name: _name, ...tuning } = options;
  if (name === 'linear' || name === 'bktree') {
    const extra = TUNING_KEYS.find((key) => tuning[key] !== undefined);
    if (extra !== undefined) {
      throw new TypeError(`Expected no \`${extra}\` option for the '${name}' index (it applies to 'mih' and 'auto')`);
    }
    return name === 'linear' ? new LinearIndex() : new BkTreeIndex();
  }
  checkMihOptions(tuning);
  return name === 'mih' ? new MihIndex(tuning) : new AutoIndex(tuning);
}

function checkOptionsObject(options: unknown): HashIndexOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected index options to be an index name or an object, got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).find((key) => !KNOWN_KEYS.has(key));
  if (unknown !== undefined) {
    throw new TypeError(
      `Expected index options to have only ${[...KNOWN_KEYS].map((k) => `\`${k}\``).join(', ')}, got \`${unknown}\``,
    );
  }
  return options as HashIndexOptions;
}
