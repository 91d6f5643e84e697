/**
 * The index factory: the one place that maps the stable names a user passes (`index: 'auto'`) to
 * implementations, and validates index options eagerly.
 *
 * @module
 */
import { LinearIndex } from './linear.js';
import type { HashIndex } from './types.js';
import { describeValue } from './validate.js';

/** Names of the built-in Hamming indexes, stable across releases. */
export const INDEX_NAMES = ['linear'] as const;

/** A built-in Hamming index name. */
export type IndexName = (typeof INDEX_NAMES)[number];

/** The index {@link createHashIndex} builds when no name is given. */
export const DEFAULT_INDEX: IndexName = 'linear';

/** Options for {@link createHashIndex}. */
export interface HashIndexOptions {
  /**
   * Which index to build.
   *
   * @default DEFAULT_INDEX
   */
  name?: IndexName;
}

/** True when `value` is a built-in index name. */
export function isIndexName(value: unknown): value is IndexName {
  return typeof value === 'string' && (INDEX_NAMES as readonly string[]).includes(value);
}

/**
 * Builds an empty Hamming index by name.
 *
 * @example
 * ```ts
 * const index = createHashIndex();            // the measured default
 * const oracle = createHashIndex('linear');   // full scan, the reference
 * ```
 * @throws {TypeError} for an unknown name or malformed options.
 */
export function createHashIndex(nameOrOptions: IndexName | HashIndexOptions = {}): HashIndex {
  const options: HashIndexOptions =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : checkOptions(nameOrOptions);
  const name = options.name ?? DEFAULT_INDEX;
  if (!isIndexName(name)) {
    throw new TypeError(
      `Expected \`name\` to be one of ${INDEX_NAMES.map((n) => `'${n}'`).join(', ')}, got ${describeValue(name)}`,
    );
  }
  switch (name) {
    case 'linear':
      return new LinearIndex();
  }
}

function checkOptions(options: unknown): HashIndexOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected index options to be an index name or an object, got ${describeValue(options)}`);
  }
  return options as HashIndexOptions;
}
