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
