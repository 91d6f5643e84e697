// Public surface of src/rescan (batch rescans with a resumable checkpoint) and src/report (HTML report).
export { runRescan, type RescanScanner, type RescanOptions, type RescanResult, type RescanProgress } from './rescan.js';
export { RescanLedger, type LedgerRecord, type LedgerOptions } from './ledger.js';
export {
  collectTargets,
  parseFileList,
  mediaKindOf,
  walkFiles,
  type RescanTarget,
  type CollectedTargets,
} from './inputs.js';
export { type RescanRecord, type RescanMatch, type RescanOutcome } from './record.js';
export { EXIT_STATUS, exitStatusFor, countRecords, type OutcomeCounts } from './summary.js';
export { csvHeader, csvRow, RESCAN_CSV_COLUMNS } from './csv.js';
export { renderHtmlReport, type HtmlReportInput } from '../report/html.js';
