/**
 * The fast path for the usual NCMEC record: reads one `<image>`, `<video>`, `<deletedImage>` or `<deletedVideo>`
 * element straight from the page's UTF-8 bytes and packs it (key, flags, fingerprint bytes, the entry's JSON) into a
 * {@link ChangeBatchBuilder}, with no XML events, no entry object and no `JSON.stringify`.
 *
 * It takes only records in a narrow, canonical shape and **declines** everything else, which then goes through the
 * general path (the {@link XmlScanner} and the record logic of `entries-xml.ts`, then `prepareUpdates`). Whatever it
 * accepts, it packs exactly as the general path would: same key, same flags and fingerprint bytes, byte-identical
 * JSON (a property test holds the two paths equal). The shape it accepts:
 *
 * - printable ASCII only (no CR, no `&`, no comments, CDATA or processing instructions), so every character is an
 *   XML `Char` and no reference needs resolving;
 * - the record element spelled exactly as above, with no attributes; its children in any order, each at most once,
 *   separated by nothing or by spaces, tabs and line feeds:
 *   `<member id="…">name</member>` (double quotes, the one attribute; the name may be empty), `<id>`, `<timestamp>`,
 *   `<classification>`, and for upserts `<fingerprints>` holding `<md5>`, `<sha1>`, `<sha256>`, `<pdq>` (lowercase
 *   hex of the right length, each at most once, at least one) and an optional `<feedback/>`;
 * - texts that need no trimming, escaping or normalising: non-empty (but the member name), no leading or trailing
 *   space, none of `<>&"\`.
 *
 * Why a second path at all: on a 1M-entry sync, tokenizing, building entry objects, re-validating them and
 * serialising them again was about 4 µs per entry on the thread that also keeps the list (docs/performance.md).
 *
 * @internal
 * @module
 */
import { HEX_VALUE, NOT_LOWER_HEX } from '../../hash/hex.js';
import {
  type ChangeBatchBuilder,
  FINGERPRINT_AT,
  FINGERPRINT_ROW_BYTES,
  ROW_DELETE,
  ROW_FP_CANONICAL,
  ROW_MD5,
  ROW_PDQ,
  ROW_SHA1,
  ROW_SHA256,
  ROW_VIDEO,
} from '../../list/change-batch.js';
import { normalizeIsoTimestamp } from '../iso-timestamp.js';

/** {@link FastRecordReader.read}: the record is not in the fast shape; the general path must read it. */
export const DECLINE = -1;
/** {@link FastRecordReader.read}: the record's end tag is not in the bytes yet. */
export const MORE = -2;

const LT = 0x3c;
const GT = 0x3e;
const DQUOTE = 0x22;
const SPACE = 0x20;

/** Longest record the fast path reads, start tag to end tag; far below the general path's 1 MiB text limit. */
const MAX_RECORD_BYTES = 64 * 1024;
/** Longest key the general path accepts (`prepareUpdates`). */
const MAX_KEY_LENGTH = 1024;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** 1 for a byte that may appear in a fast-path text: printable ASCII but `<>&"\`. */
const TEXT_BYTE = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) TEXT_BYTE[c] = 1;
for (const c of '<>&"\\') TEXT_BYTE[c.charCodeAt(0)] = 0;

const enum Kind {
  Image,
  Video,
  DeletedImage,
  DeletedVideo,
}
const RECORD_NAMES = ['image', 'video', 'deletedImage', 'deletedVideo'];
const OPEN = RECORD_NAMES.map((n) => ascii(`<${n}>`));
const LONGEST_OPEN = Math.max(...OPEN.map((open) => open.length));
/** End tags, as Buffers for `indexOf`. */
const CLOSE = RECORD_NAMES.map((n) => Buffer.from(`</${n}>`, 'latin1'));

/** Fingerprints the fast path packs, in the order of their bit in {@link FP_BITS}. */
const FP_NAMES = ['md5', 'sha1', 'sha256', 'pdq'] as const;
const FP_BITS = [ROW_MD5, ROW_SHA1, ROW_SHA256, ROW_PDQ];
const FP_HEX = [32, 40, 64, 64];
const FP_SLAB_AT = FP_NAMES.map((n) => FINGERPRINT_AT[n]);
const FP_OPEN = FP_NAMES.map((n) => ascii(`<${n}>`));
const FP_CLOSE = FP_NAMES.map((n) => ascii(`</${n}>`));
const FP_JSON = FP_NAMES.map((n) => ascii(`"${n}":"`));

const MEMBER_OPEN = ascii('<member id="');
const MEMBER_CLOSE = ascii('</member>');
const ID_OPEN = ascii('<id>');
const ID_CLOSE = ascii('</id>');
const TIMESTAMP_OPEN = ascii('<timestamp>');
const TIMESTAMP_CLOSE = ascii('</timestamp>');
const CLASSIFICATION_OPEN = ascii('<classification>');
const CLASSIFICATION_CLOSE = ascii('</classification>');
const FINGERPRINTS_OPEN = ascii('<fingerprints>');
const FINGERPRINTS_CLOSE = ascii('</fingerprints>');
const FEEDBACK_EMPTY = ascii('<feedback/>');

const J_ID = ascii(',"id":"');
const J_KIND_IMAGE = ascii('","kind":"image","fingerprints":{');
const J_KIND_VIDEO = ascii('","kind":"video","fingerprints":{');
const J_MEMBER = ascii('},"member":{"id":"');
const J_NAME = ascii('","name":"');
const J_CLASSIFICATION = ascii('"},"classification":"');
const J_MEMBER_END = ascii('"}');
const J_TIMESTAMP = ascii(',"timestamp":"');

function isSpace(c: number): boolean {
  return c === SPACE || c === 0x0a || c === 0x09;
}

/** True when `b[i..]` starts with `lit` (callers keep `i + lit.length` within the record). */
function at(b: Uint8Array, i: number, lit: Uint8Array): boolean {
  for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit[k]) return false;
  return true;
}

/** Copies `src` into `out` at `o`; returns the offset after it. (`set`: a byte loop measured slower, even for short literals.) */
function put(out: Uint8Array, o: number, src: Uint8Array): number {
  out.set(src, o);
  return o + src.length;
}

/** Copies `b[s, e)` into `out` at `o`; returns the offset after it. */
function copy(out: Uint8Array, o: number, b: Uint8Array, s: number, e: number): number {
  for (let k = s; k < e; k++) out[o++] = b[k]!;
  return o;
}

/** True when `b[s, e)` holds exactly the characters of `text` (all below 256). */
function sameText(b: Uint8Array, s: number, e: number, text: string): boolean {
  if (e - s !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (b[s + k] !== text.charCodeAt(k)) return false;
  return true;
}

/**
 * Reads fast-path records of one page into a builder. One instance per page (it remembers the last member id and
 * timestamp, which repeat from record to record).
 */
export class FastRecordReader {
  readonly #source: string;
  /** `"source":<the source id as JSON>` with the opening brace. */
  readonly #jsonHead: Uint8Array;
  readonly #builder: ChangeBatchBuilder;
  readonly #withFingerprints: boolean;
  #lastMemberId = '';
  #lastRawTimestamp = '';
  #lastTimestamp: Uint8Array | undefined;

  // The record being read: start and end offsets of its texts (-1: absent), the fingerprints in document order.
  #memberId = -1;
  #memberIdEnd = -1;
  #memberName = -1;
  #memberNameEnd = -1;
  #id = -1;
  #idEnd = -1;
  #timestamp = -1;
  #timestampEnd = -1;
  #classification = -1;
  #classificationEnd = -1;
  #fingerprintsSeen = false;
  #feedbackSeen = false;
  readonly #fpOrder = new Int8Array(4);
  readonly #fpAt = new Int32Array(4);
  #fpCount = 0;
  #fpBits = 0;
  /** {@link #closeAfter}'s last search per record kind: in which bytes, from where, what it found. */
  #searched: Uint8Array | undefined;
  #searchedLength = 0;
  readonly #searchFrom = new Int32Array(4).fill(-1);
  readonly #searchFound = new Int32Array(4);

  constructor(source: string, builder: ChangeBatchBuilder, withFingerprints: boolean) {
    this.#source = source;
    this.#jsonHead = Buffer.from(`{"source":${JSON.stringify(source)}`, 'utf8');
    this.#builder = builder;
    this.#withFingerprints = withFingerprints;
  }

  /** The record kind whose start tag begins at `b[p]` (a `<`), or -1. */
  static startsRecord(b: Uint8Array, p: number, end: number): number {
    const c = b[p + 1];
    const kind = c === 0x69 ? Kind.Image : c === 0x76 ? Kind.Video : c === 0x64 ? (b[p + 8] === 0x49 ? Kind.DeletedImage : Kind.DeletedVideo) : -1;
    if (kind < 0) return -1;
    const open = OPEN[kind]!;
    return p + open.length <= end && at(b, p, open) ? kind : -1;
  }

  /** True when `b[p, end)` (from a `<` to the end of the bytes) is the first part of a record's start tag. */
  static mayStartRecord(b: Uint8Array, p: number, end: number): boolean {
    return end - p < LONGEST_OPEN && OPEN.some((open) => end - p < open.length && at(b, p, open.subarray(0, end - p)));
  }

  /**
   * Reads the record whose start tag is at `b[p]` (checked with {@link startsRecord}) and packs it into the builder.
   * Returns the offset after its end tag, {@link DECLINE} (nothing was packed) or {@link MORE}.
   */
  read(b: Buffer, p: number, end: number, kind: number): number {
    const close = CLOSE[kind]!;
    const deleted = kind >= Kind.DeletedImage;
    // A long record (its texts could exceed what the general path accepts) is the scanner's to judge.
    const limit = this.#scan(b, p + OPEN[kind]!.length, Math.min(end, p + MAX_RECORD_BYTES), deleted, close);
    if (limit < 0) {
      // Not in the fast shape, or not all here yet: its end tag tells which.
      const after = this.#closeAfter(b, p, kind);
      return after === -1 || after + close.length > end ? MORE : DECLINE;
    }
    if (this.#memberId < 0 || this.#id < 0) return DECLINE;
    const memberId = sameText(b, this.#memberId, this.#memberIdEnd, this.#lastMemberId) ?
        this.#lastMemberId
      : (this.#lastMemberId = b.toString('latin1', this.#memberId, this.#memberIdEnd));
    if (memberId.length + 1 + (this.#idEnd - this.#id) > MAX_KEY_LENGTH) return DECLINE;
    const key = `${memberId}-${b.toString('latin1', this.#id, this.#idEnd)}`;
    if (deleted) {
      this.#builder.addEncoded(this.#source, key, ROW_DELETE, this.#builder.textUsed);
      return limit + close.length;
    }
    if (this.#fpCount === 0) return DECLINE;
    const timestamp = this.#timestamp < 0 ? undefined : this.#isoTimestamp(b);
    const jsonBytes = this.#jsonLength(timestamp);
    const out = this.#builder.reserveText(jsonBytes);
    let o = this.#builder.textUsed;
    o = put(out, o, this.#jsonHead);
    o = put(out, o, J_ID);
    o = copy(out, o, b, this.#id, this.#idEnd);
    o = put(out, o, kind === Kind.Video ? J_KIND_VIDEO : J_KIND_IMAGE);
    const slab = this.#withFingerprints ? this.#builder.fingerprintSlab() : undefined;
    const row = this.#builder.count * FINGERPRINT_ROW_BYTES;
    for (let f = 0; f < this.#fpCount; f++) {
      const which = this.#fpOrder[f]!;
      const s = this.#fpAt[f]!;
      if (f > 0) out[o++] = 0x2c; // ,
      o = put(out, o, FP_JSON[which]!);
      const n = FP_HEX[which]!;
      if (slab) {
        const to = row + FP_SLAB_AT[which]! - (s >> 1);
        for (let k = s; k < s + n; k += 2) {
          const hi = b[k]!;
          const lo = b[k + 1]!;
          out[o++] = hi;
          out[o++] = lo;
          slab[to + (k >> 1)] = (HEX_VALUE[hi]! << 4) | HEX_VALUE[lo]!;
        }
      } else {
        o = copy(out, o, b, s, s + n);
      }
      out[o++] = DQUOTE;
    }
    o = put(out, o, J_MEMBER);
    o = copy(out, o, b, this.#memberId, this.#memberIdEnd);
    if (this.#memberNameEnd > this.#memberName) {
      o = put(out, o, J_NAME);
      o = copy(out, o, b, this.#memberName, this.#memberNameEnd);
    }
    if (this.#classification >= 0) {
      o = put(out, o, J_CLASSIFICATION);
      o = copy(out, o, b, this.#classification, this.#classificationEnd);
      out[o++] = DQUOTE;
    } else {
      o = put(out, o, J_MEMBER_END);
    }
    if (timestamp) {
      o = put(out, o, J_TIMESTAMP);
      o = put(out, o, timestamp);
      out[o++] = DQUOTE;
    }
    out[o++] = 0x7d; // }
    // The JSON's hex and the slab's bytes come from the same (lowercase-checked) characters.
    const flags = (kind === Kind.Video ? ROW_VIDEO : 0) | (this.#withFingerprints ? this.#fpBits | ROW_FP_CANONICAL : 0);
    this.#builder.addEncoded(this.#source, key, flags, o);
    return limit + close.length;
  }

  /**
   * The first end tag of `kind` at or after `p`. The answer of the last search in the same bytes is reused while it
   * still lies ahead: otherwise a run of declined records that all lack that end tag would each search to the end.
   */
  #closeAfter(b: Buffer, p: number, kind: number): number {
    if (this.#searched !== b || this.#searchedLength !== b.length) {
      this.#searched = b;
      this.#searchedLength = b.length;
      this.#searchFrom.fill(-1);
    }
    const from = this.#searchFrom[kind]!;
    const found = this.#searchFound[kind]!;
    // The bytes are checked again: a caller could hand over the same Buffer refilled.
    if (from >= 0 && from <= p && (found === -1 || (found >= p && at(b, found, CLOSE[kind]!)))) return found;
    const close = b.indexOf(CLOSE[kind]!, p);
    this.#searchFrom[kind] = p;
    this.#searchFound[kind] = close;
    return close;
  }

  /** Upper bound of the record's JSON length in bytes (texts are ASCII: one byte per character). */
  #jsonLength(timestamp: Uint8Array | undefined): number {
    return (
      this.#jsonHead.length +
      128 +
      (this.#idEnd - this.#id) +
      this.#fpCount * 80 +
      (this.#memberIdEnd - this.#memberId) +
      (this.#memberNameEnd - this.#memberName) +
      (this.#classificationEnd - this.#classification) +
      (timestamp?.length ?? 0)
    );
  }

  /** The record's timestamp normalised as the general path does (undefined: unparseable, left out). */
  #isoTimestamp(b: Buffer): Uint8Array | undefined {
    if (!sameText(b, this.#timestamp, this.#timestampEnd, this.#lastRawTimestamp)) {
      this.#lastRawTimestamp = b.toString('latin1', this.#timestamp, this.#timestampEnd);
      const iso = normalizeIsoTimestamp(this.#lastRawTimestamp);
      this.#lastTimestamp = iso === undefined ? undefined : Buffer.from(iso, 'utf8');
    }
    return this.#lastTimestamp;
  }

  /**
   * Checks the record's content from `b[i]` up to its end tag `close` (before `limit`) and notes where its texts
   * are. Returns the offset of the end tag, or -1: not in the fast shape, or not all before `limit`.
   */
  #scan(b: Uint8Array, i: number, limit: number, deleted: boolean, close: Uint8Array): number {
    this.#memberId = this.#memberIdEnd = this.#memberName = this.#memberNameEnd = -1;
    this.#id = this.#idEnd = this.#timestamp = this.#timestampEnd = this.#classification = this.#classificationEnd = -1;
    this.#fingerprintsSeen = this.#feedbackSeen = false;
    this.#fpCount = this.#fpBits = 0;
    for (;;) {
      while (i < limit && isSpace(b[i]!)) i++;
      if (i === limit || b[i] !== LT) return -1;
      switch (b[i + 1]) {
        case 0x2f: // </
          return i + close.length <= limit && at(b, i, close) ? i : -1;
        case 0x6d: {
          // <member id="…">name</member>
          if (this.#memberId >= 0 || i + MEMBER_OPEN.length > limit || !at(b, i, MEMBER_OPEN)) return -1;
          const s = i + MEMBER_OPEN.length;
          const e = this.#text(b, s, limit, DQUOTE);
          if (e < 0 || b[e + 1] !== GT) return -1;
          const n = this.#text(b, e + 2, limit, LT, true);
          if (n < 0 || n + MEMBER_CLOSE.length > limit || !at(b, n, MEMBER_CLOSE)) return -1;
          this.#memberId = s;
          this.#memberIdEnd = e;
          this.#memberName = e + 2;
          this.#memberNameEnd = n;
          i = n + MEMBER_CLOSE.length;
          break;
        }
        case 0x69: {
          if (this.#id >= 0) return -1;
          const e = this.#element(b, i, limit, ID_OPEN, ID_CLOSE);
          if (e < 0) return -1;
          this.#id = i + ID_OPEN.length;
          this.#idEnd = e;
          i = e + ID_CLOSE.length;
          break;
        }
        case 0x74: {
          if (this.#timestamp >= 0) return -1;
          const e = this.#element(b, i, limit, TIMESTAMP_OPEN, TIMESTAMP_CLOSE);
          if (e < 0) return -1;
          this.#timestamp = i + TIMESTAMP_OPEN.length;
          this.#timestampEnd = e;
          i = e + TIMESTAMP_CLOSE.length;
          break;
        }
        case 0x63: {
          if (this.#classification >= 0) return -1;
          const e = this.#element(b, i, limit, CLASSIFICATION_OPEN, CLASSIFICATION_CLOSE);
          if (e < 0) return -1;
          this.#classification = i + CLASSIFICATION_OPEN.length;
          this.#classificationEnd = e;
          i = e + CLASSIFICATION_CLOSE.length;
          break;
        }
        case 0x66: {
          if (deleted) return -1;
          if (i + FEEDBACK_EMPTY.length <= limit && at(b, i, FEEDBACK_EMPTY)) {
            if (this.#feedbackSeen) return -1;
            this.#feedbackSeen = true;
            i += FEEDBACK_EMPTY.length;
            break;
          }
          if (this.#fingerprintsSeen || i + FINGERPRINTS_OPEN.length > limit || !at(b, i, FINGERPRINTS_OPEN)) return -1;
          this.#fingerprintsSeen = true;
          i = this.#fingerprints(b, i + FINGERPRINTS_OPEN.length, limit);
          if (i < 0) return -1;
          break;
        }
        default:
          return -1;
      }
    }
  }

  /** `<md5>…</md5>` and the like up to `</fingerprints>`; the offset after it, or -1. */
  #fingerprints(b: Uint8Array, i: number, limit: number): number {
    for (;;) {
      while (i < limit && isSpace(b[i]!)) i++;
      if (i + FINGERPRINTS_CLOSE.length <= limit && at(b, i, FINGERPRINTS_CLOSE)) return i + FINGERPRINTS_CLOSE.length;
      if (b[i] !== LT) return -1;
      const c = b[i + 1];
      const which = c === 0x6d ? 0 : c === 0x70 ? 3 : c === 0x73 ? (b[i + 4] === 0x31 ? 1 : 2) : -1;
      if (which < 0) return -1;
      const bit = FP_BITS[which]!;
      const open = FP_OPEN[which]!;
      const close = FP_CLOSE[which]!;
      const s = i + open.length;
      const e = s + FP_HEX[which]!;
      if ((this.#fpBits & bit) !== 0 || e + close.length > limit || !at(b, i, open) || !at(b, e, close)) return -1;
      for (let k = s; k < e; k++) if (NOT_LOWER_HEX[b[k]!] !== 0) return -1; // undefined (not ASCII) too
      this.#fpOrder[this.#fpCount] = which;
      this.#fpAt[this.#fpCount++] = s;
      this.#fpBits |= bit;
      i = e + close.length;
    }
  }

  /** `<name>text</name>` at `i`: the offset of the end tag, or -1. */
  #element(b: Uint8Array, i: number, limit: number, open: Uint8Array, close: Uint8Array): number {
    if (i + open.length > limit || !at(b, i, open)) return -1;
    const e = this.#text(b, i + open.length, limit, LT);
    return e >= 0 && e + close.length <= limit && at(b, e, close) ? e : -1;
  }

  /**
   * A fast-path text from `s` up to the byte `stop`: the offset of `stop`, or -1 when the text is empty (unless
   * `mayBeEmpty`), has a byte outside {@link TEXT_BYTE}, or starts or ends with a space.
   */
  #text(b: Uint8Array, s: number, limit: number, stop: number, mayBeEmpty = false): number {
    let i = s;
    while (i < limit && TEXT_BYTE[b[i]!] === 1) i++; // stops at `stop` too: no TEXT_BYTE
    if (i >= limit || b[i] !== stop) return -1;
    if (i === s) return mayBeEmpty ? i : -1;
    return b[s] === SPACE || b[i - 1] === SPACE ? -1 : i;
  }
}
