import { errorToJSON, isTidscanError } from '../errors.js';
import type { CliCommand, CliIO } from './command.js';
import { UsageError } from './command.js';
import { commands } from './commands/index.js';

const VERSION = '0.1.0';

function topUsage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: tidscan <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `tidscan <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit status. Never throws. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command: CliCommand | undefined = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`tidscan: unknown command '${name}'\n\n${topUsage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.stderr.write(`tidscan ${command.name}: ${(err as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    const { code, message } = errorToJSON(err);
    io.stderr.write(`tidscan ${command.name}: ${isTidscanError(err) ? `${code}: ` : ''}${message}\n`);
    return 1;
  }
}
