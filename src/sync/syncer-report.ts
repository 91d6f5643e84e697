/**
 * The sync report: what each source did, grouped skip reasons, and checkpoints redacted for display.
 *
 * @module
 */
import { errorToJSON, isTidscanError } from '../errors.js';
import { REDACTED, redactUrl } from './redact.js';
import type { SkippedRecord } from './types.js';

/** Skipped records that share a reason. */
export interface SkippedGroup {
  /** The reason, without the record's position (`line 12: ` etc.). */
  reason: string;
  count: number;
  /** Up to 3 keys or positions of records skipped for it. */
  examples: string[];
}

/** A failure as reports carry it: the stable code and a message without secrets. */
export interface SyncFailure {
  code: string;
  message: string;
}

/** What `sync()` did for one source. */
export interface SyncSourceReport {
  /** The source (list) id. */
  id: string;
  /** The source type (`ncmec`, `stopncii`, `file`, ...). */
  name: string;
  /** False when the source failed; pages committed before the failure stay committed. */
  ok: boolean;
  /** Delta pages committed. */
  pages: number;
  added: number;
  updated: number;
  /** Upserts identical to what the store held. */
  unchanged: number;
  deleted: number;
  /** Records not applied, grouped by reason (from the source, or refused by the store's checks). */
  skipped: SkippedGroup[];
  durationMs: number;
  /** The committed checkpoint after this sync (secret-looking values and cursors redacted), or null. */
  checkpoint: unknown;
  error?: SyncFailure;
}

/** What `sync()` resolves to. It never rejects for runtime failures: `ok` and `error` say what went wrong. */
export interface SyncReport {
  /** True when every source synced completely. */
  ok: boolean;
  /** The list version after the sync (verdicts carry it). */
  version: number;
  /** The list version before it. */
  previousVersion: number;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  sources: SyncSourceReport[];
  /** The first failure (also in its source's report), or a failure before any source ran (`SYNC_LOCKED`). */
  error?: SyncFailure;
}

const MAX_GROUPS = 50;
const MAX_EXAMPLES = 3;
const POSITION = /^((?:line|record|row|entries|entry|records)\s*\[?\d+\]?(?:\.\w+)?):\s*/i;

/** Accumulates skipped records into {@link SkippedGroup}s (bounded: at most 50 reasons, 3 examples each). */
export class SkippedTally {
  readonly #groups = new Map<string, SkippedGroup>();
  #total = 0;

  /** Adds records. */
  add(records: readonly SkippedRecord[]): void {
    for (const r of records) {
      this.#total++;
      const raw = typeof r?.reason === 'string' && r.reason.length > 0 ? r.reason : 'no reason given';
      const position = POSITION.exec(raw);
      let reason = position ? raw.slice(position[0].length) : raw;
      if (reason.length > 300) reason = `${reason.slice(0, 300)}…`;
      let group = this.#groups.get(reason);
      if (!group) {
        if (this.#groups.size >= MAX_GROUPS) reason = 'other reasons';
        group = this.#groups.get(reason) ?? { reason, count: 0, examples: [] };
        this.#groups.set(reason, group);
      }
      group.count++;
      const example = r?.key ?? position?.[1];
      if (example !== undefined && group.examples.length < MAX_EXAMPLES) group.examples.push(String(example).slice(0, 200));
    }
  }

  /** Number of records added. */
  get total(): number {
    return this.#total;
  }

  /** The groups, largest first. */
  groups(): SkippedGroup[] {
    return [...this.#groups.values()].sort((a, b) => b.count - a.count);
  }
}

const SECRET_KEY = /token|secret|pass|pwd|auth|credential|cookie|session|key/i;

/**
 * A copy of a checkpoint safe to print: values under secret-looking names (`nextPageToken`, ...) become `***`,
 * URL-looking strings go through `redactUrl`, and long strings are shortened.
 */
export function redactCheckpoint(value: unknown, depth = 0): unknown {
  if (depth > 8) return REDACTED;
  if (typeof value === 'string') {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value);
    if (value.startsWith('/') && value.includes('?')) return redactUrl(new URL(value, 'http://x').toString()).replace(/^http:\/\/x/, '');
    return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  }
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redactCheckpoint(v, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined ? REDACTED : redactCheckpoint(v, depth + 1);
    return out;
  }
  return value;
}

/** `{code, message}` of any thrown value (non-tidscan errors become `INTERNAL`). */
export function toFailure(err: unknown): SyncFailure {
  if (isTidscanError(err)) return { code: err.code, message: err.message };
  return errorToJSON(err);
}
