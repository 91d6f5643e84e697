/**
 * Reads and validates an {@link IndexBatch} completely before an index touches its state, so a bad entry anywhere
 * in the batch leaves the index unchanged (never half-applied). Arrays are validated in place, not copied, so a
 * bulk load of millions of entries does not double its transient memory.
 *
 * @internal
 * @module
 */
import type { IndexBatch } from './types.js';
import { assertId, assertPdqBytes, describeValue } from './validate.js';

/** An [id, hash] pair as accepted by `apply`. */
export type IndexPair = readonly [id: number, hash: Uint8Array];

/** A validated batch: removals, then additions, in caller order. */
export interface CheckedBatch {
  removes: readonly number[];
  adds: readonly IndexPair[];
  /** Largest id among the additions (-1 when none), so an index can size its id table once. */
  maxAddId: number;
}

const isId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
const isPdq = (v: unknown): boolean => v instanceof Uint8Array && v.length === 32;

/** Materialises (if not arrays) and checks every id and hash of `batch`. @throws {TypeError | RangeError} */
export function checkBatch(batch: IndexBatch): CheckedBatch {
  if (typeof batch !== 'object' || batch === null) {
    throw new TypeError(`Expected \`batch\` to be an object with \`remove\` and/or \`add\`, got ${describeValue(batch)}`);
  }
  const removes = batch.remove === undefined ? [] : Array.isArray(batch.remove) ? batch.remove : [...batch.remove];
  const adds = batch.add === undefined ? [] : Array.isArray(batch.add) ? batch.add : [...batch.add];
  // Cheap predicates first; the message (and its name string) is built only for a failing entry.
  for (let i = 0; i < removes.length; i++) if (!isId(removes[i])) assertId(removes[i], `batch.remove[${i}]`);
  let maxAddId = -1;
  for (let i = 0; i < adds.length; i++) {
    const pair: unknown = adds[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(`Expected \`batch.add[${i}]\` to be an [id, hash] pair, got ${describeValue(pair)}`);
    }
    const id: unknown = pair[0];
    if (!isId(id)) assertId(id, `batch.add[${i}][0]`);
    if (!isPdq(pair[1])) assertPdqBytes(pair[1], `batch.add[${i}][1]`);
    if ((id as number) > maxAddId) maxAddId = id as number;
  }
  return { removes, adds: adds as readonly IndexPair[], maxAddId };
}
