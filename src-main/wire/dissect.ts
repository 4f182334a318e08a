/**
 * The details pane: a frame taken apart layer by layer (link, VLAN tags, IP,
 * IPv6 extension headers, TCP with each option, payload), every field with
 * its byte offset and length in the frame so the UI can highlight the bytes
 * it came from. Slower and chattier than `decodeFrame` and meant for the one
 * frame a learner selects. It never throws: a layer that is cut short or
 * impossible gets an `error` sentence and the dissection stops there.
 */
import { flagsLabel, optionLabel } from '../../src-shared/tcp';
import { HEX2, ipv4ToString, ipv6ToString, macToString } from './addr';
import { checksumVerifies, internetChecksum, pseudoHeaderSum } from './checksum';
import {
  ETHERTYPE,
  LINKTYPE,
  etherTypeName,
  ipProtocolName,
  linkTypeName,
  nullFamilyVersion,
} from './link-types';
import { ETH, SLL, SLL2, SLL_PACKET_TYPE } from './link';
import { IPV4 } from './ipv4';
import { IPV6, IPV6_EXT, routingFinalDestination } from './ipv6';
import { TCP, parseTcpOptions } from './tcp';

export interface LayerField {
  name: string;
  value: string;
  offset: number;
  length: number;
}

export interface Layer {
  name: string;
  offset: number;
  length: number;
  fields: LayerField[];
  error?: string;
}

class Dissection {
  readonly layers: Layer[] = [];
  constructor(readonly d: Uint8Array) {}

  layer(name: string, offset: number, length: number): Layer {
    const l: Layer = {
      name,
      offset,
      length: Math.max(0, Math.min(length, this.d.length - offset)),
      fields: [],
    };
    this.layers.push(l);
    return l;
  }

  u8(o: number): number {
    return this.d[o];
  }
  u16(o: number): number {
    return (this.d[o] << 8) | this.d[o + 1];
  }
  u32(o: number): number {
    return ((this.d[o] << 24) | (this.d[o + 1] << 16) | (this.d[o + 2] << 8) | this.d[o + 3]) >>> 0;
  }
}

function field(l: Layer, name: string, value: string | number, offset: number, length: number): void {
  l.fields.push({ name, value: String(value), offset, length });
}

function hex(v: number, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

function bytesHex(d: Uint8Array, start: number, end: number, max = 32): string {
  let s = '';
  const stop = Math.min(end, start + max, d.length);
  for (let i = start; i < stop; i++) s += HEX2[d[i]];
  return end - start > max ? `${s}…` : s;
}

/** Takes a frame apart for display. */
export function dissect(linkType: number, data: Uint8Array): Layer[] {
  const x = new Dissection(data);
  try {
    dissectLink(x, linkType);
  } catch (e) {
    const l = x.layer('Error', 0, 0);
    l.error = `dissector error: ${e instanceof Error ? e.message : String(e)}`;
  }
  return x.layers;
}

function short(l: Layer, what: string, need: number, have: number): void {
  l.error = `${what} needs ${need} bytes, only ${Math.max(0, have)} captured`;
}

function dissectLink(x: Dissection, linkType: number): void {
  const d = x.d;
  const len = d.length;
  const frame = x.layer('Frame', 0, len);
  field(frame, 'Link type', `${linkTypeName(linkType)} (${linkType})`, 0, 0);
  field(frame, 'Captured length', `${len} bytes`, 0, len);
  let off = 0;
  let type: number;
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      const l = x.layer('Ethernet II', 0, ETH.HEADER);
      if (len < ETH.HEADER) return short(l, 'Ethernet header', ETH.HEADER, len);
      field(l, 'Destination', macToString(d, ETH.DST), ETH.DST, 6);
      field(l, 'Source', macToString(d, ETH.SRC), ETH.SRC, 6);
      type = x.u16(ETH.TYPE);
      field(
        l,
        type <= 1500 ? 'Length' : 'Type',
        type <= 1500 ? type : `${etherTypeName(type)} (${hex(type, 4)})`,
        ETH.TYPE,
        2,
      );
      off = ETH.HEADER;
      if (type <= 1500) return payload(x, off, len, 'LLC');
      break;
    }
    case LINKTYPE.LINUX_SLL: {
      const l = x.layer('Linux cooked capture v1', 0, SLL.HEADER);
      if (len < SLL.HEADER) return short(l, 'Linux cooked header', SLL.HEADER, len);
      const pt = x.u16(SLL.PACKET_TYPE);
      field(l, 'Packet type', `${SLL_PACKET_TYPE[pt] ?? 'Unknown'} (${pt})`, SLL.PACKET_TYPE, 2);
      field(l, 'Link-layer address type', x.u16(SLL.HA_TYPE), SLL.HA_TYPE, 2);
      const alen = x.u16(SLL.HA_LENGTH);
      field(l, 'Link-layer address length', alen, SLL.HA_LENGTH, 2);
      field(l, 'Source', addrText(d, SLL.ADDRESS, alen), SLL.ADDRESS, 8);
      type = x.u16(SLL.PROTOCOL);
      field(l, 'Protocol', `${etherTypeName(type)} (${hex(type, 4)})`, SLL.PROTOCOL, 2);
      off = SLL.HEADER;
      if (x.u16(SLL.HA_TYPE) === SLL.ARPHRD_NETLINK) return payload(x, off, len, 'Netlink');
      break;
    }
    case LINKTYPE.LINUX_SLL2: {
      const l = x.layer('Linux cooked capture v2', 0, SLL2.HEADER);
      if (len < SLL2.HEADER) return short(l, 'Linux cooked v2 header', SLL2.HEADER, len);
      type = x.u16(SLL2.PROTOCOL);
      field(l, 'Protocol', `${etherTypeName(type)} (${hex(type, 4)})`, SLL2.PROTOCOL, 2);
      field(l, 'Interface index', x.u32(SLL2.IF_INDEX), SLL2.IF_INDEX, 4);
      field(l, 'Link-layer address type', x.u16(SLL2.HA_TYPE), SLL2.HA_TYPE, 2);
      const pt = x.u8(SLL2.PACKET_TYPE);
      field(l, 'Packet type', `${SLL_PACKET_TYPE[pt] ?? 'Unknown'} (${pt})`, SLL2.PACKET_TYPE, 1);
      const alen = x.u8(SLL2.HA_LENGTH);
      field(l, 'Link-layer address length', alen, SLL2.HA_LENGTH, 1);
      field(l, 'Source', addrText(d, SLL2.ADDRESS, alen), SLL2.ADDRESS, 8);
      off = SLL2.HEADER;
      if (x.u16(SLL2.HA_TYPE) === SLL.ARPHRD_NETLINK) return payload(x, off, len, 'Netlink');
      break;
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      const l = x.layer('Loopback', 0, 4);
      if (len < 4) return short(l, 'Loopback header', 4, len);
      let family = x.u32(0);
      if (linkType === LINKTYPE.NULL && (family & 0xffff) === 0) family = d[0] | (d[1] << 8);
      field(l, 'Family', family, 0, 4);
      const v = nullFamilyVersion(family);
      if (v === 4) return dissectIpv4(x, 4);
      if (v === 6) return dissectIpv6(x, 4);
      return payload(x, 4, len, `Address family ${family}`);
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_12:
    case LINKTYPE.RAW_14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6: {
      if (len < 1) {
        const l = x.layer('IP', 0, 0);
        return short(l, 'IP header', 20, 0);
      }
      const v = d[0] >> 4;
      if (v === 6) return dissectIpv6(x, 0);
      return dissectIpv4(x, 0);
    }
    default:
      return payload(x, 0, len, `${linkTypeName(linkType)} data`);
  }
  while (type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_OLD) {
    const l = x.layer(type === ETHERTYPE.VLAN ? '802.1Q VLAN' : '802.1ad VLAN', off, 4);
    if (off + 4 > len) return short(l, 'VLAN tag', 4, len - off);
    const tci = x.u16(off);
    field(l, 'Priority', tci >> 13, off, 2);
    field(l, 'Drop eligible', (tci >> 12) & 1, off, 2);
    field(l, 'VLAN ID', tci & 0xfff, off, 2);
    type = x.u16(off + 2);
    field(l, 'Type', `${etherTypeName(type)} (${hex(type, 4)})`, off + 2, 2);
    off += 4;
  }
  if (type === ETHERTYPE.IPV4) return dissectIpv4(x, off);
  if (type === ETHERTYPE.IPV6) return dissectIpv6(x, off);
  payload(x, off, len, etherTypeName(type));
}

function addrText(d: Uint8Array, o: number, alen: number): string {
  if (alen === 6) return macToString(d, o);
  return bytesHex(d, o, o + Math.min(alen, 8));
}

function payload(x: Dissection, off: number, end: number, name: string): void {
  const n = Math.min(end, x.d.length) - off;
  if (n <= 0) return;
  const l = x.layer(name, off, n);
  field(l, 'Data', `${n} bytes: ${bytesHex(x.d, off, off + n)}`, off, n);
}

function dissectIpv4(x: Dissection, off: number): void {
  const d = x.d;
  const avail = d.length - off;
  const l = x.layer('IPv4', off, IPV4.MIN_HEADER);
  if (avail < IPV4.MIN_HEADER) return short(l, 'IPv4 header', 20, avail);
  const vihl = d[off];
  const ihl = (vihl & 15) * 4;
  field(l, 'Version', vihl >> 4, off, 1);
  field(l, 'Header length', `${ihl} bytes (${vihl & 15})`, off, 1);
  const tos = d[off + IPV4.TOS];
  field(l, 'Differentiated services', `${hex(tos, 2)} (DSCP ${tos >> 2}, ECN ${tos & 3})`, off + IPV4.TOS, 1);
  const total = x.u16(off + IPV4.TOTAL_LENGTH);
  field(l, 'Total length', total, off + IPV4.TOTAL_LENGTH, 2);
  field(
    l,
    'Identification',
    `${hex(x.u16(off + IPV4.IDENT), 4)} (${x.u16(off + IPV4.IDENT)})`,
    off + IPV4.IDENT,
    2,
  );
  const ff = x.u16(off + IPV4.FLAGS_FRAGMENT);
  const flags = [
    ff & 0x8000 ? 'reserved' : '',
    ff & IPV4.FLAG_DF ? "Don't fragment" : '',
    ff & IPV4.FLAG_MF ? 'More fragments' : '',
  ]
    .filter(Boolean)
    .join(', ');
  field(l, 'Flags', `${hex(ff >> 13, 1)}${flags ? ` (${flags})` : ''}`, off + IPV4.FLAGS_FRAGMENT, 1);
  field(l, 'Fragment offset', (ff & 0x1fff) * 8, off + IPV4.FLAGS_FRAGMENT, 2);
  field(l, 'Time to live', d[off + IPV4.TTL], off + IPV4.TTL, 1);
  const proto = d[off + IPV4.PROTOCOL];
  field(l, 'Protocol', `${ipProtocolName(proto)} (${proto})`, off + IPV4.PROTOCOL, 1);
  const csum = x.u16(off + IPV4.CHECKSUM);
  const hdrOk = ihl >= 20 && ihl <= avail ? internetChecksum(d, off, off + ihl) === 0 : null;
  field(
    l,
    'Header checksum',
    `${hex(csum, 4)} ${hdrOk === null ? '[unverified]' : hdrOk ? '[correct]' : '[incorrect]'}`,
    off + IPV4.CHECKSUM,
    2,
  );
  field(l, 'Source', ipv4ToString(d, off + IPV4.SRC), off + IPV4.SRC, 4);
  field(l, 'Destination', ipv4ToString(d, off + IPV4.DST), off + IPV4.DST, 4);
  if (vihl >> 4 !== 4) {
    l.error = `version ${vihl >> 4} in an IPv4 header`;
    return;
  }
  if (ihl < 20) {
    l.error = `header length ${vihl & 15} is below the minimum 5`;
    return;
  }
  l.length = Math.min(ihl, avail);
  if (ihl > avail) return short(l, 'IPv4 header with options', ihl, avail);
  if (ihl > 20) field(l, 'Options', bytesHex(d, off + 20, off + ihl), off + 20, ihl - 20);
  if (total < ihl) {
    l.error = `total length ${total} is less than the header length ${ihl}`;
    return;
  }
  // Total length 0: TSO capture, take the frame length.
  const end = total === 0 ? d.length : Math.min(off + total, d.length);
  if (total !== 0 && off + total > d.length)
    l.error = `total length ${total} exceeds the ${avail} bytes captured`;
  if ((ff & 0x3fff) !== 0) return payload(x, off + ihl, end, 'IPv4 fragment');
  if (proto === TCP.PROTOCOL) {
    const sum = pseudoHeaderSum(
      d,
      off + IPV4.SRC,
      d,
      off + IPV4.DST,
      4,
      TCP.PROTOCOL,
      (total || avail) - ihl,
    );
    return dissectTcp(x, off + ihl, total === 0 ? d.length : off + total, sum);
  }
  payload(x, off + ihl, end, ipProtocolName(proto));
}

function dissectIpv6(x: Dissection, off: number): void {
  const d = x.d;
  const avail = d.length - off;
  const l = x.layer('IPv6', off, IPV6.HEADER);
  if (avail < IPV6.HEADER) return short(l, 'IPv6 header', 40, avail);
  const first = x.u32(off);
  field(l, 'Version', first >>> 28, off, 1);
  field(l, 'Traffic class', hex((first >>> 20) & 0xff, 2), off, 2);
  field(l, 'Flow label', hex(first & 0xfffff, 5), off + 1, 3);
  const plen = x.u16(off + IPV6.PAYLOAD_LENGTH);
  field(l, 'Payload length', plen, off + IPV6.PAYLOAD_LENGTH, 2);
  let nh = d[off + IPV6.NEXT_HEADER];
  field(l, 'Next header', `${ipProtocolName(nh)} (${nh})`, off + IPV6.NEXT_HEADER, 1);
  field(l, 'Hop limit', d[off + IPV6.HOP_LIMIT], off + IPV6.HOP_LIMIT, 1);
  field(l, 'Source', ipv6ToString(d, off + IPV6.SRC), off + IPV6.SRC, 16);
  field(l, 'Destination', ipv6ToString(d, off + IPV6.DST), off + IPV6.DST, 16);
  if (first >>> 28 !== 6) {
    l.error = `version ${first >>> 28} in an IPv6 header`;
    return;
  }
  const end = plen === 0 ? d.length : off + IPV6.HEADER + plen;
  if (end > d.length) l.error = `payload length ${plen} exceeds the ${avail - 40} bytes captured`;
  let dstOff = off + IPV6.DST;
  let p = off + IPV6.HEADER;
  for (let n = 0; n < 64; n++) {
    if (nh === TCP.PROTOCOL) {
      return dissectTcp(x, p, end, pseudoHeaderSum(d, off + IPV6.SRC, d, dstOff, 16, TCP.PROTOCOL, end - p));
    }
    const isExt =
      nh === IPV6_EXT.HOP_BY_HOP ||
      nh === IPV6_EXT.ROUTING ||
      nh === IPV6_EXT.DEST_OPTS ||
      nh === IPV6_EXT.FRAGMENT ||
      nh === IPV6_EXT.AH ||
      nh === IPV6_EXT.MOBILITY ||
      nh === IPV6_EXT.HIP ||
      nh === IPV6_EXT.SHIM6;
    if (!isExt) return payload(x, p, end, ipProtocolName(nh));
    const e = x.layer(`IPv6 ${ipProtocolName(nh).replace(/^IPv6 /, '')} header`, p, 8);
    if (p + 8 > d.length) return short(e, 'extension header', 8, d.length - p);
    const hlen = nh === IPV6_EXT.FRAGMENT ? 8 : nh === IPV6_EXT.AH ? (d[p + 1] + 2) * 4 : (d[p + 1] + 1) * 8;
    e.length = Math.min(hlen, d.length - p);
    const next = d[p];
    field(e, 'Next header', `${ipProtocolName(next)} (${next})`, p, 1);
    field(e, 'Length', `${hlen} bytes`, p + 1, 1);
    if (nh === IPV6_EXT.FRAGMENT) {
      const fo = x.u16(p + 2);
      field(e, 'Offset', (fo >> 3) * 8, p + 2, 2);
      field(e, 'More fragments', fo & 1 ? 'yes' : 'no', p + 3, 1);
      field(e, 'Identification', hex(x.u32(p + 4), 8), p + 4, 4);
      if ((fo & 0xfff9) !== 0) return payload(x, p + 8, end, 'IPv6 fragment');
    }
    if (p + hlen > end || p + hlen > d.length)
      return short(e, 'extension header', hlen, Math.min(end, d.length) - p);
    if (nh === IPV6_EXT.ROUTING) {
      field(e, 'Routing type', d[p + 2], p + 2, 1);
      field(e, 'Segments left', d[p + 3], p + 3, 1);
      if (d[p + 3] > 0) dstOff = routingFinalDestination(d, p, hlen, dstOff);
    }
    nh = next;
    p += hlen;
  }
}

function dissectTcp(x: Dissection, t: number, end: number, pseudo: number): void {
  const d = x.d;
  const segLen = end - t;
  const l = x.layer('TCP', t, TCP.MIN_HEADER);
  if (segLen < TCP.MIN_HEADER) {
    l.error = `segment of ${segLen} bytes is shorter than the 20-byte header`;
    if (d.length - t < 1) return;
  }
  const have = d.length - t;
  // Ports and numbers are shown as far as they were captured, even when the header is cut.
  if (have >= 4) {
    field(l, 'Source port', x.u16(t), t, 2);
    field(l, 'Destination port', x.u16(t + 2), t + 2, 2);
  }
  if (have >= 8) field(l, 'Sequence number', x.u32(t + TCP.SEQ), t + TCP.SEQ, 4);
  if (have >= 12) field(l, 'Acknowledgment number', x.u32(t + TCP.ACK), t + TCP.ACK, 4);
  if (have < TCP.MIN_HEADER) return short(l, 'TCP header', 20, have);
  const ob = d[t + TCP.DATA_OFFSET];
  const hlen = (ob >> 4) * 4;
  field(l, 'Header length', `${hlen} bytes (${ob >> 4})`, t + TCP.DATA_OFFSET, 1);
  const flags = ((ob & 1) << 8) | d[t + TCP.FLAGS];
  field(l, 'Flags', `${hex(flags, 3)} (${flagsLabel(flags)})`, t + TCP.DATA_OFFSET, 2);
  field(l, 'Window', x.u16(t + TCP.WINDOW), t + TCP.WINDOW, 2);
  const csum = x.u16(t + TCP.CHECKSUM);
  const verified = end <= d.length && segLen >= 20 ? checksumVerifies(d, t, end, pseudo) : null;
  field(
    l,
    'Checksum',
    `${hex(csum, 4)} ${verified === null ? '[unverified]' : verified ? '[correct]' : '[incorrect — often checksum offload on the capturing host]'}`,
    t + TCP.CHECKSUM,
    2,
  );
  field(l, 'Urgent pointer', x.u16(t + TCP.URGENT), t + TCP.URGENT, 2);
  if (l.error) return;
  if (hlen < TCP.MIN_HEADER) {
    l.error = `data offset ${ob >> 4} is below the minimum 5`;
    return;
  }
  if (hlen > segLen) {
    l.error = `data offset ${ob >> 4} (${hlen} bytes) exceeds the segment length ${segLen}`;
    return;
  }
  l.length = Math.min(hlen, d.length - t);
  if (t + hlen > d.length) return short(l, 'TCP header with options', hlen, d.length - t);
  // Options, each with its own byte range.
  let p = t + TCP.OPTIONS;
  const optEnd = t + hlen;
  while (p < optEnd) {
    const kind = d[p];
    const olen = kind <= 1 ? 1 : p + 1 < optEnd ? d[p + 1] : 0;
    const [opt] = parseTcpOptions(d, p, optEnd);
    if (olen < 1 || (kind > 1 && (olen < 2 || p + olen > optEnd))) {
      field(l, 'Option (malformed)', `kind ${kind}, length ${olen}: runs past the header`, p, optEnd - p);
      l.error = `option kind ${kind} at byte ${p} has length ${olen}, which does not fit the header`;
      break;
    }
    field(l, 'Option', opt ? optionLabel(opt) : `kind ${kind}`, p, kind === 0 ? optEnd - p : olen);
    if (kind === 0) break;
    p += olen;
  }
  const n = Math.min(end, d.length) - optEnd;
  if (n > 0) {
    const pl = x.layer('TCP payload', optEnd, n);
    field(
      pl,
      'Data',
      `${segLen - hlen} bytes${segLen - hlen > n ? ` (${n} captured)` : ''}: ${bytesHex(d, optEnd, optEnd + n)}`,
      optEnd,
      n,
    );
  }
}
