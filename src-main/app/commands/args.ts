/**
 * The CLI's tiny argument parser and the shape every command module has.
 * A command declares its flags (boolean, string or integer, with a help
 * line) and its positional arguments; `parseArgs` accepts `--flag`,
 * `--flag value`, `--flag=value` and `--` (end of options), and turns every
 * mistake — an unknown or repeated flag, a missing value, a bad integer, too
 * many or too few arguments — into a UsageError with one sentence. Commands
 * get typed results: `--json` is a boolean, `--port` a number.
 */

export type FlagSpec =
  | { type: 'boolean'; help: string }
  | { type: 'string'; value: string; help: string }
  | { type: 'int'; value: string; help: string; min?: number; max?: number };

export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
}

export interface ArgSpec {
  flags: Record<string, FlagSpec>;
  positionals: readonly PositionalSpec[];
}

type FlagValue<F> = F extends { type: 'boolean' } ? boolean : F extends { type: 'int' } ? number : string;

export interface ParsedArgs<S extends ArgSpec> {
  flags: { [K in keyof S['flags']]?: FlagValue<S['flags'][K]> };
  positionals: string[];
}

/** A mistake in how the CLI was called: usage goes to stderr, exit status 64. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs<S extends ArgSpec>(argv: readonly string[], spec: S): ParsedArgs<S> {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  let optionsDone = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (optionsDone || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsDone = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const f = Object.prototype.hasOwnProperty.call(spec.flags, name) ? spec.flags[name] : undefined;
    if (!f) throw new UsageError(`unknown option --${name}`);
    if (Object.prototype.hasOwnProperty.call(flags, name)) throw new UsageError(`--${name} is given twice`);
    if (f.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`--${name} needs a value (${f.value})`);
    if (f.type === 'int') {
      const min = f.min ?? Number.MIN_SAFE_INTEGER;
      const max = f.max ?? Number.MAX_SAFE_INTEGER;
      const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        throw new UsageError(
          `--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`,
        );
      }
      flags[name] = n;
    } else {
      if (value === '') throw new UsageError(`--${name} needs a value (${f.value})`);
      flags[name] = value;
    }
  }
  const required = spec.positionals.filter((p) => !p.optional).length;
  if (positionals.length < required) {
    throw new UsageError(`missing ${spec.positionals[positionals.length].name}`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[spec.positionals.length])}`);
  }
  return { flags: flags as ParsedArgs<S>['flags'], positionals };
}

/** Where a command writes, and how it learns that it should stop. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands wait on it. */
  waitForStop(): Promise<void>;
  /** The built renderer folder (out/renderer), known to the entry point. */
  rendererDir?: string;
}

export const EXIT_OK = 0;
/** Something went wrong while running (a port in use, an internal error). */
export const EXIT_FAILURE = 1;
/** A capture file could not be read, or is damaged part-way (the `analyze` contract). */
export const EXIT_BAD_INPUT = 2;
/** The command line itself is wrong (sysexits.h EX_USAGE). */
export const EXIT_USAGE = 64;

export interface Command<S extends ArgSpec = ArgSpec> {
  name: string;
  /** One line for `tcplab --help`. */
  summary: string;
  /** More text for `tcplab COMMAND --help`. */
  description: string;
  spec: S;
  /**
   * The command leaves nothing running once `run` returns (no server, child
   * or timer), so the process may exit as soon as its output is flushed
   * instead of tearing down a heap that may hold a million packets' worth of
   * state first (about 15 ms for `analyze` on the benchmark).
   */
  exitWhenDone?: boolean;
  run(args: ParsedArgs<S>, io: CliIo): Promise<number>;
}

/** Keeps a command's flag types precise (use it to declare every command). */
export function defineCommand<const S extends ArgSpec>(c: Command<S>): Command<S> {
  return c;
}

/** "analyze FILE [--json]" */
export function synopsis(c: Command): string {
  const pos = c.spec.positionals.map((p) => (p.optional ? `[${p.name}]` : p.name));
  const flags = Object.entries(c.spec.flags).map(([name, f]) =>
    f.type === 'boolean' ? `[--${name}]` : `[--${name} ${f.value}]`,
  );
  return [c.name, ...pos, ...flags].join(' ');
}

export function commandHelp(c: Command): string {
  const lines = [`Usage: tcplab ${synopsis(c)}`, '', c.description];
  const rows: [string, string][] = [
    ...c.spec.positionals.map((p): [string, string] => [p.name, p.help]),
    ...Object.entries(c.spec.flags).map(([name, f]): [string, string] => [
      f.type === 'boolean' ? `--${name}` : `--${name} ${f.value}`,
      f.help,
    ]),
    ['-h, --help', 'Show this help'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  lines.push('', ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`));
  return lines.join('\n') + '\n';
}
