/**
 * Delta pages that arrive already prepared and packed ({@link ChangeBatch}), and how `sync()` asks a built-in
 * source for them. Both travel under symbols, so a page still has the public {@link DeltaPage} shape (its `updates`
 * array is empty) and a source's public `fetch()` options are unchanged.
 *
 * @internal
 * @module
 */
import type { ChangeBatch } from '../list/change-batch.js';
import type { DeltaPage, FetchOptions, HashListSource, SkippedRecord } from './types.js';

/** A page's updates prepared (as `prepareUpdates` would) and packed. */
export interface PackedPage {
  batch: ChangeBatch;
  /** The source's skipped records and the ones preparation skipped. */
  skipped: SkippedRecord[];
  checkpoint: unknown;
  replaceAll?: boolean;
  remainingHint?: number;
}

const PACKED = Symbol('tidscan.packedPage');
const PACK_PAGES = Symbol('tidscan.packPages');

/** How `sync()` packs: with the fingerprint slab (for an in-memory list) or without. */
export interface PackRequest {
  fingerprints: boolean;
}

/** The packed form of `page`, when it arrived packed. */
export function packedPageOf(page: DeltaPage): PackedPage | undefined {
  return (page as unknown as Record<symbol, PackedPage | undefined>)[PACKED];
}

/** A public delta page (empty `updates`) that carries `packed`. */
export function packedDeltaPage(packed: PackedPage): DeltaPage {
  const delta: DeltaPage = {
    updates: [],
    skipped: packed.skipped,
    checkpoint: packed.checkpoint,
    ...(packed.replaceAll ? { replaceAll: true } : {}),
    ...(packed.remainingHint !== undefined ? { remainingHint: packed.remainingHint } : {}),
  };
  Object.defineProperty(delta, PACKED, { value: packed });
  return delta;
}

/**
 * The `fetch` functions that honour a pack request. A request goes only to these, never to any source that merely
 * passes its options on: a wrapper that forwarded the request to a built-in source and then rebuilt the pages from
 * their (empty) `updates` would drop every entry while its checkpoints advanced.
 */
const PACKING_FETCHES = new WeakSet<object>();

/** Marks `fetch` as one that yields packed pages when asked (see {@link withPackRequest}). */
export function packsPages<F extends object>(fetch: F): F {
  PACKING_FETCHES.add(fetch);
  return fetch;
}

/**
 * Fetch options for `source`: with a pack request when its own `fetch` is one that packs ({@link packsPages}),
 * otherwise `options` unchanged.
 */
export function withPackRequest(source: Pick<HashListSource, 'fetch'>, options: FetchOptions, request: PackRequest): FetchOptions {
  if (!PACKING_FETCHES.has(source.fetch)) return options;
  return Object.defineProperty({ ...options }, PACK_PAGES, { value: request });
}

/** The pack request in a source's fetch options, if any. */
export function packRequestOf(options: FetchOptions | undefined): PackRequest | undefined {
  return options === undefined ? undefined : (options as Record<symbol, PackRequest | undefined>)[PACK_PAGES];
}
