/**
 * The real captures in resources/captures (made by make-captures.sh with the
 * real kernel) read as what they are — link type, format, byte order,
 * timestamp precision — and the tracker tells the story each one was made to
 * show: a refused port, a RST abort, a scan of closed ports, port reuse, a
 * simultaneous close, zero windows, keep-alives, losses. Each is then cut in
 * the middle of a record: `tcplab analyze` must print the packets before the
 * cut and exit 2 naming the byte offset of the broken record.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, EXIT_BAD_INPUT, type CliIo } from '../../../src-main/app/cli-main';
import type { AnalyzeJson } from '../../../src-main/app/commands/analyze';
import { analyzeCapture } from '../../../src-main/service/analyze';
import { openCaptureFile } from '../../../src-main/wire';
import type { SessionSummary } from '../../../src-shared/session';

const DIR = join(__dirname, '..', '..', '..', 'resources', 'captures');
const tmp = mkdtempSync(join(tmpdir(), 'tcplab-captures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sessions(name: string): SessionSummary[] {
  return analyzeCapture(join(DIR, name)).tracker.summaries();
}

function outcomes(name: string): string[] {
  return sessions(name).map((s) => s.outcome);
}

function total(list: SessionSummary[], flag: keyof SessionSummary['analysis']): number {
  return list.reduce((n, s) => n + (s.analysis[flag] ?? 0), 0);
}

function interfaces(name: string): { format: string; linkTypes: number[]; tsResolution: number } {
  const r = openCaptureFile(join(DIR, name));
  try {
    r.next();
    return {
      format: r.format,
      linkTypes: r.interfaces.map((i) => i.linkType),
      tsResolution: r.interfaces[0].tsResolution,
    };
  } finally {
    r.close();
  }
}

describe('real captures', () => {
  it('cover the link types, formats and byte orders they were made for', () => {
    expect(interfaces('lo-ipv4.pcap')).toEqual({ format: 'pcap', linkTypes: [1], tsResolution: 1e6 });
    expect(interfaces('lo-keepalive-nano.pcap').tsResolution).toBe(1e9);
    expect(interfaces('any-sll.pcap').linkTypes).toEqual([113]);
    expect(interfaces('any-sll2-ipv6.pcap').linkTypes).toEqual([276]);
    expect(interfaces('rawip.pcap').linkTypes).toEqual([101]);
    expect(interfaces('multi-if.pcapng')).toMatchObject({ format: 'pcapng', linkTypes: [1, 1] });
    expect(interfaces('multi-lo-any.pcapng').linkTypes).toHaveLength(2);
    // Big-endian magic, and the same packets as the little-endian original.
    expect(readFileSync(join(DIR, 'lo-ipv6-bigendian.pcap')).readUInt32BE(0)).toBe(0xa1b2c3d4);
    expect(sessions('lo-ipv6-bigendian.pcap')).toEqual(sessions('lo-ipv6.pcap'));
    const vlan = readFileSync(join(DIR, 'vlan.pcap'));
    expect(vlan.readUInt16BE(24 + 16 + 12)).toBe(0x8100); // first frame's EtherType: 802.1Q
  });

  it('a complete session, a refused port and a RST abort, over IPv4, IPv6, raw IP and two interfaces', () => {
    for (const name of ['lo-ipv4.pcap', 'lo-ipv6.pcap', 'rawip.pcap', 'multi-lo-any.pcapng']) {
      expect(outcomes(name), name).toEqual(['complete', 'refused', 'reset-by-a']);
    }
    const [complete, refused, reset] = sessions('lo-ipv6.pcap');
    expect(complete).toMatchObject({ connState: 'SF', states: { a: 'TIME-WAIT', b: 'CLOSED' } });
    expect(complete.a.ip).toBe('::1');
    expect(refused).toMatchObject({ connState: 'REJ', states: { a: 'CLOSED', b: 'CLOSED' } });
    expect(reset).toMatchObject({ connState: 'RSTO' });
  });

  it('a connect() scan of 100 ports: refused ports and the two open ones', () => {
    const list = sessions('syn-scan.pcap');
    const refused = list.filter((s) => s.outcome === 'refused');
    expect(refused.length).toBeGreaterThanOrEqual(90);
    expect(new Set(list.filter((s) => s.outcome !== 'refused').map((s) => s.b.port))).toEqual(
      new Set([40210, 40250]),
    );
  });

  it('port reuse: three sessions on one 4-tuple', () => {
    const list = sessions('port-reuse.pcap');
    expect(list).toHaveLength(3);
    expect(new Set(list.map((s) => `${s.a.port}-${s.b.port}`)).size).toBe(1);
    expect(list.map((s) => s.outcome)).toEqual(['complete', 'complete', 'complete']);
    expect(new Set(list.map((s) => s.isn.a)).size).toBe(3);
  });

  it('simultaneous close: both ends pass through CLOSING to TIME-WAIT', () => {
    const r = analyzeCapture(join(DIR, 'simultaneous-close.pcap'), { keepSegments: true });
    const [s] = r.tracker.summaries();
    expect(s.states).toEqual({ a: 'TIME-WAIT', b: 'TIME-WAIT' });
    const rows = r.tracker.segments(0);
    expect(rows.some((row) => row.stateA === 'CLOSING' || row.stateB === 'CLOSING')).toBe(true);
  });

  it('zero windows, keep-alives and losses are flagged', () => {
    const zw = sessions('zero-window.pcap');
    expect(total(zw, 'zero-window')).toBeGreaterThan(0);
    expect(total(zw, 'window-update')).toBeGreaterThan(0);
    expect(total(sessions('lo-keepalive-nano.pcap'), 'keep-alive')).toBeGreaterThanOrEqual(2);
    const loss = sessions('congestion.pcap');
    expect(total(loss, 'retransmission')).toBeGreaterThan(0);
    expect(total(loss, 'dup-ack')).toBeGreaterThan(0);
  });

  it('Linux cooked v1/v2 and VLAN-tagged captures hold one complete session each', () => {
    for (const name of ['any-sll.pcap', 'any-sll2-ipv6.pcap', 'vlan.pcap']) {
      expect(outcomes(name), name).toEqual(['complete']);
    }
  });
});

describe('a capture cut in the middle of a record', () => {
  const files = readdirSync(DIR).filter((f) => /\.(pcap|pcapng)$/.test(f));

  it.each(files)('%s: what was read, then exit 2 with the byte offset', async (name) => {
    const bytes = readFileSync(join(DIR, name));
    const offsets: number[] = [];
    const r = openCaptureFile(join(DIR, name));
    for (let rec = r.next(); rec; rec = r.next()) offsets.push(rec.offset);
    r.close();
    const k = Math.floor(offsets.length / 2);
    const cut = offsets[k] + 10; // inside the record (or block) header of record k
    const file = join(tmp, name);
    writeFileSync(file, bytes.subarray(0, cut));
    let out = '';
    let err = '';
    const io: CliIo = {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      waitForStop: async () => {},
    };
    const code = await main(['analyze', file, '--json'], io);
    expect(code).toBe(EXIT_BAD_INPUT);
    const doc = JSON.parse(out) as AnalyzeJson;
    expect(doc.packets).toBe(k);
    expect(err).toMatch(new RegExp(`damaged at byte ${offsets[k]}: `));
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});
