/**
 * The injection policy: TCP Lab sends a segment into a real session only when
 * the session was seen in the current capture, on an interface the user
 * allowed (loopback and the lab's own namespace links, named `tcplab…`, by
 * default), after an explicit confirmation, and with a line appended to an
 * audit log (JSON lines: time, interface, session, segment, method, result).
 * Anything else is refused with an `InjectionRefused` whose message says why
 * and what would make it allowed. The capture helper applies its own
 * interface allowlist as well (TCPLAB_INJECT_INTERFACES), so the unprivileged
 * side cannot talk it into sending elsewhere.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Interfaces injection may use by default: loopback and lab links. */
export const DEFAULT_ALLOWED_INTERFACES: readonly string[] = ['lo', 'lo0', 'tcplab*'];

export class InjectionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InjectionRefused';
  }
}

export interface InjectionPolicyOptions {
  /** Interface names; a trailing '*' matches a prefix. Default DEFAULT_ALLOWED_INTERFACES. */
  allowedInterfaces?: readonly string[];
  /** JSON-lines audit log; null keeps entries in memory only. */
  auditLog?: string | null;
  /** Require `confirm: true` on every request (default true). */
  requireConfirm?: boolean;
}

export interface InjectionRequestFacts {
  iface: string;
  /** "A_IP:A_PORT-B_IP:B_PORT". */
  session: string;
  /** Whether the current capture has seen the session (traffic or a challenge ACK). */
  seenInCapture: boolean;
  confirm: boolean;
}

export interface AuditEntry {
  time: string;
  iface: string;
  session: string;
  action: string;
  segment?: unknown;
  method?: string;
  reaction?: string;
  refused?: string;
}

export function interfaceAllowed(iface: string, allowed: readonly string[]): boolean {
  return allowed.some((p) => (p.endsWith('*') ? iface.startsWith(p.slice(0, -1)) : iface === p));
}

export class InjectionPolicy {
  readonly allowedInterfaces: readonly string[];
  readonly auditLog: string | null;
  readonly requireConfirm: boolean;
  /** Every entry written, also when there is no file. */
  readonly entries: AuditEntry[] = [];

  constructor(o: InjectionPolicyOptions = {}) {
    this.allowedInterfaces = o.allowedInterfaces ?? DEFAULT_ALLOWED_INTERFACES;
    this.auditLog = o.auditLog ?? null;
    this.requireConfirm = o.requireConfirm ?? true;
  }

  /** Checks the interface alone (before a capture is opened for injection). */
  checkInterface(iface: string): void {
    if (!interfaceAllowed(iface, this.allowedInterfaces)) {
      throw new InjectionRefused(
        `Injection on ${iface} is not allowed: only ${this.allowedInterfaces.join(', ')} are. ` +
          'Add the interface to the allowed list in the settings if it is a lab network you own.',
      );
    }
  }

  /** Throws InjectionRefused (and records the refusal) unless every rule holds. */
  check(f: InjectionRequestFacts): void {
    let why: string | null = null;
    try {
      this.checkInterface(f.iface);
    } catch (e) {
      why = (e as Error).message;
    }
    if (!why && !f.seenInCapture) {
      why =
        `Session ${f.session} has not been seen in the current capture on ${f.iface}: ` +
        'start a capture that shows it (or let TCP Lab provoke a challenge ACK) before injecting.';
    }
    if (!why && this.requireConfirm && !f.confirm) {
      why = 'Injection needs an explicit confirmation: confirm the segment before it is sent.';
    }
    if (why) {
      this.record({ iface: f.iface, session: f.session, action: 'refused', refused: why });
      throw new InjectionRefused(why);
    }
  }

  /** Appends one entry to the audit log (and keeps it in `entries`). */
  record(e: Omit<AuditEntry, 'time'>): AuditEntry {
    const entry: AuditEntry = { time: new Date().toISOString(), ...e };
    this.entries.push(entry);
    if (this.auditLog) {
      mkdirSync(dirname(this.auditLog), { recursive: true });
      appendFileSync(this.auditLog, JSON.stringify(entry) + '\n');
    }
    return entry;
  }
}
