/**
 * The `tcplab` CLI's entry point (built to out/main/cli.js, run under plain
 * Node by bin/tcplab.js): wires `main` (cli-main.ts) to the real process —
 * stdout and stderr, SIGINT/SIGTERM for long-running commands, the built
 * renderer beside this file for `serve` — and sets the exit status without
 * cutting piped output short. It never imports `electron`.
 */
import { join } from 'node:path';
import { main } from './cli-main';
import { findCommand } from './commands';

// `tcplab analyze x --json | head`: a closed pipe is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

void main(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  waitForStop: () =>
    new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
  rendererDir: join(__dirname, '../renderer'),
}).then(
  (code) => {
    process.exitCode = code;
    // A command that leaves nothing running exits once stdout and stderr have flushed what it wrote.
    if (findCommand(process.argv[2] ?? '')?.exitWhenDone) {
      process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    }
  },
  (e: unknown) => {
    process.stderr.write(`tcplab: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
