/**
 * dissect: the layer list and field byte ranges the details pane highlights,
 * checked against the golden SYN byte by byte; truncated and impossible
 * layers carry an error sentence instead of throwing.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { TCP_FLAG } from '../../../src-shared/tcp';
import { buildFrame, captureReaderFromBytes, dissect } from '../../../src-main/wire';
import type { Layer } from '../../../src-main/wire';
import { PCAP_DIR } from './helpers';

function fieldOf(
  layers: Layer[],
  layer: string,
  name: string,
): { value: string; offset: number; length: number } {
  const l = layers.find((x) => x.name === layer);
  const f = l?.fields.find((x) => x.name === name);
  if (!f) throw new Error(`no ${layer}.${name} in ${JSON.stringify(layers.map((x) => x.name))}`);
  return f;
}

describe('dissect', () => {
  const syn = buildFrame({
    src: '192.0.2.1',
    dst: '198.51.100.7',
    srcPort: 40000,
    dstPort: 80,
    seq: 123456,
    flags: TCP_FLAG.SYN | TCP_FLAG.ECE | TCP_FLAG.CWR,
    options: [
      { kind: 'mss', value: 1460 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 7 },
      { kind: 'sack-permitted' },
      { kind: 'nop' },
      { kind: 'nop' },
    ],
    payload: new TextEncoder().encode('hello'),
  });

  it('names every layer with its byte range', () => {
    const layers = dissect(1, syn);
    expect(layers.map((l) => [l.name, l.offset, l.length, l.error])).toEqual([
      ['Frame', 0, syn.length, undefined],
      ['Ethernet II', 0, 14, undefined],
      ['IPv4', 14, 20, undefined],
      ['TCP', 34, 32, undefined],
      ['TCP payload', 66, 5, undefined],
    ]);
  });

  it('gives each field the offset and length of its bytes', () => {
    const layers = dissect(1, syn);
    expect(fieldOf(layers, 'Ethernet II', 'Type')).toEqual({
      name: 'Type',
      value: 'IPv4 (0x0800)',
      offset: 12,
      length: 2,
    });
    expect(fieldOf(layers, 'IPv4', 'Source')).toMatchObject({ value: '192.0.2.1', offset: 26, length: 4 });
    expect(fieldOf(layers, 'IPv4', 'Header checksum').value).toMatch(/\[correct\]$/);
    expect(fieldOf(layers, 'TCP', 'Sequence number')).toMatchObject({
      value: '123456',
      offset: 38,
      length: 4,
    });
    expect(fieldOf(layers, 'TCP', 'Flags').value).toBe('0x0c2 (SYN, ECE, CWR)');
    expect(fieldOf(layers, 'TCP', 'Checksum').value).toMatch(/\[correct\]$/);
    const opts = layers.find((l) => l.name === 'TCP')!.fields.filter((f) => f.name === 'Option');
    expect(opts.map((o) => [o.value, o.offset, o.length])).toEqual([
      ['MSS=1460', 54, 4],
      ['NOP', 58, 1],
      ['WS=128', 59, 3],
      ['SACK_PERM', 62, 2],
      ['NOP', 64, 1],
      ['NOP', 65, 1],
    ]);
    // Each field's bytes really hold its value.
    const seq = fieldOf(layers, 'TCP', 'Sequence number');
    expect(new DataView(syn.buffer).getUint32(seq.offset)).toBe(123456);
  });

  it('shows VLAN tags, cooked headers and IPv6', () => {
    const v6 = buildFrame({
      vlans: [10, 20],
      src: '2001:db8::1',
      dst: '2001:db8::2',
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      flags: 2,
    });
    expect(dissect(1, v6).map((l) => l.name)).toEqual([
      'Frame',
      'Ethernet II',
      '802.1ad VLAN',
      '802.1Q VLAN',
      'IPv6',
      'TCP',
    ]);
    expect(fieldOf(dissect(1, v6), 'IPv6', 'Destination')).toMatchObject({
      value: '2001:db8::2',
      offset: 22 + 24,
      length: 16,
    });
    const sll = buildFrame({
      linkType: 276,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      flags: 2,
    });
    expect(dissect(276, sll).map((l) => l.name)).toEqual(['Frame', 'Linux cooked capture v2', 'IPv4', 'TCP']);
  });

  it('marks a bad checksum and an unverifiable one', () => {
    const bad = buildFrame({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      seq: 0,
      flags: 2,
      corruptChecksum: true,
    });
    expect(fieldOf(dissect(1, bad), 'TCP', 'Checksum').value).toMatch(/\[incorrect — often checksum offload/);
    const cut = syn.subarray(0, syn.length - 1);
    expect(fieldOf(dissect(1, cut), 'TCP', 'Checksum').value).toMatch(/\[unverified\]$/);
  });

  it('stops with an error sentence at a truncated or impossible layer', () => {
    expect(dissect(1, syn.subarray(0, 10)).at(-1)).toMatchObject({
      name: 'Ethernet II',
      error: 'Ethernet header needs 14 bytes, only 10 captured',
    });
    const offset4 = syn.slice();
    offset4[46] = 0x40 | (offset4[46] & 0x0f);
    expect(dissect(1, offset4).at(-1)).toMatchObject({
      name: 'TCP',
      error: 'data offset 4 is below the minimum 5',
    });
    const badOpt = syn.slice();
    badOpt[55] = 30; // MSS length 30 runs past the header
    expect(dissect(1, badOpt).find((l) => l.name === 'TCP')?.error).toMatch(
      /option kind 2 at byte 54 has length 30/,
    );
  });

  it('shows what it can of the broken shared capture', () => {
    const r = captureReaderFromBytes(readFileSync(`${PCAP_DIR}/tcp_header_heapoverflow.pcap`));
    const rec = r.next()!;
    const layers = dissect(rec.linkType, rec.data);
    const tcp = layers.find((l) => l.name === 'TCP')!;
    expect(tcp.error).toBe('TCP header needs 20 bytes, only 12 captured');
    expect(tcp.fields.map((f) => f.name)).toEqual([
      'Source port',
      'Destination port',
      'Sequence number',
      'Acknowledgment number',
    ]);
  });
});
