import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LabService } from '../../../src-main/service';
import type { LabEvent } from '../../../src-shared/contract';

const PCAPS = join(__dirname, '..', '..', '..', '..', 'shared', 'pcaps');
const b64 = (name: string) => readFileSync(join(PCAPS, name)).toString('base64');

describe('LabService', () => {
  let service: LabService;
  afterEach(() => service?.dispose());

  it('opens an uploaded capture and serves its sessions, ladder rows and frame details', async () => {
    service = new LabService({ host: 'web' });
    const events: LabEvent[] = [];
    service.subscribe((batch) => events.push(...batch));
    const file = await service.call('files.open', {
      name: 'tcp-handshake-nano.pcap',
      data: b64('tcp-handshake-nano.pcap'),
    });
    expect(file.packets).toBeGreaterThan(0);
    expect(file.tcpPackets).toBe(file.packets);
    expect(file.sessions).toBeGreaterThan(0);
    const sessions = await service.call('sessions.list', { fileId: file.id });
    expect(sessions).toHaveLength(file.sessions);
    const seg = await service.call('sessions.segments', { fileId: file.id, sessionId: sessions[0].id });
    expect(seg.total).toBe(sessions[0].packets);
    expect(seg.rows[0].flags & 0x02).toBe(0x02); // the handshake starts with a SYN
    const detail = await service.call('packets.detail', { fileId: file.id, frame: seg.rows[0].frame });
    expect(detail.layers.map((l) => l.name).join(' ')).toMatch(/TCP|Transmission Control/);
    expect(Buffer.from(detail.bytes, 'base64').length).toBe(detail.length);
    service.events.flush();
    expect(events.some((e) => e.type === 'files.opened' && e.file.id === file.id)).toBe(true);
  });

  it('answers bad requests with errors as data and never throws', async () => {
    service = new LabService({ host: 'web' });
    expect(await service.handle('files.nope', {})).toMatchObject({
      ok: false,
      error: { code: 'unknown-command' },
    });
    expect(await service.handle('sessions.list', { fileId: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect(await service.handle('sessions.list', { fileId: 99 })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(await service.handle('files.openDialog', {})).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
  });

  it('refuses a file that is not a capture with a sentence', async () => {
    service = new LabService({ host: 'web' });
    const r = await service.handle('files.open', {
      name: 'x.txt',
      data: Buffer.from('hello world, not a pcap').toString('base64'),
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-file');
      expect(r.error.message).toMatch(/x\.txt: .*not a pcap or pcapng/);
    }
  });

  it('opens every shared capture without an internal error', async () => {
    service = new LabService({ host: 'web' });
    for (const name of [
      'dns_tcp.pcap',
      'ipv4_tcp_http_xml.pcap',
      'tcp_rst_data.pcap',
      'tcp_header_heapoverflow.pcap',
      'empty.pcapng',
    ]) {
      const r = await service.handle('files.open', { name, data: b64(name) });
      if (!r.ok) expect(r.error.code, `${name}: ${r.error.message}`).toBe('bad-file');
    }
  });
});
