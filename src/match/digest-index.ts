/**
 * Exact-digest lookup (MD5, SHA-1, SHA-256) over compact bytes. Each distinct digest is stored once as packed
 * words in a group; the ids that share it hang off the group in a doubly linked list, so adding or removing one
 * id is O(1) even when thousands of list entries share a digest (the MD5 of an empty file, say).
 *
 * @module
 */
import { IdTable } from './id-table.js';
import { nextCapacity, unpackWords } from './packed.js';
import { cellOfPair, deletePairAt, pairHome, pairSeed, placePair, regrowPairs } from './pair-table.js';
import { assertBytes, assertCapacity, assertId, describeValue } from './validate.js';

/** Digest sizes in bytes: MD5 (16), SHA-1 (20), SHA-256 (32). */
export type DigestBytes = 16 | 20 | 32;

const DIGEST_NAMES: Record<DigestBytes, string> = { 16: 'an MD5 digest', 20: 'a SHA-1 digest', 32: 'a SHA-256 digest' };
const MAX_LOAD = 0.7;
const MIN_TABLE_BITS = 4;
const NONE = -1;

/**
 * Maps digests to the ids stored under them. One id holds one digest; a digest may be held by many ids.
 *
 * @example
 * ```ts
 * const md5 = new DigestIndex(16);
 * md5.add(1, parseHex('md5', 'd41d8cd98f00b204e9800998ecf8427e'));
 * md5.add(9, parseHex('md5', 'd41d8cd98f00b204e9800998ecf8427e'));
 * md5.lookup(parseHex('md5', 'd41d8cd98f00b204e9800998ecf8427e')); // [1, 9]
 * ```
 */
export class DigestIndex {
  /** Digest length in bytes. */
  readonly bytes: DigestBytes;
  readonly #wordsPer: number;
  readonly #scratch: Uint32Array;
  /** Hash of the scratch digest, set by {@link #find}. */
  #scratchHash = 0;

  // Groups: one per distinct digest.
  #gWords = new Uint32Array(0);
  #gHead = new Int32Array(0);
  #gFree: number[] = [];
  #gUsed = 0;
  // Open-addressing table of [hash, group + 1] pairs (group + 1 === 0: empty). The stored hash spares a probe
  // the group's words (a cache miss in a big index) unless the hashes match, and rehashing the digest.
  #table = new Uint32Array(2 << MIN_TABLE_BITS);
  #tableBits = MIN_TABLE_BITS;
  readonly #seed = pairSeed();
  #groups = 0;
  // Records: one per id.
  #rId = new Uint32Array(0);
  #rGroup = new Uint32Array(0);
  #rNext = new Int32Array(0);
  #rPrev = new Int32Array(0);
  #rFree: number[] = [];
  #rUsed = 0;
  #recordOf = new IdTable();

  /**
   * @param bytes - digest length: 16 (MD5), 20 (SHA-1) or 32 (SHA-256).
   * @throws {RangeError} for any other length.
   */
  constructor(bytes: DigestBytes) {
    if (bytes !== 16 && bytes !== 20 && bytes !== 32) {
      throw new RangeError(`Expected \`bytes\` to be 16, 20 or 32, got ${describeValue(bytes)}`);
    }
    this.bytes = bytes;
    this.#wordsPer = bytes / 4;
    this.#scratch = new Uint32Array(this.#wordsPer);
  }

  /** Number of ids held. */
  get size(): number {
    return this.#recordOf.size;
  }

  /** Number of distinct digests held. */
  get digestCount(): number {
    return this.#groups;
  }

  /** Stores `digest` under `id`, replacing the digest `id` held before. */
  add(id: number, digest: Uint8Array): void {
    assertId(id);
    this.#check(digest);
    this.#removeId(id);
    this.#pack(digest);
    let g = this.#find();
    if (g < 0) g = this.#newGroup(-1 - g);
    const r = this.#newRecord();
    this.#rId[r] = id;
    this.#rGroup[r] = g;
    const head = this.#gHead[g]!;
    this.#rPrev[r] = NONE;
    this.#rNext[r] = head;
    if (head !== NONE) this.#rPrev[head] = r;
    this.#gHead[g] = r;
    this.#recordOf.set(id, r);
  }

  /** Removes `id`; returns false when it was not present. */
  remove(id: number): boolean {
    assertId(id);
    return this.#removeId(id);
  }

  /** True when `id` is present. */
  has(id: number): boolean {
    assertId(id);
    return this.#recordOf.get(id) >= 0;
  }

  /** The digest stored under `id` (a copy), or undefined. */
  digestOf(id: number): Uint8Array | undefined {
    assertId(id);
    const r = this.#recordOf.get(id);
    return r < 0 ? undefined : unpackWords(this.#gWords, this.#rGroup[r]! * this.#wordsPer, this.#wordsPer);
  }

  /** The ids holding `digest`, ascending; empty when none. */
  lookup(digest: Uint8Array): readonly number[] {
    this.#check(digest);
    this.#pack(digest);
    const g = this.#find();
    if (g < 0) return [];
    const ids: number[] = [];
    for (let r = this.#gHead[g]!; r !== NONE; r = this.#rNext[r]!) ids.push(this.#rId[r]!);
    return ids.length > 1 ? ids.sort((a, b) => a - b) : ids;
  }

  /**
   * Makes room for `size` ids (and as many distinct digests) in all, so that adding up to there regrows nothing:
   * a capacity hint before a bulk load. Memory is allocated now, but only what is used is ever touched. Never
   * shrinks.
   *
   * @throws {TypeError | RangeError} when `size` is not an integer from 0 to 2^32-1.
   */
  reserve(size: number): void {
    assertCapacity(size);
    if (size > this.#gHead.length) this.#growGroups(size);
    if (size > this.#rId.length) this.#growRecords(size);
    let bits = this.#tableBits;
    while (size > 2 ** bits * MAX_LOAD) bits++;
    if (bits !== this.#tableBits) {
      this.#tableBits = bits;
      this.#table = regrowPairs(this.#table, bits);
    }
    this.#recordOf.reserve(size - this.#recordOf.size, size - 1);
  }

  /** Removes everything and releases the storage. */
  clear(): void {
    this.#gWords = new Uint32Array(0);
    this.#gHead = new Int32Array(0);
    this.#gFree = [];
    this.#gUsed = 0;
    this.#table = new Uint32Array(2 << MIN_TABLE_BITS);
    this.#tableBits = MIN_TABLE_BITS;
    this.#groups = 0;
    this.#rId = new Uint32Array(0);
    this.#rGroup = new Uint32Array(0);
    this.#rNext = new Int32Array(0);
    this.#rPrev = new Int32Array(0);
    this.#rFree = [];
    this.#rUsed = 0;
    this.#recordOf.clear();
  }

  /** Estimated bytes held by the index structures. */
  memoryBytes(): number {
    return (
      this.#gWords.byteLength +
      this.#gHead.byteLength +
      this.#table.byteLength +
      this.#rId.byteLength * 4 +
      (this.#gFree.length + this.#rFree.length) * 8 +
      this.#recordOf.memoryBytes()
    );
  }

  #check(digest: unknown): asserts digest is Uint8Array {
    assertBytes(digest, this.bytes, 'digest', DIGEST_NAMES[this.bytes]);
  }

  #pack(digest: Uint8Array): void {
    const s = this.#scratch;
    for (let w = 0, b = 0; w < s.length; w++, b += 4) {
      s[w] = (digest[b]! << 24) | (digest[b + 1]! << 16) | (digest[b + 2]! << 8) | digest[b + 3]!;
    }
  }

  /** Seeded hash of a packed digest: digests are uniform, but a list server could craft colliding ones. */
  #hash(words: Uint32Array, offset: number): number {
    let h = 0x811c9dc5 ^ this.#seed;
    for (let w = 0; w < this.#wordsPer; w++) h = Math.imul(h ^ words[offset + w]!, 0x01000193) ^ (h >>> 15);
    return Math.imul(h, 0x9e3779b1) >>> 0;
  }

  #sameAsScratch(g: number): boolean {
    const s = this.#scratch;
    const o = g * this.#wordsPer;
    for (let w = 0; w < s.length; w++) if (this.#gWords[o + w] !== s[w]) return false;
    return true;
  }

  /** Group holding the scratch digest, or `-1 - cell` for the empty cell where it would go. */
  #find(): number {
    const table = this.#table;
    const mask = (1 << this.#tableBits) - 1;
    const hash = (this.#scratchHash = this.#hash(this.#scratch, 0));
    for (let i = pairHome(hash, this.#tableBits); ; i = (i + 1) & mask) {
      const v = table[2 * i + 1]!;
      if (v === 0) return -1 - i;
      if (table[2 * i] === hash && this.#sameAsScratch(v - 1)) return v - 1;
    }
  }

  /** A group for the scratch digest, placed in table cell `cell` (from {@link #find}). */
  #newGroup(cell: number): number {
    let g = this.#gFree.pop();
    if (g === undefined) {
      g = this.#gUsed++;
      if (g >= this.#gHead.length) this.#growGroups(nextCapacity(this.#gHead.length, g + 1));
    }
    this.#gWords.set(this.#scratch, g * this.#wordsPer);
    this.#gHead[g] = NONE;
    const hash = this.#scratchHash;
    if (++this.#groups > (1 << this.#tableBits) * MAX_LOAD) {
      this.#table = regrowPairs(this.#table, ++this.#tableBits);
      placePair(this.#table, this.#tableBits, hash, g);
    } else {
      this.#table[2 * cell] = hash;
      this.#table[2 * cell + 1] = g + 1;
    }
    return g;
  }

  #deleteGroup(g: number): void {
    const bits = this.#tableBits;
    deletePairAt(this.#table, bits, cellOfPair(this.#table, bits, this.#hash(this.#gWords, g * this.#wordsPer), g));
    this.#groups--;
    this.#gFree.push(g);
  }

  #newRecord(): number {
    let r = this.#rFree.pop();
    if (r !== undefined) return r;
    r = this.#rUsed++;
    if (r >= this.#rId.length) this.#growRecords(nextCapacity(this.#rId.length, r + 1));
    return r;
  }

  #growGroups(cap: number): void {
    const words = new Uint32Array(cap * this.#wordsPer);
    words.set(this.#gWords);
    const head = new Int32Array(cap);
    head.set(this.#gHead);
    this.#gWords = words;
    this.#gHead = head;
  }

  #growRecords(cap: number): void {
    const grow = <T extends Uint32Array | Int32Array>(a: T, b: T): T => (b.set(a), b);
    this.#rId = grow(this.#rId, new Uint32Array(cap));
    this.#rGroup = grow(this.#rGroup, new Uint32Array(cap));
    this.#rNext = grow(this.#rNext, new Int32Array(cap));
    this.#rPrev = grow(this.#rPrev, new Int32Array(cap));
  }

  #removeId(id: number): boolean {
    const r = this.#recordOf.delete(id);
    if (r < 0) return false;
    const g = this.#rGroup[r]!;
    const prev = this.#rPrev[r]!;
    const next = this.#rNext[r]!;
    if (prev === NONE) this.#gHead[g] = next;
    else this.#rNext[prev] = next;
    if (next !== NONE) this.#rPrev[next] = prev;
    this.#rFree.push(r);
    if (this.#gHead[g] === NONE) this.#deleteGroup(g);
    return true;
  }
}
