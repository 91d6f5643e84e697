/**
 * Checkpoint order, for the "a checkpoint never rewinds" assertion (HMA: "checkpoint time rewound? This can
 * indicate a serious problem with the API").
 *
 * A source defines the order of its own checkpoints with an optional `compareCheckpoints(a, b)` method (negative
 * when `a` is earlier); the built-in NCMEC and StopNCII sources do, with the helpers here. A source without one
 * (the list file: its checkpoint is a content hash) has no order and is not checked. Stored checkpoints come back
 * from JSON, so comparators must treat malformed values as "not comparable" (0) rather than throw.
 *
 * @module
 */
import type { HashListSource } from './types.js';

/** Orders two checkpoints of one source: negative when `a` is earlier, 0 when equal or not comparable. */
export type CheckpointComparator = (a: unknown, b: unknown) => number;

/** A source that orders its own checkpoints. */
export interface OrderedCheckpointSource<C = unknown> extends HashListSource<C> {
  compareCheckpoints(a: C, b: C): number;
}

/** The named field of a checkpoint object, or undefined. */
export function checkpointField(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Orders two ISO 8601 times; 0 when either is not one. */
export function compareIsoTimes(a: unknown, b: unknown): number {
  const x = typeof a === 'string' ? Date.parse(a) : Number.NaN;
  const y = typeof b === 'string' ? Date.parse(b) : Number.NaN;
  return Number.isNaN(x) || Number.isNaN(y) ? 0 : Math.sign(x - y);
}

/** Orders two finite numbers; 0 when either is not one. */
export function compareNumbers(a: unknown, b: unknown): number {
  return typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b) ? Math.sign(a - b) : 0;
}

/** The comparator for a source's checkpoints, or undefined when they have no order. */
export function checkpointComparator(source: HashListSource): CheckpointComparator | undefined {
  const own = source.compareCheckpoints;
  return typeof own === 'function' ? (a, b) => own.call(source, a, b) : undefined;
}
