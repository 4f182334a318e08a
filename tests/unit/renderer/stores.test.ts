/**
 * The Pinia stores against a scripted fake bridge: opening a file sends
 * base64 and selects it, a refused file leaves the reply's sentence in
 * `error`, sessions follow the current file, segment rows arrive page by page
 * into one array, stale replies are dropped, and the details store fetches
 * the clicked frame and clears with the session. Menu requests (File ▸ Export
 * Ladder…, Save Capture As…) are taken once, by the one component that can
 * carry them out, and the capture store asks the service where the capture
 * stands before the Capture view was ever opened.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick, watch } from 'vue';
import type {
  CaptureStatus,
  CommandArgs,
  CommandName,
  CommandResult,
  EventListener,
  FileSummary,
  LabBridge,
  Reply,
} from '../../../src-shared/contract';
import type { SegmentRow, SessionSummary } from '../../../src-shared/session';
import { setBridge } from '../../../src-renderer/src/bridge';
import { useCaptureStore } from '../../../src-renderer/src/stores/capture';
import { useDetailsStore } from '../../../src-renderer/src/stores/details';
import { useFilesStore } from '../../../src-renderer/src/stores/files';
import {
  NO_CAPTURE_NOTE,
  NO_LADDER_NOTE,
  usePageRequestsStore,
} from '../../../src-renderer/src/stores/requests';
import { SEGMENT_PAGE, useSessionsStore } from '../../../src-renderer/src/stores/sessions';

type Args = { offset: number; limit: number; frame: number };
type Handler = (args: Args) => Reply<unknown>;

class FakeBridge implements LabBridge {
  calls: Array<{ name: string; args: Args }> = [];
  listeners = new Set<EventListener>();
  constructor(private handlers: Partial<Record<CommandName, Handler>>) {}
  async invoke<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Reply<CommandResult<K>>> {
    this.calls.push({ name, args: args as unknown as Args });
    const h = this.handlers[name];
    const r = h
      ? h(args as unknown as Args)
      : { ok: false, error: { code: 'unknown-command', message: `no ${name}` } };
    return r as Reply<CommandResult<K>>;
  }
  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

const FILE: FileSummary = {
  id: 7,
  name: 'x.pcap',
  format: 'pcap',
  packets: 10,
  tcpPackets: 9,
  malformed: 0,
  malformedSamples: [],
  sessions: 1,
};
const SESSION = { id: 0, a: { ip: '10.0.0.1', port: 1 }, b: { ip: '10.0.0.2', port: 2 } } as SessionSummary;
const ROWS: SegmentRow[] = Array.from({ length: SEGMENT_PAGE * 2 + 5 }, (_, index) => ({
  index,
  frame: index + 1,
  time: index / 1000,
  dir: index % 2 ? 'ba' : 'ab',
  flags: 0x10,
  seq: index,
  ack: index,
  relSeq: index,
  relAck: index,
  len: 0,
  win: 1000,
  options: [],
  stateA: 'ESTABLISHED',
  stateB: 'ESTABLISHED',
  analysis: [],
}));

const STOPPED: CaptureStatus = {
  id: 1,
  state: 'stopped',
  iface: 'lo',
  filter: 'tcp',
  linkTypeName: 'EN10MB',
  paused: false,
  file: '/tmp/x.pcapng',
  injectAllowed: true,
  counters: { seen: 9, decoded: 8, malformed: 0, shown: 8, dropped: 0 },
  ended: 'stopped',
  following: null,
};

function fileLike(bytes: number[]) {
  return { name: 'x.pcap', size: bytes.length, arrayBuffer: async () => new Uint8Array(bytes).buffer };
}
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
};

describe('stores', () => {
  let bridge: FakeBridge;
  beforeEach(() => {
    bridge = new FakeBridge({
      'files.open': () => ({ ok: true, result: FILE }),
      'sessions.list': () => ({ ok: true, result: [SESSION] }),
      'sessions.segments': ({ offset, limit }) => ({
        ok: true,
        result: { total: ROWS.length, offset, rows: ROWS.slice(offset, offset + limit) },
      }),
      'packets.detail': ({ frame }) => ({
        ok: true,
        result: { frame, time: 1, length: 3, bytes: 'AQID', layers: [] },
      }),
    });
    setBridge(bridge);
    setActivePinia(createPinia());
  });

  it('opens a file as base64 and makes it current', async () => {
    const files = useFilesStore();
    const f = await files.openFile(fileLike([1, 2, 3, 4]));
    expect(f?.id).toBe(7);
    expect(bridge.calls[0]).toEqual({ name: 'files.open', args: { name: 'x.pcap', data: 'AQIDBA==' } });
    expect(files.currentId).toBe(7);
    expect(files.current?.name).toBe('x.pcap');
    expect(files.error).toBeNull();
    expect(files.busy).toBeNull();
  });

  it('keeps the error sentence of a refused file', async () => {
    setBridge(
      new FakeBridge({
        'files.open': () => ({
          ok: false,
          error: { code: 'bad-file', message: 'x.pcap is not a pcap or pcapng file.' },
        }),
      }),
    );
    setActivePinia(createPinia());
    const files = useFilesStore();
    expect(await files.openFile(fileLike([0]))).toBeNull();
    expect(files.error).toBe('x.pcap is not a pcap or pcapng file.');
    expect(files.currentId).toBeNull();
  });

  it('refuses a file too large to send, with a sentence', async () => {
    const files = useFilesStore();
    await files.openFile({ name: 'huge.pcap', size: 2 ** 31, arrayBuffer: async () => new ArrayBuffer(0) });
    expect(files.error).toMatch(/huge\.pcap is 2\.00 GiB/);
    expect(bridge.calls).toEqual([]);
  });

  it('follows files.opened and files.closed events', async () => {
    const files = useFilesStore();
    for (const l of bridge.listeners) l([{ type: 'files.opened', file: FILE }]);
    expect(files.files.map((f) => f.id)).toEqual([7]);
    for (const l of bridge.listeners) l([{ type: 'files.closed', fileId: 7 }]);
    expect(files.files).toEqual([]);
  });

  it('loads sessions for the current file and segment rows page by page', async () => {
    const files = useFilesStore();
    const sessions = useSessionsStore();
    await files.openFile(fileLike([1]));
    await nextTick();
    await settle();
    expect(sessions.list).toEqual([SESSION]);
    await sessions.select(0);
    expect(sessions.rows).toHaveLength(ROWS.length);
    expect(sessions.rows[SEGMENT_PAGE]).toBe(ROWS[SEGMENT_PAGE]);
    expect(sessions.rowsTotal).toBe(ROWS.length);
    expect(sessions.rowsLoading).toBe(false);
    const pages = bridge.calls.filter((c) => c.name === 'sessions.segments').map((c) => c.args.offset);
    expect(pages).toEqual([0, SEGMENT_PAGE, SEGMENT_PAGE * 2]);
  });

  it('drops rows of a session the user already left', async () => {
    const files = useFilesStore();
    const sessions = useSessionsStore();
    await files.openFile(fileLike([1]));
    await settle();
    const first = sessions.select(0);
    sessions.clearSelection();
    await first;
    expect(sessions.rows).toEqual([]);
    expect(sessions.selectedId).toBeNull();
  });

  it('fetches the clicked frame and clears with the session', async () => {
    const files = useFilesStore();
    const sessions = useSessionsStore();
    const details = useDetailsStore();
    await files.openFile(fileLike([1]));
    await settle();
    await sessions.select(0);
    await details.select(3);
    expect(bridge.calls.at(-1)).toEqual({ name: 'packets.detail', args: { fileId: 7, frame: 4 } });
    expect(details.detail?.frame).toBe(4);
    expect(Array.from(details.bytes ?? [])).toEqual([1, 2, 3]);
    await details.step(1);
    expect(details.selectedIndex).toBe(4);
    await details.step(-10);
    expect(details.selectedIndex).toBe(0);
    sessions.clearSelection();
    await nextTick();
    expect(details.selectedIndex).toBeNull();
    expect(details.detail).toBeNull();
  });
});

describe('menu requests', () => {
  let status: Reply<CaptureStatus>;
  beforeEach(() => {
    status = { ok: true, result: STOPPED };
    setBridge(new FakeBridge({ 'capture.status': () => status }));
    setActivePinia(createPinia());
  });

  it('gives an export request to one visible ladder, at once, and says when none took it', () => {
    const requests = usePageRequestsStore();
    expect(requests.requestLadderExport()).toBe(false);
    // Two ladders watching as LadderView does: only a visible one takes it, and only once.
    const visible = [false, true, true];
    const opened: number[] = [];
    const stops = visible.map((_, i) =>
      watch(
        () => requests.exportLadder,
        () => {
          if (visible[i] && requests.takeLadderExport()) opened.push(i);
        },
        { flush: 'sync' },
      ),
    );
    expect(requests.requestLadderExport()).toBe(true);
    expect(opened).toEqual([1]);
    visible[1] = visible[2] = false;
    expect(requests.requestLadderExport()).toBe(false);
    expect(opened).toEqual([1]);
    // An unmounted ladder (its watcher stopped) takes nothing.
    visible[1] = true;
    stops.forEach((stop) => stop());
    expect(requests.requestLadderExport()).toBe(false);
    expect(opened).toEqual([1]);
  });

  it('keeps a save request until the Capture view takes it, once', () => {
    const requests = usePageRequestsStore();
    expect(requests.takeCaptureSave()).toBe(false);
    requests.requestCaptureSave();
    // The controls mount after the view switch: an immediate watcher takes the pending request.
    let saves = 0;
    const stop = watch(
      () => requests.saveCapture,
      () => {
        if (requests.takeCaptureSave()) saves++;
      },
      { immediate: true },
    );
    expect(saves).toBe(1);
    stop();
    // Mounting again does not save again.
    expect(requests.takeCaptureSave()).toBe(false);
  });

  it('keeps the note until dismissed', () => {
    const requests = usePageRequestsStore();
    expect(requests.note).toBeNull();
    requests.showNote(NO_CAPTURE_NOTE);
    expect(requests.note).toMatch(/no live capture to save yet.*already on disk/);
    requests.dismissNote();
    expect(requests.note).toBeNull();
    expect(NO_LADDER_NOTE).toBe('Open a capture or a simulation and pick a session first.');
  });

  it('asks the service where the capture stands, so the menu knows whether there is a file to save', async () => {
    const cap = useCaptureStore();
    expect(cap.status).toBeNull();
    expect((await cap.refreshStatus())?.file).toBe('/tmp/x.pcapng');
    expect(cap.status?.state).toBe('stopped');
    expect(cap.counters.decoded).toBe(8);
    status = { ok: false, error: { code: 'unavailable', message: 'The service is gone.' } };
    expect(await cap.refreshStatus()).toBeNull();
    expect(cap.error).toBe('The service is gone.');
  });
});
