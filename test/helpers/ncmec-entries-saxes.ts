/**
 * Test oracle: the saxes-based NCMEC `GET /v2/entries` page parser that `src/sync/ncmec/entries-xml.ts` replaced,
 * kept verbatim apart from imports and its name, so differential tests can check the hand-written scanner against
 * an independent XML parser. Not shipped.
 *
 * Stream-parses one NCMEC `GET /v2/entries` page (`<queryResult>`) with saxes into keyed updates, in document
 * order. Namespaces are ignored (element local names only), element names are matched case-insensitively.
 *
 * - `<image>` / `<video>` become upserts keyed `${memberId}-${id}`; `<deletedImage>` / `<deletedVideo>` become
 *   deletes. Every fingerprint is kept: `md5`, `sha1`, `sha256`, `pdq` are validated and lowercased; others
 *   (`pdna`, ...) are kept opaque; an element with an `href` and no text (`<tmk-pdqf rel="self" href=".."/>`) is
 *   a link-only fingerprint kept in `links`.
 * - A record that cannot be used (no id, no member id, a bad hex value) is skipped with a reason.
 * - A document that is not well-formed XML (e.g. truncated) throws `SYNC_MALFORMED_RESPONSE`; the caller yields
 *   nothing of that page.
 *
 * @module
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { SyncError } from '../../src/errors.js';
import { HASH_BYTES, isHexOfLength } from '../../src/hash/hex.js';
import type { NcmecEntriesPage, NcmecFeedbackRecord } from '../../src/sync/ncmec/entries-xml.js';
import type { EntryKind, Fingerprints, ListEntry, ListUpdate, SkippedRecord } from '../../src/sync/types.js';

const RECORD_KIND: Record<string, { kind: EntryKind; deleted: boolean }> = {
  image: { kind: 'image', deleted: false },
  video: { kind: 'video', deleted: false },
  deletedimage: { kind: 'image', deleted: true },
  deletedvideo: { kind: 'video', deleted: true },
};
const HEX_FINGERPRINTS = new Set(['md5', 'sha1', 'sha256', 'pdq']);
const MAX_TEXT = 1024 * 1024;

interface RecordState {
  tag: string;
  kind: EntryKind;
  deleted: boolean;
  index: number;
  memberId?: string;
  memberName?: string;
  id?: string;
  timestamp?: string;
  classification?: string;
  fingerprints: Record<string, string>;
  // Allocated on first use: most records have none of these.
  links?: Array<{ type: string; href: string }>;
  feedback?: NcmecFeedbackRecord[];
  problems?: string[];
}

const localNames = new Map<string, string>();

/** Lowercase local name of a tag; cached because a page repeats the same few names thousands of times. */
function localName(name: string): string {
  let local = localNames.get(name);
  if (local === undefined) {
    const colon = name.indexOf(':');
    local = (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
    if (localNames.size < 1000) localNames.set(name, local);
  }
  return local;
}

let lastRawTimestamp = '';
let lastIsoTimestamp: string | undefined;

/** ISO 8601 with millis, or undefined; memoised for the common run of equal timestamps. */
function normalizeTimestamp(raw: string): string | undefined {
  if (raw !== lastRawTimestamp) {
    const ms = Date.parse(raw);
    lastRawTimestamp = raw;
    lastIsoTimestamp = Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  return lastIsoTimestamp;
}

function finish(record: RecordState, sourceId: string): { update?: ListUpdate; skipped?: SkippedRecord } {
  const where = `<${record.tag}> #${record.index}`;
  const id = record.id?.trim();
  const memberId = record.memberId?.trim();
  if (!id) return { skipped: { reason: `${where}: missing <id>` } };
  if (!memberId) return { skipped: { reason: `${where} ${JSON.stringify(id)}: missing <member id="...">` } };
  const key = `${memberId}-${id}`;
  if (record.problems) return { skipped: { key, reason: `${where}: ${record.problems.join('; ')}` } };
  if (record.deleted) return { update: { key, entry: null } };

  const fingerprints: Fingerprints = {};
  let count = 0;
  for (const name in record.fingerprints) {
    const value = record.fingerprints[name]!;
    count++;
    if (HEX_FINGERPRINTS.has(name)) {
      const bytes = HASH_BYTES[name as keyof typeof HASH_BYTES];
      if (!isHexOfLength(value, bytes)) {
        const raw: string = record.fingerprints[name]!;
        const shown = JSON.stringify(raw.slice(0, 80));
        return { skipped: { key, reason: `${where}: <${name}> must be ${bytes * 2} hex characters, got ${shown} (length ${raw.length})` } };
      }
      fingerprints[name] = value.toLowerCase();
    } else {
      fingerprints[name] = value;
    }
  }
  if (count === 0 && !record.links) {
    return { skipped: { key, reason: `${where}: no fingerprints` } };
  }
  const entry: ListEntry = { source: sourceId, id, kind: record.kind, fingerprints };
  entry.member = record.memberName ? { id: memberId, name: record.memberName } : { id: memberId };
  if (record.classification) entry.classification = record.classification;
  if (record.links) entry.links = record.links;
  if (record.timestamp) {
    const iso = normalizeTimestamp(record.timestamp);
    if (iso) entry.timestamp = iso;
  }
  if (record.feedback) entry.metadata = { feedback: record.feedback };
  return { update: { key, entry } };
}

/**
 * Parses an entries page from its body chunks.
 *
 * @param sourceId - Stored in every entry's `source`.
 * @param details - Non-secret context for errors (e.g. the redacted URL).
 * @throws {SyncError} `SYNC_MALFORMED_RESPONSE` for XML that is not well-formed or not a `<queryResult>`.
 */
export async function parseEntriesPageWithSaxes(
  chunks: AsyncIterable<Uint8Array>,
  sourceId: string,
  details: Record<string, unknown> = {},
): Promise<NcmecEntriesPage> {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const updates: ListUpdate[] = [];
  const skipped: SkippedRecord[] = [];
  let next: string | undefined;
  let root: string | undefined;
  let recordCount = 0;

  // Element path below the root, as local names.
  const stack: string[] = [];
  let text = '';
  let record: RecordState | undefined;
  let recordDepth = -1;
  let feedback: NcmecFeedbackRecord | undefined;
  let fingerprintHref: string | undefined;

  parser.on('opentag', (tag: SaxesTagPlain) => {
    const name = localName(tag.name);
    if (root === undefined) {
      root = name;
      if (name !== 'queryresult') throw new Error(`expected a <queryResult> document, got <${tag.name}>`);
      return;
    }
    stack.push(name);
    text = '';
    const depth = stack.length;
    if (!record) {
      // queryResult > images|videos > record
      const kind = RECORD_KIND[name];
      if (kind && depth === 2 && (stack[0] === 'images' || stack[0] === 'videos')) {
        record = { tag: tag.name, kind: kind.kind, deleted: kind.deleted, index: ++recordCount, fingerprints: {} };
        recordDepth = depth;
      }
      return;
    }
    const parent = stack[depth - 2];
    if (depth === recordDepth + 1 && name === 'member') {
      const id = tag.attributes.id;
      if (typeof id === 'string') record.memberId = id;
    } else if (parent === 'fingerprints' && depth === recordDepth + 2) {
      const href = tag.attributes.href;
      fingerprintHref = typeof href === 'string' ? href : undefined;
    } else if ((name === 'affirmativefeedback' || name === 'negativefeedback') && parent === 'feedback') {
      feedback = { vote: name === 'affirmativefeedback' ? 'affirmative' : 'negative', members: [], reasons: [] };
      const type = tag.attributes.type;
      const stamp = tag.attributes.lastUpdateTimestamp;
      if (typeof type === 'string') feedback.type = type;
      if (typeof stamp === 'string') feedback.lastUpdateTimestamp = stamp;
      (record.feedback ??= []).push(feedback);
    } else if (feedback && name === 'reason') {
      const { guid, name: reasonName, type } = tag.attributes;
      if (typeof guid === 'string') {
        const reason: NcmecFeedbackRecord['reasons'][number] = { guid };
        if (typeof reasonName === 'string') reason.name = reasonName;
        if (typeof type === 'string') reason.type = type;
        feedback.reasons.push(reason);
      }
    } else if (feedback && name === 'member') {
      const id = tag.attributes.id;
      if (typeof id === 'string') feedback.members.push({ id });
    }
  });

  parser.on('text', (t: string) => {
    if (text.length + t.length > MAX_TEXT) throw new Error(`an element's text is longer than ${MAX_TEXT} characters`);
    text += t;
  });
  parser.on('cdata', (t: string) => {
    text += t;
  });

  parser.on('closetag', (tag: SaxesTagPlain) => {
    const name = localName(tag.name);
    const depth = stack.length;
    if (depth === 0) return; // the root
    stack.pop();
    const value = text.trim();
    text = '';
    if (!record) {
      if (name === 'next' && stack.at(-1) === 'paging' && depth === 2 && value) next = value;
      return;
    }
    if (depth === recordDepth) {
      const result = finish(record, sourceId);
      if (result.update) updates.push(result.update);
      if (result.skipped) skipped.push(result.skipped);
      record = undefined;
      recordDepth = -1;
      return;
    }
    const parent = stack.at(-1);
    if (depth === recordDepth + 1) {
      if (name === 'member') record.memberName = value || undefined;
      else if (name === 'id') record.id = value;
      else if (name === 'timestamp') record.timestamp = value;
      else if (name === 'classification') record.classification = value || undefined;
    } else if (parent === 'fingerprints' && depth === recordDepth + 2) {
      if (value) {
        if (record.fingerprints[name] !== undefined) (record.problems ??= []).push(`duplicate <${name}> fingerprint`);
        record.fingerprints[name] = value;
      } else if (fingerprintHref) {
        (record.links ??= []).push({ type: name, href: fingerprintHref });
      }
      fingerprintHref = undefined;
    } else if (feedback && name === 'member') {
      const last = feedback.members.at(-1);
      if (last && value) last.name = value;
    } else if (name === 'affirmativefeedback' || name === 'negativefeedback') {
      feedback = undefined;
    }
  });

  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of chunks) parser.write(decoder.decode(chunk, { stream: true }));
    const rest = decoder.decode();
    if (rest) parser.write(rest);
    parser.close();
  } catch (err) {
    if (err instanceof SyncError) throw err;
    const reason = (err as Error).message.replace(/^undefined:/, '').trim();
    throw new SyncError('SYNC_MALFORMED_RESPONSE', `The NCMEC entries page is not well-formed XML: ${reason}`, {
      cause: err,
      details,
    });
  }
  if (root === undefined) {
    throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The NCMEC entries page is empty', { details });
  }
  const page: NcmecEntriesPage = { updates, skipped };
  if (next !== undefined) page.next = next;
  return page;
}
