/**
 * Streaming UTF-8 decoding of a response body, with the result of `new TextDecoder('utf-8', { fatal: true })` fed
 * chunk by chunk with `{ stream: true }` (a leading byte-order mark dropped, invalid or truncated UTF-8 an error),
 * but much cheaper for the common all-ASCII chunk: ASCII bytes are their own Latin-1 decoding, and Node checks for
 * ASCII with SIMD, so such a chunk becomes a string by one copy instead of going through the decoder (measured
 * about ten times cheaper on NCMEC pages).
 *
 * @module
 */
import { Buffer, isAscii } from 'node:buffer';

/** Decodes a UTF-8 byte stream chunk by chunk. One instance per stream. */
export class Utf8ChunkDecoder {
  // ignoreBOM: the decoder may first see bytes from the middle of the stream (after ASCII chunks that bypassed
  // it), so it must not take them for the stream start; the byte-order mark is dropped in decode() instead.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  /** The decoder may hold the first bytes of an unfinished sequence: the next chunk must go through it. */
  private mayHoldBytes = false;
  private started = false;

  /** True when the last chunk may have ended inside a multi-byte sequence that the next one completes. */
  get holdsBytes(): boolean {
    return this.mayHoldBytes;
  }

  /** The text of the next chunk. @throws {TypeError} for bytes that are not UTF-8 (as TextDecoder does). */
  decode(chunk: Uint8Array): string {
    let text: string;
    if (!this.mayHoldBytes && isAscii(chunk)) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      text = bytes.toString('latin1');
    } else {
      text = this.decoder.decode(chunk, { stream: true });
      this.mayHoldBytes = endsInsideSequence(chunk);
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      // The first character is U+FEFF exactly when the stream starts with the bytes EF BB BF.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  /** Ends the stream. @throws {TypeError} when it ends inside a multi-byte sequence. */
  end(): string {
    const rest = this.decoder.decode();
    if (!this.started && rest.length > 0 && rest.charCodeAt(0) === 0xfeff) return rest.slice(1);
    return rest;
  }
}

/**
 * Whether UTF-8 `bytes` may end inside a multi-byte sequence: false only when the last sequence is certainly
 * complete (its lead byte is within the last four bytes and all its continuation bytes follow).
 */
export function endsInsideSequence(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back]!;
    if (b < 0x80) return back > 1; // ASCII: complete, unless continuation bytes follow it (invalid: let the decoder see)
    if (b >= 0xc0) return back < (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2);
  }
  return true;
}
