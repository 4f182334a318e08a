/**
 * TCP option negotiation for the engine: what a SYN offers (MSS RFC 9293
 * §3.7.1, window scale RFC 7323 §2, SACK-permitted RFC 2018 §2, timestamps
 * RFC 7323 §3), what a SYN-ACK may echo (only what the SYN offered), what both
 * ends end up using, and the effective send MSS: the peer's MSS less the bytes
 * of options every segment carries (12 for timestamps), as Linux computes it.
 */
import { flagNames, type TcpFlagName, type TcpOption } from '../../src-shared/tcp';
import type { Tcb } from './tcb';
import type { EventOptions, SegOptions, Segment, SegmentEvent, TcpConfig } from './types';

/** MSS assumed when the peer sends none (RFC 9293 §3.7.1, IPv4). */
export const DEFAULT_MSS = 536;
/** Largest shift RFC 7323 §2.3 allows. */
export const MAX_WSCALE = 14;

export interface Negotiated {
  peerMss: number;
  wsOk: boolean;
  sndShift: number;
  rcvShift: number;
  sackOk: boolean;
  tsOk: boolean;
  effMss: number;
}

/** Options on an active opener's SYN: everything the configuration enables. */
export function synOffer(cfg: TcpConfig, tsval: number): SegOptions {
  const o: SegOptions = { mss: cfg.mss };
  if (cfg.sackPermitted) o.sackPermitted = true;
  if (cfg.timestamps) {
    o.tsval = tsval;
    o.tsecr = 0;
  }
  if (cfg.windowScale !== null) o.wscale = cfg.windowScale;
  return o;
}

/** What both ends use, given our configuration and the options on the peer's SYN (or SYN-ACK). */
export function negotiate(cfg: TcpConfig, peer: SegOptions | null): Negotiated {
  const peerMss = peer?.mss ?? DEFAULT_MSS;
  const wsOk = cfg.windowScale !== null && peer?.wscale !== undefined;
  const tsOk = cfg.timestamps && peer?.tsval !== undefined;
  const sackOk = cfg.sackPermitted && peer?.sackPermitted === true;
  return {
    peerMss,
    wsOk,
    sndShift: wsOk ? Math.min(peer?.wscale ?? 0, MAX_WSCALE) : 0,
    rcvShift: wsOk ? (cfg.windowScale ?? 0) : 0,
    sackOk,
    tsOk,
    effMss: Math.max(1, Math.min(peerMss, cfg.mss) - (tsOk ? 12 : 0)),
  };
}

/** Options on a SYN-ACK (or a simultaneous-open SYN-ACK): ours, limited to what the peer offered. */
export function synAckOptions(cfg: TcpConfig, n: Negotiated, tsval: number, tsecr: number): SegOptions {
  const o: SegOptions = { mss: cfg.mss };
  if (n.sackOk) o.sackPermitted = true;
  if (n.tsOk) {
    o.tsval = tsval;
    o.tsecr = tsecr;
  }
  if (n.wsOk) o.wscale = cfg.windowScale ?? 0;
  return o;
}

/** Bytes the options take in the TCP header, padded to 4 (for link serialisation time). */
export function optionBytes(o: SegOptions | null): number {
  if (!o) return 0;
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.wscale !== undefined) n += 3;
  if (o.sackPermitted) n += 2;
  if (o.tsval !== undefined) n += 10;
  if (o.sack && o.sack.length) n += 2 + 8 * o.sack.length;
  return (n + 3) & ~3;
}

/** A short text of the options for explanations: "MSS=1460, SACK_PERM, TS, WS=128". */
export function optionsText(o: SegOptions | null): string {
  if (!o) return 'no options';
  const parts: string[] = [];
  if (o.mss !== undefined) parts.push(`MSS=${o.mss}`);
  if (o.sackPermitted) parts.push('SACK_PERM');
  if (o.tsval !== undefined) parts.push('TS');
  if (o.wscale !== undefined) parts.push(`WS=${2 ** o.wscale}`);
  if (o.sack?.length) parts.push(`SACK ${o.sack.map(([l, r]) => `${l}-${r}`).join(' ')}`);
  return parts.length ? parts.join(', ') : 'no options';
}

/** The engine's decoded options of a wire option list (null when there are none). */
export function segOptions(options: readonly TcpOption[]): SegOptions | null {
  if (options.length === 0) return null;
  const o: SegOptions = {};
  for (const x of options) {
    if (x.kind === 'mss') o.mss = x.value;
    else if (x.kind === 'wscale') o.wscale = x.shift;
    else if (x.kind === 'sack-permitted') o.sackPermitted = true;
    else if (x.kind === 'timestamps') {
      o.tsval = x.tsval;
      o.tsecr = x.tsecr;
    } else if (x.kind === 'sack') o.sack = x.blocks.map(([l, r]) => [l, r] as [number, number]);
  }
  return o;
}

/** A segment's options as a trace event carries them: a plain copy, with TSecr 0 when absent. */
export function eventOptions(seg: Segment): EventOptions {
  const o = seg.options;
  if (!o) return {};
  const out: EventOptions = {};
  if (o.mss !== undefined) out.mss = o.mss;
  if (o.wscale !== undefined) out.wscale = o.wscale;
  if (o.sackPermitted) out.sackPermitted = true;
  if (o.tsval !== undefined) {
    out.tsval = o.tsval;
    out.tsecr = o.tsecr ?? 0;
  }
  if (o.sack) out.sack = o.sack.map(([l, r]) => [l, r] as [number, number]);
  return out;
}

const FLAG_CACHE: TcpFlagName[][] = [];

/**
 * The fields every segment event shares, in the order the JSON trace prints
 * them (time, ids, endpoints, flags, numbers, options); the caller adds
 * `dropped`, `arrive`, `explain` and what else it knows. Used by the
 * simulation and by the virtual host on a real interface.
 */
export function segmentEventHead(
  seg: Segment,
  t: number,
  id: number,
  from: string = seg.src,
  to: string = seg.dst,
): Pick<
  SegmentEvent,
  | 't'
  | 'type'
  | 'id'
  | 'from'
  | 'to'
  | 'sport'
  | 'dport'
  | 'flags'
  | 'seq'
  | 'ack'
  | 'len'
  | 'win'
  | 'wnd'
  | 'options'
> {
  return {
    t,
    type: 'segment',
    id,
    from,
    to,
    sport: seg.srcPort,
    dport: seg.dstPort,
    flags: (FLAG_CACHE[seg.flags] ??= flagNames(seg.flags)).slice(),
    seq: seg.seq,
    ack: seg.ack,
    len: seg.len,
    win: seg.win,
    wnd: seg.wnd,
    options: eventOptions(seg),
  };
}

/** The negotiation result stored on a TCB, so a retransmitted SYN-ACK echoes the same options. */
export function negotiatedFrom(tcb: Tcb): Negotiated {
  return {
    peerMss: tcb.peerMss,
    wsOk: tcb.wsOk,
    sndShift: tcb.sndShift,
    rcvShift: tcb.rcvShift,
    sackOk: tcb.sackOk,
    tsOk: tcb.tsOk,
    effMss: tcb.effMss,
  };
}
