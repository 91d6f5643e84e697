// Public surface of src/list (re-exported by src/index.ts). Keep names unique across areas.
export {
  HashList,
  type HashListOptions,
  type HashListStats,
  type ListApplyResult,
  type ListDigestKind,
  type ListItem,
  type ListPdqHit,
} from './hash-list.js';
