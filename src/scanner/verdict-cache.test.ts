import { describe, expect, it } from 'vitest';
import type { Verdict } from './types.js';
import { VerdictCache } from './verdict-cache.js';

const verdict = (listVersion: number): Verdict => ({
  kind: 'no_match',
  operation: 'image',
  hashes: { sha256: 'aa'.repeat(32) },
  listVersion,
  excluded: [],
  timing: { totalMs: 1, hashMs: 1, matchMs: 0, cached: false },
});

describe('VerdictCache', () => {
  it('serves copies within one generation and empties itself when the generation changes', () => {
    const c = new VerdictCache(10);
    c.set('image', 'x', '1:0', verdict(1));
    const hit = c.get('image', 'x', '1:0');
    expect(hit).toEqual(verdict(1));
    hit!.excluded.push({} as never); // callers may mutate their copy
    expect(c.get('image', 'x', '1:0')!.excluded).toEqual([]);
    expect(c.get('video', 'x', '1:0')).toBeUndefined(); // keyed by operation too
    expect(c.get('image', 'x', '2:0')).toBeUndefined();
    expect(c.get('image', 'x', '1:0')).toBeUndefined(); // gone, not hidden
    expect(c.stats()).toMatchObject({ size: 0, max: 10, hits: 2, misses: 3, invalidations: 1 });
  });

  it('evicts the least recently used verdict and is off at size 0', () => {
    const c = new VerdictCache(2);
    c.set('image', 'a', 'g', verdict(1));
    c.set('image', 'b', 'g', verdict(1));
    c.get('image', 'a', 'g');
    c.set('image', 'c', 'g', verdict(1));
    expect(c.get('image', 'b', 'g')).toBeUndefined();
    expect(c.get('image', 'a', 'g')).toBeDefined();
    const off = new VerdictCache(0);
    off.set('image', 'a', 'g', verdict(1));
    expect(off.get('image', 'a', 'g')).toBeUndefined();
    expect(off.enabled).toBe(false);
  });
});
