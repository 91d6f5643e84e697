/**
 * Character-level rules of XML 1.0 (fifth edition) for the streaming scanner: which characters may appear in a
 * document, which may start or continue a name, and what the predefined entities and character references
 * stand for. Everything works on UTF-16 code units of already-decoded text.
 *
 * @module
 */

/** Code units that can never appear in an XML 1.0 document (C0 controls other than TAB/LF/CR, U+FFFE, U+FFFF). */
const INVALID_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Index of the first character that XML 1.0 forbids anywhere in a document, or -1.
 * Lone surrogates are not checked: the text comes from a `fatal` UTF-8 decoder, which never produces them.
 */
export function findInvalidChar(text: string): number {
  return text.search(INVALID_CHAR);
}

/** True for a Unicode code point that matches the XML 1.0 `Char` production (what a character reference may name). */
export function isXmlChar(cp: number): boolean {
  return cp >= 0x20 ? cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff) : cp === 0x9 || cp === 0xa || cp === 0xd;
}

/** XML white space (`S`): space, tab, line feed, carriage return. */
export function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0xa || code === 0x9 || code === 0xd;
}

/** `NAME_ASCII[c]`: 0 = not a name character, 1 = may only continue a name, 2 = may also start one. */
export const NAME_ASCII = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) NAME_ASCII[c] = 1; // 0-9
NAME_ASCII[0x2d] = 1; // -
NAME_ASCII[0x2e] = 1; // .
for (let c = 0x41; c <= 0x5a; c++) NAME_ASCII[c] = 2; // A-Z
for (let c = 0x61; c <= 0x7a; c++) NAME_ASCII[c] = 2; // a-z
NAME_ASCII[0x3a] = 2; // :
NAME_ASCII[0x5f] = 2; // _

/** `NameStartChar` for a BMP code unit >= 0x80 that is not a surrogate. */
function isNonAsciiNameStart(c: number): boolean {
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd)
  );
}

/**
 * Length in code units (1 or 2) of the name character at `text[i]`, whose code unit `c` is >= 0x80, or 0 when it
 * is not one. `start` asks for `NameStartChar`, otherwise `NameChar`. Supplementary characters U+10000–U+EFFFF
 * (a high surrogate D800–DB7F and its low surrogate) are name characters.
 */
export function nonAsciiNameCharLength(text: string, i: number, c: number, start: boolean): number {
  if (c >= 0xd800 && c <= 0xdfff) {
    if (c > 0xdb7f) return 0;
    const low = text.charCodeAt(i + 1);
    return low >= 0xdc00 && low <= 0xdfff ? 2 : 0;
  }
  if (isNonAsciiNameStart(c)) return 1;
  if (start) return 0;
  return c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040 ? 1 : 0;
}

/** What a predefined entity (the only named entities a document without a DTD may use) stands for. */
export function predefinedEntity(name: string): string | undefined {
  switch (name) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'apos':
      return "'";
    case 'quot':
      return '"';
    default:
      return undefined;
  }
}
