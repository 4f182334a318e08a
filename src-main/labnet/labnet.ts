/**
 * The lab network: a real Linux kernel peer on the learner's own machine, in
 * one step. `labnetUp` creates a network namespace `tcplab-ns<N>` joined to
 * the root namespace by a veth pair (`tcplab-h<N>` stays outside, where a
 * virtual host attaches and the capture runs; `tcplab-n<N>` goes inside),
 * gives the ends addresses from a test range that exists only on these two
 * interfaces — 10.213.N.0/24 and fd00:7cb:0:N::/64 (a unique local prefix,
 * RFC 4193), `.1` outside, `.2` for the kernel peer inside, `.3` suggested
 * for the virtual host and owned by no operating system — added without
 * duplicate address detection so they work at once, caps GSO at one segment
 * per packet (so the kernel's segmentation to the MSS is what the capture
 * sees, not 64 KB super-packets), and optionally adds `tc netem` delay and
 * loss on both ends. `labnetDown` removes it again. Every command is an
 * `ip`/`tc` argument list built by pure functions (unit-tested); running them
 * needs Linux and CAP_NET_ADMIN, and anything else fails with a `LabNetError`
 * whose sentence says what to do.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

export const LABNET_PREFIX4 = '10.213';
export const LABNET_PREFIX6 = 'fd00:7cb:0';
export const MAX_LABNET_INDEX = 250;

export type LabNetErrorCode =
  | 'not-linux'
  | 'permission'
  | 'missing-tool'
  | 'netem-missing'
  | 'exists'
  | 'not-found'
  | 'bad-option'
  | 'failed';

export class LabNetError extends Error {
  constructor(
    readonly code: LabNetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LabNetError';
  }
}

export interface NetemOptions {
  /** One-way delay added on each end, in ms (so a round trip gains twice this). */
  delayMs?: number;
  /** Random variation of the delay, in ms. */
  jitterMs?: number;
  /** Frames dropped on each end's egress, in percent. */
  lossPct?: number;
}

export interface LabNetOptions extends NetemOptions {
  /** Which lab network (1–250); default the first free one. */
  index?: number;
}

export interface Addresses {
  ipv4: string;
  ipv6: string;
}

export interface LabNetwork {
  index: number;
  /** The namespace the kernel peer lives in. */
  ns: string;
  /** The root-side veth end: attach the virtual host and capture here. */
  hostIf: string;
  /** The veth end inside the namespace. */
  nsIf: string;
  /** Addresses of the root-side end (with prefix length). */
  host: Addresses;
  /** Addresses of the kernel peer in the namespace (with prefix length). */
  peer: Addresses;
  /** Free addresses for a virtual host on `hostIf` (with prefix length): no kernel owns them. */
  vhost: Addresses;
  netem: NetemOptions | null;
}

/** Runs a command and returns its stdout; throws with `stderr` on failure. */
export type Runner = (cmd: string, args: readonly string[]) => string;

export const execRunner: Runner = (cmd, args) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });

export function labnetNames(index: number): { ns: string; hostIf: string; nsIf: string } {
  checkIndex(index);
  return { ns: `tcplab-ns${index}`, hostIf: `tcplab-h${index}`, nsIf: `tcplab-n${index}` };
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_LABNET_INDEX)
    throw new LabNetError(
      'bad-option',
      `the lab network number must be 1 to ${MAX_LABNET_INDEX}, not ${index}`,
    );
}

/** Host `.1`, kernel peer `.2` and virtual host `.3` of lab network `index`, with prefix lengths. */
export function labnetAddresses(index: number): { host: Addresses; peer: Addresses; vhost: Addresses } {
  checkIndex(index);
  const a = (n: number): Addresses => ({
    ipv4: `${LABNET_PREFIX4}.${index}.${n}/24`,
    ipv6: `${LABNET_PREFIX6}:${index.toString(16)}::${n}/64`,
  });
  return { host: a(1), peer: a(2), vhost: a(3) };
}

/** The address without its prefix length. */
export function bare(cidr: string): string {
  return cidr.split('/')[0];
}

function checkNetem(o: NetemOptions): void {
  const { delayMs = 0, jitterMs = 0, lossPct = 0 } = o;
  if (!(delayMs >= 0 && delayMs <= 10_000))
    throw new LabNetError('bad-option', `the delay must be 0 to 10000 ms, not ${delayMs}`);
  if (!(jitterMs >= 0 && jitterMs <= delayMs))
    throw new LabNetError('bad-option', `the jitter must be 0 to the delay (${delayMs} ms), not ${jitterMs}`);
  if (!(lossPct >= 0 && lossPct <= 100))
    throw new LabNetError('bad-option', `the loss must be 0 to 100 %, not ${lossPct}`);
}

/** Whether the options ask for any netem at all. */
export function wantsNetem(o: NetemOptions): boolean {
  return (o.delayMs ?? 0) > 0 || (o.lossPct ?? 0) > 0;
}

/** `tc qdisc replace dev IF root netem …` (or `del` when nothing is asked), for one end. */
export function netemArgs(dev: string, o: NetemOptions): string[] {
  checkNetem(o);
  if (!wantsNetem(o)) return ['qdisc', 'del', 'dev', dev, 'root'];
  const args = ['qdisc', 'replace', 'dev', dev, 'root', 'netem'];
  if ((o.delayMs ?? 0) > 0) {
    args.push('delay', `${o.delayMs}ms`);
    if ((o.jitterMs ?? 0) > 0) args.push(`${o.jitterMs}ms`);
  }
  if ((o.lossPct ?? 0) > 0) args.push('loss', `${o.lossPct}%`);
  return args;
}

/** The commands that build lab network `index`, in order: [cmd, args]. */
export function labnetPlan(index: number, o: NetemOptions = {}): Array<[string, string[]]> {
  const { ns, hostIf, nsIf } = labnetNames(index);
  const { host, peer } = labnetAddresses(index);
  checkNetem(o);
  const plan: Array<[string, string[]]> = [
    ['ip', ['netns', 'add', ns]],
    ['ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns]],
    // One MSS per packet: segmentation happens in TCP, where the capture can see it.
    ['ip', ['link', 'set', hostIf, 'gso_max_segs', '1', 'up']],
    ['ip', ['addr', 'add', host.ipv4, 'dev', hostIf]],
    ['ip', ['addr', 'add', host.ipv6, 'dev', hostIf, 'nodad']],
    ['ip', ['-n', ns, 'link', 'set', 'lo', 'up']],
    ['ip', ['-n', ns, 'link', 'set', nsIf, 'gso_max_segs', '1', 'up']],
    ['ip', ['-n', ns, 'addr', 'add', peer.ipv4, 'dev', nsIf]],
    ['ip', ['-n', ns, 'addr', 'add', peer.ipv6, 'dev', nsIf, 'nodad']],
  ];
  if (wantsNetem(o)) {
    plan.push(['tc', netemArgs(hostIf, o)]);
    plan.push(['ip', ['netns', 'exec', ns, 'tc', ...netemArgs(nsIf, o)]]);
  }
  return plan;
}

/** Why this machine cannot build a lab network, or null when it can (as far as we can tell beforehand). */
export function labnetUnsupported(env: { platform?: string; uid?: number | null } = {}): LabNetError | null {
  const platform = env.platform ?? process.platform;
  if (platform !== 'linux')
    return new LabNetError(
      'not-linux',
      `A lab network needs Linux network namespaces; this is ${platform}. Use a Linux machine or VM, or attach the virtual host to an existing interface instead.`,
    );
  const uid =
    env.uid === undefined ? (typeof process.getuid === 'function' ? process.getuid() : null) : env.uid;
  if (uid !== null && uid !== 0)
    return new LabNetError(
      'permission',
      'Creating a network namespace needs root (CAP_NET_ADMIN): run `sudo tcplab labnet up`, or start TCP Lab with sudo.',
    );
  return null;
}

/** A command's failure, as a LabNetError with a sentence. */
export function explainFailure(cmd: string, args: readonly string[], e: unknown): LabNetError {
  const err = e as NodeJS.ErrnoException & { stderr?: string | Buffer };
  if (err.code === 'ENOENT')
    return new LabNetError(
      'missing-tool',
      `\`${cmd}\` is not installed: install iproute2 (Debian/Ubuntu: sudo apt-get install iproute2).`,
    );
  const stderr =
    String(err.stderr ?? err.message ?? '')
      .trim()
      .split('\n')
      .filter(Boolean)
      .pop() ?? '';
  const line = `\`${cmd} ${args.join(' ')}\` failed: ${stderr}`;
  if (/Operation not permitted|Permission denied/i.test(stderr))
    return new LabNetError('permission', `${line}. A lab network needs root (CAP_NET_ADMIN): run with sudo.`);
  if (/Specified qdisc kind is unknown|qdisc kind is unknown/i.test(stderr))
    return new LabNetError(
      'netem-missing',
      `This kernel has no netem (CONFIG_NET_SCH_NETEM, module sch_netem), so \`tc\` cannot add delay or loss: install it (Debian/Ubuntu: linux-modules-extra-$(uname -r)), or let the virtual host delay and drop frames itself (tcplab vhost --delay MS --loss PCT).`,
    );
  if (/File exists/i.test(stderr))
    return new LabNetError(
      'exists',
      `${line}. Remove the old one with \`tcplab labnet down\`, or pick another number.`,
    );
  if (/Cannot find device|does not exist|No such file/i.test(stderr))
    return new LabNetError('not-found', line);
  return new LabNetError('failed', line);
}

function run(runner: Runner, cmd: string, args: readonly string[]): string {
  try {
    return runner(cmd, args);
  } catch (e) {
    throw explainFailure(cmd, args, e);
  }
}

/** Names of the lab namespaces that exist (`ip netns list`). */
export function listLabnetIndexes(runner: Runner = execRunner): number[] {
  const out = run(runner, 'ip', ['netns', 'list']);
  const found: number[] = [];
  for (const line of out.split('\n')) {
    const m = /^tcplab-ns(\d+)\b/.exec(line.trim());
    if (m) found.push(Number(m[1]));
  }
  return found.sort((a, b) => a - b);
}

/** Describes lab network `index` (whether or not it exists). */
export function describeLabnet(index: number, netem: NetemOptions | null = null): LabNetwork {
  return { index, ...labnetNames(index), ...labnetAddresses(index), netem };
}

/** Creates lab network `opts.index` (or the first free one); removes what it made if a step fails. */
export function labnetUp(
  opts: LabNetOptions = {},
  runner: Runner = execRunner,
  env?: { platform?: string; uid?: number | null },
): LabNetwork {
  const why = labnetUnsupported(env);
  if (why) throw why;
  const netem: NetemOptions = { delayMs: opts.delayMs, jitterMs: opts.jitterMs, lossPct: opts.lossPct };
  checkNetem(netem);
  const existing = new Set(listLabnetIndexes(runner));
  let index = opts.index;
  if (index === undefined) {
    for (let i = 1; i <= MAX_LABNET_INDEX; i++) {
      if (!existing.has(i) && !existsSync(`/sys/class/net/tcplab-h${i}`)) {
        index = i;
        break;
      }
    }
    if (index === undefined)
      throw new LabNetError(
        'exists',
        `all ${MAX_LABNET_INDEX} lab networks are in use: remove some with \`tcplab labnet down --all\``,
      );
  } else if (existing.has(index)) {
    throw new LabNetError(
      'exists',
      `lab network ${index} (namespace tcplab-ns${index}) already exists: remove it with \`tcplab labnet down --index ${index}\` or pick another number`,
    );
  }
  const plan = labnetPlan(index, netem);
  try {
    for (const [cmd, args] of plan) run(runner, cmd, args);
  } catch (e) {
    labnetDown(index, runner, env);
    throw e;
  }
  return describeLabnet(index, wantsNetem(netem) ? netem : null);
}

/** Removes lab network `index` (the veth pair and the namespace); true when there was something to remove. */
export function labnetDown(
  index: number,
  runner: Runner = execRunner,
  env?: { platform?: string; uid?: number | null },
): boolean {
  const why = labnetUnsupported(env);
  if (why) throw why;
  const { ns, hostIf } = labnetNames(index);
  let removed = false;
  // Deleting one end removes the pair at once (a namespace with a process still in it would keep it).
  for (const args of [
    ['link', 'del', hostIf],
    ['netns', 'del', ns],
  ]) {
    try {
      runner('ip', args);
      removed = true;
    } catch (e) {
      const err = explainFailure('ip', args, e);
      if (err.code === 'permission' || err.code === 'missing-tool') throw err;
    }
  }
  return removed;
}

/** Changes (or removes, with nothing asked) the netem delay and loss on both ends. */
export function setNetem(
  lab: Pick<LabNetwork, 'ns' | 'hostIf' | 'nsIf'>,
  o: NetemOptions,
  runner: Runner = execRunner,
): void {
  const ends: Array<[string, string[]]> = [
    ['tc', netemArgs(lab.hostIf, o)],
    ['ip', ['netns', 'exec', lab.ns, 'tc', ...netemArgs(lab.nsIf, o)]],
  ];
  for (const [cmd, args] of ends) {
    try {
      runner(cmd, args);
    } catch (e) {
      // Deleting a netem that is not there is fine.
      if (
        !wantsNetem(o) &&
        /No such file|Cannot delete qdisc with handle of zero/i.test(
          String((e as { stderr?: unknown }).stderr ?? ''),
        )
      )
        continue;
      throw explainFailure(cmd, args, e);
    }
  }
}

/** Runs `argv` inside the lab's namespace and returns its stdout. */
export function execInLabnet(
  lab: Pick<LabNetwork, 'ns'>,
  argv: readonly string[],
  runner: Runner = execRunner,
): string {
  return run(runner, 'ip', ['netns', 'exec', lab.ns, ...argv]);
}

/** Starts `argv` inside the lab's namespace as a child process (a kernel-side server or client). */
export function spawnInLabnet(
  lab: Pick<LabNetwork, 'ns'>,
  argv: readonly string[],
  opts: SpawnOptions = {},
): ChildProcess {
  return spawn('ip', ['netns', 'exec', lab.ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
}
