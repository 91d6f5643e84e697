/**
 * The repeat-content cache: verdicts by SHA-256 of the content, so the same upload is not decoded twice. Every
 * entry belongs to one "generation" (list version plus allowlist version); the first lookup under a new generation
 * empties the cache, so a verdict is never served against a list it was not judged against.
 *
 * @module
 * @internal
 */
import { LRUCache } from 'lru-cache';
import type { ScanOperation, Verdict } from './types.js';

/** Counters of the cache for `stats()`. */
export interface ScannerCacheStats {
  /** Verdicts held. */
  size: number;
  /** Capacity (0 = off). */
  max: number;
  hits: number;
  misses: number;
  /** Times the cache was emptied because the list or the allowlist changed. */
  invalidations: number;
}

/** Verdicts keyed by operation and content SHA-256, valid for one generation. */
export class VerdictCache {
  readonly #max: number;
  readonly #lru: LRUCache<string, Verdict> | undefined;
  #generation = '';
  #hits = 0;
  #misses = 0;
  #invalidations = 0;

  /** @param max - capacity; 0 disables the cache. */
  constructor(max: number) {
    this.#max = max;
    this.#lru = max > 0 ? new LRUCache<string, Verdict>({ max }) : undefined;
  }

  /** True when the cache holds anything at all (capacity above 0). */
  get enabled(): boolean {
    return this.#lru !== undefined;
  }

  /** A copy of the verdict for this content under `generation`, or undefined. */
  get(operation: ScanOperation, sha256: string, generation: string): Verdict | undefined {
    if (!this.#lru) return undefined;
    this.#sync(generation);
    const hit = this.#lru.get(`${operation}:${sha256}`);
    if (hit === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    return structuredClone(hit);
  }

  /** Remembers a verdict judged under `generation` (a copy, so callers may mutate theirs). */
  set(operation: ScanOperation, sha256: string, generation: string, verdict: Verdict): void {
    if (!this.#lru) return;
    this.#sync(generation);
    this.#lru.set(`${operation}:${sha256}`, structuredClone(verdict));
  }

  stats(): ScannerCacheStats {
    return {
      size: this.#lru?.size ?? 0,
      max: this.#max,
      hits: this.#hits,
      misses: this.#misses,
      invalidations: this.#invalidations,
    };
  }

  #sync(generation: string): void {
    if (generation === this.#generation) return;
    if (this.#lru && this.#lru.size > 0) {
      this.#lru.clear();
      this.#invalidations++;
    }
    this.#generation = generation;
  }
}
