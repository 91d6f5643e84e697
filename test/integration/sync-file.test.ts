/**
 * The list file source through sync() into the real store: a snapshot's last page (`replaceAll`) deletes what the
 * file no longer lists, in the same transaction; an unusable file deletes nothing; an unchanged file is free.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashList } from '../../src/list/hash-list.js';
import { createFileSource } from '../../src/sync/file-source.js';
import { type ListStore, openListStore } from '../../src/sync/store.js';
import { sync } from '../../src/sync/syncer.js';

let dir: string;
let store: ListStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidscan-sync-file-'));
  store = openListStore(path.join(dir, 'list.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (n: number) => n.toString(16).padStart(32, '0');
const line = (id: string, n: number, extra = '') => `{"id":"${id}","kind":"image","fingerprints":{"md5":"${md5(n)}"}${extra}}`;

function ids(): string[] {
  return [...store.iterateEntries()].map((e) => `${e.key}:${e.entry.fingerprints.md5!.replace(/^0+/, '')}`);
}

describe('sync() with the list file source', () => {
  it('follows a changing file exactly, across pages, and keeps the list in step', async () => {
    const file = path.join(dir, 'list.ndjson');
    const source = createFileSource({ id: 'local', location: file, pageSize: 2 });
    const list = new HashList();
    writeFileSync(file, ['a', 'b', 'c', 'd', 'e'].map((id, i) => line(id, i + 1)).join('\n'));
    const first = await sync({ store, list, sources: [source], commitEvery: { updates: 1 } });
    expect(first.sources[0]).toMatchObject({ ok: true, added: 5, deleted: 0 });
    expect(ids()).toEqual(['a:1', 'b:2', 'c:3', 'd:4', 'e:5']);

    writeFileSync(file, [line('b', 2), line('d', 40), line('f', 6), line('x', 0).replace('"md5"', '"sha1"')].join('\n'));
    const second = await sync({ store, list, sources: [source], commitEvery: { updates: 1 } });
    expect(second.sources[0]).toMatchObject({ ok: true, added: 1, updated: 1, unchanged: 1, deleted: 3 });
    expect(second.sources[0]!.skipped).toHaveLength(1);
    expect(ids()).toEqual(['b:2', 'd:28', 'f:6']);
    expect([...list.entries()].map((i) => i.key).sort()).toEqual(['b', 'd', 'f']);
    expect(list.version).toBe(store.version);

    const versionBefore = store.version;
    const third = await sync({ store, list, sources: [source] });
    expect(third.sources[0]).toMatchObject({ ok: true, pages: 0 });
    expect(store.version).toBe(versionBefore);
  });

  it('deletes nothing when the file turns out unusable half-way', async () => {
    const file = path.join(dir, 'list.json');
    const source = createFileSource({ id: 'local', location: file });
    writeFileSync(file, JSON.stringify([{ id: 'a', kind: 'image', fingerprints: { md5: md5(1) } }, { id: 'b', kind: 'image', fingerprints: { md5: md5(2) } }]));
    expect((await sync({ store, sources: [source] })).ok).toBe(true);
    writeFileSync(file, '[{"id":"a","kind":"image","fingerprints":{"md5":"' + md5(1) + '"}}, {"id":');
    const broken = await sync({ store, sources: [source] });
    expect(broken).toMatchObject({ ok: false, error: { code: 'SYNC_MALFORMED_RESPONSE' } });
    expect(ids()).toEqual(['a:1', 'b:2']);
  });
});
