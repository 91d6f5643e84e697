/**
 * ffprobe of an untrusted video file: container, and the first video stream's size, frame rate and duration,
 * under the same hardening as decoding (protocol and demuxer allowlists, allocation cap, timeout).
 *
 * @module
 */
import { VideoError } from '../errors.js';
import { runTool, stderrSummary, toolExitError } from './ffmpeg-process.js';

/** What tidscan needs to know about a video before decoding it. */
export interface VideoProbe {
  /** ffmpeg's demuxer name list, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  container: string;
  /** The demuxer short name (first entry of `container`), passed to ffmpeg with `-f`. */
  demuxer: string;
  /** Index of the first video stream (the one vPDQ hashes, even if it is cover art). */
  streamIndex: number;
  /** Codec short name, e.g. `h264`. */
  codec: string;
  /** Coded frame size of that stream (rotation and sample aspect ratio are ignored, as in vPDQ). */
  width: number;
  height: number;
  /** Frames per second: `avg_frame_rate`, or `r_frame_rate` when the average is unknown (vPDQ's rule). */
  fps: number;
  /** Seconds, from the container or the stream; null when neither says. */
  durationSec: number | null;
  /** Frame count claimed by the container, when it says. */
  frameCount: number | null;
}

/** How to run ffprobe on one file. */
export interface ProbeRunOptions {
  ffprobe: string;
  /** Demuxers accepted (ffmpeg short names). */
  allowedContainers: readonly string[];
  /** ffmpeg's `-max_alloc`: the largest single allocation, in bytes. */
  maxAllocBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

const MAX_PROBE_OUTPUT = 4 * 1024 * 1024;

/** Arguments shared by every ffprobe / ffmpeg call on untrusted input, placed before `-i`. */
export function hardeningArgs(allowedContainers: readonly string[], maxAllocBytes: number): string[] {
  return [
    '-hide_banner',
    '-max_alloc',
    String(Math.max(1, Math.min(Math.floor(maxAllocBytes), 2 ** 31 - 1))),
    '-protocol_whitelist',
    'file,pipe',
    '-format_whitelist',
    allowedContainers.join(','),
  ];
}

/** `file:` + absolute path: a name like `http:x` or `concat:a|b` must stay a file name, not a protocol. */
export function fileUrlArg(absolutePath: string): string {
  return `file:${absolutePath}`;
}

function rational(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const m = /^(-?\d+)\/(-?\d+)$/.exec(value);
  if (!m) return 0;
  const num = Number(m[1]);
  const den = Number(m[2]);
  return num === 0 || den === 0 ? 0 : num / den;
}

function positiveFloat(value: unknown): number | null {
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

function demuxerMatches(container: string, allowed: readonly string[]): boolean {
  return container.split(',').some((name) => allowed.includes(name));
}

/**
 * Interprets ffprobe's `-show_streams -show_format -of json` output.
 *
 * @throws {VideoError} `NO_VIDEO_STREAM`, `UNSUPPORTED_CONTAINER` (not on the allowlist), `DECODE_FAILED` (no
 *   usable size or frame rate) or `FFMPEG_FAILED` (unreadable output).
 */
export function parseProbeOutput(json: string, allowedContainers: readonly string[]): VideoProbe {
  let data: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  try {
    data = JSON.parse(json) as typeof data;
  } catch (cause) {
    throw new VideoError('FFMPEG_FAILED', 'ffprobe printed output that is not JSON', { cause });
  }
  const container = typeof data.format?.format_name === 'string' ? data.format.format_name : '';
  if (container === '' || !demuxerMatches(container, allowedContainers)) {
    throw new VideoError(
      'UNSUPPORTED_CONTAINER',
      `Container ${JSON.stringify(container || 'unknown')} is not an accepted video container (${allowedContainers.join(', ')})`,
      { details: { container } },
    );
  }
  const streams = Array.isArray(data.streams) ? [...data.streams] : [];
  streams.sort((a, b) => Number(a.index) - Number(b.index));
  const stream = streams.find((s) => s.codec_type === 'video');
  if (!stream) {
    const kinds = streams.map((s) => String(s.codec_type)).join(', ') || 'none';
    throw new VideoError('NO_VIDEO_STREAM', `The file has no video stream (streams: ${kinds})`, {
      details: { container, streams: kinds },
    });
  }
  const width = Number(stream.width);
  const height = Number(stream.height);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new VideoError('DECODE_FAILED', `The video stream has no usable frame size (${String(stream.width)}x${String(stream.height)})`, {
      details: { container },
    });
  }
  let fps = rational(stream.avg_frame_rate);
  if (!(fps > 0)) fps = rational(stream.r_frame_rate);
  if (!(fps > 0) || !Number.isFinite(fps)) {
    throw new VideoError('DECODE_FAILED', 'The video stream has no frame rate', {
      details: { container, avgFrameRate: stream.avg_frame_rate, rFrameRate: stream.r_frame_rate },
    });
  }
  const frames = Number(stream.nb_frames);
  return {
    container,
    demuxer: container.split(',')[0]!,
    streamIndex: Number(stream.index),
    codec: typeof stream.codec_name === 'string' ? stream.codec_name : 'unknown',
    width,
    height,
    fps,
    durationSec: positiveFloat(data.format?.duration) ?? positiveFloat(stream.duration),
    frameCount: Number.isSafeInteger(frames) && frames > 0 ? frames : null,
  };
}

/**
 * Classifies an ffprobe failure: a refused demuxer or unrecognisable data is `UNSUPPORTED_CONTAINER`; data an
 * accepted demuxer recognised but could not read (a truncated MP4 without its index) is `DECODE_FAILED`.
 */
function probeFailure(stderr: string, allowedContainers: readonly string[], fallback: unknown): unknown {
  const summary = stderrSummary(stderr);
  const refused = /^\[([a-z0-9_,]+) @ 0x[0-9a-f]+\] Format not on whitelist/im.exec(stderr);
  if (refused) {
    return new VideoError(
      'UNSUPPORTED_CONTAINER',
      `The file's container (${refused[1]}) is not an accepted video container (${allowedContainers.join(', ')})`,
      { details: { container: refused[1], stderr } },
    );
  }
  if (/Invalid data found when processing input|could not find codec parameters|End of file/i.test(stderr)) {
    const recognised = [...stderr.matchAll(/^\[([a-z0-9_,]+) @ 0x[0-9a-f]+\]/gim)].some((m) =>
      demuxerMatches(m[1]!, allowedContainers),
    );
    return recognised
      ? new VideoError('DECODE_FAILED', `The video file is damaged or truncated: ${summary}`, { details: { stderr } })
      : new VideoError('UNSUPPORTED_CONTAINER', `Not a recognisable video file: ${summary}`, { details: { stderr } });
  }
  return fallback;
}

/**
 * Runs ffprobe on a local file and returns the first video stream's properties.
 *
 * @throws {VideoError} see {@link parseProbeOutput}, plus `FFMPEG_TIMEOUT`, `FFMPEG_FAILED`, `FFMPEG_NOT_FOUND`.
 */
export async function probeFile(absolutePath: string, options: ProbeRunOptions): Promise<VideoProbe> {
  const args = [
    ...hardeningArgs(options.allowedContainers, options.maxAllocBytes),
    '-v',
    'error',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    fileUrlArg(absolutePath),
  ];
  const { exit, stdout, stdoutOverflow } = await runTool(options.ffprobe, args, {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    maxStdoutBytes: MAX_PROBE_OUTPUT,
  });
  if (stdoutOverflow) {
    throw new VideoError('UNSUPPORTED_CONTAINER', `ffprobe output exceeded ${MAX_PROBE_OUTPUT} bytes (too many streams)`);
  }
  const error = toolExitError('ffprobe', exit, options.signal, options.timeoutMs);
  if (error !== undefined) {
    throw exit.code !== null && exit.code !== 0 ? probeFailure(exit.stderr, options.allowedContainers, error) : error;
  }
  return parseProbeOutput(stdout.toString('utf8'), options.allowedContainers);
}
