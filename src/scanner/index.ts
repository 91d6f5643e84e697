// Public surface of src/scanner (re-exported by src/index.ts). Keep names unique across areas.
export { createScanner } from './scanner.js';
export type { Scanner, ScanCallOptions, ScannerStats } from './scanner.js';
export type {
  ScanOperation,
  SignalType,
  UnhashableReason,
  FrameHash,
  ComputedHashes,
  DigestMatch,
  FrameMatch,
  PdqMatch,
  VpdqMatch,
  Match,
  FalsePositiveTarget,
  FalsePositive,
  ExcludedMatch,
  VerdictTiming,
  MediaInfo,
  MatchVerdict,
  NoMatchVerdict,
  UnhashableVerdict,
  Verdict,
  HashesInput,
  VpdqThresholds,
  ScannerListOptions,
  ScannerOptions,
  MatchManyOptions,
} from './types.js';
export type { MatchManyResult } from './batch.js';
export type { AddFalsePositiveOptions } from './allowlist.js';
export type { ScannerQueueStats } from './work-queue.js';
export type { ScannerCacheStats } from './verdict-cache.js';
export { SCANNER_DEFAULTS } from './options.js';
export { SCANNER_CHANNELS, type ScanMatchEvent, type ScanErrorEvent } from './diagnostics.js';
