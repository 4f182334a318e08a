/**
 * Throughput of `Tracker.add()` on a synthetic capture: 1,000,000 segments in
 * 20,000 sessions (handshake, 22 request/ACK pairs, FIN teardown), 200
 * sessions interleaved at a time. Packets are built before timing, so this
 * measures the tracker alone. Not a test: a script that prints figures.
 *   npm run bench -- tracker
 */
import type { TcpPacket } from '../../src-shared/tcp';
import { TCP_FLAG as F } from '../../src-shared/tcp';
import { Tracker } from '../../src-main/tracker';

const SESSIONS = 20_000;
const CONCURRENT = 200;

function sessionPackets(i: number, t0: number): TcpPacket[] {
  const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const b = '192.168.1.10';
  const ap = 10_000 + (i % 50_000);
  const isa = (i * 2_654_435_761) >>> 0; // spread ISNs, some near the wrap
  const isb = (isa ^ 0x5a5a5a5a) >>> 0;
  const out: TcpPacket[] = [];
  let t = t0;
  const seg = (fromA: boolean, flags: number, seq: number, ack: number, len: number): void => {
    t += 0.0001;
    out.push({
      frame: 0,
      time: t,
      ipVersion: 4,
      src: fromA ? a : b,
      dst: fromA ? b : a,
      srcPort: fromA ? ap : 443,
      dstPort: fromA ? 443 : ap,
      seq: seq >>> 0,
      ack: ack >>> 0,
      flags,
      window: 64_240,
      urgent: 0,
      payloadLength: len,
      options: flags & F.SYN ? [{ kind: 'mss', value: 1460 }] : [],
      headerLength: 20,
      checksum: 0,
      checksumOk: true,
    });
  };
  seg(true, F.SYN, isa, 0, 0);
  seg(false, F.SYN | F.ACK, isb, isa + 1, 0);
  seg(true, F.ACK, isa + 1, isb + 1, 0);
  let sa = isa + 1;
  let sb = isb + 1;
  for (let k = 0; k < 22; k++) {
    seg(true, F.PSH | F.ACK, sa, sb, 100);
    sa += 100;
    seg(false, F.PSH | F.ACK, sb, sa, 1000);
    sb += 1000;
  }
  seg(true, F.FIN | F.ACK, sa, sb, 0);
  seg(false, F.FIN | F.ACK, sb, sa + 1, 0);
  seg(true, F.ACK, sa + 1, sb + 1, 0);
  return out;
}

function build(): TcpPacket[] {
  const all: TcpPacket[] = [];
  for (let base = 0; base < SESSIONS; base += CONCURRENT) {
    const group = [];
    for (let i = base; i < base + CONCURRENT; i++) group.push(sessionPackets(i, base));
    for (let k = 0; k < group[0].length; k++) for (const g of group) all.push(g[k]);
  }
  all.forEach((p, i) => (p.frame = i + 1));
  return all.slice(0, 1_000_000);
}

export async function run(): Promise<Record<string, number>> {
  const packets = build();
  const figures: Record<string, number> = {};
  for (const keepSegments of [false, true]) {
    const rates: number[] = [];
    for (let round = 0; round < 3; round++) {
      const tracker = new Tracker({ keepSegments });
      const t0 = process.hrtime.bigint();
      for (const p of packets) tracker.add(p, 54 + p.payloadLength);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      rates.push((packets.length / ms) * 1000);
      console.log(
        `tracker keepSegments=${keepSegments} round ${round}: ${packets.length} packets, ${tracker.sessionCount} sessions ` +
          `in ${ms.toFixed(0)} ms = ${rates[rates.length - 1].toFixed(0)} packets/s`,
      );
    }
    rates.sort((x, y) => x - y);
    figures[`tracker_pps_keepSegments_${keepSegments}_median`] = Math.round(rates[1]);
    console.log(`tracker keepSegments=${keepSegments}: median ${Math.round(rates[1])} packets/s`);
  }
  return figures;
}
