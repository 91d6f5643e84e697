/**
 * The store writer thread's entry point (see store-writer.ts): opens its own connection to the store and runs
 * the commits the syncing thread sends, one at a time, in order. Nothing here decides anything: it is
 * {@link ListStore.commitRows} on another thread.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ListStore, openListStore } from './store.js';
import { serializeWriterError, type WriterRequest, type WriterResponse, type WriterStart } from './store-writer-protocol.js';

const port = parentPort;
if (port) {
  const post = (message: WriterResponse, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  const start = workerData as WriterStart;
  let store: ListStore | undefined;
  try {
    store = openListStore(start.path, { create: false, busyTimeoutMs: start.busyTimeoutMs, synchronous: start.synchronous });
    post({ type: 'ready' });
  } catch (err) {
    post({ type: 'open-failed', error: serializeWriterError(err) });
  }
  port.on('message', (request: WriterRequest) => {
    if (request.type === 'close') {
      store?.close();
      port.close();
      return;
    }
    try {
      if (!store) throw new Error('the store is not open');
      const result = store.commitRows(request.rows);
      post({ type: 'done', id: request.id, result }, [result.outcomes.buffer as ArrayBuffer]);
    } catch (err) {
      post({ type: 'failed', id: request.id, error: serializeWriterError(err) });
    }
  });
}
