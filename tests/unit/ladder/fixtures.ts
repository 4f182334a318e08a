/**
 * Segment-row scripts for the ladder tests: a textbook connection (3-way
 * handshake with options, one request and response, FIN teardown into
 * TIME-WAIT), a refused connection (SYN answered by RST) and a generator of
 * long sessions. Sequence numbers start near the 2^32 wrap so absolute labels
 * cross it while relative ones stay small.
 */
import type { SegmentRow } from '../../../src-shared/session';
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
