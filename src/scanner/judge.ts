/**
 * The matching rules: turns computed hashes into matches and exclusions against an in-memory list view. Pure and
 * synchronous, so the same rules serve `matchImage`, `matchVideo` and `matchHashes`.
 *
 * @module
 * @internal
 */
import { DIHEDRAL_NAMES, type DihedralName } from '../hash/dihedral.js';
import { hammingDistance, parseHex } from '../hash/hex.js';
import { type PreparedVpdq, matchVpdq, prepareVpdq } from '../hash/vpdq.js';
import type { EntryKind, ListEntry, VpdqFeature } from '../sync/types.js';
import type { ListThresholds } from './options.js';
import type {
  ComputedHashes,
  DigestMatch,
  ExcludedMatch,
  FalsePositive,
  FrameHash,
  FrameMatch,
  Match,
  PdqMatch,
  UnhashableReason,
  VpdqMatch,
} from './types.js';

/** The digest kinds, strongest evidence first. */
export const DIGEST_KINDS = ['sha256', 'sha1', 'md5'] as const;
/** A digest kind. */
export type DigestKind = (typeof DIGEST_KINDS)[number];

/** One PDQ hit in the list. */
export interface PdqHit {
  entry: ListEntry;
  distance: number;
}

/** What the judge needs from the in-memory list. */
export interface ListView {
  /** Every entry whose PDQ fingerprint is within `maxDistance` (inclusive) of `hash` (32 packed bytes). */
  queryPdq(hash: Uint8Array, maxDistance: number): PdqHit[];
  /** Every entry with this exact digest (lowercase hex). */
  lookupDigest(kind: DigestKind, hex: string): ListEntry[];
  /** Every entry with vPDQ frame features. */
  vpdqEntries(): Iterable<ListEntry>;
}

/** What the judge needs from the false-positive allowlist. */
export interface AllowlistView {
  forEntry(list: string, entryId: string): FalsePositive | undefined;
  forContent(sha256: string): FalsePositive | undefined;
}

/** Scanner-wide matching settings. */
export interface JudgeSettings {
  minQuality: number;
  /** Thresholds of a list id (configured ones, or the scanner-wide defaults). */
  thresholdsFor(list: string): ListThresholds;
  /** The largest PDQ distance any list accepts: the radius of index queries. */
  maxPdqDistance: number;
  /** Sort rank of a list id (configured order first). */
  listRank(list: string): number;
}

/** One scan to judge. */
export interface JudgeRequest {
  hashes: ComputedHashes;
  /** The entry kinds exact digests are compared with (`image` for images, `video` for videos, both for hashes). */
  digestKinds: readonly EntryKind[];
  /** Set by the caller when no perceptual hash could be computed at all (too small, no video stream, ...). */
  unusable?: Unusable;
}

/** Why the perceptual side of a scan could not be used. */
export interface Unusable {
  reason: UnhashableReason;
  message: string;
}

/** The judge's result, before the scanner wraps it into a verdict. */
export interface Judgement {
  matches: Match[];
  excluded: ExcludedMatch[];
  /** Set when the perceptual hashes could not be used; the verdict is `unhashable` unless something matched. */
  unusable?: Unusable;
}

const SIGNAL_RANK: Record<Match['signal'], number> = { sha256: 0, sha1: 1, md5: 2, vpdq: 3, pdq: 4 };

/** Applies the matching rules (see docs/api.md "Matching rules"). */
export function judge(list: ListView, allowlist: AllowlistView, settings: JudgeSettings, request: JudgeRequest): Judgement {
  const { hashes } = request;
  const found = new Map<string, Match>();
  const keep = (m: Match): void => {
    const key = `${m.list}\u0000${m.entryId}`;
    const prior = found.get(key);
    if (!prior || SIGNAL_RANK[m.signal] < SIGNAL_RANK[prior.signal]) found.set(key, m);
  };

  for (const kind of DIGEST_KINDS) {
    const hex = hashes[kind];
    if (hex === undefined) continue;
    for (const entry of list.lookupDigest(kind, hex)) {
      if (request.digestKinds.includes(entry.kind)) keep(digestMatch(entry, kind));
    }
  }

  let unusable = request.unusable;
  if (!unusable && hashes.pdq !== undefined) {
    if (hashes.quality !== undefined && hashes.quality < settings.minQuality) {
      unusable = lowQuality(`PDQ quality ${hashes.quality} is below the minimum of ${settings.minQuality}`);
    } else {
      for (const m of imagePdqMatches(list, settings, hashes.pdq, hashes.dihedral)) keep(m);
    }
  }
  if (!unusable && hashes.vpdq !== undefined) {
    const usable = hashes.vpdq.filter((f) => f.quality >= settings.minQuality);
    if (hashes.vpdq.length === 0) {
      unusable = { reason: 'no_frames', message: 'The video has no frames to hash' };
    } else if (usable.length === 0) {
      unusable = lowQuality(`All ${hashes.vpdq.length} sampled frames have a PDQ quality below ${settings.minQuality}`);
    } else {
      for (const m of frameMatches(list, settings, usable)) keep(m);
      for (const m of vpdqMatches(list, settings, usable)) keep(m);
    }
  }

  const matches: Match[] = [];
  const excluded: ExcludedMatch[] = [];
  const content = hashes.sha256 === undefined ? undefined : allowlist.forContent(hashes.sha256);
  for (const m of [...found.values()].sort((a, b) => compareMatches(settings, a, b))) {
    const byEntry = allowlist.forEntry(m.list, m.entryId);
    if (byEntry) excluded.push({ match: m, reason: 'entry', falsePositive: byEntry });
    else if (content) excluded.push({ match: m, reason: 'content', falsePositive: content });
    else matches.push(m);
  }
  const result: Judgement = { matches, excluded };
  if (unusable) result.unusable = unusable;
  return result;
}

function entryKey(entry: ListEntry): string {
  return `${entry.source}\u0000${entry.id}`;
}

function lowQuality(message: string): Unusable {
  return { reason: 'low_quality', message };
}

function compareMatches(settings: JudgeSettings, a: Match, b: Match): number {
  return (
    settings.listRank(a.list) - settings.listRank(b.list) ||
    (a.list < b.list ? -1 : a.list > b.list ? 1 : 0) ||
    SIGNAL_RANK[a.signal] - SIGNAL_RANK[b.signal] ||
    a.distance - b.distance ||
    (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0)
  );
}

function base(entry: ListEntry): Omit<DigestMatch, 'signal' | 'distance'> {
  const m: Omit<DigestMatch, 'signal' | 'distance'> = { list: entry.source, entryId: entry.id, entryKind: entry.kind };
  if (entry.member) m.member = { ...entry.member };
  if (entry.classification !== undefined) m.classification = entry.classification;
  return m;
}

function digestMatch(entry: ListEntry, signal: DigestKind): DigestMatch {
  return { ...base(entry), signal, distance: 0 };
}

/** The image's hash (and its dihedral variants when given) against the PDQ index; one match per entry. */
function imagePdqMatches(
  list: ListView,
  settings: JudgeSettings,
  pdq: string,
  dihedral: ComputedHashes['dihedral'],
): PdqMatch[] {
  const variants: Array<[DihedralName, string]> = [['orig', pdq]];
  if (dihedral) {
    for (const name of DIHEDRAL_NAMES) {
      const hex = dihedral[name];
      if (name !== 'orig' && hex !== undefined) variants.push([name, hex]);
    }
  }
  const best = new Map<string, PdqMatch>();
  for (const [transform, hex] of variants) {
    for (const { entry, distance } of list.queryPdq(parseHex('pdq', hex), settings.maxPdqDistance)) {
      if (distance > settings.thresholdsFor(entry.source).maxDistance) continue;
      const key = entryKey(entry);
      const prior = best.get(key);
      // Variants are visited orig first, so a tie keeps the untransformed match.
      if (!prior || distance < prior.distance) best.set(key, { ...base(entry), signal: 'pdq', distance, transform });
    }
  }
  return [...best.values()];
}

/** Every usable video frame against the PDQ index, so a listed photo shown inside a video is caught. */
function frameMatches(list: ListView, settings: JudgeSettings, frames: readonly FrameHash[]): PdqMatch[] {
  const hitsByHex = new Map<string, PdqHit[]>();
  const perEntry = new Map<string, { entry: ListEntry; hits: FrameMatch[] }>();
  for (const f of frames) {
    let hits = hitsByHex.get(f.pdq);
    if (!hits) {
      hits = list.queryPdq(parseHex('pdq', f.pdq), settings.maxPdqDistance);
      hitsByHex.set(f.pdq, hits);
    }
    for (const { entry, distance } of hits) {
      if (distance > settings.thresholdsFor(entry.source).maxDistance) continue;
      const key = entryKey(entry);
      let seen = perEntry.get(key);
      if (!seen) perEntry.set(key, (seen = { entry, hits: [] }));
      seen.hits.push({ frame: f.frame, timestamp: f.timestamp, distance });
    }
  }
  const out: PdqMatch[] = [];
  for (const { entry, hits } of perEntry.values()) {
    hits.sort((a, b) => a.frame - b.frame);
    let best = hits[0]!;
    for (const h of hits) if (h.distance < best.distance) best = h;
    out.push({ ...base(entry), signal: 'pdq', distance: best.distance, transform: 'orig', frame: best, frames: hits });
  }
  return out;
}

/**
 * vPDQ against every video entry with frame features, with python-threatexchange semantics (`matchVpdq`, VPDQ.md
 * §4): both sides quality-filtered and deduplicated, frames match at distance <= `frameDistance`, percentages of
 * unique frames. A match needs both percentages at their thresholds and at least one matching frame pair (so
 * thresholds of 0 % do not match every video).
 */
function vpdqMatches(list: ListView, settings: JudgeSettings, frames: readonly FrameHash[]): VpdqMatch[] {
  const filter = { minQuality: settings.minQuality, dedupe: true };
  const query = prepareVpdq(frames, filter);
  const out: VpdqMatch[] = [];
  for (const entry of list.vpdqEntries()) {
    const features = entry.fingerprints.vpdq;
    if (!features || features.length === 0) continue;
    const target = preparedTarget(features, settings.minQuality);
    const { frameDistance, queryPercent, targetPercent } = settings.thresholdsFor(entry.source).vpdq;
    const score = matchVpdq(query, target, {
      ...filter,
      maxDistance: frameDistance,
      queryMatchPercent: queryPercent,
      targetMatchPercent: targetPercent,
    });
    if (!score.isMatch || score.queryMatchPercent === 0) continue;
    out.push({
      ...base(entry),
      signal: 'vpdq',
      queryPercent: score.queryMatchPercent,
      targetPercent: score.targetMatchPercent,
      distance: smallestDistance(frames, features, settings.minQuality),
    });
  }
  return out;
}

// Listed videos are prepared (filtered, packed) once per feature array; the list replaces the array when the
// entry changes, so the WeakMap never serves a stale preparation.
const preparedTargets = new WeakMap<readonly VpdqFeature[], { minQuality: number; prepared: PreparedVpdq }>();

function preparedTarget(features: readonly VpdqFeature[], minQuality: number): PreparedVpdq {
  const hit = preparedTargets.get(features);
  if (hit && hit.minQuality === minQuality) return hit.prepared;
  const prepared = prepareVpdq(features, { minQuality, dedupe: true });
  preparedTargets.set(features, { minQuality, prepared });
  return prepared;
}

function smallestDistance(query: readonly FrameHash[], target: readonly VpdqFeature[], minQuality: number): number {
  const q = uniqueHashes(query.filter((f) => f.quality >= minQuality).map((f) => f.pdq));
  const t = uniqueHashes(target.filter((f) => f.quality >= minQuality).map((f) => f.pdq));
  return compareFrameSets(q, t, -1).minDistance;
}

function uniqueHashes(hexes: readonly string[]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const hex of hexes) {
    const key = hex.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(parseHex('pdq', key));
  }
  return out;
}

/** Brute-force bag-of-frames comparison: counts query and target frames that have a partner within `maxDistance`. */
export function compareFrameSets(
  query: readonly Uint8Array[],
  target: readonly Uint8Array[],
  maxDistance: number,
): { queryMatched: number; targetMatched: number; minDistance: number } {
  const targetHit = new Uint8Array(target.length);
  let queryMatched = 0;
  let minDistance = 256;
  for (const q of query) {
    let hit = false;
    for (let j = 0; j < target.length; j++) {
      const d = hammingDistance(q, target[j]!);
      if (d < minDistance) minDistance = d;
      if (d <= maxDistance) {
        hit = true;
        targetHit[j] = 1;
      }
    }
    if (hit) queryMatched++;
  }
  let targetMatched = 0;
  for (const h of targetHit) targetMatched += h;
  return { queryMatched, targetMatched, minDistance };
}
