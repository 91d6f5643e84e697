/**
 * Builds the scanner's list side from the resolved options: the durable store (SQLite, or `:memory:`), the
 * in-memory {@link HashList} loaded from it, and `sync()` committing into both.
 *
 * @module
 * @internal
 */
import { HashList } from '../list/hash-list.js';
import type { IndexName } from '../match/create.js';
import { openListStore } from '../sync/store.js';
import { sync } from '../sync/syncer.js';
import type { ScannerBackend } from './backend.js';
import type { ResolvedScannerOptions } from './options.js';

/**
 * Opens the store and loads the list.
 *
 * @throws {StoreError} when the store cannot be opened or read.
 */
export async function openBackend(o: ResolvedScannerOptions): Promise<ScannerBackend> {
  const store = openListStore(o.store);
  let list: HashList;
  try {
    list = HashList.load(store, o.index === undefined ? {} : { index: o.index as IndexName });
  } catch (err) {
    store.close();
    throw err;
  }
  const sources = o.lists.map((l) => l.source);
  return {
    list,
    falsePositives: {
      add: (record) => store.addFalsePositive(record),
      remove: (target) => store.removeFalsePositive(target),
      list: () => store.listFalsePositives(),
    },
    sync: ({ signal }) => sync({ store, sources, list, sourceThread: o.sourceThread, ...(signal ? { signal } : {}) }),
    refresh: () => void list.refresh(store),
    stats: () => list.stats(),
    close: () => store.close(),
  };
}
