import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { runTool, startTool, stderrSummary, toolExitError } from './ffmpeg-process.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe.skipIf(process.platform === 'win32')('startTool / runTool', () => {
  it('runs without a shell: arguments are passed verbatim', async () => {
    const { exit, stdout } = await runTool('/bin/echo', ['$HOME', '; rm -rf /', '`id`'], { timeoutMs: 5000, maxStdoutBytes: 1000 });
    expect(exit.code).toBe(0);
    expect(stdout.toString()).toBe('$HOME ; rm -rf / `id`\n');
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    // The shell starts a background grandchild, prints its pid, then waits forever.
    const proc = startTool('/bin/sh', ['-c', 'sleep 60 & echo $!; wait'], { timeoutMs: 300 });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exit = await proc.exited;
    expect(exit.timedOut).toBe(true);
    const grandchild = Number(out.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitUntil(() => !alive(grandchild))).toBe(true);
    const err = toolExitError('ffmpeg', exit, undefined, 300);
    expect(isTidscanError(err) && err.code).toBe('FFMPEG_TIMEOUT');
  });

  it('kills the process when the signal aborts and reports the abort reason', async () => {
    const controller = new AbortController();
    const proc = startTool('/bin/sh', ['-c', 'sleep 60'], { timeoutMs: 60_000, signal: controller.signal });
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 50);
    proc.stdout.resume();
    const exit = await proc.exited;
    expect(exit.aborted).toBe(true);
    expect(toolExitError('x', exit, controller.signal, 60_000)).toBe(reason);
  });

  it('keeps the head and tail of a huge stderr within the limit', async () => {
    const script = 'echo FIRST >&2; i=0; while [ $i -lt 5000 ]; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >&2; i=$((i+1)); done; echo LAST >&2; exit 3';
    const { exit } = await runTool('/bin/sh', ['-c', script], { timeoutMs: 10_000, maxStdoutBytes: 10, stderrLimit: 1000 });
    expect(exit.code).toBe(3);
    expect(exit.stderr.length).toBeLessThan(1200);
    expect(exit.stderr.startsWith('FIRST')).toBe(true);
    expect(exit.stderr.trimEnd().endsWith('LAST')).toBe(true);
    expect(exit.stderr).toMatch(/bytes of stderr omitted/);
    const err = toolExitError('ffmpeg', exit, undefined, 10_000);
    expect(isTidscanError(err) && err.code).toBe('FFMPEG_FAILED');
    expect((err as Error).message).toMatch(/^ffmpeg exited with status 3: .*LAST$/);
  });

  it('stops a process whose stdout exceeds the cap', async () => {
    const { stdoutOverflow, stdout } = await runTool('/bin/sh', ['-c', 'yes'], { timeoutMs: 10_000, maxStdoutBytes: 100_000 });
    expect(stdoutOverflow).toBe(true);
    expect(stdout.length).toBeLessThanOrEqual(100_000);
  });

  it('reports a binary that cannot start as FFMPEG_NOT_FOUND', async () => {
    const proc = startTool('/nonexistent/ffmpeg', [], { timeoutMs: 5000 });
    const exit = await proc.exited;
    expect(exit.spawnError?.code).toBe('ENOENT');
    const err = toolExitError('ffmpeg', exit, undefined, 5000);
    expect(isTidscanError(err) && err.code).toBe('FFMPEG_NOT_FOUND');
  });
});

describe('stderrSummary', () => {
  it('keeps the last non-empty lines', () => {
    expect(stderrSummary('a\n\nb\r\nc\nd\ne\n', 3)).toBe('c | d | e');
  });
});
