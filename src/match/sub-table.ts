/**
 * One table of the multi-index hash: buckets in CSR form (`offsets`, and `entries` = slots sorted by bucket) plus
 * a chained *delta* for slots added since the table was last built.
 *
 * @internal
 * @module
 */
import { grownTo, nextCapacity } from './packed.js';

/** Marks an empty delta bucket and the end of a delta chain. */
export const NONE = -1;

/** One substring table: CSR buckets plus the chained delta. */
export class SubTable {
  bucketBits: number;
  offsets: Uint32Array;
  entries = new Int32Array(0);
  deltaHead: Int32Array | null = null;
  deltaNext = new Int32Array(0);
  deltaSlot = new Int32Array(0);
  deltaCount = 0;
  /** Adds plus removes since the last rebuild. */
  dirty = 0;
  rebuiltThisRound = false;

  constructor(bucketBits: number) {
    this.bucketBits = bucketBits;
    this.offsets = new Uint32Array((1 << bucketBits) + 1);
  }

  addDelta(bucket: number, slot: number): void {
    if (this.deltaHead === null) this.deltaHead = new Int32Array(1 << this.bucketBits).fill(NONE);
    const e = this.deltaCount++;
    if (e === this.deltaSlot.length) {
      const cap = nextCapacity(this.deltaSlot.length, e + 1);
      this.deltaSlot = grownTo(this.deltaSlot, cap);
      this.deltaNext = grownTo(this.deltaNext, cap);
    }
    this.deltaSlot[e] = slot;
    this.deltaNext[e] = this.deltaHead[bucket]!;
    this.deltaHead[bucket] = e;
    this.dirty++;
  }

  memoryBytes(): number {
    return (
      this.offsets.byteLength +
      this.entries.byteLength +
      (this.deltaHead?.byteLength ?? 0) +
      this.deltaNext.byteLength +
      this.deltaSlot.byteLength
    );
  }
}
