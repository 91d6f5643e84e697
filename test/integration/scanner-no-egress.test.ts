/**
 * Proof that scanning sends nothing out of the process: every way Node code can open a connection is recorded
 * (TCP/TLS sockets, node:http(s), fetch, undici's global dispatcher) and so is every child process, while images and
 * videos are matched. During `sync()` the same recorders see only list requests to the configured hosts, which
 * also proves the recorders work.
 */
import cp from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrames } from '../../scripts/lib/ffmpeg-encode.js';
import { createScene, renderScene } from '../../scripts/lib/synth.js';
import { hashImage } from '../../src/media/image.js';
import { type Scanner, createScanner } from '../../src/scanner/index.js';
import { createFileSource } from '../../src/sync/file-source.js';
import { createNcmecSource } from '../../src/sync/ncmec/source.js';
import { type MockNcmecServer, startMockNcmecServer } from '../helpers/mock-ncmec-server.js';
import { type ListServer, sceneImage, startListServer } from './scanner-helpers.js';

interface Recorded {
  sockets: Array<{ host?: string; port?: number; path?: string }>;
  dispatches: Array<{ origin: string; method: string; path: string; hasBody: boolean }>;
  httpRequests: number;
  fetches: number;
  spawns: Array<{ file: string; args: string[] }>;
}

const recorded: Recorded = { sockets: [], dispatches: [], httpRequests: 0, fetches: 0, spawns: [] };
const restore: Array<() => void> = [];

function reset(): void {
  recorded.sockets.length = 0;
  recorded.dispatches.length = 0;
  recorded.httpRequests = 0;
  recorded.fetches = 0;
  recorded.spawns.length = 0;
}

class RecordingAgent extends Agent {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    recorded.dispatches.push({
      origin: String(options.origin),
      method: options.method,
      path: options.path,
      hasBody: options.body !== undefined && options.body !== null,
    });
    return super.dispatch(options, handler);
  }
}

function installRecorders(): void {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect() passes its normalised arguments as one array: [options, callback].
    const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      const o = first as { host?: string; port?: number; path?: string };
      recorded.sockets.push({ host: o.host, port: Number(o.port), path: o.path });
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      recorded.sockets.push({ port: Number(first), host: typeof second === 'string' ? second : undefined });
    } else {
      recorded.sockets.push({ path: String(first) });
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  restore.push(() => void (net.Socket.prototype.connect = connect));

  for (const mod of [http, https]) {
    const { request, get } = mod;
    const call = (fn: (...a: unknown[]) => unknown) => (...a: unknown[]) => (recorded.httpRequests++, fn(...a));
    mod.request = call(request as (...a: unknown[]) => unknown) as typeof request;
    mod.get = call(get as (...a: unknown[]) => unknown) as typeof get;
    restore.push(() => Object.assign(mod, { request, get }));
  }
  const { fetch } = globalThis;
  globalThis.fetch = ((...a: Parameters<typeof fetch>) => (recorded.fetches++, fetch(...a))) as typeof fetch;
  restore.push(() => void (globalThis.fetch = fetch));

  const { spawn } = cp;
  cp.spawn = ((file: string, args?: readonly string[], ...rest: unknown[]) => {
    recorded.spawns.push({ file, args: [...(args ?? [])] });
    return (spawn as (...a: unknown[]) => cp.ChildProcess)(file, args, ...rest);
  }) as typeof spawn;
  restore.push(() => void (cp.spawn = spawn));

  const dispatcher = getGlobalDispatcher();
  setGlobalDispatcher(new RecordingAgent());
  restore.push(() => setGlobalDispatcher(dispatcher));
  syncBuiltinESMExports();
}

let dir: string;
let ncmec: MockNcmecServer;
let listFile: ListServer;
let scanner: Scanner;
let image: Buffer;
let video: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tidscan-no-egress-'));
  image = await sceneImage('scanner-listed');
  const photo = renderScene(createScene('scanner-listed'), 320, 240);
  video = path.join(dir, 'clip.mp4');
  await encodeFrames(Array<Buffer>(20).fill(photo), video, { ffmpeg: 'ffmpeg', width: 320, height: 240, fps: 10 });
  const { pdq, md5 } = await hashImage(image);

  ncmec = await startMockNcmecServer({ entries: 20, seed: 9 });
  ncmec.add({ id: 'tid-photo', kind: 'image', fingerprints: { pdq: pdq.hash, md5 } }, { timestamp: Date.now() - 60_000 });
  listFile = await startListServer([{ id: 'other', kind: 'image', fingerprints: { pdq: 'f0'.repeat(32) } }]);
  scanner = await createScanner({
    lists: [
      { source: createNcmecSource({ baseUrl: ncmec.url, username: ncmec.username, password: ncmec.password, id: 'ncmec' }) },
      { source: createFileSource({ location: listFile.url, id: 'file' }) },
    ],
  });
  installRecorders();
}, 120_000);

afterAll(async () => {
  for (const undo of restore.reverse()) undo();
  syncBuiltinESMExports();
  await scanner?.close();
  await ncmec?.close();
  await listFile?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('network egress', () => {
  it('sync() makes only list requests, and only to the configured hosts', async () => {
    reset();
    await scanner.sync();
    const ncmecOrigin = new URL(ncmec.url).origin;
    const listOrigin = new URL(listFile.url).origin;
    const allowedPorts = [Number(new URL(ncmec.url).port), listFile.port];

    expect(recorded.sockets.length).toBeGreaterThan(0); // the recorders see real traffic
    for (const s of recorded.sockets) {
      expect(s.host).toBe('127.0.0.1');
      expect(allowedPorts).toContain(s.port);
    }
    expect(recorded.dispatches.length).toBeGreaterThan(0);
    const ncmecBase = new URL(ncmec.url).pathname;
    for (const d of recorded.dispatches) {
      expect([ncmecOrigin, listOrigin]).toContain(d.origin);
      expect(d.method).toBe('GET');
      expect(d.hasBody).toBe(false);
      if (d.origin === ncmecOrigin) expect(d.path.startsWith(`${ncmecBase}/v2/`)).toBe(true);
      else expect(d.path).toBe('/lists/tid.ndjson');
    }
    expect(recorded.spawns).toEqual([]);
  });

  it('matching images and videos opens no connection and sends no request', async () => {
    const ncmecRequests = ncmec.requests.length;
    const listRequests = listFile.requests.length;
    const file = path.join(dir, 'upload.png');
    await writeFile(file, image);
    reset();

    expect((await scanner.matchImage(image)).kind).toBe('match');
    expect((await scanner.matchImage(file)).kind).toBe('match');
    expect((await scanner.matchVideo(video)).kind).toBe('match');
    expect((await scanner.matchVideo(await readFile(video), {})).kind).toBe('match');
    expect((await scanner.matchHashes({ md5: '00'.repeat(16) })).kind).toBe('no_match');
    for await (const r of scanner.matchMany([image, file])) expect(r.verdict?.kind).toBe('match');
    await scanner.matchImage(Buffer.from('not an image')).catch(() => undefined);

    expect(recorded.sockets).toEqual([]);
    expect(recorded.dispatches).toEqual([]);
    expect(recorded.httpRequests).toBe(0);
    expect(recorded.fetches).toBe(0);
    expect(ncmec.requests.length).toBe(ncmecRequests);
    expect(listFile.requests.length).toBe(listRequests);

    // Video decoding runs local ffmpeg/ffprobe processes, restricted to local files and pipes.
    expect(recorded.spawns.length).toBeGreaterThan(0);
    for (const { file: bin, args } of recorded.spawns) {
      expect(path.basename(bin)).toMatch(/^ff(mpeg|probe)$/);
      expect(args.some((a) => /^[a-z][a-z0-9+.-]*:\/\//i.test(a))).toBe(false);
      if (args.includes('-i')) {
        expect(args[args.indexOf('-protocol_whitelist') + 1]).toBe('file,pipe');
        expect(args[args.indexOf('-i') + 1]).toMatch(/^file:\//);
      }
    }
  });
});
