/**
 * An upload endpoint that checks every image against the hash lists BEFORE storing it (node:http, no framework).
 *
 *   TIDSCAN_STORE=.tidscan/demo/store.sqlite npx tsx examples/upload-handler.ts      # after `npm run demo`
 *   curl --data-binary @photo.jpg http://127.0.0.1:8080/upload
 *
 * Responses: 201 stored; 451 rejected (the image matches a list entry); 202 held for human review (the image could
 * not be judged, e.g. too flat to hash); 413/415 bad upload; 503 busy (retry later).
 *
 * The uploader learns only that the upload was refused, never which list entry matched: that would help someone
 * probe the list. The details (entry ids, distance, hashes) go to the audit log for your trust & safety team.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createScanner, isTidscanError, type Scanner, type Verdict } from '../src/index.js';

/** Options of {@link createUploadServer}. */
export interface UploadServerOptions {
  scanner: Scanner;
  /** Where accepted uploads are written. */
  uploadDir: string;
  /** Largest accepted upload, bytes. @default 20 MiB */
  maxBytes?: number;
  /** Receives one record per judged upload (hashes, verdict, entry ids; never the bytes). @default console.log */
  audit?: (record: Record<string, unknown>) => void;
}

class TooLarge extends Error {}

/** Reads the request body, refusing more than `maxBytes`. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new TooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body) + '\n');
}

/** The HTTP status and body for a verdict (the policy lives here). */
function decide(verdict: Verdict): { status: number; body: Record<string, unknown> } {
  switch (verdict.kind) {
    case 'match':
      return { status: 451, body: { status: 'rejected', reason: 'This image cannot be uploaded: it matches content reported for removal.' } };
    case 'unhashable':
      return { status: 202, body: { status: 'held', reason: 'Your upload is waiting for review.' } };
    case 'no_match':
      return { status: 201, body: { status: 'stored' } };
  }
}

/** An HTTP server with `POST /upload` (the raw image bytes as the body). */
export function createUploadServer(options: UploadServerOptions): Server {
  const { scanner, uploadDir } = options;
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
  const audit = options.audit ?? ((record) => console.log(JSON.stringify(record)));
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/upload') return reply(res, 404, { error: 'not_found' });
    void (async () => {
      try {
        const bytes = await readBody(req, maxBytes);
        const verdict = await scanner.matchImage(bytes);
        const { status, body } = decide(verdict);
        const id = verdict.hashes.sha256!;
        audit({
          at: new Date().toISOString(),
          upload: id,
          verdict: verdict.kind,
          listVersion: verdict.listVersion,
          matches: verdict.kind === 'match' ? verdict.matches.map((m) => ({ list: m.list, entryId: m.entryId, signal: m.signal, distance: m.distance })) : [],
          hashes: { md5: verdict.hashes.md5, pdq: verdict.hashes.pdq, quality: verdict.hashes.quality },
        });
        if (verdict.kind === 'no_match') {
          // Only now do the bytes reach storage. Matched uploads are never written anywhere.
          await mkdir(uploadDir, { recursive: true });
          await writeFile(path.join(uploadDir, `${id}.${verdict.media?.format ?? 'bin'}`), bytes);
        }
        reply(res, status, { ...body, id });
      } catch (err) {
        if (err instanceof TooLarge) return reply(res, 413, { error: 'INPUT_TOO_LARGE' });
        if (!isTidscanError(err)) {
          console.error(err);
          return reply(res, 500, { error: 'internal' });
        }
        switch (err.code) {
          case 'INPUT_TOO_LARGE':
          case 'TOO_MANY_PIXELS':
            return reply(res, 413, { error: err.code });
          case 'QUEUE_FULL':
            return reply(res, 503, { error: err.code }, { 'retry-after': '5' });
          default:
            // DECODE_FAILED, UNSUPPORTED_FORMAT, EMPTY_INPUT, ...: not an image we accept.
            return reply(res, 415, { error: err.code });
        }
      }
    })();
  });
}

async function main(): Promise<void> {
  const store = process.env.TIDSCAN_STORE ?? '.tidscan/demo/store.sqlite';
  if (!existsSync(store)) throw new Error(`No list store at ${store}: run \`npm run demo\` or \`tidscan sync\` first`);
  const scanner = await createScanner({ store, dihedral: true });
  if (scanner.stats().list.entries === 0) throw new Error(`The list store ${store} is empty: run \`npm run demo\` or \`tidscan sync\` first`);
  const server = createUploadServer({ scanner, uploadDir: process.env.UPLOAD_DIR ?? '.tidscan/uploads' });
  server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    console.log(`listening on http://127.0.0.1:${port}/upload (list version ${scanner.stats().listVersion})`);
  });
  const stop = () => server.close(() => void scanner.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
