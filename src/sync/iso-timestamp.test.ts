import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeIsoTimestamp } from './iso-timestamp.js';

/** The oracle: what the NCMEC parser did before the fast path. */
function viaDate(raw: string): string | undefined {
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
// Fields around and past their valid ranges, so the fast path's range checks are exercised on both sides.
const isoLike = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    millis: fc.option(fc.integer({ min: 0, max: 999 })),
    zone: fc.constantFrom('Z', 'Z', 'Z', '+00:00', '+02:00', ''),
  })
  .map(
    (f) =>
      `${pad(f.year, 4)}-${pad(f.month, 2)}-${pad(f.day, 2)}T${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}` +
      `${f.millis === null ? '' : `.${pad(f.millis, 3)}`}${f.zone}`,
  );

describe('normalizeIsoTimestamp', () => {
  it('agrees with Date.parse + toISOString on ISO-shaped strings, valid or not', () => {
    fc.assert(fc.property(isoLike, (raw) => {
        expect(normalizeIsoTimestamp(raw)).toBe(viaDate(raw));
      }), { numRuns: 20_000 });
  });

  it('agrees on arbitrary strings and on mutations of a valid timestamp', () => {
    const mutated = fc
      .tuple(fc.nat({ max: 23 }), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([i, c]) => { const s = '2025-02-28T23:59:59.123Z'; return s.slice(0, i) + c + s.slice(i + 1); });
    fc.assert(fc.property(fc.oneof(fc.string(), mutated), (raw) => {
        expect(normalizeIsoTimestamp(raw)).toBe(viaDate(raw));
      }), { numRuns: 5_000 });
  });

  it('handles leap days and the forms NCMEC sends', () => {
    expect(normalizeIsoTimestamp('2024-02-29T12:00:00Z')).toBe('2024-02-29T12:00:00.000Z');
    expect(normalizeIsoTimestamp('2023-02-29T12:00:00Z')).toBe(viaDate('2023-02-29T12:00:00Z'));
    expect(normalizeIsoTimestamp('1900-02-29T00:00:00Z')).toBe(viaDate('1900-02-29T00:00:00Z'));
    expect(normalizeIsoTimestamp('2000-02-29T00:00:00.5Z')).toBe('2000-02-29T00:00:00.500Z');
    expect(normalizeIsoTimestamp('2025-06-01T10:00:00+02:00')).toBe('2025-06-01T08:00:00.000Z');
    expect(normalizeIsoTimestamp('not a date')).toBeUndefined();
  });
});
