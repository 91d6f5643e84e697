/**
 * Shared fixtures of the scanner integration suites: a loopback HTTP list server (an NDJSON list file that the file
 * source syncs over real HTTP), deterministic synthetic media, and an independent Hamming distance.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createScene, renderFlat, renderScene } from '../../scripts/lib/synth.js';

/** One record of the served list (tidscan's list-file shape). */
export interface ListRecord {
  id: string;
  kind: 'image' | 'video';
  member?: { id: string; name?: string };
  classification?: string;
  fingerprints: Record<string, unknown>;
}

/** A loopback server holding a mutable list; every request is recorded. */
export interface ListServer {
  /** `http://127.0.0.1:PORT/lists/tid.ndjson` */
  url: string;
  host: string;
  port: number;
  records: ListRecord[];
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

export async function startListServer(records: ListRecord[] = []): Promise<ListServer> {
  const requests: ListServer['requests'] = [];
  const state = { records };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    if (req.method !== 'GET' || req.url !== '/lists/tid.ndjson') {
      res.writeHead(404).end();
      return;
    }
    const body = state.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/lists/tid.ndjson`,
    host: '127.0.0.1',
    port,
    get records() {
      return state.records;
    },
    set records(value) {
      state.records = value;
    },
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Packed RGB of a deterministic synthetic photo-like scene. */
export function scenePixels(seed: string, width: number, height: number): Buffer {
  return renderScene(createScene(seed), width, height);
}

/** A deterministic synthetic image, encoded. */
export async function sceneImage(seed: string, width = 480, height = 360, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const img = sharp(scenePixels(seed, width, height), { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

/** A flat grey picture (PDQ quality far below 50). */
export async function flatImage(width = 256, height = 256): Promise<Buffer> {
  return sharp(renderFlat(width, height, [128, 128, 128]), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

const NIBBLE_BITS = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/** Hamming distance of two hex strings, nibble by nibble: deliberately not the library's popcount. */
export function naiveDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError('length mismatch');
  let d = 0;
  for (let i = 0; i < a.length; i++) d += NIBBLE_BITS[Number.parseInt(a[i]!, 16) ^ Number.parseInt(b[i]!, 16)]!;
  return d;
}
