/**
 * The numbers injection needs, kept per observed flow from the same decoded
 * packets the tracker sees: for each direction the sender's highest sequence
 * number seen (its SND.NXT: seq + payload + SYN + FIN, RFC 9293 §3.4), the
 * last acknowledgment it sent (the receiver's RCV.NXT as acknowledged), its
 * last window and timestamp value (RFC 7323 §3), and the link-layer addresses
 * of its last frame, which an injected frame in that direction reuses (on
 * Linux `lo` they are all zero). From these, `numbersToward` estimates what
 * the receiving endpoint will accept: RCV.NXT = max(sender's SND.NXT,
 * receiver's last ACK) and SND.NXT = max(receiver's SND.NXT, sender's last ACK),
 * with sequence arithmetic mod 2^32 from src-shared/seqnum.
 */
import { seqAdd, seqGT } from '../../src-shared/seqnum';
import { TCP_FLAG, type TcpPacket } from '../../src-shared/tcp';
import type { Endpoint } from '../../src-shared/session';
import { ETH, LINKTYPE, macToString } from '../wire';

/** Link-layer addressing of a frame, enough to build another one like it. */
export interface LinkTemplate {
  linkType: number;
  srcMac?: string;
  dstMac?: string;
  vlans?: number[];
}

export interface DirectionNumbers {
  /** The sender's SND.NXT as seen (null before any segment). */
  nxt: number | null;
  /** The sender's last acknowledgment number (null before any ACK). */
  lastAck: number | null;
  /** The sender's last raw window field. */
  window: number | null;
  /** The sender's last TSval (RFC 7323), null when it sends none. */
  tsval: number | null;
  segments: number;
  lastTime: number;
  link: LinkTemplate | null;
}

export interface FlowNumbers {
  /** "ip:port-ip:port" with the lower endpoint first. */
  key: string;
  x: Endpoint;
  y: Endpoint;
  /** x → y and y → x. */
  xy: DirectionNumbers;
  yx: DirectionNumbers;
  sessionId: number | null;
  sawRst: boolean;
}

/** What the endpoint `to` should accept from `from`, as far as the capture shows. */
export interface TowardNumbers {
  from: Endpoint;
  to: Endpoint;
  /** The receiver's RCV.NXT (null when unknown). */
  rcvNxt: number | null;
  /** The receiver's SND.NXT: the acknowledgment number it accepts (null when unknown). */
  sndNxt: number | null;
  /** The spoofed sender's last window. */
  window: number | null;
  /** TSval to send (the spoofed sender's last) and TSecr (the receiver's last TSval). */
  tsval: number | null;
  tsecr: number | null;
  /** Link addressing for a frame from `from` to `to`. */
  link: LinkTemplate | null;
  lastTime: number;
}

export function endpointKey(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function ordered(a: Endpoint, b: Endpoint): boolean {
  return a.ip < b.ip || (a.ip === b.ip && a.port <= b.port);
}

export function flowKey(a: Endpoint, b: Endpoint): string {
  return ordered(a, b) ? `${endpointKey(a)}-${endpointKey(b)}` : `${endpointKey(b)}-${endpointKey(a)}`;
}

function emptyDir(): DirectionNumbers {
  return { nxt: null, lastAck: null, window: null, tsval: null, segments: 0, lastTime: 0, link: null };
}

/** Link addressing of a captured frame (Ethernet with VLAN tags; other link types carry none). */
export function linkTemplateOf(linkType: number, data: Uint8Array): LinkTemplate {
  if (linkType !== LINKTYPE.ETHERNET || data.length < ETH.HEADER) return { linkType };
  const vlans: number[] = [];
  let off = ETH.TYPE;
  let type = (data[off] << 8) | data[off + 1];
  while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && off + 6 <= data.length) {
    vlans.push(((data[off + 2] << 8) | data[off + 3]) & 0xfff);
    off += 4;
    type = (data[off] << 8) | data[off + 1];
  }
  return {
    linkType,
    dstMac: macToString(data, ETH.DST),
    srcMac: macToString(data, ETH.SRC),
    ...(vlans.length ? { vlans } : {}),
  };
}

function maxSeq(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return seqGT(b, a) ? b : a;
}

export class FlowBook {
  private readonly flows = new Map<string, FlowNumbers>();

  /** Records one decoded packet (and, when given, its frame's link addressing). */
  add(p: TcpPacket, linkType?: number, frame?: Uint8Array, sessionId?: number): FlowNumbers {
    const src = { ip: p.src, port: p.srcPort };
    const dst = { ip: p.dst, port: p.dstPort };
    const key = flowKey(src, dst);
    let f = this.flows.get(key);
    if (!f) {
      const [x, y] = ordered(src, dst) ? [src, dst] : [dst, src];
      f = { key, x, y, xy: emptyDir(), yx: emptyDir(), sessionId: null, sawRst: false };
      this.flows.set(key, f);
    }
    if (sessionId !== undefined) f.sessionId = sessionId;
    const fromX = f.x.ip === src.ip && f.x.port === src.port;
    const d = fromX ? f.xy : f.yx;
    d.segments++;
    d.lastTime = p.time;
    if (linkType !== undefined && frame) d.link = linkTemplateOf(linkType, frame);
    if (p.flags & TCP_FLAG.RST) {
      f.sawRst = true;
      return f;
    }
    const end = seqAdd(
      p.seq,
      p.payloadLength + (p.flags & TCP_FLAG.SYN ? 1 : 0) + (p.flags & TCP_FLAG.FIN ? 1 : 0),
    );
    d.nxt = maxSeq(d.nxt, end);
    if (p.flags & TCP_FLAG.ACK) d.lastAck = maxSeq(d.lastAck, p.ack);
    d.window = p.window;
    const ts = p.options.find((o) => o.kind === 'timestamps');
    d.tsval = ts && ts.kind === 'timestamps' ? ts.tsval : null;
    return f;
  }

  get(a: Endpoint, b: Endpoint): FlowNumbers | undefined {
    return this.flows.get(flowKey(a, b));
  }

  all(): FlowNumbers[] {
    return [...this.flows.values()];
  }

  /** The numbers for a segment from `from` to `to`; undefined when the flow was never seen. */
  numbersToward(from: Endpoint, to: Endpoint): TowardNumbers | undefined {
    const f = this.get(from, to);
    if (!f) return undefined;
    const fromIsX = f.x.ip === from.ip && f.x.port === from.port;
    const out = fromIsX ? f.xy : f.yx; // from → to
    const back = fromIsX ? f.yx : f.xy; // to → from
    return {
      from,
      to,
      rcvNxt: maxSeq(out.nxt, back.lastAck),
      sndNxt: maxSeq(back.nxt, out.lastAck),
      window: out.window,
      tsval: out.tsval,
      tsecr: back.tsval,
      link: out.link ?? mirror(back.link),
      lastTime: Math.max(out.lastTime, back.lastTime),
    };
  }
}

/** The link addressing of the opposite direction, with source and destination swapped. */
export function mirror(t: LinkTemplate | null): LinkTemplate | null {
  if (!t) return null;
  return { ...t, srcMac: t.dstMac, dstMac: t.srcMac };
}
