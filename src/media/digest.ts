/**
 * Cryptographic digests (MD5, SHA-1, SHA-256) of the original bytes of a file, as hash lists carry them.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto';

/** Lowercase hex digests of the exact input bytes. */
export interface Digests {
  /** 32 hex digits. */
  md5: string;
  /** 40 hex digits. */
  sha1: string;
  /** 64 hex digits. */
  sha256: string;
}

/** Computes the three digests incrementally, for input read in chunks. */
export class Digester {
  readonly #md5: Hash = createHash('md5');
  readonly #sha1: Hash = createHash('sha1');
  readonly #sha256: Hash = createHash('sha256');

  /** Feeds the next chunk of the input. */
  update(chunk: Uint8Array): this {
    this.#md5.update(chunk);
    this.#sha1.update(chunk);
    this.#sha256.update(chunk);
    return this;
  }

  /** The digests of everything fed so far. Call once. */
  digest(): Digests {
    return { md5: this.#md5.digest('hex'), sha1: this.#sha1.digest('hex'), sha256: this.#sha256.digest('hex') };
  }
}

/**
 * MD5, SHA-1 and SHA-256 of `bytes`.
 *
 * @example
 * ```ts
 * const { md5, sha1, sha256 } = digestBytes(await readFile('upload.jpg'));
 * ```
 */
export function digestBytes(bytes: Uint8Array): Digests {
  return new Digester().update(bytes).digest();
}
