import { randomBytes } from 'node:crypto';
import { readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { createFileSource, type FileCheckpoint } from './file-source.js';
import type { DeltaPage } from './types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tidscan-file-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
let fileCounter = 0;
async function writeList(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, `${fileCounter++}-${name}`);
  await writeFile(file, content);
  return file;
}
async function collect<C>(pages: AsyncIterable<DeltaPage<C>>): Promise<DeltaPage<C>[]> {
  const out: DeltaPage<C>[] = [];
  for await (const page of pages) out.push(page);
  return out;
}
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('createFileSource: NDJSON', () => {
  it('yields upserts and deletes with validated, lowercased fingerprints, then a replaceAll page with the checkpoint', async () => {
    const pdq = hex(32).toUpperCase();
    const md5 = hex(16);
    const lines = [
      JSON.stringify({ id: 'a', kind: 'image', member: { id: '7001', name: 'TiD' }, classification: 'A1', fingerprints: { pdq, md5, pdna: 'opaque' } }),
      '',
      JSON.stringify({ id: 'b', deleted: true }),
      JSON.stringify({ id: 'c', kind: 'video', fingerprints: { vpdq: [{ pdq: hex(32), quality: 90, timestamp: 1.5 }] }, metadata: { note: 'x' } }),
    ];
    const file = await writeList('list.ndjson', lines.join('\r\n') + '\n');
    const source = createFileSource({ location: file, id: 'tid' });
    expect(source.name).toBe('file');
    expect(source.id).toBe('tid');
    const pages = await collect(source.fetch(null));
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page!.replaceAll).toBe(true);
    expect(page!.skipped).toEqual([]);
    expect(page!.updates.map((u) => u.key)).toEqual(['a', 'b', 'c']);
    expect(page!.updates[0]!.entry).toEqual({
      source: 'tid',
      id: 'a',
      kind: 'image',
      member: { id: '7001', name: 'TiD' },
      classification: 'A1',
      fingerprints: { pdq: pdq.toLowerCase(), md5, pdna: 'opaque' },
    });
    expect(page!.updates[1]!.entry).toBeNull();
    expect(page!.updates[2]!.entry?.kind).toBe('video');
    expect(page!.checkpoint.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(page!.checkpoint.format).toBe('ndjson');
  });

  it('yields nothing when the content is unchanged, and a new snapshot when it changes', async () => {
    const record = (id: string) => JSON.stringify({ id, kind: 'image', fingerprints: { md5: hex(16) } });
    const file = await writeList('same.ndjson', record('x') + '\n');
    const source = createFileSource({ location: file });
    const [first] = await collect(source.fetch(null));
    expect(await collect(source.fetch(first!.checkpoint))).toEqual([]);
    await writeFile(file, record('x') + '\n' + record('y') + '\n');
    const again = await collect(source.fetch(first!.checkpoint));
    expect(again.at(-1)!.updates.map((u) => u.key)).toEqual(['x', 'y']);
    expect(again.at(-1)!.checkpoint.sha256).not.toBe(first!.checkpoint.sha256);
  });

  it('splits into pages of pageSize records; only the last carries the new checkpoint and replaceAll', async () => {
    const lines = Array.from({ length: 23 }, (_, i) => JSON.stringify({ id: `e${i}`, kind: 'image', fingerprints: { sha1: hex(20) } }));
    lines.splice(5, 0, '{"id": "broken"'); // one unparsable line counts towards the page too
    const file = await writeList('paged.jsonl', lines.join('\n'));
    const previous: FileCheckpoint = { sha256: 'f'.repeat(64) };
    const pages = await collect(createFileSource({ location: file, pageSize: 10 }).fetch(previous));
    expect(pages.map((p) => p.updates.length + p.skipped.length)).toEqual([10, 10, 4]);
    expect(pages.slice(0, -1).every((p) => p.checkpoint === previous && !p.replaceAll)).toBe(true);
    expect(pages.at(-1)!.replaceAll).toBe(true);
    expect(pages.at(-1)!.checkpoint.records).toBe(23);
    expect(pages.flatMap((p) => p.updates.map((u) => u.key))).toEqual(Array.from({ length: 23 }, (_, i) => `e${i}`));
    expect(pages.flatMap((p) => p.skipped)).toEqual([{ reason: 'line 6: not valid JSON' }]);
  });

  it('skips every invalid record with a reason naming the line, never silently', async () => {
    const bad = [
      { id: 'p', kind: 'image', fingerprints: { pdq: 'abc' } },
      { id: 'm', kind: 'image', fingerprints: { md5: hex(15) + 'zz' } },
      { id: 'k', kind: 'audio', fingerprints: { md5: hex(16) } },
      { kind: 'image', fingerprints: { md5: hex(16) } },
      { id: 'n', kind: 'image', fingerprints: { pdna: 'only-opaque' } },
      { id: 'v', kind: 'video', fingerprints: { vpdq: [{ pdq: hex(32), quality: 101, timestamp: 0 }] } },
      { id: 'd', deleted: 'yes' },
      [1, 2],
    ];
    const file = await writeList('bad.ndjson', bad.map((r) => JSON.stringify(r)).join('\n'));
    const [page] = await collect(createFileSource({ location: file }).fetch(null));
    expect(page!.updates).toEqual([]);
    expect(page!.skipped).toHaveLength(bad.length);
    expect(page!.skipped.map((s) => s.reason.split(':')[0])).toEqual(bad.map((_, i) => `line ${i + 1}`));
    expect(page!.skipped[0]).toMatchObject({ key: 'p', reason: expect.stringContaining('fingerprints.pdq must be 64 hex') });
    expect(page!.skipped[2]!.reason).toContain('kind must be "image" or "video"');
    expect(page!.skipped[3]!.reason).toContain('id must be');
    expect(page!.skipped[4]!.reason).toContain('no matchable fingerprint');
    expect(page!.skipped[5]!.reason).toContain('quality must be an integer from 0 to 100');
  });

  it('rejects a file that is not UTF-8 without a replaceAll page', async () => {
    const good = JSON.stringify({ id: 'a', kind: 'image', fingerprints: { md5: hex(16) } }) + '\n';
    const file = await writeList('latin1.ndjson', Buffer.concat([Buffer.from(good), Buffer.from([0xff, 0xfe, 0x0a])]));
    const pages: DeltaPage<FileCheckpoint>[] = [];
    const err = await rejection((async () => { for await (const p of createFileSource({ location: file }).fetch(null)) pages.push(p); })());
    expect(isTidscanError(err) && err.code).toBe('SYNC_MALFORMED_RESPONSE');
    expect(pages.some((p) => p.replaceAll)).toBe(false);
  });
});

describe('createFileSource: CSV', () => {
  it('reads a header row, quoted fields with commas, quotes and newlines, and metadata/fingerprint columns', async () => {
    const pdq = hex(32);
    const csv = [
      'id,kind,member_id,member_name,classification,md5,pdq,fingerprints.tmk,metadata.note,deleted',
      `a,image,7001,"Take It Down, Inc.",A1,,${pdq},,"line one\nline ""two""",`,
      `b,image,,,,${hex(16)},,opaque-tmk,,false`,
      'c,,,,,,,,,true',
      `d,image,,,,${hex(16)},,,,maybe`,
      `e,image,,,,${hex(16)}`,
    ].join('\r\n');
    const file = await writeList('list.csv', csv);
    const [page] = await collect(createFileSource({ location: file }).fetch(null));
    expect(page!.checkpoint.format).toBe('csv');
    expect(page!.updates.map((u) => u.key)).toEqual(['a', 'b', 'c']);
    expect(page!.updates[0]!.entry).toMatchObject({
      member: { id: '7001', name: 'Take It Down, Inc.' },
      classification: 'A1',
      fingerprints: { pdq },
      metadata: { note: 'line one\nline "two"' },
    });
    expect(page!.updates[1]!.entry!.fingerprints.tmk).toBe('opaque-tmk');
    expect(page!.updates[2]!.entry).toBeNull();
    // Row d starts on line 6 because row a spans two lines.
    expect(page!.skipped.map((s) => s.reason)).toEqual([
      'line 6: column deleted must be true/false, got "maybe"',
      'line 7: expected 10 fields, got 6',
    ]);
  });

  it('refuses unknown columns as a whole-file error (a typo must not silently drop a hash type)', async () => {
    const file = await writeList('typo.csv', `id,kind,pqd\na,image,${hex(32)}\n`);
    const err = await rejection(collect(createFileSource({ location: file }).fetch(null)));
    expect(isTidscanError(err) && err.code).toBe('SYNC_MALFORMED_RESPONSE');
    expect((err as Error).message).toContain('"pqd"');
  });

  it('round-trips arbitrary field text through RFC 4180 quoting, however the bytes are chunked', async () => {
    const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\n', ' ', 'x') }), { minLength: 1, maxLength: 20, size: 'max' }), async (notes) => {
        const md5 = hex(16);
        const rows = notes.map((note, i) => `r${i},image,${md5},${quote(note)}`);
        const file = await writeList('prop.csv', ['id,kind,md5,metadata.note', ...rows].join('\n'));
        const [page] = await collect(createFileSource({ location: file, pageSize: 1000 }).fetch(null));
        expect(page!.skipped).toEqual([]);
        expect(page!.updates.map((u) => u.entry!.metadata?.note ?? '')).toEqual(notes);
      }),
      { numRuns: 40 },
    );
  });
});

describe('createFileSource: JSON', () => {
  it('reads an array and an {entries:[...]} document, by extension or by content', async () => {
    const records = [{ id: 'a', kind: 'image', fingerprints: { sha256: hex(32) } }, { id: 'b', deleted: true }];
    for (const [name, content] of [
      ['list.json', JSON.stringify(records)],
      ['list.data', JSON.stringify({ entries: records }, null, 2)],
      ['list2.data', JSON.stringify({ entries: records })],
    ] as const) {
      const file = await writeList(name, content);
      const [page] = await collect(createFileSource({ location: pathToFileURL(file) }).fetch(null));
      expect(page!.checkpoint.format).toBe('json');
      expect(page!.updates.map((u) => u.key)).toEqual(['a', 'b']);
    }
  });

  it('a truncated JSON document is SYNC_MALFORMED_RESPONSE and yields nothing', async () => {
    const content = JSON.stringify([{ id: 'a', kind: 'image', fingerprints: { md5: hex(16) } }]);
    const file = await writeList('trunc.json', content.slice(0, content.length - 3));
    const pages: unknown[] = [];
    const err = await rejection((async () => { for await (const p of createFileSource({ location: file }).fetch(null)) pages.push(p); })());
    expect(isTidscanError(err) && err.code).toBe('SYNC_MALFORMED_RESPONSE');
    expect(pages).toEqual([]);
  });

  it('enforces maxBytes and maxJsonChars', async () => {
    const file = await writeList('big.json', JSON.stringify([{ id: 'a', kind: 'image', fingerprints: { md5: hex(16) } }]));
    const tooBig = await rejection(collect(createFileSource({ location: file, maxBytes: 10 }).fetch(null)));
    expect(isTidscanError(tooBig) && tooBig.code).toBe('SYNC_RESPONSE_TOO_LARGE');
    const tooLong = await rejection(collect(createFileSource({ location: file, maxJsonChars: 10 }).fetch(null)));
    expect(isTidscanError(tooLong) && tooLong.code).toBe('SYNC_RESPONSE_TOO_LARGE');
  });
});

describe('createFileSource: errors and options', () => {
  it('a missing file is SYNC_SOURCE_NOT_FOUND', async () => {
    const err = await rejection(collect(createFileSource({ location: path.join(dir, 'nope.ndjson') }).fetch(null)));
    expect(isTidscanError(err) && err.code).toBe('SYNC_SOURCE_NOT_FOUND');
  });

  it('an aborted signal stops the fetch with SYNC_ABORTED', async () => {
    const file = await writeList('abort.ndjson', JSON.stringify({ id: 'a', kind: 'image', fingerprints: { md5: hex(16) } }));
    const err = await rejection(collect(createFileSource({ location: file }).fetch(null, { signal: AbortSignal.abort() })));
    expect(isTidscanError(err) && err.code).toBe('SYNC_ABORTED');
  });

  it('validates options eagerly with precise messages', () => {
    expect(() => createFileSource({ location: '' })).toThrow('Expected `location` to be a path or URL, got ""');
    expect(() => createFileSource({ location: 'x', pageSize: 0 })).toThrow(
      new RangeError('Expected `pageSize` to be an integer from 1 to 1000000, got 0'),
    );
    expect(() => createFileSource({ location: 'x', format: 'xml' as never })).toThrow(
      'Expected `format` to be one of "ndjson", "csv", "json", "auto", got "xml"',
    );
    expect(() => createFileSource({ location: 'x', id: 'has space' })).toThrow(TypeError);
  });
});

describe('createFileSource: URLs', () => {
  it('downloads over loopback http, retries a 503 and a cut-off body, uses ETag for 304, and cleans its temp files', async () => {
    const body = [1, 2, 3].map((i) => JSON.stringify({ id: `u${i}`, kind: 'image', fingerprints: { md5: hex(16) } })).join('\n');
    let hits = 0;
    let ifNoneMatch: string | undefined;
    const server = createServer((req, res) => {
      hits++;
      ifNoneMatch = req.headers['if-none-match'];
      if (hits === 1) return void res.writeHead(503, { 'retry-after': '0' }).end();
      if (hits === 2) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.slice(0, 10));
        return void setTimeout(() => res.socket?.destroy(), 5);
      }
      if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
      res.writeHead(200, { etag: '"v1"', 'content-type': 'application/x-ndjson' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // A private temp dir, so other suites' downloads cannot disturb the clean-up check.
    const privateTmp = await mkdtemp(path.join(dir, 'tmp-'));
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lists/takeitdown`;
      const source = createFileSource({ location: url, retryDelayMs: 1 });
      const [page] = await collect(source.fetch(null));
      expect(hits).toBe(3);
      expect(page!.checkpoint).toMatchObject({ format: 'ndjson', etag: '"v1"', records: 3 });
      expect(page!.updates.map((u) => u.key)).toEqual(['u1', 'u2', 'u3']);
      expect(await collect(source.fetch(page!.checkpoint))).toEqual([]);
      expect(ifNoneMatch).toBe('"v1"');
      // Without an ETag match the body is downloaded again and compared by SHA-256.
      expect(await collect(source.fetch({ ...page!.checkpoint, etag: '"other"' }))).toEqual([]);
      expect(hits).toBe(5);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await readdir(privateTmp)).toEqual([]);
  });

  it('refuses plain http to a non-loopback host when created, and unknown schemes', () => {
    let err: unknown;
    try {
      createFileSource({ location: 'http://lists.example.org/list.ndjson' });
    } catch (e) {
      err = e;
    }
    expect(isTidscanError(err) && err.code).toBe('SYNC_INSECURE_URL');
    expect(() => createFileSource({ location: 'http://lists.example.org/list.ndjson', allowInsecureHttp: true })).not.toThrow();
    expect(() => createFileSource({ location: 'ftp://lists.example.org/list.ndjson' })).toThrow(/Unsupported URL scheme/);
  });
});
