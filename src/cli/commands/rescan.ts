/**
 * `tidscan rescan DIR... | --list FILE | -`: judges a whole corpus (an upload store, a backlog) with bounded
 * concurrency, progress on stderr, a resumable checkpoint, NDJSON or CSV results, a summary line and an optional
 * HTML report.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MediaError } from '../../errors.js';
import { choiceFlag, integerFlag, secondsFlag } from '../../rescan/cli-flags.js';
import { openCliScanner, SCANNER_FLAG_OPTIONS, SCANNER_FLAG_USAGE, scannerOptionsFromFlags } from '../../rescan/cli-scanner.js';
import { csvHeader, csvRow } from '../../rescan/csv.js';
import { collectTargets, parseFileList } from '../../rescan/inputs.js';
import { RescanLedger, writeAtomic } from '../../rescan/ledger.js';
import { acquireLock } from '../../rescan/lock.js';
import { createProgressReporter, type ProgressReporter } from '../../rescan/progress.js';
import type { RescanRecord } from '../../rescan/record.js';
import { runRescan, type RescanProgress } from '../../rescan/rescan.js';
import { fileSink, type LineSink, streamSink } from '../../rescan/sinks.js';
import { EXIT_STATUS, EXIT_STATUS_HELP, exitStatusFor } from '../../rescan/summary.js';
import { renderHtmlReport } from '../../report/html.js';
import type { CliCommand, CliIO } from '../command.js';
import { UsageError } from '../command.js';

const USAGE = `Usage: tidscan rescan [options] DIR|FILE...
       tidscan rescan [options] --list FILE
       find /srv/uploads -type f -print0 | tidscan rescan [options] -

Judges every image and video under each DIR (recursively; dot-files skipped, symlinks not followed), every FILE,
every path in a --list file, or every path read from standard input ('-', one per line or NUL-separated).
Files are recognised by content, so uploads without extensions are found.

Results go to stdout (or --output) as they finish: one JSON object per file,
  {"file","kind","outcome":"match"|"no_match"|"unhashable"|"error","matches"?,"listVersion",...}
then a summary object as the last line: {"summary":{"complete","files","match","no_match","unhashable",
"error","scanned","skipped",...,"exitStatus"}}. With --format csv: a header row, one row per file, and the
summary as a last line starting with '#'. Progress goes to stderr: a bar on a terminal, a plain line every
--progress-interval seconds otherwise.

Resuming: every finished file is recorded in a checkpoint (by path, size, mtime, SHA-256 and list version).
Interrupt with Ctrl-C (in-flight files finish, a second Ctrl-C stops at once) and rerun the same command: finished
files are skipped, and --output is appended to. --since-version V rescans only files judged against a list
version older than V (e.g. after a sync: --since-version latest).

Options:
  --list FILE              read paths from FILE (one per line, # comments; or NUL-separated)
  --format F               ndjson (default) or csv
  --output FILE            write results to FILE instead of stdout (appended to when resuming)
  --report FILE            write a self-contained HTML report (counts, matches, distance histogram; no images)
  --checkpoint FILE        the resume checkpoint (default: .tidscan/rescan/<job>.json, <job> from the inputs)
  --fresh                  ignore an existing checkpoint and start over
  --since-version V        rescan only files judged against a list version < V (an integer, or 'latest')
  --progress MODE          auto (default), bar, lines or none
  --progress-interval S    seconds between progress lines when not a terminal (default 10)

${SCANNER_FLAG_USAGE}

${EXIT_STATUS_HELP}
  (For rescan, 0/3/4 describe every file of the job, including those finished by earlier runs.)
`;

interface Inputs {
  dirs: string[];
  files: string[];
  /** Identifies the job (for the default checkpoint name). */
  jobKey: string;
}

async function resolveInputs(positionals: string[], lists: string[], io: CliIO): Promise<Inputs> {
  const dirs: string[] = [];
  const files: string[] = [];
  const key: string[] = [];
  if (positionals.filter((p) => p === '-').length > 1) throw new UsageError("'-' (standard input) can be given only once");
  for (const p of positionals) {
    if (p === '-') {
      let text = '';
      for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      files.push(...parseFileList(text));
      key.push(`stdin:${createHash('sha256').update(text).digest('hex')}`);
      continue;
    }
    const abs = path.resolve(io.cwd, p);
    let info;
    try {
      info = await stat(abs);
    } catch {
      throw new MediaError('INPUT_NOT_FOUND', `No such file or folder: ${p}`, { details: { path: abs } });
    }
    if (info.isDirectory()) dirs.push(abs);
    else files.push(abs);
    key.push(`${info.isDirectory() ? 'dir' : 'file'}:${abs}`);
  }
  for (const list of lists) {
    const abs = path.resolve(io.cwd, list);
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (err) {
      throw new MediaError('INPUT_NOT_FOUND', `Cannot read the --list file ${list}: ${(err as Error).message}`, { cause: err });
    }
    // Paths in a list file are relative to the list file's folder.
    files.push(...parseFileList(text).map((f) => path.resolve(path.dirname(abs), f)));
    key.push(`list:${abs}`);
  }
  if (dirs.length === 0 && files.length === 0 && positionals.length + lists.length === 0) {
    throw new UsageError('Expected at least one DIR or FILE, --list FILE, or - (paths on standard input)');
  }
  return { dirs, files, jobKey: createHash('sha256').update(key.sort().join('\n')).digest('hex').slice(0, 16) };
}

function installSignalHandlers(onFirst: (signal: NodeJS.Signals) => void, onSecond: (signal: NodeJS.Signals) => void) {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) onFirst(signal);
    else onSecond(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The `rescan` command. */
export const rescanCommand: CliCommand = {
  name: 'rescan',
  summary: 'judge a whole folder or file list, resumable, with progress, NDJSON/CSV and an HTML report',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        list: { type: 'string', multiple: true },
        format: { type: 'string' },
        output: { type: 'string' },
        report: { type: 'string' },
        checkpoint: { type: 'string' },
        fresh: { type: 'boolean' },
        'since-version': { type: 'string' },
        progress: { type: 'string' },
        'progress-interval': { type: 'string' },
        ...SCANNER_FLAG_OPTIONS,
      },
    });
    const format = choiceFlag('format', values.format, ['ndjson', 'csv'] as const, 'ndjson');
    const progressMode = choiceFlag('progress', values.progress, ['auto', 'bar', 'lines', 'none'] as const, 'auto');
    const progressInterval = secondsFlag('progress-interval', values['progress-interval']) ?? 10;
    const sinceFlag = values['since-version'];
    const sinceNumber = sinceFlag === 'latest' ? undefined : integerFlag('since-version', sinceFlag, 0, Number.MAX_SAFE_INTEGER);
    const scannerOptions = scannerOptionsFromFlags(values, io.env, io.cwd);
    const inputs = await resolveInputs(positionals, values.list ?? [], io);
    const checkpoint = path.resolve(io.cwd, values.checkpoint ?? path.join('.tidscan', 'rescan', `${inputs.jobKey}.json`));
    const report = values.report === undefined ? undefined : path.resolve(io.cwd, values.report);

    const scanner = await openCliScanner(scannerOptions);
    let release: (() => void) | undefined;
    let sink: LineSink | undefined;
    let removeHandlers: (() => void) | undefined;
    let reporter: ProgressReporter | undefined;
    try {
      const listVersion = scanner.stats().listVersion;
      const sinceVersion = sinceFlag === 'latest' ? listVersion : sinceNumber;
      if (sinceVersion !== undefined && sinceVersion > listVersion) {
        throw new UsageError(`--since-version ${sinceVersion} is newer than the store's list version ${listVersion}`);
      }
      release = acquireLock(checkpoint);
      const ledger = RescanLedger.open(checkpoint, { fresh: values.fresh === true });
      const resuming = ledger.size > 0;
      const { targets, ignored } = await collectTargets(inputs, io.cwd);

      const controller = new AbortController();
      let interrupted: NodeJS.Signals | undefined;
      sink =
        values.output === undefined
          ? streamSink(io.stdout, () => controller.abort())
          : fileSink(path.resolve(io.cwd, values.output), resuming);
      if (format === 'csv' && !sink.appending) sink.write(csvHeader());
      const out = sink;

      const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
      const mode = progressMode === 'auto' ? (tty ? 'bar' : 'lines') : progressMode;
      if (mode !== 'none') reporter = createProgressReporter(io.stderr, { tty: mode === 'bar', intervalMs: progressInterval * 1000 });
      io.stderr.write(
        `tidscan rescan: ${targets.length} files${ignored > 0 ? ` (${ignored} other file${ignored === 1 ? '' : 's'} ignored)` : ''}, list version ` +
          `${listVersion}${sinceVersion !== undefined ? `, rescanning what was judged before version ${sinceVersion}` : ''}; ` +
          `checkpoint ${checkpoint}${resuming ? ` (resuming: ${ledger.size} files recorded)` : ''}\n`,
      );

      removeHandlers = installSignalHandlers(
        (signal) => {
          interrupted = signal;
          controller.abort();
          io.stderr.write(`\ntidscan rescan: ${signal}: finishing files in flight, then saving the checkpoint (again to stop now)\n`);
        },
        (signal) => {
          // Every recorded file's line is already written (synchronously), so the ledger is consistent.
          ledger.flush();
          release?.();
          io.stderr.write(`tidscan rescan: ${signal} again: stopped; rerun the same command to resume\n`);
          process.exit(signal === 'SIGINT' ? EXIT_STATUS.sigint : EXIT_STATUS.sigterm);
        },
      );

      let last: RescanProgress | undefined;
      const result = await runRescan({
        scanner,
        targets,
        ledger,
        concurrency: 2 * scanner.stats().queue.concurrency,
        ...(sinceVersion === undefined ? {} : { sinceVersion }),
        signal: controller.signal,
        onRecord: (record: RescanRecord) => out.write(format === 'csv' ? csvRow(record) : JSON.stringify(record) + '\n'),
        onProgress: (p) => {
          last = p;
          reporter?.update(p);
        },
      });
      reporter?.finish(last);
      reporter = undefined;

      // A signal that arrives after the last file finished changes nothing: the job is complete.
      const exitStatus = interrupted && !result.complete
        ? interrupted === 'SIGINT'
          ? EXIT_STATUS.sigint
          : EXIT_STATUS.sigterm
        : exitStatusFor(result.counts);
      const summary = {
        complete: result.complete,
        interrupted: interrupted ?? null,
        ...result.counts,
        scanned: result.scanned,
        skipped: result.skipped,
        ignored,
        listVersion,
        sinceVersion: sinceVersion ?? null,
        elapsedMs: Math.round(result.elapsedMs),
        filesPerSecond: result.elapsedMs > 0 ? Number(((1000 * result.scanned) / result.elapsedMs).toFixed(2)) : 0,
        checkpoint,
        report: report ?? null,
        exitStatus,
      };
      const summaryJson = JSON.stringify({ summary });
      out.write(format === 'csv' ? `# ${summaryJson}\n` : summaryJson + '\n');
      if (report) {
        writeAtomic(
          report,
          renderHtmlReport({
            records: result.records,
            complete: result.complete,
            notes: [
              `Inputs: ${[...inputs.dirs, ...(values.list ?? [])].join(', ') || `${inputs.files.length} listed files`}`,
              `Checkpoint: ${checkpoint}`,
            ],
          }),
        );
      }
      return exitStatus;
    } finally {
      reporter?.finish(undefined);
      removeHandlers?.();
      sink?.close();
      release?.();
      await scanner.close();
    }
  },
};
