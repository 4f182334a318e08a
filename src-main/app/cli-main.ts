/**
 * The `tcplab` command line as one function, `main(argv, io)`, that returns
 * the exit status and writes only through `io` — so tests run it in-process
 * and the entry point (`cli.ts`) only wires it to the real process. It
 * handles the global options (`--help`, `--version`), finds the command in
 * the registry (commands/index.ts), parses its arguments and runs it. Exit
 * status: 0 success, 1 failure while running, 2 a capture file that cannot
 * be read or is damaged, 64 a wrong command line (usage on stderr). No stack
 * trace reaches the user unless TCPLAB_DEBUG is set.
 */
import {
  commandHelp,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  parseArgs,
  synopsis,
  UsageError,
  type CliIo,
} from './commands/args';
import { COMMANDS, findCommand } from './commands';

export type { CliIo } from './commands/args';
export { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './commands/args';

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'TCP Lab: a network lab for learning how TCP opens and closes connections.',
    '',
    'Usage: tcplab <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Synopsis:',
    ...COMMANDS.map((c) => `  tcplab ${synopsis(c)}`),
    '',
    'Options:',
    '  -h, --help     Show this help; `tcplab <command> --help` shows a command’s',
    '  -V, --version  Print the version',
    '',
    'Exit status: 0 success, 1 failure, 2 a capture file cannot be read or is damaged, 64 bad usage.',
    '',
  ].join('\n');
}

function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(usage());
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const c = first === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    io.stdout(c ? commandHelp(c) : usage());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    const { VERSION } = await import('../service/lab-service');
    io.stdout(`tcplab ${VERSION}\n`);
    return EXIT_OK;
  }
  const command = findCommand(first);
  if (!command) {
    const what = first.startsWith('-')
      ? `unknown option ${first}`
      : `unknown command ${JSON.stringify(first)}`;
    io.stderr(`tcplab: ${what}\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(command));
    return EXIT_OK;
  }
  try {
    const args = parseArgs(rest, command.spec);
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tcplab ${command.name}: ${e.message}\n\n${commandHelp(command)}`);
      return EXIT_USAGE;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`tcplab ${command.name}: internal error: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
    if (process.env['TCPLAB_DEBUG'] && e instanceof Error && e.stack) io.stderr(e.stack + '\n');
    return EXIT_FAILURE;
  }
}
