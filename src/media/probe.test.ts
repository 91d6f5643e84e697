import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { parseProbeOutput } from './probe.js';
import { DEFAULT_VIDEO_CONTAINERS } from './video-options.js';

function probeJson(stream: Record<string, unknown> | null, format: Record<string, unknown> = {}): string {
  const streams: Array<Record<string, unknown>> = [{ index: 0, codec_type: 'audio', codec_name: 'aac' }];
  if (stream) streams.push({ index: 1, codec_type: 'video', codec_name: 'h264', width: 480, height: 720, ...stream });
  return JSON.stringify({ streams, format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', ...format } });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isTidscanError(err) ? err.code : String(err);
  }
  return undefined;
}

describe('parseProbeOutput', () => {
  it('reads the first video stream', () => {
    const p = parseProbeOutput(
      probeJson({ avg_frame_rate: '30000/1001', r_frame_rate: '30/1', nb_frames: '564' }, { duration: '18.8' }),
      DEFAULT_VIDEO_CONTAINERS,
    );
    expect(p).toEqual({
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      demuxer: 'mov',
      streamIndex: 1,
      codec: 'h264',
      width: 480,
      height: 720,
      fps: 30000 / 1001,
      durationSec: 18.8,
      frameCount: 564,
    });
  });

  it('falls back to r_frame_rate when the average rate is unknown, like vPDQ', () => {
    expect(parseProbeOutput(probeJson({ avg_frame_rate: '0/0', r_frame_rate: '25/1' }), ['mov']).fps).toBe(25);
  });

  it('picks the lowest-index video stream even when streams are listed out of order', () => {
    const json = JSON.stringify({
      streams: [
        { index: 2, codec_type: 'video', codec_name: 'mjpeg', width: 10, height: 10, avg_frame_rate: '1/1' },
        { index: 1, codec_type: 'video', codec_name: 'h264', width: 20, height: 20, avg_frame_rate: '1/1' },
      ],
      format: { format_name: 'matroska,webm' },
    });
    expect(parseProbeOutput(json, ['matroska'])).toMatchObject({ streamIndex: 1, codec: 'h264', demuxer: 'matroska' });
  });

  it('reports unknown duration and frame count as null', () => {
    const p = parseProbeOutput(probeJson({ avg_frame_rate: '30/1' }), ['mov']);
    expect(p.durationSec).toBeNull();
    expect(p.frameCount).toBeNull();
  });

  it.each([
    ['no video stream', probeJson(null), 'NO_VIDEO_STREAM'],
    ['a container off the allowlist', probeJson({ avg_frame_rate: '30/1' }, { format_name: 'hls' }), 'UNSUPPORTED_CONTAINER'],
    ['no frame rate', probeJson({ avg_frame_rate: '0/0', r_frame_rate: '0/0' }), 'DECODE_FAILED'],
    ['no frame size', probeJson({ avg_frame_rate: '30/1', width: 0 }), 'DECODE_FAILED'],
    ['non-JSON output', 'oops', 'FFMPEG_FAILED'],
  ])('fails on %s', (_name, json, code) => {
    expect(codeOf(() => parseProbeOutput(json, DEFAULT_VIDEO_CONTAINERS))).toBe(code);
  });
});
