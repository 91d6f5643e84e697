/**
 * Validation of one list record in tidscan's own list shape (the list file source: NDJSON, CSV and JSON rows).
 * A record is either turned into a keyed update or rejected with a reason; it is never silently dropped.
 *
 * @module
 */
import { HASH_BYTES, isHexOfLength } from '../hash/hex.js';
import type { EntryKind, Fingerprints, ListEntry, ListUpdate, SkippedRecord, VpdqFeature } from './types.js';

/** The outcome of validating one record. */
export type RecordResult = { ok: true; update: ListUpdate } | { ok: false; skipped: SkippedRecord };

const HEX_KINDS = ['md5', 'sha1', 'sha256', 'pdq'] as const;
const MATCHABLE = ['md5', 'sha1', 'sha256', 'pdq', 'vpdq'] as const;
const MAX_ID_LENGTH = 256;
const MAX_VPDQ_FEATURES = 100_000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reject(reason: string, key?: string): RecordResult {
  return { ok: false, skipped: key === undefined ? { reason } : { key, reason } };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value.slice(0, 80))} (length ${value.length})`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function parseId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value !== 'string') return undefined;
  const id = value.trim();
  return id.length > 0 && id.length <= MAX_ID_LENGTH ? id : undefined;
}

function parseVpdq(value: unknown): VpdqFeature[] | string {
  if (!Array.isArray(value)) return `vpdq must be an array of {pdq, quality, timestamp}, got ${describe(value)}`;
  if (value.length === 0) return 'vpdq must have at least one frame feature';
  if (value.length > MAX_VPDQ_FEATURES) return `vpdq has ${value.length} features, more than ${MAX_VPDQ_FEATURES}`;
  const out: VpdqFeature[] = [];
  for (let i = 0; i < value.length; i++) {
    const f: unknown = value[i];
    if (!isPlainObject(f)) return `vpdq[${i}] must be an object`;
    if (!isHexOfLength(f.pdq, HASH_BYTES.pdq)) return `vpdq[${i}].pdq must be 64 hex characters, got ${describe(f.pdq)}`;
    const quality = f.quality;
    if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 0 || quality > 100) {
      return `vpdq[${i}].quality must be an integer from 0 to 100, got ${describe(quality)}`;
    }
    const timestamp = f.timestamp;
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
      return `vpdq[${i}].timestamp must be a non-negative number of seconds, got ${describe(timestamp)}`;
    }
    out.push({ pdq: f.pdq.toLowerCase(), quality, timestamp });
  }
  return out;
}

function parseFingerprints(value: unknown): Fingerprints | string {
  if (!isPlainObject(value)) return `fingerprints must be an object, got ${describe(value)}`;
  const out: Fingerprints = {};
  for (const [rawName, raw] of Object.entries(value)) {
    const name = rawName.toLowerCase();
    if (raw === undefined || raw === null || raw === '') continue;
    if ((HEX_KINDS as readonly string[]).includes(name)) {
      const kind = name as (typeof HEX_KINDS)[number];
      const hex = typeof raw === 'string' ? raw.trim() : raw;
      if (!isHexOfLength(hex, HASH_BYTES[kind])) {
        return `fingerprints.${kind} must be ${HASH_BYTES[kind] * 2} hex characters, got ${describe(raw)}`;
      }
      out[kind] = hex.toLowerCase();
    } else if (name === 'vpdq') {
      const features = parseVpdq(raw);
      if (typeof features === 'string') return features;
      out.vpdq = features;
    } else if (typeof raw === 'string') {
      // Unknown types (PDNA, TMK...) are kept opaque: tidscan never matches them but must not lose them.
      out[name] = raw;
    } else {
      return `fingerprints.${name} must be a string, got ${describe(raw)}`;
    }
  }
  return out;
}

function parseMember(value: unknown): ListEntry['member'] | string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' || typeof value === 'number') {
    const id = parseId(value);
    return id === undefined ? `member must be a non-empty id, got ${describe(value)}` : { id };
  }
  if (!isPlainObject(value)) return `member must be an id or {id, name}, got ${describe(value)}`;
  const id = parseId(value.id);
  if (id === undefined) return `member.id must be a non-empty string, got ${describe(value.id)}`;
  if (value.name !== undefined && typeof value.name !== 'string') {
    return `member.name must be a string, got ${describe(value.name)}`;
  }
  return value.name === undefined || value.name === '' ? { id } : { id, name: value.name };
}

function parseLinks(value: unknown): ListEntry['links'] | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return `links must be an array of {type, href}, got ${describe(value)}`;
  const out: NonNullable<ListEntry['links']> = [];
  for (let i = 0; i < value.length; i++) {
    const link: unknown = value[i];
    if (!isPlainObject(link) || typeof link.type !== 'string' || typeof link.href !== 'string') {
      return `links[${i}] must be {type: string, href: string}`;
    }
    out.push({ type: link.type, href: link.href });
  }
  return out;
}

/**
 * Validates one raw record of tidscan's list shape and turns it into a keyed update (key = the record's `id`).
 *
 * Shape: `{id, kind: 'image'|'video', member?, classification?, timestamp?, fingerprints: {md5?, sha1?, sha256?,
 * pdq?, vpdq?, ...opaque}, links?, metadata?, deleted?}`. Hex fingerprints are validated and lowercased;
 * a live record needs at least one matchable fingerprint (md5, sha1, sha256, pdq or vpdq). `deleted: true` needs
 * only the id and becomes a delete.
 *
 * @param raw - A parsed JSON value (or a CSV row already shaped as an object).
 * @param sourceId - The configured list id, stored in the entry's `source`.
 */
export function normalizeListRecord(raw: unknown, sourceId: string): RecordResult {
  if (!isPlainObject(raw)) return reject(`record must be an object, got ${describe(raw)}`);
  const id = parseId(raw.id);
  if (id === undefined) return reject(`id must be a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describe(raw.id)}`);

  const deleted = raw.deleted;
  if (deleted !== undefined && deleted !== null && typeof deleted !== 'boolean') {
    return reject(`deleted must be a boolean, got ${describe(deleted)}`, id);
  }
  if (deleted === true) return { ok: true, update: { key: id, entry: null } };

  const kind = raw.kind;
  if (kind !== 'image' && kind !== 'video') return reject(`kind must be "image" or "video", got ${describe(kind)}`, id);

  const fingerprints = parseFingerprints(raw.fingerprints);
  if (typeof fingerprints === 'string') return reject(fingerprints, id);
  if (!MATCHABLE.some((name) => fingerprints[name] !== undefined)) {
    return reject(`no matchable fingerprint (one of ${MATCHABLE.join(', ')}) in the record`, id);
  }

  const member = parseMember(raw.member);
  if (typeof member === 'string') return reject(member, id);
  const links = parseLinks(raw.links);
  if (typeof links === 'string') return reject(links, id);

  const classification = raw.classification;
  if (classification !== undefined && classification !== null && typeof classification !== 'string') {
    return reject(`classification must be a string, got ${describe(classification)}`, id);
  }
  const timestamp = raw.timestamp;
  if (timestamp !== undefined && timestamp !== null && (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp)))) {
    return reject(`timestamp must be an ISO 8601 string, got ${describe(timestamp)}`, id);
  }
  const metadata = raw.metadata;
  if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) {
    return reject(`metadata must be an object, got ${describe(metadata)}`, id);
  }

  const entry: ListEntry = { source: sourceId, id, kind: kind as EntryKind, fingerprints };
  if (member) entry.member = member;
  if (typeof classification === 'string' && classification !== '') entry.classification = classification;
  if (links && links.length > 0) entry.links = links;
  if (typeof timestamp === 'string') entry.timestamp = new Date(timestamp).toISOString();
  if (isPlainObject(metadata)) entry.metadata = metadata;
  return { ok: true, update: { key: id, entry } };
}
