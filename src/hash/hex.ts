/**
 * Hash values: parsing, validation, packed binary form and Hamming distance.
 *
 * A PDQ hash is the 256-bit unsigned integer N = Σ bitₖ·2ᵏ written as 64 big-endian hex digits (docs/hashing.md).
 * Its packed form is the 32 bytes of that hex string, most significant first: `bytes[0]` holds hex chars 0–1.
 * Digests (MD5, SHA-1, SHA-256) are packed the same way. This module depends on nothing from Node.
 *
 * @module
 */
import { HashFormatError } from '../errors.js';

/** Lengths in bytes of each fixed-size hash this package handles. */
export const HASH_BYTES = { pdq: 32, md5: 16, sha1: 20, sha256: 32 } as const;

/** A fixed-size hash kind that has a hex form. */
export type HexHashKind = keyof typeof HASH_BYTES;

/** Value of each ASCII hex digit (either case), -1 for any other character. @internal */
export const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i;
  HEX_VALUE[97 + i] = 10 + i;
}
/** 1 for every ASCII character that is not a lowercase hex digit. A table, not range tests: on random hex the
 * range tests' branches mispredict, and the lookup is about 2.5x faster. @internal */
export const NOT_LOWER_HEX = new Uint8Array(128).fill(1);
for (let i = 0; i < 10; i++) NOT_LOWER_HEX[48 + i] = 0;
for (let i = 0; i < 6; i++) NOT_LOWER_HEX[97 + i] = 0;
const HEX_CHARS = '0123456789abcdef';
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, b) => HEX_CHARS[b >> 4]! + HEX_CHARS[b & 15]!);

/** True when `value` is a hex string of exactly `bytes*2` characters (either case). */
export function isHexOfLength(value: unknown, bytes: number): value is string {
  if (typeof value !== 'string' || value.length !== bytes * 2) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || HEX_VALUE[c]! < 0) return false;
  }
  return true;
}

/** True when `value` is lowercase hex of exactly `bytes*2` characters (the normalised form). */
export function isLowerHexOfLength(value: unknown, bytes: number): boolean {
  if (typeof value !== 'string' || value.length !== bytes * 2) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || NOT_LOWER_HEX[c] !== 0) return false;
  }
  return true;
}

/**
 * Parses a hex hash of the given kind into its packed bytes. Case-insensitive; surrounding whitespace is
 * not accepted (normalise before calling if the source is loose).
 *
 * @throws {HashFormatError} `INVALID_HASH` when the value is not hex of the right length.
 */
export function parseHex(kind: HexHashKind, value: unknown): Uint8Array {
  const bytes = HASH_BYTES[kind];
  if (!isHexOfLength(value, bytes)) {
    const shown = typeof value === 'string' ? `${JSON.stringify(value.slice(0, 80))} (length ${value.length})` : typeof value;
    throw new HashFormatError('INVALID_HASH', `Expected a ${kind} hash of ${bytes * 2} hex characters, got ${shown}`, {
      details: { kind },
    });
  }
  const out = new Uint8Array(bytes);
  decodeHexInto(kind, value, out, 0);
  return out;
}

/**
 * {@link parseHex} into `out` at `offset` instead of a new array (no allocation on the hot paths that pack many
 * hashes). Throws the same `HashFormatError` for a malformed value, possibly after writing part of it.
 */
export function decodeHexInto(kind: HexHashKind, value: unknown, out: Uint8Array, offset: number): void {
  const bytes = HASH_BYTES[kind];
  if (typeof value !== 'string' || value.length !== bytes * 2) {
    parseHex(kind, value); // throws
    return;
  }
  for (let i = 0; i < bytes; i++) {
    const hi = HEX_VALUE[value.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUE[value.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) {
      parseHex(kind, value); // throws
      return;
    }
    out[offset + i] = (hi << 4) | lo;
  }
}

/** Lowercase hex of packed bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_HEX[bytes[i]!]!;
  return s;
}

/** Normalises a hex hash string of the given kind to lowercase, validating it. */
export function normalizeHex(kind: HexHashKind, value: unknown): string {
  return toHex(parseHex(kind, value));
}

/** Parses a 64-hex-digit PDQ hash into 32 packed bytes. @throws {HashFormatError} `INVALID_HASH` */
export function parsePdq(hex: unknown): Uint8Array {
  return parseHex('pdq', hex);
}

/** Number of set bits in a 32-bit integer. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Hamming distance between two packed hashes of equal length (0–256 for PDQ).
 *
 * @throws {RangeError} when the lengths differ.
 */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) {
    throw new RangeError(`Expected hashes of equal length, got ${a.length} and ${b.length} bytes`);
  }
  let d = 0;
  let i = 0;
  for (; i + 4 <= a.length; i += 4) {
    const x =
      ((a[i]! ^ b[i]!) << 24) | ((a[i + 1]! ^ b[i + 1]!) << 16) | ((a[i + 2]! ^ b[i + 2]!) << 8) | (a[i + 3]! ^ b[i + 3]!);
    d += popcount32(x);
  }
  for (; i < a.length; i++) d += popcount32(a[i]! ^ b[i]!);
  return d;
}

/** Hamming distance between two hex hashes of the same kind. @throws {HashFormatError} `INVALID_HASH` */
export function hexDistance(a: string, b: string, kind: HexHashKind = 'pdq'): number {
  return hammingDistance(parseHex(kind, a), parseHex(kind, b));
}
