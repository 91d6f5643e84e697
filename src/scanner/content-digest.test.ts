import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestsInSlices, sha256InSlices } from './content-digest.js';

const MiB = 1024 * 1024;

describe('digests in slices', () => {
  it.each([0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 7])('equal one-shot digests for %i bytes', async (size) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
    const one = (alg: string): string => createHash(alg).update(bytes).digest('hex');
    expect(await sha256InSlices(bytes)).toBe(one('sha256'));
    expect(await digestsInSlices(bytes)).toEqual({ md5: one('md5'), sha1: one('sha1'), sha256: one('sha256') });
  });

  it('lets the event loop run while hashing a large buffer', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await digestsInSlices(new Uint8Array(64 * MiB));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});
