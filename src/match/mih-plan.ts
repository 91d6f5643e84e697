/**
 * Planning for the multi-index hash: how many probes a query costs, which substring width a list size gets, when
 * a scan is cheaper, and the options. The constants were fitted with `npm run bench:index` (docs/performance.md,
 * "Why the default is `auto`").
 *
 * @module
 */
import { MAX_DIRECT_BITS, MIN_DIRECT_BITS } from './geometry.js';
import { probeCount } from './probe-masks.js';
import { describeValue } from './validate.js';

/** Options of {@link MihIndex}. */
export interface MihOptions {
  /**
   * Width of each substring: 8–24 bits (directly addressed buckets) or 32 (hashed buckets); the index keeps
   * `⌊256 / substringBits⌋` tables. `'auto'` picks the width from the list size at each full build.
   *
   * @default 'auto'
   */
  substringBits?: number | 'auto';
  /**
   * A table is rebuilt once its delta (adds) plus stale entries (removes) exceed this fraction of the list size.
   * Delta candidates are verified in the same batch as the built buckets', so a delta of a quarter of the list
   * costs queries little (1M hashes, r = 31: 0.22 ms against 0.20 ms), while rebuild work per added hash is a
   * quarter of what 1/16 costs (a sync that grows a list page by page spends most of its index time rebuilding).
   *
   * @default 0.25
   */
  maxDeltaFraction?: number;
  /**
   * Floor of the rebuild threshold, in entries, so small lists do not rebuild on every change.
   *
   * @default 4096
   */
  minDeltaEntries?: number;
}

/** The radius the automatic substring width is tuned for: the PDQ match threshold. */
const DESIGN_RADIUS = 31;
/** Bucket offsets may take at most this many bytes per entry when choosing a width (keeps ≤ 96 B/entry). */
const OFFSET_BYTES_PER_ENTRY = 24;
/**
 * Cost of probing one bucket relative to verifying one candidate. While a table's offsets fit in cache (≤ 1 MB,
 * up to 18-bit substrings) a probe is cheap: 0.5, fitted with `npm run bench:index -- --crossover` (radii 30–64,
 * 100k and 1M hashes), where one candidate check then costs a near-constant ~6 scan steps
 * ({@link SCAN_VS_CANDIDATE}). Wider tables cost a DRAM miss per probe: 6, fitted at 10M hashes where 21-bit
 * substrings measured 1.16× faster than 22-bit and 1.56× faster than 20-bit at r = 31.
 */
export function probeCost(bits: number): number {
  return bits <= CACHED_OFFSET_BITS ? 0.5 : 6;
}
/** Widest substrings whose per-table offsets (4 · 2^bits bytes) stay cache-resident. */
const CACHED_OFFSET_BITS = 18;


/** Probes a query at radius `r` costs with `bits`-bit substrings (the refined pigeonhole split). */
export function mihProbeCount(bits: number, r: number): number {
  const m = Math.floor(256 / bits);
  const k = Math.floor(r / m);
  const a = r - k * m;
  return (a + 1) * probeCount(bits, k) + (m - a - 1) * (k > 0 ? probeCount(bits, k - 1) : 0);
}

/** Expected work of one query (probes weighted by {@link probeCost}, plus candidates) on uniform data. */
export function mihQueryCost(bits: number, r: number, n: number): number {
  const probes = mihProbeCount(bits, r);
  const perBucket = bits === 32 ? 1 : n / 2 ** bits;
  return probes * probeCost(bits) + probes * perBucket;
}

/**
 * The substring width `'auto'` picks for a list of `n` hashes: the cheapest at r = 31 among 16–22 bits whose
 * bucket offsets stay within the memory budget: 16 bits up to ~600k hashes, 18 at 1–2M, 21 at 5–10M.
 */
export function chooseSubstringBits(n: number): number {
  let best = 16;
  let bestCost = mihQueryCost(16, DESIGN_RADIUS, n);
  for (let bits = 17; bits <= 22; bits++) {
    const offsetBytes = 4 * 2 ** bits * Math.floor(256 / bits);
    if (offsetBytes > OFFSET_BYTES_PER_ENTRY * n) continue;
    const cost = mihQueryCost(bits, DESIGN_RADIUS, n);
    if (cost < bestCost) {
      best = bits;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Sequential scan steps that cost as much as one candidate check (fitted; see {@link probeCost}). The planner of
 * {@link AutoIndex} scans when `mihQueryCost × 6 > slots`: above r ≈ 56–60 for 16-bit substrings.
 */
export const SCAN_VS_CANDIDATE = 6;

/** Validates {@link MihOptions} and fills in defaults. */
export function checkMihOptions(options: MihOptions): Required<MihOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  const { substringBits = 'auto', maxDeltaFraction = 1 / 4, minDeltaEntries = 4096 } = options;
  if (
    substringBits !== 'auto' &&
    substringBits !== 32 &&
    !(
      typeof substringBits === 'number' &&
      Number.isInteger(substringBits) &&
      substringBits >= MIN_DIRECT_BITS &&
      substringBits <= MAX_DIRECT_BITS
    )
  ) {
    throw new RangeError(
      `Expected \`substringBits\` to be 'auto', an integer from ${MIN_DIRECT_BITS} to ${MAX_DIRECT_BITS}, or 32, got ${describeValue(substringBits)}`,
    );
  }
  if (typeof maxDeltaFraction !== 'number' || !(maxDeltaFraction > 0 && maxDeltaFraction <= 1)) {
    throw new RangeError(
      `Expected \`maxDeltaFraction\` to be a number greater than 0 and at most 1, got ${describeValue(maxDeltaFraction)}`,
    );
  }
  if (typeof minDeltaEntries !== 'number' || !Number.isInteger(minDeltaEntries) || minDeltaEntries < 1) {
    throw new RangeError(`Expected \`minDeltaEntries\` to be a positive integer, got ${describeValue(minDeltaEntries)}`);
  }
  return { substringBits, maxDeltaFraction, minDeltaEntries };
}
