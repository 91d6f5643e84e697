/**
 * The last gate before a page reaches the store and the in-memory list: every update of a page is checked and
 * normalised here (lowercase hex, the right `source`, well-formed fingerprints), so the store never holds an entry the
 * list could not index. An update that fails is not dropped silently: it becomes a skipped record with its
 * reason, counted in the sync report, exactly like the records a source itself skips.
 *
 * @module
 */
import { HASH_BYTES, isHexOfLength, isLowerHexOfLength } from '../hash/hex.js';
import { isWellFormedText } from '../list/entry-table.js';
import type { Fingerprints, ListEntry, ListUpdate, SkippedRecord } from './types.js';

/** The outcome of {@link prepareUpdates}. */
export interface PreparedUpdates {
  /** The usable updates, in their original order, normalised. */
  updates: ListUpdate[];
  /** The unusable ones, with reasons. */
  skipped: SkippedRecord[];
}

const HEX_KINDS = ['md5', 'sha1', 'sha256', 'pdq'] as const;
const MAX_KEY_LENGTH = 1024;

/**
 * Validates and normalises one page's updates for `sourceId`. Never throws for bad data.
 *
 * @example
 * ```ts
 * const { updates, skipped } = prepareUpdates('ncmec', page.updates);
 * ```
 */
export function prepareUpdates(sourceId: string, updates: readonly ListUpdate[]): PreparedUpdates {
  const out: PreparedUpdates = { updates: [], skipped: [] };
  if (!Array.isArray(updates)) {
    out.skipped.push({ reason: 'the page has no updates array' });
    return out;
  }
  for (const update of updates) {
    const prepared = prepareUpdate(sourceId, update);
    if ('reason' in prepared) out.skipped.push(prepared);
    else out.updates.push(prepared);
  }
  return out;
}

/** {@link prepareUpdates} for one update: the normalised update, or the skipped record with its reason. */
export function prepareUpdate(sourceId: string, update: ListUpdate): ListUpdate | SkippedRecord {
  const key: unknown = (update as Partial<ListUpdate> | null)?.key;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    return { reason: `update key must be a string of 1 to ${MAX_KEY_LENGTH} characters` };
  }
  if (!isWellFormedText(key)) return { reason: 'update key must be well-formed Unicode (it has a lone surrogate)' };
  const entry: unknown = update.entry;
  if (entry === null) return { key, entry: null };
  const checked = checkEntry(sourceId, entry);
  return typeof checked === 'string' ? { key, reason: checked } : { key, entry: checked };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The normalised entry, or why it is unusable. */
function checkEntry(sourceId: string, value: unknown): ListEntry | string {
  if (!isObject(value)) return 'entry must be an object or null';
  const entry = value as unknown as ListEntry;
  if (entry.source !== sourceId) return `entry.source ${JSON.stringify(entry.source)} is not this source's id ${JSON.stringify(sourceId)}`;
  if (typeof entry.id !== 'string' || entry.id.length === 0) return 'entry.id must be a non-empty string';
  if (entry.kind !== 'image' && entry.kind !== 'video') return `entry.kind must be "image" or "video", got ${JSON.stringify(entry.kind)}`;
  if (!isObject(entry.fingerprints)) return 'entry.fingerprints must be an object';
  let fingerprints: Fingerprints = entry.fingerprints;
  for (const kind of HEX_KINDS) {
    const hex = fingerprints[kind];
    if (hex === undefined || isLowerHexOfLength(hex, HASH_BYTES[kind])) continue;
    if (!isHexOfLength(hex, HASH_BYTES[kind])) return `fingerprints.${kind} must be ${HASH_BYTES[kind] * 2} hex characters`;
    fingerprints = { ...fingerprints, [kind]: hex.toLowerCase() };
  }
  const vpdq = fingerprints.vpdq;
  if (vpdq !== undefined) {
    if (!Array.isArray(vpdq)) return 'fingerprints.vpdq must be an array';
    for (let i = 0; i < vpdq.length; i++) {
      const f = vpdq[i];
      if (!isObject(f) || !isHexOfLength(f.pdq, HASH_BYTES.pdq)) return `fingerprints.vpdq[${i}].pdq must be 64 hex characters`;
      if (typeof f.quality !== 'number' || !(f.quality >= 0 && f.quality <= 100)) return `fingerprints.vpdq[${i}].quality must be 0 to 100`;
      if (typeof f.timestamp !== 'number' || !(f.timestamp >= 0) || !Number.isFinite(f.timestamp)) {
        return `fingerprints.vpdq[${i}].timestamp must be a finite number of seconds >= 0`;
      }
    }
    if (vpdq.some((f) => f.pdq !== f.pdq.toLowerCase())) {
      fingerprints = { ...fingerprints, vpdq: vpdq.map((f) => ({ ...f, pdq: f.pdq.toLowerCase() })) };
    }
  }
  for (const type in fingerprints) {
    if (!Object.hasOwn(fingerprints, type)) continue;
    const fp = fingerprints[type];
    if (type !== 'vpdq' && fp !== undefined && typeof fp !== 'string') return `fingerprints.${type} must be a string`;
  }
  return fingerprints === entry.fingerprints ? entry : { ...entry, fingerprints };
}
