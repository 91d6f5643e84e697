/**
 * Eager argument checks shared by every index. Bad arguments are programming mistakes, so they throw plain
 * `TypeError` / `RangeError` with "Expected `x` to be …, got …" messages (see STYLE.md, principle 6).
 *
 * @module
 */

/** Largest id an index accepts: ids are uint32 handles. */
export const MAX_ID = 0xffff_ffff;

/** Bytes in a packed PDQ hash. */
export const PDQ_BYTES = 32;

/** Largest meaningful query radius for a 256-bit hash. */
export const MAX_DISTANCE = 256;

/** A short, safe description of any value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  return typeof value;
}

/** Throws unless `id` is an integer from 0 to 2^32-1. */
export function assertId(id: unknown, name = 'id'): asserts id is number {
  if (typeof id !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be an integer from 0 to ${MAX_ID}, got ${describeValue(id)}`);
  }
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
    throw new RangeError(`Expected \`${name}\` to be an integer from 0 to ${MAX_ID}, got ${describeValue(id)}`);
  }
}

/** Throws unless `size` (a capacity to reserve) is an integer from 0 to 2^32-1. */
export function assertCapacity(size: unknown): asserts size is number {
  if (typeof size !== 'number') throw new TypeError(`Expected \`size\` to be an integer from 0 to ${MAX_ID}, got ${describeValue(size)}`);
  if (!Number.isInteger(size) || size < 0 || size > MAX_ID) {
    throw new RangeError(`Expected \`size\` to be an integer from 0 to ${MAX_ID}, got ${describeValue(size)}`);
  }
}

/** Throws unless `bytes` is a `Uint8Array` of exactly `length` bytes. */
export function assertBytes(bytes: unknown, length: number, name: string, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`Expected \`${name}\` to be a Uint8Array of ${length} bytes (${what}), got ${describeValue(bytes)}`);
  }
  if (bytes.length !== length) {
    throw new RangeError(`Expected \`${name}\` to be a Uint8Array of ${length} bytes (${what}), got ${describeValue(bytes)}`);
  }
}

/** Throws unless `hash` is a packed 32-byte PDQ hash. */
export function assertPdqBytes(hash: unknown, name = 'hash'): asserts hash is Uint8Array {
  assertBytes(hash, PDQ_BYTES, name, 'a packed PDQ hash');
}

/** Throws unless `maxDistance` is an integer from 0 to 256. */
export function assertMaxDistance(maxDistance: unknown): asserts maxDistance is number {
  if (typeof maxDistance !== 'number') {
    throw new TypeError(
      `Expected \`maxDistance\` to be an integer from 0 to ${MAX_DISTANCE}, got ${describeValue(maxDistance)}`,
    );
  }
  if (!Number.isInteger(maxDistance) || maxDistance < 0 || maxDistance > MAX_DISTANCE) {
    throw new RangeError(
      `Expected \`maxDistance\` to be an integer from 0 to ${MAX_DISTANCE}, got ${describeValue(maxDistance)}`,
    );
  }
}
