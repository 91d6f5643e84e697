import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { body, chunkCuts, entriesPage, position, splitBytes } from '../../../test/helpers/ncmec-entries-arbitrary.js';
import { type ChangeBatch, ChangeBatchBuilder, FINGERPRINT_AT, FINGERPRINT_ROW_BYTES, ROW_MD5, ROW_PDQ, ROW_SHA1, ROW_SHA256, textStart } from '../../list/change-batch.js';
import { prepareUpdates } from '../apply.js';
import { parseEntriesPage } from './entries-xml.js';

const HEX = '0123456789abcdef';
const hex = (n: number, seed: number) => Array.from({ length: n }, (_, i) => HEX[(seed * 7 + i * 13) % 16]).join('');
const MD5 = hex(32, 1);
const SHA1 = hex(40, 2);
const SHA256 = hex(64, 3);
const PDQ = hex(64, 4);

/** A text from the usual values, or one of the shapes the fast path must leave to the scanner. */
const text = (usual: string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...usual) },
    { weight: 1, arbitrary: fc.constantFrom('', ' x', 'x ', 'a&amp;b', 'a"b', 'a\\b', 'é', 'a&#x41;', 'a>b', "it's", 'x'.repeat(1100)) },
  );
const space = fc.constantFrom('', '', '', ' ', '\n      ', '\t', '\r\n');
const fingerprint = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(`<md5>${MD5}</md5>`, `<sha1>${SHA1}</sha1>`, `<sha256>${SHA256}</sha256>`, `<pdq>${PDQ}</pdq>`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `<md5>${MD5.toUpperCase()}</md5>`,
      `<md5>${MD5.slice(2)}</md5>`,
      `<pdq> ${PDQ}</pdq>`,
      '<pdna>opaque</pdna>',
      '<tmk-pdqf rel="self" href="/v2/x"/>',
      `<MD5>${MD5}</MD5>`,
    ),
  },
);
const record = fc.record({
  tag: fc.constantFrom('image', 'image', 'video', 'deletedImage', 'deletedVideo', 'Image'),
  member: fc.option(fc.tuple(text(['7001', '42']), text(['Take It Down', 'Example Member', ''])), { freq: 8, nil: undefined }),
  id: fc.option(text(['img-1', 'img-2', 'vid-1', 'tid 3']), { freq: 10, nil: undefined }),
  timestamp: fc.option(text(['2025-01-31T17:50:00Z', '2025-01-31T17:50:01Z', '2025-01-31T19:50:00.5+02:00', 'not a time']), { freq: 6, nil: undefined }),
  classification: fc.option(text(['A1', 'B2']), { freq: 4, nil: undefined }),
  fingerprints: fc.option(fc.array(fingerprint, { maxLength: 4 }), { freq: 8, nil: undefined }),
  feedback: fc.constantFrom('', '', '<feedback/>', '<feedback><affirmativeFeedback type="Md5"><members><member id="1">M</member></members></affirmativeFeedback></feedback>'),
  order: fc.nat(),
  spaces: fc.array(space, { minLength: 8, maxLength: 8 }),
});
type RecordModel = typeof record extends fc.Arbitrary<infer T> ? T : never;

function renderRecord(r: RecordModel): string {
  const children: string[] = [];
  if (r.member) children.push(`<member id="${r.member[0]}">${r.member[1]}</member>`);
  if (r.id !== undefined) children.push(`<id>${r.id}</id>`);
  if (r.timestamp !== undefined) children.push(`<timestamp>${r.timestamp}</timestamp>`);
  if (r.classification !== undefined) children.push(`<classification>${r.classification}</classification>`);
  if (r.fingerprints) children.push(`<fingerprints>${r.fingerprints.map((f, i) => r.spaces[i]! + f).join('')}</fingerprints>`);
  if (r.feedback) children.push(r.feedback);
  const rotated = children.map((_, i) => children[(i + r.order) % children.length]!);
  return `<${r.tag}>${rotated.map((c, i) => r.spaces[4 + (i % 4)]! + c).join('')}${r.spaces[7]}</${r.tag}>`;
}

const usualPage = fc
  .record({
    images: fc.array(record, { maxLength: 12 }),
    videos: fc.array(record, { maxLength: 6 }),
    gap: fc.constantFrom('', '\n    ', ' '.repeat(300), '<!-- between -->', '\r\n'),
  })
  .map(
    ({ images, videos, gap }) =>
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">\n  ' +
      `<images count="${images.length}">${images.map((r) => gap + renderRecord(r)).join('')}${gap}</images>\n  ` +
      `<videos count="${videos.length}">${videos.map((r) => gap + renderRecord(r)).join('')}</videos>\n  ` +
      '<paging><next>/v2/entries?start=2&amp;size=1</next></paging>\n</queryResult>\n',
  );

/** What the general path gives: parsed, then prepared and packed by hand. */
async function general(chunks: Uint8Array[], fingerprints: boolean) {
  const page = await parseEntriesPage(body(chunks), 'ncmec');
  const prepared = prepareUpdates('ncmec', page.updates);
  const builder = new ChangeBatchBuilder({ fingerprints });
  for (const u of prepared.updates) builder.add('ncmec', u.key, u.entry);
  return { batch: builder.build(), skipped: [...page.skipped, ...prepared.skipped], next: page.next };
}

/** A batch as plain rows: only the fingerprint bytes its flags say are there. */
function rows(batch: ChangeBatch) {
  const text = Buffer.from(batch.text);
  return Array.from({ length: batch.count }, (_, i) => {
    const f = batch.flags[i]!;
    const fp = (bit: number, at: number, n: number) => (f & bit ? Buffer.from(batch.fingerprints.subarray(i * FINGERPRINT_ROW_BYTES + at, i * FINGERPRINT_ROW_BYTES + at + n)).toString('hex') : undefined);
    return {
      source: batch.sources[batch.sourceOf[i]!],
      key: batch.keys[i],
      flags: f,
      json: text.toString('utf8', textStart(batch, i), batch.textEnds[i]!),
      fingerprints: [fp(ROW_PDQ, FINGERPRINT_AT.pdq, 32), fp(ROW_MD5, FINGERPRINT_AT.md5, 16), fp(ROW_SHA1, FINGERPRINT_AT.sha1, 20), fp(ROW_SHA256, FINGERPRINT_AT.sha256, 32)],
    };
  });
}

/** Mostly null (the whole page); one time in four, where to cut it. */
const sometimesCut = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: position });

const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();

async function expectSameAsGeneral(xml: string, cuts: number[], fingerprints: boolean): Promise<number> {
  const bytes = Buffer.from(xml, 'utf8');
  const expected = await general(splitBytes(bytes, cuts), fingerprints).catch((err: Error) => err);
  const actual = await parseEntriesPage(body(splitBytes(bytes, cuts)), 'ncmec', {}, { fingerprints }).catch((err: Error) => err);
  if (expected instanceof Error) {
    expect(actual).toBeInstanceOf(Error);
    expect((actual as { code?: string }).code).toBe((expected as { code?: string }).code);
    // Same problem at the same offset; the excerpt after it may be shorter (the scanner saw the text in pieces).
    const withoutExcerpt = (err: Error) => err.message.replace(/ \(near .*\)$/s, '');
    expect(withoutExcerpt(actual as Error)).toBe(withoutExcerpt(expected));
    return 0;
  }
  if (actual instanceof Error) throw actual;
  expect(actual.updates).toEqual([]);
  expect(rows(actual.batch!)).toEqual(rows(expected.batch));
  expect(sorted(actual.skipped)).toEqual(sorted(expected.skipped));
  expect(actual.next).toBe(expected.next);
  return actual.fastRecords!;
}

describe('packed entries pages (fast path and scanner together)', () => {
  it('pack exactly what parsing, preparing and packing give, for usual and unusual records and any chunking (property)', async () => {
    let fast = 0;
    await fc.assert(
      fc.asyncProperty(usualPage, chunkCuts, fc.boolean(), sometimesCut, async (xml, cuts, fingerprints, cut) => {
        // Sometimes truncated: the error must be the scanner's, at the same offset.
        fast += await expectSameAsGeneral(cut === null ? xml : xml.slice(0, cut % xml.length), cuts, fingerprints);
      }),
      { numRuns: 400 },
    );
    expect(fast).toBeGreaterThan(40); // the fast path did take records, not only the scanner (about 90 expected)
  });

  it('pack exactly what the general path gives for arbitrarily formatted pages, whole or truncated (property)', async () => {
    await fc.assert(
      fc.asyncProperty(entriesPage, chunkCuts, fc.boolean(), sometimesCut, async (page, cuts, fingerprints, cut) => {
        await expectSameAsGeneral(cut === null ? page.xml : page.xml.slice(0, cut % page.xml.length), cuts, fingerprints);
      }),
      { numRuns: 150 },
    );
  });

  it('reads every usual record on the fast path, pretty-printed or not, whole or in small chunks', async () => {
    const rec = (i: number, nl: string) =>
      `<image>${nl}<member id="7001">Take It Down</member>${nl}<timestamp>2025-01-31T17:50:0${i}Z</timestamp>${nl}<id>tid-${i}</id>${nl}` +
      `<classification>A1</classification>${nl}<fingerprints>${nl}<md5>${MD5}</md5>${nl}<pdq>${PDQ}</pdq>${nl}</fingerprints>${nl}<feedback/>${nl}</image>`;
    for (const nl of ['', '\n        ']) {
      const xml = `<queryResult><images count="5">${[0, 1, 2, 3, 4].map((i) => nl + rec(i, nl)).join('')}${nl}</images>` +
        `<videos count="1"><deletedVideo><member id="42">M</member><id>v</id><timestamp>2025-01-31T17:52:54Z</timestamp></deletedVideo></videos></queryResult>`;
      const bytes = Buffer.from(xml);
      expect(await expectSameAsGeneral(xml, [], true)).toBe(6);
      // 40-byte chunks: every record arrives in pieces and is put together before the fast path reads it.
      expect(await expectSameAsGeneral(xml, Array.from({ length: Math.ceil(bytes.length / 40) }, (_, k) => k * 40), true)).toBe(6);
    }
  });

  it('leaves a record over 64 KiB to the scanner, which refuses an element text over 1 MiB', async () => {
    const huge = `<queryResult><images><image><member id="1">${'n'.repeat(1024 * 1024 + 1)}</member><id>a</id><fingerprints><md5>${MD5}</md5></fingerprints></image></images></queryResult>`;
    expect(await expectSameAsGeneral(huge, [], true)).toBe(0);
    const long = huge.replace(/n+/, 'n'.repeat(70 * 1024));
    expect(await expectSameAsGeneral(long, [], true)).toBe(0);
  });

  it('gives the general result for a page of records that never close the usual way', async () => {
    const xml = `<queryResult><images>${'<image><id>x</id></image >'.repeat(5000)}<image><member id="1">M</member><id>a</id><fingerprints><md5>${MD5}</md5></fingerprints></image></images></queryResult>`;
    expect(await expectSameAsGeneral(xml, [], true)).toBe(1);
  });

  it('reads a body whose chunks come in one Buffer, refilled between reads', async () => {
    const rec = (i: number) => `<image><member id="7">M</member><id>r${i}</id><fingerprints><md5>${MD5}</md5></fingerprints></image>`;
    const xml = Buffer.from(`<queryResult><images>${Array.from({ length: 40 }, (_, i) => rec(i)).join('')}</images></queryResult>`);
    const size = 100;
    async function* refilled(): AsyncGenerator<Uint8Array> {
      const chunk = Buffer.alloc(size);
      for (let at = 0; at + size <= xml.length; at += size) {
        xml.copy(chunk, 0, at, at + size);
        yield chunk;
      }
      yield xml.subarray(xml.length - (xml.length % size));
    }
    const page = await parseEntriesPage(refilled(), 'ncmec', {}, { fingerprints: true });
    expect(page.batch!.keys).toEqual(Array.from({ length: 40 }, (_, i) => `7-r${i}`));
    expect(rows(page.batch!)).toEqual(rows((await general([xml], true)).batch));

    // The refilled Buffer holds a mismatched end tag where the last chunk had the record's: still an error.
    const body = `<image><member id="1">M</member><id>a</id><fingerprints><md5>${MD5}</md5></fingerprints>`;
    const first = Buffer.from(`<queryResult><images>${body}</image>`);
    const second = Buffer.from(`${' '.repeat(21)}${body}</imagf>`);
    async function* sameBuffer(): AsyncGenerator<Uint8Array> {
      const chunk = Buffer.from(first);
      yield chunk;
      second.copy(chunk);
      yield chunk;
      yield Buffer.from('</images></queryResult>');
    }
    await expect(parseEntriesPage(sameBuffer(), 'ncmec', {}, { fingerprints: true })).rejects.toMatchObject({ code: 'SYNC_MALFORMED_RESPONSE' });
  });

  it('reports a truncated page whose last record was held back, with the scanner\'s error', async () => {
    const xml = `<queryResult><images><image><member id="1">M</member><id>a</id><fingerprints><md5>${MD5}</md5></fingerprints>`;
    const err = await parseEntriesPage(body([Buffer.from(xml)]), 'ncmec', {}, { fingerprints: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SYNC_MALFORMED_RESPONSE' });
    expect((err as Error).message).toMatch(/truncated/);
  });
});
