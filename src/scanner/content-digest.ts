/**
 * Digests of in-memory content for the repeat-content cache, computed in slices so that a large upload (a video
 * Buffer can be a gigabyte) does not block the event loop for seconds.
 *
 * @module
 * @internal
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Digester, type Digests } from '../media/digest.js';

/** Bytes hashed between two yields to the event loop. */
const SLICE_BYTES = 4 * 1024 * 1024;

async function feed(bytes: Uint8Array, update: (slice: Uint8Array) => void): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
    if (offset > 0) await yieldToEventLoop();
    update(bytes.subarray(offset, Math.min(bytes.length, offset + SLICE_BYTES)));
  }
}

/** Lowercase hex SHA-256 of `bytes`. */
export async function sha256InSlices(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256');
  await feed(bytes, (slice) => hash.update(slice));
  return hash.digest('hex');
}

/** MD5, SHA-1 and SHA-256 of `bytes`. */
export async function digestsInSlices(bytes: Uint8Array): Promise<Digests> {
  const digester = new Digester();
  await feed(bytes, (slice) => digester.update(slice));
  return digester.digest();
}
