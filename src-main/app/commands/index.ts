/**
 * The CLI's command registry: one module per command under this folder, each
 * a `defineCommand({ name, summary, description, spec, run })`. Later
 * commands (simulate, capture, inject, vhost, lab, ladder) plug in by adding
 * their module here; `cli-main.ts` derives the help text and dispatch from
 * this list. Command modules import heavy code (the service, the web server)
 * lazily inside `run`, so `tcplab --help` stays instant.
 */
import type { Command } from './args';
import analyze from './analyze';
import capture from './capture';
import inject from './inject';
import lab from './lab';
import ladder from './ladder';
import serve from './serve';
import simulate from './simulate';
import vhost, { labnet } from './vhost';

export const COMMANDS: readonly Command[] = [
  analyze,
  serve,
  capture,
  inject,
  simulate,
  ladder,
  vhost,
  labnet,
  lab,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
