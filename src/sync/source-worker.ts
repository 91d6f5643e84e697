/**
 * A source thread's entry point (see source-thread.ts): re-creates a built-in source from its spec, fetches its
 * pages, prepares and packs each one and sends it, at most `ahead` pages and `aheadBytes` before the syncing
 * thread asks for more. A deferred thread (started ahead of need) loads all this, then waits for a `start` request
 * with the checkpoint to fetch from. HTTP diagnostics events are forwarded, so subscribers on the syncing thread
 * still see them.
 *
 * @module
 */
import { subscribe } from 'node:diagnostics_channel';
import { parentPort, workerData } from 'node:worker_threads';
import { ChangeBatchBuilder } from '../list/change-batch.js';
import { prepareUpdates } from './apply.js';
import { HTTP_DIAGNOSTICS_CHANNEL } from './http.js';
import { createFileSource } from './file-source.js';
import { createNcmecSource } from './ncmec/source.js';
import { packedPageOf, withPackRequest } from './packed-page.js';
import { createStopNciiSource } from './stopncii.js';
import type { SourceSpec } from './source-spec.js';
import type { SourceThreadMessage, SourceThreadRequest, SourceThreadStart } from './source-thread-protocol.js';
import { serializeError } from './thread-errors.js';
import type { HashListSource } from './types.js';

function createSource(spec: SourceSpec): HashListSource {
  if (spec.factory === 'ncmec') return createNcmecSource(spec.options as unknown as Parameters<typeof createNcmecSource>[0]);
  if (spec.factory === 'stopncii') return createStopNciiSource(spec.options as unknown as Parameters<typeof createStopNciiSource>[0]);
  if (spec.factory === 'file') return createFileSource(spec.options as unknown as Parameters<typeof createFileSource>[0]);
  throw new TypeError(`Unknown source factory ${JSON.stringify((spec as { factory: unknown }).factory)}`);
}

const port = parentPort;
if (port) {
  const start = workerData as SourceThreadStart;
  const post = (message: SourceThreadMessage, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  const controller = new AbortController();
  let credits = start.ahead;
  /** Sizes of the pages sent and not yet asked for again, oldest first, and their sum. */
  const sentSizes: number[] = [];
  let bytesAhead = 0;
  let wake: (() => void) | undefined;
  let started = false;
  const begin = (checkpoint: unknown): void => {
    if (started || controller.signal.aborted) return;
    started = true;
    void fetchPages(checkpoint);
  };
  port.on('message', (request: SourceThreadRequest) => {
    if (request.type === 'more') {
      credits++;
      bytesAhead -= sentSizes.shift() ?? 0;
    } else if (request.type === 'start') {
      begin(request.checkpoint);
    } else {
      controller.abort();
    }
    wake?.();
  });
  subscribe(HTTP_DIAGNOSTICS_CHANNEL, (event) => post({ type: 'http', event }));

  const fetchPages = async (checkpoint: unknown): Promise<void> => {
    try {
      const source = createSource(start.spec);
      const builder = new ChangeBatchBuilder({ fingerprints: start.fingerprints });
      const options = withPackRequest(source, { signal: controller.signal }, { fingerprints: start.fingerprints });
      for await (const page of source.fetch(checkpoint, options)) {
        // A source that packs (NCMEC) hands over its batch; any other page is prepared and packed here.
        const packed = packedPageOf(page);
        const prepared = packed ? undefined : prepareUpdates(source.id, page.updates);
        if (prepared) for (const u of prepared.updates) builder.add(source.id, u.key, u.entry);
        const batch = packed ? packed.batch : builder.build();
        // Shared text (a built batch's) is sent without a copy; every other buffer moves to the syncing thread.
        const arrays = [batch.sourceOf, batch.flags, batch.textEnds, batch.fingerprints, batch.text];
        const size = arrays.reduce((sum, a) => sum + a.buffer.byteLength, 0);
        while ((credits === 0 || (sentSizes.length > 0 && bytesAhead + size > start.aheadBytes)) && !controller.signal.aborted) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (controller.signal.aborted) return;
        credits--;
        sentSizes.push(size);
        bytesAhead += size;
        const skipped = [...(page.skipped ?? []), ...(prepared?.skipped ?? [])];
        const transfer = arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
        const hint = page.remainingHint !== undefined ? { remainingHint: page.remainingHint } : {};
        post({ type: 'page', page: { batch, skipped, checkpoint: page.checkpoint, ...(page.replaceAll ? { replaceAll: true } : {}), ...hint } }, transfer);
      }
      post({ type: 'done' });
    } catch (err) {
      if (!controller.signal.aborted) post({ type: 'error', error: serializeError(err) });
    }
  };
  post({ type: 'ready' });
  if (!start.deferred) begin(start.checkpoint);
}
