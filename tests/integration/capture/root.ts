/**
 * Shared by the capture and injection integration tests: whether we may run
 * (root, since libpcap and raw sends need CAP_NET_RAW), a test that fails
 * instead of skipping on CI, a polling wait, and network-namespace fixtures
 * (`tcplab-test-<random>` namespaces joined by a veth pair whose root-side end
 * is named `tcplab<hex>`, so the injection policy's default allowlist covers
 * it) that are always removed again.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'vitest';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const skipReason =
  'needs root (libpcap capture and raw sends need CAP_NET_RAW): run the tests with sudo';

/** On CI a missing privilege is a failure, not a skip. */
export function requireRootOnCi(): void {
  if (!isRoot && process.env.CI) {
    test('runs as root on CI', () => {
      throw new Error(`integration tests ${skipReason}; CI must run them as root`);
    });
  }
}

export async function until<T>(
  f: () => T | null | undefined | false,
  timeoutMs = 5000,
  stepMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface LabNet {
  ns: string;
  /** Root-side veth end (captured on, injected on). */
  hostIf: string;
  nsIf: string;
  hostIp: string;
  nsIp: string;
  /** Runs a command inside the namespace. */
  exec(args: string[]): string;
  remove(): void;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates a namespace and a veth pair with 10.231.x.1 (host) and 10.231.x.2 (namespace). */
export function createLabNet(): LabNet {
  const tag = randomBytes(4).toString('hex');
  const ns = `tcplab-test-${tag}`;
  const hostIf = `tcplab${tag}`;
  const nsIf = `tcpns${tag}`;
  const x = 1 + (parseInt(tag.slice(0, 2), 16) % 250);
  const hostIp = `10.231.${x}.1`;
  const nsIp = `10.231.${x}.2`;
  const remove = (): void => {
    for (const cmd of [
      ['link', 'del', hostIf],
      ['netns', 'del', ns],
    ]) {
      try {
        ip(cmd);
      } catch {
        // already gone
      }
    }
  };
  try {
    ip(['netns', 'add', ns]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', ns]);
    ip(['addr', 'add', `${hostIp}/24`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', ns, 'addr', 'add', `${nsIp}/24`, 'dev', nsIf]);
    ip(['-n', ns, 'link', 'set', nsIf, 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    remove();
    throw e;
  }
  return {
    ns,
    hostIf,
    nsIf,
    hostIp,
    nsIp,
    exec: (args) => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' }),
    remove,
  };
}
