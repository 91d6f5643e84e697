import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { formatVpdqFile, formatVpdqSignal, parseVpdqFile, parseVpdqSignal, type VpdqFrame } from './vpdq-format.js';

const HEX_A = 'e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c';
const HEX_B = 'df83b48f2ad34d68169c36bc6d2f6b36ce5ed08701a301e9cbb9fc12f80b8154';

const hexArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const frameArb: fc.Arbitrary<VpdqFrame> = fc.record({
  frame: fc.nat({ max: 10_000_000 }),
  quality: fc.integer({ min: 0, max: 100 }),
  pdq: hexArb,
  timestamp: fc.nat({ max: 100_000_000 }).map((ms) => ms / 1000),
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isTidscanError(err) ? err.code : `not a TidscanError: ${String(err)}`;
  }
  return undefined;
}

describe('C++ vPDQ file format', () => {
  it('parses the reference layout', () => {
    const frames = parseVpdqFile(`0,100,${HEX_A},0.000\n30,98,${HEX_B.toUpperCase()},1.000\n`);
    expect(frames).toEqual([
      { frame: 0, quality: 100, pdq: HEX_A, timestamp: 0 },
      { frame: 30, quality: 98, pdq: HEX_B, timestamp: 1 },
    ]);
  });

  it('ignores blank lines, CRLF and fields after the fourth, like the C++ loader', () => {
    expect(parseVpdqFile(`\r\n0,100,${HEX_A},0.000,extra\r\n\n`)).toHaveLength(1);
  });

  it('round-trips any frames (timestamps in milliseconds)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20, size: 'max' }), (frames) => {
        expect(parseVpdqFile(formatVpdqFile(frames))).toEqual(frames);
      }),
    );
  });

  it('prints timestamps as %.3f', () => {
    expect(formatVpdqFile([{ frame: 1, quality: 100, pdq: HEX_A, timestamp: 1 / 30 }])).toBe(`1,100,${HEX_A},0.033\n`);
  });

  it.each([
    ['too few fields', `0,100,${HEX_A}`],
    ['a short hash', `0,100,${HEX_A.slice(1)},0.000`],
    ['a non-hex hash', `0,100,${'g'.repeat(64)},0.000`],
    ['a quality over 100', `0,101,${HEX_A},0.000`],
    ['a negative frame', `-1,100,${HEX_A},0.000`],
    ['a negative timestamp', `0,100,${HEX_A},-1.000`],
    ['a non-numeric timestamp', `0,100,${HEX_A},soon`],
  ])('rejects %s with INVALID_HASH naming the line', (_name, line) => {
    expect(codeOf(() => parseVpdqFile(`0,100,${HEX_A},0.000\n${line}\n`))).toBe('INVALID_HASH');
    expect(() => parseVpdqFile(`0,100,${HEX_A},0.000\n${line}\n`)).toThrow(/line 2/);
  });
});

describe('HMA / python-threatexchange signal string', () => {
  it('writes Python json.dumps spacing and `.3` timestamps', () => {
    const signal = formatVpdqSignal([
      { pdq: HEX_A, quality: 100, timestamp: 0 },
      { pdq: HEX_B, quality: 49, timestamp: 123.4 },
    ]);
    expect(signal).toBe(`["${HEX_A},100,0.0", "${HEX_B},49,1.23e+02"]`);
  });

  it('parses what it writes, timestamps to 3 significant digits', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20, size: 'max' }), (frames) => {
        const parsed = parseVpdqSignal(formatVpdqSignal(frames));
        expect(parsed.map((f) => [f.pdq, f.quality])).toEqual(frames.map((f) => [f.pdq, f.quality]));
        parsed.forEach((f, i) => {
          const ts = frames[i]!.timestamp;
          expect(Math.abs(f.timestamp - ts)).toBeLessThanOrEqual(Math.max(ts, 1e-3) * 5e-3);
        });
      }),
    );
  });

  it.each([
    ['invalid JSON', '[', /invalid JSON/],
    ['a non-array', '{}', /JSON array/],
    ['a non-string element', '[1]', /element 0/],
    ['a wrong field count', `["${HEX_A},100"]`, /3 comma-separated/],
    ['a bad hash', `["abc,100,0.0"]`, /64 hex/],
    ['a quality over 100', `["${HEX_A},101,0.0"]`, /quality/],
    ['a negative timestamp', `["${HEX_A},100,-1.0"]`, /timestamp/],
  ])('rejects %s with INVALID_HASH', (_name, signal, message) => {
    expect(codeOf(() => parseVpdqSignal(signal))).toBe('INVALID_HASH');
    expect(() => parseVpdqSignal(signal)).toThrow(message);
  });

  it('rejects non-string arguments with TypeError', () => {
    expect(() => parseVpdqSignal(42 as unknown as string)).toThrow(TypeError);
    expect(() => parseVpdqFile(null as unknown as string)).toThrow(TypeError);
  });
});
