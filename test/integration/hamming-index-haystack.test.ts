/**
 * Real PDQ data: the ThreatExchange MIH regression inputs (1,350 haystack hashes, 100 needles). Every index must
 * return, for every needle, exactly the haystack entries within 31 bits, as found by a naive bit-by-bit loop.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { naiveQuery } from '../helpers/hamming.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';
import { parsePdq } from '../../src/hash/hex.js';
import { INDEX_NAMES, createHashIndex } from '../../src/match/create.js';

function readHashes(name: string): Uint8Array[] {
  const text = readFileSync(vectorPath('pdq', 'data', 'reg-test-input', name), 'utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => parsePdq(line));
}

describeVectors('Hamming indexes on real PDQ hashes (reg-test-input haystack/needles)', () => {
  const haystack = readHashes('haystack.txt');
  const needles = readHashes('needles.txt');
  const entries = new Map(haystack.map((h, id) => [id, h] as const));
  const expected = needles.map((n) => naiveQuery(entries, n, 31));

  it('has the fixture we expect: 1,350 hashes, 100 needles, most needles with several matches', () => {
    expect(haystack.length).toBe(1350);
    expect(needles.length).toBe(100);
    expect(expected.filter((m) => m.length > 0).length).toBeGreaterThan(50);
    expect(expected.reduce((s, m) => s + m.length, 0)).toBeGreaterThan(200);
  });

  const configs = [
    ...INDEX_NAMES.map((name) => ({ name })),
    { name: 'mih' as const, substringBits: 8 },
    { name: 'mih' as const, substringBits: 21 },
    { name: 'mih' as const, substringBits: 32 },
  ];
  it.each(configs)('$name (substringBits $substringBits) finds every needle match at r=31', (options) => {
    const index = createHashIndex(options);
    index.apply({ add: [...entries] });
    for (let i = 0; i < needles.length; i++) expect(index.query(needles[i]!, 31)).toEqual(expected[i]);
    expect(index.queryMany(needles, 31)).toEqual(expected);
  });
});
