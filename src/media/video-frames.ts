/**
 * Decoding the frames vPDQ hashes, streamed: ffmpeg writes RGB24 frames to a pipe and they are cut into
 * `width x height x 3`-byte frames as they arrive, so a video is never held in memory.
 *
 * The ffmpeg pipeline reproduces the reference C++ decoder (docs/hashing.md#video): first video stream, no
 * autorotation, every decoded frame in decoder order (`-fps_mode passthrough`), BT.601 YUV->RGB whatever the
 * stream's colour tags, output at the stream's coded size (or N x N with the area filter when downsampling).
 * When only every `frameMod`-th frame is hashed, ffmpeg's `select` filter drops the others before the RGB
 * conversion, so they cost only their decoding.
 *
 * @module
 */
import { VideoError } from '../errors.js';
import { startTool, toolExitError } from './ffmpeg-process.js';
import { fileUrlArg, hardeningArgs } from './probe.js';

/** What to decode. */
export interface FrameDecodeOptions {
  ffmpeg: string;
  /** Absolute path of the (already probed) input. */
  file: string;
  /** Demuxer short name from the probe; forced with `-f` so decoding uses what was probed. */
  demuxer: string;
  allowedContainers: readonly string[];
  maxAllocBytes: number;
  /** Output frame size. */
  width: number;
  height: number;
  /** True to scale to `width x height` with the area filter (vPDQ `-s N`). */
  downsample: boolean;
  /** Keep frames `n` with `n % frameMod === 0` (1 = every frame). */
  frameMod: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** One decoded frame. `pixels` is reused for the next frame: use it before asking for the next one. */
export interface DecodedFrame {
  /** 0-based index among all decoded frames. */
  frame: number;
  /** RGB24, row-major, `width * height * 3` bytes. */
  pixels: Uint8Array;
}

/**
 * The ffmpeg argument list for {@link decodeFrames} (exported for the benchmark's decode-only baseline).
 * Output goes to stdout (`pipe:1`).
 */
export function frameDecodeArgs(o: Omit<FrameDecodeOptions, 'ffmpeg' | 'timeoutMs' | 'signal'>): string[] {
  const filters: string[] = [];
  if (o.frameMod > 1) filters.push(`select=not(mod(n\\,${o.frameMod}))`);
  // Explicit w/h keep every output frame the probed size even if the stream changes resolution midway.
  filters.push(`scale=in_color_matrix=bt601:w=${o.width}:h=${o.height}${o.downsample ? ':flags=area' : ''}`);
  return [
    ...hardeningArgs(o.allowedContainers, o.maxAllocBytes),
    '-nostdin',
    '-v',
    'error',
    '-noautorotate',
    '-f',
    o.demuxer,
    '-i',
    fileUrlArg(o.file),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-fps_mode',
    'passthrough',
    '-vf',
    filters.join(','),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/**
 * Decodes the selected frames. Stopping the iteration early (break, throw) kills ffmpeg.
 *
 * @throws {VideoError} `FFMPEG_TIMEOUT`, `FFMPEG_FAILED` (non-zero exit, or output ending mid-frame),
 *   `FFMPEG_NOT_FOUND`; or the abort signal's reason.
 */
export async function* decodeFrames(options: FrameDecodeOptions): AsyncGenerator<DecodedFrame, void, undefined> {
  const frameBytes = options.width * options.height * 3;
  const proc = startTool(options.ffmpeg, frameDecodeArgs(options), {
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const pixels = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  // True while the consumer holds a frame: if the generator is closed there, the consumer stopped on purpose.
  let stoppedByConsumer = true;
  let streamError: unknown;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        pixels.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          filled = 0;
          yield { frame: index * options.frameMod, pixels };
          index++;
        }
      }
    }
    stoppedByConsumer = false;
  } catch (err) {
    // stdout fails when a kill (timeout, abort) destroys it; the exit status below says why.
    stoppedByConsumer = false;
    streamError = err;
  } finally {
    if (stoppedByConsumer || streamError !== undefined) proc.kill();
    const exit = await proc.exited;
    if (!stoppedByConsumer) {
      const error = toolExitError('ffmpeg', exit, options.signal, options.timeoutMs);
      if (error !== undefined) throw error;
      if (streamError !== undefined) {
        throw new VideoError('FFMPEG_FAILED', `Reading ffmpeg's output failed: ${(streamError as Error)?.message}`, {
          cause: streamError,
        });
      }
    }
  }
  if (filled !== 0) {
    throw new VideoError('FFMPEG_FAILED', `ffmpeg output ended inside a frame (${filled} of ${frameBytes} bytes)`);
  }
}
