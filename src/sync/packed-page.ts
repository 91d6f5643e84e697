/**
 * Delta pages that arrive already prepared and packed ({@link ChangeBatch}), and how `sync()` asks a built-in
 * source for them. Both travel under symbols, so a page still has the public {@link DeltaPage} shape (its `updates`
 * array is empty) and a source's public `fetch()` options are unchanged.
 *
 * @internal
 * @module
 */
import type { ChangeBatch } from '../list/change-batch.js';
import type { DeltaPage, FetchOptions, SkippedRecord } from './types.js';

/** A page's updates prepared (as `prepareUpdates` would) and packed. */
export interface PackedPage {
  batch: ChangeBatch;
  /** The source's skipped records and the ones preparation skipped. */
  skipped: SkippedRecord[];
  checkpoint: unknown;
  replaceAll?: boolean;
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
  const delta: DeltaPage = { updates: [], skipped: packed.skipped, checkpoint: packed.checkpoint, ...(packed.replaceAll ? { replaceAll: true } : {}) };
  Object.defineProperty(delta, PACKED, { value: packed });
  return delta;
}

/** Fetch options that ask a source able to for packed pages. Sources that cannot ignore the request. */
export function withPackRequest(options: FetchOptions, request: PackRequest): FetchOptions {
  return Object.defineProperty({ ...options }, PACK_PAGES, { value: request });
}

/** The pack request in a source's fetch options, if any. */
export function packRequestOf(options: FetchOptions | undefined): PackRequest | undefined {
  return options === undefined ? undefined : (options as Record<symbol, PackRequest | undefined>)[PACK_PAGES];
}
