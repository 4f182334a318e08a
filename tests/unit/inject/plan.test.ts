/**
 * Injection planning without a network: the sequence number each choice
 * gives (exact, in-window, out-of-window, offsets, across the 2^32 wrap),
 * the flags and ACK each segment carries, the RFC sentence, the frame bytes
 * (decoded back with the wire decoder), the numbers the flow book infers
 * from captured packets, session parsing, and the policy's refusals.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../src-main/wire';
import { TCP_FLAG, type TcpPacket } from '../../../src-shared/tcp';
import {
  FlowBook,
  InjectionPolicy,
  InjectionRefused,
  OUT_OF_WINDOW,
  parseSeqChoice,
  parseSession,
  planInjection,
  PlanError,
  sessionFilter,
} from '../../../src-main/inject';

const a = { ip: '127.0.0.1', port: 40000 };
const b = { ip: '127.0.0.1', port: 8080 };
const lo = { linkType: 1, srcMac: '00:00:00:00:00:00', dstMac: '00:00:00:00:00:00' };
const numbers = { rcvNxt: 0xffff_fffe, sndNxt: 1000, window: 512, tsval: 7, tsecr: 9 };

function decoded(frame: Uint8Array): TcpPacket {
  const d = decodeFrame(1, frame, 1, 0);
  if (d.kind !== 'tcp') throw new Error(`not TCP: ${JSON.stringify(d)}`);
  return d.packet;
}

describe('planInjection', () => {
  it("an exact RST carries RCV.NXT and the receiver's SND.NXT, with a valid checksum", () => {
    const p = planInjection({
      from: a,
      to: b,
      flag: 'rst',
      seq: 'exact',
      numbers,
      link: lo,
      fromName: 'A',
      toName: 'B',
    });
    expect(p.segment.seq).toBe(0xffff_fffe);
    expect(p.segment.flagsText).toBe('RST, ACK');
    expect(p.expect).toBe('reset');
    expect(p.explain).toMatch(
      /^An RST whose sequence number equals B's RCV.NXT \(4294967294\) resets the connection \(RFC 5961 §3.2/,
    );
    const pkt = decoded(p.frame);
    expect(pkt).toMatchObject({
      src: a.ip,
      srcPort: a.port,
      dst: b.ip,
      dstPort: b.port,
      seq: 0xffff_fffe,
      ack: 1000,
    });
    expect(pkt.checksumOk).toBe(true);
  });

  it('offsets wrap mod 2^32 and choose the expected reaction', () => {
    const inWin = planInjection({ from: a, to: b, flag: 'rst', seq: 'in-window', numbers, link: lo });
    expect(inWin.segment.seq).toBe(0xffff_ffff);
    expect(inWin.expect).toBe('challenge-ack');
    const off3 = planInjection({ from: a, to: b, flag: 'rst', seq: 3, numbers, link: lo });
    expect(off3.segment.seq).toBe(1);
    const oow = planInjection({ from: a, to: b, flag: 'rst', seq: 'out-of-window', numbers, link: lo });
    expect(oow.segment.seq).toBe((0xffff_fffe + OUT_OF_WINDOW) % 2 ** 32);
    expect(oow.expect).toBe('dropped');
  });

  it('a RST without a known SND.NXT goes out without ACK', () => {
    const p = planInjection({
      from: a,
      to: b,
      flag: 'rst',
      seq: 'exact',
      numbers: { ...numbers, sndNxt: null },
      link: lo,
    });
    expect(p.segment.flags).toBe(TCP_FLAG.RST);
  });

  it('a FIN needs SND.NXT, carries ACK and the timestamps, and expects to be acknowledged', () => {
    const p = planInjection({ from: a, to: b, flag: 'fin', seq: 'exact', numbers, link: lo });
    expect(p.segment.flagsText).toBe('FIN, ACK');
    expect(p.expect).toBe('fin-acked');
    const pkt = decoded(p.frame);
    expect(pkt.options).toContainEqual({ kind: 'timestamps', tsval: 7, tsecr: 9 });
    expect(() =>
      planInjection({
        from: a,
        to: b,
        flag: 'fin',
        seq: 'exact',
        numbers: { ...numbers, sndNxt: null },
        link: lo,
      }),
    ).toThrow(PlanError);
  });

  it('a SYN expects a challenge ACK (RFC 5961 §4.2)', () => {
    const p = planInjection({ from: a, to: b, flag: 'syn', seq: 'exact', numbers, link: lo });
    expect(p.segment.flags).toBe(TCP_FLAG.SYN);
    expect(p.expect).toBe('challenge-ack');
    expect(p.explain).toMatch(/RFC 5961 §4.2/);
  });

  it('refuses to plan without RCV.NXT', () => {
    expect(() =>
      planInjection({
        from: a,
        to: b,
        flag: 'rst',
        seq: 'exact',
        numbers: { ...numbers, rcvNxt: null },
        link: lo,
      }),
    ).toThrow(/RCV.NXT is not known yet/);
  });

  it('parses --seq values', () => {
    expect(parseSeqChoice('exact')).toBe('exact');
    expect(parseSeqChoice('+5')).toBe(5);
    expect(parseSeqChoice('-2')).toBe(-2);
    expect(() => parseSeqChoice('soon')).toThrow(PlanError);
  });
});

describe('FlowBook', () => {
  const pkt = (over: Partial<TcpPacket>): TcpPacket => ({
    frame: 1,
    time: 1,
    ipVersion: 4,
    src: a.ip,
    dst: b.ip,
    srcPort: a.port,
    dstPort: b.port,
    seq: 0,
    ack: 0,
    flags: TCP_FLAG.ACK,
    window: 100,
    urgent: 0,
    payloadLength: 0,
    options: [],
    headerLength: 20,
    checksum: 0,
    checksumOk: true,
    ...over,
  });

  it('infers RCV.NXT and SND.NXT from both directions, across the wrap', () => {
    const book = new FlowBook();
    book.add(pkt({ seq: 0xffff_fff0, flags: TCP_FLAG.SYN }));
    book.add(
      pkt({
        src: b.ip,
        srcPort: b.port,
        dst: a.ip,
        dstPort: a.port,
        seq: 500,
        ack: 0xffff_fff1,
        flags: TCP_FLAG.SYN | TCP_FLAG.ACK,
      }),
    );
    book.add(
      pkt({
        seq: 0xffff_fff1,
        ack: 501,
        payloadLength: 32,
        options: [{ kind: 'timestamps', tsval: 11, tsecr: 0 }],
      }),
    );
    const toB = book.numbersToward(a, b)!;
    expect(toB.rcvNxt).toBe(0x11);
    expect(toB.sndNxt).toBe(501);
    expect(toB.tsval).toBe(11);
    const toA = book.numbersToward(b, a)!;
    expect(toA.rcvNxt).toBe(501);
    expect(toA.sndNxt).toBe(0x11);
  });

  it('ignores RST segments for the numbers', () => {
    const book = new FlowBook();
    book.add(pkt({ seq: 10, payloadLength: 5 }));
    book.add(pkt({ seq: 9999, flags: TCP_FLAG.RST }));
    expect(book.numbersToward(a, b)!.rcvNxt).toBe(15);
    expect(book.get(a, b)!.sawRst).toBe(true);
  });
});

describe('sessions and policy', () => {
  it('parses sessions and builds their filter', () => {
    expect(parseSession('10.0.0.1:80-10.0.0.2:5000')).toEqual({
      a: { ip: '10.0.0.1', port: 80 },
      b: { ip: '10.0.0.2', port: 5000 },
    });
    expect(parseSession('[::1]:80-[::1]:5000').b).toEqual({ ip: '::1', port: 5000 });
    expect(() => parseSession('10.0.0.1-10.0.0.2')).toThrow(/A_IP:A_PORT-B_IP:B_PORT/);
    expect(sessionFilter(parseSession('10.0.0.1:80-10.0.0.2:5000'))).toBe(
      'tcp and ((src host 10.0.0.1 and src port 80 and dst host 10.0.0.2 and dst port 5000) or ' +
        '(src host 10.0.0.2 and src port 5000 and dst host 10.0.0.1 and dst port 80))',
    );
  });

  it('allows lo and lab links only, seen sessions only, confirmed only', () => {
    const policy = new InjectionPolicy();
    const ok = { iface: 'lo', session: 's', seenInCapture: true, confirm: true };
    expect(() => policy.check(ok)).not.toThrow();
    expect(() => policy.check({ ...ok, iface: 'tcplab1234' })).not.toThrow();
    expect(() => policy.check({ ...ok, iface: 'eth0' })).toThrow(/Injection on eth0 is not allowed/);
    expect(() => policy.check({ ...ok, seenInCapture: false })).toThrow(
      /has not been seen in the current capture/,
    );
    expect(() => policy.check({ ...ok, confirm: false })).toThrow(InjectionRefused);
    expect(policy.entries.filter((e) => e.action === 'refused')).toHaveLength(3);
  });
});
