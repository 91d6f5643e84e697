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
}

/** Materialises (if not arrays) and checks every id and hash of `batch`. @throws {TypeError | RangeError} */
export function checkBatch(batch: IndexBatch): CheckedBatch {
  if (typeof batch !== 'object' || batch === null) {
    throw new TypeError(`Expected \`batch\` to be an object with \`remove\` and/or \`add\`, got ${describeValue(batch)}`);
  }
  const removes = batch.remove === undefined ? [] : Array.isArray(batch.remove) ? batch.remove : [...batch.remove];
  const adds = batch.add === undefined ? [] : Array.isArray(batch.add) ? batch.add : [...batch.add];
  for (let i = 0; i < removes.length; i++) assertId(removes[i], `batch.remove[${i}]`);
  for (let i = 0; i < adds.length; i++) {
    const pair: unknown = adds[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(`Expected \`batch.add[${i}]\` to be an [id, hash] pair, got ${describeValue(pair)}`);
    }
    assertId(pair[0], `batch.add[${i}][0]`);
    assertPdqBytes(pair[1], `batch.add[${i}][1]`);
  }
  return { removes, adds: adds as readonly IndexPair[] };
}
