/**
 * An entry's JSON as the list holds it: without the hex of the fingerprints its indexes hold. In
 * `"fingerprints":{"md5":"…","sha1":"…","pdq":"…"}` each such value, quotes included, is replaced by one marker byte
 * (0x01 MD5, 0x02 SHA-1, 0x03 SHA-256, 0x04 PDQ), and put back from the indexes when the entry is read. About 140 of
 * an NCMEC entry's ~350 bytes: the list's largest part, and first-touch page faults while a large sync fills it
 * (docs/performance.md).
 *
 * Why it is exact: JSON text never holds a raw byte below 0x20 (JSON.stringify and the NCMEC fast path escape or
 * refuse them), so a marker cannot be confused with the text around it; a value is replaced only when it is the
 * lowercase hex of the very bytes the row puts in the index under that handle (compared here, or vouched for by
 * the row's `ROW_FP_CANONICAL` flag), so what is put back is the same text. Anything unexpected in the object
 * (escapes in a name, a value that is not a string, hex that differs) ends the stripping there: stripping less is
 * always correct.
 *
 * @internal
 * @module
 */
import { FINGERPRINT_AT, ROW_FP_CANONICAL, ROW_MD5, ROW_PDQ, ROW_SHA1, ROW_SHA256 } from './change-batch.js';

/** The fingerprint kinds the list can hold without their hex, in marker order (marker = index + 1). */
export const STRIPPED_KINDS = ['md5', 'sha1', 'sha256', 'pdq'] as const;
export type StrippedKind = (typeof STRIPPED_KINDS)[number];

const KIND_BITS = [ROW_MD5, ROW_SHA1, ROW_SHA256, ROW_PDQ];
const KIND_BYTES = [16, 20, 32, 32];
const KIND_SLAB_AT = STRIPPED_KINDS.map((k) => FINGERPRINT_AT[k]);
const KIND_NAMES = STRIPPED_KINDS.map((k) => Uint8Array.from(k, (c) => c.charCodeAt(0)));
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const OPEN = Uint8Array.from('"fingerprints":{', (c) => c.charCodeAt(0));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MARKERS = /[\u0001-\u0004]/;

/** Which kinds may be stripped: the row's fingerprint bits (`ROW_*`) that the list's indexes can give back. */
export function strippableBits(withPdq: boolean): number {
  return ROW_MD5 | ROW_SHA1 | ROW_SHA256 | (withPdq ? ROW_PDQ : 0);
}

/**
 * Copies the JSON `text[start, end)` to `out` (from 0), each fingerprint value that the row's slab holds under a
 * kind of `bits` replaced by its marker. `slab[slabAt..]` is the row's `FINGERPRINT_ROW_BYTES`; `flags` its `ROW_*`
 * bits (with `ROW_FP_CANONICAL` the hex is not compared with the slab again). Returns the bytes written (`out` must
 * hold `end - start`).
 */
export function stripFingerprints(
  text: Uint8Array,
  start: number,
  end: number,
  flags: number,
  bits: number,
  slab: Uint8Array,
  slabAt: number,
  out: Uint8Array,
): number {
  const canonical = (flags & ROW_FP_CANONICAL) !== 0;
  let o = 0;
  let from = start;
  let i = findOpen(text, start, end);
  if (i >= 0 && bits !== 0) {
    i += OPEN.length;
    for (;;) {
      if (text[i] !== QUOTE) break; // `}` (empty object) or anything unexpected
      const nameEnd = plainNameEnd(text, i + 1, end);
      if (nameEnd < 0 || text[nameEnd + 1] !== 0x3a /* : */ || text[nameEnd + 2] !== QUOTE) break;
      const valueStart = nameEnd + 2;
      const kind = kindOf(text, i + 1, nameEnd);
      let valueEnd: number;
      if (kind >= 0 && (bits & KIND_BITS[kind]!) !== 0) {
        const hexEnd = valueStart + 1 + 2 * KIND_BYTES[kind]!;
        const same =
          hexEnd < end && text[hexEnd] === QUOTE && (canonical || isHexOf(text, valueStart + 1, hexEnd, slab, slabAt + KIND_SLAB_AT[kind]!, KIND_BYTES[kind]!));
        if (!same) break; // not what the index holds: left as it is, with the rest of the object
        o = copy(text, from, valueStart, out, o);
        out[o++] = kind + 1;
        from = valueEnd = hexEnd + 1;
      } else {
        valueEnd = stringEnd(text, valueStart + 1, end);
        if (valueEnd < 0) break;
      }
      if (text[valueEnd] !== 0x2c /* , */) break;
      i = valueEnd + 1;
    }
  }
  return copy(text, from, end, out, o);
}

/**
 * The JSON `held` with every marker replaced by the quoted hex that `hexOf` gives for its kind.
 *
 * @throws {Error} when `hexOf` has nothing for a marker: the list and its indexes disagree (a bug).
 */
export function restoreFingerprints(held: string, hexOf: (kind: StrippedKind) => string | undefined): string {
  if (!MARKERS.test(held)) return held;
  let out = '';
  let from = 0;
  for (let i = 0; i < held.length; i++) {
    const c = held.charCodeAt(i);
    if (c < 1 || c > 4) continue;
    const kind = STRIPPED_KINDS[c - 1]!;
    const hex = hexOf(kind);
    if (hex === undefined) throw new Error(`The list holds an entry whose ${kind} is not in its index`);
    out += held.slice(from, i) + '"' + hex + '"';
    from = i + 1;
  }
  return out + held.slice(from);
}

/** Offset of `"fingerprints":{` in `text[start, end)`, or -1. */
function findOpen(text: Uint8Array, start: number, end: number): number {
  const last = end - OPEN.length;
  outer: for (let i = start; i <= last; i++) {
    if (text[i] !== QUOTE || text[i + 1] !== 0x66 /* f */) continue;
    for (let k = 2; k < OPEN.length; k++) if (text[i + k] !== OPEN[k]) continue outer;
    return i;
  }
  return -1;
}

/** End (the closing quote) of a name without escapes starting at `i`, or -1. */
function plainNameEnd(text: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = text[i]!;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) return -1;
  }
  return -1;
}

/** Offset after the closing quote of a JSON string whose content starts at `i`, or -1. */
function stringEnd(text: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = text[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/** Which stripped kind the name `text[s, e)` is, or -1. */
function kindOf(text: Uint8Array, s: number, e: number): number {
  outer: for (let k = 0; k < KIND_NAMES.length; k++) {
    const name = KIND_NAMES[k]!;
    if (name.length !== e - s) continue;
    for (let j = 0; j < name.length; j++) if (text[s + j] !== name[j]) continue outer;
    return k;
  }
  return -1;
}

/** True when `text[s, e)` (`2 * bytes` long) is the lowercase hex of `slab[at, at + bytes)`. */
function isHexOf(text: Uint8Array, s: number, e: number, slab: Uint8Array, at: number, bytes: number): boolean {
  if (e - s !== 2 * bytes) return false;
  for (let b = 0; b < bytes; b++) {
    const v = slab[at + b]!;
    if (text[s + 2 * b] !== HEX[v >>> 4] || text[s + 2 * b + 1] !== HEX[v & 15]) return false;
  }
  return true;
}

function copy(text: Uint8Array, s: number, e: number, out: Uint8Array, o: number): number {
  if (e - s > 64) {
    out.set(text.subarray(s, e), o);
    return o + (e - s);
  }
  for (let k = s; k < e; k++) out[o++] = text[k]!;
  return o;
}
