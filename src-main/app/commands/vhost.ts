/**
 * `tcplab vhost --iface IF --ip CIDR[,CIDR] [--mac MAC] (--connect IP:PORT |
 * --listen PORT) [--send TEXT] [--close fin|rst] [--json]`: attaches a
 * virtual host (the engine, with its own IPv4/IPv6 address and MAC, ARP and
 * neighbour discovery answered) to an Ethernet interface through the capture
 * helper and runs one connection with a real peer — typically the Linux
 * kernel in a lab namespace. `--json` prints one object in the shape of
 * `tcplab simulate --json` (`events`: segments with the engine's
 * explanation, the virtual host's exact state changes, the kernel's state as
 * the tracker infers it with `inferred: true`, socket calls, notes, and
 * `neighbor` events for ARP/NDP); without it the trace streams as it
 * happens. A failed handshake (refused, no answer, no neighbour) exits 1 with
 * a sentence.
 *
 * `tcplab labnet up|down|list [--index N] [--delay MS] [--loss PCT] [--all]
 * [--json]`: creates or removes a lab network — namespace `tcplab-nsN` with
 * a kernel peer at 10.213.N.2 / fd00:7cb:0:N::2, joined by the veth pair
 * `tcplab-hN` (outside, for the virtual host at .3) — with optional `tc
 * netem` delay and loss on both ends. Needs Linux and root; otherwise exit 1
 * with what to do.
 */
import type { LabNetwork } from '../../labnet';
import type { VhostEvent } from '../../vhost';
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './args';
import { applicationErrorLine, lostMark, segmentLine, TRACE_PAD, traceTime } from './trace-lines';

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** A line printer that numbers seq/ack relative to each sender's first sequence number, as Wireshark does. */
export function eventPrinter(): (e: VhostEvent) => string | null {
  const base = new Map<string, number>();
  return (e) => {
    if (e.type === 'segment') {
      const key = `${e.from}:${e.sport}>${e.to}:${e.dport}`;
      const back = `${e.to}:${e.dport}>${e.from}:${e.sport}`;
      if (!base.has(key)) base.set(key, e.seq);
      const rel = (v: number, b: number | undefined): number => (b === undefined ? v : (v - b) >>> 0);
      const nums = `seq=${rel(e.seq, base.get(key))}${e.flags.includes('ACK') ? ` ack=${rel(e.ack, base.get(back))}` : ''} len=${e.len} win=${e.win}`;
      const marks: string[] = [];
      if (e.injected) marks.push('[injected]');
      if (e.dropped) marks.push(lostMark(e));
      return (
        `${segmentLine(e, nums, marks)}\n` +
        `${TRACE_PAD}why: ${e.explain.text}${e.explain.rfc ? ` [${e.explain.rfc}]` : ''}`
      );
    }
    if (e.type === 'state')
      return `${traceTime(e.t)}  ${e.host}${'inferred' in e ? ' (kernel, inferred)' : ''}: ${e.from} → ${e.to}${'inferred' in e ? '' : `  (${e.reason})`}`;
    if (e.type === 'note') return `${traceTime(e.t)}  ${e.host}: ${e.text}${e.rfc ? ` [${e.rfc}]` : ''}`;
    if (e.type === 'neighbor') return `${traceTime(e.t)}  ${e.host}: ${e.text}`;
    if (e.what === 'error') return applicationErrorLine(e);
    if (e.what === 'eof') return `${traceTime(e.t)}  ${e.host}: the application reads end of file`;
    return null;
  };
}

function labnetText(n: LabNetwork): string {
  const peer4 = n.peer.ipv4.split('/')[0];
  return [
    `lab network ${n.index}: namespace ${n.ns}, veth ${n.hostIf} (outside) ↔ ${n.nsIf} (inside)`,
    `  outside ${n.hostIf}:  ${n.host.ipv4}  ${n.host.ipv6}`,
    `  kernel peer (in ${n.ns}):  ${n.peer.ipv4}  ${n.peer.ipv6}`,
    `  free for a virtual host:  ${n.vhost.ipv4}  ${n.vhost.ipv6}`,
    ...(n.netem
      ? [`  netem on both ends: delay ${n.netem.delayMs ?? 0} ms, loss ${n.netem.lossPct ?? 0} %`]
      : []),
    '',
    `Run a kernel server:   sudo ip netns exec ${n.ns} nc -l -k ${peer4} 5000`,
    `Attach a virtual host: sudo tcplab vhost --iface ${n.hostIf} --ip ${n.vhost.ipv4},${n.vhost.ipv6} --connect ${peer4}:5000 --send hello --close fin`,
    `Remove it:             sudo tcplab labnet down --index ${n.index}`,
  ].join('\n');
}

export const labnet = defineCommand({
  name: 'labnet',
  summary: 'Create or remove a lab network: a namespace with a real kernel peer behind a veth pair',
  description:
    '`up` creates namespace tcplab-nsN joined by the veth pair tcplab-hN (outside) / tcplab-nN (inside):\n' +
    'the kernel peer is 10.213.N.2 and fd00:7cb:0:N::2, the outside end .1, and .3 is free for a virtual\n' +
    'host (`tcplab vhost --iface tcplab-hN`). --delay and --loss add tc netem on both ends. `down` removes\n' +
    'it (--all: every lab network), `list` shows them. Linux and root only; exit 1 otherwise.',
  spec: {
    flags: {
      index: {
        type: 'int',
        value: 'N',
        min: 1,
        max: 250,
        help: 'Which lab network (default: the first free one for up)',
      },
      delay: { type: 'int', value: 'MS', min: 0, max: 10_000, help: 'netem delay on each end, ms' },
      loss: { type: 'int', value: 'PCT', min: 0, max: 100, help: 'netem loss on each end, percent' },
      all: { type: 'boolean', help: 'With down: remove every lab network' },
      json: { type: 'boolean', help: 'Print JSON' },
    },
    positionals: [{ name: 'ACTION', help: 'up, down or list' }],
  },
  async run(args, io: CliIo) {
    const action = args.positionals[0];
    if (action !== 'up' && action !== 'down' && action !== 'list')
      throw new UsageError(`ACTION must be up, down or list, not ${JSON.stringify(action)}`);
    const ln = await import('../../labnet');
    try {
      if (action === 'up') {
        const n = ln.labnetUp({
          index: args.flags.index,
          delayMs: args.flags.delay,
          lossPct: args.flags.loss,
        });
        io.stdout(args.flags.json ? JSON.stringify(n) + '\n' : labnetText(n) + '\n');
      } else if (action === 'down') {
        if (args.flags.index === undefined && !args.flags.all)
          throw new UsageError('down needs --index N or --all');
        const which = args.flags.all ? ln.listLabnetIndexes() : [args.flags.index as number];
        const removed = which.filter((i) => ln.labnetDown(i));
        if (args.flags.json) io.stdout(JSON.stringify({ removed }) + '\n');
        else
          io.stdout(
            removed.length ? `removed lab network ${removed.join(', ')}\n` : 'no lab network to remove\n',
          );
      } else {
        const why = ln.labnetUnsupported({ uid: null });
        if (why) throw why;
        const nets = ln.listLabnetIndexes().map((i) => ln.describeLabnet(i));
        if (args.flags.json) io.stdout(JSON.stringify(nets) + '\n');
        else io.stdout(nets.length ? nets.map(labnetText).join('\n\n') + '\n' : 'no lab networks\n');
      }
    } catch (e) {
      if (e instanceof ln.LabNetError) {
        io.stderr(`tcplab labnet: ${oneLine(e.message)}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    return EXIT_OK;
  },
});

export default defineCommand({
  name: 'vhost',
  summary:
    'Run one TCP connection from a virtual host on a real interface (e.g. against the kernel in a lab network)',
  description:
    'Attaches a virtual host with its own address and MAC to IF (an Ethernet interface the capture helper\n' +
    'may send on: lo and tcplab* by default, see TCPLAB_INJECT_INTERFACES), answers ARP and neighbour\n' +
    'discovery, and runs the engine against a real peer: --connect opens a connection, --listen takes the\n' +
    'first one. After the handshake it sends --send TEXT, then closes with --close fin|rst, or — without\n' +
    '--close — after the peer closes. Prints every segment, the virtual host’s exact states and the\n' +
    'kernel’s inferred ones (--json: the `tcplab simulate --json` shape). Exit 1 when the handshake fails.',
  spec: {
    flags: {
      iface: {
        type: 'string',
        value: 'IF',
        help: 'Interface to attach to (e.g. tcplab-h1 from `tcplab labnet up`)',
      },
      ip: {
        type: 'string',
        value: 'CIDR[,CIDR]',
        help: 'The virtual host’s IPv4 and/or IPv6 address, e.g. 10.213.1.3/24,fd00:7cb:0:1::3/64',
      },
      mac: { type: 'string', value: 'MAC', help: 'Its MAC address (default: random, locally administered)' },
      connect: { type: 'string', value: 'IP:PORT', help: 'Connect to IP:PORT ([ADDR]:PORT for IPv6)' },
      listen: {
        type: 'int',
        value: 'PORT',
        min: 1,
        max: 65535,
        help: 'Listen on PORT and take the first connection',
      },
      send: { type: 'string', value: 'TEXT', help: 'Send TEXT once the connection is established' },
      close: {
        type: 'string',
        value: 'fin|rst',
        help: 'Close after sending: fin = FIN at once, then read until the peer’s FIN; rst = RST (abort)',
      },
      timeout: {
        type: 'int',
        value: 'S',
        min: 1,
        max: 3600,
        help: 'Seconds for the handshake (connect) or the first connection (listen); default 10 / 60',
      },
      wait: {
        type: 'int',
        value: 'S',
        min: 1,
        max: 3600,
        help: 'Seconds to wait for the close to finish (default 5)',
      },
      delay: {
        type: 'int',
        value: 'MS',
        min: 0,
        max: 10_000,
        help: 'Delay the virtual host adds to every TCP frame, each way',
      },
      loss: {
        type: 'int',
        value: 'PCT',
        min: 0,
        max: 100,
        help: 'Percent of TCP frames the virtual host drops, each way',
      },
      json: { type: 'boolean', help: 'Print one JSON object (the simulate --json shape) at the end' },
    },
    positionals: [],
  },
  async run(args, io: CliIo) {
    const f = args.flags;
    if (!f.iface)
      throw new UsageError('--iface IF is required (e.g. --iface tcplab-h1 after `tcplab labnet up`)');
    if (!f.ip) throw new UsageError('--ip CIDR is required (e.g. --ip 10.213.1.3/24)');
    if ((f.connect === undefined) === (f.listen === undefined))
      throw new UsageError('give exactly one of --connect IP:PORT or --listen PORT');
    if (f.close !== undefined && f.close !== 'fin' && f.close !== 'rst')
      throw new UsageError(`--close must be fin or rst, not ${JSON.stringify(f.close)}`);
    const vhost = await import('../../vhost');
    let connect: { ip: string; port: number } | undefined;
    if (f.connect !== undefined) {
      try {
        connect = vhost.parseHostPort(f.connect);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const addresses = f.ip.split(',').map((a) => a.trim());
    for (const a of addresses) {
      try {
        vhost.parseCidr(a);
      } catch (e) {
        throw new UsageError(`--ip: ${(e as Error).message}`);
      }
    }
    const stop = new AbortController();
    void io.waitForStop().then(() => stop.abort());
    const print = eventPrinter();
    let result;
    try {
      result = await vhost.runVhost({
        iface: f.iface,
        addresses,
        mac: f.mac,
        connect,
        listen: f.listen,
        send: f.send,
        close: f.close as 'fin' | 'rst' | undefined,
        timeoutMs: (f.timeout ?? (connect ? 10 : 60)) * 1000,
        waitMs: (f.wait ?? 5) * 1000,
        impair: f.delay || f.loss ? { delayMs: f.delay, lossPct: f.loss } : null,
        signal: stop.signal,
        onEvent: f.json
          ? undefined
          : (e) => {
              const line = print(e);
              if (line) io.stdout(line + '\n');
            },
      });
    } catch (e) {
      const { CaptureFailure } = await import('../../capture');
      if (e instanceof vhost.VhostError || e instanceof CaptureFailure || e instanceof RangeError) {
        io.stderr(`tcplab vhost: ${oneLine(e.message)}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
    if (f.json) {
      io.stdout(
        JSON.stringify({
          iface: f.iface,
          mac: result.mac,
          addresses: result.addresses,
          ok: result.ok,
          ...(result.error ? { error: result.error } : {}),
          conn: result.conn,
          state: result.state,
          received: result.received,
          events: result.events,
        }) + '\n',
      );
    } else if (result.received)
      io.stdout(
        `\nreceived ${result.bytesReceived} bytes: ${JSON.stringify(result.received.slice(0, 500))}\n`,
      );
    if (!result.ok) {
      io.stderr(`tcplab vhost: ${result.error}\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
});
