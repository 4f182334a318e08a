/**
 * The CLI's argument parser and global behaviour (src-main/app/commands/args.ts,
 * cli-main.ts) — help, version, unknown commands and flags with exit status
 * 64 — run in-process through `main(argv, io)` with captured output. The
 * commands themselves are tested in tests/integration/cli/.
 */
import { describe, expect, it } from 'vitest';
import { main, usage, EXIT_USAGE, type CliIo } from '../../../src-main/app/cli-main';
import {
  commandHelp,
  defineCommand,
  parseArgs,
  synopsis,
  UsageError,
} from '../../../src-main/app/commands/args';
import { COMMANDS } from '../../../src-main/app/commands';

const spec = {
  flags: {
    json: { type: 'boolean', help: 'json' },
    port: { type: 'int', value: 'N', min: 0, max: 65535, help: 'port' },
    host: { type: 'string', value: 'HOST', help: 'host' },
  },
  positionals: [
    { name: 'FILE', help: 'file' },
    { name: 'MORE', help: 'more', optional: true },
  ],
} as const;

describe('parseArgs', () => {
  it('reads flags in every spelling, and positionals', () => {
    expect(parseArgs(['a.pcap', '--json', '--port', '80', '--host=localhost'], spec)).toEqual({
      flags: { json: true, port: 80, host: 'localhost' },
      positionals: ['a.pcap'],
    });
    expect(parseArgs(['--port=0', 'x', 'y'], spec)).toEqual({ flags: { port: 0 }, positionals: ['x', 'y'] });
    expect(parseArgs(['--', '--json'], spec)).toEqual({ flags: {}, positionals: ['--json'] });
    expect(parseArgs(['-'], spec).positionals).toEqual(['-']);
  });

  const wrong: [string[], RegExp][] = [
    [['a', '--jsn'], /unknown option --jsn/],
    [['a', '-j'], /unknown option -j/],
    [['a', '--json', '--json'], /given twice/],
    [['a', '--json=yes'], /takes no value/],
    [['a', '--port'], /needs a value/],
    [['a', '--port', 'eighty'], /integer from 0 to 65535/],
    [['a', '--port', '65536'], /integer from 0 to 65535/],
    [['a', '--port', '1e3'], /integer/],
    [['a', '--port', '-1'], /integer/],
    [['a', '--host='], /needs a value/],
    [[], /missing FILE/],
    [['a', 'b', 'c'], /unexpected argument "c"/],
    [['a', '--constructor'], /unknown option --constructor/],
    [['a', '--__proto__'], /unknown option/],
  ];
  for (const [argv, message] of wrong) {
    it(`refuses ${JSON.stringify(argv)}`, () => {
      expect(() => parseArgs(argv, spec)).toThrow(UsageError);
      expect(() => parseArgs(argv, spec)).toThrow(message);
    });
  }

  it('describes a command', () => {
    const c = defineCommand({ name: 'demo', summary: 's', description: 'd', spec, run: async () => 0 });
    expect(synopsis(c)).toBe('demo FILE [MORE] [--json] [--port N] [--host HOST]');
    expect(commandHelp(c)).toContain('--port N');
  });
});

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
    waitForStop: () => Promise.resolve(),
  };
  return io;
}

describe('main', () => {
  it('lists every command in --help, on stdout, exit 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const io = capture();
      expect(await main([flag], io)).toBe(0);
      expect(io.err).toBe('');
      for (const c of COMMANDS) expect(io.out).toContain(c.name);
      expect(io.out).toContain('analyze FILE [--json]');
      expect(io.out).toContain('serve');
      expect(io.out).toContain('Exit status');
    }
  });

  it('shows a command’s help', async () => {
    for (const argv of [
      ['analyze', '--help'],
      ['help', 'serve'],
      ['serve', '-h', '--bogus'],
    ]) {
      const io = capture();
      expect(await main(argv, io)).toBe(0);
      expect(io.out).toMatch(/^Usage: tcplab (analyze|serve)/);
    }
  });

  it('prints usage on stderr with exit 64 for no command, an unknown command or flag', async () => {
    for (const argv of [[], ['frobnicate'], ['--frobnicate'], ['analyze'], ['analyze', 'a.pcap', '--jsno']]) {
      const io = capture();
      expect(await main(argv, io)).toBe(EXIT_USAGE);
      expect(io.out).toBe('');
      expect(io.err).toContain('Usage: tcplab');
      expect(io.err).not.toMatch(/\n\s+at /);
    }
  });

  it('names the mistake on the first line', async () => {
    const io = capture();
    await main(['analyze', 'a.pcap', '--jsno'], io);
    expect(io.err.split('\n')[0]).toBe('tcplab analyze: unknown option --jsno');
  });

  it('refuses to serve on any host but loopback', async () => {
    const io = capture();
    expect(await main(['serve', '--host', '0.0.0.0'], io)).toBe(EXIT_USAGE);
    expect(io.err.split('\n')[0]).toMatch(/127\.0\.0\.1/);
  });

  it('usage() is what --help prints', async () => {
    const io = capture();
    await main(['--help'], io);
    expect(io.out).toBe(usage());
  });
});
