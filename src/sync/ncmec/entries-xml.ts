/**
 * Stream-parses one NCMEC `GET /v2/entries` page (`<queryResult>`) into keyed updates, in document order: body
 * chunks are decoded as UTF-8 ({@link Utf8ChunkDecoder}), tokenized by {@link XmlScanner} (strict XML 1.0
 * well-formedness, DOCTYPE refused, memory bounded by the largest token) and turned into records here. Namespaces
 * are ignored (element local names only), element names are matched case-insensitively.
 *
 * - `<image>` / `<video>` become upserts keyed `${memberId}-${id}`; `<deletedImage>` / `<deletedVideo>` become
 *   deletes. Every fingerprint is kept: `md5`, `sha1`, `sha256`, `pdq` are validated and lowercased; others
 *   (`pdna`, ...) are kept opaque; an element with an `href` and no text (`<tmk-pdqf rel="self" href=".."/>`) is
 *   a link-only fingerprint kept in `links`.
 * - A record that cannot be used (no id, no member id, a bad hex value) is skipped with a reason.
 * - Packed (what `sync()` asks for): each update is prepared and packed into a {@link ChangeBatch} as it is read,
 *   and records in the usual canonical shape skip the scanner altogether (fast-record.ts), with the same result.
 * - A document that is not well-formed XML (e.g. truncated), a body that is not UTF-8, an element text over 1 MiB
 *   or a single tag, comment or reference over 1 MiB throws `SYNC_MALFORMED_RESPONSE`; the caller yields nothing
 *   of that page.
 *
 * @module
 */
import { Buffer } from 'node:buffer';
import { SyncError } from '../../errors.js';
import { HASH_BYTES } from '../../hash/hex.js';
import { type ChangeBatch, ChangeBatchBuilder } from '../../list/change-batch.js';
import { prepareUpdate } from '../apply.js';
import { normalizeIsoTimestamp } from '../iso-timestamp.js';
import type { PackRequest } from '../packed-page.js';
import type { EntryKind, Fingerprints, ListEntry, ListUpdate, SkippedRecord } from '../types.js';
import { DECLINE, FastRecordReader, MORE } from './fast-record.js';
import { type XmlContentHandler, XmlScanner, type XmlStartTag } from './xml-scanner.js';
import { Utf8ChunkDecoder } from './xml-utf8.js';

/** One parsed page. */
export interface NcmecEntriesPage {
  /** Empty when the page was packed ({@link batch}). */
  updates: ListUpdate[];
  /** The records that could not be used; when packed, also the updates that preparation refused. */
  skipped: SkippedRecord[];
  /** The updates prepared and packed, in document order, when the caller asked for packing. */
  batch?: ChangeBatch;
  /** How many records of a packed page the fast path read (the rest went through the scanner). @internal */
  fastRecords?: number;
  /** The `<paging><next>` link, unescaped, as the server wrote it (usually relative to the base URL). */
  next?: string;
}

/** A feedback vote recorded on an entry, kept in `metadata.feedback`. */
export interface NcmecFeedbackRecord {
  vote: 'affirmative' | 'negative';
  /** Fingerprint type as NCMEC writes it (`Md5`, `Sha1`, ...). */
  type?: string;
  lastUpdateTimestamp?: string;
  members: Array<{ id: string; name?: string }>;
  reasons: Array<{ guid: string; name?: string; type?: string }>;
}

const RECORD_KIND: Record<string, { kind: EntryKind; deleted: boolean }> = {
  image: { kind: 'image', deleted: false },
  video: { kind: 'video', deleted: false },
  deletedimage: { kind: 'image', deleted: true },
  deletedvideo: { kind: 'video', deleted: true },
};
/**
 * Finds a character that is not a lowercase hex digit. The class also lists C0 control characters, which can never
 * be in a value (the scanner refuses them, as characters and as character references), so they change nothing in
 * what it matches; but with that many ranges V8 compiles the class to a table lookup instead of range tests, whose
 * branches mispredict on random hex (measured twice as fast on real pages as /[^0-9a-f]/ or a charCodeAt loop).
 */
const NOT_LOWERCASE_HEX = /[^0-9a-f\x01\x03\x05\x07\x0e\x10\x12\x14\x16\x18\x1a\x1c]/;
const NOT_HEX = /[^0-9a-fA-F]/;
/** Longest element text kept (text and CDATA together). */
const MAX_TEXT = 1024 * 1024;
/** Longest single tag, comment, CDATA section or reference: bounds what the scanner carries between chunks. */
const MAX_TOKEN = 1024 * 1024;

/** The record being read. One instance per page, reset for each record (its fields never outlive the record). */
class RecordState {
  tag = '';
  kind: EntryKind = 'image';
  deleted = false;
  index = 0;
  memberId: string | undefined = undefined;
  memberName: string | undefined = undefined;
  id: string | undefined = undefined;
  timestamp: string | undefined = undefined;
  classification: string | undefined = undefined;
  /** The entry's fingerprints as they close (a fresh object per record: it becomes the entry's). */
  fingerprints: Fingerprints = {};
  fingerprintCount = 0;
  // Allocated on first use: most records have none of these.
  links: Array<{ type: string; href: string }> | undefined = undefined;
  feedback: NcmecFeedbackRecord[] | undefined = undefined;
  /** Duplicate fingerprints: the record is skipped with these. */
  problems: string[] | undefined = undefined;
  /** Why the first (in document order) hex fingerprint is invalid: the record is skipped with it. */
  badHex: string | undefined = undefined;

  reset(tag: string, kind: EntryKind, deleted: boolean, index: number): this {
    this.tag = tag;
    this.kind = kind;
    this.deleted = deleted;
    this.index = index;
    this.memberId = this.memberName = this.id = this.timestamp = this.classification = undefined;
    this.fingerprints = {};
    this.fingerprintCount = 0;
    this.links = this.feedback = this.problems = undefined;
    this.badHex = undefined;
    return this;
  }
}

/** The element names the record logic compares against, so a mapped name is one of these very strings. */
const KNOWN_NAMES = [
  'queryresult', 'images', 'videos', 'paging', 'next',
  'image', 'video', 'deletedimage', 'deletedvideo',
  'member', 'id', 'timestamp', 'classification', 'fingerprints', 'md5', 'sha1', 'sha256', 'pdq',
  'feedback', 'affirmativefeedback', 'negativefeedback', 'members', 'reasons', 'reason',
];

/** Lowercase local name of a qualified name (the scanner caches it per distinct name). */
function localName(name: string): string {
  const colon = name.indexOf(':');
  const local = (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
  return KNOWN_NAMES.find((known) => known === local) ?? local;
}

/** `text.trim()`, skipping the call in the usual case of text that starts and ends with printable ASCII. */
function trimmed(text: string): string {
  if (text.length === 0) return text;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f ? text : text.trim();
}

let lastRawTimestamp = '';
let lastIsoTimestamp: string | undefined;

/** ISO 8601 with millis, or undefined; memoised for the common run of equal timestamps. */
function normalizeTimestamp(raw: string): string | undefined {
  if (raw !== lastRawTimestamp) {
    lastRawTimestamp = raw;
    lastIsoTimestamp = normalizeIsoTimestamp(raw);
  }
  return lastIsoTimestamp;
}

/** Turns the scanner's events into updates and skipped records (the page's record logic). */
class EntriesPageBuilder implements XmlContentHandler {
  readonly updates: ListUpdate[] = [];
  readonly skipped: SkippedRecord[] = [];
  next: string | undefined;
  root: string | undefined;

  private readonly sourceId: string;
  private recordCount = 0;
  /** Element path below the root, as local names. */
  private readonly stack: string[] = [];
  /** Character data since the last tag. */
  private chars = '';
  /** The record being read, if any (always {@link EntriesPageBuilder.recordState}). */
  private record: RecordState | undefined;
  private readonly recordState = new RecordState();
  private recordDepth = -1;
  private feedback: NcmecFeedbackRecord | undefined;
  private fingerprintHref: string | undefined;
  private lastMemberId = '';
  private lastMemberName = '';
  private lastClassification = '';
  /** Packing: each update is prepared and packed at once, in document order with the fast path's. */
  private readonly packer: ChangeBatchBuilder | undefined;

  constructor(sourceId: string, packer?: ChangeBatchBuilder) {
    this.sourceId = sourceId;
    this.packer = packer;
  }

  /** True between records directly inside `<images>` or `<videos>`: where the fast path may read a record. */
  get betweenRecords(): boolean {
    const stack = this.stack;
    return this.record === undefined && stack.length === 1 && (stack[0] === 'images' || stack[0] === 'videos');
  }

  /** The fast path read (and packed) one record. */
  countFastRecord(): void {
    this.recordCount++;
    this.chars = '';
  }

  private emit(update: ListUpdate): void {
    const packer = this.packer;
    if (!packer) {
      this.updates.push(update);
      return;
    }
    const prepared = prepareUpdate(this.sourceId, update);
    if ('reason' in prepared) this.skipped.push(prepared);
    else packer.add(this.sourceId, prepared.key, prepared.entry);
  }

  startElement(name: string, tag: XmlStartTag): void {
    if (this.root === undefined) {
      this.root = name;
      if (name !== 'queryresult') throw new Error(`expected a <queryResult> document, got <${tag.name}>`);
      return;
    }
    const stack = this.stack;
    stack.push(name);
    this.chars = '';
    const depth = stack.length;
    const record = this.record;
    if (!record) {
      // queryResult > images|videos > record
      const kind = Object.hasOwn(RECORD_KIND, name) ? RECORD_KIND[name] : undefined; // not <constructor>
      if (kind && depth === 2 && (stack[0] === 'images' || stack[0] === 'videos')) {
        this.record = this.recordState.reset(tag.name, kind.kind, kind.deleted, ++this.recordCount);
        this.recordDepth = depth;
      }
      return;
    }
    const parent = stack[depth - 2];
    const feedback = this.feedback;
    if (depth === this.recordDepth + 1 && name === 'member') {
      const id = tag.attribute('id');
      if (id !== undefined) record.memberId = id === this.lastMemberId ? this.lastMemberId : (this.lastMemberId = id);
    } else if (parent === 'fingerprints' && depth === this.recordDepth + 2) {
      this.fingerprintHref = tag.attributeCount === 0 ? undefined : tag.attribute('href');
    } else if ((name === 'affirmativefeedback' || name === 'negativefeedback') && parent === 'feedback') {
      const vote: NcmecFeedbackRecord = { vote: name === 'affirmativefeedback' ? 'affirmative' : 'negative', members: [], reasons: [] };
      const type = tag.attribute('type');
      const stamp = tag.attribute('lastUpdateTimestamp');
      if (type !== undefined) vote.type = type;
      if (stamp !== undefined) vote.lastUpdateTimestamp = stamp;
      (record.feedback ??= []).push(vote);
      this.feedback = vote;
    } else if (feedback && name === 'reason') {
      const guid = tag.attribute('guid');
      if (guid !== undefined) {
        const reason: NcmecFeedbackRecord['reasons'][number] = { guid };
        const reasonName = tag.attribute('name');
        const type = tag.attribute('type');
        if (reasonName !== undefined) reason.name = reasonName;
        if (type !== undefined) reason.type = type;
        feedback.reasons.push(reason);
      }
    } else if (feedback && name === 'member') {
      const id = tag.attribute('id');
      if (id !== undefined) feedback.members.push({ id });
    }
  }

  text(text: string): void {
    if (this.chars.length + text.length > MAX_TEXT) throw new Error(`an element's text is longer than ${MAX_TEXT} characters`);
    this.chars += text;
  }

  endElement(name: string): void {
    const stack = this.stack;
    const depth = stack.length;
    if (depth === 0) return; // the root
    stack.pop();
    const value = trimmed(this.chars);
    this.chars = '';
    const record = this.record;
    if (!record) {
      if (name === 'next' && depth === 2 && stack[0] === 'paging' && value) this.next = value;
      return;
    }
    if (depth === this.recordDepth) {
      this.finish(record);
      this.record = undefined;
      this.recordDepth = -1;
      return;
    }
    const parent = stack[depth - 2];
    if (depth === this.recordDepth + 1) {
      // Member names and classifications repeat from record to record: keep one copy of each run.
      if (name === 'member') record.memberName = !value ? undefined : value === this.lastMemberName ? this.lastMemberName : (this.lastMemberName = value);
      else if (name === 'id') record.id = value;
      else if (name === 'timestamp') record.timestamp = value;
      else if (name === 'classification') record.classification = !value ? undefined : value === this.lastClassification ? this.lastClassification : (this.lastClassification = value);
    } else if (parent === 'fingerprints' && depth === this.recordDepth + 2) {
      if (value) {
        this.addFingerprint(record, name, value);
      } else if (this.fingerprintHref) {
        (record.links ??= []).push({ type: name, href: this.fingerprintHref });
      }
      this.fingerprintHref = undefined;
    } else if (this.feedback && name === 'member') {
      const last = this.feedback.members.at(-1);
      if (last && value) last.name = value;
    } else if (name === 'affirmativefeedback' || name === 'negativefeedback') {
      this.feedback = undefined;
    }
  }

  private addFingerprint(record: RecordState, name: string, value: string): void {
    const fingerprints = record.fingerprints;
    // Named accesses for the four hex kinds keep these loads and stores monomorphic (most records have only these).
    switch (name) {
      case 'md5':
        this.countFingerprint(record, name, fingerprints.md5);
        fingerprints.md5 = hexFingerprint(record, name, value, HASH_BYTES.md5);
        return;
      case 'sha1':
        this.countFingerprint(record, name, fingerprints.sha1);
        fingerprints.sha1 = hexFingerprint(record, name, value, HASH_BYTES.sha1);
        return;
      case 'sha256':
        this.countFingerprint(record, name, fingerprints.sha256);
        fingerprints.sha256 = hexFingerprint(record, name, value, HASH_BYTES.sha256);
        return;
      case 'pdq':
        this.countFingerprint(record, name, fingerprints.pdq);
        fingerprints.pdq = hexFingerprint(record, name, value, HASH_BYTES.pdq);
        return;
      default:
        // Own properties only: <constructor> or <__proto__> is just a name (assigning __proto__ would set the
        // prototype, so that one is defined; every other inherited property is a writable data property).
        this.countFingerprint(record, name, Object.hasOwn(fingerprints, name) ? fingerprints[name] : undefined);
        if (name === '__proto__') Object.defineProperty(fingerprints, name, { value, writable: true, enumerable: true, configurable: true });
        else fingerprints[name] = value;
    }
  }

  private countFingerprint(record: RecordState, name: string, previous: unknown): void {
    if (previous !== undefined) (record.problems ??= []).push(`duplicate <${name}> fingerprint`);
    else record.fingerprintCount++;
  }

  /** Ends a record: one update, or one skipped record with the reason. */
  private finish(record: RecordState): void {
    const id = record.id === undefined ? undefined : trimmed(record.id);
    const memberId = record.memberId === undefined ? undefined : trimmed(record.memberId);
    if (!id) return this.skip(undefined, `${where(record)}: missing <id>`);
    if (!memberId) return this.skip(undefined, `${where(record)} ${JSON.stringify(id)}: missing <member id="...">`);
    const key = `${memberId}-${id}`;
    if (record.problems) return this.skip(key, `${where(record)}: ${record.problems.join('; ')}`);
    if (record.deleted) {
      this.emit({ key, entry: null });
      return;
    }
    if (record.badHex) return this.skip(key, `${where(record)}: ${record.badHex}`);
    if (record.fingerprintCount === 0 && !record.links) return this.skip(key, `${where(record)}: no fingerprints`);

    const source = this.sourceId;
    const { kind, fingerprints, classification, links, feedback } = record;
    const member = record.memberName ? { id: memberId, name: record.memberName } : { id: memberId };
    const timestamp = record.timestamp ? normalizeTimestamp(record.timestamp) : undefined;
    let entry: ListEntry;
    if (classification && timestamp && !links && !feedback) {
      // The usual NCMEC record, built in one literal (adding properties one by one costs an extra allocation).
      entry = { source, id, kind, fingerprints, member, classification, timestamp };
    } else {
      entry = { source, id, kind, fingerprints, member };
      if (classification) entry.classification = classification;
      if (links) entry.links = links;
      if (timestamp) entry.timestamp = timestamp;
      if (feedback) entry.metadata = { feedback };
    }
    this.emit({ key, entry });
  }

  private skip(key: string | undefined, reason: string): void {
    this.skipped.push(key === undefined ? { reason } : { key, reason });
  }
}

/**
 * A hex fingerprint's stored form: lowercased when it is `bytes * 2` hex digits; otherwise as given, and the record
 * notes why it will be skipped (the first bad one in document order wins).
 */
function hexFingerprint(record: RecordState, name: string, value: string, bytes: number): string {
  if (value.length === bytes * 2) {
    if (!NOT_LOWERCASE_HEX.test(value)) return value;
    if (!NOT_HEX.test(value)) return value.toLowerCase();
  }
  record.badHex ??= `<${name}> must be ${bytes * 2} hex characters, got ${JSON.stringify(value.slice(0, 80))} (length ${value.length})`;
  return value;
}

/** `<image> #3`: how a skip reason names a record. */
function where(record: RecordState): string {
  return `<${record.tag}> #${record.index}`;
}

/** Longest record the fast path holds back while waiting for the rest of it from the next chunk. */
const MAX_CARRY = 64 * 1024;
/** Longest run of white space between records that the fast path steps over itself. */
const MAX_GAP = 256;
const LT = 0x3c;

/**
 * Feeds a page's bytes to the scanner, except the records the fast path ({@link FastRecordReader}) reads itself:
 * those are taken straight from the bytes when the scanner stands between records, with nothing unfinished.
 */
class PageReader {
  private readonly decoder = new Utf8ChunkDecoder();
  private readonly scanner: XmlScanner;
  private readonly builder: EntriesPageBuilder;
  private readonly fast: FastRecordReader | undefined;
  /** The start of a record whose end has not arrived yet. */
  private carry: Buffer | undefined;
  fastRecords = 0;

  constructor(builder: EntriesPageBuilder, fast: FastRecordReader | undefined) {
    this.builder = builder;
    this.fast = fast;
    this.scanner = new XmlScanner(builder, { maxTokenLength: MAX_TOKEN, mapName: localName });
  }

  write(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.fast) return this.general(bytes);
    let from = 0;
    const carry = this.carry;
    if (carry) {
      this.carry = undefined;
      // The held-back record, completed from the start of this chunk.
      const joined = Buffer.concat([carry, bytes.subarray(0, MAX_CARRY)]);
      const kind = FastRecordReader.startsRecord(joined, 0, joined.length);
      const end =
        kind >= 0 ? this.readRecord(joined, 0, kind)
        : FastRecordReader.mayStartRecord(joined, 0, joined.length) ? MORE
        : DECLINE;
      if (end >= 0) {
        from = end - carry.length;
      } else if (end === MORE && bytes.length <= MAX_CARRY && joined.length <= MAX_CARRY) {
        this.carry = joined;
        return;
      } else {
        this.general(carry);
      }
    }
    this.scanFrom(bytes, from);
  }

  end(): void {
    if (this.carry) this.general(this.carry);
    this.carry = undefined;
    const rest = this.decoder.end();
    if (rest) this.scanner.write(rest);
    this.scanner.end();
  }

  private scanFrom(bytes: Buffer, from: number): void {
    for (let lt = bytes.indexOf(LT, from); lt !== -1; lt = bytes.indexOf(LT, lt + 1)) {
      const kind = FastRecordReader.startsRecord(bytes, lt, bytes.length);
      if (kind < 0) {
        // A record's start tag cut by the chunk's end: hold it back with what follows.
        if (!FastRecordReader.mayStartRecord(bytes, lt, bytes.length)) continue;
        if (lt > from && !this.stepOverGap(bytes, from, lt)) this.general(bytes.subarray(from, lt));
        if (!this.canSkip()) return this.general(bytes.subarray(lt));
        this.carry = Buffer.from(bytes.subarray(lt));
        return;
      }
      if (lt > from && !this.stepOverGap(bytes, from, lt)) this.general(bytes.subarray(from, lt));
      from = lt;
      const end = this.readRecord(bytes, lt, kind);
      if (end >= 0) {
        from = end;
        lt = end - 1;
      } else if (end === MORE && bytes.length - lt <= MAX_CARRY) {
        this.carry = Buffer.from(bytes.subarray(lt));
        return;
      }
    }
    if (from < bytes.length) this.general(bytes.subarray(from));
  }

  /**
   * Reads the record of `kind` (from `startsRecord`) at `bytes[at]` on the fast path if it may: the offset after
   * it, or DECLINE or MORE.
   */
  private readRecord(bytes: Buffer, at: number, kind: number): number {
    if (!this.canSkip()) return DECLINE;
    const end = this.fast!.read(bytes, at, bytes.length, kind);
    if (end >= 0) {
      this.scanner.skip(end - at);
      this.builder.countFastRecord();
      this.fastRecords++;
    }
    return end;
  }

  /** Steps over white space between records as the scanner would (it is character data the records ignore). */
  private stepOverGap(bytes: Buffer, from: number, to: number): boolean {
    if (to - from > MAX_GAP || !this.canSkip()) return false;
    for (let i = from; i < to; i++) {
      const c = bytes[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x09) return false;
    }
    this.scanner.skip(to - from);
    return true;
  }

  /** The scanner has reported everything it was given, between two records, and no bytes wait in the decoder. */
  private canSkip(): boolean {
    this.scanner.catchUp(MAX_GAP);
    return this.scanner.settledDepth === 2 && this.builder.betweenRecords && !this.decoder.holdsBytes;
  }

  private general(bytes: Uint8Array): void {
    const text = this.decoder.decode(bytes);
    if (text) this.scanner.write(text);
  }
}

/**
 * Parses an entries page from its body chunks.
 *
 * @param sourceId - Stored in every entry's `source`.
 * @param details - Non-secret context for errors (e.g. the redacted URL).
 * @param pack - Prepare and pack the updates (as `prepareUpdates` and `ChangeBatchBuilder.add` would) into
 * `batch` instead of returning them as objects; usual records then skip the scanner (see fast-record.ts).
 * @param rowsHint - with `pack`: rows to make room for at once (the previous page's count: pages of a window are
 * alike), so the packer's buffers do not grow and copy a dozen times per page.
 * @throws {SyncError} `SYNC_MALFORMED_RESPONSE` for a body that is not UTF-8, XML that is not well-formed, or a
 * document that is not a `<queryResult>`.
 */
export async function parseEntriesPage(
  chunks: AsyncIterable<Uint8Array>,
  sourceId: string,
  details: Record<string, unknown> = {},
  pack?: PackRequest,
  rowsHint = 0,
): Promise<NcmecEntriesPage> {
  const packer = pack ? new ChangeBatchBuilder({ fingerprints: pack.fingerprints, rows: rowsHint }) : undefined;
  const builder = new EntriesPageBuilder(sourceId, packer);
  const reader = new PageReader(builder, packer ? new FastRecordReader(sourceId, packer, pack!.fingerprints) : undefined);
  try {
    for await (const chunk of chunks) reader.write(chunk);
    reader.end();
  } catch (err) {
    if (err instanceof SyncError) throw err;
    throw new SyncError('SYNC_MALFORMED_RESPONSE', `The NCMEC entries page is not well-formed XML: ${(err as Error).message}`, {
      cause: err,
      details,
    });
  }
  if (builder.root === undefined) {
    throw new SyncError('SYNC_MALFORMED_RESPONSE', 'The NCMEC entries page is empty', { details });
  }
  const page: NcmecEntriesPage = { updates: builder.updates, skipped: builder.skipped };
  if (packer) {
    page.batch = packer.take(); // the page's own builder: no copy
    page.fastRecords = reader.fastRecords;
  }
  if (builder.next !== undefined) page.next = builder.next;
  return page;
}
