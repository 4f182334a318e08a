/**
 * The virtual host's non-TCP frames and its TCP receive path, byte by byte:
 * ARP requests and replies (RFC 826), neighbour solicitations and
 * advertisements with their ICMPv6 checksum and hop limit 255 (RFC 4861),
 * the solicited-node group and its multicast MAC (RFC 4291 §2.7.1, RFC 2464
 * §7), Linux's option layout on SYNs, and the checksum verdicts of a received
 * segment: ok, partial (checksum offload on a veth) and bad.
 */
import { describe, expect, it } from 'vitest';
import { TCP_FLAG } from '../../../src-shared/tcp';
import {
  buildFrame,
  checksumVerifies,
  ETH,
  IPV6,
  pseudoHeaderSum,
  foldSum,
  TCP,
} from '../../../src-main/wire';
import {
  buildArp,
  buildNdp,
  ICMPV6,
  multicastMac,
  parseArp,
  parseCidr,
  parseNdp,
  parseTcpFrame,
  segOptions,
  solicitedNode,
  vhostFilter,
  wireOptions,
} from '../../../src-main/vhost';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ARP (RFC 826)', () => {
  it('builds a broadcast request with the Ethernet/IPv4 sizes and parses it back', () => {
    const f = buildArp(
      {
        op: 1,
        senderMac: '02:00:00:00:00:03',
        senderIp: '10.213.1.3',
        targetMac: '00:00:00:00:00:00',
        targetIp: '10.213.1.2',
      },
      '02:00:00:00:00:03',
      'ff:ff:ff:ff:ff:ff',
    );
    expect(f.length).toBe(42);
    expect(hex(f)).toBe(
      'ffffffffffff' +
        '020000000003' +
        '0806' +
        '0001' +
        '0800' +
        '06' +
        '04' +
        '0001' +
        '020000000003' +
        '0ad50103' +
        '000000000000' +
        '0ad50102',
    );
    expect(parseArp(f)).toEqual({
      op: 1,
      senderMac: '02:00:00:00:00:03',
      senderIp: '10.213.1.3',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.213.1.2',
    });
  });

  it('refuses what is not Ethernet/IPv4 ARP', () => {
    const f = buildArp(
      {
        op: 2,
        senderMac: '02:00:00:00:00:03',
        senderIp: '10.0.0.3',
        targetMac: '02:00:00:00:00:02',
        targetIp: '10.0.0.2',
      },
      '02:00:00:00:00:03',
      '02:00:00:00:00:02',
    );
    expect(parseArp(f.subarray(0, 41))).toBeNull();
    const g = f.slice();
    g[ETH.HEADER + 4] = 8; // hardware length 8
    expect(parseArp(g)).toBeNull();
    const h = f.slice();
    h[ETH.HEADER + 7] = 3; // op 3 (RARP)
    expect(parseArp(h)).toBeNull();
  });
});

describe('neighbour discovery (RFC 4861)', () => {
  it('derives the solicited-node group and its MAC (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
    expect(solicitedNode('fe80::2aa:ff:fe28:9c5a')).toBe('ff02::1:ff28:9c5a');
    expect(multicastMac('ff02::1:ff28:9c5a')).toBe('33:33:ff:28:9c:5a');
    expect(multicastMac('ff02::1')).toBe('33:33:00:00:00:01');
  });

  it('builds a solicitation with a valid ICMPv6 checksum, hop limit 255 and the source link-layer option', () => {
    const group = solicitedNode('fd00:7cb:0:1::2');
    const f = buildNdp(
      {
        type: ICMPV6.NS,
        srcIp: 'fd00:7cb:0:1::3',
        dstIp: group,
        srcMac: '02:00:00:00:00:03',
        target: 'fd00:7cb:0:1::2',
        lladdr: '02:00:00:00:00:03',
      },
      multicastMac(group),
    );
    expect(f.length).toBe(14 + 40 + 32);
    expect(hex(f.subarray(0, 6))).toBe('3333ff000002');
    expect(f[ETH.HEADER + IPV6.HOP_LIMIT]).toBe(255);
    const o = ETH.HEADER + IPV6.HEADER;
    expect(
      checksumVerifies(f, o, f.length, pseudoHeaderSum(f, ETH.HEADER + 8, f, ETH.HEADER + 24, 16, 58, 32)),
    ).toBe(true);
    expect(parseNdp(f)).toMatchObject({
      type: 135,
      target: 'fd00:7cb:0:1::2',
      lladdr: '02:00:00:00:00:03',
      hopLimit: 255,
    });
  });

  it('builds a solicited advertisement with the S and O flags and refuses a damaged one', () => {
    const f = buildNdp(
      {
        type: ICMPV6.NA,
        srcIp: 'fd00::3',
        dstIp: 'fd00::2',
        srcMac: '02:00:00:00:00:03',
        target: 'fd00::3',
        lladdr: '02:00:00:00:00:03',
        solicited: true,
        override: true,
      },
      '02:00:00:00:00:02',
    );
    const o = ETH.HEADER + IPV6.HEADER;
    expect(f[o]).toBe(136);
    expect(f[o + 4]).toBe(0x60);
    expect(f[o + 24]).toBe(ICMPV6.OPT_TLLA);
    expect(parseNdp(f)).toMatchObject({
      type: 136,
      solicited: true,
      override: true,
      router: false,
      target: 'fd00::3',
    });
    const bad = f.slice();
    bad[o + 10] ^= 1;
    expect(parseNdp(bad)).toBeNull();
  });
});

describe('TCP receive path', () => {
  const spec = {
    src: '10.213.1.2',
    dst: '10.213.1.3',
    srcPort: 5000,
    dstPort: 40000,
    seq: 0xfffffff0,
    ack: 7,
    flags: TCP_FLAG.ACK | TCP_FLAG.PSH,
    payload: new Uint8Array([1, 2, 3]),
    srcMac: '02:00:00:00:00:02',
    dstMac: '02:00:00:00:00:03',
  };

  it('returns the payload without the Ethernet padding of a short frame', () => {
    const f = buildFrame(spec);
    const padded = new Uint8Array(60);
    padded.set(f);
    const r = parseTcpFrame(padded);
    expect(r?.checksum).toBe('ok');
    expect([...(r?.payload ?? [])]).toEqual([1, 2, 3]);
    expect(r?.packet.seq).toBe(0xfffffff0);
  });

  it("judges a kernel's offloaded checksum partial, and a damaged one bad", () => {
    const f = buildFrame(spec);
    const t = ETH.HEADER + 20;
    const pseudo = pseudoHeaderSum(f, ETH.HEADER + 12, f, ETH.HEADER + 16, 4, 6, f.length - t);
    const partial = f.slice();
    const p = foldSum(pseudo);
    partial[t + TCP.CHECKSUM] = p >> 8;
    partial[t + TCP.CHECKSUM + 1] = p & 0xff;
    expect(parseTcpFrame(partial)?.checksum).toBe('partial');
    const bad = f.slice();
    bad[f.length - 1] ^= 0x55;
    expect(parseTcpFrame(bad)?.checksum).toBe('bad');
  });

  it('lays out SYN options as Linux does and reads them back', () => {
    const syn = wireOptions({ mss: 1460, sackPermitted: true, tsval: 1, tsecr: 0, wscale: 7 }, true);
    expect(syn.map((o) => o.kind)).toEqual(['mss', 'sack-permitted', 'timestamps', 'nop', 'wscale']);
    const f = buildFrame({ ...spec, flags: TCP_FLAG.SYN, payload: undefined, options: syn });
    expect(f.length).toBe(14 + 20 + 40);
    expect(segOptions(parseTcpFrame(f)!.packet.options)).toEqual({
      mss: 1460,
      sackPermitted: true,
      tsval: 1,
      tsecr: 0,
      wscale: 7,
    });
    expect(wireOptions({ tsval: 5, tsecr: 6, sack: [[1, 2]] }, false).map((o) => o.kind)).toEqual([
      'nop',
      'nop',
      'timestamps',
      'nop',
      'nop',
      'sack',
    ]);
  });
});

describe('addresses and filter', () => {
  it('parses CIDR text to canonical addresses', () => {
    expect(parseCidr('10.213.1.3/24')).toEqual({ ip: '10.213.1.3', prefix: 24, version: 4 });
    expect(parseCidr('FD00:07CB:0:1:0:0:0:3/64')).toEqual({ ip: 'fd00:7cb:0:1::3', prefix: 64, version: 6 });
    expect(parseCidr('10.0.0.1').prefix).toBe(32);
    expect(() => parseCidr('10.0.0.1/33')).toThrow(/prefix length/);
    expect(() => parseCidr('10.0.0/24')).toThrow(/not an IPv4 address/);
  });

  it('captures ARP, ICMPv6 and TCP to its own addresses, never its own frames', () => {
    expect(
      vhostFilter('02:00:00:00:00:03', [
        { ip: '10.213.1.3', version: 4 },
        { ip: 'fd00::3', version: 6 },
      ]),
    ).toBe(
      'not ether src 02:00:00:00:00:03 and (arp or (ip and dst host 10.213.1.3 and tcp) or (ip6 and (icmp6 or (dst host fd00::3 and tcp))))',
    );
  });
});
