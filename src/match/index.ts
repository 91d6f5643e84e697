// Public surface of src/match (re-exported by src/index.ts). Keep names unique across areas.
export { createHashIndex, DEFAULT_INDEX, INDEX_NAMES, isIndexName } from './create.js';
export type { IndexName, HashIndexOptions } from './create.js';
export { LinearIndex } from './linear.js';
export { BkTreeIndex } from './bk-tree.js';
export { MihIndex, chooseSubstringBits } from './mih.js';
export type { MihOptions } from './mih.js';
export { AutoIndex } from './auto.js';
export { DigestIndex } from './digest-index.js';
export type { DigestBytes } from './digest-index.js';
