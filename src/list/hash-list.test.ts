import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hammingDistance, parseHex, toHex } from '../hash/hex.js';
import { type ListStore, openListStore } from '../sync/store.js';
import type { ListEntry, ListUpdate } from '../sync/types.js';
import type { HashIndex } from '../match/types.js';
import { HashList } from './hash-list.js';

let dir: string;
const stores: ListStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-list-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function store(name = 'list.db'): ListStore {
  const s = openListStore(path.join(dir, name));
  stores.push(s);
  return s;
}

/** A PDQ hash with a few bits set, so distances between generated entries vary from 0 to ~16. */
function pdqHex(bits: readonly number[]): string {
  const bytes = new Uint8Array(32);
  for (const b of bits) bytes[b >> 3]! ^= 1 << (b & 7);
  return toHex(bytes);
}

function image(source: string, id: string, bits: readonly number[] | null, md5Byte = 1): ListEntry {
  const md5 = md5Byte.toString(16).padStart(2, '0').repeat(16);
  return { source, id, kind: 'image', fingerprints: bits === null ? { md5 } : { pdq: pdqHex(bits), md5 } };
}

/**
 * A plug-in index as a user might write one: it keeps the very hash arrays it is given and reads additions by
 * plain iteration, so it sees whatever the list hands over, and would see a reused buffer change under it.
 */
function keepingIndex(): HashIndex {
  const held = new Map<number, Uint8Array>();
  const query = (hash: Uint8Array, r: number) =>
    [...held]
      .map(([id, h]) => ({ id, distance: hammingDistance(hash, h) }))
      .filter((m) => m.distance <= r)
      .sort((a, b) => a.distance - b.distance || a.id - b.id);
  return {
    name: 'keeping',
    get size() {
      return held.size;
    },
    add: (id, hash) => void held.set(id, hash),
    remove: (id) => held.delete(id),
    has: (id) => held.has(id),
    apply(batch) {
      for (const id of batch.remove ?? []) held.delete(id);
      for (const [id, hash] of batch.add ?? []) held.set(id, hash);
    },
    query,
    queryMany: (hashes, r) => hashes.map((h) => query(h, r)),
    memoryBytes: () => held.size * 40,
    clear: () => held.clear(),
  };
}

const bitsArb = fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 6 });
const updateArb = fc.record({
  source: fc.constantFrom('a', 'b'),
  key: fc.constantFrom('k0', 'k1', 'k2', 'k3', 'k4', 'k5'),
  // Some entries have no PDQ, so an update can take an entry's PDQ away without deleting the entry.
  entry: fc.option(fc.record({ bits: fc.option(bitsArb, { nil: null, freq: 4 }), md5: fc.integer({ min: 0, max: 3 }) }), { nil: null }),
});

describe('HashList', () => {
  it('answers PDQ and digest queries exactly like a scan of a last-write-wins model (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(updateArb, { maxLength: 10, size: 'max' }), { maxLength: 8, size: 'max' }), bitsArb, fc.integer({ min: 0, max: 12 }), fc.constantFrom('linear', 'auto', 'keeping') as fc.Arbitrary<'linear' | 'auto' | 'keeping'>, fc.array(fc.option(fc.nat({ max: 40 }), { nil: undefined }), { maxLength: 8 }), (pages, qBits, radius, index, reserves) => {
        const list = new HashList({ index: index === 'keeping' ? keepingIndex : index });
        const model = new Map<string, ListEntry>();
        for (const [p, page] of pages.entries()) {
          if (reserves[p] !== undefined) list.reserve(reserves[p]); // room ahead changes no answer
          for (const source of ['a', 'b']) {
            const updates: ListUpdate[] = page
              .filter((u) => u.source === source)
              .map((u) => ({ key: u.key, entry: u.entry && image(source, u.key, u.entry.bits, u.entry.md5) }));
            list.apply(source, updates);
            for (const u of updates) {
              if (u.entry) model.set(`${source}/${u.key}`, u.entry);
              else model.delete(`${source}/${u.key}`);
            }
          }
        }
        expect(list.size).toBe(model.size);
        const q = parseHex('pdq', pdqHex(qBits));
        const expected = [...model.values()]
          .filter((e) => e.fingerprints.pdq !== undefined)
          .map((e) => ({ entry: e, distance: hammingDistance(q, parseHex('pdq', e.fingerprints.pdq!)) }))
          .filter((h) => h.distance <= radius)
          .map((h) => `${h.entry.source}/${h.entry.id}@${h.distance}`)
          .sort();
        expect(list.queryPdq(q, radius).map((h) => `${h.entry.source}/${h.key}@${h.distance}`).sort()).toEqual(expected);
        for (let b = 0; b < 4; b++) {
          const md5 = b.toString(16).padStart(2, '0').repeat(16);
          const want = [...model.values()].filter((e) => e.fingerprints.md5 === md5).map((e) => `${e.source}/${e.id}`).sort();
          expect(list.lookupDigest('md5', md5.toUpperCase()).map((e) => `${e.source}/${e.id}`).sort()).toEqual(want);
        }
        for (const [at, entry] of model) expect(list.getEntry(entry.source, at.slice(2))).toEqual(entry);
        const stats = list.stats();
        expect(stats.entries).toBe(model.size);
        expect(stats.fingerprints.pdq).toBe([...model.values()].filter((e) => e.fingerprints.pdq !== undefined).length);
        expect(Object.values(stats.entriesByList).reduce((a, b) => a + b, 0)).toBe(model.size);
      }),
      { numRuns: 80 },
    );
  });

  it('holds entries without the hex its indexes hold, and gives them back exactly, however they came in', () => {
    const s = store();
    const hex = (byte: number, bytes: number) => byte.toString(16).padStart(2, '0').repeat(bytes);
    const entries: ListEntry[] = Array.from({ length: 300 }, (_, i) => ({
      source: 'ncmec',
      id: `e${i}`,
      kind: i % 5 === 0 ? 'video' : 'image',
      fingerprints: {
        md5: hex(i & 255, 16),
        ...(i % 2 ? { sha1: hex((i * 7) & 255, 20) } : {}),
        ...(i % 3 ? { sha256: hex((i * 11) & 255, 32) } : {}),
        // Uppercase hex is kept as sent (the indexes hold bytes, the entry its own spelling).
        ...(i % 4 ? { pdq: i % 8 === 1 ? pdqHex([i & 255]).toUpperCase() : pdqHex([i & 255]) } : {}),
        ...(i % 6 === 0 ? { pdna: 'opaque"\\value' } : {}),
      },
      member: { id: '7001', name: 'Take It Down' },
      metadata: { note: `md5 ${hex(i & 255, 16)}` },
    }));
    s.commit({ sourceId: 'ncmec', updates: entries.map((e) => ({ key: e.id, entry: e })), checkpoint: 1 });
    const json = entries.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + Buffer.byteLength(e.id), 0);
    const lists = { applied: new HashList(), loaded: HashList.load(s), refreshed: new HashList(), pluggedIn: new HashList({ index: keepingIndex }) };
    lists.applied.apply('ncmec', entries.map((e) => ({ key: e.id, entry: e })));
    lists.refreshed.refresh(s);
    lists.pluggedIn.apply('ncmec', entries.map((e) => ({ key: e.id, entry: e })));
    for (const [name, list] of Object.entries(lists)) {
      for (const e of entries) expect(list.getEntry('ncmec', e.id), name).toEqual(e);
      const hits = list.queryPdq(parseHex('pdq', pdqHex([1])), 0);
      expect(hits.map((h) => h.entry), name).toEqual(entries.filter((e) => e.fingerprints.pdq?.toLowerCase() === pdqHex([1])));
    }
    // MD5 (32 hex), SHA-1 (40), SHA-256 (64) and PDQ (64) each give back 2 bytes per byte, plus their quotes.
    const lowerPdq = entries.filter((e) => e.fingerprints.pdq !== undefined && e.fingerprints.pdq === e.fingerprints.pdq.toLowerCase()).length;
    const digests = entries.reduce((n, e) => n + 33 + (e.fingerprints.sha1 ? 41 : 0) + (e.fingerprints.sha256 ? 65 : 0), 0);
    for (const name of ['applied', 'loaded', 'refreshed'] as const) expect(lists[name].heldTextBytes, name).toBeLessThanOrEqual(json - digests - 65 * lowerPdq);
    // A plug-in index without hashOf: the PDQ hex stays in the JSON.
    expect(lists.pluggedIn.heldTextBytes).toBe(json - digests);
  });

  it('loads stored JSON that spells a fingerprint with escapes or puts metadata first exactly', () => {
    const s = store();
    const md5 = 'ab'.repeat(16);
    const entries: ListEntry[] = [
      { source: 'ncmec', id: 'escaped', kind: 'image', fingerprints: { md5, pdq: pdqHex([3]) } },
      { metadata: { fingerprints: { md5: 'cd'.repeat(16) } }, source: 'ncmec', id: 'nested', kind: 'image', fingerprints: { md5 } } as unknown as ListEntry,
    ];
    s.commit({ sourceId: 'ncmec', updates: entries.map((e) => ({ key: e.id, entry: e })), checkpoint: 1 });
    // Rewrite the stored text by hand: the same entry, its MD5 spelled with JSON escapes (\u0061 is "a").
    const raw = new Database(s.path);
    raw.prepare("UPDATE entries SET entry = replace(entry, '\"md5\":\"ab', '\"md5\":\"\\u0061b') WHERE key = 'escaped'").run();
    raw.close();
    const list = HashList.load(s);
    for (const e of entries) expect(list.getEntry('ncmec', e.id)).toEqual(e);
    expect(list.lookupDigest('md5', md5).map((e) => e.id).sort()).toEqual(['escaped', 'nested']);
  });

  it('reserve(n) sets room aside for n entries and changes nothing else', () => {
    const page = (from: number, n: number): ListUpdate[] =>
      Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, entry: { ...image('a', `k${from + i}`, [(from + i) % 256]), fingerprints: { pdq: pdqHex([(from + i) % 256, 7]), md5: (from + i).toString(16).padStart(32, '0'), sha1: 'ab'.repeat(20) } } }));
    const [plain, roomy] = [new HashList(), new HashList()];
    for (const list of [plain, roomy]) list.apply('a', page(0, 50));
    roomy.reserve(20_000);
    // The entry table and every index that holds something: 24 B a handle and the digests' and hashes' room at least.
    expect(roomy.stats().memoryBytes - plain.stats().memoryBytes).toBeGreaterThan(20_000 * (24 + 16 + 20 + 32));
    for (const list of [plain, roomy]) for (let from = 50; from < 20_000; from += 2000) list.apply('a', page(from, 2000));
    const { memoryBytes: _a, index: { memoryBytes: _b, ...plainIndex }, ...plainStats } = plain.stats();
    const { memoryBytes: _c, index: { memoryBytes: _d, ...roomyIndex }, ...roomyStats } = roomy.stats();
    expect(roomyStats).toEqual(plainStats);
    expect(roomyIndex).toEqual(plainIndex);
    expect([...roomy.entries()]).toEqual([...plain.entries()]);
    const q = parseHex('pdq', pdqHex([3, 7]));
    expect(roomy.queryPdq(q, 2)).toEqual(plain.queryPdq(q, 2));
    expect(roomy.lookupDigest('sha1', 'ab'.repeat(20)).length).toBe(20_050);
    expect(() => roomy.reserve(-1)).toThrow(new RangeError('Expected `entries` to be an integer from 0 to 268435456, got -1'));
    expect(() => roomy.reserve(2 ** 28 + 1)).toThrow(RangeError);
    expect(() => roomy.reserve(Number.NaN)).toThrow(RangeError);
    expect(() => roomy.reserve('5' as never)).toThrow(new TypeError('Expected `entries` to be an integer from 0 to 268435456, got string'));
  });

  it('applies a page with a malformed update not at all', () => {
    const list = new HashList();
    list.apply('a', [{ key: 'k1', entry: image('a', 'k1', [1]) }]);
    const bad = { ...image('a', 'k3', [3]), fingerprints: { pdq: 'zz' } };
    expect(() =>
      list.apply('a', [
        { key: 'k1', entry: null },
        { key: 'k2', entry: image('a', 'k2', [2]) },
        { key: 'k3', entry: bad },
      ]),
    ).toThrow(/pdq hash of 64 hex characters/);
    expect(list.version).toBe(1);
    expect([...list.entries()].map((i) => i.key)).toEqual(['k1']);
    expect(list.queryPdq(pdqHex([2]), 0)).toEqual([]);
  });

  it('moves the version by one per changing apply, or to the version given, never backwards', () => {
    const list = new HashList();
    expect(list.apply('a', []).version).toBe(0);
    expect(list.apply('a', [{ key: 'x', entry: null }]).version).toBe(0);
    expect(list.apply('a', [{ key: 'x', entry: image('a', 'x', []) }])).toEqual({ version: 1, added: 1, updated: 0, deleted: 0 });
    expect(list.apply('a', [{ key: 'x', entry: image('a', 'x', [5]) }], { version: 7 })).toEqual({ version: 7, added: 0, updated: 1, deleted: 0 });
    expect(() => list.apply('a', [], { version: 6 })).toThrow(new RangeError('Expected `version` to be an integer >= the current version 7, got 6'));
  });

  it('hands out frozen entries and keeps updated digests and PDQs in step', () => {
    const list = new HashList();
    list.apply('a', [{ key: 'x', entry: image('a', 'x', [1], 1) }]);
    const [hit] = list.queryPdq(pdqHex([1]), 0);
    expect(Object.isFrozen(hit!.entry) && Object.isFrozen(hit!.entry.fingerprints)).toBe(true);
    list.apply('a', [{ key: 'x', entry: { source: 'a', id: 'x', kind: 'video', fingerprints: { sha1: 'ab'.repeat(20) } } }]);
    expect(list.queryPdq(pdqHex([1]), 256)).toEqual([]);
    expect(list.lookupDigest('md5', '01'.repeat(16))).toEqual([]);
    expect(list.lookupDigest('sha1', 'AB'.repeat(20)).map((e) => e.id)).toEqual(['x']);
    expect([...list.videoEntries()].map((e) => e.id)).toEqual(['x']);
    expect(list.stats().bySource).toEqual({ a: { image: 0, video: 1 } });
  });

  it("keeps its own copy of every entry: the caller's objects are neither frozen nor shared", () => {
    const list = new HashList();
    const entry: ListEntry = { ...image('a', 'x', [1], 1), member: { id: '7', name: 'M' }, metadata: { note: 'n' } };
    list.apply('a', [{ key: 'x', entry }]);
    expect(Object.isFrozen(entry)).toBe(false);
    entry.fingerprints.md5 = 'ff'.repeat(16);
    entry.member!.name = 'changed';
    const held = list.getEntry('a', 'x')!;
    expect(held).toEqual({ ...image('a', 'x', [1], 1), member: { id: '7', name: 'M' }, metadata: { note: 'n' } });
    expect(Object.isFrozen(held.member) && Object.isFrozen(held.metadata)).toBe(true);
    expect(list.lookupDigest('md5', '01'.repeat(16)).map((e) => e.id)).toEqual(['x']);
    expect(list.lookupDigest('md5', 'ff'.repeat(16))).toEqual([]);
  });

  it('hands out the same vPDQ entry object until the entry changes (video matching caches per object)', () => {
    const list = new HashList();
    const video = (quality: number): ListEntry => ({ source: 'v', id: 'a', kind: 'video', fingerprints: { vpdq: [{ pdq: pdqHex([1]), quality, timestamp: 0 }] } });
    list.apply('v', [{ key: 'a', entry: video(90) }]);
    const [first] = [...list.vpdqEntries()];
    expect([...list.vpdqEntries()][0]).toBe(first);
    expect(list.getEntry('v', 'a')).toBe(first);
    expect(Object.isFrozen(first!.fingerprints.vpdq![0])).toBe(true);
    list.apply('v', [{ key: 'a', entry: video(80) }]);
    const [second] = [...list.vpdqEntries()];
    expect(second).not.toBe(first);
    expect(second!.fingerprints.vpdq![0]!.quality).toBe(80);
  });

  it('tracks vPDQ entries', () => {
    const list = new HashList();
    const vpdq = [{ pdq: pdqHex([1]), quality: 90, timestamp: 0 }];
    list.apply('v', [{ key: 'a', entry: { source: 'v', id: 'a', kind: 'video', fingerprints: { vpdq } } }]);
    expect([...list.vpdqEntries()].map((e) => e.id)).toEqual(['a']);
    list.apply('v', [{ key: 'a', entry: null }]);
    expect([...list.vpdqEntries()]).toEqual([]);
    // Mixed in a page with other entries, each vPDQ entry is its own.
    const video = (id: string, bit: number): ListEntry => ({ source: 'v', id, kind: 'video', fingerprints: { vpdq: [{ pdq: pdqHex([bit]), quality: 80, timestamp: bit }] } });
    list.apply('v', [
      { key: 'i', entry: image('v', 'i', [3]) },
      { key: 'b', entry: video('b', 5) },
      { key: 'c', entry: video('c', 7) },
    ]);
    expect([...list.vpdqEntries()].sort((x, y) => x.id.localeCompare(y.id))).toEqual([video('b', 5), video('c', 7)]);
  });

  it('validates options and arguments', () => {
    expect(() => new HashList({ index: 'nope' as never })).toThrow(TypeError);
    expect(() => new HashList().apply('', [])).toThrow(new TypeError('Expected `sourceId` to be a non-empty string of well-formed Unicode, got ""'));
    expect(() => new HashList().apply('a\ud800', [])).toThrow(/well-formed Unicode/);
    // A lone surrogate would not survive UTF-8 (the store's encoding): two such keys would be one key there.
    const list = new HashList();
    const entry = image('a', 'x', [1]);
    expect(() => list.apply('a', [{ key: 'ok', entry }, { key: 'k\udc00', entry }])).toThrow(new TypeError('Expected `updates[1].key` to be well-formed Unicode (no lone surrogates)'));
    expect(list.size).toBe(0);
    expect(() => new HashList().lookupDigest('md5', 'abc')).toThrow(/md5 hash of 32 hex characters/);
  });
});

describe('HashList with a store', () => {
  it('loads a store, follows its commits, and catches up with another writer incrementally or by reload', () => {
    const writer = store();
    writer.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: image('a', 'k1', [1]) }, { key: 'k2', entry: image('a', 'k2', [2]) }], checkpoint: 1 });
    const list = HashList.load(writer);
    expect(list.version).toBe(1);
    expect(list.size).toBe(2);

    const commit = writer.commit({ sourceId: 'a', updates: [{ key: 'k1', entry: null }], checkpoint: 2 });
    list.applyCommit('a', commit, writer);
    expect(list.version).toBe(2);
    expect(list.getEntry('a', 'k1')).toBeUndefined();

    const other = openListStore(writer.path); // a second process's connection
    stores.push(other);
    other.commit({ sourceId: 'b', updates: [{ key: 'z', entry: image('b', 'z', [9]) }], checkpoint: 1 });
    const mine = writer.commit({ sourceId: 'a', updates: [{ key: 'k3', entry: image('a', 'k3', [3]) }], checkpoint: 3 });
    list.applyCommit('a', mine, writer); // list is at 2, commit's previous is 3: catches up instead
    expect(list.version).toBe(4);
    expect([...list.entries()].map((i) => `${i.entry.source}/${i.key}`).sort()).toEqual(['a/k2', 'a/k3', 'b/z']);

    expect(list.refresh(writer)).toBe(false);
    other.commit({ sourceId: 'b', updates: [{ key: 'z', entry: null }], checkpoint: 2 });
    other.pruneTombstones(new Date(Date.now() + 1000));
    expect(list.refresh(writer)).toBe(true); // tombstone gone: full reload
    expect(list.version).toBe(5);
    expect([...list.entries()].map((i) => `${i.entry.source}/${i.key}`).sort()).toEqual(['a/k2', 'a/k3']);
    expect(list.queryPdq(pdqHex([9]), 0)).toEqual([]);
  });
});
