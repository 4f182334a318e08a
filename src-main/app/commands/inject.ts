/**
 * `tcplab inject --iface IF --session A_IP:A_PORT-B_IP:B_PORT --flag
 * syn|fin|rst --toward a|b [--seq exact|in-window|out-of-window|N]
 * [--timeout S] [--json]`: sends one SYN, FIN or RST into a real session as
 * if from one of its endpoints (`--toward b` means from A to B), with the
 * sequence number taken from a short capture of the session (exact = the
 * receiver's RCV.NXT) or learned from a challenge ACK when the session is
 * idle, and prints the segment it sent and the reaction it saw (`reset`,
 * `challenge-ack`, `fin-acked`, `none`) with the RFC's explanation. Running
 * the command is the confirmation; the injection policy still applies (only
 * loopback and lab interfaces) and every segment is written to the audit log
 * ($TCPLAB_DATA_DIR or ~/.tcplab, inject-audit.jsonl). Refusals and capture
 * failures print a sentence, exit 1.
 */
import { join } from 'node:path';
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './args';

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function parseSeq(v: string | undefined): 'exact' | 'in-window' | 'out-of-window' | number {
  if (v === undefined) return 'exact';
  if (v === 'exact' || v === 'in-window' || v === 'out-of-window') return v;
  if (/^[+-]?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31) return Number(v);
  throw new UsageError(
    `--seq must be exact, in-window, out-of-window or an offset N, not ${JSON.stringify(v)}`,
  );
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export default defineCommand({
  name: 'inject',
  summary: 'Send a SYN, FIN or RST into a real TCP session and show the reaction',
  description:
    'Captures the session on IF for a moment to learn its sequence numbers (or provokes a challenge ACK\n' +
    'when it is idle), sends the segment as if from the other endpoint, and prints what it sent and how\n' +
    'the receiver reacted. Only on loopback and lab interfaces; each segment is recorded in the audit log.',
  spec: {
    flags: {
      iface: {
        type: 'string',
        value: 'IF',
        help: 'Interface the session runs on (lo, or a tcplab* lab link)',
      },
      session: { type: 'string', value: 'A_IP:A_PORT-B_IP:B_PORT', help: 'The session (A opened it)' },
      flag: { type: 'string', value: 'syn|fin|rst', help: 'The segment to send' },
      toward: { type: 'string', value: 'a|b', help: 'The receiver: b means from A to B' },
      seq: {
        type: 'string',
        value: 'exact|in-window|out-of-window|N',
        help: 'Sequence number: the receiver’s RCV.NXT (default), +1, far outside, or RCV.NXT+N',
      },
      timeout: {
        type: 'int',
        value: 'S',
        min: 1,
        max: 60,
        help: 'Seconds to watch for the reaction (default 2)',
      },
      json: { type: 'boolean', help: 'Print one JSON object' },
    },
    positionals: [],
  },
  async run(args, io: CliIo) {
    const { iface, session, flag, toward } = args.flags;
    if (!iface) throw new UsageError('--iface IF is required (e.g. --iface lo)');
    if (!session) throw new UsageError('--session A_IP:A_PORT-B_IP:B_PORT is required');
    if (flag !== 'syn' && flag !== 'fin' && flag !== 'rst')
      throw new UsageError('--flag must be syn, fin or rst');
    if (toward !== 'a' && toward !== 'b') throw new UsageError('--toward must be a or b');
    const seq = parseSeq(args.flags.seq);
    const [{ runInject, InjectionRefused, PlanError }, { CaptureFailure }, { defaultDataDir }] =
      await Promise.all([
        import('../../inject'),
        import('../../capture'),
        import('../../service/capture-service'),
      ]);
    let r;
    try {
      r = await runInject({
        iface,
        session,
        flag,
        toward,
        seq,
        timeoutS: args.flags.timeout,
        confirm: true,
        auditLog: join(defaultDataDir(), 'inject-audit.jsonl'),
      });
    } catch (e) {
      if (e instanceof InjectionRefused || e instanceof PlanError || e instanceof CaptureFailure) {
        io.stderr(`tcplab inject: ${oneLine(e.message)}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    if (args.flags.json) {
      io.stdout(JSON.stringify(r) + '\n');
      return EXIT_OK;
    }
    const s = r.sent;
    const off =
      s.offset === 0
        ? 'exact: the receiver’s RCV.NXT'
        : `RCV.NXT ${s.offset > 0 ? '+' : '−'} ${Math.abs(s.offset)}`;
    const lines = [
      `sent      ${s.flagsText} ${endpoint(s.src, s.srcPort)} → ${endpoint(s.dst, s.dstPort)}  ` +
        `seq ${s.seq} (${off})  ack ${s.ack}  win ${s.window}  ${s.bytes} bytes`,
      `numbers   ${
        r.method === 'tracked'
          ? 'taken from the capture'
          : r.method === 'learned-by-syn'
            ? 'learned from the challenge ACK to a SYN (the session was idle)'
            : 'taken from traffic that came by while waiting'
      }`,
      `reaction  ${r.reaction}: ${r.observedText}`,
      `why       ${r.explain}`,
    ];
    if (r.observed.length) {
      lines.push('seen after it:');
      for (const o of r.observed)
        lines.push(
          `  ${o.dir === 'ab' ? 'A → B' : 'B → A'}  ${o.flags}  seq ${o.seq}  ack ${o.ack}  len ${o.len}`,
        );
    }
    io.stdout(lines.join('\n') + '\n');
    return EXIT_OK;
  },
});
