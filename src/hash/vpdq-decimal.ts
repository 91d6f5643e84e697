/**
 * Exact decimal formatting of doubles, so vPDQ timestamps print exactly as the references do: C `printf("%.3f")`
 * (C++ `vpdq-hash-video` files) and Python `f"{ts:.3}"` (python-threatexchange / HMA signal strings). Both round the
 * exact binary value half-to-even; JavaScript's `toFixed` / `toPrecision` round ties up, which differs on values
 * such as 0.0625 or 1.125 that frame/fps divisions do produce. Pure: no Node imports.
 *
 * @module
 */

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** `|x| = n / 10^k` exactly (every finite double is a finite decimal). */
function exactDecimal(x: number): { n: bigint; k: number } {
  F64[0] = Math.abs(x);
  const bits = U64[0]!;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  if (exponent >= 0) return { n: mantissa << BigInt(exponent), k: 0 };
  // m / 2^e = m * 5^e / 10^e
  return { n: mantissa * 5n ** BigInt(-exponent), k: -exponent };
}

/** `n / 10^k` rounded half-to-even to `d` fractional digits (d may be negative): returns q with value q / 10^d. */
function roundHalfEven(n: bigint, k: number, d: number): bigint {
  if (k <= d) return n * 10n ** BigInt(d - k);
  const divisor = 10n ** BigInt(k - d);
  let q = n / divisor;
  const r = n % divisor;
  const twice = 2n * r;
  if (twice > divisor || (twice === divisor && q % 2n === 1n)) q += 1n;
  return q;
}

function assertFinite(x: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`Expected a finite number, got ${String(x)}`);
}

/**
 * C's `printf("%.*f", digits, x)` (glibc: exact value, ties to even).
 *
 * @example
 * ```ts
 * formatFixed(0.0625, 3) // '0.062' (toFixed gives '0.063')
 * ```
 */
export function formatFixed(x: number, digits: number): string {
  assertFinite(x);
  const { n, k } = exactDecimal(x);
  const q = roundHalfEven(n, k, digits);
  const s = q.toString().padStart(digits + 1, '0');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return digits === 0 ? sign + s : `${sign}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/**
 * Python's `format(x, f".{precision}")` (empty presentation type: like `g`, but fixed notation keeps at least one
 * fractional digit, and exponent notation starts at exponent `precision - 1`): 12.345 -> `12.3`, 1.0 -> `1.0`, 99.99 -> `1e+02`, 123.4 -> `1.23e+02`, 0.0 -> `0.0`.
 */
export function formatPythonGeneral(x: number, precision: number): string {
  assertFinite(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const { n, k } = exactDecimal(x);
  let exponent = n.toString().length - 1 - k;
  let q = roundHalfEven(n, k, precision - 1 - exponent);
  if (q.toString().length > precision) {
    // Rounding carried into a new digit (9.996 -> 10.0): one more order of magnitude, trailing zero dropped.
    exponent += 1;
    q /= 10n;
  }
  const digits = q.toString();
  // Python's empty presentation type switches to exponent notation one digit earlier than `g` does.
  if (exponent < -4 || exponent >= precision - 1) {
    const mantissa = (digits[0]! + '.' + digits.slice(1)).replace(/\.?0+$/, '');
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  let fixed: string;
  if (exponent >= 0) {
    const intPart = digits.slice(0, exponent + 1);
    const frac = digits.slice(exponent + 1).replace(/0+$/, '');
    fixed = `${intPart}.${frac === '' ? '0' : frac}`;
  } else {
    fixed = `0.${'0'.repeat(-exponent - 1)}${digits.replace(/0+$/, '')}`;
  }
  return sign + fixed;
}
