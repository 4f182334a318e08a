/**
 * Segment-script helpers for tracker tests: `pkt()` builds a `TcpPacket` with
 * defaults, and `Script` drives a conversation between A and B on a virtual
 * clock, collecting the tracker's results.
 */
import type { TcpOption, TcpPacket } from '../../../src-shared/tcp';
import { flagBits } from '../../../src-shared/tcp';
import { Tracker, type TrackResult } from '../../../src-main/tracker';

export function pkt(p: Partial<TcpPacket> & { flags: number }): TcpPacket {
  return {
    frame: 1,
    time: 1000,
    ipVersion: 4,
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 40000,
    dstPort: 80,
    seq: 0,
    ack: 0,
    window: 65535,
    urgent: 0,
    payloadLength: 0,
    options: [],
    headerLength: 20,
    checksum: 0,
    checksumOk: true,
    ...p,
  };
}

export interface SegOpts {
  len?: number;
  win?: number;
  options?: TcpOption[];
  /** Seconds since the previous segment (default 0.1). */
  dt?: number;
  checksumOk?: boolean | null;
}

export interface Host {
  ip: string;
  port: number;
}

/** A scripted conversation: `ab('SYN', seq, ack)` sends from A to B. */
export class Script {
  readonly tracker: Tracker;
  readonly results: TrackResult[] = [];
  time = 1000;
  frame = 0;

  constructor(
    readonly A: Host = { ip: '10.0.0.1', port: 40000 },
    readonly B: Host = { ip: '10.0.0.2', port: 80 },
    keepSegments = true,
    tracker?: Tracker,
  ) {
    this.tracker = tracker ?? new Tracker({ keepSegments });
  }

  send(from: Host, to: Host, flags: string, seq: number, ack: number, o: SegOpts = {}): TrackResult {
    this.time += o.dt ?? 0.1;
    this.frame++;
    const p = pkt({
      frame: this.frame,
      time: this.time,
      ipVersion: from.ip.includes(':') ? 6 : 4,
      src: from.ip,
      dst: to.ip,
      srcPort: from.port,
      dstPort: to.port,
      flags: flagBits(
        flags
          .split(',')
          .map((f) => f.trim())
          .filter((f) => f !== ''),
      ),
      seq: seq >>> 0,
      ack: ack >>> 0,
      payloadLength: o.len ?? 0,
      window: o.win ?? 65535,
      options: o.options ?? [],
      checksumOk: o.checksumOk === undefined ? true : o.checksumOk,
    });
    const r = this.tracker.add(p, 54 + (o.len ?? 0));
    this.results.push(r);
    return r;
  }

  ab(flags: string, seq: number, ack: number, o?: SegOpts): TrackResult {
    return this.send(this.A, this.B, flags, seq, ack, o);
  }

  ba(flags: string, seq: number, ack: number, o?: SegOpts): TrackResult {
    return this.send(this.B, this.A, flags, seq, ack, o);
  }

  /** [stateA, stateB] of every row of a session. */
  states(id = 0): Array<[string, string]> {
    return this.tracker.segments(id).map((r) => [r.stateA, r.stateB]);
  }

  /** Analysis flags of every row of a session. */
  flags(id = 0): string[][] {
    return this.tracker.segments(id).map((r) => [...r.analysis]);
  }
}
