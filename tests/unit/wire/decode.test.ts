/**
 * decodeFrame and the emitters, in the four directions: golden bytes →
 * fields, fields → golden bytes, decode(build(fields)) = fields and
 * emit(parse(bytes)) = bytes; every supported link type; IPv4 options and
 * fragments; IPv6 extension headers; all TCP flags and options; checksum
 * verdicts; and a malformed verdict (never an exception) for every layer cut
 * short or given an impossible length.
 */
import { describe, expect, it } from 'vitest';
import { TCP_FLAG } from '../../../src-shared/tcp';
import type { TcpOption, TcpPacket } from '../../../src-shared/tcp';
import {
  buildFrame,
  decodeFrame,
  dissect,
  emitIpv4,
  emitIpv6,
  emitTcp,
  encodeTcp,
  internetChecksum,
  ipv6ToString,
  parseIpv4,
  parseIpv4Header,
  parseIpv6,
  parseIpv6Header,
  parseTcpHeader,
  tcpHeaderLength,
} from '../../../src-main/wire';
import type { DecodeResult, FrameSpec } from '../../../src-main/wire';
import { hex, toHex } from './helpers';

/** dns_tcp.pcap frame 1: Ethernet, IPv4, TCP SYN with MSS, SACK_PERM, TS, NOP, WS. */
const GOLDEN_SYN = hex(
  '001122334466 001122334455 0800' +
    '4500003c9b28400040061376c0a8010bd157f912' +
    '83f3003523fec80c00000000a002faf00c410000020405b40402080a79e2ca9a0000000001030307',
);
const GOLDEN_OPTIONS: TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', tsval: 2044906138, tsecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];
const GOLDEN_SPEC: FrameSpec = {
  srcMac: '00:11:22:33:44:55',
  dstMac: '00:11:22:33:44:66',
  src: '192.168.1.11',
  dst: '209.87.249.18',
  ipId: 0x9b28,
  srcPort: 33779,
  dstPort: 53,
  seq: 603899916,
  flags: TCP_FLAG.SYN,
  window: 64240,
  options: GOLDEN_OPTIONS,
};

function tcp(r: DecodeResult): TcpPacket {
  if (r.kind !== 'tcp') throw new Error(`expected TCP, got ${JSON.stringify(r)}`);
  return r.packet;
}

describe('golden bytes', () => {
  it('bytes → fields', () => {
    expect(decodeFrame(1, GOLDEN_SYN, 1, 1591780863.720289)).toEqual({
      kind: 'tcp',
      packet: {
        frame: 1,
        time: 1591780863.720289,
        ipVersion: 4,
        src: '192.168.1.11',
        dst: '209.87.249.18',
        srcPort: 33779,
        dstPort: 53,
        seq: 603899916,
        ack: 0,
        flags: TCP_FLAG.SYN,
        window: 64240,
        urgent: 0,
        payloadLength: 0,
        options: GOLDEN_OPTIONS,
        headerLength: 40,
        checksum: 0x0c41,
        checksumOk: true,
      },
    });
  });

  it('fields → bytes', () => {
    expect(toHex(buildFrame(GOLDEN_SPEC))).toBe(toHex(GOLDEN_SYN));
  });

  it('emit(parse(bytes)) = bytes for the IPv4 and TCP headers', () => {
    const ip = parseIpv4Header(GOLDEN_SYN.subarray(14));
    expect(ip).toMatchObject({
      ttl: 64,
      ident: 0x9b28,
      dontFragment: true,
      protocol: 6,
      payloadLength: 40,
      checksum: 0x1376,
    });
    const ipOut = new Uint8Array(20);
    emitIpv4(ip, ipOut, 0);
    expect(toHex(ipOut)).toBe(toHex(GOLDEN_SYN.subarray(14, 34)));
    const th = parseTcpHeader(GOLDEN_SYN.subarray(34));
    const seg = encodeTcp(th, new Uint8Array(0), { src: parseIpv4(ip.src), dst: parseIpv4(ip.dst) });
    expect(toHex(seg)).toBe(toHex(GOLDEN_SYN.subarray(34)));
  });

  it('emit(parse(bytes)) = bytes for an IPv6 header', () => {
    const f = buildFrame({
      linkType: 229,
      src: 'fe80::1',
      dst: 'ff02::1:ff00:2',
      srcPort: 1,
      dstPort: 2,
      seq: 3,
      flags: 0,
      tos: 0xb8,
      flowLabel: 0x12345,
      ttl: 255,
    });
    const h = parseIpv6Header(f);
    expect(h).toMatchObject({
      src: 'fe80::1',
      dst: 'ff02::1:ff00:2',
      trafficClass: 0xb8,
      flowLabel: 0x12345,
      hopLimit: 255,
      nextHeader: 6,
      payloadLength: 20,
    });
    const out = new Uint8Array(40);
    emitIpv6(h, out, 0);
    expect(toHex(out)).toBe(toHex(f.subarray(0, 40)));
  });
});

describe('decode(build(fields)) = fields', () => {
  const base = { srcPort: 49152, dstPort: 443, seq: 0xfffffffe, ack: 0x80000000, window: 512, urgent: 7 };
  const cases: Array<[string, FrameSpec, Partial<TcpPacket>]> = [
    [
      'Ethernet IPv4 all flags',
      { ...base, src: '10.1.2.3', dst: '10.3.2.1', flags: 0x1ff },
      { flags: 0x1ff },
    ],
    [
      'Ethernet IPv6 ECE+CWR+AE',
      {
        ...base,
        src: '2001:db8::a',
        dst: '2001:db8::b',
        flags: TCP_FLAG.ECE | TCP_FLAG.CWR | TCP_FLAG.AE | TCP_FLAG.SYN,
      },
      {},
    ],
    [
      '802.1Q',
      { ...base, vlans: [42], src: '10.0.0.1', dst: '10.0.0.2', flags: TCP_FLAG.FIN | TCP_FLAG.ACK },
      {},
    ],
    ['QinQ', { ...base, vlans: [100, 200], src: '10.0.0.1', dst: '10.0.0.2', flags: TCP_FLAG.RST }, {}],
    ['SLL v1', { ...base, linkType: 113, src: '10.0.0.1', dst: '10.0.0.2', flags: TCP_FLAG.SYN }, {}],
    ['SLL v2 IPv6', { ...base, linkType: 276, src: '::1', dst: '::1', flags: TCP_FLAG.SYN }, {}],
    [
      'BSD null IPv4',
      {
        ...base,
        linkType: 0,
        src: '127.0.0.1',
        dst: '127.0.0.1',
        flags: TCP_FLAG.PSH | TCP_FLAG.ACK,
        payload: Uint8Array.of(1, 2, 3),
      },
      { payloadLength: 3 },
    ],
    [
      'BSD null IPv6',
      { ...base, linkType: 0, src: '::1', dst: '::1', flags: TCP_FLAG.URG | TCP_FLAG.ACK },
      {},
    ],
    ['OpenBSD loop', { ...base, linkType: 108, src: '::1', dst: '::1', flags: TCP_FLAG.ACK }, {}],
    [
      'raw 101 IPv4',
      { ...base, linkType: 101, src: '192.0.2.1', dst: '198.51.100.1', flags: TCP_FLAG.SYN },
      {},
    ],
    [
      'raw 101 IPv6',
      { ...base, linkType: 101, src: '2001:db8::1', dst: '2001:db8::2', flags: TCP_FLAG.SYN },
      {},
    ],
    ['raw 228', { ...base, linkType: 228, src: '192.0.2.1', dst: '198.51.100.1', flags: TCP_FLAG.SYN }, {}],
    ['raw 229', { ...base, linkType: 229, src: '2001:db8::1', dst: '2001:db8::2', flags: TCP_FLAG.SYN }, {}],
    [
      'every option kind',
      {
        ...base,
        src: '10.0.0.1',
        dst: '10.0.0.2',
        flags: TCP_FLAG.ACK,
        options: [
          { kind: 'nop' },
          { kind: 'nop' },
          { kind: 'nop' },
          { kind: 'nop' },
          {
            kind: 'sack',
            blocks: [
              [0xfffffff0, 0x10],
              [100, 200],
            ],
          },
          { kind: 'unknown', type: 30, data: [1, 2, 3, 4, 5, 6] },
          { kind: 'timestamps', tsval: 0xffffffff, tsecr: 1 },
        ],
      },
      {},
    ],
  ];
  it.each(cases)('%s', (_, spec, extra) => {
    const frame = buildFrame(spec);
    const p = tcp(decodeFrame(spec.linkType ?? 1, frame, 5, 1.5));
    expect(p).toMatchObject({
      frame: 5,
      time: 1.5,
      ipVersion: spec.src.includes(':') ? 6 : 4,
      src: spec.src,
      dst: spec.dst,
      srcPort: spec.srcPort,
      dstPort: spec.dstPort,
      seq: spec.seq,
      ack: spec.ack,
      flags: spec.flags,
      window: spec.window,
      urgent: spec.urgent,
      options: spec.options ?? [],
      headerLength: tcpHeaderLength({ options: spec.options ?? [] }),
      checksumOk: true,
      payloadLength: spec.payload?.length ?? 0,
      ...extra,
    });
  });

  it('pads options that are not a multiple of 4 with EOL', () => {
    const p = tcp(
      decodeFrame(
        1,
        buildFrame({
          src: '10.0.0.1',
          dst: '10.0.0.2',
          srcPort: 1,
          dstPort: 2,
          seq: 0,
          flags: 2,
          options: [{ kind: 'wscale', shift: 14 }],
        }),
        1,
        0,
      ),
    );
    expect(p.options).toEqual([{ kind: 'wscale', shift: 14 }, { kind: 'eol' }]);
    expect(p.headerLength).toBe(24);
  });

  it('reads little- and big-endian BSD loopback families', () => {
    const f = buildFrame({
      linkType: 0,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      flags: 2,
    });
    f.set([0, 0, 0, 2], 0);
    expect(decodeFrame(0, f, 1, 0).kind).toBe('tcp');
    f.set([30, 0, 0, 0], 0); // Darwin AF_INET6 on an IPv4 packet: decoded as IPv6, which fails its version check
    expect(decodeFrame(0, f, 1, 0)).toMatchObject({ kind: 'malformed', layer: 'IPv6' });
    f.set([99, 0, 0, 0], 0);
    expect(decodeFrame(0, f, 1, 0)).toEqual({ kind: 'other', what: 'loopback address family 99' });
  });

  it('treats link types 12 and 14 as raw IP and names unknown link types', () => {
    const f = buildFrame({
      linkType: 101,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      flags: 2,
    });
    expect(decodeFrame(12, f, 1, 0).kind).toBe('tcp');
    expect(decodeFrame(14, f, 1, 0).kind).toBe('tcp');
    expect(decodeFrame(147, f, 1, 0)).toEqual({ kind: 'other', what: 'link type 147' });
  });

  it('rejects specs that cannot be built', () => {
    const ok: FrameSpec = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 0, flags: 2 };
    expect(() => buildFrame({ ...ok, dst: '::1' })).toThrow(/differ in IP version/);
    expect(() => buildFrame({ ...ok, srcPort: 70000 })).toThrow(/source port 70000 does not fit in 16 bits/);
    expect(() => buildFrame({ ...ok, seq: -1 })).toThrow(/sequence number -1/);
    expect(() => buildFrame({ ...ok, src: '10.0.0.256' })).toThrow(/not an IPv4 address/);
    expect(() => buildFrame({ ...ok, options: Array(11).fill({ kind: 'mss', value: 1 }) })).toThrow(
      /44 bytes, more than the 40/,
    );
    expect(() => buildFrame({ ...ok, linkType: 228, src: '::1', dst: '::2' })).toThrow(/IPv4 only/);
  });
});

describe('layers that are not TCP', () => {
  const v4 = buildFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, seq: 0, flags: 2 });
  it('names other EtherTypes, IP protocols and LLC frames', () => {
    const arp = v4.slice();
    arp.set([0x08, 0x06], 12);
    expect(decodeFrame(1, arp, 1, 0)).toEqual({ kind: 'other', what: 'ARP' });
    const llc = v4.slice();
    llc.set([0x00, 0x40], 12);
    expect(decodeFrame(1, llc, 1, 0)).toEqual({ kind: 'other', what: 'LLC' });
    const odd = v4.slice();
    odd.set([0x12, 0x34], 12);
    expect(decodeFrame(1, odd, 1, 0)).toEqual({ kind: 'other', what: 'EtherType 0x1234' });
    const udp = v4.slice();
    udp[14 + 9] = 17;
    expect(decodeFrame(1, udp, 1, 0)).toEqual({ kind: 'other', what: 'UDP' });
    const v6 = buildFrame({ src: '::1', dst: '::2', srcPort: 1, dstPort: 2, seq: 0, flags: 2 });
    v6[14 + 6] = 58;
    expect(decodeFrame(1, v6, 1, 0)).toEqual({ kind: 'other', what: 'ICMPv6' });
    const netlink = buildFrame({
      linkType: 113,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      flags: 2,
    });
    netlink.set([0x03, 0x38], 2);
    expect(decodeFrame(113, netlink, 1, 0)).toEqual({ kind: 'other', what: 'Netlink' });
  });

  it('reports IPv4 fragments instead of reassembling them', () => {
    const mf = v4.slice();
    mf[14 + 6] = 0x20; // MF, offset 0
    expect(decodeFrame(1, mf, 1, 0)).toEqual({ kind: 'other', what: 'IPv4 fragment' });
    const later = v4.slice();
    later.set([0x00, 0x10], 14 + 6); // offset 16 × 8
    expect(decodeFrame(1, later, 1, 0)).toEqual({ kind: 'other', what: 'IPv4 fragment' });
  });
});

describe('IPv4 options and IPv6 extension headers', () => {
  const tcpRepr = {
    srcPort: 1000,
    dstPort: 80,
    seq: 1,
    ack: 2,
    flags: TCP_FLAG.ACK,
    window: 100,
    urgent: 0,
    options: [],
  };

  it('skips IPv4 options', () => {
    const opts = Uint8Array.of(0x94, 0x04, 0x00, 0x00); // router alert
    const buf = new Uint8Array(24 + 20);
    emitIpv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payloadLength: 20, options: opts }, buf, 0);
    emitTcp(tcpRepr, new Uint8Array(0), buf, 24, { src: parseIpv4('10.0.0.1'), dst: parseIpv4('10.0.0.2') });
    expect(internetChecksum(buf, 0, 24)).toBe(0);
    expect(parseIpv4Header(buf).options).toEqual(opts);
    expect(tcp(decodeFrame(228, buf, 1, 0))).toMatchObject({ srcPort: 1000, checksumOk: true });
  });

  /** An IPv6 packet with the given extension headers (each [nextHeaderValue, bytes without the next-header byte]). */
  function v6With(exts: Array<[number, number[]]>, last = 6): Uint8Array {
    const seg = encodeTcp(tcpRepr, new Uint8Array(0), {
      src: parseIpv6('2001:db8::1'),
      dst: parseIpv6('2001:db8::2'),
    });
    const extBytes: number[] = [];
    exts.forEach(([, body], i) => extBytes.push(i + 1 < exts.length ? exts[i + 1][0] : last, ...body));
    const plen = extBytes.length + seg.length;
    const buf = new Uint8Array(40 + plen);
    emitIpv6(
      {
        src: '2001:db8::1',
        dst: '2001:db8::2',
        nextHeader: exts.length ? exts[0][0] : last,
        payloadLength: plen,
      },
      buf,
      0,
    );
    buf.set(extBytes, 40);
    buf.set(seg, 40 + extBytes.length);
    return buf;
  }
  const hbh: [number, number[]] = [0, [0, 1, 4, 0, 0, 0, 0]]; // 8 bytes, PadN
  const dst: [number, number[]] = [60, [1, 1, 12, ...Array(12).fill(0)]]; // 16 bytes
  const rt: [number, number[]] = [43, [0, 4, 0, 0, 0, 0, 0]]; // routing type 4, segments left 0
  const atomicFrag: [number, number[]] = [44, [0, 0, 0, 0, 0, 0, 1]];
  const ah: [number, number[]] = [51, [4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, ...Array(12).fill(0)]]; // (4+2)*4 = 24 bytes

  it('walks hop-by-hop, destination options, routing, an atomic fragment and AH', () => {
    const p = tcp(decodeFrame(229, v6With([hbh, dst, rt, atomicFrag, ah]), 1, 0));
    expect(p).toMatchObject({
      ipVersion: 6,
      src: '2001:db8::1',
      dst: '2001:db8::2',
      srcPort: 1000,
      checksumOk: true,
      payloadLength: 0,
    });
  });

  it('checksums against the final destination of a segment routing header (RFC 8200 §8.1)', () => {
    const finalDst = parseIpv6('2001:db8::99');
    const seg = encodeTcp(tcpRepr, new Uint8Array(0), { src: parseIpv6('2001:db8::1'), dst: finalDst });
    const srh = [6, 2, 4, 1, 0, 0, 0, 0, ...finalDst]; // next TCP, 24 bytes, type 4, segments left 1
    const buf = new Uint8Array(40 + srh.length + seg.length);
    emitIpv6(
      { src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 43, payloadLength: srh.length + seg.length },
      buf,
      0,
    );
    buf.set(srh, 40);
    buf.set(seg, 40 + srh.length);
    // The segment's destination is the final one, as the reply will come from it.
    expect(tcp(decodeFrame(229, buf, 1, 0))).toMatchObject({ dst: '2001:db8::99', checksumOk: true });
    const shown = dissect(229, buf)
      .find((l) => l.name === 'TCP')
      ?.fields.find((f) => f.name === 'Checksum');
    expect(shown?.value).toMatch(/\[correct\]$/);
  });

  it('reports real fragments, ESP and no-next-header', () => {
    expect(decodeFrame(229, v6With([[44, [0, 0, 1, 0, 0, 0, 1]]]), 1, 0)).toEqual({
      kind: 'other',
      what: 'IPv6 fragment',
    });
    expect(decodeFrame(229, v6With([[44, [0, 0, 8, 0, 0, 0, 1]]]), 1, 0)).toEqual({
      kind: 'other',
      what: 'IPv6 fragment',
    });
    expect(decodeFrame(229, v6With([hbh], 50), 1, 0)).toEqual({ kind: 'other', what: 'ESP' });
    expect(decodeFrame(229, v6With([hbh], 59), 1, 0)).toEqual({ kind: 'other', what: 'IPv6 no next header' });
  });

  it('calls an extension header that runs past the payload malformed', () => {
    const f = v6With([hbh]);
    f[41] = 200; // (200+1)*8 bytes
    expect(decodeFrame(229, f, 1, 0)).toEqual({
      kind: 'malformed',
      layer: 'IPv6',
      reason: 'IPv6 hop-by-hop header length 1608 runs past the payload length 28',
    });
  });
});

describe('TCP details', () => {
  const spec: FrameSpec = {
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 1,
    dstPort: 2,
    seq: 0,
    flags: TCP_FLAG.SYN,
    payload: Uint8Array.of(9, 9, 9, 9),
  };

  it('keeps reserved bits out of the flags and reads AE from bit 8', () => {
    const f = buildFrame(spec);
    f[34 + 12] |= 0x0e; // reserved bits
    f[34 + 12] |= 0x01; // AE
    const p = tcp(decodeFrame(1, f, 1, 0));
    expect(p.flags).toBe(TCP_FLAG.SYN | TCP_FLAG.AE);
    expect(parseTcpHeader(f.subarray(34)).reserved).toBe(7);
  });

  it('verifies the checksum only when the whole segment was captured', () => {
    expect(tcp(decodeFrame(1, buildFrame(spec), 1, 0)).checksumOk).toBe(true);
    expect(tcp(decodeFrame(1, buildFrame({ ...spec, corruptChecksum: true }), 1, 0)).checksumOk).toBe(false);
    const f = buildFrame(spec);
    const cut = tcp(decodeFrame(1, f.subarray(0, f.length - 2), 1, 0, f.length));
    expect(cut.checksumOk).toBeNull();
    expect(cut.payloadLength).toBe(4);
  });

  it('ignores Ethernet padding after the IP packet', () => {
    const f = buildFrame({ ...spec, payload: undefined });
    const padded = new Uint8Array(60);
    padded.set(f);
    expect(tcp(decodeFrame(1, padded, 1, 0))).toMatchObject({ payloadLength: 0, checksumOk: true });
  });

  it('uses the frame length when a TSO capture left IPv4 total length 0', () => {
    const f = buildFrame(spec);
    f[16] = 0;
    f[17] = 0;
    expect(tcp(decodeFrame(1, f, 1, 0))).toMatchObject({ payloadLength: 4, checksumOk: true });
  });

  it('keeps broken options as unknown and still decodes the segment', () => {
    const withOpts = (bytes: number[]): TcpOption[] => {
      const f = buildFrame({
        ...spec,
        options: [{ kind: 'unknown', type: 253, data: Array(bytes.length - 2).fill(0) }],
      });
      f.set(bytes, 54);
      // Fix the checksum, so only the options are odd.
      return tcp(decodeFrame(1, f, 1, 0)).options;
    };
    expect(withOpts([2, 1, 0, 0])).toEqual([{ kind: 'unknown', type: 2, data: [1, 0, 0] }]); // length < 2
    expect(withOpts([8, 20, 0, 0])).toEqual([{ kind: 'unknown', type: 8, data: [20, 0, 0] }]); // past the header
    expect(withOpts([2, 3, 5, 1])).toEqual([{ kind: 'unknown', type: 2, data: [5] }, { kind: 'nop' }]); // MSS of length 3
    expect(withOpts([5, 6, 0, 0, 0, 0, 0, 0])).toEqual([
      { kind: 'unknown', type: 5, data: [0, 0, 0, 0] },
      { kind: 'eol' },
    ]);
    expect(withOpts([0, 9, 9, 9])).toEqual([{ kind: 'eol' }]);
  });
});

describe('malformed, never thrown', () => {
  const v4 = buildFrame({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 1,
    dstPort: 2,
    seq: 0,
    flags: 2,
    options: [{ kind: 'mss', value: 1460 }],
    payload: Uint8Array.of(1, 2),
  });
  const v6 = buildFrame({
    vlans: [7],
    src: '::1',
    dst: '::2',
    srcPort: 1,
    dstPort: 2,
    seq: 0,
    flags: 2,
    options: [{ kind: 'mss', value: 1460 }],
  });
  const patched = (f: Uint8Array, at: number, ...bytes: number[]): Uint8Array => {
    const c = f.slice();
    c.set(bytes, at);
    return c;
  };
  const cases: Array<[string, number, Uint8Array, string, string, number?]> = [
    [
      'short Ethernet',
      1,
      v4.subarray(0, 13),
      'Ethernet',
      'frame of 13 bytes is shorter than the 14-byte header',
    ],
    [
      'short SLL',
      113,
      v4.subarray(0, 15),
      'Linux cooked capture',
      'frame of 15 bytes is shorter than the 16-byte header',
    ],
    [
      'short SLL2',
      276,
      v4.subarray(0, 19),
      'Linux cooked capture v2',
      'frame of 19 bytes is shorter than the 20-byte header',
    ],
    [
      'short loopback',
      0,
      v4.subarray(0, 3),
      'Loopback',
      'frame of 3 bytes is shorter than the 4-byte header',
    ],
    ['empty raw', 101, new Uint8Array(0), 'IP', 'empty frame'],
    ['raw version 5', 101, Uint8Array.of(0x50), 'IP', 'version 5 is neither 4 nor 6'],
    ['cut VLAN tag', 1, v6.subarray(0, 16), '802.1Q', 'tag at byte 14 needs 4 bytes, only 2 captured'],
    ['short IPv4', 1, v4.subarray(0, 30), 'IPv4', 'packet of 16 bytes is shorter than the 20-byte header'],
    [
      'IPv4 cut by snap length',
      1,
      v4.subarray(0, 30),
      'IPv4',
      'header cut by the capture: 16 of 20 bytes captured',
      v4.length,
    ],
    ['IPv4 version', 1, patched(v4, 14, 0x55), 'IPv4', 'version 5 in an IPv4 header'],
    ['IPv4 IHL 4', 1, patched(v4, 14, 0x44), 'IPv4', 'header length 4 is below the minimum 5'],
    [
      'IPv4 IHL past capture',
      1,
      patched(v4.subarray(0, 40), 14, 0x4f),
      'IPv4',
      'header length 60 exceeds the 26 bytes captured',
    ],
    [
      'IPv4 total < IHL',
      1,
      patched(v4, 16, 0, 19),
      'IPv4',
      'total length 19 is less than the header length 20',
    ],
    [
      'IPv4 total > frame',
      1,
      patched(v4, 16, 0x05, 0xdc),
      'IPv4',
      'total length 1500 exceeds the 46 bytes in the frame',
    ],
    ['short IPv6', 1, v6.subarray(0, 50), 'IPv6', 'packet of 32 bytes is shorter than the 40-byte header'],
    ['IPv6 version', 1, patched(v6, 18, 0x45), 'IPv6', 'version 4 in an IPv6 header'],
    [
      'IPv6 payload > frame',
      1,
      patched(v6, 22, 0x01, 0x00),
      'IPv6',
      'payload length 256 exceeds the 24 bytes in the frame',
    ],
    [
      'TCP segment < 20',
      1,
      patched(v4, 16, 0, 39),
      'TCP',
      'segment of 19 bytes is shorter than the 20-byte header',
    ],
    [
      'TCP cut by capture',
      1,
      v4.subarray(0, 44),
      'TCP',
      'header cut by the capture: 10 of 20 bytes captured',
      v4.length,
    ],
    ['TCP data offset 4', 1, patched(v4, 46, 0x40), 'TCP', 'data offset 4 is below the minimum 5'],
    [
      'TCP data offset > segment',
      1,
      patched(v4, 46, 0xf0),
      'TCP',
      'data offset 15 (60 bytes) exceeds the segment length 26',
    ],
    [
      'TCP options cut',
      1,
      v4.subarray(0, 56),
      'TCP',
      'options cut by the capture: 22 of 24 header bytes captured',
      v4.length,
    ],
  ];
  it.each(cases)('%s', (_, linkType, data, layer, reason, orig) => {
    expect(decodeFrame(linkType, data, 1, 0, orig)).toEqual({ kind: 'malformed', layer, reason });
  });

  it('every prefix of every kind of frame decodes to a verdict', () => {
    const frames: Array<[number, Uint8Array]> = [
      [1, v4],
      [1, v6],
      [
        113,
        buildFrame({
          linkType: 113,
          src: '10.0.0.1',
          dst: '10.0.0.2',
          srcPort: 1,
          dstPort: 2,
          seq: 0,
          flags: 2,
        }),
      ],
      [276, buildFrame({ linkType: 276, src: '::1', dst: '::2', srcPort: 1, dstPort: 2, seq: 0, flags: 2 })],
      [0, buildFrame({ linkType: 0, src: '::1', dst: '::2', srcPort: 1, dstPort: 2, seq: 0, flags: 2 })],
      [
        101,
        buildFrame({
          linkType: 101,
          src: '10.0.0.1',
          dst: '10.0.0.2',
          srcPort: 1,
          dstPort: 2,
          seq: 0,
          flags: 2,
        }),
      ],
    ];
    for (const [lt, f] of frames) {
      for (let n = 0; n < f.length; n++) {
        const prefix = f.subarray(0, n);
        // As a short packet: malformed. As a snap-length cut: TCP with an unverified checksum, or malformed.
        expect(decodeFrame(lt, prefix, 1, 0).kind).toBe('malformed');
        const cut = decodeFrame(lt, prefix, 1, 0, f.length);
        if (cut.kind === 'tcp') expect(cut.packet.checksumOk).toBeNull();
        else expect(cut.kind).toBe('malformed');
      }
      expect(tcp(decodeFrame(lt, f, 1, 0)).checksumOk).toBe(true);
    }
  });
});

describe('IPv6 text (RFC 5952)', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:DB8::ABCD', '2001:db8::abcd'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('%s → %s', (input, out) => {
    expect(ipv6ToString(parseIpv6(input), 0)).toBe(out);
  });

  it('rejects bad text', () => {
    expect(() => parseIpv6('1::2::3')).toThrow(/more than one/);
    expect(() => parseIpv6('1:2:3')).toThrow(/3 groups instead of 8/);
    expect(() => parseIpv6('12345::')).toThrow(/not 1-4 hex digits/);
  });
});

describe('segment sink (the decoding thread of the two-thread analyze)', () => {
  it('writes every field of every TCP segment of the real captures, as the packet has them', async () => {
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { openCaptureFile, newDecodeScratch, decodeFrameAt, SEG, ipv4ToString, ipv6ToString } =
      await import('../../../src-main/wire');
    const dir = join(__dirname, '..', '..', '..', 'resources', 'captures');
    const i32 = new Int32Array(SEG.STRIDE * 2);
    const u8 = new Uint8Array(i32.buffer);
    const sink = { i32, u8, at: SEG.STRIDE }; // the second record, so offsets are exercised
    let segments = 0;
    let syns = 0;
    for (const f of readdirSync(dir).filter((n) => /\.pcap(ng)?$/.test(n))) {
      const reader = openCaptureFile(join(dir, f));
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        const a = decodeFrameAt(
          rec.linkType,
          rec.data,
          0,
          rec.data.length,
          rec.frame,
          rec.time,
          rec.origLength,
        );
        const b = decodeFrameAt(
          rec.linkType,
          rec.data,
          0,
          rec.data.length,
          rec.frame,
          rec.time,
          rec.origLength,
          newDecodeScratch(false, true, sink),
        );
        expect(b.kind).toBe(a.kind);
        if (a.kind !== 'tcp' || b.kind !== 'tcp') continue;
        segments++;
        const p = a.packet;
        const at = sink.at;
        const addr = (slot: number) =>
          p.ipVersion === 4 ? ipv4ToString(u8, (at + slot) * 4) : ipv6ToString(u8, (at + slot) * 4);
        expect({
          frame: b.packet.frame,
          time: b.packet.time,
          ipVersion: i32[at + SEG.VERSION],
          src: addr(SEG.SRC),
          dst: addr(SEG.DST),
          srcPort: i32[at + SEG.SRC_PORT],
          dstPort: i32[at + SEG.DST_PORT],
          seq: i32[at + SEG.SEQ] >>> 0,
          ack: i32[at + SEG.ACK] >>> 0,
          flags: i32[at + SEG.FLAGS],
          window: i32[at + SEG.WINDOW],
          urgent: i32[at + SEG.URGENT],
          payloadLength: i32[at + SEG.PAYLOAD],
          headerLength: i32[at + SEG.HEADER],
          checksum: i32[at + SEG.CHECKSUM],
        }).toEqual({
          frame: p.frame,
          time: p.time,
          ipVersion: p.ipVersion,
          src: p.src,
          dst: p.dst,
          srcPort: p.srcPort,
          dstPort: p.dstPort,
          seq: p.seq,
          ack: p.ack,
          flags: p.flags,
          window: p.window,
          urgent: p.urgent,
          payloadLength: p.payloadLength,
          headerLength: p.headerLength,
          checksum: p.checksum,
        });
        const mss = p.flags & TCP_FLAG.SYN ? p.options.find((o) => o.kind === 'mss') : undefined;
        const ws = p.flags & TCP_FLAG.SYN ? p.options.find((o) => o.kind === 'wscale') : undefined;
        expect(i32[at + SEG.MSS]).toBe(mss?.kind === 'mss' ? mss.value : -1);
        expect(i32[at + SEG.WSCALE]).toBe(ws?.kind === 'wscale' ? ws.shift : -1);
        if (p.flags & TCP_FLAG.SYN) syns++;
      }
      reader.close();
    }
    expect(segments).toBeGreaterThan(500);
    expect(syns).toBeGreaterThan(20);
  });
});
