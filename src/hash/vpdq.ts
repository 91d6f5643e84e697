/**
 * vPDQ video matching: the "bag of frames" comparison of python-threatexchange / HMA, with the C++
 * `match-hashes-brute` variants as options (docs/hashing.md#video).
 *
 * For each frame hash on one side: does any frame hash on the other side lie within the distance? The share of
 * such frames is that side's match percentage. Frame numbers and timestamps are ignored. Defaults follow HMA:
 * quality >= 50 filter, duplicate hashes counted once, distance <= 31, and a match when the QUERY (the uploaded
 * video) is >= 80 % covered, whatever the share of the listed (target) video.
 *
 * Pure: no Node imports.
 *
 * @module
 */
import { HashFormatError } from '../errors.js';
import { isHexOfLength, popcount32 } from './hex.js';

/** The part of a vPDQ frame feature that matching uses (list `VpdqFeature`s and hashed `VpdqFrame`s both fit). */
export interface VpdqFeatureLike {
  /** 64 hex digits. */
  pdq: string;
  /** 0-100. */
  quality: number;
}

/**
 * How a frame distance is compared with `maxDistance`:
 * - `inclusive`: `distance <= maxDistance` (README, python-threatexchange, HMA);
 * - `strict`: `distance < maxDistance` (C++ `matchTwoHashBrute`, whose CLI passes 31, so really <= 30).
 */
export type VpdqDistanceRule = 'inclusive' | 'strict';

/** Which frames of a video take part in matching. */
export interface VpdqFilterOptions {
  /**
   * Frames with a lower PDQ quality are ignored on both sides.
   * @default 50
   */
  minQuality?: number;
  /**
   * Count identical hashes once per video (README, python-threatexchange). `false` reproduces the C++ matcher,
   * which counts every frame line.
   * @default true
   */
  dedupe?: boolean;
}

/** Options of {@link matchVpdq}. */
export interface VpdqMatchOptions extends VpdqFilterOptions {
  /**
   * Largest Hamming distance (out of 256) at which two frame hashes match; see `distanceRule`.
   * @default 31
   */
  maxDistance?: number;
  /**
   * `inclusive` (`<=`, HMA) or `strict` (`<`, the C++ matcher).
   * @default 'inclusive'
   */
  distanceRule?: VpdqDistanceRule;
  /**
   * Minimum share (0-100) of the query's frames that must match for a match. With the default 80 on the query
   * and 0 on the target (HMA's choice), an upload that is mostly a listed video, or a clip cut from it, matches;
   * a long upload that merely contains a listed clip does not. The vPDQ README puts the 80 on the target instead
   * (`{ queryMatchPercent: 0, targetMatchPercent: 80 }`), which catches the latter case and misses the former.
   * @default 80
   */
  queryMatchPercent?: number;
  /**
   * Minimum share (0-100) of the target's frames that must match.
   * @default 0
   */
  targetMatchPercent?: number;
}

/** Result of comparing two videos. */
export interface VpdqMatchResult {
  /** Share (0-100) of the query's filtered frame hashes that have a match in the target. */
  queryMatchPercent: number;
  /** Share (0-100) of the target's filtered frame hashes that have a match in the query. */
  targetMatchPercent: number;
  /** Both thresholds met, and neither side was empty after filtering. */
  isMatch: boolean;
  /** Query frame hashes that took part (after the quality filter and dedupe). */
  queryFrames: number;
  /** Target frame hashes that took part (after the quality filter and dedupe). */
  targetFrames: number;
}

/** A video's filtered frame hashes in packed form, reusable across many comparisons. Create with {@link prepareVpdq}. */
export interface PreparedVpdq {
  /** 8 big-endian 32-bit words per hash. */
  readonly words: Uint32Array;
  /** Number of hashes. */
  readonly count: number;
  /** The filter applied when it was prepared. */
  readonly minQuality: number;
  readonly dedupe: boolean;
}

/** The defaults of {@link VpdqMatchOptions}. */
export const VPDQ_MATCH_DEFAULTS: Readonly<Required<VpdqMatchOptions>> = Object.freeze({
  minQuality: 50,
  dedupe: true,
  maxDistance: 31,
  distanceRule: 'inclusive',
  queryMatchPercent: 80,
  targetMatchPercent: 0,
});

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function intIn(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

function percentOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new RangeError(`Expected \`${name}\` to be a number from 0 to 100, got ${show(value)}`);
  }
  return value;
}

function resolveFilter(options: VpdqFilterOptions): { minQuality: number; dedupe: boolean } {
  const minQuality = intIn('minQuality', options.minQuality, 0, 100, VPDQ_MATCH_DEFAULTS.minQuality);
  const dedupe = options.dedupe ?? VPDQ_MATCH_DEFAULTS.dedupe;
  if (typeof dedupe !== 'boolean') throw new TypeError(`Expected \`dedupe\` to be a boolean, got ${show(dedupe)}`);
  return { minQuality, dedupe };
}

function resolveMatchOptions(options: unknown): Required<VpdqMatchOptions> {
  if (options === undefined) return VPDQ_MATCH_DEFAULTS;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected vPDQ match options to be an object, got ${show(options)}`);
  }
  const o = options as VpdqMatchOptions;
  const distanceRule = o.distanceRule ?? VPDQ_MATCH_DEFAULTS.distanceRule;
  if (distanceRule !== 'inclusive' && distanceRule !== 'strict') {
    throw new TypeError(`Expected \`distanceRule\` to be 'inclusive' or 'strict', got ${show(distanceRule)}`);
  }
  return {
    ...resolveFilter(o),
    maxDistance: intIn('maxDistance', o.maxDistance, 0, 256, VPDQ_MATCH_DEFAULTS.maxDistance),
    distanceRule,
    queryMatchPercent: percentOption('queryMatchPercent', o.queryMatchPercent, VPDQ_MATCH_DEFAULTS.queryMatchPercent),
    targetMatchPercent: percentOption('targetMatchPercent', o.targetMatchPercent, VPDQ_MATCH_DEFAULTS.targetMatchPercent),
  };
}

function hexWord(hex: string, offset: number): number {
  return Number.parseInt(hex.slice(offset, offset + 8), 16) >>> 0;
}

/**
 * Applies the quality filter and dedupe to a video's frame features and packs the hashes for fast matching.
 * Prepare a listed video once and match many uploads against it.
 *
 * @throws {HashFormatError} `INVALID_HASH` when a feature's `pdq` is not 64 hex digits or its quality is not a
 *   number from 0 to 100.
 */
export function prepareVpdq(features: readonly VpdqFeatureLike[], options: VpdqFilterOptions = {}): PreparedVpdq {
  if (!Array.isArray(features)) throw new TypeError(`Expected \`features\` to be an array, got ${show(features)}`);
  const { minQuality, dedupe } = resolveFilter(options);
  const kept: string[] = [];
  const seen = dedupe ? new Set<string>() : undefined;
  features.forEach((feature, i) => {
    const pdq = (feature as VpdqFeatureLike | null)?.pdq;
    const quality = (feature as VpdqFeatureLike | null)?.quality;
    if (!isHexOfLength(pdq, 32)) {
      throw new HashFormatError('INVALID_HASH', `vPDQ feature ${i}: expected a PDQ hash of 64 hex characters, got ${show(pdq)}`, {
        details: { kind: 'vpdq', index: i },
      });
    }
    if (typeof quality !== 'number' || !(quality >= 0 && quality <= 100)) {
      throw new HashFormatError('INVALID_HASH', `vPDQ feature ${i}: expected a quality from 0 to 100, got ${show(quality)}`, {
        details: { kind: 'vpdq', index: i },
      });
    }
    if (quality < minQuality) return;
    const hex = pdq.toLowerCase();
    if (seen) {
      if (seen.has(hex)) return;
      seen.add(hex);
    }
    kept.push(hex);
  });
  const words = new Uint32Array(kept.length * 8);
  kept.forEach((hex, i) => {
    for (let w = 0; w < 8; w++) words[i * 8 + w] = hexWord(hex, w * 8);
  });
  return Object.freeze({ words, count: kept.length, minQuality, dedupe });
}

/** How many hashes of `a` have at least one hash of `b` within `limit` bits. */
function countCovered(a: PreparedVpdq, b: PreparedVpdq, limit: number): number {
  const aw = a.words;
  const bw = b.words;
  let covered = 0;
  for (let i = 0; i < a.count; i++) {
    const ai = i * 8;
    const a0 = aw[ai]!, a1 = aw[ai + 1]!, a2 = aw[ai + 2]!, a3 = aw[ai + 3]!;
    const a4 = aw[ai + 4]!, a5 = aw[ai + 5]!, a6 = aw[ai + 6]!, a7 = aw[ai + 7]!;
    for (let j = 0; j < b.count; j++) {
      const bj = j * 8;
      let d = popcount32(a0 ^ bw[bj]!) + popcount32(a1 ^ bw[bj + 1]!) + popcount32(a2 ^ bw[bj + 2]!) + popcount32(a3 ^ bw[bj + 3]!);
      if (d > limit) continue;
      d += popcount32(a4 ^ bw[bj + 4]!) + popcount32(a5 ^ bw[bj + 5]!) + popcount32(a6 ^ bw[bj + 6]!) + popcount32(a7 ^ bw[bj + 7]!);
      if (d <= limit) {
        covered++;
        break;
      }
    }
  }
  return covered;
}

function isPrepared(value: unknown): value is PreparedVpdq {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as PreparedVpdq).words instanceof Uint32Array;
}

function asPrepared(side: string, value: readonly VpdqFeatureLike[] | PreparedVpdq, o: Required<VpdqMatchOptions>): PreparedVpdq {
  if (!isPrepared(value)) return prepareVpdq(value, o);
  if (value.minQuality !== o.minQuality || value.dedupe !== o.dedupe) {
    throw new TypeError(
      `Expected the prepared ${side} to use the match options' filter (minQuality ${o.minQuality}, dedupe ${o.dedupe}), ` +
        `got minQuality ${value.minQuality}, dedupe ${value.dedupe}`,
    );
  }
  return value;
}

/**
 * Compares two videos' vPDQ frame hashes (python-threatexchange semantics by default; see {@link VpdqMatchOptions}
 * for the C++ variants).
 *
 * @param query The video being checked (the upload).
 * @param target The reference video (the list entry).
 * @throws {HashFormatError} `INVALID_HASH` for a malformed feature; {@link TypeError} / {@link RangeError} for bad options.
 *
 * @example
 * ```ts
 * const { isMatch, queryMatchPercent } = matchVpdq(upload.frames, entry.fingerprints.vpdq!);
 * // the C++ `match-hashes-brute q t 31 50`:
 * matchVpdq(q, t, { dedupe: false, distanceRule: 'strict' });
 * ```
 */
export function matchVpdq(
  query: readonly VpdqFeatureLike[] | PreparedVpdq,
  target: readonly VpdqFeatureLike[] | PreparedVpdq,
  options?: VpdqMatchOptions,
): VpdqMatchResult {
  const o = resolveMatchOptions(options);
  const q = asPrepared('query', query, o);
  const t = asPrepared('target', target, o);
  const limit = o.distanceRule === 'strict' ? o.maxDistance - 1 : o.maxDistance;
  const queryMatchPercent = q.count === 0 || t.count === 0 ? 0 : (countCovered(q, t, limit) * 100) / q.count;
  const targetMatchPercent = q.count === 0 || t.count === 0 ? 0 : (countCovered(t, q, limit) * 100) / t.count;
  return {
    queryMatchPercent,
    targetMatchPercent,
    isMatch:
      q.count > 0 && t.count > 0 && queryMatchPercent >= o.queryMatchPercent && targetMatchPercent >= o.targetMatchPercent,
    queryFrames: q.count,
    targetFrames: t.count,
  };
}
