/**
 * tidscan: platform-side scanning for NCMEC Take It Down hash lists.
 *
 * This file alone decides what is public.
 *
 * @module
 */
export * from './errors.js';
export {
  HASH_BYTES,
  type HexHashKind,
  parseHex,
  parsePdq,
  toHex,
  normalizeHex,
  isHexOfLength,
  hammingDistance,
  hexDistance,
} from './hash/hex.js';
export type { HashIndex, IndexMatch, IndexBatch } from './match/types.js';
export type {
  EntryKind,
  VpdqFeature,
  Fingerprints,
  ListEntry,
  ListUpdate,
  SkippedRecord,
  DeltaPage,
  FetchOptions,
  HashListSource,
} from './sync/types.js';
export * from './hash/index.js';
export * from './match/index.js';
export * from './sync/index.js';
export * from './media/index.js';
export * from './list/index.js';
export * from './scanner/index.js';
export * from './rescan/index.js';
