/**
 * A loopback NCMEC hash-sharing API v2 server (`node:http` on 127.0.0.1, port 0) speaking the wire format of
 * `../shared/specs/HASH_LIST_APIS.md` §2, for tests, the demo and `bench:sync`.
 *
 * ```ts
 * const server = await startMockNcmecServer({ entries: 5000, seed: 7 });
 * const source = createNcmecSource({ baseUrl: server.url, username: server.username, password: server.password });
 * server.add({ kind: 'image', fingerprints: { md5, pdq } });   // a new entry, timestamped server.now()
 * server.update(key, { classification: 'A2' });                 // a new version of an entry
 * server.delete(key);                                           // a deletedImage / deletedVideo record
 * expect(myStore).toEqual(server.currentList());                // what a perfect client ends with
 * server.faults.enqueue({ kind: 'status', status: 429, retryAfter: 1 });
 * await server.close();
 * ```
 *
 * Model. The server keeps a log of record versions, each with an arrival number (`seq`) and a timestamp (whole
 * seconds). `GET {base}/v2/entries?from=F&to=T` selects every version with `F < timestamp <= T` (from exclusive,
 * to inclusive; ISO 8601 with or without millis), in ARRIVAL order, not timestamp order, and pages it `size`
 * (default 1000) at a time. The next-link is `/v2/entries?from=..&amp;to=..&amp;start=N&amp;size=..&amp;max=..`
 * (HTML-escaped, relative to the base, millis timestamps) and `start` is a plain 1-based offset into the
 * selection: resuming it with a different `to` skips records (issue #1744), as the real API does. Superseded
 * versions stay in the log, so one fetch can see an entry, its update and its deletion, and a perfect client
 * applies them last-write-wins in arrival order (key `${memberId}-${id}`).
 *
 * Generated entries (`entries: N`) are computed from `seed` and their index on demand (nothing is precomputed
 * except their timestamps), so 1M entries cost a few MB and serve at well over 100k entries/s.
 *
 * Mutations (`add`/`update`/`delete`) are timestamped `now()` (the `now` option, default `Date.now`) unless
 * given a timestamp: a client whose windows end a few seconds before the same clock sees them on a later sync.
 * A mutation timestamped inside a window a client has already completed is invisible to it (the real API's
 * behaviour too); avoid that in tests unless that is the point.
 *
 * Endpoints (all under `{base}` = `server.url`, which has a path prefix like the real environments):
 * `GET /v2/status`, `GET /v2/members`, `GET /v2/entries`, `GET /v2/feedback/{TYPE}/reasons`,
 * `PUT /v2/entries/{espId}/{entryId}/{TYPE}/feedback` (recorded in `server.feedback`),
 * `GET /v2/entries/{id}/fingerprints/{TYPE}`. Basic auth on everything (401 otherwise).
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import type { EntryKind, Fingerprints, ListEntry } from '../../src/sync/types.js';
import {
  FaultController,
  type MockRequestInfo,
  prng,
  randomHex,
  type RecordedRequest,
  Resources,
  sendWithFault,
  xmlEscape,
} from './mock-faults.js';

export type { MockFault, MockRequestInfo, RecordedRequest } from './mock-faults.js';

/** The XML namespace of every NCMEC v2 document. */
export const NCMEC_NAMESPACE = 'https://hashsharing.ncmec.org/hashsharing/v2';

/** A member (ESP) of the hash-sharing program. */
export interface MockMember {
  id: string;
  name: string;
}

/** One feedback block of an entry (rendered as `<affirmativeFeedback>` / `<negativeFeedback>`). */
export interface MockFeedback {
  vote: 'affirmative' | 'negative';
  /** Feedback type as NCMEC writes it: `Md5`, `Sha1`, `PDQ`... */
  type: string;
  memberIds: string[];
  reasons?: Array<{ guid: string; name: string }>;
  lastUpdateTimestamp?: string;
}

/** An entry's content as a client should keep it. */
export interface MockEntryContent {
  kind: EntryKind;
  member: MockMember;
  id: string;
  classification?: string;
  /** Fingerprint values by lowercase element name (`md5`, `sha1`, `pdq`, `pdna`, ...). */
  fingerprints: Record<string, string>;
  /** Link-only fingerprints, rendered as `<tmk-pdqf rel="self" href="..."/>`; type = element name. */
  links?: Array<{ type: string; href: string }>;
  feedback?: MockFeedback[];
}

/** One version in the server's log. */
export interface MockNcmecVersion {
  seq: number;
  key: string;
  /** Whole seconds since the epoch. */
  timestampSec: number;
  /** null for a deletedImage / deletedVideo record. */
  content: MockEntryContent | null;
  kind: EntryKind;
  member: MockMember;
  id: string;
}

/** Options of {@link startMockNcmecServer}. */
export interface MockNcmecOptions {
  /** Number of generated entries. @default 0 */
  entries?: number;
  /** PRNG seed for the generated entries. @default 1 */
  seed?: number;
  /** Timestamp of generated entry 0, ms. @default Date.UTC(2025, 0, 1) */
  startTime?: number;
  /** Milliseconds between generated entries (0.001 puts 1000 entries in each second). @default 1000 */
  spacingMs?: number;
  /** Random timestamp jitter of generated entries, ms (out-of-order timestamps within arrival order). @default 0 */
  jitterMs?: number;
  /** Fraction of generated entries that are videos. @default 0.1 */
  videoFraction?: number;
  /** Fraction of generated videos with link-only TMK_PDQF / VIDENTIFIER fingerprints. @default 0 */
  linkOnlyFraction?: number;
  /** Fraction of generated images with an opaque PDNA value. @default 0 */
  pdnaFraction?: number;
  /** Members generated entries are spread over. @default [{id:'7001',name:'Take It Down'},{id:'42',name:'Example Member'}] */
  members?: MockMember[];
  /** Page size when the request has no `size`. @default 1000 */
  pageSize?: number;
  /** Basic-auth credentials. @default 'tidscan-user' / 'tidscan-password-0123' */
  username?: string;
  password?: string;
  /** Path prefix of the base URL. @default '/hashsharing' */
  basePath?: string;
  /** The server clock for mutations, ms. @default Date.now */
  now?: () => number;
  /** Record every request in `server.requests`. @default true */
  recordRequests?: boolean;
  /**
   * Render every generated entry's XML at start (~350 B of memory per entry), so serving a page is a join: for
   * benchmarks, where the mock must outpace the client it serves rather than be the bottleneck. @default false
   */
  prerender?: boolean;
}

/** A recorded `PUT .../feedback`. */
export interface RecordedFeedback {
  espId: string;
  entryId: string;
  type: string;
  vote: 'affirmative' | 'negative' | 'unknown';
  reasonIds: string[];
  body: string;
  contentType: string | undefined;
}

/** The running server. */
export interface MockNcmecServer {
  /** Base URL, e.g. `http://127.0.0.1:40123/hashsharing` (append `/v2/...`). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly faults: FaultController;
  readonly requests: RecordedRequest[];
  readonly feedback: RecordedFeedback[];
  /** Feedback reasons served by `/v2/feedback/{TYPE}/reasons`. */
  readonly reasons: Array<{ guid: string; name: string; type: string }>;
  /** The server clock, ms. */
  now(): number;
  /** Number of versions in the log (generated + mutations). */
  readonly logSize: number;
  /** Adds a new entry (a new key unless `id`/`member` name an existing one). Returns the version. */
  add(
    entry: Partial<Omit<MockEntryContent, 'kind'>> & { kind?: EntryKind; fingerprints?: Record<string, string> },
    options?: { timestamp?: number },
  ): MockNcmecVersion;
  /**
   * Appends a new version of `key` with `changes` applied to its current content. For a deleted key this is a
   * re-add: it starts from the entry's last content before the delete (fingerprints included), because an API
   * record is always the entry's full state and a deleted record carries only member, id and timestamp.
   */
  update(key: string, changes: Partial<Omit<MockEntryContent, 'kind' | 'member' | 'id'>>, options?: { timestamp?: number }): MockNcmecVersion;
  /** Appends a deleted record for `key`. */
  delete(key: string, options?: { timestamp?: number }): MockNcmecVersion;
  /** The latest version of `key` (content null when deleted), or undefined when unknown. */
  latest(key: string): MockNcmecVersion | undefined;
  /** Every key's current content, i.e. what a perfect client ends with. */
  currentContent(): Map<string, MockEntryContent>;
  /**
   * {@link currentContent} as tidscan `ListEntry`s: fields `source`, `id`, `member`, `classification`, `kind`,
   * `fingerprints`, `links`, `timestamp` (compare ignoring `metadata`, which carries feedback).
   */
  currentList(sourceId?: string): Map<string, ListEntry>;
  /** Number of keys in {@link currentList}, computed without building it (cheap for a 1M-entry benchmark). */
  currentSize(): number;
  /** Keys of generated entries in arrival order, handy for picking some to mutate. */
  generatedKey(index: number): string;
  close(): Promise<void>;
}

const DEFAULT_MEMBERS: MockMember[] = [
  { id: '7001', name: 'Take It Down' },
  { id: '42', name: 'Example Member' },
];
const CLASSIFICATIONS = ['A1', 'A2', 'B1', 'B2'];
const DEFAULT_REASONS = [
  { guid: '01234567-abcd-0123-4567-012345678900', name: 'Not CSAM', type: 'Md5' },
  { guid: '01234567-abcd-0123-4567-012345678901', name: 'Not CSAM', type: 'Sha1' },
  { guid: '01234567-abcd-0123-4567-012345678902', name: 'Not CSAM', type: 'PDQ' },
  { guid: '01234567-abcd-0123-4567-012345678903', name: 'Low quality hash', type: 'PDQ' },
];

/** `2017-10-24T15:00:00Z` (no millis), as in the API's records. */
export function ncmecTimestamp(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses `from`/`to` with or without millis; ms since the epoch, or NaN. */
function parseWhen(value: string | null): number {
  if (value === null || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

/** Lower bound: first index in the sorted `keys` with key >= target. */
/** `parts` as UTF-8 bytes: strings encoded, each number `i` the bytes of prerendered record `i`. */
function joinBytes(parts: Array<string | number>, slabs: Buffer[], slabOf: Uint16Array, at: Uint32Array, bytes: Uint32Array): Buffer {
  let total = 0;
  for (const p of parts) total += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : bytes[p]!;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const p of parts) {
    if (typeof p === 'string') o += out.write(p, o, 'utf8');
    else o += slabs[slabOf[p]!]!.copy(out, o, at[p]!, at[p]! + bytes[p]!);
  }
  return out;
}

function lowerBound(keys: Float64Array, target: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Starts the server on 127.0.0.1 with an ephemeral port.
 *
 * @example
 * ```ts
 * const server = await startMockNcmecServer({ entries: 1000, jitterMs: 30_000 });
 * ```
 */
export async function startMockNcmecServer(options: MockNcmecOptions = {}): Promise<MockNcmecServer> {
  const count = options.entries ?? 0;
  const seed = options.seed ?? 1;
  const startTime = options.startTime ?? Date.UTC(2025, 0, 1);
  const spacingMs = options.spacingMs ?? 1000;
  const jitterMs = options.jitterMs ?? 0;
  const videoFraction = options.videoFraction ?? 0.1;
  const linkOnlyFraction = options.linkOnlyFraction ?? 0;
  const pdnaFraction = options.pdnaFraction ?? 0;
  const members = options.members ?? DEFAULT_MEMBERS;
  const defaultPageSize = options.pageSize ?? 1000;
  const username = options.username ?? 'tidscan-user';
  const password = options.password ?? 'tidscan-password-0123';
  const basePath = (options.basePath ?? '/hashsharing').replace(/\/$/, '');
  const now = options.now ?? Date.now;
  const record = options.recordRequests ?? true;
  const expectedAuth = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
  if (count > 4_000_000) throw new RangeError('entries must be at most 4,000,000');

  // Generated entries: only timestamps are materialised; content comes from (seed, index).
  const genSec = new Float64Array(count);
  {
    const rand = prng(seed ^ 0x5eed);
    for (let i = 0; i < count; i++) {
      const jitter = jitterMs > 0 ? ((rand() / 0x100000000) * 2 - 1) * jitterMs : 0;
      genSec[i] = Math.floor((startTime + i * spacingMs + jitter) / 1000);
    }
  }
  // Sorted (timestamp, index) pairs packed into one float: ts * 2^22 + index (index < 4M).
  const SHIFT = 2 ** 22;
  const genSorted = new Float64Array(count);
  for (let i = 0; i < count; i++) genSorted[i] = genSec[i]! * SHIFT + i;
  genSorted.sort();

  const generatedKind = (i: number): EntryKind => {
    const r = prng((seed * 0x9e3779b1) ^ i)();
    return r / 0x100000000 < videoFraction ? 'video' : 'image';
  };
  const generatedMember = (i: number) => members[i % members.length]!;
  const generatedId = (i: number, kind: EntryKind) => `${kind === 'image' ? 'img' : 'vid'}-${String(i).padStart(7, '0')}`;
  const generatedContent = (i: number): MockEntryContent => {
    const next = prng((seed * 0x9e3779b1) ^ i);
    const kind = next() / 0x100000000 < videoFraction ? 'video' : 'image';
    const member = generatedMember(i);
    const classification = CLASSIFICATIONS[next() & 3]!;
    // One hex string for md5 + sha1 + pdq: a single native call instead of three (this is the benchmark's hot path).
    const hex = randomHex(next, 68);
    const fingerprints: Record<string, string> = { md5: hex.slice(0, 32), sha1: hex.slice(32, 72) };
    const content: MockEntryContent = { kind, member, id: generatedId(i, kind), classification, fingerprints };
    if (kind === 'image') {
      fingerprints.pdq = hex.slice(72, 136);
      if (pdnaFraction > 0 && next() / 0x100000000 < pdnaFraction) fingerprints.pdna = randomHex(next, 36).toUpperCase();
    } else if (linkOnlyFraction > 0 && next() / 0x100000000 < linkOnlyFraction) {
      content.links = [
        { type: 'tmk-pdqf', href: `/v2/entries/${content.id}/fingerprints/TMK_PDQF` },
        { type: 'videntifier', href: `/v2/entries/${content.id}/fingerprints/VIDENTIFIER` },
      ];
    }
    return content;
  };
  const keyOf = (member: MockMember, id: string) => `${member.id}-${id}`;
  const generatedIndexOfKey = (key: string): number | undefined => {
    const m = /^(.+)-(img|vid)-(\d{7,})$/.exec(key);
    if (!m) return undefined;
    const i = Number(m[3]);
    if (!(i < count)) return undefined;
    const kind = generatedKind(i);
    return generatedMember(i).id === m[1] && (kind === 'image' ? 'img' : 'vid') === m[2] ? i : undefined;
  };

  // Mutations, in arrival order after the generated entries.
  const mutations: MockNcmecVersion[] = [];
  const latestMutation = new Map<string, MockNcmecVersion>();
  // The last non-deleted content of each mutated key: what a re-add (update after delete) starts from.
  const lastLiveContent = new Map<string, MockEntryContent>();
  let autoId = 0;

  const versionOfGenerated = (i: number): MockNcmecVersion => {
    const content = generatedContent(i);
    return { seq: i, key: keyOf(content.member, content.id), timestampSec: genSec[i]!, content, kind: content.kind, member: content.member, id: content.id };
  };

  function latest(key: string): MockNcmecVersion | undefined {
    const m = latestMutation.get(key);
    if (m) return m;
    const i = generatedIndexOfKey(key);
    return i === undefined ? undefined : versionOfGenerated(i);
  }

  function append(version: Omit<MockNcmecVersion, 'seq'>): MockNcmecVersion {
    const full = { ...version, seq: count + mutations.length };
    mutations.push(full);
    latestMutation.set(full.key, full);
    if (full.content) lastLiveContent.set(full.key, full.content);
    windowCache.clear();
    return full;
  }

  const stampOf = (options?: { timestamp?: number }) => Math.floor((options?.timestamp ?? now()) / 1000);

  // Window selections are cached: paging through one window asks for the same selection many times.
  const windowCache = new Map<string, { generated: Uint32Array; mutated: MockNcmecVersion[] }>();
  function select(fromMs: number, toMs: number) {
    const cacheKey = `${fromMs}|${toMs}`;
    let hit = windowCache.get(cacheKey);
    if (!hit) {
      // from exclusive, to inclusive, on whole-second timestamps.
      const loSec = Math.floor(fromMs / 1000) + 1;
      const hiSec = Math.floor(toMs / 1000);
      const lo = lowerBound(genSorted, loSec * SHIFT);
      const hi = lowerBound(genSorted, (hiSec + 1) * SHIFT);
      const generated = new Uint32Array(Math.max(0, hi - lo));
      for (let k = lo; k < hi; k++) generated[k - lo] = genSorted[k]! % SHIFT;
      generated.sort();
      const mutated = mutations.filter((v) => v.timestampSec >= loSec && v.timestampSec <= hiSec);
      hit = { generated, mutated };
      if (windowCache.size > 8) windowCache.clear();
      windowCache.set(cacheKey, hit);
    }
    return hit;
  }

  function renderFeedback(feedback: MockFeedback[] | undefined): string {
    if (!feedback || feedback.length === 0) return '';
    const parts = feedback.map((f) => {
      const tag = f.vote === 'affirmative' ? 'affirmativeFeedback' : 'negativeFeedback';
      const stamp = f.lastUpdateTimestamp ?? '2025-01-01T00:00:00Z';
      const membersXml = `<members timestamp="${stamp}">${f.memberIds
        .map((id) => `<member id="${xmlEscape(id)}">${xmlEscape(members.find((m) => m.id === id)?.name ?? `Member ${id}`)}</member>`)
        .join('')}</members>`;
      const reasons = f.reasons?.length ?
          `<reasons>${f.reasons.map((r) => `<reason guid="${xmlEscape(r.guid)}" name="${xmlEscape(r.name)}" type="${xmlEscape(f.type)}"/>`).join('')}${membersXml}</reasons>`
        : membersXml;
      return `<${tag} type="${xmlEscape(f.type)}" lastUpdateTimestamp="${stamp}">${reasons}</${tag}>`;
    });
    return `<feedback lastUpdateTimestamp="2025-01-01T00:00:00Z">${parts.join('')}</feedback>`;
  }

  // Rendering is the mock's hot path (bench:sync): cache what repeats.
  const memberXml = new Map<MockMember, string>();
  const stampXml = new Map<number, string>();
  function renderVersion(v: MockNcmecVersion): string {
    let member = memberXml.get(v.member);
    if (member === undefined) {
      member = `<member id="${xmlEscape(v.member.id)}">${xmlEscape(v.member.name)}</member>`;
      memberXml.set(v.member, member);
    }
    let stamp = stampXml.get(v.timestampSec);
    if (stamp === undefined) {
      if (stampXml.size > 100_000) stampXml.clear();
      stamp = `<timestamp>${ncmecTimestamp(v.timestampSec)}</timestamp>`;
      stampXml.set(v.timestampSec, stamp);
    }
    if (!v.content) {
      const tag = v.kind === 'image' ? 'deletedImage' : 'deletedVideo';
      return `<${tag}>${member}<id>${xmlEscape(v.id)}</id>${stamp}</${tag}>`;
    }
    const c = v.content;
    let fps = '';
    // Generated values are hex; only values given through add()/update() need escaping.
    const escape = v.seq < count ? (t: string) => t : xmlEscape;
    for (const name in c.fingerprints) fps += `<${name}>${escape(c.fingerprints[name]!)}</${name}>`;
    for (const link of c.links ?? []) fps += `<${link.type} rel="self" href="${xmlEscape(link.href)}"/>`;
    const classification = c.classification ? `<classification>${escape(c.classification)}</classification>` : '';
    return `<${v.kind}>${member}${stamp}<id>${escape(c.id)}</id>${classification}<fingerprints>${fps}</fingerprints>${renderFeedback(c.feedback)}</${v.kind}>`;
  }

  // Generated entries never change (mutations are later versions), so their XML can be made once, as UTF-8:
  // serving a page is then a copy of bytes, with no rendering and no string encoding. The bytes sit in a few large
  // slabs (record i: prerenderedBytes[i] bytes at prerenderedAt[i] of slab prerenderedSlab[i]): a million Buffers of
  // their own made every collection of the mock mark a million objects, a few hundred milliseconds of its CPU per
  // million entries served, on the machine whose client the benchmark measures.
  let slabs: Buffer[] | undefined;
  let prerenderedSlab: Uint16Array | undefined;
  let prerenderedAt: Uint32Array | undefined;
  let prerenderedBytes: Uint32Array | undefined;
  let prerenderedVideo: Uint8Array | undefined;
  if (options.prerender) {
    slabs = [];
    prerenderedSlab = new Uint16Array(count);
    prerenderedAt = new Uint32Array(count);
    prerenderedBytes = new Uint32Array(count);
    prerenderedVideo = new Uint8Array(count);
    const SLAB_RECORDS = 65_536;
    for (let first = 0; first < count; first += SLAB_RECORDS) {
      const xml: Buffer[] = [];
      let at = 0;
      for (let i = first; i < Math.min(count, first + SLAB_RECORDS); i++) {
        const v = versionOfGenerated(i);
        xml.push(Buffer.from(renderVersion(v), 'utf8'));
        prerenderedSlab[i] = slabs.length;
        prerenderedAt[i] = at;
        prerenderedBytes[i] = xml.at(-1)!.length;
        at += prerenderedBytes[i]!;
        prerenderedVideo[i] = v.kind === 'video' ? 1 : 0;
      }
      slabs.push(Buffer.concat(xml));
    }
  }

  function renderEntries(query: URLSearchParams): { status: number; body: string | Buffer } {
    const fromRaw = query.get('from');
    const toRaw = query.get('to');
    const fromMs = parseWhen(fromRaw);
    const toMs = parseWhen(toRaw);
    if (Number.isNaN(fromMs) || Number.isNaN(toMs)) {
      return { status: 400, body: errorXml('from and to must be ISO 8601 UTC timestamps (yyyy-MM-ddTHH:mm:ss[.SSS]Z)') };
    }
    const start = query.has('start') ? Number(query.get('start')) : 1;
    const size = query.has('size') ? Number(query.get('size')) : defaultPageSize;
    if (!Number.isInteger(start) || start < 1 || !Number.isInteger(size) || size < 1 || size > 10_000) {
      return { status: 400, body: errorXml('start and size must be positive integers (size at most 10000)') };
    }
    const { generated, mutated } = select(fromMs, toMs);
    const total = generated.length + mutated.length;
    // Prerendered records are noted by number, rendered ones as their XML.
    const images: Array<string | number> = [];
    const videos: Array<string | number> = [];
    let imageMax = -Infinity;
    let videoMax = -Infinity;
    const end = Math.min(total, start - 1 + size);
    for (let k = start - 1; k < end; k++) {
      if (slabs && k < generated.length) {
        const i = generated[k]!;
        if (prerenderedVideo![i]) {
          videos.push(i);
          videoMax = Math.max(videoMax, genSec[i]!);
        } else {
          images.push(i);
          imageMax = Math.max(imageMax, genSec[i]!);
        }
        continue;
      }
      const v = k < generated.length ? versionOfGenerated(generated[k]!) : mutated[k - generated.length]!;
      if (v.kind === 'image') {
        images.push(renderVersion(v));
        imageMax = Math.max(imageMax, v.timestampSec);
      } else {
        videos.push(renderVersion(v));
        videoMax = Math.max(videoMax, v.timestampSec);
      }
    }
    const block = (tag: string, items: Array<string | number>, max: number): Array<string | number> =>
      items.length === 0 ? [`<${tag} count="0"/>`] : [`<${tag} count="${items.length}" maxTimestamp="${ncmecTimestamp(max)}">`, ...items, `</${tag}>`];
    let paging = '';
    if (end < total) {
      const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
      paging = `<paging><next>/v2/entries?from=${iso(fromMs)}&amp;to=${iso(toMs)}&amp;start=${end + 1}&amp;size=${size}&amp;max=${total}</next></paging>`;
    }
    const parts = [
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<queryResult xmlns="${NCMEC_NAMESPACE}">`,
      ...block('images', images, imageMax),
      ...block('videos', videos, videoMax),
      `${paging}</queryResult>`,
    ];
    if (!slabs) return { status: 200, body: parts.join('') };
    return { status: 200, body: joinBytes(parts, slabs, prerenderedSlab!, prerenderedAt!, prerenderedBytes!) };
  }

  function errorXml(message: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?><error xmlns="${NCMEC_NAMESPACE}"><message>${xmlEscape(message)}</message></error>`;
  }

  const faults = new FaultController((req) => req.endpoint === 'entries');
  const requests: RecordedRequest[] = [];
  const feedback: RecordedFeedback[] = [];
  const reasons = DEFAULT_REASONS.map((r) => ({ ...r }));
  const resources = new Resources();
  const sockets = new Set<Socket>();
  let requestCount = 0;

  function route(method: string, path: string): { endpoint: string; params: string[] } | undefined {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/v2/status') return { endpoint: 'status', params: [] };
    if (method === 'GET' && path === '/v2/members') return { endpoint: 'members', params: [] };
    if (method === 'GET' && path === '/v2/entries') return { endpoint: 'entries', params: [] };
    if (method === 'GET' && (m = /^\/v2\/feedback\/([A-Za-z0-9_]+)\/reasons$/.exec(path))) return { endpoint: 'reasons', params: [m[1]!] };
    if (method === 'PUT' && (m = /^\/v2\/entries\/([^/]+)\/([^/]+)\/([A-Za-z0-9_]+)\/feedback$/.exec(path))) {
      return { endpoint: 'feedback', params: [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), m[3]!] };
    }
    if (method === 'GET' && (m = /^\/v2\/entries\/([^/]+)\/fingerprints\/([A-Za-z0-9_]+)$/.exec(path))) {
      return { endpoint: 'fingerprint', params: [m[1]!, m[2]!] };
    }
    return undefined;
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++requestCount;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname.startsWith(basePath + '/') ? url.pathname.slice(basePath.length) : '';
    const routed = path ? route(method, path) : undefined;
    const info: MockRequestInfo = { n, method, endpoint: routed?.endpoint ?? 'unknown', path: path || url.pathname, query: url.searchParams };
    const authorized = req.headers.authorization === expectedAuth;
    const body = method === 'PUT' ? await readBody(req) : '';
    const xmlHeaders = { 'content-type': 'application/xml; charset=utf-8' };
    const fault = faults.take(info);
    let status: number;
    let text: string | Buffer;
    if (!authorized) {
      status = 401;
      text = errorXml('Unauthorized');
    } else if (!routed) {
      status = 404;
      text = errorXml('Not found');
    } else {
      ({ status, text } = respond(routed, url.searchParams, req, body));
    }
    const headers: Record<string, string> = status === 401 ? { ...xmlHeaders, 'www-authenticate': 'Basic realm="hashsharing"' } : xmlHeaders;
    const sent = sendWithFault(req, res, resources, status, headers, text, fault);
    if (record) {
      const entry: RecordedRequest = { ...info, query: Object.fromEntries(url.searchParams), status: sent, authorized };
      if (fault) entry.fault = fault.kind;
      requests.push(entry);
    }
  }

  function respond(
    routed: { endpoint: string; params: string[] },
    query: URLSearchParams,
    req: IncomingMessage,
    body: string,
  ): { status: number; text: string | Buffer } {
    switch (routed.endpoint) {
      case 'status':
        return {
          status: 200,
          text: `<?xml version="1.0" encoding="UTF-8"?><status xmlns="${NCMEC_NAMESPACE}"><ipAddress>${xmlEscape(req.socket.remoteAddress ?? '')}</ipAddress><username>${xmlEscape(username)}</username><member id="${xmlEscape(members[0]!.id)}">${xmlEscape(members[0]!.name)}</member></status>`,
        };
      case 'members':
        return {
          status: 200,
          text: `<?xml version="1.0" encoding="UTF-8"?><members xmlns="${NCMEC_NAMESPACE}">${members.map((m) => `<member id="${xmlEscape(m.id)}">${xmlEscape(m.name)}</member>`).join('')}</members>`,
        };
      case 'entries': {
        const { status, body: text } = renderEntries(query);
        return { status, text };
      }
      case 'reasons': {
        const type = routed.params[0]!.toLowerCase();
        const list = reasons.filter((r) => r.type.toLowerCase() === type);
        return {
          status: 200,
          text: `<?xml version="1.0" encoding="UTF-8"?><availableFeedbackReasons xmlns="${NCMEC_NAMESPACE}">${list.map((r) => `<reason guid="${xmlEscape(r.guid)}" name="${xmlEscape(r.name)}" type="${xmlEscape(r.type)}"/>`).join('')}</availableFeedbackReasons>`,
        };
      }
      case 'feedback': {
        const [espId, entryId, type] = routed.params as [string, string, string];
        const vote = /<affirmative\s*\/>|<affirmative>/.test(body) ? 'affirmative' : /<negative[\s>/]/.test(body) ? 'negative' : 'unknown';
        const reasonIds = [...body.matchAll(/<guid>([^<]*)<\/guid>/g)].map((m) => m[1]!);
        feedback.push({ espId, entryId, type, vote, reasonIds, body, contentType: req.headers['content-type'] });
        if (vote === 'unknown' || !body.includes(NCMEC_NAMESPACE)) return { status: 400, text: errorXml('Malformed feedbackSubmission') };
        return { status: 200, text: `<?xml version="1.0" encoding="UTF-8"?><submissionResult xmlns="${NCMEC_NAMESPACE}"/>` };
      }
      case 'fingerprint':
        return { status: 200, text: `<?xml version="1.0" encoding="UTF-8"?><fingerprint xmlns="${NCMEC_NAMESPACE}">${'00'.repeat(256)}</fingerprint>` };
      default:
        return { status: 404, text: errorXml('Not found') };
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 10_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  function toListEntry(key: string, content: MockEntryContent, timestampSec: number, sourceId: string): ListEntry {
    const fingerprints: Fingerprints = { ...content.fingerprints };
    const entry: ListEntry = {
      source: sourceId,
      id: content.id,
      member: { id: content.member.id, name: content.member.name },
      kind: content.kind,
      fingerprints,
      timestamp: new Date(timestampSec * 1000).toISOString(),
    };
    if (content.classification) entry.classification = content.classification;
    if (content.links?.length) entry.links = content.links.map((l) => ({ ...l }));
    void key;
    return entry;
  }

  const api: MockNcmecServer = {
    url: `http://127.0.0.1:${port}${basePath}`,
    username,
    password,
    faults,
    requests,
    feedback,
    reasons,
    now,
    get logSize() {
      return count + mutations.length;
    },
    add(entry, opts) {
      const kind = entry.kind ?? 'image';
      const member = entry.member ?? members[0]!;
      const id = entry.id ?? `new-${kind === 'image' ? 'img' : 'vid'}-${++autoId}`;
      const next = prng(seed ^ (0xadd00000 + autoId));
      const fingerprints = entry.fingerprints ?? (kind === 'image' ? { md5: randomHex(next, 16), pdq: randomHex(next, 32) } : { md5: randomHex(next, 16) });
      const content: MockEntryContent = { kind, member, id, fingerprints: { ...fingerprints } };
      if (entry.classification) content.classification = entry.classification;
      if (entry.links) content.links = entry.links;
      if (entry.feedback) content.feedback = entry.feedback;
      return append({ key: keyOf(member, id), timestampSec: stampOf(opts), content, kind, member, id });
    },
    update(key, changes, opts) {
      const current = latest(key);
      if (!current) throw new Error(`Unknown key ${key}`);
      let base = current.content ?? lastLiveContent.get(key);
      if (!base) {
        // A generated entry deleted by a mutation: its content is still computable from (seed, index).
        const i = generatedIndexOfKey(key);
        if (i === undefined) throw new Error(`No content to re-add for ${key}`);
        base = generatedContent(i);
      }
      const content: MockEntryContent = { ...base, ...changes, kind: current.kind, member: current.member, id: current.id };
      return append({ key, timestampSec: stampOf(opts), content, kind: current.kind, member: current.member, id: current.id });
    },
    delete(key, opts) {
      const current = latest(key);
      if (!current) throw new Error(`Unknown key ${key}`);
      return append({ key, timestampSec: stampOf(opts), content: null, kind: current.kind, member: current.member, id: current.id });
    },
    latest,
    currentContent() {
      const out = new Map<string, MockEntryContent>();
      for (let i = 0; i < count; i++) {
        const kind = generatedKind(i);
        const key = keyOf(generatedMember(i), generatedId(i, kind));
        if (!latestMutation.has(key)) out.set(key, generatedContent(i));
      }
      for (const [key, v] of latestMutation) if (v.content) out.set(key, v.content);
      return out;
    },
    currentList(sourceId = 'ncmec') {
      const out = new Map<string, ListEntry>();
      for (let i = 0; i < count; i++) {
        const kind = generatedKind(i);
        const key = keyOf(generatedMember(i), generatedId(i, kind));
        if (!latestMutation.has(key)) out.set(key, toListEntry(key, generatedContent(i), genSec[i]!, sourceId));
      }
      for (const [key, v] of latestMutation) if (v.content) out.set(key, toListEntry(key, v.content, v.timestampSec, sourceId));
      return out;
    },
    currentSize() {
      let size = count;
      for (const [key, v] of latestMutation) {
        if (generatedIndexOfKey(key) !== undefined) size--;
        if (v.content) size++;
      }
      return size;
    },
    generatedKey(index) {
      if (!(index >= 0 && index < count)) throw new RangeError(`No generated entry ${index}`);
      return keyOf(generatedMember(index), generatedId(index, generatedKind(index)));
    },
    async close() {
      resources.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
