/**
 * Keeping a long-running service's hash list fresh without cron: load the list from the store at startup, then
 * sync every 10 minutes (with jitter) while matching goes on. The in-memory list follows every committed page in
 * one synchronous step, so a match sees a page entirely or not at all.
 *
 * Run: TIDSCAN_NCMEC_USER=... TIDSCAN_NCMEC_PASSWORD=... npx tsx examples/sync-loop.ts
 */
import { subscribe } from 'node:diagnostics_channel';
import {
  HashList,
  type SyncErrorEvent,
  createFileSource,
  createNcmecSource,
  openListStore,
  parsePdq,
  startSyncLoop,
} from '../src/index.js';

const store = openListStore(process.env.TIDSCAN_STORE ?? 'list.db');
const list = HashList.load(store); // restart: everything already synced, at the store's version

const sources = [
  createNcmecSource({ baseUrl: process.env.TIDSCAN_NCMEC_URL ?? 'https://report.cybertip.org/hashsharing' }),
  createFileSource({ id: 'local', location: process.env.TIDSCAN_LIST_FILE ?? 'extra-hashes.ndjson' }),
];

subscribe('tidscan:sync:error', (message) => {
  const { code, message: text, source } = message as SyncErrorEvent;
  console.error(`sync error${source ? ` (${source})` : ''}: ${code} ${text}`);
});

const loop = startSyncLoop({
  store,
  list,
  sources,
  interval: 10 * 60_000,
  jitter: 60_000,
  onReport(report) {
    const changes = report.sources.map((s) => `${s.id}: +${s.added} ~${s.updated} -${s.deleted}${s.ok ? '' : ` ${s.error?.code}`}`);
    console.log(`sync ${report.ok ? 'ok' : 'FAILED'} -> list version ${report.version} (${changes.join(', ')})`);
  },
});

// Matching goes on meanwhile, against whatever version the list is at.
setInterval(() => {
  const hits = list.queryPdq(parsePdq('f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22'), 31);
  console.log(`list v${list.version}: ${list.size} entries, ${hits.length} near the probe hash`);
}, 60_000).unref();

async function shutdown(): Promise<void> {
  await loop.stop(); // aborts a sync in progress after committing the pages it already has
  store.close();
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
