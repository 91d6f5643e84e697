// Public surface of src/hash (re-exported by src/index.ts). Keep names unique across areas.
// Everything here is pure TypeScript with no Node imports (browser-safe), except digest.ts.
export {
  pdqFromPixels,
  pdqFromImageData,
  validatePdqOptions,
  type PdqResult,
  type PdqFullResult,
  type PdqOptions,
  type PdqResizePolicy,
  type PdqChannels,
  type ImageDataLike,
} from './pdq.js';
export { DIHEDRAL_NAMES, dihedralDct, type DihedralName } from './dihedral.js';
export { pdqQuality, pdqDct16, pdqMedian, pdqBitsFromDct } from './pdq-dct.js';
export { PDQ_MIN_HASHABLE_DIM, PDQ_CLI_DOWNSAMPLE_DIM } from './pdq-constants.js';
export {
  matchVpdq,
  prepareVpdq,
  VPDQ_MATCH_DEFAULTS,
  type VpdqMatchOptions,
  type VpdqMatchResult,
  type VpdqFilterOptions,
  type VpdqFeatureLike,
  type VpdqDistanceRule,
  type PreparedVpdq,
} from './vpdq.js';
export { parseVpdqFile, formatVpdqFile, parseVpdqSignal, formatVpdqSignal, type VpdqFrame } from './vpdq-format.js';
export { vpdqFrameMod, vpdqTimestamp } from './vpdq-sampling.js';
