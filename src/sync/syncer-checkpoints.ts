/**
 * Checkpoint order, for the "a checkpoint never rewinds" assertion (HMA: "checkpoint time rewound? This can
 * indicate a serious problem with the API").
 *
 * A source can define the order itself with a `compareCheckpoints(a, b)` method (negative when `a` is earlier).
 * Without one, the built-in sources' persisted checkpoint formats are ordered here:
 * - `ncmec`: `windowEnd` (only advances once a window is exhausted; pages inside a window keep it).
 * - `stopncii`: `lastFetchAt`, then `nextSetTimestamp`. A stale checkpoint restarts the full fetch from the
 *   beginning (`nextSetTimestamp` drops) but with a new, later `lastFetchAt`, so that legitimate restart is not a
 *   rewind while a `nextSetTimestamp` going back within the same fetch generation is.
 * Other sources (the list file: a content hash) have no order and are not checked.
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

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function compareIso(a: unknown, b: unknown): number {
  const x = typeof a === 'string' ? Date.parse(a) : Number.NaN;
  const y = typeof b === 'string' ? Date.parse(b) : Number.NaN;
  return Number.isNaN(x) || Number.isNaN(y) ? 0 : Math.sign(x - y);
}

function compareNumber(a: unknown, b: unknown): number {
  return typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b) ? Math.sign(a - b) : 0;
}

const BUILT_IN: Record<string, CheckpointComparator> = {
  ncmec: (a, b) => compareIso(field(a, 'windowEnd'), field(b, 'windowEnd')),
  stopncii: (a, b) =>
    compareIso(field(a, 'lastFetchAt'), field(b, 'lastFetchAt')) || compareNumber(field(a, 'nextSetTimestamp'), field(b, 'nextSetTimestamp')),
};

/** The comparator for a source's checkpoints, or undefined when they have no order. */
export function checkpointComparator(source: HashListSource): CheckpointComparator | undefined {
  const own = (source as Partial<OrderedCheckpointSource>).compareCheckpoints;
  if (typeof own === 'function') return (a, b) => own.call(source, a, b);
  return Object.hasOwn(BUILT_IN, source.name) ? BUILT_IN[source.name] : undefined;
}
