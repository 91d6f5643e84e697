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

/**
 * Writes to a stream (the CLI's stdout). When the reader goes away (`| head`, a closed pipe: EPIPE), `onBroken`
 * is called once and later writes throw, which stops the rescan.
 */
export function streamSink(stream: NodeJS.WritableStream, onBroken: (err: Error) => void): LineSink {
  let broken: Error | undefined;
  const onError = (err: Error) => {
    if (broken) return;
    broken = err;
    onBroken(err);
  };
  stream.on('error', onError);
  return {
    appending: false,
    write(text) {
      if (broken) throw broken;
      stream.write(text);
    },
    close() {
      stream.off('error', onError);
    },
  };
}
