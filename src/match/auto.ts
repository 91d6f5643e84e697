/**
 * `auto`: the multi-index hash plus a per-query planner that scans the same slab instead of probing when a scan
 * is cheaper: small lists, and radii where the probe enumeration explodes (above ~50 bits at 1M hashes). One
 * copy of the hashes serves both paths.
 *
 * @module
 */
import { MihIndex, type MihOptions, kAutoMode } from './mih.js';

/**
 * The default index: {@link MihIndex} whose queries fall back to a linear scan when the cost model (calibrated
 * by `npm run bench:index`) says probing would cost more.
 *
 * @example
 * ```ts
 * const index = new AutoIndex();           // same as createHashIndex() or createHashIndex('auto')
 * index.query(hash, 31);                   // multi-index probe
 * index.query(hash, 64);                   // planner picks a scan
 * ```
 */
export class AutoIndex extends MihIndex {
  /** @throws {RangeError | TypeError} for invalid options (see {@link MihOptions}). */
  constructor(options: MihOptions = {}) {
    super(options, kAutoMode);
  }
}
