/**
 * Fixtures for the match/rescan/example suites: a real list store filled through the real file source, images from
 * the demo's synthetic scene generator, and a CLI child process the test can signal.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createScene, renderFlat, renderScene } from '../../scripts/lib/synth.js';
import { hashImage } from '../../src/media/image.js';
import { createScanner } from '../../src/scanner/index.js';
import { createFileSource } from '../../src/sync/file-source.js';
import { CLI_ENTRY } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/vectors.js';

/** A JPEG of a synthetic scene. */
export function sceneJpeg(seed: string, width = 320, height = 240, quality = 90): Promise<Buffer> {
  return sharp(renderScene(createScene(seed), width, height), { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** A flat grey PNG (PDQ quality 0). */
export function flatPng(width = 256, height = 256): Promise<Buffer> {
  return sharp(renderFlat(width, height, [128, 128, 128]), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** One list-file record for an image file, hashed with tidscan's own hasher. */
export async function listRecordFor(file: string | Buffer, id: string): Promise<Record<string, unknown>> {
  const h = await hashImage(file);
  return { id, kind: 'image', classification: 'A1', member: { id: '7001', name: 'Take It Down' }, fingerprints: { md5: h.md5, pdq: h.pdq.hash } };
}

/** Writes `records` as an NDJSON list file and syncs it into the store at `store` (created when missing). */
export async function syncListFile(store: string, listFile: string, records: Array<Record<string, unknown>>): Promise<number> {
  await writeFile(listFile, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const scanner = await createScanner({ store, lists: [{ source: createFileSource({ location: listFile, id: 'tid' }) }] });
  try {
    await scanner.sync();
    return scanner.stats().listVersion;
  } finally {
    await scanner.close();
  }
}

/** The CLI as a child process (`node --import tsx src/cli/bin.ts ...`) with captured output. */
export interface CliChild {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the CLI; the caller may signal it, and must await `exited`. Killed after `timeoutMs`. */
export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal });
    });
  });
  return {
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    exited,
  };
}

/** Parses NDJSON text into result lines (objects with `file`) and summary lines. */
export function parseRescanOutput(text: string): { results: Array<Record<string, any>>; summaries: Array<Record<string, any>> } {
  const results: Array<Record<string, any>> = [];
  const summaries: Array<Record<string, any>> = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const value = JSON.parse(line) as Record<string, any>;
    if (value.summary) summaries.push(value.summary);
    else results.push(value);
  }
  return { results, summaries };
}

/** Outcome counts as the HTML report states them (`data-outcome` cells). */
export function reportCounts(html: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of html.matchAll(/data-outcome="(\w+)">(\d+)</g)) out[m[1]!] = Number(m[2]);
  return out;
}

export { path };

/**
 * Runs the CLI's `main()` in this process (for flag and usage checks that need no child process: spawning
 * `node --import tsx` costs over a second of CPU each time).
 */
export async function runMainInProcess(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  const { PassThrough } = await import('node:stream');
  const { main } = await import('../../src/cli/main.js');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const stdin = new PassThrough();
  stdin.end(options.input ?? '');
  const status = await main(args, { stdout, stderr, stdin, env: { ...process.env, ...options.env }, cwd: options.cwd ?? REPO_ROOT });
  return { status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
