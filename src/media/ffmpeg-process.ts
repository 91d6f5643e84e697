/**
 * Running ffmpeg / ffprobe safely: an explicit argument list (no shell), a wall-clock timeout that kills the whole
 * process group, abort support, and a bounded stderr capture for error messages.
 *
 * The child is spawned `detached`, so it leads its own process group and `kill(-pid)` reaches anything it started.
 * Because a detached group does not receive the terminal's Ctrl-C, live groups are also killed when the host
 * process exits.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { VideoError } from '../errors.js';

/** Options of {@link startTool}. */
export interface ToolRunOptions {
  /** Wall-clock limit; when it passes the process group is killed with SIGKILL. */
  timeoutMs: number;
  /** Aborting kills the process group; {@link ToolExit.aborted} is then true. */
  signal?: AbortSignal;
  /**
   * Bytes of stderr kept for error messages (the first and last halves when it overflows).
   * @default 32768
   */
  stderrLimit?: number;
}

/** How a tool process ended. */
export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Captured stderr (bounded, UTF-8). */
  stderr: string;
  /** True when the wall-clock timeout killed it. */
  timedOut: boolean;
  /** True when the abort signal killed it. */
  aborted: boolean;
  /** Set when the process could not be started at all. */
  spawnError?: NodeJS.ErrnoException;
}

/** A running tool: read `stdout`, then await `exited`. */
export interface ToolProcess {
  readonly stdout: Readable;
  /** Settles once the process has exited and its pipes are closed. Never rejects. */
  readonly exited: Promise<ToolExit>;
  /** Kills the process group now (idempotent). */
  kill(): void;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number | undefined, child: ChildProcess): void {
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill('SIGKILL');
    else process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone (ESRCH): nothing to do.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of liveGroups) {
      try {
        process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/** Keeps the first and the last `limit / 2` bytes of a stream of chunks. */
class BoundedCapture {
  readonly #half: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  #dropped = 0;

  constructor(limit: number) {
    this.#half = Math.max(1, Math.floor(limit / 2));
  }

  push(chunk: Buffer): void {
    if (this.#headBytes < this.#half) {
      const take = chunk.subarray(0, this.#half - this.#headBytes);
      this.#head.push(take);
      this.#headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    const joined = Buffer.concat([this.#tail, chunk]);
    const excess = joined.length - this.#half;
    if (excess > 0) this.#dropped += excess;
    this.#tail = excess > 0 ? joined.subarray(excess) : joined;
  }

  text(): string {
    const head = Buffer.concat(this.#head).toString('utf8');
    const tail = this.#tail.toString('utf8');
    return this.#dropped > 0 ? `${head}\n[... ${this.#dropped} bytes of stderr omitted ...]\n${tail}` : head + tail;
  }
}

/**
 * Starts `file` with `args` (no shell), stdin ignored, stdout piped for the caller, stderr captured.
 * The caller must read `stdout` to the end or call `kill()`, then await `exited`.
 */
export function startTool(file: string, args: readonly string[], options: ToolRunOptions): ToolProcess {
  const { timeoutMs, signal, stderrLimit = 32_768 } = options;
  // FFREPORT would make ffmpeg write log files wherever it runs; colours would pollute captured messages.
  const env: NodeJS.ProcessEnv = { ...process.env, AV_LOG_FORCE_NOCOLOR: '1' };
  delete env.FFREPORT;
  const child = spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
    windowsHide: true,
    shell: false,
    env,
  });
  const pid = child.pid;
  if (pid !== undefined) {
    installExitHook();
    liveGroups.add(pid);
  }
  const stderr = new BoundedCapture(stderrLimit);
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stderr!.on('error', () => {});
  child.stdout!.on('error', () => {});

  let timedOut = false;
  let aborted = false;
  let finished = false;
  const kill = (): void => {
    if (finished) return;
    killGroup(pid, child);
    child.stdout!.destroy();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const exited = new Promise<ToolExit>((resolve) => {
    const settle = (code: number | null, sig: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) liveGroups.delete(pid);
      const exit: ToolExit = { code, signal: sig, stderr: stderr.text(), timedOut, aborted };
      if (spawnError) exit.spawnError = spawnError;
      resolve(exit);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      // A spawn failure never produces 'close' reliably; any later error (kill of a dead pid) is harmless.
      if (child.pid === undefined) settle(null, null, err);
    });
    child.once('close', (code, sig) => settle(code, sig));
  });

  return { stdout: child.stdout!, exited, kill };
}

/** Result of {@link runTool}. */
export interface ToolOutput {
  exit: ToolExit;
  stdout: Buffer;
  /** True when stdout exceeded `maxStdoutBytes` and the process was killed. */
  stdoutOverflow: boolean;
}

/** Runs a tool to completion and collects its stdout, killing it if stdout exceeds `maxStdoutBytes`. */
export async function runTool(
  file: string,
  args: readonly string[],
  options: ToolRunOptions & { maxStdoutBytes: number },
): Promise<ToolOutput> {
  const proc = startTool(file, args, options);
  const chunks: Buffer[] = [];
  let bytes = 0;
  let stdoutOverflow = false;
  proc.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > options.maxStdoutBytes) {
      stdoutOverflow = true;
      proc.kill();
      return;
    }
    chunks.push(chunk);
  });
  const exit = await proc.exited;
  return { exit, stdout: Buffer.concat(chunks), stdoutOverflow };
}

/** The last few meaningful stderr lines, for an error message. */
export function stderrSummary(stderr: string, maxLines = 4): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.slice(-maxLines).join(' | ');
}

/**
 * Turns an abnormal exit into the matching error: the abort reason, `FFMPEG_NOT_FOUND` (could not start),
 * `FFMPEG_TIMEOUT`, or `FFMPEG_FAILED` with the stderr summary. Returns undefined for a clean exit (code 0).
 */
export function toolExitError(tool: string, exit: ToolExit, signal: AbortSignal | undefined, timeoutMs: number): unknown {
  if (exit.aborted && signal?.aborted) return signal.reason;
  if (exit.spawnError) {
    return new VideoError('FFMPEG_NOT_FOUND', `Could not start ${tool}: ${exit.spawnError.message}`, {
      cause: exit.spawnError,
      details: { tool },
    });
  }
  if (exit.timedOut) {
    return new VideoError('FFMPEG_TIMEOUT', `${tool} did not finish within ${timeoutMs} ms and was killed`, {
      details: { tool, timeoutMs },
    });
  }
  if (exit.code === 0) return undefined;
  const how = exit.code === null ? `was killed by ${exit.signal ?? 'a signal'}` : `exited with status ${exit.code}`;
  const summary = stderrSummary(exit.stderr);
  return new VideoError('FFMPEG_FAILED', `${tool} ${how}${summary ? `: ${summary}` : ''}`, {
    details: { tool, exitCode: exit.code, signal: exit.signal, stderr: exit.stderr },
  });
}
