import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatDuration, formatProgressBar, formatProgressLine } from './progress.js';
import type { RescanProgress } from './rescan.js';

const progress = (done: number, extra: Partial<RescanProgress> = {}): RescanProgress => ({
  total: 200,
  done,
  scanned: done,
  skipped: 0,
  counts: { files: done, match: 2, no_match: done - 3, unhashable: 1, error: 0 },
  rate: 12.5,
  etaSeconds: (200 - done) / 12.5,
  elapsedMs: 1000,
  ...extra,
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => (text += b.toString()));
  return { stream, text: () => text };
}

describe('progress formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(undefined)).toBe('?');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(187)).toBe('3m07s');
    expect(formatDuration(3720)).toBe('1h02m');
  });

  it('shows count, percentage, rate, ETA and matches so far', () => {
    expect(formatProgressLine(progress(50))).toBe(
      'rescan: 50/200 (25.0%), 12.5 files/s, ETA 12s, matches 2, unhashable 1, errors 0',
    );
    expect(formatProgressBar(progress(50), 8)).toBe(
      '[##......] 50/200 (25.0%), 12.5 files/s, ETA 12s, matches 2, unhashable 1, errors 0',
    );
    expect(formatProgressLine(progress(60, { skipped: 40 }))).toContain('skipped 40 (done before)');
  });
});

describe('createProgressReporter', () => {
  it('prints plain lines at most once per interval, and the final state once', () => {
    const out = capture();
    const reporter = createProgressReporter(out.stream, { tty: false, intervalMs: 60_000 });
    for (let done = 1; done <= 200; done++) reporter.update(progress(done));
    reporter.finish(progress(200));
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(' 1/200 ');
    expect(lines[1]).toContain(' 200/200 ');
  });

  it('redraws one line in place on a terminal and ends it with a newline', () => {
    const out = capture();
    const reporter = createProgressReporter(out.stream, { tty: true });
    reporter.update(progress(10));
    reporter.finish(progress(200));
    expect(out.text()).toMatch(/^\r\x1b\[2K\[.*10\/200.*\r\x1b\[2K\[#+\] 200\/200.*\n$/s);
    expect(out.text().split('\n')).toHaveLength(2);
  });
});
