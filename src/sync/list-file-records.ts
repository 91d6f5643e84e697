/**
 * Turns a list file's text (NDJSON, CSV with a header row, or JSON) into raw records, streaming for NDJSON and
 * CSV. Each raw record carries where it came from (`line 12`, `row 3`, `entries[7]`) so skipped records can be
 * reported precisely.
 *
 * @module
 */
import { SyncError } from '../errors.js';
import { parseCsv } from './csv.js';
import { splitLines } from './text-lines.js';

/** The list file formats the file source reads. */
export type ListFileFormat = 'ndjson' | 'csv' | 'json';

/** A raw record (a parsed value to validate) or a record that could not even be parsed. */
export type RawRecord = { where: string; value: unknown } | { where: string; error: string };

const MAX_LINE = 16 * 1024 * 1024;

/** Columns of the CSV form. `fingerprints.X` and `metadata.X` columns are accepted besides these. */
export const CSV_COLUMNS = [
  'id',
  'kind',
  'member',
  'member_id',
  'member_name',
  'classification',
  'timestamp',
  'deleted',
  'metadata',
  'links',
  'md5',
  'sha1',
  'sha256',
  'pdq',
  'pdna',
  'vpdq',
] as const;

const FINGERPRINT_COLUMNS = new Set(['md5', 'sha1', 'sha256', 'pdq', 'pdna']);

function malformed(message: string, details: Record<string, unknown>): SyncError {
  return new SyncError('SYNC_MALFORMED_RESPONSE', message, { details });
}

async function* ndjsonRecords(texts: AsyncIterable<string>): AsyncGenerator<RawRecord> {
  for await (const { line, number } of splitLines(texts, MAX_LINE)) {
    if (line.trim() === '') continue;
    try {
      yield { where: `line ${number}`, value: JSON.parse(line) as unknown };
    } catch {
      yield { where: `line ${number}`, error: 'not valid JSON' };
    }
  }
}

type CsvField = (record: Record<string, unknown>, value: string) => string | undefined;

function jsonColumn(name: string): CsvField {
  return (record, value) => {
    try {
      record[name] = JSON.parse(value) as unknown;
      return undefined;
    } catch {
      return `column ${name} is not valid JSON`;
    }
  };
}

function csvField(column: string): CsvField | undefined {
  if (FINGERPRINT_COLUMNS.has(column) || column.startsWith('fingerprints.')) {
    const name = column.startsWith('fingerprints.') ? column.slice('fingerprints.'.length) : column;
    if (name === '') return undefined;
    return (record, value) => {
      (record.fingerprints as Record<string, unknown>)[name] = value;
      return undefined;
    };
  }
  if (column.startsWith('metadata.') && column.length > 'metadata.'.length) {
    const name = column.slice('metadata.'.length);
    return (record, value) => {
      record.metadata ??= {};
      (record.metadata as Record<string, unknown>)[name] = value;
      return undefined;
    };
  }
  switch (column) {
    case 'id':
    case 'kind':
    case 'classification':
    case 'timestamp':
      return (record, value) => {
        record[column] = value;
        return undefined;
      };
    case 'member':
    case 'member_id':
      return (record, value) => {
        record.member = { ...(record.member as object), id: value };
        return undefined;
      };
    case 'member_name':
      return (record, value) => {
        record.member = { ...(record.member as object), name: value };
        return undefined;
      };
    case 'deleted':
      return (record, value) => {
        const v = value.toLowerCase();
        if (v === 'true' || v === '1' || v === 'yes') record.deleted = true;
        else if (v === 'false' || v === '0' || v === 'no') record.deleted = false;
        else return `column deleted must be true/false, got ${JSON.stringify(value.slice(0, 20))}`;
        return undefined;
      };
    case 'metadata':
    case 'links':
      return jsonColumn(column);
    case 'vpdq':
      return (record, value) => {
        try {
          (record.fingerprints as Record<string, unknown>).vpdq = JSON.parse(value) as unknown;
          return undefined;
        } catch {
          return 'column vpdq is not valid JSON';
        }
      };
    default:
      return undefined;
  }
}

async function* csvRecords(texts: AsyncIterable<string>, details: Record<string, unknown>): AsyncGenerator<RawRecord> {
  let header: Array<{ column: string; set: CsvField }> | undefined;
  for await (const row of parseCsv(texts, MAX_LINE)) {
    if (!header) {
      if (row.error) throw malformed(`The CSV header row is malformed: ${row.error}`, details);
      const columns = row.fields.map((f) => f.trim().toLowerCase());
      const unknown = columns.filter((c) => csvField(c) === undefined);
      if (unknown.length > 0) {
        throw malformed(
          `Unknown CSV column(s) ${unknown.map((c) => JSON.stringify(c)).join(', ')}; expected ${CSV_COLUMNS.join(', ')}, ` +
            'fingerprints.<type> or metadata.<name>',
          details,
        );
      }
      const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
      if (duplicate !== undefined) throw malformed(`Duplicate CSV column ${JSON.stringify(duplicate)}`, details);
      if (!columns.includes('id')) throw malformed('The CSV header has no id column', details);
      header = columns.map((column) => ({ column, set: csvField(column)! }));
      continue;
    }
    const where = `line ${row.line}`;
    if (row.error) {
      yield { where, error: row.error };
      continue;
    }
    if (row.fields.length !== header.length) {
      yield { where, error: `expected ${header.length} fields, got ${row.fields.length}` };
      continue;
    }
    const record: Record<string, unknown> = { fingerprints: {} };
    let error: string | undefined;
    for (let i = 0; i < header.length && error === undefined; i++) {
      const value = row.fields[i]!;
      if (value === '') continue;
      error = header[i]!.set(record, value);
    }
    yield error === undefined ? { where, value: record } : { where, error };
  }
}

async function* jsonRecords(
  texts: AsyncIterable<string>,
  maxJsonChars: number,
  details: Record<string, unknown>,
): AsyncGenerator<RawRecord> {
  const parts: string[] = [];
  let length = 0;
  for await (const text of texts) {
    length += text.length;
    if (length > maxJsonChars) {
      throw new SyncError(
        'SYNC_RESPONSE_TOO_LARGE',
        `The JSON list is larger than ${maxJsonChars} characters; use NDJSON (one record per line) for large lists`,
        { details },
      );
    }
    parts.push(text);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(parts.join(''));
  } catch (err) {
    throw malformed(`The JSON list is not valid JSON (truncated?): ${(err as Error).message}`, details);
  }
  parts.length = 0;
  const entries =
    Array.isArray(parsed) ? parsed
    : typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { entries?: unknown }).entries) ?
      ((parsed as { entries: unknown[] }).entries)
    : undefined;
  if (!entries) throw malformed('The JSON list must be an array of records or an object {"entries": [...]}', details);
  for (let i = 0; i < entries.length; i++) yield { where: `entries[${i}]`, value: entries[i] };
}

/**
 * Yields the raw records of a list file, in file order.
 *
 * @throws {SyncError} `SYNC_MALFORMED_RESPONSE` when the file as a whole is unusable (invalid JSON document,
 * unknown CSV columns, a line longer than 16 MiB); `SYNC_RESPONSE_TOO_LARGE` for a JSON document over the limit.
 */
export async function* readListRecords(
  format: ListFileFormat,
  texts: AsyncIterable<string>,
  options: { maxJsonChars: number; details: Record<string, unknown> },
): AsyncGenerator<RawRecord> {
  try {
    if (format === 'ndjson') yield* ndjsonRecords(texts);
    else if (format === 'csv') yield* csvRecords(texts, options.details);
    else yield* jsonRecords(texts, options.maxJsonChars, options.details);
  } catch (err) {
    if (err instanceof RangeError) throw malformed(`The list file is not line-oriented ${format}: ${err.message}`, options.details);
    if (err instanceof TypeError && (err as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw malformed('The list file is not valid UTF-8', options.details);
    }
    throw err;
  }
}

/**
 * Picks the format from a file name or URL path (`.ndjson`/`.jsonl`, `.csv`, `.json`), then from an HTTP
 * content type (NDJSON or CSV types; `application/json` is ambiguous in practice), then from the first
 * non-blank character of the content: `[` is JSON; `{` is NDJSON unless the first line is not a complete JSON
 * value (a pretty-printed `{"entries": ...}` document) or the head is a one-line `{"entries": ...}`; anything
 * else is CSV.
 */
export function detectFormat(name: string, head: string, contentType = ''): ListFileFormat {
  const lower = name.toLowerCase().replace(/[?#].*$/, '');
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.json')) return 'json';
  const type = contentType.toLowerCase().split(';')[0]!.trim();
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  if (type === 'text/csv') return 'csv';
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'json';
  if (text.startsWith('{')) {
    const nl = text.indexOf('\n');
    if (nl === -1) return /^\{\s*"entries"\s*:/.test(text) ? 'json' : 'ndjson';
    try {
      JSON.parse(text.slice(0, nl));
      return 'ndjson';
    } catch {
      return 'json';
    }
  }
  return 'csv';
}
