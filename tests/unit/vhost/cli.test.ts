/**
 * `tcplab vhost` and `tcplab labnet` command lines that are wrong never touch
 * the network: each is a usage error (exit 64) with one sentence; and the
 * text printer numbers sequence numbers relative to each side's first one.
 */
import { describe, expect, it } from 'vitest';
import { eventPrinter } from '../../../src-main/app/commands/vhost';
import { parseHostPort } from '../../../src-main/vhost';
import { NEVER_STOP, runCli, type CliRun } from '../../integration/cli/run-cli';

const run = (argv: string[]): Promise<CliRun> => runCli(argv, NEVER_STOP);

describe('tcplab vhost / labnet usage', () => {
  it.each([
    [['vhost', '--ip', '10.0.0.3/24', '--listen', '80'], /--iface IF is required/],
    [['vhost', '--iface', 'tcplab-h1', '--listen', '80'], /--ip CIDR is required/],
    [['vhost', '--iface', 'tcplab-h1', '--ip', '10.0.0.3/24'], /exactly one of --connect/],
    [
      ['vhost', '--iface', 'tcplab-h1', '--ip', '10.0.0.3/24', '--listen', '80', '--connect', '10.0.0.2:80'],
      /exactly one/,
    ],
    [['vhost', '--iface', 'tcplab-h1', '--ip', '10.0.0.3/24', '--connect', 'fd00::2:80'], /\[ADDR\]:PORT/],
    [['vhost', '--iface', 'tcplab-h1', '--ip', '10.0.0/24', '--listen', '80'], /--ip: .*not an IPv4 address/],
    [
      ['vhost', '--iface', 'tcplab-h1', '--ip', '10.0.0.3/24', '--listen', '80', '--close', 'soft'],
      /fin or rst/,
    ],
    [['labnet', 'sideways'], /up, down or list/],
    [['labnet', 'down'], /--index N or --all/],
  ])('%j is a usage error', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(message);
  });

  it('parses IP:PORT and [IPv6]:PORT', () => {
    expect(parseHostPort('10.213.1.2:5000')).toEqual({ ip: '10.213.1.2', port: 5000 });
    expect(parseHostPort('[fd00:7cb:0:1::2]:80')).toEqual({ ip: 'fd00:7cb:0:1::2', port: 80 });
    expect(() => parseHostPort('10.0.0.1:0')).toThrow(/port 1–65535/);
  });

  it('prints sequence numbers relative to each side’s ISN', () => {
    const p = eventPrinter();
    const seg = {
      t: 1,
      type: 'segment' as const,
      id: 0,
      sport: 1,
      dport: 2,
      len: 0,
      win: 1,
      wnd: 1,
      options: {},
      dropped: false,
      arrive: null,
      explain: { rule: 'x', rfc: 'RFC', text: 'why' },
    };
    p({ ...seg, from: 'a', to: 'b', flags: ['SYN'], seq: 4294967295, ack: 0 });
    const line = p({ ...seg, from: 'b', to: 'a', sport: 2, dport: 1, flags: ['SYN', 'ACK'], seq: 7, ack: 0 });
    expect(line).toMatch(/SYN,ACK\s+seq=0 ack=1 len=0/);
  });
});
