import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashFormatError } from '../errors.js';
import { parseHex } from '../hash/hex.js';
import type { ListEntry } from '../sync/types.js';
import {
  type ChangeBatch,
  ChangeBatchBuilder,
  FINGERPRINT_AT,
  FINGERPRINT_ROW_BYTES,
  ROW_DELETE,
  ROW_MD5,
  ROW_PDQ,
  ROW_SHA1,
  ROW_SHA256,
  ROW_VIDEO,
  ROW_VPDQ,
  rowKind,
  textStart,
} from './change-batch.js';

interface Change {
  source: string;
  key: string;
  entry: ListEntry | null;
}

const hexArb = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
const textArb = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('é', '😀', 'ü-1', '"quoted"\n'));
const entryArb = (source: string): fc.Arbitrary<ListEntry> =>
  fc.record(
    {
      source: fc.constant(source),
      id: textArb,
      kind: fc.constantFrom('image' as const, 'video' as const),
      fingerprints: fc.record(
        {
          pdq: hexArb(32),
          md5: hexArb(16),
          sha1: hexArb(20),
          sha256: hexArb(32),
          pdna: textArb,
          vpdq: fc.array(fc.record({ pdq: hexArb(32), quality: fc.integer({ min: 0, max: 100 }), timestamp: fc.nat(100) }), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      classification: textArb,
    },
    { requiredKeys: ['source', 'id', 'kind', 'fingerprints'] },
  );
const changeArb: fc.Arbitrary<Change> = fc.constantFrom('ncmec', 'stopncii', 'ü-list').chain((source) =>
  fc.record({ source: fc.constant(source), key: textArb, entry: fc.option(entryArb(source), { nil: null }) }),
);

function build(changes: readonly Change[], fingerprints = true): ChangeBatch {
  const builder = new ChangeBatchBuilder({ fingerprints });
  for (const c of changes) builder.add(c.source, c.key, c.entry);
  return builder.build();
}

/** Row by row, what a batch says, decoded back. */
function decode(batch: ChangeBatch) {
  const text = Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength);
  return Array.from({ length: batch.count }, (_, i) => {
    const start = textStart(batch, i);
    // Only the fingerprints the flags say are there (the other bytes of a row are unspecified).
    let fp: Record<string, number[]> | undefined;
    if (batch.fingerprints.length) {
      fp = {};
      for (const [kind, bit, bytes] of [['pdq', ROW_PDQ, 32], ['md5', ROW_MD5, 16], ['sha1', ROW_SHA1, 20], ['sha256', ROW_SHA256, 32]] as const) {
        const at = i * FINGERPRINT_ROW_BYTES + FINGERPRINT_AT[kind];
        if (batch.flags[i]! & bit) fp[kind] = [...batch.fingerprints.subarray(at, at + bytes)];
      }
    }
    return {
      source: batch.sources[batch.sourceOf[i]!],
      key: batch.keys[i],
      flags: batch.flags[i],
      json: text.toString('utf8', start, batch.textEnds[i]),
      fingerprints: fp,
    };
  });
}

describe('ChangeBatchBuilder', () => {
  it('packs every change so that it decodes back to its source, key, kind, JSON and fingerprint bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 30, size: 'max' }), (changes) => {
        const batch = build(changes);
        expect(batch.count).toBe(changes.length);
        decode(batch).forEach((row, i) => {
          const { source, key, entry } = changes[i]!;
          expect(row.source).toBe(source);
          expect(row.key).toBe(key);
          expect(rowKind(batch.flags, i)).toBe(entry?.kind ?? null);
          if (entry === null) {
            expect(row.flags).toBe(ROW_DELETE);
            expect(row.json).toBe('');
            return;
          }
          expect(JSON.parse(row.json)).toEqual(entry);
          const fp = entry.fingerprints;
          const bits: Array<[keyof typeof FINGERPRINT_AT, number]> = [
            ['pdq', ROW_PDQ],
            ['md5', ROW_MD5],
            ['sha1', ROW_SHA1],
            ['sha256', ROW_SHA256],
          ];
          for (const [kind, bit] of bits) {
            expect((row.flags! & bit) !== 0).toBe(fp[kind] !== undefined);
            if (fp[kind] !== undefined) expect(row.fingerprints![kind]).toEqual([...parseHex(kind, fp[kind])]);
          }
          expect((row.flags! & ROW_VPDQ) !== 0).toBe((fp.vpdq?.length ?? 0) > 0);
          expect((row.flags! & ROW_VIDEO) !== 0).toBe(entry.kind === 'video');
        });
      }),
      { numRuns: 200 },
    );
  });

  it('appending batches packed separately equals packing their changes in one (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(changeArb, { maxLength: 8 }), { maxLength: 5 }), fc.boolean(), (parts, fingerprints) => {
        const appended = new ChangeBatchBuilder({ fingerprints });
        for (const part of parts) appended.append(build(part, fingerprints));
        expect(decode(appended.build())).toEqual(decode(build(parts.flat(), fingerprints)));
      }),
      { numRuns: 100 },
    );
  });

  it('take hands over the same rows as build, leaves the taken batch alone, and starts the builder afresh (property)', () => {
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 40, size: 'max' }), fc.array(changeArb, { maxLength: 40, size: 'max' }), fc.boolean(), (first, second, fingerprints) => {
        const builder = new ChangeBatchBuilder({ fingerprints });
        for (const { source, key, entry } of first) builder.add(source, key, entry);
        const taken = builder.take();
        const before = decode(taken);
        expect(before).toEqual(decode(build(first, fingerprints)));
        for (const { source, key, entry } of second) builder.add(source, key, entry);
        expect(decode(builder.take())).toEqual(decode(build(second, fingerprints)));
        expect(decode(taken)).toEqual(before); // the second batch did not write into the first one's buffers
      }),
      { numRuns: 100 },
    );
  });

  it('truncate drops exactly the rows after the mark, and the builder is reusable after build', () => {
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 20, size: 'max' }), fc.nat(25), (changes, mark) => {
        const builder = new ChangeBatchBuilder();
        for (const c of changes) builder.add(c.source, c.key, c.entry);
        builder.truncate(mark);
        // Rows added after a truncate follow the kept ones directly.
        for (const c of changes.slice(0, 2)) builder.add(c.source, c.key, c.entry);
        expect(decode(builder.build())).toEqual(decode(build([...changes.slice(0, mark), ...changes.slice(0, 2)])));
        for (const c of changes) builder.add(c.source, c.key, c.entry);
        expect(decode(builder.build())).toEqual(decode(build(changes)));
      }),
      { numRuns: 100 },
    );
  });

  it('grows past its first capacity (1024 rows, 64 KiB of text)', () => {
    const entry: ListEntry = { source: 's', id: 'x'.repeat(200), kind: 'image', fingerprints: { md5: 'ab'.repeat(16) } };
    const changes = Array.from({ length: 3000 }, (_, i) => ({ source: 's', key: `k${i}`, entry: i % 7 === 0 ? null : entry }));
    expect(decode(build(changes)).map((r) => [r.key, r.json])).toEqual(changes.map((c) => [c.key, c.entry ? JSON.stringify(c.entry) : '']));
  });

  it('refuses a malformed fingerprint or kind, and the rows before it stay intact', () => {
    const builder = new ChangeBatchBuilder();
    const good: ListEntry = { source: 's', id: '1', kind: 'image', fingerprints: { md5: '00'.repeat(16) } };
    builder.add('s', 'a', good);
    expect(() => builder.add('s', 'b', { ...good, fingerprints: { pdq: 'zz'.repeat(32) } })).toThrow(HashFormatError);
    expect(() => builder.add('s', 'c', { ...good, kind: 'audio' as 'image' })).toThrow(TypeError);
    builder.truncate(1);
    expect(decode(builder.build()).map((r) => r.key)).toEqual(['a']);
  });

  it('skips fingerprints entirely when built without them', () => {
    const batch = build([{ source: 's', key: 'k', entry: { source: 's', id: '1', kind: 'video', fingerprints: { pdq: 'zz' } } }], false);
    expect(batch.fingerprints.length).toBe(0);
    expect(batch.flags[0]).toBe(ROW_VIDEO);
  });
});
