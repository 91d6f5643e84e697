/**
 * Video inputs as local files for ffmpeg. A path is used in place; a Buffer or a stream is written to a private
 * temporary file (a fresh `mkdtemp` folder, file mode 0600) that `cleanup()` always removes. The file's MD5, SHA-1
 * and SHA-256 are computed from the same bytes, and the size cap is enforced while reading.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VideoError } from '../errors.js';
import { Digester, type Digests } from './digest.js';

/**
 * A video to hash: a file path or `file:` URL, the bytes, or a stream of bytes (a Node `Readable`, a web
 * `ReadableStream` or any async iterable of `Uint8Array` chunks).
 */
export type VideoInput = string | URL | Uint8Array | AsyncIterable<Uint8Array>;

/** MD5, SHA-1 and SHA-256 of the file bytes, lowercase hex. */
export type FileDigests = Digests;

/** A video available as a local file. */
export interface LocalVideo {
  /** Absolute path ffmpeg reads. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** The digests; for a path input they are computed on demand by reading the file once more. */
  digests(signal?: AbortSignal): Promise<FileDigests>;
  /** Removes the temporary copy, if any. Never throws. */
  cleanup(): Promise<void>;
}

/** Options of {@link materializeVideo}. */
export interface MaterializeOptions {
  maxInputBytes: number;
  tempDir?: string | undefined;
  signal?: AbortSignal | undefined;
}

function tooLarge(size: number | string, max: number): VideoError {
  return new VideoError('INPUT_TOO_LARGE', `The video is larger than \`maxInputBytes\` (${max} bytes): ${size} bytes`, {
    details: { maxInputBytes: max },
  });
}

function empty(): VideoError {
  return new VideoError('EMPTY_INPUT', 'The video input is empty (0 bytes)');
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Reads a file through the digests, refusing to read past `maxBytes` (the file may grow after `stat`). */
async function digestFile(file: string, maxBytes: number, signal?: AbortSignal): Promise<FileDigests> {
  const digester = new Digester();
  let read = 0;
  try {
    const stream = createReadStream(file, signal ? { signal } : {});
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > maxBytes) {
        stream.destroy();
        throw tooLarge(`more than ${maxBytes}`, maxBytes);
      }
      digester.update(chunk);
    }
  } catch (err) {
    if (err instanceof VideoError) throw err;
    if (signal?.aborted) throw signal.reason;
    throw new VideoError('INPUT_READ_FAILED', `Could not read the video file: ${(err as Error).message}`, { cause: err });
  }
  return digester.digest();
}

async function fromPath(file: string, maxInputBytes: number): Promise<LocalVideo> {
  const absolute = path.resolve(file);
  let info;
  try {
    info = await stat(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new VideoError('INPUT_NOT_FOUND', `No such video file: ${absolute}`, { cause: err, details: { path: absolute } });
    }
    throw new VideoError('INPUT_READ_FAILED', `Could not read the video file ${absolute}: ${(err as Error).message}`, {
      cause: err,
      details: { path: absolute },
    });
  }
  if (!info.isFile()) {
    throw new VideoError('INPUT_READ_FAILED', `Not a regular file: ${absolute}`, { details: { path: absolute } });
  }
  if (info.size === 0) throw empty();
  if (info.size > maxInputBytes) throw tooLarge(info.size, maxInputBytes);
  return {
    path: absolute,
    size: info.size,
    digests: (signal) => digestFile(absolute, maxInputBytes, signal),
    cleanup: async () => {},
  };
}

/** Writes chunks to a private temporary file, hashing and counting them. */
async function toTempFile(
  chunks: AsyncIterable<unknown>,
  options: MaterializeOptions,
): Promise<LocalVideo> {
  const { maxInputBytes, signal } = options;
  const dir = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'tidscan-video-'));
  const file = path.join(dir, 'input');
  const cleanup = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'wx', 0o600);
    const digester = new Digester();
    let size = 0;
    const iterator = chunks[Symbol.asyncIterator]();
    for (;;) {
      let step: IteratorResult<unknown>;
      try {
        // A stalled stream must not outlive the abort signal (which also carries the call's timeout).
        step = await raceAbort(iterator.next(), signal);
      } catch (err) {
        void Promise.resolve(iterator.return?.()).catch(() => {});
        throw err;
      }
      if (step.done) break;
      const chunk = step.value;
      if (!(chunk instanceof Uint8Array)) {
        void Promise.resolve(iterator.return?.()).catch(() => {});
        throw new VideoError('INPUT_READ_FAILED', `Expected the video stream to yield bytes (Uint8Array), got ${typeof chunk}`);
      }
      size += chunk.length;
      if (size > maxInputBytes) {
        void Promise.resolve(iterator.return?.()).catch(() => {});
        throw tooLarge(`more than ${maxInputBytes}`, maxInputBytes);
      }
      digester.update(chunk);
      await handle.write(chunk);
    }
    if (signal?.aborted) throw signal.reason;
    await handle.close();
    handle = undefined;
    if (size === 0) throw empty();
    const digests = digester.digest();
    return { path: file, size, digests: async () => digests, cleanup };
  } catch (err) {
    await handle?.close().catch(() => {});
    await cleanup();
    if (err instanceof VideoError || (signal?.aborted && err === signal.reason)) throw err;
    throw new VideoError('INPUT_READ_FAILED', `Could not read the video input: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    });
  }
}

/**
 * Makes `input` available as a local file for ffmpeg.
 *
 * @throws {TypeError} for an unsupported input type or a non-`file:` URL.
 * @throws {VideoError} `INPUT_NOT_FOUND`, `INPUT_READ_FAILED`, `EMPTY_INPUT`, `INPUT_TOO_LARGE`.
 */
export async function materializeVideo(input: VideoInput, options: MaterializeOptions): Promise<LocalVideo> {
  if (typeof input === 'string') {
    if (input.length === 0 || input.includes('\0')) throw new TypeError(`Expected a video file path, got ${JSON.stringify(input)}`);
    return fromPath(input, options.maxInputBytes);
  }
  if (input instanceof URL) {
    if (input.protocol !== 'file:') throw new TypeError(`Expected a file: URL for the video, got ${input.protocol} URL`);
    return fromPath(fileURLToPath(input), options.maxInputBytes);
  }
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw empty();
    if (input.length > options.maxInputBytes) throw tooLarge(input.length, options.maxInputBytes);
    return toTempFile(single(input), options);
  }
  if (isAsyncIterable(input)) return toTempFile(input, options);
  throw new TypeError(
    `Expected the video to be a path, a file: URL, a Uint8Array or an async iterable of Uint8Array chunks, got ${
      input === null ? 'null' : typeof input
    }`,
  );
}
