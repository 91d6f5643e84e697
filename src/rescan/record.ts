/**
 * The per-file result of a rescan: one line of NDJSON output, one row of CSV, one row of the HTML report and
 * (in compact form) one record of the checkpoint ledger. Built from a scanner {@link Verdict} or a failure.
 *
 * @module
 */
import { errorToJSON } from '../errors.js';
import type { Match, Verdict } from '../scanner/types.js';

/** The dihedral variant names the scanner reports (`orig`, `rot90`, ...). */
type DihedralTransform = Extract<Match, { signal: 'pdq' }>['transform'];

/** What a rescan concluded about one file: a scanner verdict kind, or `error` when it could not be judged. */
export type RescanOutcome = Verdict['kind'] | 'error';

/** One matching list entry, flattened for output. */
export interface RescanMatch {
  list: string;
  entryId: string;
  signal: Match['signal'];
  /** Hamming distance (0 for digests; the best frame distance for vPDQ). */
  distance: number;
  /** Dihedral variant that matched (PDQ on images). */
  transform?: DihedralTransform;
  /** Best-matching video frame (PDQ matches of a video frame against an image entry). */
  frame?: number;
  /** Seconds into the video of `frame`. */
  timestamp?: number;
  /** vPDQ match percentages. */
  queryPercent?: number;
  targetPercent?: number;
  classification?: string;
  memberId?: string;
}

/** The result for one file. */
export interface RescanRecord {
  /** The file as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** Whether it was scanned as an image or a video. */
  kind: 'image' | 'video';
  outcome: RescanOutcome;
  /** Size in bytes when scanned. */
  size: number;
  /** SHA-256 of the content, when it was read. */
  sha256?: string;
  /** The list version it was judged against (absent on `error`). */
  listVersion?: number;
  /** Matches (only on `match`). */
  matches?: RescanMatch[];
  /** Number of matches excluded by the false-positive allowlist. */
  excluded?: number;
  /** `unhashable` reason code and message. */
  reason?: string;
  message?: string;
  /** `error`: the failure's stable code and message. */
  error?: { code: string; message: string };
  /** Perceptual hash and quality (images). */
  pdq?: string;
  quality?: number;
  /** When the file was judged, ISO 8601. */
  scannedAt: string;
}

/** Flattens one scanner match. */
export function toRescanMatch(match: Match): RescanMatch {
  const out: RescanMatch = { list: match.list, entryId: match.entryId, signal: match.signal, distance: match.distance };
  if (match.signal === 'pdq') {
    out.transform = match.transform;
    if (match.frame) {
      out.frame = match.frame.frame;
      out.timestamp = match.frame.timestamp;
    }
  } else if (match.signal === 'vpdq') {
    out.queryPercent = match.queryPercent;
    out.targetPercent = match.targetPercent;
  }
  if (match.classification !== undefined) out.classification = match.classification;
  if (match.member?.id !== undefined) out.memberId = match.member.id;
  return out;
}

/** Builds the record for a judged file. */
export function recordFromVerdict(
  file: string,
  kind: 'image' | 'video',
  size: number,
  verdict: Verdict,
  scannedAt = new Date(),
): RescanRecord {
  const record: RescanRecord = { file, kind, outcome: verdict.kind, size, listVersion: verdict.listVersion, scannedAt: scannedAt.toISOString() };
  if (verdict.hashes.sha256 !== undefined) record.sha256 = verdict.hashes.sha256;
  if (verdict.hashes.pdq !== undefined) record.pdq = verdict.hashes.pdq;
  if (verdict.hashes.quality !== undefined) record.quality = verdict.hashes.quality;
  if (verdict.kind === 'match') record.matches = verdict.matches.map(toRescanMatch);
  if (verdict.excluded.length > 0) record.excluded = verdict.excluded.length;
  if (verdict.kind === 'unhashable') {
    record.reason = verdict.reason;
    record.message = verdict.message;
  }
  return record;
}

/** Builds the record for a file that could not be judged. */
export function recordFromError(
  file: string,
  kind: 'image' | 'video',
  size: number,
  err: unknown,
  scannedAt = new Date(),
): RescanRecord {
  return { file, kind, outcome: 'error', size, error: errorToJSON(err), scannedAt: scannedAt.toISOString() };
}

/** The smallest Hamming distance among a record's matches, or undefined. */
export function bestDistance(record: Pick<RescanRecord, 'matches'>): number | undefined {
  if (!record.matches?.length) return undefined;
  return Math.min(...record.matches.map((m) => m.distance));
}
