/**
 * Normalising list timestamps to `YYYY-MM-DDTHH:MM:SS.sssZ` (what `Date#toISOString` prints). The NCMEC feed
 * sends one per record, almost always already in UTC ISO form; building the canonical string from its digits is
 * several times cheaper than `Date.parse` plus `toISOString`, which remain the path for every other form.
 *
 * @module
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The timestamp `raw` names, as `Date#toISOString` prints it, or undefined when `Date.parse` rejects it. */
export function normalizeIsoTimestamp(raw: string): string | undefined {
  const fast = canonicalUtc(raw);
  if (fast !== undefined) return fast;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` with in-range fields, canonicalised; else undefined. */
function canonicalUtc(raw: string): string | undefined {
  const n = raw.length;
  if (n !== 20 && n !== 24) return undefined;
  if (raw.charCodeAt(4) !== 45 || raw.charCodeAt(7) !== 45 || raw.charCodeAt(10) !== 84) return undefined; // - - T
  if (raw.charCodeAt(13) !== 58 || raw.charCodeAt(16) !== 58 || raw.charCodeAt(n - 1) !== 90) return undefined; // : : Z
  const year = digits(raw, 0, 4);
  const month = digits(raw, 5, 2);
  const day = digits(raw, 8, 2);
  const hour = digits(raw, 11, 2);
  const minute = digits(raw, 14, 2);
  const second = digits(raw, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  if (second < 0 || second > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  if (n === 20) return `${raw.slice(0, 19)}.000Z`;
  if (raw.charCodeAt(19) !== 46 || digits(raw, 20, 3) < 0) return undefined; // .sss
  return raw;
}

/** The decimal number of `count` ASCII digits at `at`, or -1. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
