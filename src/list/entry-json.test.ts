import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeBatchBuilder, FINGERPRINT_AT, FINGERPRINT_ROW_BYTES, ROW_FP_CANONICAL, ROW_MD5, ROW_PDQ, ROW_SHA1, ROW_SHA256, textStart } from './change-batch.js';
import { restoreFingerprints, type StrippedKind, strippableBits, stripFingerprints } from './entry-json.js';
import type { ListEntry } from '../sync/types.js';

const BYTES: Record<StrippedKind, number> = { md5: 16, sha1: 20, sha256: 32, pdq: 32 };
const BITS: Record<StrippedKind, number> = { md5: ROW_MD5, sha1: ROW_SHA1, sha256: ROW_SHA256, pdq: ROW_PDQ };
const ALL = strippableBits(true);

/** Packs `entry` as the list receives it, then strips and restores its JSON with the row's own fingerprint bytes. */
function roundTrip(entry: ListEntry, json?: string, bits = ALL): { original: string; held: string; restored: string; flags: number } {
  const builder = new ChangeBatchBuilder();
  builder.add(entry.source, entry.id, entry, json);
  const batch = builder.build();
  const text = Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength);
  const start = textStart(batch, 0);
  const end = batch.textEnds[0]!;
  const out = Buffer.alloc(end - start);
  const flags = batch.flags[0]!;
  const n = stripFingerprints(text, start, end, flags, flags & bits, batch.fingerprints, 0, out);
  const held = out.toString('utf8', 0, n);
  const restored = restoreFingerprints(held, (kind) => {
    if ((flags & BITS[kind]) === 0) return undefined;
    const at = FINGERPRINT_AT[kind];
    return Buffer.from(batch.fingerprints.subarray(at, at + BYTES[kind])).toString('hex');
  });
  return { original: text.toString('utf8', start, end), held, restored, flags };
}

const hexArb = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
/** Hex as a list may send it: mostly lowercase, sometimes uppercase or mixed. */
const sentHex = (bytes: number) =>
  fc.tuple(hexArb(bytes), fc.constantFrom('lower', 'lower', 'lower', 'upper', 'mixed')).map(([h, c]) =>
    c === 'lower' ? h : c === 'upper' ? h.toUpperCase() : [...h].map((ch, i) => (i % 3 === 0 ? ch.toUpperCase() : ch)).join(''),
  );
/** Text heavy in what JSON escapes or what the stripping looks for: quotes, backslashes, control bytes, braces. */
const textArb = fc.string({ unit: fc.constantFrom('a', '0', '"', '\\', '\u0001', '\u0004', '\n', 'é', '😀', '{', '}', ',', ':'), maxLength: 12 });

const entryArb: fc.Arbitrary<ListEntry> = fc
  .record(
    {
      md5: sentHex(16),
      sha1: sentHex(20),
      sha256: sentHex(32),
      pdq: sentHex(32),
      // Fingerprints the list does not index, some with quotes, backslashes and markers' neighbours in them.
      pdna: textArb,
      'md5 ': textArb,
    },
    { requiredKeys: [] },
  )
  .chain((fp) =>
    fc.record({
      source: fc.constantFrom('ncmec', 'a"b\\c', 'é'),
      id: textArb,
      kind: fc.constantFrom('image' as const, 'video' as const),
      fingerprints: fc.shuffledSubarray(Object.keys(fp)).map((keys) => Object.fromEntries(keys.map((k) => [k, fp[k as keyof typeof fp]]))),
      // Metadata that repeats a fingerprint's hex, and its name, elsewhere in the JSON.
      metadata: fc.constant({ md5: fp.md5 ?? 'none', note: `"md5":"${fp.md5 ?? ''}"` }),
    }),
  )
  .chain((entry) =>
    fc.oneof(
      fc.constant(entry),
      // Metadata first, with a fingerprints object of its own (same or other hex) before the entry's.
      fc.tuple(hexArb(16), hexArb(32)).map(([md5, pdq]) => {
        const { metadata, ...rest } = entry;
        return { metadata: { ...metadata, fingerprints: { md5, pdq, sha1: (entry.fingerprints as Record<string, string>).sha1 ?? md5 } }, ...rest };
      }),
    ),
  ) as fc.Arbitrary<ListEntry>;

describe('entry JSON without the indexed fingerprints', () => {
  it('puts back exactly the JSON it took apart, for any entry (property)', () => {
    fc.assert(
      fc.property(entryArb, fc.constantFrom(ALL, strippableBits(false), 0), (entry, bits) => {
        const { original, held, restored } = roundTrip(entry, undefined, bits);
        expect(restored).toBe(original);
        expect(held.length).toBeLessThanOrEqual(original.length);
      }),
      { numRuns: 400 },
    );
  });

  it('takes out every lowercase hex value of an indexed kind, and nothing else', () => {
    fc.assert(
      fc.property(entryArb, (entry) => {
        const { original, held, flags } = roundTrip(entry);
        const fp = entry.fingerprints as Record<string, string | undefined>;
        const taken = (['md5', 'sha1', 'sha256', 'pdq'] as const).filter((k) => fp[k] !== undefined && fp[k] === fp[k]!.toLowerCase());
        // Uppercase hex is not the index's spelling: that value, and (scanning stops there) those after it, stay.
        const allLower = taken.length === (['md5', 'sha1', 'sha256', 'pdq'] as const).filter((k) => fp[k] !== undefined).length;
        const ownFirst = Object.keys(entry)[0] === 'source';
        expect((flags & ROW_FP_CANONICAL) !== 0).toBe(allLower && ownFirst);
        if (allLower && ownFirst) {
          expect(held.length).toBe(original.length - taken.reduce((n, k) => n + 2 * BYTES[k] + 1, 0));
          expect([...held].filter((c) => c.charCodeAt(0) >= 1 && c.charCodeAt(0) <= 4).map((c) => c.charCodeAt(0)).sort()).toEqual(
            taken.map((k) => ['md5', 'sha1', 'sha256', 'pdq'].indexOf(k) + 1).sort(),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('compares JSON it was not vouched for with the fingerprint bytes, and keeps what differs', () => {
    const entry: ListEntry = { source: 'ncmec', id: '1', kind: 'image', fingerprints: { md5: 'ab'.repeat(16), sha1: 'cd'.repeat(20) } };
    // The caller's JSON spells a different MD5 than the entry object the slab was packed from.
    const json = JSON.stringify({ ...entry, fingerprints: { md5: 'ef'.repeat(16), sha1: 'cd'.repeat(20) } });
    const { held, restored, flags } = roundTrip(entry, json);
    expect(flags & ROW_FP_CANONICAL).toBe(0);
    expect(restored).toBe(json);
    expect(held).toContain('ef'.repeat(16));
  });

  it('leaves a fingerprints object nested in metadata before the entry\'s own as it is', () => {
    const own = { md5: 'ab'.repeat(16), pdq: 'cd'.repeat(32) };
    const entry = { metadata: { fingerprints: { md5: 'ef'.repeat(16), pdq: '01'.repeat(32) } }, source: 'ncmec', id: '1', kind: 'image', fingerprints: own } as unknown as ListEntry;
    const { original, held, restored, flags } = roundTrip(entry);
    expect(flags & ROW_FP_CANONICAL).toBe(0);
    expect(restored).toBe(original);
    expect(held).toContain('ef'.repeat(16));
  });

  it('copies JSON without a fingerprints object unchanged', () => {
    const json = Buffer.from('{"source":"s","fingerprints":[1],"x":"\\u0001"}');
    const out = Buffer.alloc(json.length);
    const slab = new Uint8Array(FINGERPRINT_ROW_BYTES);
    expect(out.toString('utf8', 0, stripFingerprints(json, 0, json.length, ROW_MD5, ROW_MD5, slab, 0, out))).toBe(json.toString());
  });

  it('refuses to put back a fingerprint the indexes do not have', () => {
    expect(() => restoreFingerprints('{"fingerprints":{"md5":\u0001}}', () => undefined)).toThrow(/md5 is not in its index/);
  });
});
