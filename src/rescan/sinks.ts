/**
 * Where rescan result lines go. Lines are written synchronously (a file descriptor, or stdout, which Node writes
 * synchronously to files and, on Linux, to pipes) before the ledger records the file as done, so an interruption
 * can never leave a file marked done whose line was lost.
 *
 * @module
 * @internal
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';

/** A line destination. */
export interface LineSink {
  /** True when the destination already had content from an earlier run (appending). */
  readonly appending: boolean;
  write(text: string): void;
  close(): void;
}

/** Appends to (when `append`) or replaces `file`. */
export function fileSink(file: string, append: boolean): LineSink {
  const appending = append && existsSync(file);
  const fd = openSync(file, appending ? 'a' : 'w', 0o600);
  let closed = false;
  return {
    appending,
    write(text) {
      let buf = Buffer.from(text, 'utf8');
      while (buf.length > 0) buf = buf.subarray(writeSync(fd, buf));
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/** Writes to a stream (the CLI's stdout). */
export function streamSink(stream: NodeJS.WritableStream): LineSink {
  return {
    appending: false,
    write(text) {
      stream.write(text);
    },
    close() {},
  };
}
