/**
 * Reads and validates an {@link IndexBatch} completely before an index touches its state, so a bad entry anywhere
 * in the batch leaves the index unchanged (never half-applied).
 *
 * Arrays of pairs are validated in place, not copied. Other iterables (a generator over a store's rows, say) are
 * read once into a packed form, ids in a `Uint32Array` and hashes in one `Uint8Array`, so a 10M-entry reload never
 * holds 10M `[id, hash]` pair objects at once (that much live heap makes every large allocation a full GC).
 *
 * @internal
 * @module
 */
import type { IndexBatch } from './types.js';
import { assertId, assertPdqBytes, describeValue } from './validate.js';

/** An [id, hash] pair as accepted by `apply`. */
export type IndexPair = readonly [id: number, hash: Uint8Array];

/** Validated additions: either the caller's array of pairs or a packed copy. */
export interface CheckedAdds {
  readonly count: number;
  /** The caller's pairs (when `add` was an array), else null. */
  readonly pairs: readonly IndexPair[] | null;
  /** Packed ids and hashes (32 bytes each, in order) when `add` was another iterable. */
  readonly ids: Uint32Array;
  readonly hashes: Uint8Array;
}

/** A validated batch: removals, then additions, in caller order. */
export interface CheckedBatch {
  removes: readonly number[];
  adds: CheckedAdds;
  /** Largest id among the additions (-1 when none), so an index can size its id table once. */
  maxAddId: number;
}

/**
 * Additions a caller has already packed and checked: ids in a `Uint32Array` and their hashes as 32-byte rows of one
 * `Uint8Array`. The built-in indexes read them in place; to any other index they are an ordinary iterable of
 * pairs. The hash list hands its PDQ additions to the index this way: a generator of `[id, subarray]` pairs cost
 * a typed-array view and a tuple per entry, and V8 recompiled the consuming loop on most batches of a sync.
 *
 * @internal
 */
export class PackedAdds implements Iterable<IndexPair> {
  /**
   * @param ids - the ids, `count` of them.
   * @param hashes - at least `count * 32` bytes: the hash of `ids[i]` at `i * 32`.
   * @param count - the number of additions.
   */
  constructor(
    readonly ids: Uint32Array,
    readonly hashes: Uint8Array,
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 0 || count > ids.length || count * 32 > hashes.length) {
      throw new RangeError(`Expected \`count\` to fit ${ids.length} ids and ${hashes.length} hash bytes, got ${describeValue(count)}`);
    }
  }

  *[Symbol.iterator](): Iterator<IndexPair> {
    for (let i = 0; i < this.count; i++) yield [this.ids[i]!, this.hashes.subarray(i * 32, i * 32 + 32)];
  }
}

const isId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
const isPdq = (v: unknown): boolean => v instanceof Uint8Array && v.length === 32;
const EMPTY_IDS = new Uint32Array(0);
const EMPTY_BYTES = new Uint8Array(0);

/** Checks one addition; the message (and its name string) is built only when it fails. */
function checkPair(pair: unknown, i: number): asserts pair is IndexPair {
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw new TypeError(`Expected \`batch.add[${i}]\` to be an [id, hash] pair, got ${describeValue(pair)}`);
  }
  if (!isId(pair[0])) assertId(pair[0], `batch.add[${i}][0]`);
  if (!isPdq(pair[1])) assertPdqBytes(pair[1], `batch.add[${i}][1]`);
}

/** Reads and checks every id and hash of `batch`. @throws {TypeError | RangeError} */
export function checkBatch(batch: IndexBatch): CheckedBatch {
  if (typeof batch !== 'object' || batch === null) {
    throw new TypeError(`Expected \`batch\` to be an object with \`remove\` and/or \`add\`, got ${describeValue(batch)}`);
  }
  const removes = batch.remove === undefined ? [] : Array.isArray(batch.remove) ? batch.remove : [...batch.remove];
  for (let i = 0; i < removes.length; i++) if (!isId(removes[i])) assertId(removes[i], `batch.remove[${i}]`);
  let maxAddId = -1;
  let adds: CheckedAdds;
  if (batch.add === undefined) {
    adds = { count: 0, pairs: [], ids: EMPTY_IDS, hashes: EMPTY_BYTES };
  } else if (Array.isArray(batch.add)) {
    const pairs = batch.add as readonly unknown[];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      checkPair(pair, i);
      if (pair[0] > maxAddId) maxAddId = pair[0];
    }
    adds = { count: pairs.length, pairs: pairs as readonly IndexPair[], ids: EMPTY_IDS, hashes: EMPTY_BYTES };
  } else if (batch.add instanceof PackedAdds) {
    // Checked when packed: every uint32 is an id and the hash rows are 32 bytes by construction.
    const { ids, hashes, count } = batch.add;
    for (let i = 0; i < count; i++) if (ids[i]! > maxAddId) maxAddId = ids[i]!;
    adds = { count, pairs: null, ids, hashes };
  } else {
    // Small to start: an index often gets batches of one (a list applying a single update).
    let ids = new Uint32Array(16);
    let hashes = new Uint8Array(16 * 32);
    let count = 0;
    for (const pair of batch.add as Iterable<unknown>) {
      checkPair(pair, count);
      if (count === ids.length) {
        const grownIds = new Uint32Array(ids.length * 2);
        grownIds.set(ids);
        const grownHashes = new Uint8Array(hashes.length * 2);
        grownHashes.set(hashes);
        ids = grownIds;
        hashes = grownHashes;
      }
      ids[count] = pair[0];
      hashes.set(pair[1], count * 32);
      if (pair[0] > maxAddId) maxAddId = pair[0];
      count++;
    }
    adds = { count, pairs: null, ids, hashes };
  }
  return { removes, adds, maxAddId };
}

/** Calls `add(id, bytes, offset)` for each addition in order; the hash is `bytes[offset .. offset + 32)`. */
export function forEachAdd(adds: CheckedAdds, add: (id: number, bytes: Uint8Array, offset: number) => void): void {
  const pairs = adds.pairs;
  if (pairs !== null) {
    for (let i = 0; i < pairs.length; i++) add(pairs[i]![0], pairs[i]![1], 0);
    return;
  }
  for (let i = 0; i < adds.count; i++) add(adds.ids[i]!, adds.hashes, i * 32);
}
