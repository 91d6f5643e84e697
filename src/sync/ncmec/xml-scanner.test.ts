import fc from 'fast-check';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { entriesPage } from '../../../test/helpers/ncmec-entries-arbitrary.js';
import { type XmlContentHandler, XmlScanner, type XmlScannerOptions, XmlSyntaxError } from './xml-scanner.js';

type Token =
  | ['start', string, Record<string, string>]
  | ['end', string]
  | ['text', string]
  | ['comment', string]
  | ['pi', string, string];

/** A handler that records tokens, merging adjacent text pieces (text may arrive in any number of pieces). */
function recorder(): { handler: XmlContentHandler; tokens: Token[] } {
  const tokens: Token[] = [];
  const handler: XmlContentHandler = {
    startElement: (name, tag) => {
      expect(tag.name).toBe(name);
      expect(tag.attributeCount).toBe(Object.keys(tag.attributes()).length);
      tokens.push(['start', name, tag.attributes()]);
    },
    endElement: (name) => tokens.push(['end', name]),
    text: (text) => {
      expect(text.length).toBeGreaterThan(0);
      const last = tokens.at(-1);
      if (last?.[0] === 'text') last[1] += text;
      else tokens.push(['text', text]);
    },
    comment: (text) => tokens.push(['comment', text]),
    processingInstruction: (target, data) => tokens.push(['pi', target, data]),
  };
  return { handler, tokens };
}

/** Scans `pieces` (one write each) and returns the tokens. */
function scan(pieces: string | readonly string[], options?: XmlScannerOptions): Token[] {
  const { handler, tokens } = recorder();
  const scanner = new XmlScanner(handler, options);
  for (const piece of typeof pieces === 'string' ? [pieces] : pieces) scanner.write(piece);
  scanner.end();
  return tokens;
}

/** The syntax error scanning `pieces` throws (fails the test if none). */
function syntaxError(pieces: string | readonly string[], options?: XmlScannerOptions): XmlSyntaxError {
  try {
    scan(pieces, options);
  } catch (err) {
    expect(err).toBeInstanceOf(XmlSyntaxError);
    return err as XmlSyntaxError;
  }
  throw new Error(`expected an XmlSyntaxError for ${JSON.stringify(pieces).slice(0, 200)}`);
}

/** Every split of `xml` into two writes, plus one character per write. */
function splits(xml: string): string[][] {
  const out: string[][] = [[...xml]];
  for (let i = 0; i <= xml.length; i++) out.push([xml.slice(0, i), xml.slice(i)]);
  return out;
}

const SMALL = `<?xml version="1.0" encoding="UTF-8"?>
<!-- lead --><?style href="a.css"?>
<ns:root xmlns:ns="urn:x" a='1 &gt; 0' b = "x>y&amp;z" c="&#x1F600;&#65;">
  text &lt;&amp;&gt;&apos;&quot; &#233;&#xe9; é😀
  <![CDATA[ raw <&> ]] ]]><empty/><e x="1" />
  <!-- inner - comment --><?pi data ?>
  <Mixed.Case-1 n:s="v">a]b]]c</Mixed.Case-1>
</ns:root>
<!-- trail --> `;

describe('XmlScanner', () => {
  it('reports start, end and self-closing tags, attributes, text, comments and processing instructions in order', () => {
    expect(scan(SMALL)).toEqual([
      ['comment', ' lead '],
      ['pi', 'style', 'href="a.css"'],
      ['start', 'ns:root', { 'xmlns:ns': 'urn:x', a: '1 > 0', b: 'x>y&z', c: '😀A' }],
      ['text', "\n  text <&>'\" éé é😀\n   raw <&> ]] "],
      ['start', 'empty', {}],
      ['end', 'empty'],
      ['start', 'e', { x: '1' }],
      ['end', 'e'],
      ['text', '\n  '],
      ['comment', ' inner - comment '],
      ['pi', 'pi', 'data '],
      ['text', '\n  '],
      ['start', 'Mixed.Case-1', { 'n:s': 'v' }],
      ['text', 'a]b]]c'],
      ['end', 'Mixed.Case-1'],
      ['text', '\n'],
      ['end', 'ns:root'],
      ['comment', ' trail '],
    ]);
  });

  it('gives the same tokens for every split of a document into writes', () => {
    const whole = scan(SMALL);
    for (const pieces of splits(SMALL)) expect(scan(pieces)).toEqual(whole);
  });

  it('gives the same tokens however a generated entries page is split into writes (random splits)', () => {
    fc.assert(
      fc.property(entriesPage, fc.array(fc.nat(), { maxLength: 10 }), (page, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (page.xml.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...points].map((p, i) => page.xml.slice(p, points[i] ?? page.xml.length));
        expect(scan(pieces)).toEqual(scan(page.xml));
      }),
      { numRuns: 200 },
    );
  });

  it('reports the same content as saxes for generated entries pages', () => {
    fc.assert(
      fc.property(entriesPage, (page) => {
        const tokens: Token[] = [];
        const saxes = new SaxesParser({ xmlns: false, position: false });
        let depth = 0;
        const text = (t: string) => {
          if (depth === 0 || t === '') return; // saxes reports white space outside the root too
          const last = tokens.at(-1);
          if (last?.[0] === 'text') last[1] += t;
          else tokens.push(['text', t]);
        };
        saxes.on('opentag', (tag) => {
          depth++;
          tokens.push(['start', tag.name, { ...(tag.attributes as Record<string, string>) }]);
        });
        saxes.on('closetag', (tag) => {
          depth--;
          tokens.push(['end', tag.name]);
        });
        saxes.on('text', text);
        saxes.on('cdata', text);
        saxes.on('comment', (t) => tokens.push(['comment', t]));
        saxes.on('processinginstruction', (pi) => tokens.push(['pi', pi.target, pi.body]));
        saxes.write(page.xml).close();
        expect(scan(page.xml)).toEqual(tokens);
      }),
      { numRuns: 200 },
    );
  });

  describe('references', () => {
    it('resolves the predefined entities and decimal and hex character references, in text and attributes', () => {
      expect(scan('<a v="&lt;&gt;&amp;&apos;&quot;&#0065;&#x0000041;&#x1f600;">&lt;&gt;&amp;&apos;&quot;&#65;&#x41;</a>')).toEqual([
        ['start', 'a', { v: `<>&'"AA😀` }],
        ['text', `<>&'"AA`],
        ['end', 'a'],
      ]);
    });

    it.each([
      ['&#0;', 'does not name an XML character'],
      ['&#x8;', 'does not name an XML character'],
      ['&#xD800;', 'does not name an XML character'],
      ['&#xFFFE;', 'does not name an XML character'],
      ['&#x110000;', 'does not name an XML character'],
      ['&#99999999999999999999;', 'does not name an XML character'],
      ['&#X41;', 'malformed character reference'],
      ['&#;', 'malformed character reference'],
      ['&#x;', 'malformed character reference'],
      ['&#12a;', 'malformed character reference'],
      ['&foo;', 'unknown entity "&foo;"'],
      ['&AMP;', 'unknown entity'],
      ['a & b', '"&" must start'],
      ['&;', '"&" must start'],
      ['&amp b;', 'without a terminating ";"'],
      ['&amp', 'without a terminating ";"'],
    ])('refuses %s in text and in attribute values', (ref, message) => {
      expect(syntaxError(`<a>${ref}</a>`).message).toContain(message);
      expect(syntaxError(`<a v="${ref}"/>`).message).toContain(message);
    });

    it('refuses a reference cut off by the end of the document', () => {
      expect(syntaxError(['<a>x&am']).message).toContain('"&" without a terminating ";"');
      expect(syntaxError(['<a>x&#x4', '1']).message).toContain('"&" without a terminating ";"');
    });

    it('refuses references outside the root element', () => {
      expect(syntaxError('&#32;<a/>').message).toContain('text before the root element');
    });
  });

  describe('CDATA sections', () => {
    it('keeps their content raw, including an empty section and "]]" without ">"', () => {
      expect(scan('<a><![CDATA[<&>&amp;]]><![CDATA[]]><![CDATA[]]]]></a>')).toEqual([
        ['start', 'a', {}],
        ['text', '<&>&amp;]]'],
        ['end', 'a'],
      ]);
    });

    it('refuses "]]>" in character data, also when it is split across writes at any point', () => {
      const xml = '<a>x]]>y</a>';
      for (const pieces of splits(xml)) expect(syntaxError(pieces).message).toContain('"]]>" is not allowed');
      expect(scan('<a>]]&gt;]]]</a>')).toEqual([['start', 'a', {}], ['text', ']]>]]]'], ['end', 'a']]);
    });

    it('finds the end of a CDATA section split across writes at any point', () => {
      const xml = '<a><![CDATA[x]]]]>y</a>';
      for (const pieces of splits(xml)) expect(scan(pieces)).toEqual([['start', 'a', {}], ['text', 'x]]y'], ['end', 'a']]);
    });

    it('refuses a CDATA section outside the root element', () => {
      expect(syntaxError('<![CDATA[x]]><a/>').message).toContain('CDATA section outside the root');
      expect(syntaxError('<a/><![CDATA[]]>').message).toContain('CDATA section outside the root');
    });
  });

  describe('comments and processing instructions', () => {
    it('accepts empty comments, "-" before "->" and comments before and after the root', () => {
      expect(scan('<!----><a><!--->--><!-- a-b --></a><!---x-->')).toEqual([
        ['comment', ''],
        ['start', 'a', {}],
        ['comment', '->'],
        ['comment', ' a-b '],
        ['end', 'a'],
        ['comment', '-x'],
      ]);
    });

    it('refuses "--" inside a comment', () => {
      expect(syntaxError('<a><!-- a -- b --></a>').message).toContain('"--" is not allowed inside a comment');
      expect(syntaxError('<a><!-- a ---></a>').message).toContain('"--" is not allowed inside a comment');
    });

    it('reads processing instructions with and without data, and refuses malformed ones', () => {
      expect(scan('<?a?><?b  x ?y? ?><r/>')).toEqual([['pi', 'a', ''], ['pi', 'b', 'x ?y? '], ['start', 'r', {}], ['end', 'r']]);
      expect(syntaxError('<?pi?data?><r/>').message).toContain('invalid character after a processing instruction target');
      expect(syntaxError('<? pi?><r/>').message).toContain('without a target');
      expect(syntaxError('<?p/i?><r/>').message).toContain('invalid character in a processing instruction target');
    });

    it('accepts an XML declaration only at the very start and only in its standard form', () => {
      for (const decl of [
        '<?xml version="1.0"?>',
        "<?xml version='1.1' encoding='utf-8' standalone='no' ?>",
        '<?xml version = "1.0"\n encoding="ISO-8859-1"?>',
      ]) {
        expect(scan(`${decl}<r/>`)).toEqual([['start', 'r', {}], ['end', 'r']]);
      }
      for (const decl of [
        '<?xml?>',
        '<?xml encoding="UTF-8"?>',
        '<?xml version="2.0"?>',
        '<?xml version="1.0"encoding="UTF-8"?>',
        '<?xml version="1.0" standalone="maybe"?>',
        '<?xml version="1.0" standalone="yes" encoding="UTF-8"?>',
        '<?xml version="1.0" foo="bar"?>',
      ]) {
        expect(syntaxError(`${decl}<r/>`).message).toContain('malformed XML declaration');
      }
      expect(syntaxError(' <?xml version="1.0"?><r/>').message).toContain('only allowed at the very start');
      expect(syntaxError('<r><?xml version="1.0"?></r>').message).toContain('only allowed at the very start');
      expect(syntaxError('<?XML version="1.0"?><r/>').message).toContain('only allowed at the very start');
    });
  });

  it('refuses a DOCTYPE, so no entity is ever declared or expanded', () => {
    const message = syntaxError('<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>').message;
    expect(message).toContain('DOCTYPE declarations are refused');
    expect(syntaxError('<r><!DOCTYPE r></r>').message).toContain('DOCTYPE declarations are refused');
    expect(syntaxError('<!doctype r><r/>').message).toContain('"<!" must start a comment or a CDATA section');
  });

  describe('tags and attributes', () => {
    it('reads attributes in either quote with white space around "=" and ">" or "/>" inside values', () => {
      expect(scan(`<a\tx = 'a"b/>c'\ny="a'b>c"\r\n/>`)).toEqual([['start', 'a', { x: 'a"b/>c', y: "a'b>c" }], ['end', 'a']]);
    });

    it('normalises attribute white space (TAB, LF, CR, CRLF become a space) but keeps character references', () => {
      expect(scan('<a v="1\t2\n3\r4\r\n5&#9;&#10;&#13;"/>')).toEqual([['start', 'a', { v: '1 2 3 4 5\t\n\r' }], ['end', 'a']]);
    });

    it.each([
      ['<a x="1" x="2"/>', 'duplicate attribute "x"'],
      ['<a x="1"y="2"/>', 'attributes must be separated by white space'],
      ['<a x=1/>', 'must be quoted'],
      ['<a x/>', 'attribute "x" has no value'],
      ['<a x="<"/>', '"<" is not allowed in an attribute value'],
      ['<a x="1" / >', '"/" in a start tag must be followed by ">"'],
      ['<a/ >', '"/" in a start tag must be followed by ">"'],
      ['<a "x"/>', 'invalid character in a start tag'],
      ['<a\u00d7/>', 'invalid character in the tag name'],
      ['<1a/>', '"<" must start a tag'],
      ['< a/>', '"<" must start a tag'],
      ['<a>1 < 2</a>', '"<" must start a tag'],
      ['<a></b>', 'end tag </b> does not match <a>'],
      ['<a><b></a></b>', 'end tag </a> does not match <b>'],
      ['<a></a >x</a>', 'text after the root element'],
      ['<a></ a>', '"</" must be followed by an element name'],
      ['<a></a b>', 'invalid character in an end tag'],
      ['</a>', 'end tag </a> without a start tag'],
    ])('refuses %s', (xml, message) => {
      expect(syntaxError(xml).message).toContain(message);
    });

    it('accepts the XML Name characters, including non-ASCII and supplementary ones', () => {
      expect(scan('<été·1 _x.y-z:w="1"><𐀀/><:a/></été·1>').map((t) => t[1])).toEqual(['été·1', '𐀀', '𐀀', ':a', ':a', 'été·1']);
    });

    it('checks many attributes for duplicates without quadratic work', () => {
      const attrs = Array.from({ length: 5000 }, (_, i) => ` a${i}="${i}"`).join('');
      expect(scan(`<r${attrs}/>`)[0]![2]).toHaveProperty('a4999', '4999');
      expect(syntaxError(`<r${attrs} a17="x"/>`).message).toContain('duplicate attribute "a17"');
    });
  });

  describe('document structure', () => {
    it.each([
      ['', 'no root element'],
      ['  \n', 'no root element'],
      ['<!-- only a comment -->', 'no root element'],
      ['<a/><b/>', 'a second root element'],
      ['<a></a><a></a>', 'a second root element'],
      ['x<a/>', 'text before the root element'],
      ['\u00a0<a/>', 'text before the root element'],
      ['<a/>x', 'text after the root element'],
      ['<a>', 'ends before <a> is closed'],
      ['<a><b></b>', 'ends before <a> is closed'],
      ['<a><b', 'ends inside a start tag'],
      ['<a x="1', 'ends inside a start tag'],
      ['<a></a', 'ends inside an end tag'],
      ['<a><!-- x', 'ends inside a comment'],
      ['<a><![CDATA[x', 'ends inside a CDATA section'],
      ['<a><?pi x', 'ends inside a processing instruction'],
      ['<a><!-', 'ends inside markup starting with "<!"'],
      ['<a><', 'ends inside a tag'],
    ])('refuses %j', (xml, message) => {
      expect(syntaxError(xml).message).toContain(message);
    });

    it('accepts white space, comments and processing instructions around the root', () => {
      expect(scan(' \t\r\n<!--c--> <?p?>\n<a/>\n<!--d--><?q?> ')).toEqual([['comment', 'c'], ['pi', 'p', ''], ['start', 'a', {}], ['end', 'a'], ['comment', 'd'], ['pi', 'q', '']]);
    });
  });

  describe('characters and line ends', () => {
    it('normalises CRLF and CR to LF in text, also when CR and LF arrive in different writes', () => {
      const expected: Token[] = [['start', 'a', {}], ['text', '1\n2\n3\n\n4\r'], ['end', 'a']];
      for (const pieces of splits('<a>1\r\n2\r3\n\r4&#13;</a>')) expect(scan(pieces)).toEqual(expected);
      expect(scan(['<a>1\r', '</a>'])).toEqual([['start', 'a', {}], ['text', '1\n'], ['end', 'a']]);
    });

    it('refuses characters XML does not allow, with their position', () => {
      const err = syntaxError(['<a>ok', 'o\u0001k</a>']);
      expect(err.message).toContain('character U+0001 is not allowed in XML at character 6');
      expect(err.offset).toBe(6);
      expect(syntaxError('<a v="\u0000"/>').message).toContain('U+0000');
      expect(syntaxError('<a>\uffff</a>').message).toContain('U+FFFF');
      expect(syntaxError('<a>\ufffe</a>').message).toContain('U+FFFE');
    });

    it('says where a problem is', () => {
      const err = syntaxError(['<root>\n  <a>', '</b>\n</root>']);
      expect(err.offset).toBe(12);
      expect(err.message).toContain('at character 12 (near "</b>\\n</root>")');
    });
  });

  describe('limits and streaming', () => {
    it('refuses a single token longer than maxTokenLength, whether it arrives whole or in pieces', () => {
      const options = { maxTokenLength: 100 };
      for (const token of [`<!--${'x'.repeat(100)}-->`, `<a${Array.from({ length: 20 }, (_, i) => ` b${i}="1"`).join('')}/>`, `<![CDATA[${'x'.repeat(100)}]]>`, `<?p ${'x'.repeat(100)}?>`, `&#${'0'.repeat(100)}65;`]) {
        const xml = `<r>${token}</r>`;
        expect(syntaxError(xml, options).message).toContain('longer than 100 characters');
        expect(syntaxError([...xml], options).message).toContain('longer than 100 characters');
        expect(syntaxError([xml.slice(0, 60), xml.slice(60)], options).message).toContain('longer than 100 characters');
      }
      // Character data is not a token: it streams through in pieces, whatever its length.
      expect(scan(`<r>${'x'.repeat(1000)}</r>`, options)[1]).toEqual(['text', 'x'.repeat(1000)]);
    });

    it('reports character data as it arrives instead of holding it until the next tag', () => {
      const received: string[] = [];
      const scanner = new XmlScanner({ startElement() {}, endElement() {}, text: (t) => received.push(t) });
      scanner.write('<a>');
      for (let i = 0; i < 100; i++) scanner.write('x'.repeat(1000));
      expect(received.join('').length).toBe(100_000);
      scanner.write('</a>');
      scanner.end();
    });

    it('reports tokens split across writes as soon as they complete, not at the end', () => {
      let starts = 0;
      const scanner = new XmlScanner({ startElement: () => starts++, endElement() {}, text() {} });
      const xml = `<a>${'<b x="1"/>'.repeat(1000)}`;
      for (let i = 0; i < xml.length; i += 7) scanner.write(xml.slice(i, i + 7));
      expect(starts).toBeGreaterThanOrEqual(1000);
      scanner.write('</a>');
      scanner.end();
    });

    it('completes a long token written one character at a time (unfinished tokens wait for the text to double)', () => {
      const { handler, tokens } = recorder();
      const scanner = new XmlScanner(handler);
      const xml = `<a><!--${'-x'.repeat(100_000)}--><b/></a>`;
      for (const c of xml) scanner.write(c);
      scanner.end();
      expect(tokens.map((t) => t[0])).toEqual(['start', 'comment', 'start', 'end', 'end']);
    });

    it('maps each distinct name once and passes the mapped name to both start and end', () => {
      const calls: string[] = [];
      const { handler, tokens } = recorder();
      const scanner = new XmlScanner(
        { ...handler, startElement: (name) => tokens.push(['start', name, {}]) },
        { mapName: (qualified) => (calls.push(qualified), qualified.toUpperCase()) },
      );
      scanner.write(`<r>${'<x:a><b/></x:a>'.repeat(50)}</r>`);
      scanner.end();
      expect(calls.sort()).toEqual(['b', 'r', 'x:a']);
      expect(tokens.slice(0, 5)).toEqual([['start', 'R', {}], ['start', 'X:A', {}], ['start', 'B', {}], ['end', 'B'], ['end', 'X:A']]);
    });

    it('refuses a write after end and ignores a second end', () => {
      const scanner = new XmlScanner(recorder().handler);
      scanner.write('<a/>');
      scanner.end();
      scanner.end();
      expect(() => scanner.write('x')).toThrow('write() after end()');
    });
  });
});
