/**
 * Shared test helpers for the wire codecs: where the sample captures live,
 * whether a real tshark is available (tests that compare against it skip
 * with a reason when it is not), hex helpers and a seeded xorshift PRNG.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PCAP_DIR = '/work/shared/pcaps';
export const SHARED_PCAPS = [
  'tcp-handshake-nano.pcap',
  'dns_tcp.pcap',
  'ipv4_tcp_http_xml.pcap',
  'tcp_rst_data.pcap',
  'empty.pcapng',
  'tcp_header_heapoverflow.pcap',
];

export const TSHARK = '/usr/bin/tshark';
export const hasTshark = ((): boolean => {
  try {
    return (
      existsSync(TSHARK) && execFileSync(TSHARK, ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] }).length > 0
    );
  } catch {
    return false;
  }
})();
export const NO_TSHARK_REASON = `tshark not found at ${TSHARK} (apt-get install tshark to run this comparison)`;

/** Runs tshark with args; returns stdout and stderr (the "Running as root" notice filtered out). */
export function tshark(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(TSHARK, args, { encoding: 'utf8' });
  const stderr = (r.stderr ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.includes('Running as user'))
    .join('\n');
  return { stdout: r.stdout ?? '', stderr };
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** xorshift32: deterministic, seeded, no Math.random. */
export class XorShift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
}
