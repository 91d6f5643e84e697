// Public surface of src/sync (re-exported by src/index.ts). Keep names unique across areas.
export { createFileSource, type FileCheckpoint, type FileSourceOptions, type ListFileFormat } from './file-source.js';
export { normalizeListRecord, type RecordResult } from './record.js';
export {
  createHttpClient,
  HTTP_DIAGNOSTICS_CHANNEL,
  type HttpClient,
  type HttpClientOptions,
  type HttpDiagnosticEvent,
  type HttpRequestOptions,
  type HttpResponse,
} from './http.js';
export { redactUrl } from './redact.js';
export { createNcmecSource, type NcmecSource, type NcmecSourceOptions } from './ncmec/source.js';
export type { NcmecCheckpoint, NcmecPagingState } from './ncmec/checkpoint.js';
export {
  NCMEC_XML_NAMESPACE,
  type NcmecFeedbackInput,
  type NcmecFeedbackReason,
  type NcmecStatus,
} from './ncmec/api.js';
export type { NcmecFeedbackRecord } from './ncmec/entries-xml.js';
export { createStopNciiSource, type StopNciiCheckpoint, type StopNciiSourceOptions } from './stopncii.js';
// The durable store, sync() and its report (store engineer).
export {
  openListStore,
  ListStore,
  type ListStoreOptions,
  type ListStoreStats,
  type StoreChange,
  type SourcedStoreChange,
  type StoreCommit,
  type StoreCommitResult,
  type StoredCheckpoint,
  type LockHolder,
  type FalsePositiveRecord,
} from './store.js';
export { STORE_SCHEMA_VERSION } from './store-schema.js';
export { SYNC_LOCK_NAME, type SyncLockOptions } from './lock.js';
export { sync, type SyncOptions } from './syncer.js';
export type { StoreWriterMode } from './store-writer.js';
export type { SyncReport, SyncSourceReport, SkippedGroup, SyncFailure } from './syncer-report.js';
export { SYNC_CHANNELS, type SyncPageEvent, type SyncDoneEvent, type SyncErrorEvent } from './syncer-diagnostics.js';
export type { OrderedCheckpointSource } from './checkpoint-order.js';
export { startSyncLoop, type SyncLoop, type SyncLoopOptions } from './loop.js';
export {
  loadSyncConfig,
  parseSyncConfig,
  createConfiguredSources,
  type SyncConfig,
  type SourceConfig,
  type HttpSourceSettings,
} from './config.js';
