/**
 * `tcplab capture --iface IF [--filter BPF] [--count N | --duration S]
 * [--write FILE.pcapng] [--json]`: captures live traffic through the capture
 * helper (the only privileged part) and the same decoder and tracker as the
 * app, then prints the TCP sessions — as one JSON object in the `analyze
 * --json` shape with `--json`, or as the analyze table. Without a count or a
 * duration it runs until Ctrl-C. With `--write` every frame goes to a pcapng
 * file as it arrives (flushed every second, so it opens in tshark even after
 * a crash). Failures a user can cause (a bad filter, a missing interface, no
 * permission) print libpcap's words and what to do, exit 1.
 */
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './args';
import { sessionJson, sessionsTable, type AnalyzeJson } from './analyze';

/** The `--json` document: `analyze`'s, plus what only a live capture knows. */
export interface CaptureJson extends AnalyzeJson {
  iface: string;
  filter: string;
  /** Frames the helper dropped because this process fell behind. */
  dropped: number;
  /** Why it ended: count, duration or stopped. */
  ended: string;
  /** The pcapng file written, when --write was given. */
  file?: string;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export default defineCommand({
  name: 'capture',
  summary: 'Capture live TCP traffic on an interface and list its sessions',
  description:
    'Opens IF through the capture helper (root, or the capabilities it asks for), captures until --count\n' +
    'frames or --duration seconds have passed (or Ctrl-C), and prints the TCP sessions as `analyze` does.\n' +
    'Exit status 1 when the capture cannot start (bad filter, no such interface, no permission).',
  spec: {
    flags: {
      iface: { type: 'string', value: 'IF', help: 'Interface to capture on (lo, eth0, …)' },
      filter: {
        type: 'string',
        value: 'BPF',
        help: 'Capture filter, pcap-filter(7) syntax, e.g. "tcp port 80"',
      },
      count: { type: 'int', value: 'N', min: 1, max: 1_000_000_000, help: 'Stop after N frames' },
      duration: { type: 'int', value: 'S', min: 1, max: 86_400, help: 'Stop after S seconds' },
      write: { type: 'string', value: 'FILE.pcapng', help: 'Write every frame to FILE.pcapng as it arrives' },
      snaplen: {
        type: 'int',
        value: 'BYTES',
        min: 64,
        max: 262_144,
        help: 'Bytes kept of each frame (default 256: every header; 262144 keeps whole frames)',
      },
      json: { type: 'boolean', help: 'Print one JSON object (the analyze --json shape) instead of a table' },
    },
    positionals: [],
  },
  async run(args, io: CliIo) {
    const iface = args.flags.iface;
    if (!iface) throw new UsageError('--iface IF is required (e.g. --iface lo)');
    const filter = args.flags.filter ?? '';
    const { runCapture, CaptureFailure } = await import('../../capture');
    const stop = new AbortController();
    const useSignal = args.flags.count === undefined && args.flags.duration === undefined;
    void io.waitForStop().then(() => stop.abort());
    if (useSignal && !args.flags.json)
      io.stderr(`tcplab capture: capturing on ${iface}; press Ctrl-C to stop\n`);
    let result;
    try {
      result = await runCapture({
        iface,
        filter,
        count: args.flags.count,
        durationS: args.flags.duration,
        write: args.flags.write,
        snaplen: args.flags.snaplen,
        signal: stop.signal,
      });
    } catch (e) {
      if (e instanceof CaptureFailure) {
        io.stderr(`tcplab capture: ${oneLine(e.message)}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    if (args.flags.json) {
      const doc: CaptureJson = {
        packets: result.packets,
        tcpPackets: result.tcpPackets,
        malformed: result.malformed,
        sessions: result.sessions.map(sessionJson),
        iface,
        filter,
        dropped: result.dropped,
        ended: result.ended,
        ...(args.flags.write ? { file: args.flags.write } : {}),
      };
      io.stdout(JSON.stringify(doc) + '\n');
    } else {
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      io.stdout(
        `${iface}${filter ? ` (${filter})` : ''}: ${plural(result.packets, 'packet')}, ${result.tcpPackets} TCP, ` +
          `${result.malformed} malformed, ${result.dropped} dropped; ${plural(result.sessions.length, 'TCP session')}` +
          `${args.flags.write ? `; written to ${args.flags.write}` : ''}\n\n`,
      );
      io.stdout(result.sessions.length > 0 ? sessionsTable(result.sessions) : 'No TCP sessions.\n');
    }
    if (result.error) {
      io.stderr(`tcplab capture: ${oneLine(result.error)}\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
});
