/**
 * A minimal in-memory consumer of delta pages for source tests: applies each page atomically (updates in order,
 * last write wins, `replaceAll` deletes unseen keys) and keeps the checkpoint, like the real store does.
 * It is an oracle for the sources' contract, not the store.
 *
 * @module
 */
import type { DeltaPage, HashListSource, ListEntry, SkippedRecord } from '../../src/sync/types.js';

export class PageApplier<C> {
  readonly entries = new Map<string, ListEntry>();
  readonly skipped: SkippedRecord[] = [];
  checkpoint: C | null = null;
  pages = 0;
  /** Checkpoints in commit order, to check they never rewind. */
  readonly checkpoints: C[] = [];
  #seenThisFetch = new Set<string>();

  apply(page: DeltaPage<C>): void {
    for (const { key, entry } of page.updates) {
      this.#seenThisFetch.add(key);
      if (entry) this.entries.set(key, entry);
      else this.entries.delete(key);
    }
    if (page.replaceAll) {
      for (const key of [...this.entries.keys()]) if (!this.#seenThisFetch.has(key)) this.entries.delete(key);
    }
    this.skipped.push(...page.skipped);
    this.checkpoint = page.checkpoint;
    this.checkpoints.push(page.checkpoint);
    this.pages++;
  }

  /** Runs one fetch from the stored checkpoint, committing each page; rethrows the fetch's error. */
  async sync(source: HashListSource<C>, options: { signal?: AbortSignal; maxPages?: number } = {}): Promise<number> {
    this.#seenThisFetch = new Set();
    let pages = 0;
    for await (const page of source.fetch(this.checkpoint, options.signal ? { signal: options.signal } : {})) {
      this.apply(page);
      if (++pages >= (options.maxPages ?? Infinity)) break;
    }
    return pages;
  }

  /** The entries without `metadata`, for comparison with a mock server's `currentList()`. */
  withoutMetadata(): Map<string, ListEntry> {
    const out = new Map<string, ListEntry>();
    for (const [key, { metadata: _metadata, ...rest }] of this.entries) out.set(key, rest);
    return out;
  }
}
