/**
 * The video half of `tidscan hash`: the `--every-frame` / `--seconds-per-hash S` flags and the per-video JSON
 * object `{"file","md5","sha1","sha256","width","height","fps","vpdq":[{"frame","timestamp","pdq","quality"}]}`
 * (a stable contract other tooling reads; keys in this order, frames in decoding order).
 *
 * @module
 */
import path from 'node:path';
import { locateFfmpeg } from '../../media/ffmpeg.js';
import { probeFile } from '../../media/probe.js';
import { hashVideo } from '../../media/video.js';
import { DEFAULT_VIDEO_CONTAINERS, DEFAULT_VIDEO_LIMITS } from '../../media/video-options.js';
import { UsageError } from '../command.js';

/** `parseArgs` option specs of the video flags. */
export const VIDEO_FLAG_OPTIONS = {
  'every-frame': { type: 'boolean', default: false },
  'seconds-per-hash': { type: 'string' },
} as const;

/** Usage lines for the video flags. */
export const VIDEO_FLAG_USAGE = `  --every-frame       videos: hash every frame (like vpdq-hash-video -r 0)
  --seconds-per-hash S
                      videos: seconds between hashed frames (default 1, as HMA; 0 = every frame)`;

/**
 * Seconds between hashed frames from the parsed flags.
 *
 * @throws {UsageError} when both flags are given or S is not a number >= 0.
 */
export function secondsPerHashFromFlags(values: { 'every-frame'?: boolean; 'seconds-per-hash'?: string }): number {
  const given = values['seconds-per-hash'];
  if (values['every-frame'] && given !== undefined) {
    throw new UsageError('--every-frame and --seconds-per-hash cannot be used together');
  }
  if (values['every-frame']) return 0;
  if (given === undefined) return 1;
  const seconds = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isFinite(seconds)) {
    throw new UsageError(`--seconds-per-hash must be a number of seconds >= 0, got ${JSON.stringify(given)}`);
  }
  return seconds;
}

/** Hashes one video file and returns the fields printed after `"file"`, in contract order. */
export async function hashVideoFile(file: string, secondsPerHash: number): Promise<Record<string, unknown>> {
  const r = await hashVideo(file, { secondsPerHash });
  return {
    md5: r.md5,
    sha1: r.sha1,
    sha256: r.sha256,
    width: r.width,
    height: r.height,
    fps: r.fps,
    vpdq: r.frames.map((f) => ({ frame: f.frame, timestamp: f.timestamp, pdq: f.pdq, quality: f.quality })),
  };
}

/**
 * For files whose first bytes match no known format (e.g. an old QuickTime file that starts with `moov` rather
 * than `ftyp`): true when the hardened ffprobe finds a video stream in an accepted container. Never throws.
 */
export async function probesAsVideo(file: string): Promise<boolean> {
  try {
    const { ffprobe } = await locateFfmpeg();
    await probeFile(path.resolve(file), {
      ffprobe,
      allowedContainers: DEFAULT_VIDEO_CONTAINERS,
      maxAllocBytes: DEFAULT_VIDEO_LIMITS.maxPixels * 8,
      timeoutMs: Math.min(DEFAULT_VIDEO_LIMITS.timeoutMs, 30_000),
    });
    return true;
  } catch {
    return false;
  }
}
