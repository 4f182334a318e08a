/**
 * Injection into a real session under a live capture: checks the policy,
 * takes the numbers from the capture (FlowBook) or, when the session is idle
 * and they are unknown, learns them as killcx does — a SYN toward the receiver
 * draws a challenge ACK (RFC 5961 §4.2) whose SEQ and ACK are its SND.NXT and
 * RCV.NXT — then plans the segment (plan.ts), sends it through the capture
 * helper, audits it, and watches the capture for the receiver's reaction:
 * an RST (`reset`), a pure ACK (`challenge-ack`, or `fin-acked` when it
 * acknowledges an injected FIN), or nothing (`none`). Linux answers a valid
 * RST with silence, so after an exact RST with no reaction a probe — an ACK
 * far outside the window, in both SEQ and ACK so no answer can hurt the
 * other side — tells the two apart: a live socket answers with a duplicate
 * ACK, a reset one with an RST (or, on loopback, with silence: a segment
 * injected there reaches only an existing socket, through early demux,
 * since 127/8 is martian on input unless route_localnet is set). Challenge ACKs are rate-limited per socket
 * (Linux: net.ipv4.tcp_invalid_ratelimit, 500 ms), so a follow-up that needs
 * an answer waits that long after the last one. `runInject` is the core of
 * `tcplab inject`: it opens its own capture and never prints or exits.
 */
import { randomInt } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { seqAdd } from '../../src-shared/seqnum';
import { flagsLabel, TCP_FLAG, type TcpPacket } from '../../src-shared/tcp';
import type { Endpoint } from '../../src-shared/session';
import { buildFrame } from '../wire';
import { LiveCapture, type LivePacket } from '../capture/live-capture';
import type { HelperClientOptions } from '../capture/helper-client';
import { FlowBook, endpointKey, type LinkTemplate, type TowardNumbers } from './flow-book';
import { linkTemplateFor } from './link-lookup';
import {
  OUT_OF_WINDOW,
  PlanError,
  planInjection,
  type InjectFlag,
  type PlannedSegment,
  type SeqChoice,
} from './plan';
import { InjectionPolicy, InjectionRefused } from './policy';

export type Reaction = 'reset' | 'challenge-ack' | 'fin-acked' | 'none';
export type NumbersMethod = 'tracked' | 'learned-by-syn' | 'waited-for-traffic';

export interface SessionSpec {
  a: Endpoint;
  b: Endpoint;
}

/** Parses "A_IP:A_PORT-B_IP:B_PORT" (IPv6 in brackets: "[::1]:80-[::1]:5000"). */
export function parseSession(text: string): SessionSpec {
  const ep = '(\\[[0-9a-fA-F:.]+\\]|[0-9.]+):(\\d{1,5})';
  const m = new RegExp(`^${ep}-${ep}$`).exec(text.trim());
  if (!m) {
    throw new PlanError(
      `session "${text}" is not A_IP:A_PORT-B_IP:B_PORT (IPv6 in brackets, e.g. [::1]:80-[::1]:5000)`,
    );
  }
  const mk = (ip: string, port: string): Endpoint => {
    const p = Number(port);
    if (p < 1 || p > 65535) throw new PlanError(`port ${port} in "${text}" is not 1-65535`);
    return { ip: ip.replace(/^\[|\]$/g, ''), port: p };
  };
  return { a: mk(m[1], m[2]), b: mk(m[3], m[4]) };
}

/** A BPF filter that matches exactly the two directions of a session. */
export function sessionFilter(s: SessionSpec): string {
  const dir = (x: Endpoint, y: Endpoint): string =>
    `(src host ${x.ip} and src port ${x.port} and dst host ${y.ip} and dst port ${y.port})`;
  return `tcp and (${dir(s.a, s.b)} or ${dir(s.b, s.a)})`;
}

export interface ObservedSegment {
  dir: 'ab' | 'ba';
  flags: string;
  seq: number;
  ack: number;
  len: number;
  time: number;
}

export interface SentSegment extends PlannedSegment {
  bytes: number;
}

export interface InjectResult {
  sent: SentSegment;
  method: NumbersMethod;
  reaction: Reaction;
  explain: string;
  /** The sentence about what was seen (and how). */
  observedText: string;
  /** The receiver's segments after the injection. */
  observed: ObservedSegment[];
  /** The learning SYN and the out-of-window probe, when they were sent. */
  learnedWith?: SentSegment;
  probe?: SentSegment & { answer: 'rst' | 'ack' | 'none' };
}

export interface InjectRequest {
  session: SessionSpec;
  flag: InjectFlag;
  /** The receiver: 'b' means the segment pretends to come from a and goes to b. */
  toward: 'a' | 'b';
  seq?: SeqChoice;
  confirm: boolean;
  /** How long to watch for the reaction (default 2000 ms). */
  timeoutMs?: number;
  /** When numbers are unknown: provoke a challenge ACK ('syn', default), or wait for traffic ('wait'). */
  learn?: 'syn' | 'wait';
  /** Confirm a silent exact RST with an out-of-window probe (default true). */
  probe?: boolean;
}

const CHALLENGE_GAP_MS = 600;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sameEndpoint(p: TcpPacket, src: Endpoint, dst: Endpoint): boolean {
  return p.src === src.ip && p.srcPort === src.port && p.dst === dst.ip && p.dstPort === dst.port;
}

function segKey(
  src: string,
  srcPort: number,
  dst: string,
  dstPort: number,
  seq: number,
  flags: number,
): string {
  return `${src}|${srcPort}|${dst}|${dstPort}|${seq}|${flags}`;
}

export class Injector {
  readonly book = new FlowBook();
  private readonly injected = new Set<string>();
  private readonly unsubscribe: () => void;
  /** Last time (ms) each receiver answered one of our segments with a pure ACK (challenge-ACK rate limit). */
  private readonly lastAckFrom = new Map<string, number>();

  constructor(
    readonly capture: LiveCapture,
    readonly policy: InjectionPolicy,
  ) {
    this.unsubscribe = capture.onPacket((lp) => this.onPacket(lp));
  }

  private onPacket(lp: LivePacket): void {
    const p = lp.packet;
    // Our own injected segments come back on lo: they must not move the numbers.
    if (this.injected.has(segKey(p.src, p.srcPort, p.dst, p.dstPort, p.seq, p.flags))) return;
    this.book.add(p, lp.frame.linkType, lp.frame.data, lp.sessionId);
  }

  /** Notes that `p` answered one of our segments (a challenge or duplicate ACK starts the rate-limit clock). */
  private noteAnswers(answers: TcpPacket[]): void {
    for (const p of answers) {
      if (p.payloadLength === 0 && (p.flags & ~TCP_FLAG.PSH) === TCP_FLAG.ACK) {
        this.lastAckFrom.set(endpointKey({ ip: p.src, port: p.srcPort }), Date.now());
      }
    }
  }

  /** Whether a captured packet is one this injector sent (so the ladder can mark it). */
  isInjected(p: TcpPacket): boolean {
    return this.injected.has(segKey(p.src, p.srcPort, p.dst, p.dstPort, p.seq, p.flags));
  }

  dispose(): void {
    this.unsubscribe();
  }

  /** Collects packets from `from` to `to` until `stop` says so or `ms` pass. */
  private watch(
    from: Endpoint,
    to: Endpoint,
    ms: number,
    stop: (p: TcpPacket) => boolean,
  ): { result: Promise<TcpPacket[]>; cancel: () => void } {
    const seen: TcpPacket[] = [];
    let finish!: () => void;
    const result = new Promise<TcpPacket[]>((resolve) => {
      const t = setTimeout(() => finish(), ms);
      const un = this.capture.onPacket((lp) => {
        const p = lp.packet;
        if (!sameEndpoint(p, from, to)) return;
        seen.push(p);
        if (stop(p)) finish();
      });
      finish = () => {
        clearTimeout(t);
        un();
        resolve(seen);
      };
    });
    return { result, cancel: () => finish() };
  }

  private async sendSegment(
    seg: Omit<PlannedSegment, 'flagsText' | 'offset' | 'rcvNxt'>,
    link: LinkTemplate,
  ) {
    const frame = buildFrame({
      linkType: link.linkType,
      src: seg.src,
      dst: seg.dst,
      srcPort: seg.srcPort,
      dstPort: seg.dstPort,
      seq: seg.seq,
      ack: seg.ack,
      flags: seg.flags,
      window: seg.window,
      options: seg.options,
      srcMac: link.srcMac ?? '00:00:00:00:00:00',
      dstMac: link.dstMac ?? '00:00:00:00:00:00',
      vlans: link.vlans,
    });
    return this.sendFrame(frame, seg);
  }

  private async sendFrame(
    frame: Uint8Array,
    seg: { src: string; srcPort: number; dst: string; dstPort: number; seq: number; flags: number },
  ) {
    this.injected.add(segKey(seg.src, seg.srcPort, seg.dst, seg.dstPort, seg.seq, seg.flags));
    return (await this.capture.send(frame)).bytes;
  }

  /** Waits until the receiver's challenge-ACK rate limit has surely passed. */
  private async respectRateLimit(receiver: Endpoint): Promise<void> {
    const last = this.lastAckFrom.get(endpointKey(receiver));
    if (last === undefined) return;
    const wait = last + CHALLENGE_GAP_MS - Date.now();
    if (wait > 0) await sleep(wait);
  }

  private link(from: Endpoint, to: Endpoint, numbers: TowardNumbers | undefined): LinkTemplate {
    const link =
      numbers?.link ?? linkTemplateFor(this.capture.opened!.iface, this.capture.opened!.linkType, to.ip);
    if (!link) {
      throw new PlanError(
        `The link-layer addresses toward ${endpointKey(to)} are unknown: wait for a segment of this session ` +
          'to pass so they can be copied.',
      );
    }
    return link;
  }

  /**
   * Learns the receiver's SND.NXT and RCV.NXT with a SYN (killcx): returns the
   * numbers from its challenge ACK. Refuses when the answer shows there is no
   * such connection (SYN-ACK: cleaned up with an RST; RST; silence).
   */
  private async learn(
    from: Endpoint,
    to: Endpoint,
    sessionText: string,
  ): Promise<{ numbers: TowardNumbers; sent: SentSegment }> {
    await this.respectRateLimit(to);
    const link = this.link(from, to, this.book.numbersToward(from, to));
    // A fresh ISN-like number per SYN (Date.now() times a constant lost its low bits to float rounding).
    const seq = randomInt(0, 0x1_0000_0000);
    const seg = {
      src: from.ip,
      dst: to.ip,
      srcPort: from.port,
      dstPort: to.port,
      seq,
      ack: 0,
      flags: TCP_FLAG.SYN,
      window: 65535,
      options: [],
    };
    let sent!: SentSegment;
    let answers: TcpPacket[] = [];
    // Twice at most: a challenge ACK sent by another process (an earlier `tcplab inject`) in the last
    // 500 ms silences the first SYN (net.ipv4.tcp_invalid_ratelimit).
    for (let attempt = 0; attempt < 2 && answers.length === 0; attempt++) {
      if (attempt > 0) await sleep(CHALLENGE_GAP_MS);
      const w = this.watch(to, from, 1500, () => true);
      const bytes = await this.sendSegment(seg, link);
      sent = { ...seg, flagsText: 'SYN', offset: 0, rcvNxt: 0, bytes };
      this.policy.record({
        iface: this.capture.opened!.iface,
        session: sessionText,
        action: 'learn-syn',
        segment: sent,
      });
      answers = await w.result;
    }
    this.noteAnswers(answers);
    const a = answers[0];
    const notThere = `Session ${sessionText} does not exist on ${this.capture.opened!.iface}`;
    if (!a)
      throw new InjectionRefused(
        `${notThere}, or ${endpointKey(to)} did not answer two learning SYNs within 1.5 s each.`,
      );
    if (a.flags & TCP_FLAG.RST)
      throw new InjectionRefused(`${notThere}: ${endpointKey(to)} answered the learning SYN with RST.`);
    if ((a.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK)) {
      // A listener took it as a new connection: close that at once.
      await this.sendSegment({ ...seg, seq: seqAdd(seq, 1), flags: TCP_FLAG.RST, options: [] }, link);
      throw new InjectionRefused(
        `${notThere}: ${endpointKey(to)} answered the learning SYN with SYN-ACK (a listener, no connection).`,
      );
    }
    const ts = a.options.find((o) => o.kind === 'timestamps');
    const known = this.book.numbersToward(from, to);
    return {
      sent,
      numbers: {
        from,
        to,
        rcvNxt: a.ack,
        sndNxt: a.seq,
        window: known?.window ?? null,
        tsval: ts && ts.kind === 'timestamps' ? ts.tsecr : null,
        tsecr: ts && ts.kind === 'timestamps' ? ts.tsval : null,
        link,
        lastTime: a.time,
      },
    };
  }

  async inject(r: InjectRequest): Promise<InjectResult> {
    const iface = this.capture.opened?.iface;
    if (!iface || !this.capture.isRunning) throw new InjectionRefused('Start a capture before injecting.');
    const sessionText = `${endpointKey(r.session.a)}-${endpointKey(r.session.b)}`;
    const [from, to] = r.toward === 'b' ? [r.session.a, r.session.b] : [r.session.b, r.session.a];
    const [fromName, toName] = r.toward === 'b' ? ['A', 'B'] : ['B', 'A'];
    const choice = r.seq ?? 'exact';
    const timeoutMs = r.timeoutMs ?? 2000;
    let numbers = this.book.numbersToward(from, to);
    const needsAck = r.flag === 'fin';
    let method: NumbersMethod = 'tracked';
    let learnedWith: SentSegment | undefined;
    const known = (n: TowardNumbers | undefined): boolean =>
      !!n && n.rcvNxt !== null && (!needsAck || n.sndNxt !== null);
    if (!known(numbers)) {
      if (r.learn === 'wait') {
        method = 'waited-for-traffic';
        const w = this.watch(to, from, timeoutMs, () => known(this.book.numbersToward(from, to)));
        const w2 = this.watch(from, to, timeoutMs, () => known(this.book.numbersToward(from, to)));
        await Promise.race([w.result, w2.result]);
        w.cancel();
        w2.cancel();
        numbers = this.book.numbersToward(from, to);
        if (!known(numbers)) {
          throw new InjectionRefused(
            `No traffic in session ${sessionText} within ${timeoutMs} ms: its numbers are still unknown.`,
          );
        }
      } else {
        // The learning SYN is itself an injection: the same rules apply before it is sent.
        this.policy.check({ iface, session: sessionText, seenInCapture: true, confirm: r.confirm });
        method = 'learned-by-syn';
        const learned = await this.learn(from, to, sessionText);
        numbers = learned.numbers;
        learnedWith = learned.sent;
      }
    }
    this.policy.check({
      iface,
      session: sessionText,
      seenInCapture: numbers !== undefined || method !== 'tracked',
      confirm: r.confirm,
    });
    // A SYN needs no numbers; use RCV.NXT when known so 'exact' means something.
    const n = numbers ?? { rcvNxt: 0, sndNxt: null, window: null, tsval: null, tsecr: null, link: null };
    const plan = planInjection({
      from,
      to,
      flag: r.flag,
      seq: choice,
      numbers: { ...n, rcvNxt: n.rcvNxt ?? 0 },
      link: this.link(from, to, numbers),
      fromName,
      toName,
    });
    if (plan.expect === 'challenge-ack' || plan.expect === 'dup-ack') await this.respectRateLimit(to);
    const dirOf = (p: TcpPacket): 'ab' | 'ba' =>
      p.src === r.session.a.ip && p.srcPort === r.session.a.port ? 'ab' : 'ba';
    const isPureAck = (p: TcpPacket): boolean =>
      p.payloadLength === 0 && (p.flags & ~TCP_FLAG.PSH) === TCP_FLAG.ACK;
    const decisive = (p: TcpPacket): boolean =>
      (p.flags & TCP_FLAG.RST) !== 0 || isPureAck(p) || (p.flags & TCP_FLAG.FIN) !== 0;
    const w = this.watch(to, from, timeoutMs, decisive);
    const bytes = await this.sendFrame(plan.frame, plan.segment);
    const sent: SentSegment = { ...plan.segment, bytes };
    const seen = await w.result;
    this.noteAnswers(seen);
    let reaction: Reaction = 'none';
    let observedText = `${toName} sent nothing within ${timeoutMs} ms.`;
    const first = seen.find(decisive);
    if (first) {
      if (first.flags & TCP_FLAG.RST) {
        reaction = 'reset';
        observedText = `${toName} answered with an RST: it has no connection for this segment any more.`;
      } else if (r.flag === 'fin' && first.ack === seqAdd(sent.seq, 1)) {
        reaction = 'fin-acked';
        observedText = `${toName} acknowledged the FIN (ACK ${first.ack}): it took it as ${fromName}'s close.`;
      } else {
        reaction = 'challenge-ack';
        observedText = `${toName} answered with an ACK (SEQ ${first.seq}, ACK ${first.ack}) and kept the connection.`;
      }
    }
    let probe: InjectResult['probe'];
    if (reaction === 'none' && r.flag === 'rst' && plan.expect === 'reset' && r.probe !== false) {
      // Linux answers a valid RST with silence: probe with an ACK far outside the window.
      await this.respectRateLimit(to);
      const pseg = {
        src: from.ip,
        dst: to.ip,
        srcPort: from.port,
        dstPort: to.port,
        seq: seqAdd(plan.segment.seq, OUT_OF_WINDOW),
        ack: seqAdd(plan.segment.ack, OUT_OF_WINDOW),
        flags: TCP_FLAG.ACK,
        window: plan.segment.window,
        options: [],
      };
      const pw = this.watch(to, from, 1500, decisive);
      const pbytes = await this.sendSegment(pseg, this.link(from, to, numbers));
      const pseen = await pw.result;
      this.noteAnswers(pseen);
      const answer = pseen.find(decisive);
      const kind = !answer ? 'none' : answer.flags & TCP_FLAG.RST ? 'rst' : 'ack';
      probe = {
        ...pseg,
        flagsText: flagsLabel(pseg.flags),
        offset: OUT_OF_WINDOW,
        rcvNxt: plan.segment.rcvNxt,
        bytes: pbytes,
        answer: kind,
      };
      this.policy.record({ iface, session: sessionText, action: 'probe', segment: probe });
      if (kind === 'rst') {
        reaction = 'reset';
        observedText =
          `${toName} stayed silent, as Linux does when it accepts an RST; an out-of-window ACK then drew an RST ` +
          `from ${toName}: the connection is gone there.`;
      } else if (kind === 'ack') {
        observedText = `${toName} stayed silent, and an out-of-window ACK drew a plain ACK: the connection is still there.`;
      } else {
        // A live socket answers an out-of-window ACK (we waited out its rate limit). On loopback a
        // segment for a socket that no longer exists is dropped before TCP (127/8 is martian on
        // input without route_localnet), so silence is the sign there.
        reaction = 'reset';
        observedText =
          `${toName} stayed silent, as Linux does when it accepts an RST, and did not answer an out-of-window ACK ` +
          'either, which a live connection would: the connection is gone there.';
      }
    }
    this.policy.record({
      iface,
      session: sessionText,
      action: `inject-${r.flag}`,
      segment: sent,
      method,
      reaction,
    });
    return {
      sent,
      method,
      reaction,
      explain: plan.explain,
      observedText,
      observed: seen.map((p) => ({
        dir: dirOf(p),
        flags: flagsLabel(p.flags),
        seq: p.seq,
        ack: p.ack,
        len: p.payloadLength,
        time: p.time,
      })),
      ...(learnedWith ? { learnedWith } : {}),
      ...(probe ? { probe } : {}),
    };
  }
}

export interface RunInjectOptions {
  iface: string;
  /** "A_IP:A_PORT-B_IP:B_PORT". */
  session: string;
  flag: InjectFlag;
  toward: 'a' | 'b';
  seq?: SeqChoice;
  /** Seconds to watch for the reaction (default 2). */
  timeoutS?: number;
  /** Running `tcplab inject` is itself the confirmation (default true). */
  confirm?: boolean;
  /** Audit log (default ~/.tcplab/inject-audit.jsonl). */
  auditLog?: string | null;
  allowedInterfaces?: readonly string[];
  /** How long to watch the session before injecting, to pick up its numbers (default 300 ms). */
  observeMs?: number;
  learn?: 'syn' | 'wait';
  probe?: boolean;
  helper?: HelperClientOptions;
}

/**
 * The core of `tcplab inject`: opens a capture of the session on `iface`,
 * watches it briefly, learns the numbers if it is idle, injects, and returns
 * `{ sent, method, reaction, explain, … }`. Rejects with InjectionRefused,
 * PlanError or CaptureFailure, each with a sentence.
 */
export async function runInject(o: RunInjectOptions): Promise<InjectResult> {
  const policy = new InjectionPolicy({
    allowedInterfaces: o.allowedInterfaces,
    auditLog: o.auditLog === undefined ? join(homedir(), '.tcplab', 'inject-audit.jsonl') : o.auditLog,
  });
  policy.checkInterface(o.iface);
  const session = parseSession(o.session);
  if (session.a.ip.includes(':') !== session.b.ip.includes(':')) {
    throw new PlanError(`session "${o.session}" mixes IPv4 and IPv6 addresses`);
  }
  const capture = new LiveCapture({ iface: o.iface, filter: sessionFilter(session), helper: o.helper });
  await capture.start();
  const injector = new Injector(capture, policy);
  try {
    await sleep(o.observeMs ?? 300);
    return await injector.inject({
      session,
      flag: o.flag,
      toward: o.toward,
      seq: o.seq,
      confirm: o.confirm ?? true,
      timeoutMs: (o.timeoutS ?? 2) * 1000,
      learn: o.learn,
      probe: o.probe,
    });
  } finally {
    injector.dispose();
    await capture.stop();
  }
}
