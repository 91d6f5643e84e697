/**
 * Eager option checks with messages of the form "Expected `name` to be …, got …".
 *
 * @module
 * @internal
 */

/** A short, safe rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `a ${value.constructor.name}`;
  return typeof value === 'symbol' ? 'a symbol' : 'an object';
}

/** True for a plain non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws a TypeError unless `value` is undefined or an object; returns it as a record. */
export function checkObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new TypeError(`Expected \`${name}\` to be an object, got ${describeValue(value)}`);
  return value;
}

/** Throws a TypeError naming the first key of `value` that is not in `known`. */
export function checkKnownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const where = name === 'options' ? '' : ` in \`${name}\``;
      throw new TypeError(`Unknown option \`${key}\`${where}; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`);
    }
  }
}

/** An integer in [min, max] (max may be Infinity), or the default when undefined. */
export function checkInteger(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    const message = `Expected \`${name}\` to be an integer ${range}, got ${describeValue(value)}`;
    throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
  }
  return value;
}

/** A finite number in [min, max], or the default when undefined. */
export function checkNumber(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const message = `Expected \`${name}\` to be a number from ${min} to ${max}, got ${describeValue(value)}`;
    throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
  }
  return value;
}

/** A boolean, or the default when undefined. */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describeValue(value)}`);
  return value;
}

/** A non-empty string, or the default when undefined. */
export function checkString<T extends string | undefined>(name: string, value: unknown, fallback: T): string | T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}
