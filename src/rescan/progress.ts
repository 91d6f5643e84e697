/**
 * Progress display for long rescans, on stderr: a redrawn bar on a terminal, plain periodic lines otherwise
 * (logs, CI, pipes).
 *
 * @module
 */
import type { RescanProgress } from './rescan.js';

/** `1h02m`, `3m07s`, `42s`, or `?` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function stats(p: RescanProgress): string {
  const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
  const parts = [
    `${p.done}/${p.total} (${pct.toFixed(1)}%)`,
    `${p.rate.toFixed(1)} files/s`,
    `ETA ${p.done === p.total ? '0s' : formatDuration(p.etaSeconds)}`,
    `matches ${p.counts.match}`,
    `unhashable ${p.counts.unhashable}`,
    `errors ${p.counts.error}`,
  ];
  if (p.skipped > 0) parts.push(`skipped ${p.skipped} (done before)`);
  return parts.join(', ');
}

/** The plain, non-TTY progress line (no newline). */
export function formatProgressLine(p: RescanProgress): string {
  return `rescan: ${stats(p)}`;
}

/** The terminal progress bar line (no newline, no control codes). */
export function formatProgressBar(p: RescanProgress, width = 24): string {
  const filled = p.total === 0 ? width : Math.round((width * p.done) / p.total);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stats(p)}`;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  /** Redraw one line in place (terminal) instead of printing lines. */
  tty: boolean;
  /** Minimum milliseconds between plain lines. @default 10000 */
  intervalMs?: number;
}

/** Something that shows progress; call `finish` once at the end. */
export interface ProgressReporter {
  update(progress: RescanProgress): void;
  finish(progress: RescanProgress | undefined): void;
}

/** A reporter writing to `stream` (stderr in the CLI). */
export function createProgressReporter(stream: NodeJS.WritableStream, options: ProgressReporterOptions): ProgressReporter {
  const intervalMs = options.tty ? 100 : (options.intervalMs ?? 10_000);
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  let printedDone = -1;
  return {
    update(progress) {
      const now = performance.now();
      if (now - last < intervalMs && progress.done !== progress.total) return;
      last = now;
      if (options.tty) {
        stream.write(`\r\x1b[2K${formatProgressBar(progress)}`);
        drawn = true;
      } else {
        stream.write(formatProgressLine(progress) + '\n');
        printedDone = progress.done;
      }
    },
    finish(progress) {
      if (options.tty) {
        if (progress) stream.write(`\r\x1b[2K${formatProgressBar(progress)}\n`);
        else if (drawn) stream.write('\n');
      } else if (progress && progress.done !== printedDone) {
        stream.write(formatProgressLine(progress) + '\n');
      }
    },
  };
}
