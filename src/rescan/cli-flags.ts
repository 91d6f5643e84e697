/**
 * Flag parsing helpers shared by `tidscan match` and `tidscan rescan`.
 *
 * @module
 * @internal
 */
import { UsageError } from '../cli/command.js';

/** Parses an integer flag value, or returns undefined when the flag was not given. */
export function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`Expected --${name} to be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses a positive number of seconds. */
export function secondsFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`Expected --${name} to be a positive number of seconds, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Checks a flag against a fixed set of words. */
export function choiceFlag<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`Expected --${name} to be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
