/**
 * `tidscan match FILE...`: judges images and videos against the lists in the store and prints one verdict per
 * file (NDJSON, or a table for people).
 *
 * @module
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import { errorToJSON } from '../../errors.js';
import { choiceFlag } from '../../rescan/cli-flags.js';
import { openCliScanner, SCANNER_FLAG_OPTIONS, SCANNER_FLAG_USAGE, scannerOptionsFromFlags } from '../../rescan/cli-scanner.js';
import { sniffKind } from '../../rescan/inputs.js';
import { recordFromError, recordFromVerdict, type RescanRecord } from '../../rescan/record.js';
import { countRecords, EXIT_STATUS_HELP, exitStatusFor } from '../../rescan/summary.js';
import { renderTable } from '../../rescan/table.js';
import type { Verdict } from '../../scanner/types.js';
import type { CliCommand } from '../command.js';
import { UsageError, writeJsonLine } from '../command.js';

const USAGE = `Usage: tidscan match [options] FILE...

Judges each FILE (image or video, recognised by its content) against the hash lists in the store and prints one
verdict per file, in argument order. '-' reads one image from standard input.

Output (--format ndjson, the default): one JSON object per line,
  {"file", "kind": "match"|"no_match"|"unhashable", "matches"?, "reason"?, "hashes", "listVersion", ...}
or, when a file cannot be judged:
  {"file", "error": {"code", "message"}}
--format table prints one aligned row per match (or per file) for people.

Options:
  --format F           ndjson (default) or table
  --video              treat every FILE as a video (default: decided by content)

${SCANNER_FLAG_USAGE}

${EXIT_STATUS_HELP}

Examples:
  tidscan match --store lists.db upload.jpg
  curl -s https://example.org/a.jpg | tidscan match --store lists.db -
`;

async function judgeOne(
  scanner: Awaited<ReturnType<typeof openCliScanner>>,
  file: string,
  forceVideo: boolean,
  stdin: NodeJS.ReadableStream,
): Promise<Verdict> {
  if (file === '-') {
    // A stream: the scanner's image byte limit applies while reading.
    return scanner.matchImage(stdin);
  }
  const kind = forceVideo ? 'video' : ((await sniffKind(file)) ?? 'image');
  return kind === 'video' ? scanner.matchVideo(file) : scanner.matchImage(file);
}

/** The `match` command. */
export const matchCommand: CliCommand = {
  name: 'match',
  summary: 'judge images and videos against the synced lists (NDJSON verdicts or a table)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string' }, video: { type: 'boolean' }, ...SCANNER_FLAG_OPTIONS },
    });
    const format = choiceFlag('format', values.format, ['ndjson', 'table'] as const, 'ndjson');
    if (positionals.length === 0) throw new UsageError('Expected at least one FILE (or - for standard input)');
    if (positionals.filter((p) => p === '-').length > 1) throw new UsageError("'-' (standard input) can be given only once");
    const options = scannerOptionsFromFlags(values, io.env, io.cwd);
    const scanner = await openCliScanner(options);
    try {
      const queue = new PQueue({ concurrency: options.concurrency ?? 4 });
      const results = positionals.map((file) =>
        queue.add(async () => {
          const abs = file === '-' ? file : path.resolve(io.cwd, file);
          try {
            return { file, verdict: await judgeOne(scanner, abs, values.video === true, io.stdin) };
          } catch (error) {
            return { file, error };
          }
        }),
      );
      const records: RescanRecord[] = [];
      for (const pending of results) {
        const r = (await pending)!;
        const kind = r.verdict?.media?.kind ?? (values.video ? 'video' : 'image');
        if (r.verdict) {
          records.push(recordFromVerdict(r.file, kind, 0, r.verdict));
          if (format === 'ndjson') writeJsonLine(io.stdout, { file: r.file, ...r.verdict });
        } else {
          records.push(recordFromError(r.file, kind, 0, r.error));
          if (format === 'ndjson') writeJsonLine(io.stdout, { file: r.file, error: errorToJSON(r.error) });
        }
      }
      if (format === 'table') io.stdout.write(renderTable(records));
      return exitStatusFor(countRecords(records));
    } finally {
      await scanner.close();
    }
  },
};
