/**
 * Runs the `tcplab` CLI in-process through `main(argv, io)` and captures what
 * it prints: the harness the CLI tests share. `waitForStop` is what a command
 * that runs until stopped (capture, serve, vhost) waits for: by default it
 * resolves at once; `NEVER_STOP` never does, so such a command ends on its own
 * terms (a count, a timeout, an error).
 */
import { main, type CliIo } from '../../../src-main/app/cli-main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** A stop signal that never comes. */
export const NEVER_STOP = (): Promise<void> => new Promise<void>(() => undefined);

export async function runCli(
  argv: readonly string[],
  waitForStop: () => Promise<void> = () => Promise.resolve(),
): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    waitForStop,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

/** `run('simulate', '--list')`: runCli with the arguments spread, stopped at once. */
export function run(...argv: string[]): Promise<CliRun> {
  return runCli(argv);
}
