/**
 * Files written by PcapngWriter and PcapWriter open in a real tshark with no
 * warnings and show the same packets, timestamps (to the nanosecond where the
 * interface has that resolution), interfaces and comments; the same files
 * read back through our own readers. Skips with a reason when tshark is not
 * installed.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TCP_FLAG } from '../../../src-shared/tcp';
import {
  PcapWriter,
  PcapngWriter,
  buildFrame,
  captureReaderFromBytes,
  openCaptureFile,
} from '../../../src-main/wire';
import type { CaptureRecord } from '../../../src-main/wire';
import { NO_TSHARK_REASON, hasTshark, tshark } from './helpers';

const frames = [
  buildFrame({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 40000,
    dstPort: 80,
    seq: 0xfffffff0,
    flags: TCP_FLAG.SYN,
    options: [{ kind: 'mss', value: 1460 }],
  }),
  buildFrame({
    linkType: 113,
    src: '10.0.0.2',
    dst: '10.0.0.1',
    srcPort: 80,
    dstPort: 40000,
    seq: 7,
    ack: 0xfffffff1,
    flags: TCP_FLAG.SYN | TCP_FLAG.ACK,
  }),
  buildFrame({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    srcPort: 40000,
    dstPort: 80,
    seq: 0xfffffff1,
    ack: 8,
    flags: TCP_FLAG.ACK,
    payload: new TextEncoder().encode('hi'),
  }),
];

function writeSample(path: string): void {
  const fd = openSync(path, 'w');
  const w = new PcapngWriter({ fd, application: 'tcplab test', comment: 'section comment' });
  const eth = w.addInterface({ linkType: 1, name: 'eth0', tsResolution: 1e9 });
  const any = w.addInterface({ linkType: 113, name: 'any' });
  w.writePacket({
    interfaceId: eth,
    data: frames[0],
    time: 0,
    timestampNs: 1_700_000_000_123_456_789n,
    comment: 'the SYN',
  });
  w.flush(); // incremental: a reader may look at the file between packets
  w.writePacket({ interfaceId: any, data: frames[1], time: 1_700_000_000.5, comment: 'ünïcode SYN-ACK' });
  w.writePacket({ interfaceId: eth, data: frames[2], time: 1_700_000_001.000001 });
  w.close();
  closeSync(fd);
}

describe('PcapngWriter and PcapWriter round trip through our readers', () => {
  it('reads back what was written, with comments, interfaces and nanoseconds', () => {
    const w = new PcapngWriter();
    w.addInterface({ linkType: 1, name: 'eth0', tsResolution: 1e9 });
    w.addInterface({ linkType: 113 });
    w.writePacket({
      interfaceId: 0,
      data: frames[0],
      time: 0,
      timestampNs: 1_700_000_000_123_456_789n,
      comment: 'c1',
    });
    w.writePacket({ interfaceId: 1, data: frames[1], time: 1_700_000_000.25, origLength: 1000 });
    const r = captureReaderFromBytes(w.toBytes());
    const a = r.next() as CaptureRecord;
    expect([a.linkType, a.comment, Array.from(a.data)]).toEqual([1, 'c1', Array.from(frames[0])]);
    expect(a.time).toBeCloseTo(1_700_000_000.123456789, 6);
    const b = r.next() as CaptureRecord;
    expect([b.linkType, b.interfaceId, b.time, b.origLength, b.comment]).toEqual([
      113,
      1,
      1_700_000_000.25,
      1000,
      undefined,
    ]);
    expect(r.next()).toBeNull();
    expect(r.interfaces.map((i) => [i.linkType, i.name, i.tsResolution])).toEqual([
      [1, 'eth0', 1e9],
      [113, undefined, 1e6],
    ]);
  });

  it('writes pcap in micro- and nanoseconds and cuts packets to the snap length', () => {
    for (const nanosecond of [false, true]) {
      const w = new PcapWriter({ linkType: 1, nanosecond, snapLength: 60 });
      w.writePacket({ data: frames[2], time: 1_700_000_000.75 });
      const r = captureReaderFromBytes(w.toBytes());
      const rec = r.next() as CaptureRecord;
      expect(rec.time).toBe(1_700_000_000.75);
      expect(rec.data.length).toBe(60);
      expect(rec.origLength).toBe(frames[2].length);
    }
  });

  it('writes to a descriptor incrementally: every flush leaves a readable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wire-'));
    try {
      const path = join(dir, 'live.pcapng');
      const w = PcapngWriter.toFile(path);
      w.addInterface({ linkType: 1 });
      for (let i = 0; i < 3; i++) {
        w.writePacket({ data: frames[0], time: 1000 + i });
        w.flush();
        const r = openCaptureFile(path);
        let n = 0;
        while (r.next()) n++;
        r.close();
        expect(n).toBe(i + 1);
      }
      w.close();
      expect(() => w.writePacket({ data: frames[0], time: 0 })).toThrow(/closed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an interface that was never added and an unusable resolution', () => {
    const w = new PcapngWriter();
    expect(() => w.writePacket({ data: frames[0], time: 0 })).toThrow(RangeError);
    expect(() => w.addInterface({ linkType: 1, tsResolution: 1024 })).toThrow(/power of ten/);
  });
});

describe.skipIf(!hasTshark)(
  `tshark reads what we write${hasTshark ? '' : ` (skipped: ${NO_TSHARK_REASON})`}`,
  () => {
    it('pcapng: same packets, timestamps, interfaces and comments, no warnings', () => {
      const dir = mkdtempSync(join(tmpdir(), 'wire-'));
      try {
        const path = join(dir, 'out.pcapng');
        writeSample(path);
        const { stdout, stderr } = tshark([
          '-r',
          path,
          '-T',
          'fields',
          '-E',
          'separator=|',
          '-e',
          'frame.number',
          '-e',
          'frame.interface_id',
          '-e',
          'frame.time_epoch',
          '-e',
          'frame.len',
          '-e',
          'tcp.seq_raw',
          '-e',
          'tcp.ack_raw',
          '-e',
          'tcp.flags',
          '-e',
          'tcp.checksum.status',
          '-e',
          'frame.comment',
          '-o',
          'tcp.check_checksum:TRUE',
        ]);
        expect(stderr).toBe('');
        const rows = stdout
          .trim()
          .split('\n')
          .map((l) => l.split('|'));
        expect(rows).toEqual([
          [
            '1',
            '0',
            '1700000000.123456789',
            String(frames[0].length),
            String(0xfffffff0),
            '0',
            '0x0002',
            '1',
            'the SYN',
          ],
          [
            '2',
            '1',
            '1700000000.500000000',
            String(frames[1].length),
            '7',
            String(0xfffffff1),
            '0x0012',
            '1',
            'ünïcode SYN-ACK',
          ],
          [
            '3',
            '0',
            '1700000001.000001000',
            String(frames[2].length),
            String(0xfffffff1),
            '8',
            '0x0010',
            '1',
            '',
          ],
        ]);
        // Our reader sees the same file the same way.
        const ours = captureReaderFromBytes(readFileSync(path));
        const comments: Array<string | undefined> = [];
        let rec: CaptureRecord | null;
        while ((rec = ours.next())) comments.push(rec.comment);
        expect(comments).toEqual(['the SYN', 'ünïcode SYN-ACK', undefined]);
        // The expert system finds nothing to warn about.
        const info = tshark(['-r', path, '-q', '-z', 'expert,warn']);
        expect(info.stderr).toBe('');
        expect(info.stdout).not.toMatch(/Malformed|Warning/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('pcap: same packets and microsecond timestamps', () => {
      const dir = mkdtempSync(join(tmpdir(), 'wire-'));
      try {
        const path = join(dir, 'out.pcap');
        const w = PcapWriter.toFile(path, { linkType: 1 });
        w.writePacket({ data: frames[0], time: 1_700_000_000.000123 });
        w.writePacket({ data: frames[2], time: 1_700_000_002.5 });
        w.close();
        const { stdout, stderr } = tshark([
          '-r',
          path,
          '-T',
          'fields',
          '-e',
          'frame.time_epoch',
          '-e',
          'tcp.seq_raw',
        ]);
        expect(stderr).toBe('');
        expect(stdout.trim().split('\n')).toEqual([
          `1700000000.000123000\t${0xfffffff0}`,
          `1700000002.500000000\t${0xfffffff1}`,
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
