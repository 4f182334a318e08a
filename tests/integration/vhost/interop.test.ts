/**
 * Interoperability of the engine with the Linux kernel (issue 7): a virtual
 * host on the root-side end of a lab network's veth pair (an address no
 * kernel owns, its own MAC, ARP and neighbour discovery answered by the
 * virtual host) against real kernel sockets inside the lab namespace. Every
 * cell of the matrix is one test, run for IPv4 and IPv6: both directions of
 * the handshake, data both ways larger than one MSS with the negotiated MSS
 * on the wire, graceful close started by either side, simultaneous close
 * (netem delay makes the FINs cross), RST both ways, the kernel's challenge
 * ACK (RFC 5961 §3.2) for an in-window inexact RST, a refused port, and
 * recovery under 10 % netem loss with every byte delivered exactly once.
 * The namespace and veth pair are created here and always removed. Needs
 * root (CAP_NET_ADMIN and CAP_NET_RAW): skipped otherwise, failed on CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes, type SegmentEvent, type Socket } from '../../../src-main/engine';
import {
  bare,
  LabNetError,
  labnetDown,
  labnetUp,
  setNetem,
  type LabNetwork,
  type NetemOptions,
} from '../../../src-main/labnet';
import { VirtualHost, type InferredStateEvent, type VListener } from '../../../src-main/vhost';
import { isRoot, requireRootOnCi, until } from '../capture/root';
import { KernelPeer, type PeerEvent } from './kernel-peer';

const canRun = isRoot && process.platform === 'linux';
const SKIP =
  'needs root on Linux (network namespaces need CAP_NET_ADMIN, raw frames CAP_NET_RAW): run with sudo';
requireRootOnCi();
if (!canRun) it.skip(`vhost interop suite skipped: ${SKIP}`, () => {});

type V = 4 | 6;

describe.skipIf(!canRun)(
  'virtual host ↔ Linux kernel over a veth pair (root)',
  () => {
    let lab: LabNetwork;
    let vh: VirtualHost;
    let peer: KernelPeer;
    let portSeq = 21000 + Math.floor(Math.random() * 1000) * 20;
    const nextPort = (): number => portSeq++;

    beforeAll(async () => {
      lab = labnetUp();
      try {
        peer = new KernelPeer(lab.ns);
        vh = new VirtualHost({
          iface: lab.hostIf,
          addresses: [lab.vhost.ipv4, lab.vhost.ipv6],
          mac: '02:7c:b0:00:00:03',
        });
        await vh.start();
        await until(() => peer.find((e) => e.ev === 'ready'), 5000);
      } catch (e) {
        await vh?.stop();
        peer?.stop();
        labnetDown(lab.index);
        throw e;
      }
    }, 20_000);

    afterAll(async () => {
      await vh?.stop();
      peer?.stop();
      if (lab) labnetDown(lab.index);
    });

    /** Where the impairment came from: `tc netem` on both veth ends, or the virtual host (a kernel without sch_netem). */
    let impairedBy: 'netem' | 'vhost' | null = null;
    function impair(o: NetemOptions): void {
      try {
        setNetem(lab, o);
        impairedBy = 'netem';
      } catch (e) {
        if (!(e instanceof LabNetError && e.code === 'netem-missing')) throw e;
        vh.setImpairment({ ...o, seed: 7 });
        impairedBy = 'vhost';
      }
    }
    function unimpair(): void {
      if (impairedBy === 'netem') setNetem(lab, {});
      else vh.setImpairment(null);
      impairedBy = null;
    }

    const peerIp = (v: V): string => bare(v === 4 ? lab.peer.ipv4 : lab.peer.ipv6);
    const vhIp = (v: V): string => bare(v === 4 ? lab.vhost.ipv4 : lab.vhost.ipv6);
    const mss = (v: V): number => (v === 4 ? 1460 : 1440);

    /** Segment events of the connection of `s`, in order. */
    const segs = (s: Socket): SegmentEvent[] => {
      const lp = s.tcb.ends.localPort;
      const rp = s.tcb.ends.remotePort;
      const peerName = s.tcb.ends.remoteHost;
      return vh.events.filter(
        (e): e is SegmentEvent =>
          e.type === 'segment' &&
          ((e.from === 'vhost' && e.sport === lp && e.dport === rp && e.to === peerName) ||
            (e.to === 'vhost' && e.dport === lp && e.sport === rp && e.from === peerName)),
      );
    };
    const vhStates = (s: Socket): string[] =>
      vh.events
        .filter((e) => e.type === 'state' && !('inferred' in e) && e.conn === s.conn)
        .map((e) => (e as InferredStateEvent).to);
    const kernelStates = (s: Socket): string[] =>
      vh.events
        .filter(
          (e): e is InferredStateEvent =>
            e.type === 'state' && 'inferred' in e && e.conn.endsWith(`-vhost:${s.tcb.ends.localPort}`),
        )
        .map((e) => e.to);
    const peerEvent = (pred: (e: PeerEvent) => boolean, ms = 5000): Promise<PeerEvent> =>
      until(() => peer.find(pred), ms);

    async function kernelServer(port: number): Promise<void> {
      const id = peer.send({ op: 'listen', port, host: '::' });
      await peerEvent((e) => e.id === id && (e.ev === 'listening' || e.ev === 'fail'));
    }

    /** Virtual client → kernel server: returns our socket and the kernel's socket id. */
    async function vConnect(v: V, port = nextPort()): Promise<{ s: Socket; sid: number }> {
      await kernelServer(port);
      const s = vh.connect(peerIp(v), port);
      await until(() => s.state === 'ESTABLISHED', 5000);
      const acc = await peerEvent(
        (e) => e.ev === 'accept' && e.port === port && e.remotePort === s.tcb.ends.localPort,
      );
      return { s, sid: acc.sid as number };
    }

    /** Kernel client → virtual server. */
    async function kConnect(v: V, port = nextPort()): Promise<{ s: Socket; sid: number; l: VListener }> {
      const l = vh.listen(port);
      const id = peer.send({ op: 'connect', host: vhIp(v), port });
      const c = await peerEvent((e) => e.id === id && e.ev === 'connect');
      const s = await until(() => l.accepted.find((x) => x.tcb.ends.remotePort === c.localPort), 5000);
      await until(() => s.state === 'ESTABLISHED');
      return { s, sid: c.sid as number, l };
    }

    const dataSegs = (s: Socket, fromVhost: boolean): SegmentEvent[] =>
      segs(s).filter((e) => e.len > 0 && (e.from === 'vhost') === fromVhost);

    describe.each([{ v: 4 as V }, { v: 6 as V }])('IPv$v', ({ v }) => {
      it('virtual client → kernel server: handshake, MSS negotiated, no stray RST', async () => {
        const { s } = await vConnect(v);
        expect(vhStates(s)).toEqual(['SYN-SENT', 'ESTABLISHED']);
        const [syn, synAck, ack] = segs(s);
        expect(syn.flags).toEqual(['SYN']);
        expect(syn.options.mss).toBe(mss(v));
        expect(synAck.flags).toEqual(['SYN', 'ACK']);
        expect(synAck.options.mss).toBe(mss(v));
        expect(ack.flags).toEqual(['ACK']);
        await until(() => kernelStates(s).at(-1) === 'ESTABLISHED');
        expect(segs(s).some((e) => e.flags.includes('RST'))).toBe(false);
        s.abort();
      });

      it('kernel client → virtual server: handshake', async () => {
        const { s, l } = await kConnect(v);
        expect(vhStates(s)).toContain('SYN-RECEIVED');
        expect(vhStates(s).at(-1)).toBe('ESTABLISHED');
        expect(segs(s).map((e) => e.flags.join(','))).toEqual(['SYN', 'SYN,ACK', 'ACK']);
        expect(segs(s)[1].options.mss).toBe(mss(v));
        await until(() => kernelStates(s).at(-1) === 'ESTABLISHED');
        expect(kernelStates(s)[0]).toBe('SYN-SENT');
        s.abort();
        l.close();
      });

      for (const opener of ['virtual client', 'kernel client'] as const) {
        it(`data both ways larger than one MSS (${opener}): segmented to the negotiated MSS`, async () => {
          const c = opener === 'virtual client' ? await vConnect(v) : await kConnect(v);
          const N = 20_000;
          c.s.send(N);
          peer.send({ op: 'write', sid: c.sid, n: N });
          await until(() => c.s.bytesRead >= N, 10_000);
          const got = await peerEvent((e) => e.ev === 'data' && e.sid === c.sid && e.total === N, 10_000);
          expect(got.ok).toBe(true);
          expect(c.s.bytesRead).toBe(N);
          expect(Buffer.from(c.s.data()).equals(Buffer.from(patternBytes(0, N)))).toBe(true);
          // Timestamps take 12 bytes of every segment: payload per segment is MSS − 12.
          const out = dataSegs(c.s, true);
          const inc = dataSegs(c.s, false);
          expect(out.length).toBeGreaterThan(N / (mss(v) - 12) - 1);
          expect(Math.max(...out.map((e) => e.len))).toBe(mss(v) - 12);
          expect(inc.length).toBeGreaterThan(1);
          expect(Math.max(...inc.map((e) => e.len))).toBe(mss(v) - 12);
          c.s.abort();
          if ('l' in c) (c.l as VListener).close();
        });
      }

      it('graceful close started by the virtual host', async () => {
        const { s, sid } = await vConnect(v);
        s.close();
        await peerEvent((e) => e.ev === 'end' && e.sid === sid);
        await until(() => s.state === 'FIN-WAIT-2');
        peer.send({ op: 'end', sid });
        await until(() => s.state === 'TIME-WAIT');
        await peerEvent((e) => e.ev === 'close' && e.sid === sid);
        expect(vhStates(s)).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT']);
        await until(() => kernelStates(s).at(-1) === 'CLOSED');
        expect(kernelStates(s).slice(-4)).toEqual(['ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
      });

      it('graceful close started by the kernel', async () => {
        const { s, sid } = await kConnect(v);
        peer.send({ op: 'end', sid });
        await until(() => s.eof && s.state === 'CLOSE-WAIT');
        s.close();
        await until(() => s.state === 'CLOSED');
        await peerEvent((e) => e.ev === 'close' && e.sid === sid);
        expect(vhStates(s).slice(-4)).toEqual(['ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
        await until(() => kernelStates(s).at(-1) === 'TIME-WAIT');
        expect(kernelStates(s)).toContain('FIN-WAIT-1');
      });

      it('simultaneous close: the FINs cross (40 ms delay each way)', async () => {
        impair({ delayMs: 40 });
        try {
          const { s, sid } = await vConnect(v);
          peer.send({ op: 'end', sid });
          s.close();
          await until(() => s.state === 'TIME-WAIT', 5000);
          expect(vhStates(s)).toEqual(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'CLOSING', 'TIME-WAIT']);
          await peerEvent((e) => e.ev === 'close' && e.sid === sid);
          // Both FINs left before either side saw the other's.
          const fins = segs(s).filter((e) => e.flags.includes('FIN'));
          expect(fins).toHaveLength(2);
          const theirs = fins.find((e) => e.from !== 'vhost') as SegmentEvent;
          const ours = fins.find((e) => e.from === 'vhost') as SegmentEvent;
          expect(theirs.ack).toBe(ours.seq); // the kernel's FIN does not acknowledge ours
        } finally {
          unimpair();
        }
      });

      it('RST from the virtual host resets the kernel socket (ECONNRESET)', async () => {
        const { s, sid } = await vConnect(v);
        s.abort();
        const rst = segs(s).at(-1) as SegmentEvent;
        expect(rst.flags).toContain('RST');
        await peerEvent((e) => e.ev === 'error' && e.sid === sid);
        expect(peer.find((e) => e.ev === 'error' && e.sid === sid)?.code).toBe('ECONNRESET');
        expect(vhStates(s).at(-1)).toBe('CLOSED');
        await until(() => kernelStates(s).at(-1) === 'CLOSED');
      });

      it('RST from the kernel resets the virtual socket (ECONNRESET)', async () => {
        const { s, sid } = await kConnect(v);
        peer.send({ op: 'reset', sid });
        await until(() => s.error !== null, 5000);
        expect(s.error).toBe('ECONNRESET');
        expect(s.state).toBe('CLOSED');
        expect(segs(s).at(-1)?.flags).toContain('RST');
      });

      it("in-window inexact RST from the engine draws the kernel's challenge ACK (RFC 5961 §3.2)", async () => {
        const { s, sid } = await vConnect(v);
        const inj = vh.inject({ socket: s, flags: ['RST'], seqMode: 'in-window' });
        expect(inj.seq).not.toBe(s.tcb.sndNxt);
        const ca = await until(() => segs(s).find((e) => e.id > inj.id && e.from !== 'vhost'), 3000);
        expect(ca.flags).toEqual(['ACK']);
        expect(ca.seq).toBe(s.tcb.rcvNxt);
        expect(ca.ack).toBe(s.tcb.sndNxt);
        expect(ca.explain.rule).toBe('challenge-ack');
        // The connection lives on.
        peer.send({ op: 'write', sid, n: 100 });
        await until(() => s.bytesRead === 100);
        expect(peer.find((e) => e.ev === 'error' && e.sid === sid)).toBeUndefined();
        expect(s.state).toBe('ESTABLISHED');
        s.abort();
      });

      it('virtual client → closed kernel port: RST, ECONNREFUSED', async () => {
        const s = vh.connect(peerIp(v), nextPort());
        await until(() => s.error !== null, 5000);
        expect(s.error).toBe('ECONNREFUSED');
        expect(segs(s).map((e) => e.flags.join(','))).toEqual(['SYN', 'RST,ACK']);
      });

      it('recovery under 10 % loss each way: every byte arrives once, in order', async () => {
        impair({ lossPct: 10 });
        try {
          const { s, sid } = await vConnect(v);
          const N = 60_000;
          s.send(N);
          peer.send({ op: 'write', sid, n: N });
          await until(() => s.bytesRead >= N, 30_000);
          const got = await peerEvent((e) => e.ev === 'data' && e.sid === sid && (e.total ?? 0) >= N, 30_000);
          expect(got.total).toBe(N);
          expect(got.ok).toBe(true);
          expect(s.bytesRead).toBe(N);
          expect(Buffer.from(s.data()).equals(Buffer.from(patternBytes(0, N)))).toBe(true);
          const retransmits = segs(s).filter(
            (e) => e.explain.rule.includes('retransmit') || e.explain.text.includes('retransmission'),
          );
          expect(retransmits.length).toBeGreaterThan(0);
          s.close();
          peer.send({ op: 'end', sid });
          await until(() => s.state === 'TIME-WAIT' || s.state === 'CLOSED', 20_000);
        } finally {
          unimpair();
        }
      }, 60_000);
    });
  },
  30_000,
);
