/**
 * The shared real captures: every one reads without throwing (the broken one
 * decodes as a malformed TCP segment instead), and the TCP segments decoded
 * from each match what tshark prints for the same file.
 */
import { describe, expect, it } from 'vitest';
import { captureReaderFromBytes, decodeFrame, openCaptureFile } from '../../../src-main/wire';
import type { CaptureRecord, DecodeResult } from '../../../src-main/wire';
import { readFileSync } from 'node:fs';
import { NO_TSHARK_REASON, PCAP_DIR, SHARED_PCAPS, hasTshark, tshark } from './helpers';

function readAll(
  path: string,
): Array<{ rec: Omit<CaptureRecord, 'data'> & { length: number }; result: DecodeResult }> {
  const r = openCaptureFile(path);
  const out = [];
  try {
    let rec: CaptureRecord | null;
    while ((rec = r.next())) {
      const result = decodeFrame(rec.linkType, rec.data, rec.frame, rec.time, rec.origLength);
      const { data, ...rest } = rec;
      out.push({ rec: { ...rest, length: data.length }, result });
    }
  } finally {
    r.close();
  }
  return out;
}

describe('shared captures', () => {
  it.each(SHARED_PCAPS)('%s reads to the end without throwing', (name) => {
    const all = readAll(`${PCAP_DIR}/${name}`);
    const expected: Record<string, number> = {
      'tcp-handshake-nano.pcap': 3,
      'dns_tcp.pcap': 11,
      'ipv4_tcp_http_xml.pcap': 1,
      'tcp_rst_data.pcap': 1,
      'empty.pcapng': 0,
      'tcp_header_heapoverflow.pcap': 1,
    };
    expect(all.length).toBe(expected[name]);
    // The file reader and the in-memory reader agree.
    const fromBytes = captureReaderFromBytes(readFileSync(`${PCAP_DIR}/${name}`));
    for (const { rec } of all) {
      const r2 = fromBytes.next();
      expect(r2?.frame).toBe(rec.frame);
      expect(r2?.time).toBe(rec.time);
      expect(r2?.data.length).toBe(rec.length);
    }
    expect(fromBytes.next()).toBeNull();
  });

  it('keeps nanosecond timestamps and the link type', () => {
    const [first] = readAll(`${PCAP_DIR}/tcp-handshake-nano.pcap`);
    expect(first.rec.linkType).toBe(113);
    expect(first.rec.time).toBeCloseTo(1418145369.924505, 6);
  });

  it('decodes the broken capture as a malformed TCP header, not an exception', () => {
    const [only] = readAll(`${PCAP_DIR}/tcp_header_heapoverflow.pcap`);
    expect(only.rec.origLength).toBe(262144);
    expect(only.result).toEqual({
      kind: 'malformed',
      layer: 'TCP',
      reason: 'header cut by the capture: 12 of 20 bytes captured',
    });
  });

  it('decodes the VLAN-tagged HTTP frame and verifies its checksum', () => {
    const [only] = readAll(`${PCAP_DIR}/ipv4_tcp_http_xml.pcap`);
    expect(only.result.kind).toBe('tcp');
    if (only.result.kind !== 'tcp') return;
    expect(only.result.packet).toMatchObject({
      src: '10.21.11.94',
      dst: '10.114.101.120',
      srcPort: 80,
      dstPort: 5767,
      payloadLength: 605,
      checksumOk: true,
    });
  });
});

describe.skipIf(!hasTshark)(
  `decoded TCP matches tshark${hasTshark ? '' : ` (skipped: ${NO_TSHARK_REASON})`}`,
  () => {
    it.each(SHARED_PCAPS)('%s', (name) => {
      const path = `${PCAP_DIR}/${name}`;
      const { stdout } = tshark([
        '-r',
        path,
        '-T',
        'fields',
        '-e',
        'frame.number',
        '-e',
        'tcp.srcport',
        '-e',
        'tcp.dstport',
        '-e',
        'tcp.seq_raw',
        '-e',
        'tcp.ack_raw',
        '-e',
        'tcp.flags',
        '-e',
        'tcp.len',
      ]);
      const rows = stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.split('\t'));
      const ours = readAll(path);
      expect(ours.length).toBe(rows.length);
      for (const [i, row] of rows.entries()) {
        const [frame, sport, dport, seq, ack, flags, len] = row;
        const { rec, result } = ours[i];
        expect(rec.frame).toBe(Number(frame));
        if (seq === '' || seq === undefined) {
          // tshark could not read a whole TCP header: we must call it malformed (or not TCP).
          expect(result.kind).not.toBe('tcp');
          continue;
        }
        expect(result.kind).toBe('tcp');
        if (result.kind !== 'tcp') continue;
        const p = result.packet;
        expect([p.srcPort, p.dstPort, p.seq, p.ack, p.flags, p.payloadLength]).toEqual([
          Number(sport),
          Number(dport),
          Number(seq),
          Number(ack),
          parseInt(flags, 16),
          Number(len),
        ]);
      }
    });
  },
);
