// Public surface of src/sync (re-exported by src/index.ts). Keep names unique across areas.
export { createFileSource, type FileCheckpoint, type FileSourceOptions, type ListFileFormat } from './file-source.js';
export { normalizeListRecord, type RecordResult } from './record.js';
