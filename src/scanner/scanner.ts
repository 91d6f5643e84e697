/**
 * `createScanner`: the API an upload pipeline calls. It hashes uploads (images with sharp, videos with ffmpeg),
 * judges the hashes against the synced lists with {@link judge}, and returns a {@link Verdict}.
 *
 * Nothing leaves the process while matching: hashing and lookups are local, and only `sync()` talks to the
 * configured list sources.
 *
 * @module
 */
import { MediaError, ScannerError, isTidscanError } from '../errors.js';
import { normalizeHex } from '../hash/hex.js';
import { PDQ_MIN_HASHABLE_DIM } from '../hash/pdq-constants.js';
import { type ImageHash, hashImageResolved } from '../media/image.js';
import { type HashImageOptions, type ResolvedImageOptions, resolveImageOptions } from '../media/image-options.js';
import { type MediaInput, readMediaInput } from '../media/read-input.js';
import { type VideoHashResult, hashVideo } from '../media/video.js';
import { materializeVideo, type VideoInput } from '../media/video-input.js';
import { type HashVideoOptions, resolveHashVideoOptions } from '../media/video-options.js';
import type { HashListStats } from '../list/hash-list.js';
import type { SyncReport } from '../sync/syncer-report.js';
import type { EntryKind } from '../sync/types.js';
import { type AddFalsePositiveOptions, Allowlist } from './allowlist.js';
import type { ScannerBackend } from './backend.js';
import { type MatchManyResult, runBatch } from './batch.js';
import { digestsInSlices, sha256InSlices } from './content-digest.js';
import { publishError, publishMatch } from './diagnostics.js';
import { type JudgeRequest, type JudgeSettings, type Unusable, judge } from './judge.js';
import { type ResolvedScannerOptions, resolveScannerOptions } from './options.js';
import type {
  ComputedHashes,
  FalsePositive,
  FalsePositiveTarget,
  FrameHash,
  HashesInput,
  MatchManyOptions,
  MediaInfo,
  ScanOperation,
  ScannerOptions,
  Verdict,
} from './types.js';
import { checkInteger, checkObject, describeValue, isPlainObject } from './validate.js';
import { type ScannerCacheStats, VerdictCache } from './verdict-cache.js';
import { type ScannerQueueStats, WorkQueue } from './work-queue.js';

/** Per-call options of `matchImage` / `matchVideo`. */
export interface ScanCallOptions {
  /** Cancels the call: it rejects with the signal's reason (ffmpeg is killed, temporary files removed). */
  signal?: AbortSignal;
}

/** Counters returned by `stats()`. */
export interface ScannerStats {
  /** The current list version (what a verdict judged now would carry). */
  listVersion: number;
  /** Entries, fingerprints and memory of the in-memory list. */
  list: HashListStats;
  falsePositives: number;
  queue: ScannerQueueStats;
  cache: ScannerCacheStats;
  /** Verdicts returned so far, by kind, and calls that rejected. */
  verdicts: { match: number; no_match: number; unhashable: number; errors: number };
}

/** The scanner facade. Create one per process with {@link createScanner} and share it. */
export interface Scanner {
  /**
   * Hashes an image (MD5, SHA-1, SHA-256 of its bytes; PDQ of its pixels) and judges it.
   *
   * @param input The bytes, a file path or `file:` URL, or a readable stream.
   * @throws {MediaError} from image hashing, unchanged (`DECODE_FAILED`, `UNSUPPORTED_FORMAT`, `TOO_MANY_PIXELS`, ...).
   * @throws {ScannerError} `QUEUE_FULL`, `SCANNER_CLOSED`.
   */
  matchImage(input: MediaInput, options?: ScanCallOptions): Promise<Verdict>;
  /**
   * Hashes a video (file digests; PDQ of sampled frames) and judges it: file digests against video entries, vPDQ
   * against vPDQ entries, and every sampled frame against image entries (a listed photo shown in a video is caught,
   * with the frame and timestamp).
   *
   * @throws {VideoError} from video hashing, unchanged (`FFMPEG_NOT_FOUND`, `FFMPEG_TIMEOUT`, `VIDEO_TOO_LONG`, ...).
   * @throws {ScannerError} `QUEUE_FULL`, `SCANNER_CLOSED`.
   */
  matchVideo(input: VideoInput, options?: ScanCallOptions): Promise<Verdict>;
  /**
   * Judges hashes computed elsewhere (an edge hasher, a partner). Digests are compared with image and video entries.
   *
   * @throws {HashFormatError} `INVALID_HASH` for a malformed hash.
   * @throws {ScannerError} `SCANNER_CLOSED`.
   */
  matchHashes(hashes: HashesInput): Promise<Verdict>;
  /**
   * Scans many inputs with a bounded window, yielding one result per input **in input order** (`index` is the
   * 0-based position). A failing input yields `{ input, error }` and the batch goes on. Waits for room in the queue
   * instead of failing with `QUEUE_FULL`. Breaking out of the loop stops pulling inputs.
   *
   * @example
   * ```ts
   * for await (const r of scanner.matchMany(paths, { concurrency: 4 })) {
   *   if (r.error) console.error(r.input, r.error);
   *   else if (r.verdict.kind === 'match') quarantine(r.input);
   * }
   * ```
   */
  matchMany<I extends MediaInput>(
    inputs: Iterable<I> | AsyncIterable<I>,
    options?: MatchManyOptions,
  ): AsyncIterableIterator<MatchManyResult<I>>;
  /**
   * Pulls every configured list into the store and the in-memory list, page by page (matching goes on meanwhile
   * and sees each page entirely or not at all). Resolves to the sync report; like `sync()` of the sync module it
   * does not reject for source failures: `report.ok` and `report.error` say what went wrong, and pages committed
   * before a failure stay committed. Concurrent calls share one run (and the first caller's `signal`).
   *
   * @throws {ScannerError} `SCANNER_CLOSED`.
   */
  sync(options?: { signal?: AbortSignal }): Promise<SyncReport>;
  /** Marks a list entry or a content SHA-256 as a false positive; later verdicts exclude it and say so. */
  addFalsePositive(target: FalsePositiveTarget, options?: AddFalsePositiveOptions): Promise<FalsePositive>;
  /** Removes a false-positive record; resolves to false when there was none. */
  removeFalsePositive(target: FalsePositiveTarget): Promise<boolean>;
  /** Every false-positive record. */
  listFalsePositives(): Promise<FalsePositive[]>;
  /** Counters for dashboards. */
  stats(): ScannerStats;
  /**
   * Stops accepting work. Scans already hashing, cache hits and `matchHashes` calls in progress finish; scans that
   * had not started hashing reject with `SCANNER_CLOSED`. Waits for a running sync, then closes the store.
   * Idempotent; later calls reject with `SCANNER_CLOSED`.
   */
  close(): Promise<void>;
}

/** Builds the list side; replaced in tests, otherwise {@link openBackend}. */
export type BackendFactory = (options: ResolvedScannerOptions) => Promise<ScannerBackend>;

/** How often false positives recorded by another process sharing the store are picked up. */
const ALLOWLIST_RELOAD_MS = 1000;

const HASHES_KEYS = ['md5', 'sha1', 'sha256', 'pdq', 'quality', 'vpdq'] as const;

class ScannerImpl implements Scanner {
  readonly #o: ResolvedScannerOptions;
  readonly #backend: ScannerBackend;
  readonly #allowlist: Allowlist;
  readonly #queue: WorkQueue;
  readonly #cache: VerdictCache;
  readonly #settings: JudgeSettings;
  readonly #image: ResolvedImageOptions;
  readonly #video: HashVideoOptions;
  readonly #counts = { match: 0, no_match: 0, unhashable: 0, errors: 0 };
  #allowlistCheckedAt = performance.now();
  #closed = false;
  #closing: Promise<void> | undefined;
  #syncing: Promise<SyncReport> | undefined;
  readonly #inflight = new Set<Promise<void>>();

  constructor(o: ResolvedScannerOptions, backend: ScannerBackend, image: ResolvedImageOptions, video: HashVideoOptions) {
    this.#o = o;
    this.#backend = backend;
    this.#allowlist = new Allowlist(backend.falsePositives);
    this.#queue = new WorkQueue(o.concurrency, o.maxQueue);
    this.#cache = new VerdictCache(o.cacheSize);
    this.#image = { ...image, dihedral: o.dihedral };
    this.#video = video;
    const byId = new Map(o.lists.map((l, i) => [l.id, { thresholds: l, rank: i }]));
    this.#settings = {
      minQuality: o.minQuality,
      thresholdsFor: (list) => byId.get(list)?.thresholds ?? o.defaults,
      maxPdqDistance: Math.max(o.defaults.maxDistance, ...o.lists.map((l) => l.maxDistance)),
      listRank: (list) => byId.get(list)?.rank ?? o.lists.length,
    };
  }

  matchImage(input: MediaInput, options?: ScanCallOptions): Promise<Verdict> {
    return this.#scan('image', () => this.#matchImage(input, options, true));
  }

  matchVideo(input: VideoInput, options?: ScanCallOptions): Promise<Verdict> {
    return this.#scan('video', () => this.#matchVideo(input, options, true));
  }

  matchHashes(hashes: HashesInput): Promise<Verdict> {
    return this.#scan('hashes', async (start) => {
      const computed = normalizeHashesInput(hashes);
      const unusable: Unusable | undefined =
        Object.keys(computed).length === 0 ? { reason: 'no_hashes', message: 'No hash was given' } : undefined;
      return this.#judge('hashes', computed, ['image', 'video'], unusable, undefined, start, 0);
    });
  }

  matchMany<I extends MediaInput>(
    inputs: Iterable<I> | AsyncIterable<I>,
    options: MatchManyOptions = {},
  ): AsyncIterableIterator<MatchManyResult<I>> {
    const o = checkObject('options', options);
    const concurrency = checkInteger('concurrency', o.concurrency, 1, 1024, this.#o.concurrency);
    const kind = o.kind ?? 'image';
    if (kind !== 'image' && kind !== 'video') {
      throw new TypeError(`Expected \`kind\` to be 'image' or 'video', got ${describeValue(kind)}`);
    }
    const signal = o.signal as AbortSignal | undefined;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describeValue(signal)}`);
    }
    if (this.#closed) {
      return (async function* closed(): AsyncGenerator<MatchManyResult<I>, void, undefined> {
        throw closedError();
      })();
    }
    const scan = (input: I): Promise<Verdict> =>
      kind === 'image'
        ? this.#scan('image', () => this.#matchImage(input, { signal }, false))
        : this.#scan('video', () => this.#matchVideo(input as VideoInput, { signal }, false));
    return runBatch(inputs, scan, concurrency, signal);
  }

  sync(options: { signal?: AbortSignal } = {}): Promise<SyncReport> {
    if (this.#closed) return Promise.reject(closedError());
    this.#syncing ??= this.#backend.sync({ signal: options.signal }).finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async addFalsePositive(target: FalsePositiveTarget, options?: AddFalsePositiveOptions): Promise<FalsePositive> {
    this.#assertOpen();
    return this.#allowlist.add(target, options);
  }

  async removeFalsePositive(target: FalsePositiveTarget): Promise<boolean> {
    this.#assertOpen();
    return this.#allowlist.remove(target);
  }

  async listFalsePositives(): Promise<FalsePositive[]> {
    this.#assertOpen();
    return this.#allowlist.list();
  }

  stats(): ScannerStats {
    return {
      listVersion: this.#backend.list.version,
      list: this.#backend.stats(),
      falsePositives: this.#allowlist.size,
      queue: this.#queue.stats(),
      cache: this.#cache.stats(),
      verdicts: { ...this.#counts },
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await Promise.all([...this.#inflight]);
      await this.#queue.onIdle();
      await this.#syncing?.catch(() => undefined);
      this.#backend.close();
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  /** Wraps one call: closed check, events, counters. Errors are re-thrown unchanged. */
  async #scan(operation: ScanOperation, run: (start: number) => Promise<Verdict>): Promise<Verdict> {
    const start = performance.now();
    let done: (() => void) | undefined;
    try {
      this.#assertOpen();
      // close() waits for accepted calls (cache lookups happen outside the queue) before closing the store.
      const settled = new Promise<void>((resolve) => (done = resolve));
      this.#inflight.add(settled);
      void settled.then(() => this.#inflight.delete(settled));
      const verdict = await run(start);
      verdict.timing.totalMs = performance.now() - start;
      this.#counts[verdict.kind]++;
      publishMatch(operation, verdict, verdict.timing.totalMs);
      return verdict;
    } catch (error) {
      this.#counts.errors++;
      publishError(operation, error, performance.now() - start);
      throw error;
    } finally {
      done?.();
    }
  }

  /** Runs hashing work in a slot; work that had not started when the scanner closed is refused. */
  #inSlot<T>(work: () => Promise<T>, bounded: boolean): Promise<T> {
    return this.#queue.run(async () => {
      this.#assertOpen();
      return work();
    }, bounded);
  }

  /** Catches up with what another process committed to the same store: the list always, the allowlist each second. */
  #refresh(): void {
    this.#backend.refresh();
    const now = performance.now();
    if (now - this.#allowlistCheckedAt >= ALLOWLIST_RELOAD_MS) {
      this.#allowlistCheckedAt = now;
      this.#allowlist.reload();
    }
  }

  #generation(): string {
    return `${this.#backend.list.version}:${this.#allowlist.version}`;
  }

  #cached(operation: ScanOperation, sha256: string, start: number): Verdict | undefined {
    this.#refresh();
    const hit = this.#cache.get(operation, sha256, this.#generation());
    if (hit) hit.timing = { totalMs: performance.now() - start, hashMs: 0, matchMs: 0, cached: true };
    return hit;
  }

  async #matchImage(input: MediaInput, call: ScanCallOptions | undefined, bounded: boolean): Promise<Verdict> {
    const start = performance.now();
    const signal = callSignal(call);
    if (input instanceof Uint8Array && this.#cache.enabled) {
      const hit = this.#cached('image', await sha256InSlices(input), start);
      if (hit) return hit;
    }
    return this.#inSlot(async () => {
      const budget = this.#image.timeoutMs;
      const hashStart = performance.now();
      // Paths and streams are read here (inside the slot, so at most `concurrency` inputs are buffered) so the
      // cache can be asked before decoding.
      const bytes = input instanceof Uint8Array ? input : await readWithin(input, this.#image, signal);
      if (!(input instanceof Uint8Array) && this.#cache.enabled) {
        const hit = this.#cached('image', await sha256InSlices(bytes), start);
        if (hit) return hit;
      }
      const remaining = Math.max(1, Math.round(budget - (performance.now() - hashStart)));
      const image = await hashImageResolved(bytes, { ...this.#image, timeoutMs: remaining, signal });
      const hashMs = performance.now() - hashStart;
      const { hashes, unusable } = imageHashes(image);
      const media: MediaInfo = { kind: 'image', width: image.width, height: image.height, format: image.format };
      const verdict = this.#judge('image', hashes, ['image'], unusable, media, start, hashMs);
      if (hashes.sha256) this.#cache.set('image', hashes.sha256, this.#generation(), verdict);
      return verdict;
    }, bounded);
  }

  async #matchVideo(input: VideoInput, call: ScanCallOptions | undefined, bounded: boolean): Promise<Verdict> {
    const start = performance.now();
    const signal = callSignal(call);
    let known: ComputedHashes | undefined;
    if (input instanceof Uint8Array && this.#cache.enabled) {
      known = await digestsInSlices(input);
      const hit = this.#cached('video', known.sha256!, start);
      if (hit) return hit;
    }
    return this.#inSlot(async () => {
      const hashStart = performance.now();
      if (known === undefined && this.#cache.enabled && (typeof input === 'string' || input instanceof URL)) {
        known = await fileDigests(input, this.#video, signal);
        const hit = known ? this.#cached('video', known.sha256!, start) : undefined;
        if (hit) return hit;
      }
      let video: VideoHashResult;
      try {
        video = await hashVideo(input, { ...this.#video, signal });
      } catch (error) {
        const unusable = unhashableVideo(error);
        if (!unusable) throw error;
        // hashVideo reports no digests when it fails; bytes we hold are digested here (paths were, for the cache).
        if (known === undefined && input instanceof Uint8Array) known = await digestsInSlices(input);
        return this.#judge('video', { ...known }, ['video'], unusable, undefined, start, performance.now() - hashStart);
      }
      const hashMs = performance.now() - hashStart;
      const hashes: ComputedHashes = {
        md5: video.md5,
        sha1: video.sha1,
        sha256: video.sha256,
        vpdq: video.frames.map((f): FrameHash => ({ frame: f.frame, timestamp: f.timestamp, pdq: f.pdq, quality: f.quality })),
      };
      const media: MediaInfo = { kind: 'video', width: video.width, height: video.height, fps: video.fps };
      if (video.durationSec !== null) media.durationSec = video.durationSec;
      const verdict = this.#judge('video', hashes, ['video'], undefined, media, start, hashMs);
      this.#cache.set('video', video.sha256, this.#generation(), verdict);
      return verdict;
    }, bounded);
  }

  #judge(
    operation: ScanOperation,
    hashes: ComputedHashes,
    digestKinds: readonly EntryKind[],
    unusable: Unusable | undefined,
    media: MediaInfo | undefined,
    start: number,
    hashMs: number,
  ): Verdict {
    this.#refresh();
    const matchStart = performance.now();
    const request: JudgeRequest = { hashes, digestKinds };
    if (unusable) request.unusable = unusable;
    const j = judge(this.#backend.list, this.#allowlist, this.#settings, request);
    const now = performance.now();
    const base = {
      operation,
      hashes,
      listVersion: this.#backend.list.version,
      excluded: j.excluded,
      timing: { totalMs: now - start, hashMs, matchMs: now - matchStart, cached: false },
    };
    const withMedia = media ? { ...base, media } : base;
    if (j.matches.length > 0) return { kind: 'match', matches: j.matches, ...withMedia };
    if (j.unusable) return { kind: 'unhashable', reason: j.unusable.reason, message: j.unusable.message, ...withMedia };
    return { kind: 'no_match', ...withMedia };
  }
}

function closedError(): ScannerError {
  return new ScannerError('SCANNER_CLOSED', 'The scanner is closed');
}

function callSignal(call: ScanCallOptions | undefined): AbortSignal | undefined {
  if (call === undefined) return undefined;
  if (!isPlainObject(call)) throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(call)}`);
  const { signal } = call;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describeValue(signal)}`);
  }
  signal?.throwIfAborted();
  return signal;
}

/** Reads a path or stream into memory within the image time budget (`DECODE_TIMEOUT`, like hashImage). */
async function readWithin(input: MediaInput, image: ResolvedImageOptions, signal: AbortSignal | undefined): Promise<Buffer> {
  const budget = new AbortController();
  const timer = setTimeout(
    () => budget.abort(new MediaError('DECODE_TIMEOUT', `Reading the image took longer than ${image.timeoutMs} ms`)),
    image.timeoutMs,
  );
  const combined = signal ? AbortSignal.any([signal, budget.signal]) : budget.signal;
  try {
    return await readMediaInput(input, image.maxInputBytes, combined);
  } finally {
    clearTimeout(timer);
  }
}

/** The verdict hashes of an image, and why its PDQ cannot be used (too small: PDQ is undefined below 5 px). */
function imageHashes(image: ImageHash): { hashes: ComputedHashes; unusable?: Unusable } {
  const hashes: ComputedHashes = { md5: image.md5, sha1: image.sha1, sha256: image.sha256 };
  if (image.width < PDQ_MIN_HASHABLE_DIM || image.height < PDQ_MIN_HASHABLE_DIM) {
    return {
      hashes,
      unusable: {
        reason: 'too_small',
        message: `The image is ${image.width}x${image.height}; PDQ needs at least ${PDQ_MIN_HASHABLE_DIM} pixels on each side`,
      },
    };
  }
  hashes.pdq = image.pdq.hash;
  hashes.quality = image.pdq.quality;
  if (image.pdq.dihedral) hashes.dihedral = { ...image.pdq.dihedral };
  return { hashes };
}

/** Video failures that mean "valid file, nothing to hash" become an `unhashable` verdict instead of an error. */
function unhashableVideo(error: unknown): Unusable | undefined {
  if (!isTidscanError(error)) return undefined;
  const { code, message } = error;
  if (code === 'NO_VIDEO_STREAM') return { reason: 'no_video_stream', message };
  if (code === 'VIDEO_TOO_SMALL') return { reason: 'too_small', message };
  return undefined;
}

/** Digests of a video file before decoding, for the cache; undefined when the file cannot be read (hashVideo says why). */
async function fileDigests(
  input: string | URL,
  video: HashVideoOptions,
  signal: AbortSignal | undefined,
): Promise<ComputedHashes | undefined> {
  try {
    const local = await materializeVideo(input, { maxInputBytes: resolveHashVideoOptions(video).maxInputBytes, signal });
    return await local.digests(signal);
  } catch {
    signal?.throwIfAborted();
    return undefined;
  }
}

function normalizeHashesInput(value: unknown): ComputedHashes {
  const o = checkObject('hashes', value);
  for (const key of Object.keys(o)) {
    if (!(HASHES_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`Unknown hash \`${key}\`; expected ${HASHES_KEYS.map((k) => `\`${k}\``).join(', ')}`);
    }
  }
  const out: ComputedHashes = {};
  if (o.md5 !== undefined) out.md5 = normalizeHex('md5', o.md5);
  if (o.sha1 !== undefined) out.sha1 = normalizeHex('sha1', o.sha1);
  if (o.sha256 !== undefined) out.sha256 = normalizeHex('sha256', o.sha256);
  if (o.pdq !== undefined) out.pdq = normalizeHex('pdq', o.pdq);
  if (o.quality !== undefined) {
    if (o.pdq === undefined) throw new TypeError('Expected `pdq` with `quality`, got `quality` alone');
    out.quality = checkInteger('quality', o.quality, 0, 100, 0);
  }
  if (o.vpdq !== undefined) {
    if (!Array.isArray(o.vpdq)) throw new TypeError(`Expected \`vpdq\` to be an array, got ${describeValue(o.vpdq)}`);
    out.vpdq = o.vpdq.map((f: unknown, i): FrameHash => {
      const frame = checkObject(`vpdq[${i}]`, f);
      return {
        frame: checkInteger(`vpdq[${i}].frame`, frame.frame, 0, Number.MAX_SAFE_INTEGER, i),
        timestamp: frame.timestamp === undefined ? 0 : checkTimestamp(`vpdq[${i}].timestamp`, frame.timestamp),
        pdq: normalizeHex('pdq', frame.pdq),
        quality: checkInteger(`vpdq[${i}].quality`, frame.quality, 0, 100, Number.NaN),
      };
    });
    if (out.vpdq.some((f) => Number.isNaN(f.quality))) {
      const i = out.vpdq.findIndex((f) => Number.isNaN(f.quality));
      throw new TypeError(`Expected \`vpdq[${i}].quality\` to be an integer from 0 to 100, got undefined`);
    }
  }
  return out;
}

function checkTimestamp(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-negative number of seconds, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Creates a scanner: validates the options (throwing at once on a bad one), opens the store and loads the list.
 * With the default `store: ':memory:'` the list is empty until `sync()`.
 *
 * @throws {TypeError | RangeError} for bad options (synchronously checked, the promise rejects).
 * @throws {StoreError} when the store cannot be opened.
 *
 * @example
 * ```ts
 * const scanner = await createScanner({
 *   store: '/var/lib/tidscan/lists.db',
 *   lists: [{ source: createNcmecSource({ id: 'ncmec', baseUrl, username, password }) }],
 * });
 * await scanner.sync();
 * const verdict = await scanner.matchImage(uploadBytes);
 * if (verdict.kind === 'match') quarantine(verdict.matches);
 * ```
 */
export async function createScanner(options: ScannerOptions = {}): Promise<Scanner> {
  return createScannerWith(options, async (o) => (await import('./open-backend.js')).openBackend(o));
}

/**
 * {@link createScanner} with another list side (tests use it to count store calls).
 *
 * @internal
 */
export async function createScannerWith(options: unknown, backendFactory: BackendFactory): Promise<Scanner> {
  const o = resolveScannerOptions(options);
  const image = resolveImageOptions(o.image as HashImageOptions);
  resolveHashVideoOptions(o.video);
  const backend = await backendFactory(o);
  return new ScannerImpl(o, backend, image, { ...(o.video as HashVideoOptions) });
}
