/**
 * The Hamming-index plug-in interface. Every index stores 256-bit PDQ hashes (32 packed bytes, see
 * `hash/hex.ts`) under caller-assigned numeric ids and answers radius queries exactly: the result of
 * `query(h, r)` is every stored `(id, distance)` with distance <= r, sorted by distance, then id.
 *
 * @module
 */

/** One index hit. */
export interface IndexMatch {
  /** The id the hash was added under. */
  id: number;
  /** Hamming distance to the query (0–256). */
  distance: number;
}

/** A batch of changes applied as one step: removals first, then additions. */
export interface IndexBatch {
  remove?: Iterable<number>;
  add?: Iterable<readonly [id: number, hash: Uint8Array]>;
}

/** Exact Hamming-distance index over 256-bit hashes. */
export interface HashIndex {
  /** Stable unique name, the one a user passes as `index: '...'`. */
  readonly name: string;
  /** Number of live entries. */
  readonly size: number;
  /** Adds (or replaces) the hash stored under `id`. `id` is a uint32. */
  add(id: number, hash: Uint8Array): void;
  /** Removes `id`; returns false when it was not present. */
  remove(id: number): boolean;
  /** True when `id` is present. */
  has(id: number): boolean;
  /** Applies a batch synchronously; queries never observe half of it. */
  apply(batch: IndexBatch): void;
  /** All entries within `maxDistance` (inclusive) of `hash`, sorted by distance then id. */
  query(hash: Uint8Array, maxDistance: number): IndexMatch[];
  /** `query` for several hashes (e.g. the 8 dihedral variants); one result array per input, same order. */
  queryMany(hashes: readonly Uint8Array[], maxDistance: number): IndexMatch[][];
  /**
   * The hash stored under `id` (a copy), or undefined when `id` is not present. Optional for plug-in indexes: a
   * `HashList` whose index has it holds its entries' JSON without the PDQ hex (it reads the hash back from here).
   */
  hashOf?(id: number): Uint8Array | undefined;
  /**
   * Makes room for `size` entries in all, a capacity hint before a bulk load (a hash list's ids are dense, from
   * 0), so that adding up to there regrows nothing. Optional for plug-in indexes; never shrinks.
   */
  reserve?(size: number): void;
  /** Estimated bytes held by the index structures (not counting the caller's copies of the hashes). */
  memoryBytes(): number;
  /** Removes everything. */
  clear(): void;
}
