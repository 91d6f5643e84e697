// Public surface of src/media (re-exported by src/index.ts). Keep names unique across areas.
export { hashImage, hashImageResolved, MAX_IMAGE_SIDE, type ImageHash } from './image.js';
export {
  resolveImageOptions,
  IMAGE_DEFAULTS,
  DEFAULT_IMAGE_FORMATS,
  SUPPORTED_IMAGE_FORMATS,
  type HashImageOptions,
  type ResolvedImageOptions,
  type FailOnLevel,
} from './image-options.js';
export { digestBytes, Digester, type Digests } from './digest.js';
export { sniffMedia, SNIFF_BYTES, type SniffResult, type ImageFormat, type VideoContainer } from './sniff.js';
export { readMediaInput, isMediaInput, type MediaInput } from './read-input.js';
export { hashVideo, type VideoHashResult } from './video.js';
export {
  DEFAULT_VIDEO_CONTAINERS,
  DEFAULT_VIDEO_LIMITS,
  type HashVideoOptions,
  type VideoLimits,
} from './video-options.js';
export { locateFfmpeg, type FfmpegLocateOptions, type FfmpegBinaries } from './ffmpeg.js';
export type { VideoInput } from './video-input.js';
