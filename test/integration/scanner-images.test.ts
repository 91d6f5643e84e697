/**
 * End to end through the facade: a list synced over loopback HTTP, real sharp decoding, real verdicts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashFormatError, MediaError, ScannerError } from '../../src/errors.js';
import { hashImage } from '../../src/media/image.js';
import { type Scanner, createScanner } from '../../src/scanner/index.js';
import type { ScanErrorEvent, ScanMatchEvent } from '../../src/scanner/diagnostics.js';
import { createFileSource } from '../../src/sync/file-source.js';
import { type ListServer, flatImage, naiveDistance, sceneImage, startListServer } from './scanner-helpers.js';

let server: ListServer;
let scanner: Scanner;
let dir: string;
const img: Record<string, Buffer> = {};
let listedPdq: string;
let listedMd5: string;

function listScanner(options: Parameters<typeof createScanner>[0] = {}): Promise<Scanner> {
  return createScanner({ lists: [{ source: createFileSource({ location: server.url, id: 'tid' }) }], ...options });
}

beforeAll(async () => {
  img.listed = await sceneImage('scanner-listed');
  img.unrelated = await sceneImage('scanner-unrelated');
  img.other = await sceneImage('scanner-other');
  img.flat = await flatImage();
  img.tiny = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
  const listed = await hashImage(img.listed);
  listedPdq = listed.pdq.hash;
  listedMd5 = listed.md5;
  server = await startListServer([
    {
      id: 'tid-listed',
      kind: 'image',
      member: { id: '7001', name: 'Take It Down' },
      classification: 'A1',
      fingerprints: { md5: listedMd5, pdq: listedPdq },
    },
    { id: 'tid-decoy', kind: 'image', fingerprints: { pdq: '0f'.repeat(32), md5: 'ab'.repeat(16) } },
  ]);
  scanner = await listScanner();
  await scanner.sync();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-scanner-'));
});

afterAll(async () => {
  await scanner?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('matchImage against a synced list', () => {
  it('matches the listed image by its digest, with member, classification and the list version', async () => {
    const v = await scanner.matchImage(img.listed);
    expect(v.kind).toBe('match');
    if (v.kind !== 'match') return;
    expect(v.matches).toEqual([
      {
        list: 'tid',
        entryId: 'tid-listed',
        entryKind: 'image',
        member: { id: '7001', name: 'Take It Down' },
        classification: 'A1',
        signal: 'md5',
        distance: 0,
      },
    ]);
    expect(v.hashes).toMatchObject({ md5: listedMd5, pdq: listedPdq, quality: 100 });
    expect(v.listVersion).toBe(scanner.stats().listVersion);
    expect(v.listVersion).toBeGreaterThan(0);
    expect(v.media).toEqual({ kind: 'image', width: 480, height: 360, format: 'png' });
  });

  it.each([
    ['resized and re-encoded as JPEG', (s: Sharp) => s.resize(240).jpeg({ quality: 70 })],
    ['re-encoded as a low-quality JPEG', (s: Sharp) => s.jpeg({ quality: 40 })],
    ['converted to WebP', (s: Sharp) => s.resize(400).webp({ quality: 60 })],
  ])('matches a copy %s at the distance computed independently', async (_name, edit) => {
    const copy = await edit(sharp(img.listed)).toBuffer();
    const expected = naiveDistance((await hashImage(copy)).pdq.hash, listedPdq);
    expect(expected).toBeLessThanOrEqual(31);
    const v = await scanner.matchImage(copy);
    expect(v.kind).toBe('match');
    if (v.kind !== 'match') return;
    expect(v.matches).toHaveLength(1);
    expect(v.matches[0]).toMatchObject({ entryId: 'tid-listed', signal: 'pdq', distance: expected, transform: 'orig' });
  });

  it('matches rotated and mirrored copies only with dihedral matching on, reporting the variant and distance', async () => {
    const dihedral = await listScanner({ dihedral: true });
    try {
      await dihedral.sync();
      for (const edit of [(s: Sharp) => s.rotate(90), (s: Sharp) => s.rotate(180), (s: Sharp) => s.flop()]) {
        const copy = await edit(sharp(img.listed)).png().toBuffer();
        const variants = Object.entries((await hashImage(copy, { dihedral: true })).pdq.dihedral!);
        const distances = variants.map(([name, hex]) => [name, naiveDistance(hex, listedPdq)] as const);
        const best = distances.reduce((a, b) => (b[1] < a[1] ? b : a));
        expect(best[1]).toBeLessThanOrEqual(31);
        expect(distances.find(([n]) => n === 'orig')![1]).toBeGreaterThan(31);

        const on = await dihedral.matchImage(copy);
        expect(on.kind).toBe('match');
        if (on.kind === 'match') {
          expect(on.matches[0]).toMatchObject({ entryId: 'tid-listed', signal: 'pdq', transform: best[0], distance: best[1] });
        }
        expect(on.hashes.dihedral?.rot90).toBeDefined();
        const off = await scanner.matchImage(copy);
        expect(off.kind).toBe('no_match');
      }
    } finally {
      await dihedral.close();
    }
  });

  it('does not match an unrelated image, and says which list version it was judged against', async () => {
    const v = await scanner.matchImage(img.other);
    expect(v.kind).toBe('no_match');
    expect(naiveDistance(v.hashes.pdq!, listedPdq)).toBeGreaterThan(31);
    expect(v.listVersion).toBe(scanner.stats().listVersion);
    expect(v.excluded).toEqual([]);
  });

  it('calls a flat image unhashable (low quality) and a tiny one unhashable (too small)', async () => {
    const flat = await scanner.matchImage(img.flat);
    expect(flat).toMatchObject({ kind: 'unhashable', reason: 'low_quality' });
    expect(flat.hashes.quality).toBeLessThan(50);
    expect(flat.hashes.sha256).toMatch(/^[0-9a-f]{64}$/);
    const tiny = await scanner.matchImage(img.tiny);
    expect(tiny).toMatchObject({ kind: 'unhashable', reason: 'too_small' });
    expect(tiny.hashes.pdq).toBeUndefined();
  });

  it('reads file paths and streams like bytes', async () => {
    const file = path.join(dir, 'listed.png');
    await writeFile(file, img.listed);
    const byPath = await scanner.matchImage(file);
    expect(byPath.kind).toBe('match');
    const { createReadStream } = await import('node:fs');
    const byStream = await scanner.matchImage(createReadStream(file));
    expect(byStream.kind).toBe('match');
    expect(byStream.hashes.sha256).toBe(byPath.hashes.sha256);
  });
});

describe('bad input rejects with the hashing error, unchanged', () => {
  it.each([
    ['random bytes', () => Buffer.from('this is not an image at all, just text')],
    ['a truncated PNG', () => img.listed.subarray(0, 2000)],
    ['an empty buffer', () => Buffer.alloc(0)],
    ['a missing file', () => path.join(os.tmpdir(), 'tidscan-no-such-file.png')],
  ])('%s', async (_name, make) => {
    const input = make();
    const direct = await hashImage(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(direct).toBeInstanceOf(MediaError);
    const viaScanner = await scanner.matchImage(input).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(viaScanner).toBeInstanceOf(MediaError);
    expect((viaScanner as MediaError).code).toBe((direct as MediaError).code);
    expect((viaScanner as MediaError).message).toBe((direct as MediaError).message);
  });

  it('matchHashes rejects malformed hashes with INVALID_HASH', async () => {
    await expect(scanner.matchHashes({ pdq: 'xyz' })).rejects.toBeInstanceOf(HashFormatError);
    await expect(scanner.matchHashes({ md5: 'g'.repeat(32) })).rejects.toMatchObject({ code: 'INVALID_HASH' });
    await expect(scanner.matchHashes({ vpdq: [{ pdq: listedPdq, quality: 101 }] })).rejects.toThrow(RangeError);
    await expect(scanner.matchHashes({ colour: 'red' } as never)).rejects.toThrow('Unknown hash `colour`');
  });
});

describe('matchHashes', () => {
  it('judges precomputed hashes with the same rules', async () => {
    const digest = await scanner.matchHashes({ md5: listedMd5.toUpperCase() });
    expect(digest).toMatchObject({ kind: 'match', operation: 'hashes', matches: [{ signal: 'md5', entryId: 'tid-listed' }] });
    const near = await scanner.matchHashes({ pdq: listedPdq, quality: 90 });
    expect(near).toMatchObject({ kind: 'match', matches: [{ signal: 'pdq', distance: 0 }] });
    expect(await scanner.matchHashes({ pdq: listedPdq, quality: 10 })).toMatchObject({ kind: 'unhashable', reason: 'low_quality' });
    expect(await scanner.matchHashes({})).toMatchObject({ kind: 'unhashable', reason: 'no_hashes' });
    expect(await scanner.matchHashes({ sha1: 'cd'.repeat(20) })).toMatchObject({ kind: 'no_match' });
    const frames = await scanner.matchHashes({ vpdq: [{ pdq: listedPdq, quality: 100, frame: 48, timestamp: 2 }] });
    expect(frames).toMatchObject({
      kind: 'match',
      matches: [{ signal: 'pdq', frame: { frame: 48, timestamp: 2, distance: 0 } }],
    });
  });
});

describe('false-positive allowlist', () => {
  it('excludes an allowlisted entry and says so; removing the record restores the match', async () => {
    const record = await scanner.addFalsePositive({ list: 'tid', entryId: 'tid-listed' }, { note: 'review 17' });
    expect(record).toMatchObject({ list: 'tid', entryId: 'tid-listed', note: 'review 17' });
    try {
      const v = await scanner.matchImage(img.listed);
      expect(v.kind).toBe('no_match');
      expect(v.timing.cached).toBe(false);
      expect(v.excluded).toEqual([
        { match: expect.objectContaining({ entryId: 'tid-listed', signal: 'md5' }), reason: 'entry', falsePositive: record },
      ]);
      expect(await scanner.listFalsePositives()).toEqual([record]);
    } finally {
      expect(await scanner.removeFalsePositive({ list: 'tid', entryId: 'tid-listed' })).toBe(true);
    }
    expect((await scanner.matchImage(img.listed)).kind).toBe('match');
  });

  it('excludes an allowlisted content hash only for that exact content', async () => {
    const copy = await sharp(img.listed).jpeg({ quality: 60 }).toBuffer();
    const { sha256 } = await hashImage(copy);
    await scanner.addFalsePositive({ sha256 });
    try {
      const v = await scanner.matchImage(copy);
      expect(v).toMatchObject({ kind: 'no_match', excluded: [{ reason: 'content', match: { entryId: 'tid-listed' } }] });
      expect((await scanner.matchImage(img.listed)).kind).toBe('match');
    } finally {
      await scanner.removeFalsePositive({ sha256 });
    }
  });
});

describe('a store on disk', () => {
  it('keeps the list and the false positives across restarts, and a scan-only scanner sharing it follows syncs', async () => {
    const store = path.join(dir, 'lists.db');
    const first = await listScanner({ store });
    const report = await first.sync();
    expect(report.ok).toBe(true);
    await first.addFalsePositive({ sha256: (await hashImage(img.listed)).sha256 }, { note: 'reviewed' });
    await first.close();

    const reopened = await createScanner({ store }); // no lists configured: scan only, nothing synced
    const original = server.records;
    try {
      const v = await reopened.matchImage(img.listed);
      expect(v).toMatchObject({ kind: 'no_match', excluded: [{ reason: 'content', falsePositive: { note: 'reviewed' } }] });
      expect(v.listVersion).toBe(report.version);
      expect((await reopened.matchImage(await sharp(img.listed).jpeg({ quality: 80 }).toBuffer())).kind).toBe('match');

      // Another process (here: another scanner on the same file) syncs a new entry; the scan-only one sees it.
      const unrelatedPdq = (await hashImage(img.unrelated)).pdq.hash;
      server.records = [...original, { id: 'tid-later', kind: 'image', fingerprints: { pdq: unrelatedPdq } }];
      const syncer = await listScanner({ store });
      try {
        expect((await syncer.sync()).ok).toBe(true);
      } finally {
        await syncer.close();
      }
      const later = await reopened.matchImage(img.unrelated);
      expect(later).toMatchObject({ kind: 'match', matches: [{ list: 'tid', entryId: 'tid-later', distance: 0 }] });
      expect(later.listVersion).toBeGreaterThan(v.listVersion);
    } finally {
      server.records = original;
      await reopened.close();
    }
  });
});

describe('repeat-content cache', () => {
  it('serves a repeated upload from the cache until the list changes', async () => {
    const own = await listScanner();
    const original = server.records;
    try {
      await own.sync();
      const first = await own.matchImage(img.unrelated);
      expect(first).toMatchObject({ kind: 'no_match', timing: { cached: false } });
      const second = await own.matchImage(img.unrelated);
      expect(second).toMatchObject({ kind: 'no_match', timing: { cached: true, hashMs: 0 } });
      expect(second.hashes).toEqual(first.hashes);

      server.records = [...original, { id: 'tid-new', kind: 'image', fingerprints: { pdq: first.hashes.pdq } }];
      await own.sync();
      const third = await own.matchImage(img.unrelated);
      expect(third).toMatchObject({ kind: 'match', timing: { cached: false }, matches: [{ entryId: 'tid-new', distance: 0 }] });
      expect(third.listVersion).toBeGreaterThan(first.listVersion);
      expect(own.stats().cache.invalidations).toBe(1);
    } finally {
      server.records = original;
      await own.close();
    }
  });
});

describe('backpressure and lifecycle', () => {
  it('rejects with QUEUE_FULL when every slot is busy and the waiting line is full', async () => {
    const small = await listScanner({ concurrency: 1, maxQueue: 1, cacheSize: 0 });
    try {
      const calls = [img.listed, img.unrelated, img.other].map((b) => small.matchImage(b));
      const settled = await Promise.allSettled(calls);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      const reason = (settled[2] as PromiseRejectedResult).reason as ScannerError;
      expect(reason).toBeInstanceOf(ScannerError);
      expect(reason.code).toBe('QUEUE_FULL');
      expect(small.stats().queue.rejected).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('matchMany yields every input in order, errors in place, without QUEUE_FULL', async () => {
    const small = await listScanner({ concurrency: 1, maxQueue: 0 });
    try {
      await small.sync();
      const inputs = [img.listed, img.unrelated, Buffer.from('junk'), img.flat, img.other];
      const results = [];
      for await (const r of small.matchMany(inputs, { concurrency: 3 })) results.push(r);
      expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
      expect(results.every((r, i) => r.input === inputs[i])).toBe(true);
      expect(results.map((r) => r.verdict?.kind ?? (r.error as MediaError).code)).toEqual([
        'match',
        'no_match',
        'UNSUPPORTED_FORMAT',
        'unhashable',
        'no_match',
      ]);
    } finally {
      await small.close();
    }
  });

  it('close lets calls that need no hashing slot finish (cache hits, matchHashes) and refuses the rest cleanly', async () => {
    const s = await listScanner();
    await s.sync();
    // Over 4 MiB, so computing its cache key yields to the event loop while close() runs.
    const noise = await sharp(randomBytes(1400 * 1100 * 3), { raw: { width: 1400, height: 1100, channels: 3 } }).png().toBuffer();
    expect(noise.length).toBeGreaterThan(4 * 1024 * 1024);
    await s.matchImage(noise); // warm the cache
    const hit = s.matchImage(noise);
    const hashes = s.matchHashes({ md5: listedMd5 });
    const miss = s.matchImage(img.other).then(
      () => undefined,
      (e: unknown) => e,
    ); // still computing its cache key when close() is called
    await s.close();
    await expect(hit).resolves.toMatchObject({ kind: 'no_match', timing: { cached: true } });
    await expect(hashes).resolves.toMatchObject({ kind: 'match' });
    expect(await miss).toMatchObject({ code: 'SCANNER_CLOSED' });
  });

  it('close is idempotent, lets running work finish, and later calls reject with SCANNER_CLOSED', async () => {
    const s = await listScanner({ concurrency: 1, cacheSize: 0 });
    const running = s.matchImage(img.unrelated);
    const queued = s.matchImage(img.other);
    const closing = s.close();
    expect(s.close()).toBe(closing);
    await closing;
    await expect(running).resolves.toMatchObject({ kind: 'no_match' });
    await expect(queued).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    await expect(s.matchImage(img.listed)).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    await expect(s.matchHashes({ md5: listedMd5 })).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    await expect(s.sync()).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    await expect(s.matchMany([img.listed]).next()).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
    await expect(s.addFalsePositive({ sha256: 'ab'.repeat(32) })).rejects.toMatchObject({ code: 'SCANNER_CLOSED' });
  });
});

describe('diagnostics channels', () => {
  it('publish one tidscan:match message per verdict and one tidscan:error per failure, without content bytes', async () => {
    const matches: ScanMatchEvent[] = [];
    const errors: ScanErrorEvent[] = [];
    const onMatch = (m: unknown): void => void matches.push(m as ScanMatchEvent);
    const onError = (m: unknown): void => void errors.push(m as ScanErrorEvent);
    subscribe('tidscan:match', onMatch);
    subscribe('tidscan:error', onError);
    try {
      await scanner.matchImage(img.listed);
      await scanner.matchImage(Buffer.from('junk')).catch(() => undefined);
    } finally {
      unsubscribe('tidscan:match', onMatch);
      unsubscribe('tidscan:error', onError);
    }
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({
      operation: 'image',
      kind: 'match',
      matchCount: 1,
      excludedCount: 0,
      listVersion: scanner.stats().listVersion,
    });
    expect(matches[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ operation: 'image', code: 'UNSUPPORTED_FORMAT' });
    const bytesIn = (value: unknown, seen = new Set<unknown>()): boolean => {
      if (value instanceof Uint8Array || value instanceof ArrayBuffer) return true;
      if (typeof value !== 'object' || value === null || seen.has(value)) return false;
      seen.add(value);
      return Object.values(value).some((v) => bytesIn(v, seen));
    };
    expect(bytesIn(matches)).toBe(false);
    expect(bytesIn(errors.map(({ error: _e, ...rest }) => rest))).toBe(false);
  });

  it("run subscribers in the caller's async context, so an audit line can carry the upload id", async () => {
    const small = await listScanner({ concurrency: 1, cacheSize: 0 });
    const upload = new AsyncLocalStorage<{ uploadId: string }>();
    const seen: Array<[string | undefined, string | undefined]> = [];
    const onMatch = (m: unknown): void => void seen.push([upload.getStore()?.uploadId, (m as ScanMatchEvent).verdict.hashes.sha256]);
    subscribe('tidscan:match', onMatch);
    try {
      const inputs = { a: img.listed, b: img.unrelated, c: img.other }; // queued behind each other (one slot)
      const verdicts = await Promise.all(
        Object.entries(inputs).map(([uploadId, bytes]) => upload.run({ uploadId }, () => small.matchImage(bytes))),
      );
      expect(new Map(seen)).toEqual(new Map(Object.keys(inputs).map((id, i) => [id, verdicts[i]!.hashes.sha256])));
    } finally {
      unsubscribe('tidscan:match', onMatch);
      await small.close();
    }
  });
});
