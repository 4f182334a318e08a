/**
 * `tcplab analyze FILE [--json]`: reads a pcap or pcapng file through the
 * same pipeline as the app (service/analyze.ts) and prints its TCP sessions —
 * one JSON object with `--json` (the contract outside scripts rely on: packet
 * counts, then one entry per session with endpoints, counts, times, outcome
 * and RFC 9293 end states, followed by the rest of the SessionSummary), or
 * an aligned table for people. A file that cannot be read exits 2 with one
 * line on stderr naming the problem and the byte offset; a file damaged
 * part-way prints what was read before the damage, then that line, exit 2.
 */
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { SessionSummary, Endpoint } from '../../../src-shared/session';
import { defineCommand, EXIT_BAD_INPUT, EXIT_OK, type CliIo } from './args';

/** Sessions serialised per JSON.stringify call by `--json` (about 1 MB of text). */
const JSON_BATCH = 2048;

/** The `--json` document. */
export interface AnalyzeJson {
  packets: number;
  tcpPackets: number;
  malformed: number;
  sessions: SessionSummary[];
}

/** A session with the contract's keys first, then the other SessionSummary fields. */
export function sessionJson(s: SessionSummary): SessionSummary {
  const { id, a, b, packets, bytes, firstTime, lastTime, outcome, states, ...rest } = s;
  return {
    id,
    a: { ip: a.ip, port: a.port },
    b: { ip: b.ip, port: b.port },
    packets,
    bytes,
    firstTime,
    lastTime,
    outcome,
    states: { a: states.a, b: states.b },
    ...rest,
  };
}

export function endpointText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Columns padded to their widest cell; `right` marks right-aligned (numeric) columns. */
export function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function sessionsTable(sessions: SessionSummary[]): string {
  const header = ['ID', 'A (opened)', 'B', 'PACKETS', 'BYTES', 'DURATION', 'OUTCOME', 'STATE A', 'STATE B'];
  const rows = sessions.map((s) => [
    String(s.id),
    endpointText(s.a),
    endpointText(s.b),
    String(s.packets),
    String(s.bytes),
    `${Math.max(0, s.lastTime - s.firstTime).toFixed(3)} s`,
    s.outcome,
    s.states.a,
    s.states.b,
  ]);
  return table(header, rows, [true, false, false, true, true, true, false, false, false]);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Why a path is not a readable file, in words, or null when it is one. */
function fileProblem(path: string): string | null {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'is a folder, not a capture file' : null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied (check the file permissions)';
    return oneLine((e as Error).message);
  }
}

export default defineCommand({
  name: 'analyze',
  summary: 'List the TCP sessions in a pcap or pcapng file',
  description:
    'Reads a capture file and prints its TCP sessions: endpoints (A opened the connection), packets,\n' +
    'bytes on the wire, duration, outcome and each side’s RFC 9293 state at the end of the capture.\n' +
    'Exit status 2 when the file cannot be read or is damaged part-way (what was read is printed).',
  exitWhenDone: true,
  spec: {
    flags: { json: { type: 'boolean', help: 'Print one JSON object instead of a table' } },
    positionals: [{ name: 'FILE', help: 'A .pcap or .pcapng capture file' }],
  },
  async run(args, io: CliIo) {
    const file = args.positionals[0];
    const problem = fileProblem(file);
    if (problem) {
      io.stderr(`tcplab analyze: ${file}: ${problem}\n`);
      return EXIT_BAD_INPUT;
    }
    const { analyzeCapture, CaptureOpenError } = await import('../../service/analyze');
    const { analyzeCapturePipelined, pipelineMode } = await import('../../service/analyze-pipeline');
    // The tracker builds its long-lived per-session state fast (about 1 KB per session); V8's young
    // generation starts at 1 MB and doubles, so a big file costs a dozen small scavenges that copy that
    // state again and again. Growing it eightfold when it fills is a quarter less GC time (and 5 to 10 %
    // less wall time on the benchmark's million packets) for a few MB more memory. This is a batch
    // command: the flag only changes how this process's heap grows.
    setFlagsFromString('--semi-space-growth-factor=8');
    let result;
    try {
      // Big files: one thread decodes while this one tracks (same result; null if the worker failed).
      const pipeline = pipelineMode(file);
      result =
        (pipeline ? analyzeCapturePipelined(file, pipeline) : null) ??
        analyzeCapture(file, { keepSegments: false });
    } catch (e) {
      if (e instanceof CaptureOpenError) {
        io.stderr(`tcplab analyze: ${file}: ${oneLine(e.message)} (at byte ${e.offset})\n`);
        return EXIT_BAD_INPUT;
      }
      throw e;
    }
    if (args.flags.json) {
      // The AnalyzeJson document, written a batch of sessions (about 1 MB) at a time: a capture with
      // 100,000 sessions never holds all summaries and the whole text in memory at once. Same bytes as
      // JSON.stringify(doc): the tracker builds each summary with its keys in sessionJson's order, so a
      // batch is serialised as it is, with one JSON.stringify call per batch (twice as fast as one per
      // session) and its brackets cut off.
      const t = result.tracker;
      io.stdout(
        `{"packets":${result.packets},"tcpPackets":${result.tcpPackets},` +
          `"malformed":${result.malformed},"sessions":[`,
      );
      for (let from = 0; from < t.sessionCount; from += JSON_BATCH) {
        const batch: SessionSummary[] = [];
        for (let id = from; id < Math.min(t.sessionCount, from + JSON_BATCH); id++)
          batch.push(t.summary(id)!);
        const text = JSON.stringify(batch);
        io.stdout((from === 0 ? '' : ',') + text.slice(1, -1));
      }
      io.stdout(']}\n');
    } else {
      const sessions = result.tracker.summaries();
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      io.stdout(
        `${file} (${result.format}): ${plural(result.packets, 'packet')}, ${result.tcpPackets} TCP, ` +
          `${result.malformed} malformed; ${plural(sessions.length, 'TCP session')}\n\n`,
      );
      io.stdout(sessions.length > 0 ? sessionsTable(sessions) : 'No TCP sessions.\n');
      if (result.malformedSamples.length > 0) {
        const more = result.malformed - result.malformedSamples.length;
        io.stdout(`\nMalformed frames${more > 0 ? ` (first ${result.malformedSamples.length})` : ''}:\n`);
        for (const m of result.malformedSamples)
          io.stdout(`  frame ${m.frame} (${m.layer}): ${oneLine(m.reason)}\n`);
      }
    }
    if (result.error) {
      io.stderr(
        `tcplab analyze: ${file}: damaged at byte ${result.error.offset}: ${oneLine(result.error.message)} ` +
          `(the ${result.packets} packets before it were read)\n`,
      );
      return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
  },
});
