/**
 * A streaming, well-formedness-checking XML 1.0 tokenizer over decoded text, built for large uniform documents
 * (NCMEC entries pages): it finds token boundaries with `indexOf` and reads only the characters a token is made
 * of, reports start tags, end tags and character data to a handler, and parses attribute values only when the
 * handler asks for one.
 *
 * What it checks (anything else is an {@link XmlSyntaxError}):
 * - every character is an XML 1.0 `Char`; line ends are normalised (CRLF and CR become LF) before anything else;
 * - names follow the `Name` production; tags nest; there is exactly one root element and nothing but white
 *   space, comments and processing instructions outside it; an XML declaration only at the very start;
 * - attributes: quoted (either quote), separated by white space, unique per tag, no `<` in values;
 * - references: the five predefined entities and decimal/hex character references naming an XML `Char`;
 *   a `&` must start one of those and end with `;`;
 * - no `]]>` in character data, no `--` inside comments, no CDATA outside the root element;
 * - a DOCTYPE is refused outright, so no entity is ever declared or expanded;
 * - the document must be complete: a cut token, an unclosed element or a missing root is an error at {@link
 *   XmlScanner.end}.
 *
 * Streaming: {@link XmlScanner.write} processes every complete token of the text received so far and keeps only
 * the unfinished tail (at most one token, capped at `maxTokenLength`), so memory is bounded by the largest token,
 * not by the document. Character data is reported as it arrives and may come in several pieces. An unfinished
 * token is re-examined only once the buffered text has doubled, so tiny chunks cannot make the work quadratic.
 *
 * Namespaces are not processed: a prefixed name is reported as written (`ns:image`), as is `xmlns`. A declared
 * `version="1.x"` is read with the XML 1.0 rules (as XML 1.0 itself allows) and a declared encoding is not used:
 * the caller decodes. Compared with saxes (which parsed NCMEC pages before): a DOCTYPE is refused where saxes
 * skipped it, `<?pi?data?>` (no white space after the target) is refused where saxes accepted it, and saxes
 * switched to XML 1.1 character rules for any version but "1.0".
 *
 * @module
 */
import { NAME_ASCII, findInvalidChar, isXmlChar, isXmlSpace, nonAsciiNameCharLength, predefinedEntity } from './xml-chars.js';

/** A document that is not well-formed XML. `offset` is the position in the decoded, line-end-normalised text. */
export class XmlSyntaxError extends Error {
  /** Character offset (UTF-16 code units from the start of the document) where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'XmlSyntaxError';
    this.offset = offset;
  }
}

/** The start tag being reported; valid only during {@link XmlContentHandler.startElement}. */
export interface XmlStartTag {
  /** The qualified name as written. */
  readonly name: string;
  /** `<a/>`: an {@link XmlContentHandler.endElement} call follows immediately. */
  readonly selfClosing: boolean;
  readonly attributeCount: number;
  /** The value of the attribute with exactly this qualified name (references resolved, white space normalised). */
  attribute(name: string): string | undefined;
  /** All attributes as a fresh object (allocates; for tests and rare elements). */
  attributes(): Record<string, string>;
}

/**
 * Receives a document's content in order. Comments and processing instructions are optional. Element names are
 * passed through {@link XmlScannerOptions.mapName} (the qualified name as written when there is none).
 */
export interface XmlContentHandler {
  startElement(name: string, tag: XmlStartTag): void;
  /** `name` is the same string that was passed to the matching `startElement`. */
  endElement(name: string): void;
  /** Character data inside the root element, references resolved, CDATA content included; may come in pieces. */
  text(text: string): void;
  comment?(text: string): void;
  processingInstruction?(target: string, data: string): void;
}

/** Scanner limits. */
export interface XmlScannerOptions {
  /**
   * Longest single token (tag, comment, CDATA section, processing instruction, reference) in characters; a longer
   * one is an error, which bounds the text carried between writes.
   * @default 1_048_576
   */
  maxTokenLength?: number;
  /**
   * Derives the element name given to the handler from the qualified name (e.g. drop the prefix, lowercase).
   * Called about once per distinct name, cached with it, so handlers need no lookup per tag.
   * @default the qualified name itself
   */
  mapName?: (qualifiedName: string) => string;
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f; // /
const BANG = 0x21; // !
const QUESTION = 0x3f; // ?
const AMP = 0x26; // &
const SEMI = 0x3b; // ;
const HASH = 0x23; // #
const EQ = 0x3d; // =
const DQUOTE = 0x22; // "
const SQUOTE = 0x27; // '
const RBRACKET = 0x5d; // ]
const LOWER_X = 0x78; // x
const TAB = 0x9;
const LF = 0xa;
const CR = 0xd;

/** Offset stored for "not searched yet in this buffer" and "no occurrence" in the search caches. */
const STALE = -1;
const NONE = Number.MAX_SAFE_INTEGER;

const XML_DECLARATION =
  /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(?:"1\.[0-9]+"|'1\.[0-9]+')(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\n]*\?>$/;

const BANG_FORMS = ['<!--', '<![CDATA[', '<!DOCTYPE'] as const;

/** True for a character that can follow an element name in a well-formed start tag. */
function isNameEnd(code: number): boolean {
  return code === GT || code === SLASH || isXmlSpace(code);
}

/** `text.startsWith(s, at)` for the short names of a document: a loop the compiler can inline, no builtin call. */
function matchesAt(text: string, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (text.charCodeAt(at + k) !== s.charCodeAt(k)) return false;
  return true;
}

/**
 * The {@link XmlStartTag} handed to handlers: one per scanner, reading the scanner's current tag. A class (not an
 * object literal with getters) so all instances share one hidden class: per-instance accessor closures would give
 * every scanner its own map, and inline caches holding those maps would keep whole finished pages reachable for the
 * young-generation GC.
 */
class StartTagView implements XmlStartTag {
  private readonly scanner: XmlScanner;

  constructor(scanner: XmlScanner) {
    this.scanner = scanner;
  }

  get name(): string {
    return this.scanner.tagName;
  }

  get selfClosing(): boolean {
    return this.scanner.tagSelfClosing;
  }

  get attributeCount(): number {
    return this.scanner.attrCount;
  }

  attribute(name: string): string | undefined {
    return this.scanner.attribute(name);
  }

  attributes(): Record<string, string> {
    return this.scanner.allAttributes();
  }
}

/** Streaming XML tokenizer; see the module comment for what it accepts. One instance per document. */
export class XmlScanner {
  private readonly handler: XmlContentHandler;
  private readonly maxTokenLength: number;

  /** Unconsumed text: `buf.slice(pos)` is the carried tail plus what arrived since. */
  private buf = '';
  private pos = 0;
  /** Document offset of `buf[0]`, for error messages. */
  private base = 0;
  /** An unfinished token is not scanned again before the unconsumed text is this long (it has doubled). */
  private retryAt = 0;
  private pendingCR = false;
  private ended = false;

  /** Cached results of `buf.indexOf('&' | ']]>', from)`: valid while >= the position being examined. */
  private nextAmp = STALE;
  private nextCdataEnd = STALE;

  /** Open elements: qualified names (to match end tags) and mapped names (for the handler). */
  private readonly stack: string[] = [];
  private readonly mappedStack: string[] = [];
  private depth = 0;
  private sawRoot = false;
  private rootClosed = false;

  /** Cache of element names and their mapped forms (see {@link XmlScanner.elementName}). */
  private readonly names: string[] = new Array<string>(256).fill('');
  private readonly mappedNames: string[] = new Array<string>(256).fill('');
  private readonly mapName: ((qualifiedName: string) => string) | undefined;
  /** The name the last {@link XmlScanner.elementName} read, and its mapped form. */
  private name = '';
  private mapped = '';

  // The start tag being reported: attribute positions [nameStart, nameEnd, valueStart, valueEnd] in `buf`.
  /** @internal */ tagName = '';
  /** @internal */ tagSelfClosing = false;
  /** @internal */ attrCount = 0;
  private attrPos = new Int32Array(32);
  private readonly tag: StartTagView;

  constructor(handler: XmlContentHandler, options: XmlScannerOptions = {}) {
    this.handler = handler;
    this.maxTokenLength = options.maxTokenLength ?? 1024 * 1024;
    this.mapName = options.mapName;
    if (!(this.maxTokenLength >= 16)) throw new RangeError('Expected `maxTokenLength` to be at least 16');
    this.tag = new StartTagView(this);
  }

  /** Feeds the next piece of decoded text; reports every token it completes. @throws {XmlSyntaxError} */
  write(text: string): void {
    if (this.ended) throw new Error('XmlScanner: write() after end()');
    if (this.pendingCR) {
      text = '\r' + text;
      this.pendingCR = false;
    }
    // A CR at the end may be the first half of a CRLF: decide when the next piece arrives.
    if (text.charCodeAt(text.length - 1) === CR) {
      this.pendingCR = true;
      text = text.slice(0, -1);
    }
    this.feed(text);
  }

  /** Ends the document: reports what is left and checks that it is complete. @throws {XmlSyntaxError} */
  end(): void {
    if (this.ended) return;
    if (this.pendingCR) {
      this.pendingCR = false;
      this.feed('\n');
    }
    this.ended = true;
    this.scan(true, this.buf.length);
    const at = this.base + this.buf.length;
    if (!this.sawRoot) throw new XmlSyntaxError('the document has no root element', at);
    if (this.depth > 0) {
      throw new XmlSyntaxError(`the document ends before <${this.stack[this.depth - 1]}> is closed (truncated?)`, at);
    }
  }

  /**
   * The element depth when every character written so far has been reported (no unfinished token, no CR waiting
   * for its LF), else -1. Only then may a caller hand text past the scanner (see {@link skip}).
   */
  get settledDepth(): number {
    return this.pos === this.buf.length && !this.pendingCR && !this.ended ? this.depth : -1;
  }

  /**
   * Scans an unfinished tail of at most `maxChars` characters now rather than when the buffered text has doubled,
   * so that a caller waiting for {@link settledDepth} is not kept waiting by a tag cut between two chunks. The
   * bound keeps repeated calls linear.
   */
  catchUp(maxChars: number): void {
    const pending = this.buf.length - this.pos;
    if (pending === 0 || pending > maxChars || this.ended) return;
    this.scan(false, this.buf.length);
    this.settle();
  }

  /**
   * Counts `chars` characters that the caller read itself, at {@link settledDepth}: one or more complete elements
   * or white space. The caller vouches that they are well-formed and leave the depth unchanged; they only move the
   * offsets of later error messages.
   */
  skip(chars: number): void {
    this.base += chars;
  }

  /** Checks and scans the next piece of text (CR already handled at its end). */
  private feed(text: string): void {
    if (text.indexOf('\r') !== -1) text = text.replace(/\r\n?/g, '\n');
    const bad = findInvalidChar(text);
    if (bad !== -1) {
      const at = this.base + this.buf.length + bad;
      const code = text.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0');
      throw new XmlSyntaxError(`character U+${code} is not allowed in XML at character ${at}`, at);
    }
    const pending = this.buf.length - this.pos;
    if (pending === 0) {
      this.setBuffer(text, 0, this.base + this.buf.length);
      this.scan(false, text.length);
      this.settle();
    } else if (pending + text.length < this.retryAt) {
      // The unfinished token waits until the buffered text has doubled (keeps tiny writes linear overall).
      this.setBuffer(this.buf.slice(this.pos) + text, 0, this.base + this.pos);
    } else {
      this.scanAcross(text);
    }
  }

  /**
   * Scans the unfinished tail followed by `text` without copying all of `text`: the tail is joined with only as
   * much of `text` as its token needs (doubling until it completes), then scanning moves on to `text` itself.
   * Joining gives a flat string, so `buf` is never a rope and character access stays fast.
   */
  private scanAcross(text: string): void {
    const carry = this.buf.slice(this.pos);
    const carryBase = this.base + this.pos;
    let take = Math.min(text.length, Math.max(1024, carry.length));
    for (;;) {
      const seam = [carry, take === text.length ? text : text.slice(0, take)].join('');
      this.setBuffer(seam, 0, carryBase);
      this.scan(false, carry.length); // only the tokens that start in the carried tail
      if (this.pos >= carry.length) break;
      if (take === text.length) return this.settle(); // the unfinished token took all of `text`: wait for more
      take = Math.min(text.length, 2 * take);
    }
    this.setBuffer(text, this.pos - carry.length, carryBase + carry.length);
    this.scan(false, text.length);
    this.settle();
  }

  private setBuffer(buf: string, pos: number, base: number): void {
    this.buf = buf;
    this.pos = pos;
    this.base = base;
    this.nextAmp = STALE;
    this.nextCdataEnd = STALE;
  }

  /** Reports the tokens that start before `limit` (and are complete, unless `final`). */
  private scan(final: boolean, limit: number): void {
    const buf = this.buf;
    let pos = this.pos;
    const max = this.maxTokenLength;
    while (pos < limit) {
      let next: number;
      if (buf.charCodeAt(pos) === LT) {
        next = this.markup(pos, final);
        if (next - pos > max) throw this.tooLong(pos);
      } else {
        next = this.charData(pos, final);
      }
      if (next < 0) break;
      pos = next;
    }
    this.pos = pos;
  }

  /** After scanning stopped at the end of the text: what is left is one unfinished token (or up to two "]"). */
  private settle(): void {
    const pending = this.buf.length - this.pos;
    if (pending > this.maxTokenLength) throw this.tooLong(this.pos);
    this.retryAt = pending === 0 ? 0 : Math.min(2 * pending, this.maxTokenLength + 1);
  }

  // ---- errors ----

  private error(message: string, at: number): XmlSyntaxError {
    const offset = this.base + at;
    const near = this.buf.slice(at, at + 40);
    return new XmlSyntaxError(`${message} at character ${offset}${near ? ` (near ${JSON.stringify(near)})` : ''}`, offset);
  }

  /** `buf[start, end)` for a message, cut to 40 characters. */
  private excerpt(start: number, end: number): string {
    return end - start > 40 ? `${this.buf.slice(start, start + 40)}…` : this.buf.slice(start, end);
  }

  private tooLong(at: number): XmlSyntaxError {
    return this.error(`a single tag, comment, CDATA section, processing instruction or reference is longer than ${this.maxTokenLength} characters`, at);
  }

  /** An unfinished token: wait for more text, or fail at the end of the document. */
  private incomplete(at: number, final: boolean, what: string): number {
    if (final) throw this.error(`the document ends inside ${what} (truncated?)`, at);
    return -1;
  }

  // ---- names ----

  /** Index just past the `Name` that starts at `i` (`i` itself when none does). */
  private scanName(i: number): number {
    const buf = this.buf;
    const end = buf.length;
    if (i >= end) return i;
    let c = buf.charCodeAt(i);
    if (c < 128) {
      if (NAME_ASCII[c] !== 2) return i;
      i++;
    } else {
      const n = nonAsciiNameCharLength(buf, i, c, true);
      if (n === 0) return i;
      i += n;
    }
    while (i < end) {
      c = buf.charCodeAt(i);
      if (c < 128) {
        if (NAME_ASCII[c] === 0) break;
        i++;
      } else {
        const n = nonAsciiNameCharLength(buf, i, c, false);
        if (n === 0) break;
        i += n;
      }
    }
    return i;
  }

  /**
   * Reads the element name at `start` and returns the index after it (`start` itself when no name starts there),
   * leaving the name in `name` and its mapped form in `mapped`. A name seen before is recognised by comparing it in
   * place with the cached names that start with the same two characters (2-way), so it is neither validated nor
   * sliced again: the same string object comes back each time.
   */
  private elementName(start: number): number {
    const buf = this.buf;
    const set = ((buf.charCodeAt(start) * 31 + buf.charCodeAt(start + 1)) & 127) * 2; // NaN at the end: set 0
    const names = this.names;
    for (let way = set; way < set + 2; way++) {
      const cached = names[way]!;
      const after = start + cached.length;
      if (cached.length > 0 && isNameEnd(buf.charCodeAt(after)) && matchesAt(buf, start, cached)) {
        this.name = cached;
        this.mapped = this.mappedNames[way]!;
        return after;
      }
    }
    const end = this.scanName(start);
    if (end === start || end >= buf.length) return end;
    const name = buf.slice(start, end);
    const mapped = this.mapName ? this.mapName(name) : name;
    // The new name takes the first way; the previous first moves to the second (a name pair such as member and
    // members then alternates without evictions).
    names[set + 1] = names[set]!;
    this.mappedNames[set + 1] = this.mappedNames[set]!;
    names[set] = name;
    this.mappedNames[set] = mapped;
    this.name = name;
    this.mapped = mapped;
    return end;
  }

  private skipSpace(i: number): number {
    const buf = this.buf;
    const end = buf.length;
    while (i < end && isXmlSpace(buf.charCodeAt(i))) i++;
    return i;
  }

  // ---- character data ----

  /** Character data from `pos` (not `<`) up to the next `<`. */
  private charData(pos: number, final: boolean): number {
    const buf = this.buf;
    let lt = buf.indexOf('<', pos);
    const bounded = lt !== -1;
    if (!bounded) lt = buf.length;

    if (this.depth === 0) {
      for (let i = pos; i < lt; i++) {
        if (!isXmlSpace(buf.charCodeAt(i))) {
          throw this.error(this.sawRoot ? 'text after the root element' : 'text before the root element', i);
        }
      }
      return lt;
    }

    let stop = lt;
    if (!bounded && !final) {
      // Keep up to two trailing ']' for the next piece, so a "]]>" split across pieces is still seen.
      if (buf.charCodeAt(stop - 1) === RBRACKET) {
        stop--;
        if (stop > pos && buf.charCodeAt(stop - 1) === RBRACKET) stop--;
      }
    }
    if (this.nextCdataEnd < pos) {
      const at = buf.indexOf(']]>', pos);
      this.nextCdataEnd = at === -1 ? NONE : at;
    }
    if (this.nextCdataEnd < stop) throw this.error('"]]>" is not allowed in character data', this.nextCdataEnd);

    if (this.nextAmp < pos) {
      const amp = buf.indexOf('&', pos);
      this.nextAmp = amp === -1 ? NONE : amp;
    }
    if (this.nextAmp >= stop) {
      if (stop > pos) this.handler.text(buf.slice(pos, stop));
      return stop === pos ? -1 : stop;
    }
    return this.charDataWithReferences(pos, stop, bounded || final);
  }

  /** Character data in `buf[pos, stop)` that contains references; a reference cut off at `stop` waits for more. */
  private charDataWithReferences(pos: number, stop: number, complete: boolean): number {
    const buf = this.buf;
    let out = '';
    let from = pos;
    let amp = this.nextAmp;
    while (amp < stop) {
      const semi = this.scanReference(amp, stop);
      if (semi < 0) {
        if (complete) throw this.error('"&" without a terminating ";"', amp);
        stop = amp; // carry the unfinished reference
        break;
      }
      out += buf.slice(from, amp) + this.resolveReference(amp, semi);
      from = semi + 1;
      amp = buf.indexOf('&', from);
      if (amp === -1) amp = NONE;
    }
    this.nextAmp = amp;
    if (stop > from) out += buf.slice(from, stop);
    if (out.length > 0) this.handler.text(out);
    return stop === pos ? -1 : stop;
  }

  /**
   * Checks the reference starting with the `&` at `amp` and returns the index of its `;`, or -1 when it runs into
   * `limit` before ending. @throws {XmlSyntaxError} when it is not a reference.
   */
  private scanReference(amp: number, limit: number): number {
    const buf = this.buf;
    let i = amp + 1;
    if (i >= limit) return -1;
    if (buf.charCodeAt(i) === HASH) {
      i++;
      if (i >= limit) return -1;
      const hex = buf.charCodeAt(i) === LOWER_X;
      if (hex) i++;
      const digits = i;
      for (; i < limit; i++) {
        const c = buf.charCodeAt(i);
        const digit = (c >= 0x30 && c <= 0x39) || (hex && ((c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)));
        if (!digit) break;
      }
      if (i >= limit) return -1;
      if (i === digits || buf.charCodeAt(i) !== SEMI) throw this.error('malformed character reference', amp);
      if (i - amp >= this.maxTokenLength) throw this.tooLong(amp);
      return i;
    }
    const nameEnd = this.scanName(i);
    if (nameEnd === i) {
      throw this.error('"&" must start an entity or character reference (write "&amp;" for a literal "&")', amp);
    }
    if (nameEnd >= limit) return -1;
    if (buf.charCodeAt(nameEnd) !== SEMI) throw this.error(`entity reference "&${this.excerpt(i, nameEnd)}" without a terminating ";"`, amp);
    if (nameEnd - amp >= this.maxTokenLength) throw this.tooLong(amp);
    return nameEnd;
  }

  /** The text a checked reference `buf[amp, semi]` stands for. @throws {XmlSyntaxError} unknown entity or bad char */
  private resolveReference(amp: number, semi: number): string {
    const buf = this.buf;
    if (buf.charCodeAt(amp + 1) === HASH) {
      const hex = buf.charCodeAt(amp + 2) === LOWER_X;
      const cp = hex ? parseInt(buf.slice(amp + 3, semi), 16) : parseInt(buf.slice(amp + 2, semi), 10);
      if (!isXmlChar(cp)) throw this.error(`character reference "${this.excerpt(amp, semi + 1)}" does not name an XML character`, amp);
      return String.fromCodePoint(cp);
    }
    const value = predefinedEntity(buf.slice(amp + 1, semi));
    if (value === undefined) {
      throw this.error(`unknown entity "${this.excerpt(amp, semi + 1)}" (only &lt; &gt; &amp; &apos; &quot; and character references are allowed)`, amp);
    }
    return value;
  }

  // ---- markup ----

  private markup(pos: number, final: boolean): number {
    if (pos + 1 >= this.buf.length) return this.incomplete(pos, final, 'a tag');
    const c = this.buf.charCodeAt(pos + 1);
    if (c === SLASH) return this.endTag(pos, final);
    if (c === BANG) return this.bang(pos, final);
    if (c === QUESTION) return this.processingInstruction(pos, final);
    return this.startTag(pos, final);
  }

  private startTag(pos: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    const nameStart = pos + 1;
    const nameEnd = this.elementName(nameStart);
    if (nameEnd === nameStart) throw this.error('"<" must start a tag, comment, CDATA section or processing instruction (write "&lt;" for a literal "<")', pos);
    if (nameEnd >= end) return this.incomplete(pos, final, 'a start tag');
    if (this.depth === 0 && this.rootClosed) throw this.error('a second root element (a document has exactly one)', pos);

    this.attrCount = 0;
    let selfClosing = false;
    let i = nameEnd;
    const c = buf.charCodeAt(i);
    if (c === GT) {
      i++;
    } else if (c === SLASH) {
      if (i + 1 >= end) return this.incomplete(pos, final, 'a start tag');
      if (buf.charCodeAt(i + 1) !== GT) throw this.error('"/" in a start tag must be followed by ">"', i);
      selfClosing = true;
      i += 2;
    } else if (isXmlSpace(c)) {
      i = this.attributeList(i);
      if (i < 0) return this.incomplete(pos, final, 'a start tag');
      selfClosing = this.tagSelfClosing;
    } else {
      throw this.error(`invalid character in the tag name "${this.excerpt(nameStart, nameEnd)}"`, i);
    }

    const name = this.name;
    const mapped = this.mapped;
    this.sawRoot = true;
    this.tagName = name;
    this.tagSelfClosing = selfClosing;
    this.handler.startElement(mapped, this.tag);
    if (selfClosing) {
      this.handler.endElement(mapped);
      if (this.depth === 0) this.rootClosed = true;
    } else {
      this.mappedStack[this.depth] = mapped;
      this.stack[this.depth++] = name;
    }
    return i;
  }

  /**
   * The attributes from `i` (white space after the tag name) to the end of the tag; records their positions,
   * sets `tagSelfClosing` and returns the index after `>`, or -1 when the tag is not complete yet.
   */
  private attributeList(i: number): number {
    const buf = this.buf;
    const end = buf.length;
    let spaced = false;
    for (;;) {
      const afterValue = i;
      i = this.skipSpace(i);
      if (i >= end) return -1;
      spaced = i > afterValue;
      let c = buf.charCodeAt(i);
      if (c === GT) {
        this.tagSelfClosing = false;
        break;
      }
      if (c === SLASH) {
        if (i + 1 >= end) return -1;
        if (buf.charCodeAt(i + 1) !== GT) throw this.error('"/" in a start tag must be followed by ">"', i);
        this.tagSelfClosing = true;
        i++;
        break;
      }
      const nameStart = i;
      i = this.scanName(i);
      if (i === nameStart) throw this.error('invalid character in a start tag (expected an attribute name, ">" or "/>")', i);
      if (!spaced) throw this.error('attributes must be separated by white space', nameStart);
      const nameEnd = i;
      if (i >= end) return -1;
      i = this.skipSpace(i);
      if (i >= end) return -1;
      if (buf.charCodeAt(i) !== EQ) throw this.error(`attribute "${this.excerpt(nameStart, nameEnd)}" has no value`, i);
      i = this.skipSpace(i + 1);
      if (i >= end) return -1;
      c = buf.charCodeAt(i);
      if (c !== DQUOTE && c !== SQUOTE) throw this.error(`the value of attribute "${this.excerpt(nameStart, nameEnd)}" must be quoted`, i);
      const valueStart = i + 1;
      const valueEnd = buf.indexOf(c === DQUOTE ? '"' : "'", valueStart);
      if (valueEnd === -1) return -1;
      this.checkAttributeValue(valueStart, valueEnd);
      this.pushAttribute(nameStart, nameEnd, valueStart, valueEnd);
      i = valueEnd + 1;
    }
    if (this.attrCount > 1) this.checkDuplicateAttributes();
    return i + 1;
  }

  private checkAttributeValue(start: number, end: number): void {
    const buf = this.buf;
    for (let i = start; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c === LT) throw this.error('"<" is not allowed in an attribute value', i);
      if (c === AMP) {
        const semi = this.scanReference(i, end);
        if (semi < 0) throw this.error('"&" without a terminating ";"', i);
        this.resolveReference(i, semi);
        i = semi;
      }
    }
  }

  private pushAttribute(nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
    let at = this.attrCount * 4;
    if (at + 4 > this.attrPos.length) {
      const grown = new Int32Array(this.attrPos.length * 2);
      grown.set(this.attrPos);
      this.attrPos = grown;
    }
    const p = this.attrPos;
    p[at++] = nameStart;
    p[at++] = nameEnd;
    p[at++] = valueStart;
    p[at] = valueEnd;
    this.attrCount++;
  }

  private checkDuplicateAttributes(): void {
    const buf = this.buf;
    const p = this.attrPos;
    const seen = new Set<string>();
    for (let k = 0; k < this.attrCount; k++) {
      const name = buf.slice(p[4 * k]!, p[4 * k + 1]!);
      if (seen.has(name)) throw this.error(`duplicate attribute "${this.excerpt(p[4 * k]!, p[4 * k + 1]!)}"`, p[4 * k]!);
      seen.add(name);
    }
  }

  /** @internal */
  attribute(name: string): string | undefined {
    const buf = this.buf;
    const p = this.attrPos;
    for (let k = 0; k < this.attrCount; k++) {
      const start = p[4 * k]!;
      if (p[4 * k + 1]! - start === name.length && buf.startsWith(name, start)) return this.attributeValue(k);
    }
    return undefined;
  }

  /** @internal */
  allAttributes(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let k = 0; k < this.attrCount; k++) out[this.buf.slice(this.attrPos[4 * k]!, this.attrPos[4 * k + 1]!)] = this.attributeValue(k);
    return out;
  }

  /** Attribute-value normalisation: references resolved, each literal TAB/LF (CR is gone already) becomes a space. */
  private attributeValue(k: number): string {
    const buf = this.buf;
    const start = this.attrPos[4 * k + 2]!;
    const end = this.attrPos[4 * k + 3]!;
    let out = '';
    let from = start;
    for (let i = start; i < end; i++) {
      const c = buf.charCodeAt(i);
      if (c === AMP) {
        const semi = buf.indexOf(';', i);
        out += buf.slice(from, i) + this.resolveReference(i, semi);
        i = semi;
        from = semi + 1;
      } else if (c === TAB || c === LF) {
        out += buf.slice(from, i) + ' ';
        from = i + 1;
      }
    }
    return from === start ? buf.slice(start, end) : out + buf.slice(from, end);
  }

  private endTag(pos: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    const nameStart = pos + 2;
    if (this.depth > 0) {
      // Fast path: exactly "</" + the open element's name + ">".
      const open = this.stack[this.depth - 1]!;
      const close = nameStart + open.length;
      if (buf.charCodeAt(close) === GT && matchesAt(buf, nameStart, open)) {
        this.depth--;
        this.handler.endElement(this.mappedStack[this.depth]!);
        if (this.depth === 0) this.rootClosed = true;
        return close + 1;
      }
    }
    const nameEnd = this.scanName(nameStart);
    if (nameEnd === nameStart) {
      if (nameStart >= end) return this.incomplete(pos, final, 'an end tag');
      throw this.error('"</" must be followed by an element name', pos);
    }
    const close = this.skipSpace(nameEnd);
    if (close >= end) return this.incomplete(pos, final, 'an end tag');
    if (buf.charCodeAt(close) !== GT) throw this.error('invalid character in an end tag', close);
    if (this.depth === 0) throw this.error(`end tag </${this.excerpt(nameStart, nameEnd)}> without a start tag`, pos);
    const open = this.stack[this.depth - 1]!;
    if (nameEnd - nameStart !== open.length || !buf.startsWith(open, nameStart)) {
      throw this.error(`end tag </${this.excerpt(nameStart, nameEnd)}> does not match <${open}>`, pos);
    }
    this.depth--;
    this.handler.endElement(this.mappedStack[this.depth]!);
    if (this.depth === 0) this.rootClosed = true;
    return close + 1;
  }

  /** `<!--`, `<![CDATA[` or `<!DOCTYPE`. */
  private bang(pos: number, final: boolean): number {
    const buf = this.buf;
    if (buf.startsWith('<!--', pos)) return this.comment(pos, final);
    if (buf.startsWith('<![CDATA[', pos)) return this.cdata(pos, final);
    if (buf.startsWith('<!DOCTYPE', pos)) {
      throw this.error('DOCTYPE declarations are refused (no DTD, no entity declarations)', pos);
    }
    const available = buf.slice(pos, pos + 9);
    if (BANG_FORMS.some((form) => available.length < form.length && form.startsWith(available))) {
      return this.incomplete(pos, final, 'markup starting with "<!"');
    }
    throw this.error('"<!" must start a comment or a CDATA section', pos);
  }

  private comment(pos: number, final: boolean): number {
    const buf = this.buf;
    const start = pos + 4;
    const dashes = buf.indexOf('--', start);
    if (dashes === -1 || dashes + 2 >= buf.length) return this.incomplete(pos, final, 'a comment');
    if (buf.charCodeAt(dashes + 2) !== GT) throw this.error('"--" is not allowed inside a comment', dashes);
    this.handler.comment?.(buf.slice(start, dashes));
    return dashes + 3;
  }

  private cdata(pos: number, final: boolean): number {
    if (this.depth === 0) throw this.error('a CDATA section outside the root element', pos);
    const buf = this.buf;
    const start = pos + 9;
    const close = buf.indexOf(']]>', start);
    if (close === -1) return this.incomplete(pos, final, 'a CDATA section');
    if (close > start) this.handler.text(buf.slice(start, close));
    return close + 3;
  }

  private processingInstruction(pos: number, final: boolean): number {
    const buf = this.buf;
    const end = buf.length;
    const targetStart = pos + 2;
    const targetEnd = this.scanName(targetStart);
    if (targetEnd === targetStart) {
      if (targetStart >= end) return this.incomplete(pos, final, 'a processing instruction');
      throw this.error('a processing instruction without a target name', pos);
    }
    if (targetEnd >= end) return this.incomplete(pos, final, 'a processing instruction');
    const target = buf.slice(targetStart, targetEnd);
    const c = buf.charCodeAt(targetEnd);
    let close: number;
    if (c === QUESTION) {
      close = targetEnd;
      if (close + 1 >= end) return this.incomplete(pos, final, 'a processing instruction');
      if (buf.charCodeAt(close + 1) !== GT) throw this.error('invalid character after a processing instruction target', close);
    } else if (isXmlSpace(c)) {
      close = buf.indexOf('?>', targetEnd);
      if (close === -1) return this.incomplete(pos, final, 'a processing instruction');
    } else {
      throw this.error('invalid character in a processing instruction target', targetEnd);
    }
    if (target.toLowerCase() === 'xml') {
      if (target !== 'xml' || this.base + pos !== 0) {
        throw this.error('an XML declaration is only allowed at the very start of the document', pos);
      }
      if (!XML_DECLARATION.test(buf.slice(pos, close + 2))) {
        throw this.error('malformed XML declaration (expected version="1.x", then optional encoding and standalone)', pos);
      }
    } else {
      this.handler.processingInstruction?.(target, buf.slice(this.skipSpace(targetEnd), close));
    }
    return close + 2;
  }
}
