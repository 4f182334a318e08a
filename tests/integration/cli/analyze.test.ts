/**
 * `tcplab analyze` run in-process through the CLI's `main(argv, io)` on the
 * shared captures (/work/shared/pcaps) and on files damaged on purpose: the
 * `--json` contract, the readable table, and the exit status 2 with one line
 * on stderr (what is wrong, at which byte) for files that cannot be read or
 * break part-way. Needs the wire decoders and tracker (src-main/wire,
 * src-main/tracker).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_BAD_INPUT, EXIT_USAGE } from '../../../src-main/app/cli-main';
import { run } from './run-cli';

const PCAPS = join(__dirname, '..', '..', '..', '..', 'shared', 'pcaps');
const tmp = mkdtempSync(join(tmpdir(), 'tcplab-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Exactly one line on stderr, no stack trace. */
function expectOneLine(err: string): string {
  expect(err.endsWith('\n')).toBe(true);
  const lines = err.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  expect(err).not.toMatch(/\bat .*:\d+:\d+/);
  return lines[0];
}

const CONTRACT_KEYS = ['id', 'a', 'b', 'packets', 'bytes', 'firstTime', 'lastTime', 'outcome', 'states'];
const STATES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
];

/** Checks a document against the `analyze --json` contract. */
function expectContract(doc: Record<string, unknown>): void {
  expect(Object.keys(doc)).toEqual(['packets', 'tcpPackets', 'malformed', 'sessions']);
  for (const k of ['packets', 'tcpPackets', 'malformed']) expect(Number.isInteger(doc[k])).toBe(true);
  for (const s of doc.sessions as Record<string, unknown>[]) {
    expect(Object.keys(s).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
    expect(Number.isInteger(s.id)).toBe(true);
    for (const side of [s.a, s.b] as { ip: unknown; port: unknown }[]) {
      expect(Object.keys(side)).toEqual(['ip', 'port']);
      expect(typeof side.ip).toBe('string');
      expect(Number.isInteger(side.port)).toBe(true);
    }
    expect(Number.isInteger(s.packets)).toBe(true);
    expect(Number.isInteger(s.bytes)).toBe(true);
    expect(typeof s.firstTime).toBe('number');
    expect(typeof s.lastTime).toBe('number');
    expect(typeof s.outcome).toBe('string');
    const states = s.states as { a: string; b: string };
    expect(Object.keys(states)).toEqual(['a', 'b']);
    expect(STATES).toContain(states.a);
    expect(STATES).toContain(states.b);
  }
}

describe('tcplab analyze --json on the shared captures', () => {
  it('dns_tcp.pcap: one complete DNS-over-TCP session', async () => {
    const r = await run('analyze', join(PCAPS, 'dns_tcp.pcap'), '--json');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(r.out);
    expectContract(doc);
    expect(doc).toMatchObject({ packets: 11, tcpPackets: 11, malformed: 0 });
    expect(doc.sessions).toHaveLength(1);
    expect(doc.sessions[0]).toMatchObject({
      a: { ip: '192.168.1.11', port: 33779 },
      b: { ip: '209.87.249.18', port: 53 },
      packets: 11,
      bytes: 922,
      outcome: 'complete',
      states: { a: 'TIME-WAIT', b: 'CLOSED' },
    });
    expect(doc.sessions[0].firstTime).toBeCloseTo(1591780863.720289, 6);
    expect(doc.sessions[0].lastTime).toBeCloseTo(1591780864.101256, 6);
  });

  it('tcp-handshake-nano.pcap: Linux cooked capture, nanosecond times, a handshake left open', async () => {
    const r = await run('analyze', join(PCAPS, 'tcp-handshake-nano.pcap'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expectContract(doc);
    expect(doc).toMatchObject({ packets: 3, tcpPackets: 3, malformed: 0 });
    expect(doc.sessions).toHaveLength(1);
    expect(doc.sessions[0]).toMatchObject({
      a: { ip: '131.155.215.69', port: 46656 },
      b: { ip: '137.116.81.94', port: 80 },
      packets: 3,
      bytes: 220,
      states: { a: 'ESTABLISHED', b: 'ESTABLISHED' },
    });
    expect(doc.sessions[0].firstTime).toBeCloseTo(1418145369.924505488, 5);
  });

  it('ipv4_tcp_http_xml.pcap: one VLAN-tagged segment of a session already under way', async () => {
    const r = await run('analyze', join(PCAPS, 'ipv4_tcp_http_xml.pcap'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expectContract(doc);
    expect(doc).toMatchObject({ packets: 1, tcpPackets: 1, malformed: 0 });
    expect(doc.sessions[0]).toMatchObject({
      a: { ip: '10.21.11.94', port: 80 },
      b: { ip: '10.114.101.120', port: 5767 },
      packets: 1,
      bytes: 663,
    });
  });

  it('tcp_rst_data.pcap: a lone RST carrying data', async () => {
    const r = await run('analyze', join(PCAPS, 'tcp_rst_data.pcap'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expectContract(doc);
    expect(doc).toMatchObject({ packets: 1, tcpPackets: 1, malformed: 0 });
    expect(doc.sessions[0]).toMatchObject({ a: { ip: '199.204.31.89', port: 80 }, packets: 1, bytes: 112 });
  });

  it('tcp_header_heapoverflow.pcap: a TCP header cut short is counted as malformed, not a crash', async () => {
    const r = await run('analyze', join(PCAPS, 'tcp_header_heapoverflow.pcap'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ packets: 1, tcpPackets: 0, malformed: 1, sessions: [] });
  });

  it('empty.pcapng: no packets, no sessions', async () => {
    const r = await run('analyze', join(PCAPS, 'empty.pcapng'), '--json');
    expect(r.code).toBe(0);
    expect(r.out).toBe('{"packets":0,"tcpPackets":0,"malformed":0,"sessions":[]}\n');
  });
});

describe('tcplab analyze (table)', () => {
  it('prints a summary line and an aligned table', async () => {
    const r = await run('analyze', join(PCAPS, 'dns_tcp.pcap'));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/dns_tcp\.pcap \(pcap\): 11 packets, 11 TCP, 0 malformed; 1 TCP session$/);
    const header = lines[2];
    const row = lines[3];
    expect(header).toMatch(
      /^ID\s+A \(opened\)\s+B\s+PACKETS\s+BYTES\s+DURATION\s+OUTCOME\s+STATE A\s+STATE B$/,
    );
    // Left-aligned columns start where their heading does; numbers end where theirs does.
    expect(row.indexOf('192.168.1.11:33779')).toBe(header.indexOf('A (opened)'));
    expect(row.indexOf('209.87.249.18:53')).toBe(header.indexOf('B '));
    expect(row.indexOf('complete')).toBe(header.indexOf('OUTCOME'));
    expect(row.indexOf('TIME-WAIT')).toBe(header.indexOf('STATE A'));
    expect(row.indexOf('922') + 3).toBe(header.indexOf('BYTES') + 5);
    expect(row).toContain('0.381 s');
  });

  it('says so when there are no sessions, and lists malformed frames', async () => {
    const r = await run('analyze', join(PCAPS, 'tcp_header_heapoverflow.pcap'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('No TCP sessions.');
    expect(r.out).toMatch(/Malformed frames:\n {2}frame 1 \(\w+\): .+/);
  });
});

describe('tcplab analyze on files it cannot read', () => {
  const dns = readFileSync(join(PCAPS, 'dns_tcp.pcap'));

  it('a missing file: exit 2, one line', async () => {
    const r = await run('analyze', join(tmp, 'nope.pcap'), '--json');
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.out).toBe('');
    expect(expectOneLine(r.err)).toMatch(/nope\.pcap: no such file$/);
  });

  it('a folder: exit 2, one line', async () => {
    const r = await run('analyze', tmp);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(expectOneLine(r.err)).toMatch(/folder/);
  });

  it('not a capture at all: exit 2, one line naming the byte offset', async () => {
    const f = join(tmp, 'notes.pcap');
    writeFileSync(f, 'these are my notes, not packets\n'.repeat(4));
    for (const json of [[], ['--json']]) {
      const r = await run('analyze', f, ...json);
      expect(r.code).toBe(EXIT_BAD_INPUT);
      expect(r.out).toBe('');
      expect(expectOneLine(r.err)).toMatch(/^tcplab analyze: .*notes\.pcap: .+ \(at byte \d+\)$/);
    }
  });

  it('an empty file and a cut global header: exit 2 with the offset', async () => {
    for (const [name, bytes] of [
      ['zero.pcap', Buffer.alloc(0)],
      ['header.pcap', dns.subarray(0, 10)],
    ] as const) {
      const f = join(tmp, name);
      writeFileSync(f, bytes);
      const r = await run('analyze', f, '--json');
      expect(r.code).toBe(EXIT_BAD_INPUT);
      expect(r.out).toBe('');
      expect(expectOneLine(r.err)).toMatch(/\(at byte \d+\)$/);
    }
  });

  // Records of dns_tcp.pcap: 24-byte file header, then 16-byte record headers with 74, 60, 54, 112 … bytes.
  const fifthRecord = 24 + (16 + 74) + (16 + 60) + (16 + 54) + (16 + 112);

  it('broken part-way, --json: prints what was read, then one line on stderr, exit 2', async () => {
    const f = join(tmp, 'cut.pcap');
    writeFileSync(f, dns.subarray(0, fifthRecord + 16 + 20));
    const r = await run('analyze', f, '--json');
    expect(r.code).toBe(EXIT_BAD_INPUT);
    const doc = JSON.parse(r.out);
    expectContract(doc);
    expect(doc.packets).toBe(4);
    expect(doc.sessions).toHaveLength(1);
    expect(doc.sessions[0].packets).toBe(4);
    expect(expectOneLine(r.err)).toMatch(
      /cut\.pcap: damaged at byte \d+: .+\(the 4 packets before it were read\)$/,
    );
  });

  it('broken part-way, table: prints what was read, then one line on stderr, exit 2', async () => {
    const f = join(tmp, 'garbage.pcap');
    const badHeader = Buffer.alloc(16);
    badHeader.writeUInt32LE(0xffffffff, 8); // incl_len far beyond any snap length
    badHeader.writeUInt32LE(0xffffffff, 12);
    writeFileSync(f, Buffer.concat([dns.subarray(0, fifthRecord), badHeader, Buffer.alloc(64)]));
    const r = await run('analyze', f);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.out).toMatch(/4 packets/);
    expect(r.out).toContain('192.168.1.11:33779');
    const line = expectOneLine(r.err);
    expect(line).toMatch(/damaged at byte \d+/);
    expect(Number(/at byte (\d+)/.exec(line)![1])).toBeGreaterThanOrEqual(fifthRecord);
  });
});

describe('tcplab analyze usage', () => {
  it('needs a file and knows only --json', async () => {
    expect((await run('analyze')).code).toBe(EXIT_USAGE);
    expect((await run('analyze', 'a.pcap', '--yaml')).code).toBe(EXIT_USAGE);
    expect((await run('analyze', 'a.pcap', 'b.pcap')).code).toBe(EXIT_USAGE);
  });
});
