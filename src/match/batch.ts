/**
 * Reads and validates an {@link IndexBatch} completely before an index touches its state, so a bad entry anywhere
 * in the batch leaves the index unchanged (never half-applied).
 *
 * @internal
 * @module
 */
import type { IndexBatch } from './types.js';
import { assertId, assertPdqBytes, describeValue } from './validate.js';

/** A validated batch: removals, then additions, in caller order. */
export interface CheckedBatch {
  removes: number[];
  addIds: number[];
  addHashes: Uint8Array[];
}

/** Materialises the iterables of `batch` and checks every id and hash. @throws {TypeError | RangeError} */
export function checkBatch(batch: IndexBatch): CheckedBatch {
  if (typeof batch !== 'object' || batch === null) {
    throw new TypeError(`Expected \`batch\` to be an object with \`remove\` and/or \`add\`, got ${describeValue(batch)}`);
  }
  const removes: number[] = [];
  const addIds: number[] = [];
  const addHashes: Uint8Array[] = [];
  if (batch.remove !== undefined) {
    let i = 0;
    for (const id of batch.remove) {
      assertId(id, `batch.remove[${i++}]`);
      removes.push(id);
    }
  }
  if (batch.add !== undefined) {
    let i = 0;
    for (const pair of batch.add) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`Expected \`batch.add[${i}]\` to be an [id, hash] pair, got ${describeValue(pair)}`);
      }
      assertId(pair[0], `batch.add[${i}][0]`);
      assertPdqBytes(pair[1], `batch.add[${i}][1]`);
      addIds.push(pair[0]);
      addHashes.push(pair[1]);
      i++;
    }
  }
  return { removes, addIds, addHashes };
}
