/**
 * Video hashing: the file digests plus vPDQ (a PDQ hash of every sampled frame), bit-exact with the reference
 * `vpdq-hash-video` on the same FFmpeg build (docs/hashing.md#video).
 *
 * @module
 */
import { VideoError } from '../errors.js';
import { pdqFromPixels } from '../hash/pdq.js';
import { formatFixed } from '../hash/vpdq-decimal.js';
import type { VpdqFrame } from '../hash/vpdq-format.js';
import { vpdqFrameMod, vpdqTimestamp } from '../hash/vpdq-sampling.js';
import { locateFfmpeg } from './ffmpeg.js';
import { type VideoProbe, probeFile } from './probe.js';
import { decodeFrames } from './video-frames.js';
import { type VideoInput, materializeVideo } from './video-input.js';
import { type HashVideoOptions, MIN_FRAME_SIDE, type ResolvedHashVideoOptions, resolveHashVideoOptions } from './video-options.js';

/** The result of {@link hashVideo}. */
export interface VideoHashResult {
  /** Digests of the file bytes, lowercase hex. */
  md5: string;
  sha1: string;
  sha256: string;
  /** Coded size of the first video stream (before any `downsample`; rotation metadata ignored). */
  width: number;
  height: number;
  /** Frame rate used for sampling and timestamps (average rate, else the stream's base rate). */
  fps: number;
  /** Duration from the container metadata, in seconds; null when the container does not say. */
  durationSec: number | null;
  /** ffmpeg's name for the container, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  container: string;
  /** Codec of the hashed stream, e.g. `h264`. */
  codec: string;
  /** Every how many decoded frames one was hashed (1 = every frame). */
  frameMod: number;
  /** The hashed frames in order. Frames of any quality are included; matching filters by quality. */
  frames: VpdqFrame[];
}

/** Largest single ffmpeg allocation allowed: 8 bytes per pixel of the largest accepted frame, at least 64 MiB. */
function maxAllocFor(maxPixels: number): number {
  return Math.max(64 * 1024 * 1024, maxPixels * 8);
}

function remaining(deadline: number): number {
  return Math.max(1, Math.ceil(deadline - performance.now()));
}

function checkProbe(probe: VideoProbe, o: ResolvedHashVideoOptions): void {
  const pixels = probe.width * probe.height;
  if (pixels > o.maxPixels) {
    throw new VideoError(
      'TOO_MANY_PIXELS',
      `The video frame is ${probe.width}x${probe.height} = ${pixels} pixels, more than \`maxPixels\` (${o.maxPixels})`,
      { details: { width: probe.width, height: probe.height, maxPixels: o.maxPixels } },
    );
  }
  const side = o.downsample ?? Math.min(probe.width, probe.height);
  if (side < MIN_FRAME_SIDE) {
    throw new VideoError(
      'VIDEO_TOO_SMALL',
      `The video frame is ${probe.width}x${probe.height}; vPDQ needs at least ${MIN_FRAME_SIDE} pixels on each side`,
      { details: { width: probe.width, height: probe.height } },
    );
  }
  if (probe.durationSec !== null && probe.durationSec > o.maxDurationSec) {
    throw tooLong(probe.durationSec, o.maxDurationSec);
  }
  if (probe.frameCount !== null && probe.frameCount > o.maxFrames) throw tooManyFrames(probe.frameCount, o.maxFrames);
}

function tooLong(seconds: number | string, max: number): VideoError {
  return new VideoError('VIDEO_TOO_LONG', `The video lasts ${seconds} s, more than \`maxDurationSec\` (${max} s)`, {
    details: { maxDurationSec: max },
  });
}

function tooManyFrames(frames: number | string, max: number): VideoError {
  return new VideoError('TOO_MANY_FRAMES', `The video has ${frames} frames, more than \`maxFrames\` (${max})`, {
    details: { maxFrames: max },
  });
}

/**
 * Hashes a video: MD5/SHA-1/SHA-256 of the file, and a vPDQ frame hash (PDQ of the whole RGB frame) every
 * `secondsPerHash` seconds, streamed from ffmpeg.
 *
 * Untrusted input is handled defensively: only `file`/`pipe` protocols, only the allowed demuxers (an HLS or
 * concat playlist is refused before anything is opened), caps on bytes, pixels, duration and frames, one
 * wall-clock timeout for the whole call that kills ffmpeg's process group, and a private temporary copy for
 * Buffer and stream inputs that is always removed.
 *
 * @throws {TypeError | RangeError} for bad options or input types.
 * @throws {VideoError} `FFMPEG_NOT_FOUND`, `FFMPEG_FAILED`, `FFMPEG_TIMEOUT`, `NO_VIDEO_STREAM`,
 *   `UNSUPPORTED_CONTAINER`, `VIDEO_TOO_LONG`, `TOO_MANY_FRAMES`, `VIDEO_TOO_SMALL`, `TOO_MANY_PIXELS`,
 *   `DECODE_FAILED`, `INPUT_NOT_FOUND`, `INPUT_READ_FAILED`, `EMPTY_INPUT`, `INPUT_TOO_LARGE`; or the abort
 *   signal's reason.
 *
 * @example
 * ```ts
 * const video = await hashVideo('upload.mp4');            // one frame hash per second (HMA's default)
 * const all = await hashVideo(buffer, { secondsPerHash: 0 }); // every frame, like `vpdq-hash-video -r 0`
 * for (const f of video.frames) console.log(f.frame, f.timestamp, f.pdq, f.quality);
 * ```
 */
export async function hashVideo(input: VideoInput, options?: HashVideoOptions): Promise<VideoHashResult> {
  const o = resolveHashVideoOptions(options);
  o.signal?.throwIfAborted();
  const deadline = performance.now() + o.timeoutMs;
  const { ffmpeg, ffprobe } = await locateFfmpeg(o.locate);
  // ffmpeg and ffprobe get the remaining time as their own kill timer (FFMPEG_TIMEOUT); reading the input
  // (a stalled upload stream, a slow disk) is bounded by this one.
  const readTimeout = new AbortController();
  const timer = setTimeout(
    () =>
      readTimeout.abort(
        new VideoError('DECODE_TIMEOUT', `The video input was not read within \`timeoutMs\` (${o.timeoutMs} ms)`, {
          details: { timeoutMs: o.timeoutMs },
        }),
      ),
    o.timeoutMs,
  );
  const readSignal = o.signal ? AbortSignal.any([o.signal, readTimeout.signal]) : readTimeout.signal;
  let local;
  try {
    local = await materializeVideo(input, { maxInputBytes: o.maxInputBytes, tempDir: o.tempDir, signal: readSignal });
  } catch (err) {
    clearTimeout(timer);
    throw err;
  }
  // The digests of a path input are read while ffmpeg decodes; stopped if decoding fails.
  const digestAbort = new AbortController();
  const onAbort = (): void => digestAbort.abort(readSignal.reason);
  readSignal.addEventListener('abort', onAbort, { once: true });
  const digests = local.digests(digestAbort.signal);
  digests.catch(() => {});
  try {
    const maxAllocBytes = maxAllocFor(o.maxPixels);
    const probe = await probeFile(local.path, {
      ffprobe,
      allowedContainers: o.allowedContainers,
      maxAllocBytes,
      timeoutMs: remaining(deadline),
      signal: o.signal,
    });
    checkProbe(probe, o);

    const frameMod = o.secondsPerHash === 0 ? 1 : vpdqFrameMod(o.secondsPerHash, probe.fps);
    const width = o.downsample ?? probe.width;
    const height = o.downsample ?? probe.height;
    const frames: VpdqFrame[] = [];
    const decoded = decodeFrames({
      ffmpeg,
      file: local.path,
      demuxer: probe.demuxer,
      allowedContainers: o.allowedContainers,
      maxAllocBytes,
      width,
      height,
      downsample: o.downsample !== undefined,
      // Beyond maxFrames the next selected frame is an error anyway; this keeps the filter expression small.
      frameMod: Math.min(frameMod, o.maxFrames + 1),
      timeoutMs: remaining(deadline),
      signal: o.signal,
    });
    for await (const { frame: outputFrame, pixels } of decoded) {
      const frame = frameMod > o.maxFrames && outputFrame > 0 ? o.maxFrames + 1 : outputFrame;
      if (frame + 1 > o.maxFrames) throw tooManyFrames(`more than ${o.maxFrames}`, o.maxFrames);
      const timestamp = vpdqTimestamp(frame, probe.fps);
      if (timestamp > o.maxDurationSec) throw tooLong(`more than ${o.maxDurationSec}`, o.maxDurationSec);
      const { hash, quality } = pdqFromPixels(pixels, width, height, 3, { resize: 'full' });
      frames.push({ frame, timestamp: Number(formatFixed(timestamp, 3)), pdq: hash, quality });
    }
    const { md5, sha1, sha256 } = await digests;
    return {
      md5,
      sha1,
      sha256,
      width: probe.width,
      height: probe.height,
      fps: probe.fps,
      durationSec: probe.durationSec,
      container: probe.container,
      codec: probe.codec,
      frameMod,
      frames,
    };
  } finally {
    clearTimeout(timer);
    readSignal.removeEventListener('abort', onAbort);
    digestAbort.abort();
    await local.cleanup();
  }
}
