/**
 * The false-positive allowlist: list entries or exact contents (SHA-256) the platform has reviewed and found not
 * to be what the list says. Held in memory for lookups, written through to the store so it survives restarts.
 *
 * @module
 * @internal
 */
import { normalizeHex } from '../hash/hex.js';
import type { AllowlistView } from './judge.js';
import type { FalsePositive, FalsePositiveTarget } from './types.js';
import { describeValue, isPlainObject } from './validate.js';

/** Where false positives are persisted (the list store). */
export interface FalsePositivePersistence {
  /** Inserts or replaces the record for its target. */
  add(record: FalsePositive): void;
  /** Deletes the record for this target; true when there was one. */
  remove(target: FalsePositiveTarget): boolean;
  /** Every record. */
  list(): FalsePositive[];
}

/** Options of `addFalsePositive`. */
export interface AddFalsePositiveOptions {
  /** Free text kept with the record, e.g. a review ticket id. */
  note?: string;
}

/**
 * Checks and normalises a false-positive target (lowercase SHA-256).
 *
 * @throws {TypeError} when it is neither `{ list, entryId }` nor `{ sha256 }`.
 * @throws {HashFormatError} `INVALID_HASH` for a malformed SHA-256.
 */
export function normalizeTarget(target: unknown): FalsePositiveTarget {
  if (!isPlainObject(target)) {
    throw new TypeError(`Expected a false-positive target \`{ list, entryId }\` or \`{ sha256 }\`, got ${describeValue(target)}`);
  }
  const keys = Object.keys(target).sort().join(',');
  if (keys === 'entryId,list') {
    for (const key of ['list', 'entryId'] as const) {
      if (typeof target[key] !== 'string' || target[key] === '') {
        throw new TypeError(`Expected \`${key}\` to be a non-empty string, got ${describeValue(target[key])}`);
      }
    }
    return { list: target.list as string, entryId: target.entryId as string };
  }
  if (keys === 'sha256') return { sha256: normalizeHex('sha256', target.sha256) };
  throw new TypeError(
    `Expected a false-positive target \`{ list, entryId }\` or \`{ sha256 }\`, got an object with keys ${keys || '(none)'}`,
  );
}

function entryKey(list: string, entryId: string): string {
  return `${list}\u0000${entryId}`;
}

/** The in-memory allowlist, written through to its persistence. */
export class Allowlist implements AllowlistView {
  readonly #persistence: FalsePositivePersistence;
  readonly #byEntry = new Map<string, FalsePositive>();
  readonly #byContent = new Map<string, FalsePositive>();
  #version = 0;

  constructor(persistence: FalsePositivePersistence) {
    this.#persistence = persistence;
    for (const record of persistence.list()) this.#remember(record);
  }

  /** Increases on every change (part of the verdict cache's generation). */
  get version(): number {
    return this.#version;
  }

  /** Number of records. */
  get size(): number {
    return this.#byEntry.size + this.#byContent.size;
  }

  forEntry(list: string, entryId: string): FalsePositive | undefined {
    return this.#byEntry.get(entryKey(list, entryId));
  }

  forContent(sha256: string): FalsePositive | undefined {
    return this.#byContent.get(sha256);
  }

  /** Records a false positive (replacing an earlier record for the same target) and returns it. */
  add(target: unknown, options: AddFalsePositiveOptions = {}): FalsePositive {
    const normalized = normalizeTarget(target);
    if (!isPlainObject(options)) throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
    if (options.note !== undefined && typeof options.note !== 'string') {
      throw new TypeError(`Expected \`note\` to be a string, got ${describeValue(options.note)}`);
    }
    const record: FalsePositive = { ...normalized, createdAt: new Date().toISOString() };
    if (options.note !== undefined) record.note = options.note;
    this.#persistence.add(record);
    this.#remember(record);
    this.#version++;
    return { ...record };
  }

  /** Removes the record for a target; true when there was one. */
  remove(target: unknown): boolean {
    const normalized = normalizeTarget(target);
    const removed = this.#persistence.remove(normalized);
    const had =
      'sha256' in normalized
        ? this.#byContent.delete(normalized.sha256)
        : this.#byEntry.delete(entryKey(normalized.list, normalized.entryId));
    if (removed || had) this.#version++;
    return removed || had;
  }

  /**
   * Re-reads the persistence (records another process added or removed); bumps the version when anything
   * changed. Returns true when it did.
   */
  reload(): boolean {
    const records = this.#persistence.list();
    const current = this.list();
    const same =
      records.length === current.length &&
      records.every((r) => {
        const mine = 'sha256' in r ? this.forContent(r.sha256) : this.forEntry(r.list, r.entryId);
        return mine !== undefined && mine.createdAt === r.createdAt && mine.note === r.note;
      });
    if (same) return false;
    this.#byEntry.clear();
    this.#byContent.clear();
    for (const record of records) this.#remember(record);
    this.#version++;
    return true;
  }

  /** Every record, entries first, each group in insertion order. */
  list(): FalsePositive[] {
    return [...this.#byEntry.values(), ...this.#byContent.values()].map((r) => ({ ...r }));
  }

  #remember(record: FalsePositive): void {
    if ('sha256' in record) this.#byContent.set(record.sha256, record);
    else this.#byEntry.set(entryKey(record.list, record.entryId), record);
  }
}
