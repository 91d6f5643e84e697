import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFixed, formatPythonGeneral } from './vpdq-decimal.js';

// Expected strings produced by CPython 3.11 (`format(x, '.3')` and `'%.3f' % x`), an independent oracle.
const PYTHON: Array<[number, string, string]> = [
  [0.0, '0.0', '0.000'],
  [1.0, '1.0', '1.000'],
  [0.5, '0.5', '0.500'],
  [12.345, '12.3', '12.345'],
  [99.99, '1e+02', '99.990'],
  [123.4, '1.23e+02', '123.400'],
  [100.0, '1e+02', '100.000'],
  [120.0, '1.2e+02', '120.000'],
  [1e-5, '1e-05', '0.000'],
  [0.0001, '0.0001', '0.000'],
  [1.125, '1.12', '1.125'],
  [0.0625, '0.0625', '0.062'],
  [9.995, '9.99', '9.995'],
  [999.5, '1e+03', '999.500'],
  [0.00012345, '0.000123', '0.000'],
  [2.5, '2.5', '2.500'],
  [1234567.0, '1.23e+06', '1234567.000'],
  [0.033333335071992876, '0.0333', '0.033'],
  [0.9676333665847778, '0.968', '0.968'],
  [20.03333282470703, '20.0', '20.033'],
  [0.625, '0.625', '0.625'],
];

describe('formatPythonGeneral (Python `.3`)', () => {
  it.each(PYTHON)('%s -> %s', (x, python) => {
    expect(formatPythonGeneral(x, 3)).toBe(python);
  });
});

describe('formatFixed (C `%.3f`)', () => {
  it.each(PYTHON)('%s -> %s', (x, _python, fixed) => {
    expect(formatFixed(x, 3)).toBe(fixed);
  });

  it('rounds exact ties to even, unlike toFixed', () => {
    expect((0.0625).toFixed(3)).toBe('0.063');
    expect(formatFixed(0.0625, 3)).toBe('0.062');
    expect(formatFixed(0.1875, 3)).toBe('0.188');
  });

  it('agrees with toFixed on every float32 timestamp that is not an exact tie', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0.5, max: 240, noNaN: true }), (frame, fps) => {
        const ts = Math.fround(Math.fround(frame) / Math.fround(fps));
        const scaled = ts * 1000; // exact: a float32 times 1000 fits in a double
        const isTie = scaled - Math.floor(scaled) === 0.5;
        if (!isTie) expect(formatFixed(ts, 3)).toBe(ts.toFixed(3));
        // Half a unit of the last digit, plus the error of parsing the printed value back into a double.
        expect(Math.abs(Number(formatFixed(ts, 3)) - ts)).toBeLessThanOrEqual(0.0005 + ts * 2 ** -50);
      }),
    );
  });

  it('formats negative values and zero digits', () => {
    expect(formatFixed(-1.5, 0)).toBe('-2');
    expect(formatFixed(-0.25, 1)).toBe('-0.2');
    expect(formatFixed(2.5, 0)).toBe('2');
  });

  it('rejects non-finite values', () => {
    expect(() => formatFixed(Number.NaN, 3)).toThrow(RangeError);
    expect(() => formatPythonGeneral(Number.POSITIVE_INFINITY, 3)).toThrow(RangeError);
  });
});
