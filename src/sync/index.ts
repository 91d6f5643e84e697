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
