/**
 * Builds the scanner's list side from the resolved options.
 *
 * @module
 * @internal
 */
import { StoreError } from '../errors.js';
import type { ListBackend, ScannerBackend } from './backend.js';
import { memoryPersistence } from './allowlist.js';
import { MemoryList } from './memory-list.js';
import type { ResolvedList, ResolvedScannerOptions } from './options.js';

/** What one list's sync did. */
export interface ListSyncSummary {
  list: string;
  pages: number;
  added: number;
  updated: number;
  deleted: number;
  skipped: number;
}

/** What `scanner.sync()` resolves to with the in-memory list. */
export interface MemorySyncReport {
  lists: ListSyncSummary[];
  /** The list version after the sync. */
  listVersion: number;
  durationMs: number;
}

/** Opens the list side: today the in-memory list (`store: ':memory:'`). */
export async function openBackend(o: ResolvedScannerOptions): Promise<ScannerBackend> {
  if (o.store !== ':memory:') {
    throw new StoreError('STORE_OPEN_FAILED', `Cannot open store ${JSON.stringify(o.store)}: only ':memory:' is available`, {
      details: { store: o.store },
    });
  }
  return memoryBackend(o);
}

function memoryBackend(o: ResolvedScannerOptions): ScannerBackend {
  const list = new MemoryList(o.index);
  const checkpoints = new Map<string, unknown>();
  let closed = false;
  return {
    list: list as ListBackend,
    falsePositives: memoryPersistence(),
    async sync({ signal }) {
      const start = performance.now();
      const lists: ListSyncSummary[] = [];
      let failure: unknown;
      for (const l of o.lists) {
        try {
          lists.push(await syncOne(list, l, checkpoints, signal));
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
      return { lists, listVersion: list.version, durationMs: performance.now() - start } satisfies MemorySyncReport;
    },
    refresh() {},
    stats: () => list.stats(),
    close() {
      closed = true;
      void closed;
    },
  };
}

async function syncOne(
  list: MemoryList,
  l: ResolvedList,
  checkpoints: Map<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<ListSyncSummary> {
  const summary: ListSyncSummary = { list: l.id, pages: 0, added: 0, updated: 0, deleted: 0, skipped: 0 };
  const seen = new Set<string>();
  for await (const page of l.source.fetch(checkpoints.get(l.id) ?? null, { signal })) {
    const counts = list.applyPage(l.id, page, seen);
    checkpoints.set(l.id, page.checkpoint);
    summary.pages++;
    summary.added += counts.added;
    summary.updated += counts.updated;
    summary.deleted += counts.deleted;
    summary.skipped += page.skipped.length;
  }
  return summary;
}
