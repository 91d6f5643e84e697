import { describe, expect, it } from 'vitest';
import type { ListEntry, ListUpdate } from './types.js';
import { prepareUpdates } from './apply.js';

const entry = (id: string): ListEntry => ({ source: 's', id, kind: 'image', fingerprints: { md5: 'AB'.repeat(16) } });

describe('prepareUpdates keys', () => {
  it('skips keys that are empty, too long or not well-formed Unicode, and keeps the rest in order', () => {
    const updates: ListUpdate[] = [
      { key: 'ok-1', entry: entry('1') },
      { key: '', entry: entry('2') },
      { key: 'k'.repeat(1025), entry: entry('3') },
      { key: 'lone-\ud800', entry: entry('4') },
      { key: '\udfff', entry: null },
      { key: 'paired-😀', entry: entry('5') },
      { key: 'ok-2', entry: null },
    ];
    const out = prepareUpdates('s', updates);
    expect(out.updates.map((u) => u.key)).toEqual(['ok-1', 'paired-😀', 'ok-2']);
    // Normalised: hex lowercased.
    expect(out.updates[0]!.entry!.fingerprints.md5).toBe('ab'.repeat(16));
    expect(out.skipped).toEqual([
      { reason: 'update key must be a string of 1 to 1024 characters' },
      { reason: 'update key must be a string of 1 to 1024 characters' },
      { reason: 'update key must be well-formed Unicode (it has a lone surrogate)' },
      { reason: 'update key must be well-formed Unicode (it has a lone surrogate)' },
    ]);
  });
});
