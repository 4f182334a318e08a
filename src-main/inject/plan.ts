/**
 * Plans one injected segment — SYN, FIN or RST, as if sent by one endpoint of
 * an observed session toward the other — from the numbers the capture shows
 * (or learned from a challenge ACK), and says in one sentence what the
 * receiver should do with it. The rules are RFC 9293 §3.10.7.4 (segment
 * arrives in a synchronized state: sequence check first, then RST, then SYN,
 * then ACK, then FIN) as hardened by RFC 5961: an RST is accepted only when
 * SEQ == RCV.NXT, an in-window one draws a challenge ACK (§3.2), any SYN
 * draws a challenge ACK (§4.2); Linux follows this exactly. `seq` picks the
 * sequence number: 'exact' (the receiver's RCV.NXT), 'in-window' (RCV.NXT + 1),
 * 'out-of-window' (RCV.NXT + 2^30, beyond the largest scaled window) or a
 * number, taken as an offset from RCV.NXT ("off by N").
 */
import { seqAdd } from '../../src-shared/seqnum';
import { flagsLabel, TCP_FLAG, type TcpOption } from '../../src-shared/tcp';
import type { Endpoint } from '../../src-shared/session';
import { buildFrame } from '../wire';
import type { LinkTemplate, TowardNumbers } from './flow-book';
import { endpointKey } from './flow-book';

export type InjectFlag = 'syn' | 'fin' | 'rst';
export type SeqChoice = 'exact' | 'in-window' | 'out-of-window' | number;

/** Offset used for 'out-of-window': larger than 65535 << 14, the largest window RFC 7323 allows. */
export const OUT_OF_WINDOW = 0x4000_0000;

export interface PlanRequest {
  /** Who the segment pretends to come from, and who receives it. */
  from: Endpoint;
  to: Endpoint;
  flag: InjectFlag;
  seq: SeqChoice;
  numbers: Pick<TowardNumbers, 'rcvNxt' | 'sndNxt' | 'window' | 'tsval' | 'tsecr'>;
  link: LinkTemplate;
  /** Names for sentences, e.g. 'A' and 'B'. */
  fromName?: string;
  toName?: string;
}

export interface PlannedSegment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** "RST, ACK". */
  flagsText: string;
  window: number;
  options: TcpOption[];
  /** Offset from the receiver's RCV.NXT (0 = exact). */
  offset: number;
  /** The receiver's RCV.NXT the plan was made with. */
  rcvNxt: number;
}

/** What the receiver should do: answer with nothing, a challenge ACK, an ACK of the FIN, … */
export type ExpectedReaction = 'reset' | 'challenge-ack' | 'fin-acked' | 'dup-ack' | 'dropped';

export interface InjectionPlan {
  segment: PlannedSegment;
  frame: Uint8Array;
  expect: ExpectedReaction;
  explain: string;
}

/** Thrown when a plan cannot be made (numbers unknown, bad choice); the message says what to do. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

export function seqOffset(choice: SeqChoice): number {
  if (choice === 'exact') return 0;
  if (choice === 'in-window') return 1;
  if (choice === 'out-of-window') return OUT_OF_WINDOW;
  if (!Number.isInteger(choice)) throw new PlanError(`sequence offset ${choice} is not an integer`);
  return choice;
}

/** Parses a CLI value: exact, in-window, out-of-window or an integer offset such as +5 or -3. */
export function parseSeqChoice(text: string): SeqChoice {
  if (text === 'exact' || text === 'in-window' || text === 'out-of-window') return text;
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  throw new PlanError(
    `--seq "${text}" is not exact, in-window, out-of-window or a whole number (an offset from RCV.NXT)`,
  );
}

function describeOffset(offset: number): string {
  if (offset === OUT_OF_WINDOW) return 'far outside the window';
  return `off by ${offset > 0 ? '+' : ''}${offset}`;
}

/** Builds the frame and the explanation for one injected segment. */
export function planInjection(r: PlanRequest): InjectionPlan {
  const from = r.fromName ?? endpointKey(r.from);
  const to = r.toName ?? endpointKey(r.to);
  const n = r.numbers;
  if (n.rcvNxt === null) {
    throw new PlanError(
      `${to}'s RCV.NXT is not known yet: wait for traffic in this session or learn it with a SYN (killcx's method).`,
    );
  }
  const offset = seqOffset(r.seq);
  const seq = seqAdd(n.rcvNxt, offset);
  const offText = describeOffset(offset);
  let flags: number;
  let ack = 0;
  const options: TcpOption[] = [];
  let expect: ExpectedReaction;
  let explain: string;
  switch (r.flag) {
    case 'rst':
      flags = TCP_FLAG.RST;
      if (n.sndNxt !== null) {
        flags |= TCP_FLAG.ACK;
        ack = n.sndNxt;
      }
      if (offset === 0) {
        expect = 'reset';
        explain =
          `An RST whose sequence number equals ${to}'s RCV.NXT (${seq}) resets the connection (RFC 5961 §3.2, ` +
          `RFC 9293 §3.10.7.4): ${to} drops it without answering and its application sees ECONNRESET, ` +
          `while ${from} still believes the connection is open.`;
      } else if (offset === OUT_OF_WINDOW || offset < 0) {
        expect = 'dropped';
        explain =
          `An RST outside ${to}'s receive window (${offText} from RCV.NXT ${n.rcvNxt}) is silently dropped ` +
          `(RFC 9293 §3.10.7.4 first check, RFC 5961 §3.2): the connection is unaffected.`;
      } else {
        expect = 'challenge-ack';
        explain =
          `An RST inside ${to}'s receive window but not at RCV.NXT (${offText}) does not reset: ${to} answers ` +
          `with a challenge ACK carrying its real RCV.NXT ${n.rcvNxt} (RFC 5961 §3.2) and the connection survives.`;
      }
      break;
    case 'syn':
      flags = TCP_FLAG.SYN;
      expect = 'challenge-ack';
      explain =
        `A SYN arriving in a synchronized state is never accepted, whatever its sequence number: ${to} answers ` +
        `with a challenge ACK and keeps the connection (RFC 5961 §4.2, RFC 9293 §3.10.7.4 fourth check); ` +
        `that ACK reveals ${to}'s SND.NXT and RCV.NXT, which is how killcx learns them.`;
      break;
    case 'fin':
      if (n.sndNxt === null) {
        throw new PlanError(
          `${to}'s SND.NXT is not known, and a FIN needs an acceptable ACK (RFC 9293 §3.10.7.4 fifth check): ` +
            'wait for traffic from it or learn the numbers with a SYN first.',
        );
      }
      flags = TCP_FLAG.FIN | TCP_FLAG.ACK;
      ack = n.sndNxt;
      if (n.tsval !== null && n.tsecr !== null) {
        options.push(
          { kind: 'nop' },
          { kind: 'nop' },
          { kind: 'timestamps', tsval: n.tsval, tsecr: n.tsecr },
        );
      }
      if (offset === 0) {
        expect = 'fin-acked';
        explain =
          `A FIN at ${to}'s RCV.NXT (${seq}) with an acceptable ACK is taken as ${from}'s close: ${to} ` +
          `acknowledges it, moves to CLOSE-WAIT and its application reads EOF (RFC 9293 §3.10.7.4 eighth check, §3.6).`;
      } else if (offset === OUT_OF_WINDOW || offset < 0) {
        expect = 'dup-ack';
        explain =
          `A FIN outside ${to}'s receive window (${offText}) is unacceptable: ${to} drops it and answers with an ` +
          'ACK for its RCV.NXT (RFC 9293 §3.10.7.4 first check), rate-limited as RFC 5961 §10 suggests.';
      } else {
        expect = 'dup-ack';
        explain =
          `A FIN ahead of ${to}'s RCV.NXT (${offText}) is out of order: ${to} keeps it aside and answers with a ` +
          'duplicate ACK for RCV.NXT (RFC 9293 §3.10.7.4); nothing closes until the gap is filled.';
      }
      break;
  }
  const window = n.window ?? 65535;
  const segment: PlannedSegment = {
    src: r.from.ip,
    dst: r.to.ip,
    srcPort: r.from.port,
    dstPort: r.to.port,
    seq,
    ack,
    flags,
    flagsText: flagsLabel(flags),
    window,
    options,
    offset,
    rcvNxt: n.rcvNxt,
  };
  const frame = buildFrame({
    linkType: r.link.linkType,
    src: segment.src,
    dst: segment.dst,
    srcPort: segment.srcPort,
    dstPort: segment.dstPort,
    seq,
    ack,
    flags,
    window,
    options,
    srcMac: r.link.srcMac ?? '00:00:00:00:00:00',
    dstMac: r.link.dstMac ?? '00:00:00:00:00:00',
    vlans: r.link.vlans,
  });
  return { segment, frame, expect, explain };
}
