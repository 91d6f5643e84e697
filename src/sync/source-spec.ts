/**
 * How a built-in source can be re-created on a source thread: the factory's name and its options, resolved
 * (credentials read, defaults applied) and structured-cloneable. A source made with something that cannot cross
 * threads (an undici dispatcher, a custom clock) has no spec and runs on the syncing thread.
 *
 * @internal
 * @module
 */
import { type HttpClientOptions, pickHttpOptions } from './http.js';
import type { HashListSource } from './types.js';

const SOURCE_SPEC = Symbol.for('tidscan.sourceSpec');

/** A built-in source's factory and cloneable options. */
export interface SourceSpec {
  factory: 'ncmec' | 'stopncii' | 'file';
  options: Record<string, unknown>;
}

/**
 * The spec of a built-in source made with `options` and resolved to `resolved` (credentials read, defaults applied),
 * or undefined when `options` hold something that cannot cross threads: a dispatcher or a clock.
 */
export function sourceSpec(factory: SourceSpec['factory'], options: HttpClientOptions & { now?: unknown }, resolved: Record<string, unknown>): SourceSpec | undefined {
  if (options.dispatcher !== undefined || options.now !== undefined) return undefined;
  return { factory, options: { ...pickHttpOptions(options), ...resolved } };
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
