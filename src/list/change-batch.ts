/**
 * A batch of keyed list changes in packed form: each entry's JSON as UTF-8 bytes in one buffer, its fingerprints
 * decoded into one byte slab, its kind and what it carries as flag bits, and only its key as a string.
 *
 * Why: a sync holds a batch from the page that started it until the store has committed it and the in-memory list
 * has applied it. Held as entry objects, every entry of a million survived several young-generation collections
 * and was promoted, traced and swept again (docs/performance.md). Packed as soon as a page is prepared, the
 * objects die young; the same bytes then go to the store's writer (shared memory, not a structured clone of
 * thousands of strings) and into the list's {@link EntryTable} (a byte copy, no second encode).
 *
 * @internal
 * @module
 */
import { decodeHexInto, HASH_BYTES, isLowerHexOfLength } from '../hash/hex.js';
import type { EntryKind, ListEntry } from '../sync/types.js';

/** Row flags. */
export const ROW_DELETE = 1;
export const ROW_VIDEO = 2;
export const ROW_PDQ = 4;
export const ROW_MD5 = 8;
export const ROW_SHA1 = 16;
export const ROW_SHA256 = 32;
export const ROW_VPDQ = 64;
/**
 * The row's JSON begins `{"source":…,"id":…,"kind":…,"fingerprints":{` and that object spells each fingerprint the
 * row packs (its `ROW_MD5`, `ROW_SHA1`, `ROW_SHA256`, `ROW_PDQ` bits) exactly as the lowercase hex of the slab's
 * bytes: set only by producers that wrote both from the same bytes (the NCMEC fast path, and
 * {@link ChangeBatchBuilder.add} when it serialises an entry in that key order itself). The list then holds the
 * JSON without that hex without comparing it again (`entry-json.ts`): the first `"fingerprints":{` in such a row is
 * the entry's own, not one nested in metadata placed before it.
 */
export const ROW_FP_CANONICAL = 128;

/** Bytes per row in the fingerprint slab, and where each fingerprint starts in a row. */
export const FINGERPRINT_ROW_BYTES = 100;
export const FINGERPRINT_AT = { pdq: 0, md5: 32, sha1: 48, sha256: 68 } as const;

const PACKED_KINDS = [
  ['pdq', ROW_PDQ],
  ['md5', ROW_MD5],
  ['sha1', ROW_SHA1],
  ['sha256', ROW_SHA256],
] as const;

/** Packed changes, in order (last write wins within a batch too). */
export interface ChangeBatch {
  readonly count: number;
  /** Distinct source ids; {@link sourceOf} indexes into it. */
  readonly sources: readonly string[];
  readonly sourceOf: Uint32Array;
  readonly keys: readonly string[];
  /** `ROW_*` bits per row (the fingerprint bits and `ROW_VPDQ` only when built with fingerprints). */
  readonly flags: Uint8Array;
  /** Row i's JSON is `text[textEnds[i - 1] ?? 0 .. textEnds[i]]` (empty for a delete). */
  readonly text: Uint8Array;
  readonly textEnds: Uint32Array;
  /** {@link FINGERPRINT_ROW_BYTES} per row, empty when built without fingerprints. */
  readonly fingerprints: Uint8Array;
}

/** Start offset of row `i`'s JSON in {@link ChangeBatch.text}. */
export function textStart(batch: Pick<ChangeBatch, 'textEnds'>, i: number): number {
  return i === 0 ? 0 : batch.textEnds[i - 1]!;
}

/** A batch's `text` as a Buffer (after a structured clone it is a plain Uint8Array); no copy. */
export function textBuffer(batch: Pick<ChangeBatch, 'text'>): Buffer {
  return Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength);
}

/** Row `i`'s JSON, or null for a delete; `text` is {@link textBuffer} of the batch. */
export function rowJson(batch: Pick<ChangeBatch, 'flags' | 'textEnds'>, text: Buffer, i: number): string | null {
  return batch.flags[i]! & ROW_DELETE ? null : text.toString('utf8', textStart(batch, i), batch.textEnds[i]!);
}

/** Row `i`'s kind, or null for a delete. */
export function rowKind(flags: Uint8Array, i: number): EntryKind | null {
  const f = flags[i]!;
  return f & ROW_DELETE ? null : f & ROW_VIDEO ? 'video' : 'image';
}

/**
 * Rows a new builder has room for. Small: `HashList.apply` makes a builder per call, often for one update, and a
 * builder sized for a page made that call allocate and zero ~170 KB; the sync's builders live long and grow once.
 */
const INITIAL_ROWS = 16;

/**
 * True when the JSON of `entry` (`JSON.stringify(entry)`, or the text `entry` was parsed from) qualifies for
 * {@link ROW_FP_CANONICAL}: its first keys are source, id, kind, fingerprints, and the packed fingerprints' hex has
 * no uppercase letter. (That the hex is the slab's is up to the caller: it decoded the slab from these strings.)
 */
export function isCanonicalEntry(entry: ListEntry): boolean {
  let k = 0;
  for (const key in entry) {
    if (key !== FIRST_KEYS[k]) return false;
    if (++k === FIRST_KEYS.length) break;
  }
  if (k < FIRST_KEYS.length) return false;
  for (const [kind] of PACKED_KINDS) {
    const hex = entry.fingerprints[kind];
    if (hex !== undefined && !isLowerHexOfLength(hex, HASH_BYTES[kind])) return false;
  }
  return true;
}
const FIRST_KEYS = ['source', 'id', 'kind', 'fingerprints'];

/** `bytes` copied into a new `SharedArrayBuffer`. */
function sharedCopy(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  return copy;
}

/** Collects changes into a {@link ChangeBatch}. */
export class ChangeBatchBuilder {
  readonly #withFingerprints: boolean;
  #sources: string[] = [];
  #sourceIndex = new Map<string, number>();
  #sourceOf!: Uint32Array;
  #keys: string[] = [];
  #flags!: Uint8Array;
  #textEnds!: Uint32Array;
  #text!: Buffer;
  #textUsed = 0;
  #fingerprints!: Uint8Array;
  #count = 0;

  /**
   * @param options.fingerprints - false: skip decoding fingerprints (nobody will index this batch).
   * @param options.rows - rows to make room for at once (a page's worth, for a builder that packs one page), so
   * its buffers do not grow and copy a dozen times on the way.
   */
  constructor(options: { fingerprints?: boolean; rows?: number } = {}) {
    this.#withFingerprints = options.fingerprints !== false;
    this.#newBuffers(Math.max(INITIAL_ROWS, options.rows ?? 0));
  }

  /** Rows added since the last {@link build}. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one change. `entry` must have a kind and fingerprints (the caller validated it); its hex fingerprints are
   * checked here again, before anything is applied. `json` is the entry's JSON when the caller has it already.
   *
   * @throws {TypeError} for a kind other than image or video; {@link HashFormatError} for a fingerprint that is not
   * hex of its length.
   */
  add(source: string, key: string, entry: ListEntry | null, json?: string): void {
    const i = this.#count;
    if (i === this.#flags.length) this.#grow();
    const s = this.#sourceNumber(source);
    let flags = 0;
    if (entry === null) flags = ROW_DELETE;
    else {
      if (entry.kind === 'video') flags |= ROW_VIDEO;
      else if (entry.kind !== 'image') throw new TypeError(`Expected the entry of ${JSON.stringify(key)} to be of kind "image" or "video", got ${JSON.stringify(entry.kind)}`);
      if (this.#withFingerprints) {
        const fp = entry.fingerprints;
        const at = i * FINGERPRINT_ROW_BYTES;
        for (const [kind, bit] of PACKED_KINDS) {
          const hex = fp[kind];
          if (hex === undefined) continue;
          decodeHexInto(kind, hex, this.#fingerprints, at + FINGERPRINT_AT[kind]);
          flags |= bit;
        }
        if ((fp.vpdq?.length ?? 0) > 0) flags |= ROW_VPDQ;
        // JSON.stringify spells the hex strings as they are; JSON the caller brings is not vouched for.
        if (json === undefined && isCanonicalEntry(entry)) flags |= ROW_FP_CANONICAL;
      }
      this.#writeText(json ?? JSON.stringify(entry));
    }
    this.#sourceOf[i] = s;
    this.#keys.push(key);
    this.#flags[i] = flags;
    this.#textEnds[i] = this.#textUsed;
    this.#count = i + 1;
  }

  /** Bytes of JSON text written so far. */
  get textUsed(): number {
    return this.#textUsed;
  }

  /**
   * The text buffer, with room for `bytes` more after {@link textUsed}: a caller that encodes a row's JSON itself
   * writes it there, then calls {@link addEncoded}.
   */
  reserveText(bytes: number): Buffer {
    if (this.#textUsed + bytes > this.#text.length) this.#growText(this.#textUsed + bytes);
    return this.#text;
  }

  /** The fingerprint slab, with room for the next row at `count * FINGERPRINT_ROW_BYTES`. */
  fingerprintSlab(): Uint8Array {
    if (this.#count === this.#flags.length) this.#grow();
    return this.#fingerprints;
  }

  /**
   * Adds a row whose JSON the caller wrote into {@link reserveText} up to `textEnd` (equal to {@link textUsed} for a
   * delete) and whose fingerprints it decoded into {@link fingerprintSlab}; `flags` says which. Nothing is checked:
   * the caller guarantees what {@link add} would have checked.
   */
  addEncoded(source: string, key: string, flags: number, textEnd: number): void {
    const i = this.#count;
    if (i === this.#flags.length) this.#grow();
    const s = this.#sourceNumber(source);
    this.#sourceOf[i] = s;
    this.#keys.push(key);
    this.#flags[i] = flags;
    this.#textEnds[i] = this.#textUsed = textEnd;
    this.#count = i + 1;
  }

  /**
   * Appends every row of `batch` (a page packed elsewhere, e.g. on a source thread). Its fingerprints must have been
   * packed when this builder packs them.
   */
  append(batch: ChangeBatch): void {
    const n = batch.count;
    if (this.#withFingerprints && batch.fingerprints.length !== n * FINGERPRINT_ROW_BYTES) {
      throw new TypeError('Expected a batch packed with fingerprints');
    }
    while (this.#count + n > this.#flags.length) this.#grow();
    const local = batch.sources.map((source) => this.#sourceNumber(source));
    const textBytes = n === 0 ? 0 : batch.textEnds[n - 1]!;
    if (this.#textUsed + textBytes > this.#text.length) this.#growText(this.#textUsed + textBytes);
    this.#text.set(batch.text.subarray(0, textBytes), this.#textUsed);
    const at = this.#count;
    for (let i = 0; i < n; i++) {
      this.#sourceOf[at + i] = local[batch.sourceOf[i]!]!;
      this.#keys.push(batch.keys[i]!);
      this.#textEnds[at + i] = this.#textUsed + batch.textEnds[i]!;
    }
    this.#flags.set(batch.flags.subarray(0, n), at);
    if (this.#withFingerprints) this.#fingerprints.set(batch.fingerprints.subarray(0, n * FINGERPRINT_ROW_BYTES), at * FINGERPRINT_ROW_BYTES);
    this.#textUsed += textBytes;
    this.#count = at + n;
  }

  /** Drops the rows added after the first `count` (a page that could not be added whole). */
  truncate(count: number): void {
    if (count >= this.#count) return;
    this.#count = count;
    this.#keys.length = count;
    this.#textUsed = count === 0 ? 0 : this.#textEnds[count - 1]!;
  }

  /** The rows added so far, as a batch of their own; the builder starts empty again. */
  build(): ChangeBatch {
    const n = this.#count;
    const batch: ChangeBatch = {
      count: n,
      sources: this.#sources,
      sourceOf: this.#sourceOf.slice(0, n),
      keys: this.#keys,
      flags: this.#flags.slice(0, n),
      text: sharedCopy(this.#text.subarray(0, this.#textUsed)),
      textEnds: this.#textEnds.slice(0, n),
      // Every buffer is the batch's own, so a batch can be transferred to another thread; the text is in shared
      // memory, so posting it to the store writer thread (which only reads it) does not copy it.
      fingerprints: this.#withFingerprints ? this.#fingerprints.slice(0, n * FINGERPRINT_ROW_BYTES) : new Uint8Array(0),
    };
    this.#startEmpty();
    return batch;
  }

  /** `source`'s index in this batch's `sources`, added on first use. */
  #sourceNumber(source: string): number {
    let s = this.#sourceIndex.get(source);
    if (s === undefined) {
      s = this.#sources.length;
      this.#sources.push(source);
      this.#sourceIndex.set(source, s);
    }
    return s;
  }

  /**
   * The rows added so far, handing over the builder's own buffers instead of copying them (the batch's arrays are
   * views of them; its text is not in shared memory); the builder starts again with new, small buffers. For a
   * builder made for one batch, such as one page's.
   */
  take(): ChangeBatch {
    const n = this.#count;
    const batch: ChangeBatch = {
      count: n,
      sources: this.#sources,
      sourceOf: this.#sourceOf.subarray(0, n),
      keys: this.#keys,
      flags: this.#flags.subarray(0, n),
      text: this.#text.subarray(0, this.#textUsed),
      textEnds: this.#textEnds.subarray(0, n),
      fingerprints: this.#withFingerprints ? this.#fingerprints.subarray(0, n * FINGERPRINT_ROW_BYTES) : new Uint8Array(0),
    };
    this.#startEmpty();
    this.#newBuffers();
    return batch;
  }

  /** No rows, no sources; the buffers are kept. */
  #startEmpty(): void {
    this.#sources = [];
    this.#sourceIndex = new Map();
    this.#keys = [];
    this.#textUsed = 0;
    this.#count = 0;
  }

  /** Fresh buffers for `rows` rows (the old ones may belong to a taken batch). */
  #newBuffers(rows = INITIAL_ROWS): void {
    this.#sourceOf = new Uint32Array(rows);
    this.#flags = new Uint8Array(rows);
    this.#textEnds = new Uint32Array(rows);
    this.#text = Buffer.allocUnsafeSlow(rows * 512);
    this.#fingerprints = new Uint8Array(this.#withFingerprints ? rows * FINGERPRINT_ROW_BYTES : 0);
  }

  #writeText(json: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const worst = this.#textUsed + 3 * json.length;
    if (worst > this.#text.length) this.#growText(worst);
    this.#textUsed += this.#text.write(json, this.#textUsed, 'utf8');
  }

  #growText(bytes: number): void {
    const grown = Buffer.allocUnsafeSlow(Math.max(bytes, this.#text.length * 2));
    this.#text.copy(grown, 0, 0, this.#textUsed);
    this.#text = grown;
  }

  #grow(): void {
    const cap = this.#flags.length * 2;
    const grow = <T extends Uint8Array | Uint32Array>(a: T, b: T): T => (b.set(a), b);
    this.#sourceOf = grow(this.#sourceOf, new Uint32Array(cap));
    this.#flags = grow(this.#flags, new Uint8Array(cap));
    this.#textEnds = grow(this.#textEnds, new Uint32Array(cap));
    if (this.#withFingerprints) this.#fingerprints = grow(this.#fingerprints, new Uint8Array(cap * FINGERPRINT_ROW_BYTES));
  }
}
