/**
 * Segment-row scripts for the ladder tests: a textbook connection (3-way
 * handshake with options, one request and response, FIN teardown into
 * TIME-WAIT), a refused connection (SYN answered by RST) and a generator of
 * long sessions. Sequence numbers start near the 2^32 wrap so absolute labels
 * cross it while relative ones stay small.
 */
import type { SegmentRow } from '../../../src-shared/session';
import type { LadderRow, LaneSpec } from '../../../src-shared/ladder/layout';
import type { TcpOption, TcpState } from '../../../src-shared/tcp';
import { flagBits } from '../../../src-shared/tcp';
import { seqAdd } from '../../../src-shared/seqnum';

export const ENDPOINTS = { a: { ip: '10.0.0.1', port: 51000 }, b: { ip: '10.0.0.2', port: 80 } };
const ISN_A = 0xffff_fff0;
const ISN_B = 1000;

type Step = [
  dir: 'ab' | 'ba',
  flags: string,
  relSeq: number,
  relAck: number,
  len: number,
  a: TcpState,
  b: TcpState,
  opts?: TcpOption[],
];

export function script(steps: Step[], t0 = 1_700_000_000, dt = 0.001): SegmentRow[] {
  return steps.map(([dir, flags, relSeq, relAck, len, stateA, stateB, options], index) => {
    const bits = flags ? flagBits(flags.split(',').map((f) => f.trim())) : 0;
    const [isnS, isnR] = dir === 'ab' ? [ISN_A, ISN_B] : [ISN_B, ISN_A];
    const hasAck = (bits & 0x10) !== 0;
    return {
      index,
      frame: index + 1,
      time: t0 + index * dt,
      dir,
      flags: bits,
      seq: seqAdd(isnS, relSeq),
      ack: hasAck ? seqAdd(isnR, relAck) : 0,
      relSeq,
      relAck: hasAck ? relAck : 0,
      len,
      win: 64240,
      options: options ?? [],
      stateA,
      stateB,
      analysis: [],
    };
  });
}

const SYN_OPTS: TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];

export const HANDSHAKE_AND_TEARDOWN = script([
  ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-RECEIVED', SYN_OPTS],
  ['ba', 'SYN,ACK', 0, 1, 0, 'ESTABLISHED', 'SYN-RECEIVED', [{ kind: 'mss', value: 1400 }]],
  ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
  ['ab', 'PSH,ACK', 1, 1, 100, 'ESTABLISHED', 'ESTABLISHED'],
  ['ba', 'ACK', 1, 101, 0, 'ESTABLISHED', 'ESTABLISHED'],
  ['ab', 'FIN,ACK', 101, 1, 0, 'FIN-WAIT-1', 'CLOSE-WAIT'],
  ['ba', 'FIN,ACK', 1, 102, 0, 'TIME-WAIT', 'LAST-ACK'],
  ['ab', 'ACK', 102, 2, 0, 'TIME-WAIT', 'CLOSED'],
]);

export const REFUSED = script([
  ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'LISTEN', SYN_OPTS],
  ['ba', 'RST,ACK', 0, 1, 0, 'CLOSED', 'LISTEN'],
]);

/** A long established session: alternating data and ACKs. */
export function longSession(n: number): SegmentRow[] {
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) {
    steps.push(
      i % 2 === 0
        ? ['ab', 'ACK', 1 + (i / 2) * 1000, 1, 1000, 'ESTABLISHED', 'ESTABLISHED']
        : ['ba', 'ACK', 1, 1 + ((i + 1) / 2) * 1000, 0, 'ESTABLISHED', 'ESTABLISHED'],
    );
  }
  return script(steps);
}

/** A connection reset in the middle of a transfer by an exact RST from the server. */
export const RESET = script([
  ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-RECEIVED', SYN_OPTS],
  ['ba', 'SYN,ACK', 0, 1, 0, 'ESTABLISHED', 'SYN-RECEIVED', [{ kind: 'mss', value: 1460 }]],
  ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
  ['ab', 'PSH,ACK', 1, 1, 200, 'ESTABLISHED', 'ESTABLISHED'],
  ['ab', 'PSH,ACK', 1, 1, 200, 'ESTABLISHED', 'ESTABLISHED'],
  ['ba', 'RST', 1, 0, 0, 'CLOSED', 'CLOSED'],
]);
RESET[4].analysis = ['retransmission'];
RESET[5].analysis = ['rst-exact'];

/**
 * A simulated handshake on a link with 20 ms one-way delay whose first SYN is
 * lost and retransmitted one second later, then an injected RST; rows carry
 * `arrive`, `dropped`, `injected`, `changes` and `explain` as simulations do.
 */
export function simulated(): SegmentRow[] {
  const rows = script(
    [
      ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'LISTEN', SYN_OPTS],
      ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-RECEIVED', SYN_OPTS],
      ['ba', 'SYN,ACK', 0, 1, 0, 'ESTABLISHED', 'SYN-RECEIVED', [{ kind: 'mss', value: 1460 }]],
      ['ab', 'ACK', 1, 1, 0, 'ESTABLISHED', 'ESTABLISHED'],
      ['ab', 'RST', 1, 0, 0, 'ESTABLISHED', 'CLOSED'],
    ],
    0,
    0,
  );
  const times = [0, 1, 1.02, 1.04, 1.5];
  rows.forEach((r, i) => {
    r.time = times[i];
    r.arrive = times[i] + 0.02;
  });
  rows[0].dropped = true;
  rows[0].changes = [{ side: 'a', from: 'CLOSED', to: 'SYN-SENT' }];
  rows[1].analysis = ['retransmission'];
  rows[1].explain = {
    rule: 'rto',
    rfc: 'RFC 6298 §5',
    text: 'The retransmission timer expired: the SYN is sent again.',
  };
  rows[1].changes = [{ side: 'b', from: 'LISTEN', to: 'SYN-RECEIVED' }];
  rows[2].changes = [{ side: 'a', from: 'SYN-SENT', to: 'ESTABLISHED' }];
  rows[3].changes = [{ side: 'b', from: 'SYN-RECEIVED', to: 'ESTABLISHED' }];
  rows[4].injected = true;
  rows[4].analysis = ['rst-exact'];
  rows[4].changes = [{ side: 'b', from: 'ESTABLISHED', to: 'CLOSED' }];
  return rows;
}

/** A SYN scan: one scanner, five ports — open ones answer SYN-ACK (then RST from the scanner), closed ones RST. */
export function synScan(): { lanes: LaneSpec[]; rows: LadderRow[] } {
  const ports = [22, 80, 443, 3306, 8080];
  const open = new Set([22, 443]);
  const lanes: LaneSpec[] = [
    { id: 'scanner', label: '10.0.0.9', role: 'client', roleLabel: 'scanner' },
    ...ports.map((p) => ({
      id: `t:${p}`,
      label: `10.0.0.2:${p}`,
      role: 'server' as const,
      roleLabel: 'target',
    })),
  ];
  const rows: LadderRow[] = [];
  let t = 1_700_000_000;
  ports.forEach((port, s) => {
    const steps: Step[] = open.has(port)
      ? [
          ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'SYN-RECEIVED'],
          ['ba', 'SYN,ACK', 0, 1, 0, 'ESTABLISHED', 'SYN-RECEIVED'],
          ['ab', 'RST', 1, 0, 0, 'CLOSED', 'CLOSED'],
        ]
      : [
          ['ab', 'SYN', 0, 0, 0, 'SYN-SENT', 'CLOSED'],
          ['ba', 'RST,ACK', 0, 1, 0, 'CLOSED', 'CLOSED'],
        ];
    for (const r of script(steps, t, 0.0004))
      rows.push({ ...r, session: s, laneA: 'scanner', laneB: `t:${port}` });
    t += 0.0003;
  });
  rows.sort((x, y) => x.time - y.time || x.session! - y.session!);
  rows.forEach((r, i) => (r.frame = i + 1));
  return { lanes, rows };
}
