/**
 * Coded runtime errors. Every failure tidscan reports at run time is a {@link TidscanError} with a stable
 * `code` (documented in docs/api.md#error-codes). Bad *options* are reported with plain `TypeError` /
 * `RangeError` at the call site instead, because they are programming mistakes, not runtime conditions.
 *
 * @module
 */

/** Stable error codes, grouped by the subclass that carries them. */
export const ERROR_CODES = {
  hash: ['INVALID_HASH'],
  media: [
    'DECODE_FAILED',
    'UNSUPPORTED_FORMAT',
    'TOO_MANY_PIXELS',
    'INPUT_TOO_LARGE',
    'EMPTY_INPUT',
    'DECODE_TIMEOUT',
    'INPUT_NOT_FOUND',
    'INPUT_READ_FAILED',
  ],
  video: [
    'FFMPEG_NOT_FOUND',
    'FFMPEG_FAILED',
    'FFMPEG_TIMEOUT',
    'NO_VIDEO_STREAM',
    'UNSUPPORTED_CONTAINER',
    'VIDEO_TOO_LONG',
    'TOO_MANY_FRAMES',
    'VIDEO_TOO_SMALL',
  ],
  sync: [
    'SYNC_HTTP_ERROR',
    'SYNC_AUTH_FAILED',
    'SYNC_TIMEOUT',
    'SYNC_NETWORK_ERROR',
    'SYNC_MALFORMED_RESPONSE',
    'SYNC_RESPONSE_TOO_LARGE',
    'SYNC_INSECURE_URL',
    'SYNC_CHECKPOINT_INVALID',
    'SYNC_LOCKED',
    'SYNC_ABORTED',
    'SYNC_SOURCE_NOT_FOUND',
    'SYNC_SOURCE_READ_FAILED',
    'SYNC_CHECKPOINT_REWOUND',
    'SYNC_CONFLICT',
    'SYNC_LOCK_LOST',
    'FEEDBACK_FAILED',
  ],
  store: [
    'STORE_OPEN_FAILED',
    'STORE_CORRUPT',
    'STORE_VERSION_UNSUPPORTED',
    'STORE_CLOSED',
    'STORE_BUSY',
    'STORE_WRITE_FAILED',
    'STORE_READONLY',
  ],
  scanner: ['QUEUE_FULL', 'SCANNER_CLOSED', 'ABORTED'],
  config: ['CONFIG_INVALID', 'CONFIG_NOT_FOUND'],
} as const;

type Codes = typeof ERROR_CODES;
export type HashErrorCode = Codes['hash'][number];
export type MediaErrorCode = Codes['media'][number];
export type VideoErrorCode = Codes['video'][number];
export type SyncErrorCode = Codes['sync'][number];
export type StoreErrorCode = Codes['store'][number];
export type ScannerErrorCode = Codes['scanner'][number];
export type ConfigErrorCode = Codes['config'][number];
/** Every code a {@link TidscanError} can carry. */
export type ErrorCode = Codes[keyof Codes][number];

const kTidscanError = Symbol.for('tidscan.error');

/** Options shared by all tidscan error constructors. */
export interface TidscanErrorOptions {
  /** The underlying error, if any. Never contains credentials. */
  cause?: unknown;
  /** Structured, non-secret context for logs and audit trails (a file name, an HTTP status, ...). */
  details?: Record<string, unknown>;
}

/**
 * Base class of every runtime error tidscan throws or rejects with.
 *
 * @example
 * ```ts
 * try { await scanner.matchImage(buf) } catch (err) {
 *   if (isTidscanError(err) && err.code === 'TOO_MANY_PIXELS') reject(upload);
 * }
 * ```
 */
export class TidscanError<C extends ErrorCode = ErrorCode> extends Error {
  /** Stable, documented, machine-readable code. */
  readonly code: C;
  /** Structured, non-secret context. */
  readonly details: Record<string, unknown>;

  constructor(code: C, message: string, options: TidscanErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TidscanError';
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, kTidscanError, { value: true });
  }

  /** A plain object for JSON output (CLI, reports): code and message only, never the cause chain. */
  toJSON(): { code: C; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A hash string or binary value that is not a valid PDQ / MD5 / SHA-1 / SHA-256 / vPDQ value. */
export class HashFormatError extends TidscanError<HashErrorCode> {
  constructor(code: HashErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'HashFormatError';
  }
}

/** An image could not be read or decoded safely. */
export class MediaError extends TidscanError<MediaErrorCode> {
  constructor(code: MediaErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'MediaError';
  }
}

/** A video could not be decoded or hashed with ffmpeg. */
export class VideoError extends TidscanError<VideoErrorCode | MediaErrorCode> {
  constructor(code: VideoErrorCode | MediaErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'VideoError';
  }
}

/** A hash-list source failed (HTTP, parsing, checkpoints, locking). */
export class SyncError extends TidscanError<SyncErrorCode> {
  constructor(code: SyncErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'SyncError';
  }
}

/** The durable list store could not be opened, read or written. */
export class StoreError extends TidscanError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** The scanner refused work (queue full, closed, aborted). */
export class ScannerError extends TidscanError<ScannerErrorCode> {
  constructor(code: ScannerErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'ScannerError';
  }
}

/** A config file or environment setting is missing or invalid (CLI and `loadConfig`). */
export class ConfigError extends TidscanError<ConfigErrorCode> {
  constructor(code: ConfigErrorCode, message: string, options?: TidscanErrorOptions) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/**
 * True for any error thrown by tidscan, even across duplicated copies of the package
 * (the brand is a `Symbol.for` key, not `instanceof`).
 */
export function isTidscanError(value: unknown): value is TidscanError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kTidscanError] === true;
}

/** Turns any thrown value into `{code, message}` for JSON output; non-tidscan errors become `INTERNAL`. */
export function errorToJSON(err: unknown): { code: string; message: string } {
  if (isTidscanError(err)) return err.toJSON();
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: String(err) };
}
