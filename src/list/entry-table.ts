/**
 * The hash list's entries held off the JavaScript heap: for every handle, its source, its key and its JSON as
 * UTF-8 bytes in arena chunks, plus an open-addressing table from `(source, key)` to handle.
 *
 * Why not a `Map` of strings: a million entries are a million key strings, a million JSON strings and a
 * million-slot map that every young-generation collection copies once and every full collection marks again.
 * During a first sync that is several seconds of collector time per million entries (docs/performance.md);
 * bytes in a few dozen buffers cost the collector nothing.
 *
 * Layout: per handle, typed arrays hold the chunk (+1, 0 = free), offset, key and JSON byte lengths, source
 * index and key hash. A record is an 8-byte header (its handle and its length) followed by its key bytes and its
 * JSON bytes. Records are appended to the current chunk; a replaced or removed record leaves dead bytes behind.
 * Once less than half of a (non-current) chunk is live, its live records, found by walking the headers, move to
 * the current chunk and the chunk is freed: a pause of one chunk's copy at most, never of the whole table.
 * The table stores `[hash, handle + 1]` pairs, so a probe touches key bytes only on a full 32-bit hash match;
 * linear probing, backward-shift deletion, load at most 1/2.
 *
 * @internal
 * @module
 */

import { cellOfPair, deletePairAt, pairHome, pairSeed, placePair, regrowPairs } from '../match/pair-table.js';

/** Bytes per arena chunk. Records longer than a quarter of it get a chunk of their own. */
const CHUNK_BYTES = 4 << 20;
/** Record header: handle (uint32) and record length in bytes after the header (uint32). */
const HEADER_BYTES = 8;
const EMPTY_CHUNK = Buffer.alloc(0);
const MIN_TABLE_BITS = 4;

/**
 * True when `text` has no lone surrogate, i.e. survives UTF-8 (the store's encoding, and this table's) unchanged.
 * Two keys differing only in lone surrogates would be one key in the store and two in a `Map`.
 */
export function isWellFormedText(text: string): boolean {
  // Node >= 20 has the native check (ES2024), an order of magnitude faster than a charCodeAt loop.
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** FNV-1a over the UTF-16 code units of `key`, seeded with the table's seed and the source index. */
function hashKey(seed: number, sourceIndex: number, key: string): number {
  let h = Math.imul(0x811c9dc5 ^ seed ^ sourceIndex, 0x01000193);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `(source, key)` → handle, with each handle's key and JSON held as bytes. */
export class EntryTable {
  readonly #sources: string[] = [];
  readonly #sourceIndex = new Map<string, number>();

  // Per handle.
  #chunkOf = new Uint32Array(0);
  #offset = new Uint32Array(0);
  #keyBytes = new Uint32Array(0);
  #jsonBytes = new Uint32Array(0);
  #source = new Uint32Array(0);
  #hash = new Uint32Array(0);

  // [hash, handle + 1] pairs; handle + 1 === 0 marks an empty cell.
  #table = new Uint32Array(2 << MIN_TABLE_BITS);
  #tableBits = MIN_TABLE_BITS;
  #size = 0;
  readonly #seed = pairSeed();

  #chunks: Buffer[] = [];
  #chunkUsed: number[] = [];
  /** Bytes of live records (headers included) per chunk. */
  #chunkLive: number[] = [];
  /** Indexes of freed chunks, reused before the chunk list grows. */
  #freeChunks: number[] = [];
  /** The chunk new records go to (-1: none yet). */
  #current = -1;
  #liveBytes = 0;
  /** Scratch for keys that are not ASCII (compared as UTF-8 bytes). */
  #scratch = Buffer.allocUnsafeSlow(256);
  readonly #chunkBytes: number;

  /** @param sizes - test hatch: smaller chunks than the default. */
  constructor(sizes: { chunkBytes?: number } = {}) {
    this.#chunkBytes = sizes.chunkBytes ?? CHUNK_BYTES;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of key and JSON text held (live records only). */
  get textBytes(): number {
    return this.#liveBytes;
  }

  /** @internal Test hatch: bytes the chunks count as live, headers included (must be `textBytes + 8 · size`). */
  get bookedBytes(): number {
    return this.#chunkLive.reduce((sum, n) => sum + n, 0);
  }

  /** The handle of `key` in `source`, or -1. */
  find(source: string, key: string): number {
    const sourceIndex = this.#sourceIndex.get(source);
    if (sourceIndex === undefined) return -1;
    const hash = hashKey(this.#seed, sourceIndex, key);
    const table = this.#table;
    const mask = (1 << this.#tableBits) - 1;
    for (let i = pairHome(hash, this.#tableBits); ; i = (i + 1) & mask) {
      const h = table[2 * i + 1]!;
      if (h === 0) return -1;
      if (table[2 * i] === hash && this.#source[h - 1] === sourceIndex && this.#keyEquals(h - 1, key)) return h - 1;
    }
  }

  /** True when `handle` holds an entry. */
  has(handle: number): boolean {
    return handle < this.#chunkOf.length && this.#chunkOf[handle] !== 0;
  }

  /**
   * Stores a new entry under a free `handle`. The caller guarantees that `(source, key)` is not held yet
   * ({@link find} returned -1) and that `source` and `key` are {@link isWellFormedText}.
   */
  insert(handle: number, source: string, key: string, json: string): void {
    this.#place(handle, source, key);
    this.#write(handle, key, json);
  }

  /** Books `handle` under `(source, key)` in the table (its record is written next). */
  #place(handle: number, source: string, key: string): void {
    let sourceIndex = this.#sourceIndex.get(source);
    if (sourceIndex === undefined) {
      sourceIndex = this.#sources.length;
      this.#sources.push(source);
      this.#sourceIndex.set(source, sourceIndex);
    }
    this.#reserveHandles(handle + 1);
    const hash = hashKey(this.#seed, sourceIndex, key);
    this.#source[handle] = sourceIndex;
    this.#hash[handle] = hash;
    if (++this.#size > 1 << (this.#tableBits - 1)) this.#table = regrowPairs(this.#table, ++this.#tableBits);
    placePair(this.#table, this.#tableBits, hash, handle);
  }

  /** {@link insert} with the JSON given as UTF-8 bytes: `text[start..end]`. */
  insertBytes(handle: number, source: string, key: string, text: Uint8Array, start: number, end: number): void {
    this.#place(handle, source, key);
    this.#write(handle, key, undefined, text, start, end);
  }

  /** Replaces the JSON of the entry at a live `handle` (same source and key). */
  replace(handle: number, json: string): void {
    const key = this.key(handle);
    this.#release(handle);
    this.#write(handle, key, json);
  }

  /** {@link replace} with the JSON given as UTF-8 bytes: `text[start..end]`. */
  replaceBytes(handle: number, text: Uint8Array, start: number, end: number): void {
    const key = this.key(handle);
    this.#release(handle);
    this.#write(handle, key, undefined, text, start, end);
  }

  /**
   * Makes room for handles below `handles` and for that many entries in the table, so that filling the table up to
   * there regrows nothing (each regrowth copies its arrays into new, untouched memory). Never shrinks.
   */
  reserve(handles: number): void {
    this.#reserveHandles(handles, handles);
    let bits = this.#tableBits;
    while (handles > 2 ** (bits - 1)) bits++;
    if (bits !== this.#tableBits) {
      this.#tableBits = bits;
      this.#table = regrowPairs(this.#table, bits);
    }
  }

  /** Removes the entry at a live `handle`; the handle becomes free. */
  remove(handle: number): void {
    const bits = this.#tableBits;
    deletePairAt(this.#table, bits, cellOfPair(this.#table, bits, this.#hash[handle]!, handle));
    this.#size--;
    this.#release(handle);
    this.#chunkOf[handle] = 0;
  }

  /** The source of a live handle. */
  source(handle: number): string {
    return this.#sources[this.#source[handle]!]!;
  }

  /** The key of a live handle. */
  key(handle: number): string {
    const at = this.#offset[handle]!;
    return this.#chunks[this.#chunkOf[handle]! - 1]!.toString('utf8', at, at + this.#keyBytes[handle]!);
  }

  /** The JSON of a live handle. */
  json(handle: number): string {
    const at = this.#offset[handle]! + this.#keyBytes[handle]!;
    return this.#chunks[this.#chunkOf[handle]! - 1]!.toString('utf8', at, at + this.#jsonBytes[handle]!);
  }

  /** Bytes held: arena chunks, per-handle arrays and the table. */
  memoryBytes(): number {
    let bytes = this.#table.byteLength;
    bytes += this.#chunkOf.byteLength * 6; // six uint32 arrays per handle
    for (const chunk of this.#chunks) bytes += chunk.length;
    return bytes;
  }

  #keyEquals(handle: number, key: string): boolean {
    const length = this.#keyBytes[handle]!;
    const chunk = this.#chunks[this.#chunkOf[handle]! - 1]!;
    const at = this.#offset[handle]!;
    if (length === key.length) {
      let i = 0;
      for (; i < length; i++) {
        const c = key.charCodeAt(i);
        if (c >= 0x80) break;
        if (chunk[at + i] !== c) return false;
      }
      if (i === length) return true;
    }
    // Not ASCII (or byte length differs from UTF-16 length): compare UTF-8 bytes.
    if (key.length * 3 > this.#scratch.length) this.#scratch = Buffer.allocUnsafeSlow(key.length * 3);
    const n = this.#scratch.write(key, 0, 'utf8');
    return n === length && this.#scratch.compare(chunk, at, at + length, 0, n) === 0;
  }

  /** Makes room for handles below `n`, growing by half at least (or straight to `exactly`). */
  #reserveHandles(n: number, exactly?: number): void {
    if (n <= this.#chunkOf.length) return;
    const cap = exactly ?? Math.max(1024, n, Math.ceil(this.#chunkOf.length * 1.5));
    const grow = <T extends Uint32Array>(a: T, b: T): T => (b.set(a), b);
    this.#chunkOf = grow(this.#chunkOf, new Uint32Array(cap));
    this.#offset = grow(this.#offset, new Uint32Array(cap));
    this.#keyBytes = grow(this.#keyBytes, new Uint32Array(cap));
    this.#jsonBytes = grow(this.#jsonBytes, new Uint32Array(cap));
    this.#hash = grow(this.#hash, new Uint32Array(cap));
    this.#source = grow(this.#source, new Uint32Array(cap));
  }

  /** Appends the record of `handle` to the arena: its key, then its JSON (`json`, else `text[start..end]`). */
  #write(handle: number, key: string, json: string | undefined, text?: Uint8Array, start = 0, end = 0): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = HEADER_BYTES + 3 * key.length + (json === undefined ? end - start : 3 * json.length);
    let c = this.#current;
    if (c < 0 || this.#chunkUsed[c]! + worst > this.#chunks[c]!.length) {
      if (worst > this.#chunkBytes / 4) {
        // A chunk of its own, exactly as long as the record; the current chunk stays current.
        c = this.#newChunk(HEADER_BYTES + Buffer.byteLength(key, 'utf8') + (json === undefined ? end - start : Buffer.byteLength(json, 'utf8')));
      } else {
        c = this.#current = this.#newChunk(this.#chunkBytes);
      }
    }
    const chunk = this.#chunks[c]!;
    const at = this.#chunkUsed[c]!;
    const keyBytes = chunk.write(key, at + HEADER_BYTES, 'utf8');
    let jsonBytes: number;
    if (json !== undefined) jsonBytes = chunk.write(json, at + HEADER_BYTES + keyBytes, 'utf8');
    else {
      chunk.set(text!.subarray(start, end), at + HEADER_BYTES + keyBytes);
      jsonBytes = end - start;
    }
    chunk.writeUInt32LE(handle, at);
    chunk.writeUInt32LE(keyBytes + jsonBytes, at + 4);
    this.#book(c, at, handle, keyBytes, jsonBytes);
    this.#liveBytes += keyBytes + jsonBytes;
  }

  /** Books the record of `handle` (already written) at `at` in chunk `c`. */
  #book(c: number, at: number, handle: number, keyBytes: number, jsonBytes: number): void {
    const bytes = HEADER_BYTES + keyBytes + jsonBytes;
    this.#chunkUsed[c] = at + bytes;
    this.#chunkLive[c]! += bytes;
    this.#chunkOf[handle] = c + 1;
    this.#offset[handle] = at + HEADER_BYTES;
    this.#keyBytes[handle] = keyBytes;
    this.#jsonBytes[handle] = jsonBytes;
  }

  #newChunk(bytes: number): number {
    const chunk = Buffer.allocUnsafeSlow(bytes);
    const c = this.#freeChunks.pop() ?? this.#chunks.length;
    this.#chunks[c] = chunk;
    this.#chunkUsed[c] = 0;
    this.#chunkLive[c] = 0;
    return c;
  }

  /**
   * Marks the record of `handle` dead, compacting its chunk when less than half of it is live. The caller then
   * rewrites or clears the handle: its record is no longer readable.
   */
  #release(handle: number): void {
    const c = this.#chunkOf[handle]! - 1;
    const bytes = this.#keyBytes[handle]! + this.#jsonBytes[handle]!;
    this.#liveBytes -= bytes;
    this.#chunkLive[c]! -= HEADER_BYTES + bytes;
    if (c !== this.#current && this.#chunkLive[c]! * 2 < this.#chunkUsed[c]!) this.#compactChunk(c, handle);
  }

  /** Moves the live records of chunk `c` (all but `released`'s) to the current chunk and frees `c`. */
  #compactChunk(c: number, released: number): void {
    const chunk = this.#chunks[c]!;
    const used = this.#chunkUsed[c]!;
    for (let at = 0; at < used; ) {
      const h = chunk.readUInt32LE(at);
      const bytes = chunk.readUInt32LE(at + 4);
      const live = h !== released && this.#chunkOf[h] === c + 1 && this.#offset[h] === at + HEADER_BYTES;
      if (live) {
        const total = HEADER_BYTES + bytes;
        let to = this.#current;
        if (to < 0 || this.#chunkUsed[to]! + total > this.#chunks[to]!.length) {
          if (total > this.#chunkBytes / 4) to = this.#newChunk(total);
          else to = this.#current = this.#newChunk(this.#chunkBytes);
        }
        const target = this.#chunkUsed[to]!;
        chunk.copy(this.#chunks[to]!, target, at, at + total);
        this.#book(to, target, h, this.#keyBytes[h]!, this.#jsonBytes[h]!);
      }
      at += HEADER_BYTES + bytes;
    }
    this.#chunks[c] = EMPTY_CHUNK;
    this.#chunkUsed[c] = 0;
    this.#chunkLive[c] = 0;
    this.#freeChunks.push(c);
  }
}
