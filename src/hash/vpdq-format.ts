/**
 * vPDQ serialisations (docs/hashing.md#video):
 *
 * - the C++ file format of `vpdq-hash-video` and the repo's `sample-hashes/*.txt`: one line per hashed frame,
 *   `frameNumber,quality,pdqHex,timestamp` with the timestamp printed `%.3f`;
 * - the python-threatexchange / HMA signal string: a JSON array of `"pdqHex,quality,timestamp"` strings, the
 *   timestamp printed with Python's `.3` format (3 significant digits), no frame numbers.
 *
 * Pure: no Node imports.
 *
 * @module
 */
import { HashFormatError } from '../errors.js';
import type { VpdqFeature } from '../sync/types.js';
import { isHexOfLength } from './hex.js';
import { formatFixed, formatPythonGeneral } from './vpdq-decimal.js';

/** One hashed video frame. */
export interface VpdqFrame {
  /** 0-based index of the frame among all decoded frames (not the PTS). */
  frame: number;
  /** Seconds: float32 `frame / fps` rounded to milliseconds, as the reference prints it. */
  timestamp: number;
  /** PDQ hash of the whole frame, 64 lowercase hex digits. */
  pdq: string;
  /** PDQ quality, 0-100. */
  quality: number;
}

const UINT = /^\d+$/;
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function fail(message: string, details: Record<string, unknown>): never {
  throw new HashFormatError('INVALID_HASH', message, { details: { kind: 'vpdq', ...details } });
}

function parseQuality(value: string, where: string, details: Record<string, unknown>): number {
  const q = UINT.test(value) ? Number(value) : NaN;
  if (!(q >= 0 && q <= 100)) fail(`${where}: expected a quality from 0 to 100, got ${JSON.stringify(value)}`, details);
  return q;
}

function parsePdqHex(value: string, where: string, details: Record<string, unknown>): string {
  if (!isHexOfLength(value, 32)) {
    fail(`${where}: expected a PDQ hash of 64 hex characters, got ${JSON.stringify(String(value).slice(0, 80))}`, details);
  }
  return value.toLowerCase();
}

function parseTimestamp(value: string, where: string, details: Record<string, unknown>): number {
  const t = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(t)) fail(`${where}: expected a timestamp >= 0 in seconds, got ${JSON.stringify(value)}`, details);
  return t;
}

/**
 * Parses the C++ vPDQ file format (`frame,quality,hex,timestamp` per line; blank lines ignored; fields after the
 * fourth ignored, as the C++ loader does).
 *
 * @throws {HashFormatError} `INVALID_HASH` naming the line and field.
 *
 * @example
 * ```ts
 * const frames = parseVpdqFile(await readFile('chair-19-sd-bar.txt', 'utf8'));
 * ```
 */
export function parseVpdqFile(text: string): VpdqFrame[] {
  if (typeof text !== 'string') throw new TypeError(`Expected \`text\` to be a string, got ${typeof text}`);
  const frames: VpdqFrame[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `vPDQ file line ${i + 1}`;
    const details = { line: i + 1 };
    const fields = line.split(',');
    if (fields.length < 4) fail(`${where}: expected frame,quality,hash,timestamp, got ${fields.length} field(s)`, details);
    const [frameText, qualityText, hex, tsText] = fields.map((f) => f.trim()) as [string, string, string, string];
    if (!UINT.test(frameText) || !Number.isSafeInteger(Number(frameText))) {
      fail(`${where}: expected a frame number >= 0, got ${JSON.stringify(frameText)}`, details);
    }
    frames.push({
      frame: Number(frameText),
      quality: parseQuality(qualityText, where, details),
      pdq: parsePdqHex(hex, where, details),
      timestamp: parseTimestamp(tsText, where, details),
    });
  }
  return frames;
}

/**
 * Writes frames in the C++ vPDQ file format, one `frame,quality,hex,timestamp(%.3f)` line each, `\n`-terminated.
 * The output of `hashVideo` with `secondsPerHash: 0` written this way equals `vpdq-hash-video -r 0` output.
 */
export function formatVpdqFile(frames: readonly VpdqFrame[]): string {
  let out = '';
  for (const f of frames) out += `${f.frame},${f.quality},${f.pdq},${formatFixed(f.timestamp, 3)}\n`;
  return out;
}

/**
 * Parses a python-threatexchange / HMA vPDQ signal string: a JSON array of `"hex,quality,timestamp"` strings.
 * Checks what python-threatexchange checks: 64 hex digits, 0 <= quality <= 100, timestamp >= 0.
 *
 * @throws {HashFormatError} `INVALID_HASH` naming the element and field.
 */
export function parseVpdqSignal(signal: string): VpdqFeature[] {
  if (typeof signal !== 'string') throw new TypeError(`Expected \`signal\` to be a string, got ${typeof signal}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(signal);
  } catch (cause) {
    throw new HashFormatError('INVALID_HASH', `vPDQ signal: expected a JSON array of strings, got invalid JSON`, {
      cause,
      details: { kind: 'vpdq' },
    });
  }
  if (!Array.isArray(parsed)) fail('vPDQ signal: expected a JSON array of "hex,quality,timestamp" strings', {});
  return parsed.map((item: unknown, i) => {
    const where = `vPDQ signal element ${i}`;
    const details = { index: i };
    if (typeof item !== 'string') fail(`${where}: expected a "hex,quality,timestamp" string, got ${typeof item}`, details);
    const fields = item.split(',').map((f) => f.trim());
    if (fields.length !== 3) fail(`${where}: expected 3 comma-separated fields, got ${fields.length}`, details);
    const [hex, qualityText, tsText] = fields as [string, string, string];
    return {
      pdq: parsePdqHex(hex, where, details),
      quality: parseQuality(qualityText, where, details),
      timestamp: parseTimestamp(tsText, where, details),
    };
  });
}

/**
 * Writes a python-threatexchange / HMA vPDQ signal string: a JSON array (Python `json.dumps` spacing) of
 * `"hex,quality,timestamp"`, the timestamp in Python's `.3` format (`12.3`, `1.0`, `1.23e+02`).
 */
export function formatVpdqSignal(features: ReadonlyArray<Pick<VpdqFeature, 'pdq' | 'quality' | 'timestamp'>>): string {
  const items = features.map((f) => JSON.stringify(`${f.pdq},${f.quality},${formatPythonGeneral(f.timestamp, 3)}`));
  return `[${items.join(', ')}]`;
}
