/**
 * Encodes generated RGB frames into an H.264 MP4 with the system ffmpeg, reproducibly: one encoder thread and
 * bit-exact muxing, so the same frames give the same bytes on every run with the same ffmpeg build.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Options of {@link encodeFrames}. */
export interface EncodeOptions {
  ffmpeg: string;
  width: number;
  height: number;
  fps: number;
  /** x264 constant rate factor (lower is better quality). @default 20 */
  crf?: number;
  /** Hard limit on the encoder's run time. @default 60000 */
  timeoutMs?: number;
}

/** Pipes `frames` (packed RGB24, `width*height*3` bytes each) into ffmpeg and writes `outFile`. */
export async function encodeFrames(frames: Iterable<Buffer>, outFile: string, options: EncodeOptions): Promise<void> {
  const { ffmpeg, width, height, fps, crf = 20, timeoutMs = 60_000 } = options;
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
    '-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf), '-pix_fmt', 'yuv420p', '-g', String(fps * 2),
    '-threads', '1', '-flags:v', '+bitexact', '-fflags', '+bitexact', '-map_metadata', '-1',
    '-movflags', '+faststart', '-f', 'mp4', outFile,
  ];
  const child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const spawned = once(child, 'spawn');
  try {
    await Promise.race([spawned, exited]);
    for (const frame of frames) {
      if (frame.length !== width * height * 3) throw new RangeError(`Expected a ${width}x${height} RGB frame`);
      if (!child.stdin.write(frame)) await Promise.race([once(child.stdin, 'drain'), exited]);
    }
    child.stdin.end();
    const [code, signal] = await exited;
    if (code !== 0) {
      throw new Error(
        `ffmpeg failed (${signal ?? `exit ${code}`}) writing ${outFile}: ${Buffer.concat(stderr).toString().trim()}`,
      );
    }
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
