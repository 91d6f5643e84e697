/**
 * A small streaming CSV reader (RFC 4180: comma separator, `"` quoting with `""` escapes, quoted fields may span
 * lines, LF or CRLF row ends) for list files. Memory is bounded by the longest row.
 *
 * @module
 */

const MAX_FIELDS = 10_000;

/** One parsed CSV row. `line` is the 1-based line on which the row starts. */
export interface CsvRow {
  fields: string[];
  line: number;
  /** Set when the row is malformed (e.g. an unterminated quote at end of input); `fields` is then partial. */
  error?: string;
}

/**
 * Parses CSV text chunks into rows. Blank lines are skipped.
 *
 * @throws {RangeError} when a single field exceeds `maxRowLength` characters or a row has more than 10,000 fields.
 */
export async function* parseCsv(texts: AsyncIterable<string>, maxRowLength: number): AsyncGenerator<CsvRow> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteClosed = false; // just saw a closing quote (a following `"` is an escaped quote)
  let badQuote: string | undefined;
  let line = 1;
  let rowLine = 1;

  const endRow = (): CsvRow | undefined => {
    fields.push(field);
    const row: CsvRow = { fields, line: rowLine };
    if (badQuote) row.error = badQuote;
    fields = [];
    field = '';
    quoteClosed = false;
    badQuote = undefined;
    const blank = row.fields.length === 1 && row.fields[0] === '' && !row.error;
    return blank ? undefined : row;
  };

  for await (const text of texts) {
    let i = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (inQuotes) {
        // Fast path: copy everything up to the next quote.
        const q = text.indexOf('"', i);
        if (q === -1) {
          const chunk = text.slice(i);
          for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 10) line++;
          field += chunk;
          i = text.length;
          continue;
        }
        const chunk = text.slice(i, q);
        for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 10) line++;
        field += chunk;
        inQuotes = false;
        quoteClosed = true;
        i = q + 1;
        continue;
      }
      if (c === 34 /* " */) {
        if (quoteClosed) {
          field += '"';
          inQuotes = true;
          quoteClosed = false;
        } else if (field.length === 0) {
          inQuotes = true;
        } else {
          badQuote ??= `unexpected quote inside an unquoted field (column ${fields.length + 1})`;
          field += '"';
        }
        i++;
        continue;
      }
      if (c === 44 /* , */) {
        fields.push(field);
        field = '';
        quoteClosed = false;
        i++;
        continue;
      }
      if (c === 10 /* \n */ || c === 13 /* \r */) {
        if (c === 13 && text.charCodeAt(i + 1) !== 10 && i + 1 < text.length) {
          badQuote ??= 'bare carriage return';
        }
        if (c === 10) {
          const row = endRow();
          line++;
          rowLine = line;
          if (row) yield row;
        }
        i++;
        continue;
      }
      if (quoteClosed) {
        badQuote ??= `text after a closing quote (column ${fields.length + 1})`;
        quoteClosed = false;
      }
      // Fast path: copy up to the next special character.
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 44 || d === 10 || d === 13 || d === 34) break;
        j++;
      }
      field += text.slice(i, j);
      i = j;
    }
    if (field.length > maxRowLength || fields.length > MAX_FIELDS) {
      throw new RangeError(`CSV row starting on line ${rowLine} is longer than ${maxRowLength} characters`);
    }
  }
  if (inQuotes) {
    fields.push(field);
    yield { fields, line: rowLine, error: 'unterminated quoted field at end of input' };
    return;
  }
  const row = endRow();
  if (row) yield row;
}
