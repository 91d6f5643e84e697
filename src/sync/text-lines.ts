/**
 * Streaming text helpers for list files: strict UTF-8 decoding of byte chunks and splitting into lines, so a
 * large file is processed with memory bounded by the longest line, not the file.
 *
 * @module
 */

/** One line of text and its 1-based line number. */
export interface NumberedLine {
  line: string;
  number: number;
}

/**
 * Decodes byte chunks as UTF-8 (strict: invalid bytes throw a `TypeError` from `TextDecoder`), dropping a leading
 * byte-order mark.
 */
export async function* decodeUtf8(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

/**
 * Splits text chunks into lines (LF or CRLF). The last line is yielded even without a trailing newline.
 *
 * @throws {RangeError} when one line grows beyond `maxLineLength` characters (a file that is not line-oriented).
 */
export async function* splitLines(texts: AsyncIterable<string>, maxLineLength: number): AsyncGenerator<NumberedLine> {
  let carry = '';
  let number = 0;
  for await (const text of texts) {
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      let line = carry.length > 0 ? carry + text.slice(start, nl) : text.slice(start, nl);
      carry = '';
      if (line.endsWith('\r')) line = line.slice(0, -1);
      yield { line, number: ++number };
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    carry += text.slice(start);
    if (carry.length > maxLineLength) {
      throw new RangeError(`Line ${number + 1} is longer than ${maxLineLength} characters`);
    }
  }
  if (carry.length > 0) {
    yield { line: carry.endsWith('\r') ? carry.slice(0, -1) : carry, number: ++number };
  }
}
