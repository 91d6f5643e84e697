/**
 * How a built-in source can be re-created on a source thread: the factory's name and its options, resolved
 * (credentials read, defaults applied) and structured-cloneable. A source made with something that cannot cross
 * threads (an undici dispatcher, a custom clock) has no spec and runs on the syncing thread.
 *
 * @internal
 * @module
 */
import type { HashListSource } from './types.js';

const SOURCE_SPEC = Symbol.for('tidscan.sourceSpec');

/** A built-in source's factory and cloneable options. */
export interface SourceSpec {
  factory: 'ncmec' | 'stopncii' | 'file';
  options: Record<string, unknown>;
}

/** Attaches `spec` to `source` (not enumerable, so it is not in logs or JSON). */
export function withSourceSpec<S extends HashListSource>(source: S, spec: SourceSpec | undefined): S {
  if (spec !== undefined) Object.defineProperty(source, SOURCE_SPEC, { value: spec });
  return source;
}

/** The spec of a built-in source, or undefined. */
export function sourceSpecOf(source: HashListSource): SourceSpec | undefined {
  const spec = (source as unknown as Record<symbol, unknown>)[SOURCE_SPEC];
  return typeof spec === 'object' && spec !== null ? (spec as SourceSpec) : undefined;
}
