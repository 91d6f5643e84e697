/**
 * `tidscan export --store PATH [--source ID]`: the current list, one JSON object per entry (a stable contract):
 * `{"source","id","member","classification","kind","fingerprints",...}` with `member` and `classification`
 * null when the source has none, followed by `key`, then `links`, `timestamp` and `metadata` when present.
 *
 * @module
 */
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openListStore } from '../../sync/store.js';
import type { ListEntry } from '../../sync/types.js';
import type { CliCommand, CliIO } from '../command.js';
import { UsageError } from '../command.js';

const USAGE = `Usage: tidscan export --store PATH [--source ID]

Prints every entry of the list store (or of one source), one JSON object per line, ordered by source then key:
  {"source","id","member","classification","kind":"image"|"video","fingerprints":{"md5","sha1","pdq",...},"key",
   "links"?,"timestamp"?,"metadata"?}
The store is read as one consistent snapshot; a sync may run meanwhile.

Exit status: 0 done; 1 the store cannot be read; 2 bad flags.`;

/** The exported form of one entry, contract fields first. */
export function exportRecord(key: string, entry: ListEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {
    source: entry.source,
    id: entry.id,
    member: entry.member ?? null,
    classification: entry.classification ?? null,
    kind: entry.kind,
    fingerprints: entry.fingerprints,
    key,
  };
  if (entry.links !== undefined) out.links = entry.links;
  if (entry.timestamp !== undefined) out.timestamp = entry.timestamp;
  if (entry.metadata !== undefined) out.metadata = entry.metadata;
  return out;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { store: { type: 'string' }, source: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const storePath = values.store ?? io.env.TIDSCAN_STORE;
  if (storePath === undefined) throw new UsageError('Missing --store');
  const store = openListStore(path.resolve(io.cwd, storePath), { readonly: true });
  try {
    let chunk = '';
    for (const { key, entry } of store.iterateEntries(values.source !== undefined ? { source: values.source } : {})) {
      chunk += JSON.stringify(exportRecord(key, entry)) + '\n';
      if (chunk.length >= 65536) {
        const ok = io.stdout.write(chunk);
        chunk = '';
        if (!ok) await once(io.stdout, 'drain');
      }
    }
    if (chunk) io.stdout.write(chunk);
  } finally {
    store.close();
  }
  return 0;
}

/** `tidscan export`. */
export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Print the list store, one JSON object per entry',
  usage: USAGE,
  run,
};
