/**
 * Eager option checks for the sources and the HTTP transport. Each throws a `TypeError` / `RangeError` with a
 * message of the form "Expected `name` to be ..., got ...".
 *
 * @module
 */

/** A short, safe rendering of a bad option value (never echoes long strings, which may be secrets). */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** Checks an optional integer in `[min, max]`; returns it or `fallback`. */
export function checkInteger(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${showValue(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Checks an optional finite number in `[min, max]`; returns it or `fallback`. */
export function checkNumber(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number from ${min} to ${max}, got ${showValue(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected \`${name}\` to be a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Checks an optional boolean; returns it or `fallback`. */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got ${showValue(value)}`);
  return value;
}

/** Checks an optional non-empty string; returns it or `fallback`. */
export function checkString<T extends string | undefined>(name: string, value: unknown, fallback: T): string | T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${showValue(value)}`);
  }
  return value;
}

/** Checks that `value` is one of `allowed` (or undefined); returns it or `fallback`. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`Expected \`${name}\` to be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${showValue(value)}`);
  }
  return value as T;
}

/** Checks that `value` is an `AbortSignal` (or undefined). */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new TypeError(`Expected \`${name}\` to be an AbortSignal, got ${showValue(value)}`);
  return value;
}

/** A list id: letters, digits, `.`, `_`, `-`, 1 to 64 characters. */
export function checkSourceId(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    throw new TypeError(
      `Expected \`id\` to be 1 to 64 letters, digits, '.', '_' or '-', got ${showValue(value)}`,
    );
  }
  return value;
}
