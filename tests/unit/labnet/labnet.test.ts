/**
 * The lab network helper without touching the system: names and addresses of
 * lab network N, the exact `ip`/`tc` commands that build it (veth end in the
 * namespace, addresses without DAD, GSO capped at one segment, netem on both
 * ends), the sentences for machines where it cannot work (not Linux, not
 * root, no iproute2, no netem in the kernel), and clean-up when a step fails.
 */
import { describe, expect, it } from 'vitest';
import {
  describeLabnet,
  explainFailure,
  LabNetError,
  labnetAddresses,
  labnetDown,
  labnetNames,
  labnetPlan,
  labnetUnsupported,
  labnetUp,
  netemArgs,
  setNetem,
  type Runner,
} from '../../../src-main/labnet';

const ROOT = { platform: 'linux', uid: 0 };

function recorder(
  fail?: (cmd: string, args: readonly string[]) => string | null,
): Runner & { calls: string[] } {
  const calls: string[] = [];
  const r = ((cmd: string, args: readonly string[]) => {
    calls.push([cmd, ...args].join(' '));
    const err = fail?.(cmd, args);
    if (err) throw Object.assign(new Error('Command failed'), { stderr: err });
    return '';
  }) as Runner & { calls: string[] };
  r.calls = calls;
  return r;
}

describe('lab network names and addresses', () => {
  it('names the namespace and both veth ends after N', () => {
    expect(labnetNames(3)).toEqual({ ns: 'tcplab-ns3', hostIf: 'tcplab-h3', nsIf: 'tcplab-n3' });
    expect(() => labnetNames(0)).toThrow(LabNetError);
    expect(() => labnetNames(251)).toThrow(/1 to 250/);
  });

  it('uses 10.213.N.0/24 and fd00:7cb:0:N::/64: .1 outside, .2 the kernel peer, .3 free for the virtual host', () => {
    expect(labnetAddresses(10)).toEqual({
      host: { ipv4: '10.213.10.1/24', ipv6: 'fd00:7cb:0:a::1/64' },
      peer: { ipv4: '10.213.10.2/24', ipv6: 'fd00:7cb:0:a::2/64' },
      vhost: { ipv4: '10.213.10.3/24', ipv6: 'fd00:7cb:0:a::3/64' },
    });
    expect(describeLabnet(1)).toMatchObject({ index: 1, hostIf: 'tcplab-h1', netem: null });
  });
});

describe('commands', () => {
  it('builds the namespace and the veth pair with addresses, no DAD, GSO off', () => {
    const plan = labnetPlan(2).map(([c, a]) => [c, ...a].join(' '));
    expect(plan).toEqual([
      'ip netns add tcplab-ns2',
      'ip link add tcplab-h2 type veth peer name tcplab-n2 netns tcplab-ns2',
      'ip link set tcplab-h2 gso_max_segs 1 up',
      'ip addr add 10.213.2.1/24 dev tcplab-h2',
      'ip addr add fd00:7cb:0:2::1/64 dev tcplab-h2 nodad',
      'ip -n tcplab-ns2 link set lo up',
      'ip -n tcplab-ns2 link set tcplab-n2 gso_max_segs 1 up',
      'ip -n tcplab-ns2 addr add 10.213.2.2/24 dev tcplab-n2',
      'ip -n tcplab-ns2 addr add fd00:7cb:0:2::2/64 dev tcplab-n2 nodad',
    ]);
  });

  it('adds netem delay and loss on both ends', () => {
    const plan = labnetPlan(2, { delayMs: 20, lossPct: 10 }).map(([c, a]) => [c, ...a].join(' '));
    expect(plan.slice(-2)).toEqual([
      'tc qdisc replace dev tcplab-h2 root netem delay 20ms loss 10%',
      'ip netns exec tcplab-ns2 tc qdisc replace dev tcplab-n2 root netem delay 20ms loss 10%',
    ]);
    expect(netemArgs('x', { delayMs: 50, jitterMs: 5 })).toEqual([
      'qdisc',
      'replace',
      'dev',
      'x',
      'root',
      'netem',
      'delay',
      '50ms',
      '5ms',
    ]);
    expect(netemArgs('x', {})).toEqual(['qdisc', 'del', 'dev', 'x', 'root']);
    expect(() => netemArgs('x', { lossPct: 101 })).toThrow(/loss must be 0 to 100/);
    expect(() => netemArgs('x', { delayMs: 5, jitterMs: 10 })).toThrow(/jitter/);
  });
});

describe('where a lab network cannot be built', () => {
  it('says so off Linux and without root', () => {
    expect(labnetUnsupported({ platform: 'darwin', uid: 0 })?.code).toBe('not-linux');
    expect(labnetUnsupported({ platform: 'win32', uid: null })?.message).toMatch(/Linux network namespaces/);
    expect(labnetUnsupported({ platform: 'linux', uid: 1000 })?.message).toMatch(/sudo tcplab labnet up/);
    expect(labnetUnsupported(ROOT)).toBeNull();
  });

  it('turns command failures into sentences', () => {
    const e = (stderr: string) =>
      explainFailure('ip', ['netns', 'add', 'x'], Object.assign(new Error('x'), { stderr }));
    expect(e('mount --make-shared /run/netns failed: Operation not permitted').code).toBe('permission');
    expect(e('Error: Specified qdisc kind is unknown.').code).toBe('netem-missing');
    expect(e('Error: Specified qdisc kind is unknown.').message).toMatch(/sch_netem/);
    expect(e('Cannot create namespace file "/run/netns/x": File exists').code).toBe('exists');
    expect(
      explainFailure('ip', [], Object.assign(new Error('spawn ip ENOENT'), { code: 'ENOENT' })).message,
    ).toMatch(/iproute2/);
  });
});

describe('up and down with a fake runner', () => {
  it('runs the plan, and refuses a number that exists', () => {
    const r = recorder();
    const runner: Runner = (cmd, args) =>
      args[0] === 'netns' && args[1] === 'list' ? 'tcplab-ns1 (id: 0)\n' : r(cmd, args);
    const n = labnetUp({ index: 2 }, runner, ROOT);
    expect(n.ns).toBe('tcplab-ns2');
    expect(r.calls[0]).toBe('ip netns add tcplab-ns2');
    expect(() => labnetUp({ index: 1 }, runner, ROOT)).toThrow(/already exists/);
  });

  it('removes what it made when a step fails', () => {
    const r = recorder((_cmd, args) =>
      args.includes('nodad') ? 'RTNETLINK answers: Permission denied' : null,
    );
    expect(() => labnetUp({ index: 4 }, r, ROOT)).toThrow(/needs root/);
    expect(r.calls.slice(-2)).toEqual(['ip link del tcplab-h4', 'ip netns del tcplab-ns4']);
  });

  it('down deletes the veth end, then the namespace', () => {
    const r = recorder();
    expect(labnetDown(5, r, ROOT)).toBe(true);
    expect(r.calls).toEqual(['ip link del tcplab-h5', 'ip netns del tcplab-ns5']);
    const gone = recorder(() => 'Cannot find device "tcplab-h5"');
    expect(labnetDown(5, gone, ROOT)).toBe(false);
    expect(() => labnetDown(5, r, { platform: 'darwin', uid: 0 })).toThrow(/Linux/);
  });

  it('changes netem on both ends, and reports a kernel without netem', () => {
    const r = recorder();
    setNetem(describeLabnet(6), { lossPct: 10 }, r);
    expect(r.calls).toEqual([
      'tc qdisc replace dev tcplab-h6 root netem loss 10%',
      'ip netns exec tcplab-ns6 tc qdisc replace dev tcplab-n6 root netem loss 10%',
    ]);
    const none = recorder(() => 'Error: Specified qdisc kind is unknown.');
    expect(() => setNetem(describeLabnet(6), { delayMs: 5 }, none)).toThrow(
      expect.objectContaining({ code: 'netem-missing' }),
    );
  });
});
