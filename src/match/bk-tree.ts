/**
 * `bktree`: the BK-tree the product was first specified with, kept in flat typed arrays.
 *
 * Every node stores one distinct hash; child `c` of node `p` sits at `edge[c] = distance(p, c)`, siblings sorted by
 * edge, so a search at distance `d` from `p` walks only the children with edge in `[d - r, d + r]`. Ids sharing a
 * hash hang off the node in a duplicate list instead of forming a 0-edge chain (which would make inserts O(k) in
 * the number of duplicates). Searches are iterative over an explicit stack.
 *
 * Removals: a leaf is unlinked at once (and childless dead ancestors with it); an inner node becomes a tombstone
 * that still routes searches, and is revived when the same hash is added again. When tombstones outnumber live
 * nodes the tree is rebuilt from its live entries: an O(n log n) pause, amortised over at least n/2 removals.
 *
 * Why it is not the default: unrelated PDQ hashes sit ~128 ± 8 bits apart, so at r = 31 the window
 * `[d - 31, d + 31]` covers almost every child and a query visits nearly every node (see docs/performance.md).
 *
 * @module
 */
import { checkBatch, forEachAdd } from './batch.js';
import { IdTable } from './id-table.js';
import { MatchBuffer } from './match-buffer.js';
import { WORDS_PER_HASH, nextCapacity, packHash, unpackHash, wordDistance } from './packed.js';
import type { HashIndex, IndexBatch, IndexMatch } from './types.js';
import { assertCapacity, assertId, assertMaxDistance, assertPdqBytes } from './validate.js';

const NONE = -1;
/** `parent` value of a record that is not a tree node but a duplicate of one. */
const DUPLICATE = -2;
/** Tombstones tolerated before a rebuild, as a floor (small trees never rebuild for a few removals). */
const MIN_TOMBSTONES_FOR_REBUILD = 256;

/**
 * Exact Hamming index as a BK-tree. Competitive with a scan only for small radii (r ≲ 8 on PDQ data).
 *
 * @example
 * ```ts
 * const index = new BkTreeIndex();
 * index.apply({ add: [[1, h1], [2, h2]] });
 * index.query(h1, 8);
 * ```
 */
export class BkTreeIndex implements HashIndex {
  /** Always `'bktree'`. */
  readonly name = 'bktree';
  // Per record (tree node or duplicate).
  #words = new Uint32Array(0);
  #ids = new Uint32Array(0);
  #alive = new Uint8Array(0);
  #parent = new Int32Array(0);
  #edge = new Uint16Array(0);
  #firstChild = new Int32Array(0);
  #nextSibling = new Int32Array(0);
  #prevSibling = new Int32Array(0);
  #dupNext = new Int32Array(0);
  #dupPrev = new Int32Array(0);
  #used = 0;
  #free: number[] = [];
  #root = NONE;
  #live = 0;
  #tombstones = 0;
  #recordOf = new IdTable();
  #stack = new Int32Array(256);
  #hits = new MatchBuffer();
  #query = new Uint32Array(WORDS_PER_HASH);

  /** Number of live entries. */
  get size(): number {
    return this.#live;
  }

  /** Dead inner nodes still routing searches (exposed for tests and diagnostics). @internal */
  get tombstones(): number {
    return this.#tombstones;
  }

  /** Adds (or replaces) the hash stored under `id`. */
  add(id: number, hash: Uint8Array): void {
    assertId(id);
    assertPdqBytes(hash);
    this.#add(id, hash);
  }

  /** Removes `id`; returns false when it was not present. */
  remove(id: number): boolean {
    assertId(id);
    const removed = this.#remove(id);
    if (removed) this.#maybeRebuild();
    return removed;
  }

  /** True when `id` is present. */
  has(id: number): boolean {
    assertId(id);
    return this.#recordOf.get(id) >= 0;
  }

  /** The hash stored under `id` (a copy), or undefined. */
  hashOf(id: number): Uint8Array | undefined {
    assertId(id);
    const n = this.#recordOf.get(id);
    return n < 0 ? undefined : unpackHash(this.#words, n * WORDS_PER_HASH);
  }

  /** Applies removals, then additions, as one synchronous step; a bad entry rejects the whole batch. */
  apply(batch: IndexBatch): void {
    const { removes, adds, maxAddId } = checkBatch(batch);
    for (const id of removes) this.#remove(id);
    this.#reserve(this.#used + adds.count);
    this.#recordOf.reserve(adds.count, maxAddId);
    forEachAdd(adds, (id, bytes, from) => this.#add(id, bytes, from));
    this.#maybeRebuild();
  }

  /** Every entry within `maxDistance` of `hash`, sorted by distance then id. */
  query(hash: Uint8Array, maxDistance: number): IndexMatch[] {
    assertPdqBytes(hash);
    assertMaxDistance(maxDistance);
    return this.#run(hash, maxDistance);
  }

  /** `query` for each hash, one result array per input. */
  queryMany(hashes: readonly Uint8Array[], maxDistance: number): IndexMatch[][] {
    hashes.forEach((h, i) => assertPdqBytes(h, `hashes[${i}]`));
    assertMaxDistance(maxDistance);
    return hashes.map((h) => this.#run(h, maxDistance));
  }

  /** Bytes held by the node arrays, free list and id table. */
  memoryBytes(): number {
    return (
      this.#words.byteLength +
      this.#ids.byteLength +
      this.#alive.byteLength +
      this.#parent.byteLength +
      this.#edge.byteLength +
      this.#firstChild.byteLength * 5 +
      this.#stack.byteLength +
      this.#free.length * 8 +
      this.#recordOf.memoryBytes()
    );
  }

  /**
   * Makes room for `size` records in all (removed ones count until a rebuild drops them; ids below `size`, as a
   * hash list's are), so that adding up to there regrows nothing: a capacity hint before a bulk load. Never
   * shrinks.
   *
   * @throws {TypeError | RangeError} when `size` is not an integer from 0 to 2^32-1.
   */
  reserve(size: number): void {
    assertCapacity(size);
    if (size > this.#ids.length) this.#resize(size);
    this.#recordOf.reserve(size - this.#recordOf.size, size - 1);
  }

  /** Removes everything and releases the storage. */
  clear(): void {
    this.#resize(0);
    this.#used = 0;
    this.#free = [];
    this.#root = NONE;
    this.#live = 0;
    this.#tombstones = 0;
    this.#recordOf.clear();
  }

  #run(hash: Uint8Array, r: number): IndexMatch[] {
    const q = this.#query;
    packHash(hash, q, 0);
    const hits = this.#hits;
    hits.reset();
    if (this.#root === NONE) return hits.finish();
    const words = this.#words;
    const edge = this.#edge;
    const firstChild = this.#firstChild;
    const nextSibling = this.#nextSibling;
    let stack: Int32Array = this.#stack;
    let top = 0;
    stack[top++] = this.#root;
    while (top > 0) {
      const n = stack[--top]!;
      const d = wordDistance(q, 0, words, n * WORDS_PER_HASH);
      if (d <= r) this.#emit(n, d);
      const lo = d - r;
      const hi = d + r;
      for (let c = firstChild[n]!; c !== NONE; c = nextSibling[c]!) {
        const e = edge[c]!;
        if (e < lo) continue;
        if (e > hi) break;
        if (top === stack.length) stack = this.#growStack();
        stack[top++] = c;
      }
    }
    return hits.finish();
  }

  #emit(n: number, d: number): void {
    if (this.#alive[n] === 1) this.#hits.push(this.#ids[n]!, d);
    for (let k = this.#dupNext[n]!; k !== NONE; k = this.#dupNext[k]!) this.#hits.push(this.#ids[k]!, d);
  }

  #growStack(): Int32Array {
    const grown = new Int32Array(this.#stack.length * 2);
    grown.set(this.#stack);
    return (this.#stack = grown);
  }

  #add(id: number, hash: Uint8Array, from = 0): void {
    this.#remove(id);
    const n = this.#alloc();
    packHash(hash, this.#words, n * WORDS_PER_HASH, from);
    this.#ids[n] = id;
    this.#alive[n] = 1;
    this.#firstChild[n] = NONE;
    this.#dupNext[n] = NONE;
    this.#dupPrev[n] = NONE;
    this.#live++;
    this.#recordOf.set(id, n);
    if (this.#root === NONE) {
      this.#root = n;
      this.#parent[n] = NONE;
      this.#nextSibling[n] = NONE;
      this.#prevSibling[n] = NONE;
      return;
    }
    this.#insert(n);
  }

  /** Links record `n` (hash and id already set) into the tree below the root. */
  #insert(n: number): void {
    const words = this.#words;
    const edge = this.#edge;
    const nextSibling = this.#nextSibling;
    let p = this.#root;
    for (;;) {
      const d = wordDistance(words, n * WORDS_PER_HASH, words, p * WORDS_PER_HASH);
      if (d === 0) {
        this.#attachDuplicate(p, n);
        return;
      }
      let prev = NONE;
      let c = this.#firstChild[p]!;
      while (c !== NONE && edge[c]! < d) {
        prev = c;
        c = nextSibling[c]!;
      }
      if (c !== NONE && edge[c] === d) {
        p = c;
        continue;
      }
      // Insert n between prev and c in p's sorted child list.
      this.#parent[n] = p;
      edge[n] = d;
      this.#prevSibling[n] = prev;
      nextSibling[n] = c;
      if (prev === NONE) this.#firstChild[p] = n;
      else nextSibling[prev] = n;
      if (c !== NONE) this.#prevSibling[c] = n;
      return;
    }
  }

  /** `n` has the same hash as tree node `p`: revive `p` if it is a tombstone, else queue `n` as a duplicate. */
  #attachDuplicate(p: number, n: number): void {
    if (this.#alive[p] === 0) {
      const id = this.#ids[n]!;
      this.#ids[p] = id;
      this.#alive[p] = 1;
      this.#tombstones--;
      this.#recordOf.set(id, p);
      this.#alive[n] = 0;
      this.#free.push(n);
      return;
    }
    this.#parent[n] = DUPLICATE;
    const head = this.#dupNext[p]!;
    this.#dupNext[n] = head;
    this.#dupPrev[n] = p;
    if (head !== NONE) this.#dupPrev[head] = n;
    this.#dupNext[p] = n;
  }

  #remove(id: number): boolean {
    const n = this.#recordOf.delete(id);
    if (n < 0) return false;
    this.#live--;
    if (this.#parent[n] === DUPLICATE) {
      const prev = this.#dupPrev[n]!;
      const next = this.#dupNext[n]!;
      this.#dupNext[prev] = next;
      if (next !== NONE) this.#dupPrev[next] = prev;
      this.#alive[n] = 0;
      this.#free.push(n);
      return true;
    }
    const dup = this.#dupNext[n]!;
    if (dup !== NONE) {
      // A duplicate takes over the tree node; its own record is freed.
      const dupId = this.#ids[dup]!;
      this.#ids[n] = dupId;
      this.#recordOf.set(dupId, n);
      const next = this.#dupNext[dup]!;
      this.#dupNext[n] = next;
      if (next !== NONE) this.#dupPrev[next] = n;
      this.#alive[dup] = 0;
      this.#free.push(dup);
      return true;
    }
    this.#alive[n] = 0;
    this.#tombstones++;
    this.#pruneDeadLeaves(n);
    return true;
  }

  /** Unlinks `n` and then each dead ancestor that became childless. */
  #pruneDeadLeaves(n: number): void {
    while (n !== NONE && this.#alive[n] === 0 && this.#firstChild[n] === NONE) {
      const p = this.#parent[n]!;
      if (p === NONE) this.#root = NONE;
      else {
        const prev = this.#prevSibling[n]!;
        const next = this.#nextSibling[n]!;
        if (prev === NONE) this.#firstChild[p] = next;
        else this.#nextSibling[prev] = next;
        if (next !== NONE) this.#prevSibling[next] = prev;
      }
      this.#tombstones--;
      this.#free.push(n);
      n = p;
    }
  }

  #maybeRebuild(): void {
    if (this.#tombstones < MIN_TOMBSTONES_FOR_REBUILD || this.#tombstones <= this.#live) return;
    const live: number[] = [];
    for (let n = 0; n < this.#used; n++) if (this.#alive[n] === 1) live.push(n);
    const words = this.#words;
    const ids = this.#ids;
    this.clear();
    this.#reserve(live.length);
    for (const n of live) {
      const id = ids[n]!;
      const m = this.#alloc();
      this.#words.set(words.subarray(n * WORDS_PER_HASH, (n + 1) * WORDS_PER_HASH), m * WORDS_PER_HASH);
      this.#ids[m] = id;
      this.#alive[m] = 1;
      this.#firstChild[m] = NONE;
      this.#dupNext[m] = NONE;
      this.#dupPrev[m] = NONE;
      this.#live++;
      this.#recordOf.set(id, m);
      if (this.#root === NONE) {
        this.#root = m;
        this.#parent[m] = NONE;
        this.#nextSibling[m] = NONE;
        this.#prevSibling[m] = NONE;
      } else this.#insert(m);
    }
  }

  #alloc(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    this.#reserve(this.#used + 1);
    return this.#used++;
  }

  #reserve(records: number): void {
    if (records > this.#ids.length) this.#resize(nextCapacity(this.#ids.length, records));
  }


  #resize(cap: number): void {
    const grow = <T extends Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: T, b: T): T => {
      b.set(a.subarray(0, Math.min(a.length, b.length)));
      return b;
    };
    this.#words = grow(this.#words, new Uint32Array(cap * WORDS_PER_HASH));
    this.#ids = grow(this.#ids, new Uint32Array(cap));
    this.#alive = grow(this.#alive, new Uint8Array(cap));
    this.#parent = grow(this.#parent, new Int32Array(cap));
    this.#edge = grow(this.#edge, new Uint16Array(cap));
    this.#firstChild = grow(this.#firstChild, new Int32Array(cap));
    this.#nextSibling = grow(this.#nextSibling, new Int32Array(cap));
    this.#prevSibling = grow(this.#prevSibling, new Int32Array(cap));
    this.#dupNext = grow(this.#dupNext, new Int32Array(cap));
    this.#dupPrev = grow(this.#dupPrev, new Int32Array(cap));
  }
}
