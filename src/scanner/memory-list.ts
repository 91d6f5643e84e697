/**
 * A minimal in-memory list for the scanner: entries by key, a Hamming index over their PDQ hashes and digest maps,
 * updated one delta page at a time. It is the adapter the facade uses while the durable store and list modules are
 * not available; it holds nothing on disk.
 *
 * @module
 * @internal
 */
import { parseHex } from '../hash/hex.js';
import { createHashIndex } from '../match/create.js';
import { DigestIndex } from '../match/digest-index.js';
import type { HashIndex } from '../match/types.js';
import type { DeltaPage, ListEntry } from '../sync/types.js';
import type { ListBackend, ScannerListStats } from './backend.js';
import type { DigestKind, PdqHit } from './judge.js';

interface Slot {
  entry: ListEntry;
  id: number;
}

/** What applying one page changed. */
export interface PageCounts {
  added: number;
  updated: number;
  deleted: number;
}

/** Entries of every source in memory, indexed for the judge. */
export class MemoryList implements ListBackend {
  readonly #slots = new Map<string, Slot>();
  readonly #byId: Array<ListEntry | undefined> = [];
  readonly #freeIds: number[] = [];
  readonly #pdq: HashIndex;
  readonly #digests: Record<DigestKind, DigestIndex> = {
    md5: new DigestIndex(16),
    sha1: new DigestIndex(20),
    sha256: new DigestIndex(32),
  };
  readonly #vpdq = new Set<number>();
  #version = 0;

  /** @param indexName - the Hamming index to build (`createHashIndex` name); its default when undefined. */
  constructor(indexName?: string) {
    this.#pdq = indexName === undefined ? createHashIndex() : createHashIndex(indexName as never);
  }

  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#slots.size;
  }

  queryPdq(hash: Uint8Array, maxDistance: number): PdqHit[] {
    return this.#pdq.query(hash, maxDistance).map(({ id, distance }) => ({ entry: this.#byId[id]!, distance }));
  }

  lookupDigest(kind: DigestKind, hex: string): ListEntry[] {
    return this.#digests[kind].lookup(parseHex(kind, hex)).map((id) => this.#byId[id]!);
  }

  *vpdqEntries(): Iterable<ListEntry> {
    for (const id of this.#vpdq) yield this.#byId[id]!;
  }

  /**
   * Applies one page of one source as a single step (validated first, so a bad page changes nothing), then bumps
   * the version. `replaceAll` pages also drop the source's keys the snapshot did not mention (`seen`).
   */
  applyPage(sourceId: string, page: DeltaPage, seen?: Set<string>): PageCounts {
    const counts: PageCounts = { added: 0, updated: 0, deleted: 0 };
    const prepared = page.updates.map((u) => ({ key: `${sourceId}\u0000${u.key}`, entry: u.entry, packed: pack(u.entry) }));
    for (const { key, entry, packed } of prepared) {
      seen?.add(key);
      const prior = this.#slots.get(key);
      if (entry === null) {
        if (prior) {
          this.#drop(key, prior);
          counts.deleted++;
        }
        continue;
      }
      if (prior) this.#drop(key, prior);
      this.#put(key, entry, packed);
      if (prior) counts.updated++;
      else counts.added++;
    }
    if (page.replaceAll && seen) {
      for (const [key, slot] of [...this.#slots]) {
        if (slot.entry.source === sourceId && !seen.has(key)) {
          this.#drop(key, slot);
          counts.deleted++;
        }
      }
    }
    if (counts.added + counts.updated + counts.deleted > 0) this.#version++;
    return counts;
  }

  stats(): ScannerListStats {
    const entriesByList: Record<string, number> = {};
    for (const { entry } of this.#slots.values()) entriesByList[entry.source] = (entriesByList[entry.source] ?? 0) + 1;
    return {
      entriesByList,
      entries: this.#slots.size,
      index: { name: this.#pdq.name, size: this.#pdq.size, memoryBytes: this.#pdq.memoryBytes() },
    };
  }

  #put(key: string, entry: ListEntry, packed: Packed): void {
    const id = this.#freeIds.pop() ?? this.#byId.length;
    this.#byId[id] = entry;
    this.#slots.set(key, { entry, id });
    if (packed.pdq) this.#pdq.add(id, packed.pdq);
    for (const kind of ['md5', 'sha1', 'sha256'] as const) {
      const digest = packed[kind];
      if (digest) this.#digests[kind].add(id, digest);
    }
    if (entry.fingerprints.vpdq?.length) this.#vpdq.add(id);
  }

  #drop(key: string, slot: Slot): void {
    this.#slots.delete(key);
    this.#pdq.remove(slot.id);
    for (const index of Object.values(this.#digests)) index.remove(slot.id);
    this.#vpdq.delete(slot.id);
    this.#byId[slot.id] = undefined;
    this.#freeIds.push(slot.id);
  }
}

interface Packed {
  pdq?: Uint8Array;
  md5?: Uint8Array;
  sha1?: Uint8Array;
  sha256?: Uint8Array;
}

/** Parses an entry's hashes up front, so a malformed one throws before anything is applied. */
function pack(entry: ListEntry | null): Packed {
  const out: Packed = {};
  if (!entry) return out;
  for (const kind of ['pdq', 'md5', 'sha1', 'sha256'] as const) {
    const hex = entry.fingerprints[kind];
    if (typeof hex === 'string') out[kind] = parseHex(kind, hex);
  }
  return out;
}
