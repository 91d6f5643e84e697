/**
 * Locating the ffmpeg and ffprobe binaries. tidscan calls them directly as system binaries with explicit argument
 * lists (never a shell, never fluent-ffmpeg: see docs/hashing.md#video).
 *
 * Lookup order for each tool: the explicit option, then `FFMPEG_PATH` / `FFPROBE_PATH`, then (for ffprobe) the
 * directory of the chosen ffmpeg, then `PATH`.
 *
 * @module
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { VideoError } from '../errors.js';

/** Where to find the ffmpeg tools. Every field is optional. */
export interface FfmpegLocateOptions {
  /**
   * Path of the ffmpeg binary (or a bare command name looked up in `PATH`).
   * @default process.env.FFMPEG_PATH, else `ffmpeg` in PATH
   */
  ffmpegPath?: string;
  /**
   * Path of the ffprobe binary (or a bare command name looked up in `PATH`).
   * @default process.env.FFPROBE_PATH, else `ffprobe` beside the chosen ffmpeg, else `ffprobe` in PATH
   */
  ffprobePath?: string;
  /**
   * Environment to read `FFMPEG_PATH`, `FFPROBE_PATH`, `PATH` (and `PATHEXT` on Windows) from.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
}

/** Absolute paths of the two tools, as found by {@link locateFfmpeg}. */
export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
}

type Tool = 'ffmpeg' | 'ffprobe';

function validatePathOption(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.includes('\0'))) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty path string, got ${JSON.stringify(value) ?? String(value)}`);
  }
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    if (process.platform === 'win32') return true;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function executableNames(command: string, env: NodeJS.ProcessEnv): string[] {
  if (process.platform !== 'win32' || path.extname(command) !== '') return [command];
  const exts = (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean);
  return [command, ...exts.map((ext) => command + ext.toLowerCase())];
}

async function searchPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const name of executableNames(command, env)) {
      const candidate = path.resolve(dir, name);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Resolves one configured value: a path (anything with a separator) is checked as is, a bare name goes to PATH. */
async function resolveConfigured(value: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const looksLikePath = value.includes('/') || value.includes(path.sep) || path.isAbsolute(value);
  if (!looksLikePath) return searchPath(value, env);
  for (const name of executableNames(path.resolve(value), env)) {
    if (await isExecutableFile(name)) return name;
  }
  return undefined;
}

function notFound(tool: Tool, message: string, details: Record<string, unknown>): VideoError {
  return new VideoError('FFMPEG_NOT_FOUND', message, { details: { tool, ...details } });
}

async function locateTool(
  tool: Tool,
  option: string | undefined,
  envVar: 'FFMPEG_PATH' | 'FFPROBE_PATH',
  env: NodeJS.ProcessEnv,
  besideDir: string | undefined,
): Promise<string> {
  const optionName = tool === 'ffmpeg' ? 'ffmpegPath' : 'ffprobePath';
  if (option !== undefined) {
    const found = await resolveConfigured(option, env);
    if (found) return found;
    throw notFound(tool, `${tool} not found at \`${optionName}\` ${JSON.stringify(option)} (missing or not executable)`, {
      path: option,
    });
  }
  const fromEnv = env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    const found = await resolveConfigured(fromEnv, env);
    if (found) return found;
    throw notFound(tool, `${tool} not found at ${envVar}=${JSON.stringify(fromEnv)} (missing or not executable)`, {
      path: fromEnv,
    });
  }
  if (besideDir !== undefined) {
    for (const name of executableNames(path.join(besideDir, tool), env)) {
      if (await isExecutableFile(name)) return name;
    }
  }
  const found = await searchPath(tool, env);
  if (found) return found;
  throw notFound(
    tool,
    `${tool} not found in PATH. Install FFmpeg (e.g. \`apt-get install ffmpeg\`, \`brew install ffmpeg\`) ` +
      `or set the \`${optionName}\` option or the ${envVar} environment variable`,
    {},
  );
}

/**
 * Finds ffmpeg and ffprobe. Both are required for video hashing.
 *
 * @throws {VideoError} `FFMPEG_NOT_FOUND` naming the tool and where it was looked for.
 * @throws {TypeError} when an option is not a non-empty string.
 *
 * @example
 * ```ts
 * const { ffmpeg, ffprobe } = await locateFfmpeg({ ffmpegPath: '/opt/ffmpeg/bin/ffmpeg' });
 * ```
 */
export async function locateFfmpeg(options: FfmpegLocateOptions = {}): Promise<FfmpegBinaries> {
  validatePathOption('ffmpegPath', options.ffmpegPath);
  validatePathOption('ffprobePath', options.ffprobePath);
  const env = options.env ?? process.env;
  const ffmpeg = await locateTool('ffmpeg', options.ffmpegPath, 'FFMPEG_PATH', env, undefined);
  const ffprobe = await locateTool('ffprobe', options.ffprobePath, 'FFPROBE_PATH', env, path.dirname(ffmpeg));
  return { ffmpeg, ffprobe };
}
