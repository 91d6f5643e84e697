/**
 * fast-check arbitraries for NCMEC `GET /v2/entries` documents, for differential tests of the entries parser.
 *
 * A page is generated as a model (records with deletes, hex / opaque / link-only fingerprints, feedback blocks,
 * odd ids and member ids) plus a seed, and rendered with seeded random formatting: namespace prefixes, mixed-case
 * element names, random white space (CRLF included), either attribute quote, entity and character-reference
 * escaping, CDATA sections, comments and processing instructions in and around content, an optional XML
 * declaration, unknown elements. Text uses an alphabet of XML-special, white-space and non-ASCII characters, but
 * never C1 controls, U+2028 or NEL (characters XML 1.1 treats differently, see the mutation test).
 *
 * @module
 */
import fc from 'fast-check';
import { prng } from './hamming.js';

/** A rendered page: the XML and the character offset just past `</queryResult>` (what follows is only misc). */
export interface RenderedPage {
  xml: string;
  rootEnd: number;
}

interface FingerprintModel {
  name: string;
  value?: string;
  href?: string;
}

interface FeedbackModel {
  vote: 'affirmative' | 'negative';
  type?: string;
  stamp?: string;
  members: Array<{ id: string; name?: string }>;
  reasons: Array<{ guid: string; name?: string; type?: string }>;
}

interface RecordModel {
  tag: 'image' | 'video' | 'deletedImage' | 'deletedVideo';
  memberId?: string;
  memberName?: string;
  id?: string;
  timestamp?: string;
  classification?: string;
  fingerprints: FingerprintModel[];
  feedback: FeedbackModel[];
  unknownChild: boolean;
  /** Permutation key for the order of the child elements. */
  order: number;
}

interface PageModel {
  images: RecordModel[];
  videos: RecordModel[];
  next?: string;
  seed: number;
}

const CHARS = [
  'a', 'b', 'z', 'A', 'Z', '0', '7', '9', '-', '_', '.', ':', '/', '?', '=', '#', '%', ' ', ' ', '\t', '\n', '\r',
  '<', '>', '&', '"', "'", ']', ';', 'é', 'ü', 'ß', '中', '文', '😀', '𝄞', '\u00a0', '\u200b', '\ufeff',
];
const text = (maxLength = 12) => fc.string({ unit: fc.constantFrom(...CHARS), maxLength });
const hexDigits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
const timestamp = fc.oneof(
  fc.constant('2025-01-31T17:50:00Z'),
  fc.constant('2017-10-24T15:00:00.000Z'),
  fc.constant(' 2019-11-25T00:00:00Z\n'),
  fc.constant('not a date'),
  text(8),
);

const fingerprint: fc.Arbitrary<FingerprintModel> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(['md5', 16], ['sha1', 20], ['sha256', 32], ['pdq', 32]).chain(([name, bytes]) => fc.record({ name: fc.constant(name as string), value: hexDigits((bytes as number) * 2) })) },
  { weight: 1, arbitrary: fc.record({ name: fc.constantFrom('md5', 'pdq'), value: fc.oneof(hexDigits(8), text(), hexDigits(64).map((h) => ` ${h}\n`)) }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constantFrom('pdna', 'custom', 'tmk-pdqf', 'x.y'), value: text().filter((t) => t.trim() !== '') }) },
  { weight: 2, arbitrary: fc.record({ name: fc.constantFrom('tmk-pdqf', 'videntifier'), href: fc.oneof(fc.constant('/v2/entries/1/fingerprints/TMK_PDQF'), text(10)) }) },
);

const feedback: fc.Arbitrary<FeedbackModel> = fc.record(
  {
    vote: fc.constantFrom('affirmative' as const, 'negative' as const),
    type: fc.constantFrom('Md5', 'Sha1', 'Pdq'),
    stamp: fc.constantFrom('2023-06-01T12:48:14Z', '2023-05-31T19:41:51Z'),
    members: fc.array(fc.record({ id: fc.constantFrom('42', '7001', 'x&y'), name: text(8) }, { requiredKeys: ['id'] }), { maxLength: 2 }),
    reasons: fc.array(fc.record({ guid: fc.constantFrom('01234567-abcd-0123-4567-012345678900', 'g<1>'), name: text(8), type: fc.constant('Sha1') }, { requiredKeys: ['guid'] }), { maxLength: 2 }),
  },
  { requiredKeys: ['vote', 'members', 'reasons'] },
);

const record: fc.Arbitrary<RecordModel> = fc.record(
  {
    tag: fc.constantFrom('image' as const, 'video' as const, 'deletedImage' as const, 'deletedVideo' as const),
    memberId: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('42', '7001') }, { weight: 1, arbitrary: text(6) }),
    memberName: text(),
    id: fc.oneof({ weight: 5, arbitrary: fc.stringMatching(/^[a-z]{1,3}-[0-9]{1,5}$/) }, { weight: 2, arbitrary: text() }),
    timestamp,
    classification: fc.oneof(fc.constantFrom('A1', 'A2', 'B1'), text(4)),
    fingerprints: fc.array(fingerprint, { maxLength: 4 }),
    feedback: fc.array(feedback, { maxLength: 2 }),
    unknownChild: fc.boolean(),
    order: fc.nat(),
  },
  { requiredKeys: ['tag', 'fingerprints', 'feedback', 'unknownChild', 'order'] },
);

/** Random pages as models; render with {@link renderPage}. */
export const entriesPageModel: fc.Arbitrary<PageModel> = fc.record(
  {
    images: fc.array(record, { maxLength: 5 }),
    videos: fc.array(record, { maxLength: 3 }),
    next: fc.constantFrom('/v2/entries?from=2017-10-20T00%3A00%3A00.000Z&to=2017-10-30T00%3A00%3A00.000Z&start=2001&size=1000&max=3000', 'x<&>y'),
    seed: fc.integer(),
  },
  { requiredKeys: ['images', 'videos', 'seed'] },
);

/** Random rendered pages. */
export const entriesPage: fc.Arbitrary<RenderedPage> = entriesPageModel.map(renderPage);

/** A position anywhere in a body of any length, uniformly (fast-check's default bias favours small values). */
export const position = fc.noBias(fc.nat({ max: 0x7fffffff }));

/** Cut points for splitting a body into chunks: see {@link splitBytes}. */
export const chunkCuts = fc.array(position, { maxLength: 8 });

/** Splits `bytes` at the given positions modulo its length (cuts may fall inside multi-byte characters). */
export function splitBytes(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** The chunks as the async iterable the parsers take. */
export async function* body(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Renders a page model as XML with seeded random (but always well-formed) formatting. */
export function renderPage(page: PageModel): RenderedPage {
  const rnd = prng(page.seed);
  const chance = (p: number) => rnd() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const prefix = chance(0.3) ? pick(['ns:', 'h:', 'a.b-c:']) : '';

  const space = () => (chance(0.5) ? '' : pick([' ', '\n', '\n    ', '\r\n  ', '\t', ' \n\t ']));
  const misc = (): string => {
    if (chance(0.85)) return space();
    return pick([
      () => `<!--${pick([' comment ', '', '- a-b <x> & ]]> ', 'é😀'])}-->`,
      () => `<?pi ${pick(['data', 'a="1" ?', ''])}?>`,
      () => '<?target-only?>',
    ])();
  };
  const name = (local: string): string => {
    let n = local;
    if (chance(0.15)) n = [...n].map((c) => (chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
    return (chance(0.9) ? prefix : '') + n;
  };
  const charRef = (c: string) => (chance(0.5) ? `&#${c.codePointAt(0)};` : `&#x${c.codePointAt(0)!.toString(16)};`);
  /** `value` as character data after `before` (what the element's content already holds). */
  const escapeText = (value: string, before: string): string => {
    let out = '';
    for (const c of value) {
      if (c === '<') out += pick(['&lt;', '&#60;', '&#x3C;']);
      else if (c === '&') out += pick(['&amp;', '&#38;', '&#x26;']);
      // "]]>" may not appear in character data, also when its "]]" ended the piece before.
      else if (c === '>') out += (before.slice(-2) + out).endsWith(']]') || chance(0.5) ? '&gt;' : '>';
      else if (c === '"' && chance(0.5)) out += '&quot;';
      else if (c === "'" && chance(0.5)) out += '&apos;';
      else if (c === '\r' && chance(0.5)) out += '&#13;';
      else if (chance(0.05)) out += charRef(c);
      else out += c;
    }
    return out;
  };
  // Text content: escaped text, CDATA sections and comments, in random pieces.
  const content = (value: string): string => {
    if (value === '' && chance(0.7)) return '';
    const chars = [...value];
    let out = '';
    let i = 0;
    while (i < chars.length) {
      const n = 1 + Math.floor(rnd() * chars.length);
      const piece = chars.slice(i, i + n).join('');
      i += n;
      if (chance(0.2)) out += `<![CDATA[${piece.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
      else out += escapeText(piece, out);
      if (chance(0.05)) out += pick(['<!-- in text -->', '<?pi in text?>']);
    }
    return out;
  };
  const attr = (attrName: string, value: string): string => {
    const q = chance(0.7) ? '"' : "'";
    let out = '';
    for (const c of value) {
      if (c === '<') out += '&lt;';
      else if (c === '&') out += pick(['&amp;', '&#38;']);
      else if (c === q) out += q === '"' ? '&quot;' : '&apos;';
      else if ((c === '\t' || c === '\n' || c === '\r') && chance(0.5)) out += charRef(c);
      else out += c;
    }
    const eq = pick(['=', ' = ', '=\n']);
    return ` ${pick(['', ' ', '\n'])}${attrName}${eq}${q}${out}${q}`;
  };
  const element = (local: string, attrs: string, inner: string): string => {
    const n = name(local);
    if (inner === '' && chance(0.5)) return `<${n}${attrs}${pick(['', ' ', '\n'])}/>`;
    return `<${n}${attrs}${pick(['', ' '])}>${inner}</${n}${pick(['', ' ', '\n'])}>`;
  };

  const renderFeedback = (votes: FeedbackModel[]): string => {
    const parts = votes.map((f) => {
      const members = f.members.map((m) => element('member', attr('id', m.id), content(m.name ?? ''))).join(space());
      const membersXml = element('members', attr('timestamp', '2023-06-01T12:48:14Z'), members);
      const reasons = f.reasons.map((r) => element('reason', attr('guid', r.guid) + (r.name === undefined ? '' : attr('name', r.name)) + (r.type ? attr('type', r.type) : ''), '')).join(space());
      const inner = f.reasons.length > 0 ? element('reasons', '', reasons + space() + membersXml) : membersXml;
      const attrs = (f.type ? attr('type', f.type) : '') + (f.stamp ? attr('lastUpdateTimestamp', f.stamp) : '');
      return element(f.vote === 'affirmative' ? 'affirmativeFeedback' : 'negativeFeedback', attrs, space() + inner + space());
    });
    return element('feedback', attr('lastUpdateTimestamp', '2023-06-01T12:48:14Z'), parts.join(space()));
  };

  const renderRecord = (r: RecordModel): string => {
    const children: string[] = [];
    if (r.memberId !== undefined || r.memberName !== undefined) {
      children.push(element('member', r.memberId === undefined ? '' : attr(chance(0.05) ? 'ID' : 'id', r.memberId), content(r.memberName ?? '')));
    }
    if (r.id !== undefined) children.push(element('id', '', content(r.id)));
    if (r.timestamp !== undefined) children.push(element('timestamp', '', content(r.timestamp)));
    if (r.classification !== undefined) children.push(element('classification', '', content(r.classification)));
    if (!r.tag.startsWith('deleted') || chance(0.2)) {
      const fps = r.fingerprints.map((f) => {
        const attrs = (f.href === undefined ? '' : attr('rel', 'self') + attr('href', f.href)) + (chance(0.1) ? attr('extra', 'x') : '');
        return element(f.name, attrs, f.value === undefined ? (chance(0.3) ? pick([' ', '\n']) : '') : content(f.value));
      });
      children.push(element('fingerprints', '', space() + fps.join(space()) + space()));
    }
    if (r.feedback.length > 0) children.push(renderFeedback(r.feedback));
    if (r.unknownChild) children.push(element('extra', attr('a', '1'), content('ignored') + element('nested', '', '')));
    // A stable shuffle driven by the model, so shrinking keeps the order.
    const rotated = children.length === 0 ? children : children.map((_, i) => children[(i + r.order) % children.length]!);
    return element(r.tag, '', space() + rotated.map((c) => c + misc()).join('') + space());
  };

  const block = (local: string, records: RecordModel[]) =>
    element(local, attr('count', String(records.length)), records.map((r) => misc() + renderRecord(r)).join('') + misc());

  const blocks = [block('images', page.images), block('videos', page.videos)];
  if (chance(0.3)) blocks.reverse();
  let inner = blocks.join(misc());
  if (page.next !== undefined) inner += misc() + element('paging', '', element('next', '', content(page.next)));
  if (chance(0.2)) inner += misc() + element('extra', '', element('image', '', element('id', '', 'not a record')));

  const rootName = name('queryResult');
  const ns = prefix ? ` xmlns:${prefix.slice(0, -1)}="https://hashsharing.ncmec.org/hashsharing/v2"` : '';
  let xml = '';
  if (chance(0.5)) {
    xml += pick([
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
      "<?xml version='1.0'?>",
      '<?xml version = "1.0" encoding = \'utf-8\' ?>',
    ]);
  }
  xml += misc() + misc();
  xml += `<${rootName} xmlns="https://hashsharing.ncmec.org/hashsharing/v2"${ns}>${misc()}${inner}${misc()}</${rootName}>`;
  const rootEnd = xml.length;
  xml += misc() + misc();
  return { xml, rootEnd };
}
