/**
 * The wall-clock driver of the engine: the `HostSim` a virtual host on a real
 * interface runs its engine `Host`s on. Where a `Simulation` keeps a virtual
 * clock and a priority queue, this driver reads a monotonic clock
 * (`performance.now()`, milliseconds since the driver started) and turns every
 * TCB deadline — retransmission (RFC 6298), delayed ACK (RFC 9293 §3.8.6.3),
 * persist, keep-alive, TIME-WAIT (§3.4.2) — into one `setTimeout` per TCB,
 * replaced whenever the TCB's earliest deadline moves earlier, exactly as the
 * simulation's `arm` does with `wakeAt`. The engine itself stays free of
 * timers and clocks; this module is the only place they meet it.
 */
import type { Host, HostSim, Segment, SimEvent, Tcb } from '../engine';

/** What the driver hands segments and events to (the VirtualHost). */
export interface DriverSink {
  transmit(seg: Segment): void;
  emit(ev: SimEvent): void;
  /** A callback queued by the engine threw. */
  failed(e: unknown): void;
}

/** `[fd00::2]` → `fd00::2`; IPv4 names are their address. */
export function addressOfName(name: string): string {
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}

/** The host name the engine uses for a peer address: IPv6 in brackets, so `conn` ids stay readable. */
export function nameOfAddress(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

export class WallClockDriver implements HostSim {
  readonly observed = true;
  private readonly t0: number;
  private readonly timers = new Map<Tcb, { at: number; handle: NodeJS.Timeout; host: Host }>();
  private stopped = false;

  constructor(
    private readonly sink: DriverSink,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.t0 = clock();
  }

  /** Milliseconds since the driver started. */
  get now(): number {
    return this.clock() - this.t0;
  }

  transmit(seg: Segment): void {
    if (!this.stopped) this.sink.transmit(seg);
  }

  emit(ev: SimEvent): void {
    this.sink.emit(ev);
  }

  arm(host: Host, tcb: Tcb): void {
    if (this.stopped) return;
    const due = Math.min(tcb.rtoAt, tcb.delackAt, tcb.persistAt, tcb.keepAt, tcb.twAt, tcb.fw2At);
    if (!(due < tcb.wakeAt)) return;
    tcb.wakeAt = due;
    const old = this.timers.get(tcb);
    if (old) clearTimeout(old.handle);
    // A timer can fire a little before the deadline by this clock (libuv's loop time is cached);
    // `Host.wake` then finds nothing due and re-arms, so round up and let it settle.
    const delay = Math.max(0, Math.ceil(due - this.now));
    const handle = setTimeout(() => {
      const cur = this.timers.get(tcb);
      if (cur?.handle !== handle) return;
      this.timers.delete(tcb);
      tcb.wakeAt = Infinity;
      this.guard(() => host.wake(tcb));
    }, delay);
    this.timers.set(tcb, { at: due, handle, host });
  }

  defer(fn: () => void): void {
    queueMicrotask(() => {
      if (!this.stopped) this.guard(fn);
    });
  }

  hostAddress(name: string): string {
    return addressOfName(name);
  }

  /** Runs engine code, reporting (not throwing) what it throws. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.sink.failed(e);
    }
  }

  /** Pending timers (for tests and status). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Cancels every timer; the engine is frozen from here on. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }
}
