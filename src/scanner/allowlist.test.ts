import { describe, expect, it } from 'vitest';
import { Allowlist, type FalsePositivePersistence, normalizeTarget } from './allowlist.js';
import type { FalsePositive, FalsePositiveTarget } from './types.js';

/** The persistence port over a Map (the store's own tests cover the SQLite one). */
function memoryPersistence(): FalsePositivePersistence {
  const records = new Map<string, FalsePositive>();
  const key = (t: FalsePositiveTarget): string => ('sha256' in t ? `c:${t.sha256}` : `e:${t.list}\u0000${t.entryId}`);
  return {
    add: (record) => void records.set(key(record), record),
    remove: (target) => records.delete(key(target)),
    list: () => [...records.values()],
  };
}

const SHA = 'AB'.repeat(32);

describe('Allowlist', () => {
  it('records entry and content false positives, looks them up, and persists them', () => {
    const persistence = memoryPersistence();
    const a = new Allowlist(persistence);
    expect(a.version).toBe(0);
    const entry = a.add({ list: 'ncmec', entryId: 'tid-1' }, { note: 'ticket 42' });
    expect(entry).toMatchObject({ list: 'ncmec', entryId: 'tid-1', note: 'ticket 42' });
    expect(Number.isNaN(Date.parse(entry.createdAt))).toBe(false);
    a.add({ sha256: SHA });
    expect(a.version).toBe(2);
    expect(a.forEntry('ncmec', 'tid-1')).toMatchObject({ entryId: 'tid-1' });
    expect(a.forEntry('other', 'tid-1')).toBeUndefined();
    expect(a.forContent(SHA.toLowerCase())).toMatchObject({ sha256: SHA.toLowerCase() });

    const reloaded = new Allowlist(persistence);
    expect(reloaded.list()).toEqual(a.list());
    expect(reloaded.size).toBe(2);

    expect(a.remove({ sha256: SHA })).toBe(true);
    expect(a.remove({ sha256: SHA })).toBe(false);
    expect(a.version).toBe(3);
    expect(new Allowlist(persistence).list().map((r) => 'entryId' in r && r.entryId)).toEqual(['tid-1']);
  });

  it('replaces the record of a target that is added again', () => {
    const a = new Allowlist(memoryPersistence());
    a.add({ list: 'l', entryId: 'e' }, { note: 'first' });
    a.add({ list: 'l', entryId: 'e' }, { note: 'second' });
    expect(a.list()).toEqual([expect.objectContaining({ note: 'second' })]);
  });

  it('rejects malformed targets with clear errors', () => {
    expect(() => normalizeTarget('x')).toThrow('Expected a false-positive target `{ list, entryId }` or `{ sha256 }`, got "x"');
    expect(() => normalizeTarget({ list: 'a' })).toThrow('got an object with keys list');
    expect(() => normalizeTarget({ list: 'a', entryId: '' })).toThrow('Expected `entryId` to be a non-empty string, got ""');
    expect(() => normalizeTarget({ sha256: 'abc' })).toThrow(expect.objectContaining({ code: 'INVALID_HASH' }));
    const a = new Allowlist(memoryPersistence());
    expect(() => a.add({ sha256: SHA }, { note: 5 } as never)).toThrow('Expected `note` to be a string, got 5');
    expect(a.size).toBe(0);
  });

  it('reload picks up records another process wrote, and only then bumps the version', () => {
    const shared = memoryPersistence();
    const mine = new Allowlist(shared);
    const theirs = new Allowlist(shared);
    mine.add({ list: 'l', entryId: 'e' });
    expect(theirs.forEntry('l', 'e')).toBeUndefined();
    const before = theirs.version;
    expect(theirs.reload()).toBe(true);
    expect(theirs.forEntry('l', 'e')).toBeDefined();
    expect(theirs.version).toBe(before + 1);
    expect(theirs.reload()).toBe(false);
    expect(theirs.version).toBe(before + 1);
    mine.remove({ list: 'l', entryId: 'e' });
    expect(theirs.reload()).toBe(true);
    expect(theirs.size).toBe(0);
  });
});
