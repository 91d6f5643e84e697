/**
 * Reads an image input (bytes, file path or stream) into memory with a byte cap enforced while reading.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MediaError } from '../errors.js';

/** What {@link hashImage} accepts: the bytes, a file path (string or `file:` URL), or a readable byte stream. */
export type MediaInput = Uint8Array | string | URL | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

/** True for values {@link readMediaInput} can read. */
export function isMediaInput(value: unknown): value is MediaInput {
  return (
    value instanceof Uint8Array ||
    typeof value === 'string' ||
    value instanceof URL ||
    (typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  );
}

function tooLarge(size: number | string, maxBytes: number): MediaError {
  return new MediaError('INPUT_TOO_LARGE', `Input is larger than the ${maxBytes}-byte limit (${size} bytes)`, {
    details: { maxBytes },
  });
}

async function readStream(
  stream: AsyncIterable<unknown>,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const iterator = stream[Symbol.asyncIterator]();
  const stop = (): void => {
    const destroy = (stream as { destroy?: (e?: Error) => void }).destroy;
    if (typeof destroy === 'function') destroy.call(stream);
    else void iterator.return?.();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      let step: IteratorResult<unknown>;
      try {
        step = await iterator.next();
      } catch (err) {
        signal?.throwIfAborted();
        throw new MediaError('INPUT_READ_FAILED', `Reading the input stream failed: ${(err as Error)?.message ?? err}`, {
          cause: err,
        });
      }
      if (step.done) break;
      const chunk = step.value;
      if (!(chunk instanceof Uint8Array)) {
        stop();
        throw new MediaError('INPUT_READ_FAILED', 'Expected the input stream to yield bytes, got text (do not set an encoding)');
      }
      total += chunk.length;
      if (total > maxBytes) {
        stop();
        throw tooLarge(`at least ${total}`, maxBytes);
      }
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
  signal?.throwIfAborted();
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

async function readPath(path: string, maxBytes: number, signal: AbortSignal | undefined): Promise<Buffer> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MediaError('INPUT_NOT_FOUND', `No such file: ${path}`, { cause: err, details: { path } });
    }
    throw new MediaError('INPUT_READ_FAILED', `Cannot read ${path}: ${(err as Error).message}`, { cause: err, details: { path } });
  }
  // Devices and FIFOs can be endless or block forever; only regular files are images.
  if (!info.isFile()) {
    throw new MediaError('INPUT_READ_FAILED', `Not a regular file: ${path}`, { details: { path } });
  }
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
  // Streamed with the cap still enforced, in case the file grows after stat.
  return readStream(createReadStream(path, { highWaterMark: 1 << 20 }), maxBytes, signal).catch((err: unknown) => {
    if (err instanceof MediaError && err.code === 'INPUT_READ_FAILED') {
      throw new MediaError('INPUT_READ_FAILED', `Cannot read ${path}: ${err.message}`, { cause: err.cause, details: { path } });
    }
    throw err;
  });
}

/**
 * The input's bytes, without copying when given bytes.
 *
 * @throws {MediaError} `INPUT_TOO_LARGE`, `INPUT_NOT_FOUND`, `INPUT_READ_FAILED`; the signal's reason when aborted.
 */
export async function readMediaInput(
  input: MediaInput,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  if (input instanceof Uint8Array) {
    if (input.length > maxBytes) throw tooLarge(input.length, maxBytes);
    return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
  }
  if (typeof input === 'string') return readPath(input, maxBytes, signal);
  if (input instanceof URL) {
    if (input.protocol !== 'file:') throw new TypeError(`Expected a file: URL, got ${input.protocol} (fetch remote inputs yourself)`);
    return readPath(fileURLToPath(input), maxBytes, signal);
  }
  if (typeof input === 'object' && input !== null && Symbol.asyncIterator in input) {
    return readStream(input as AsyncIterable<unknown>, maxBytes, signal);
  }
  throw new TypeError(
    `Expected the input to be a Buffer/Uint8Array, a file path, a file: URL or a readable stream, got ${input === null ? 'null' : typeof input}`,
  );
}
