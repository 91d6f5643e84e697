/**
 * vPDQ match percentages on the repo's sample-hashes (vectors README section 4 "Match expectations", VPDQ.md
 * section 4): the C++ `match-hashes-brute q t 31 50` numbers with the C++ options, and python-threatexchange's with
 * the defaults. Query = chair-19-sd-bar.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { matchVpdq, type VpdqMatchOptions } from '../../src/hash/vpdq.js';
import { parseVpdqFile } from '../../src/hash/vpdq-format.js';
import { describeVectors, vectorPath } from '../helpers/vectors.js';

const sample = (name: string) => parseVpdqFile(readFileSync(vectorPath('vpdq', 'vpdq', 'sample-hashes', `${name}.txt`), 'utf8'));
const CPP: VpdqMatchOptions = { maxDistance: 31, minQuality: 50, distanceRule: 'strict', dedupe: false };

/** Percentages as the README prints them: two decimals. */
const rounded = (r: { queryMatchPercent: number; targetMatchPercent: number }) => [
  Number(r.queryMatchPercent.toFixed(2)),
  Number(r.targetMatchPercent.toFixed(2)),
];

describeVectors('vPDQ matching reproduces the reference percentages', () => {
  it.each([
    ['chair-22-with-large-logo-bar', 10.46, 10.55],
    ['chair-22-sd-sepia-bar', 100, 83.95],
    ['chair-20-sd-bar', 100, 92.18],
    ['chair-19-sd-bar', 100, 100],
    ['pattern-hd-no-bar', 0, 0],
    ['doorknob-hd-no-bar', 0, 0],
  ])('C++ brute (31, 50): chair-19 vs %s = %s / %s', (target, q, t) => {
    expect(rounded(matchVpdq(sample('chair-19-sd-bar'), sample(target), CPP))).toEqual([q, t]);
  });

  it.each([
    ['chair-22-with-large-logo-bar', 10.5, 10.58, false],
    ['chair-22-sd-sepia-bar', 100, 85.82, true],
    ['chair-19-sd-bar', 100, 100, true],
    ['pattern-hd-no-bar', 0, 0, false],
    ['doorknob-hd-no-bar', 0, 0, false],
  ])('python-threatexchange defaults: chair-19 vs %s = %s / %s, match %s', (target, q, t, isMatch) => {
    const result = matchVpdq(sample('chair-19-sd-bar'), sample(target));
    expect(rounded(result)).toEqual([q, t]);
    expect(result.isMatch).toBe(isMatch);
  });
});
