/**
 * `tcplab serve [--port N] [--host 127.0.0.1]`: web mode. Starts one
 * LabService behind the web server (web-server.ts) on 127.0.0.1, prints the
 * URL with its token, and runs until SIGINT or SIGTERM, then closes the
 * server and the service. Any other host is refused: the lab reads your
 * captures and must not be reachable from the network.
 */
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './args';

export default defineCommand({
  name: 'serve',
  summary: 'Run web mode: the app in your browser, on this machine only',
  description:
    'Serves the built app and its WebSocket bridge on 127.0.0.1 with a random token, and prints the\n' +
    'URL to open. Runs until Ctrl-C (SIGINT) or SIGTERM.',
  spec: {
    flags: {
      port: {
        type: 'int',
        value: 'N',
        min: 0,
        max: 65535,
        help: 'Port to listen on (default 0: any free port)',
      },
      host: { type: 'string', value: 'HOST', help: '127.0.0.1 (default) or localhost; nothing else' },
      'renderer-dir': {
        type: 'string',
        value: 'DIR',
        help: 'Serve the web app from DIR (default: out/renderer)',
      },
    },
    positionals: [],
  },
  async run(args, io: CliIo) {
    const host = args.flags.host ?? '127.0.0.1';
    if (host !== '127.0.0.1' && host !== 'localhost') {
      throw new UsageError(`--host ${host} is refused: web mode listens on 127.0.0.1 (or localhost) only`);
    }
    const rendererDir = args.flags['renderer-dir'] ?? io.rendererDir;
    if (!rendererDir) {
      io.stderr('tcplab serve: no web app to serve: run `npm run build` first, or pass --renderer-dir DIR\n');
      return EXIT_FAILURE;
    }
    const [{ LabService }, { startWebServer }] = await Promise.all([
      import('../../service/lab-service'),
      import('../web-server'),
    ]);
    const service = new LabService({ host: 'web' });
    let server;
    try {
      server = await startWebServer({ service, port: args.flags.port ?? 0, host, rendererDir });
    } catch (e) {
      service.dispose();
      const err = e as NodeJS.ErrnoException;
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${args.flags.port} is in use: choose another with --port N (or --port 0 for any free port)`
          : err.code === 'EACCES'
            ? `not allowed to listen on port ${args.flags.port}: use a port above 1023`
            : err.message;
      io.stderr(`tcplab serve: ${why}\n`);
      return EXIT_FAILURE;
    }
    io.stdout(`TCP Lab web mode: open ${server.url}\n`);
    await io.waitForStop();
    await server.close();
    service.dispose();
    return EXIT_OK;
  },
});
