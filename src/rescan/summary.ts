/**
 * Counting rescan outcomes, and the exit status scripts rely on.
 *
 * @module
 */
import type { RescanOutcome, RescanRecord } from './record.js';

/** Files per outcome. */
export type OutcomeCounts = Record<RescanOutcome, number> & { files: number };

/** Empty counts. */
export function emptyCounts(): OutcomeCounts {
  return { files: 0, match: 0, no_match: 0, unhashable: 0, error: 0 };
}

/** Adds one record's outcome to `counts` (in place) and returns it. */
export function countRecord(counts: OutcomeCounts, record: Pick<RescanRecord, 'outcome'>): OutcomeCounts {
  counts.files++;
  counts[record.outcome]++;
  return counts;
}

/** Counts of a set of records. */
export function countRecords(records: Iterable<Pick<RescanRecord, 'outcome'>>): OutcomeCounts {
  const counts = emptyCounts();
  for (const r of records) countRecord(counts, r);
  return counts;
}

/**
 * Exit statuses of `tidscan match` and `tidscan rescan`, documented in their `--help` and in the README.
 * A match always wins: a script that only checks for 3 never misses one because another file failed.
 */
export const EXIT_STATUS = {
  /** Every file was judged and none matched (`no_match` or `unhashable`). */
  ok: 0,
  /** The command could not run (bad config, store missing, unreadable input list, ...). */
  failed: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** At least one file matched a list entry. */
  match: 3,
  /** No match, but at least one file could not be judged (read or decode error): rerun or inspect. */
  incomplete: 4,
  /** Interrupted by SIGINT; the checkpoint is saved and rerunning the same command resumes. */
  sigint: 130,
  /** Interrupted by SIGTERM; as for SIGINT. */
  sigterm: 143,
} as const;

/** The exit status for a finished set of outcomes. */
export function exitStatusFor(counts: OutcomeCounts): number {
  if (counts.match > 0) return EXIT_STATUS.match;
  if (counts.error > 0) return EXIT_STATUS.incomplete;
  return EXIT_STATUS.ok;
}

/** The text block both commands put in `--help`. */
export const EXIT_STATUS_HELP = `Exit status:
  0    every file judged, no match (no_match or unhashable)
  3    at least one file matched (wins over errors)
  4    no match, but some files could not be judged (errors)
  1    the command failed (configuration, store, unreadable input list)
  2    bad flags or arguments
  130  interrupted by SIGINT / 143 by SIGTERM (rescan: rerun to resume)`;
