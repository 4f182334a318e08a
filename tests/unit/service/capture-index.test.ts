/**
 * The Files view's capture index (service/capture-index.ts): on every real
 * capture — ../shared/pcaps, some malformed on purpose, and resources/captures,
 * port reuse and several interfaces included — the rows it makes again for a
 * session are exactly the rows a tracker keeping them all gives, and each
 * frame read again is the reader's frame; from a file and from bytes alike.
 * A file deleted after it was opened gives a clear error, not a crash.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCapture, CaptureOpenError } from '../../../src-main/service/analyze';
import { LabService } from '../../../src-main/service/lab-service';
import { openCaptureFile } from '../../../src-main/wire';

const ROOT = join(__dirname, '..', '..', '..');
const DIRS = [join(ROOT, '..', 'shared', 'pcaps'), join(ROOT, 'resources', 'captures')];
const FILES = DIRS.filter(existsSync).flatMap((d) =>
  readdirSync(d)
    .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
    .map((f) => join(d, f)),
);
const tmp = mkdtempSync(join(tmpdir(), 'tcplab-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function analyzed(source: string | Uint8Array, opts: Parameters<typeof analyzeCapture>[1]) {
  try {
    return analyzeCapture(source, opts);
  } catch (e) {
    if (e instanceof CaptureOpenError) return null;
    throw e;
  }
}

describe('capture index', () => {
  it.each(FILES.map((f) => [basename(f), f]))(
    '%s: rows and frames made again equal the kept ones',
    (_n, file) => {
      const kept = analyzed(file, { keepSegments: true });
      if (kept === null) return; // not a readable capture: nothing to index
      for (const source of [file, new Uint8Array(readFileSync(file))]) {
        const indexed = analyzed(source, { index: true })!;
        const index = indexed.index!;
        expect(indexed.tracker.summaries()).toEqual(kept.tracker.summaries());
        for (let id = 0; id < kept.tracker.sessionCount; id++) {
          expect(index.rows(indexed.tracker, id), `session ${id}`).toEqual(kept.tracker.segments(id));
        }
        const reader = openCaptureFile(file);
        try {
          for (
            let rec = reader.next(), n = 0;
            rec !== null && n < indexed.packets;
            rec = reader.next(), n++
          ) {
            const f = index.frame(rec.frame)!;
            expect(f.data, `frame ${rec.frame}`).toEqual(rec.data);
            expect([f.time, f.linkType]).toEqual([rec.time, rec.linkType]);
          }
        } catch (e) {
          // A file damaged part-way: the index covers what was read before the damage.
          if (indexed.error === null) throw e;
        } finally {
          reader.close();
        }
        expect(index.frame(0)).toBeUndefined();
        expect(index.frame(indexed.packets + 1)).toBeUndefined();
      }
    },
  );

  it('keeps no row and no frame bytes in memory', () => {
    const file = FILES.find((f) => f.endsWith('congestion.pcap')) ?? FILES[0];
    const r = analyzeCapture(file, { index: true });
    expect(r.tracker.segments(0)).toEqual([]);
    expect(r.index!.count).toBe(r.packets);
  });

  it('says so when the file opened in the Files view is gone', async () => {
    const src = FILES.find((f) => f.endsWith('lo-ipv4.pcap'))!;
    const copy = join(tmp, 'gone.pcap');
    copyFileSync(src, copy);
    const service = new LabService({ dataDir: tmp, host: 'web' });
    try {
      const file = service.openPath(copy);
      rmSync(copy);
      const rows = await service.handle('sessions.segments', { fileId: file.id, sessionId: 0 });
      expect(rows).toMatchObject({ ok: false, error: { code: 'not-found' } });
      expect(JSON.stringify(rows)).toMatch(
        /gone\.pcap cannot be read again \(it was moved or deleted\): open it again/,
      );
      const detail = await service.handle('packets.detail', { fileId: file.id, frame: 1 });
      expect(detail).toMatchObject({ ok: false, error: { code: 'not-found' } });
    } finally {
      service.dispose();
    }
  });
});
