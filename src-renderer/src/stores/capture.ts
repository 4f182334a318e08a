/**
 * The capture store: everything the Capture view shows and does, over the
 * `capture.*` commands and events. It holds the interface list, the chosen
 * interface and filter, the capture's status and counters, the live sessions
 * (merged from `capture.sessions` events, which carry only the changed ones)
 * and the selected session's ladder rows — a contiguous tail of at most
 * MAX_LIVE_ROWS, in a `shallowRef`, fed by `capture.rows` events: rows that
 * continue the tail are appended, rows already held are replaced (the
 * service re-sends injected rows with their explanation), and a gap (the
 * session outran the view) starts a fresh window. It runs the lab targets,
 * keeps what their sockets reported, and sends confirmed injections. Every
 * failure ends up in `error` (or `injectError`) as the service's sentence.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  CaptureCounters,
  CaptureInterfaceInfo,
  CaptureStatus,
  FileSummary,
  InjectReport,
  InjectSeqChoice,
  LabEvent,
  LabSocketReport,
  LabTargetAction,
  LabTargetInfo,
} from '../../../src-shared/contract';
import type { SegmentRow, SessionSummary } from '../../../src-shared/session';
import { useBridge } from '../bridge';
import { decodeBase64 } from '../util/base64';
import { useFilesStore } from './files';

/** Rows of the selected session kept for the ladder (the newest ones). */
export const MAX_LIVE_ROWS = 20_000;
const MAX_REPORTS = 12;

const ZERO: CaptureCounters = { seen: 0, decoded: 0, malformed: 0, shown: 0, dropped: 0 };

export interface InjectChoice {
  flag: 'SYN' | 'FIN' | 'RST';
  toward: 'a' | 'b';
  seq: InjectSeqChoice;
}

/** Merges a batch of rows into the held tail (append, replace, or a fresh window after a gap). */
export function mergeRows(
  held: readonly SegmentRow[],
  incoming: readonly SegmentRow[],
  max = MAX_LIVE_ROWS,
): SegmentRow[] {
  if (incoming.length === 0) return held as SegmentRow[];
  let out: SegmentRow[];
  if (held.length === 0) out = incoming.slice();
  else {
    const base = held[0].index;
    const next = held[held.length - 1].index + 1;
    if (incoming[0].index > next) out = incoming.slice();
    else {
      out = held.slice();
      for (const r of incoming) {
        const pos = r.index - base;
        if (pos < 0) continue;
        if (pos < out.length) out[pos] = r;
        else if (pos === out.length) out.push(r);
      }
    }
  }
  return out.length > max ? out.slice(out.length - max) : out;
}

export const useCaptureStore = defineStore('capture', () => {
  const bridge = useBridge();

  const interfaces = ref<CaptureInterfaceInfo[]>([]);
  const iface = ref('');
  const filter = ref('');
  /** Capture payloads too (saved files hold whole frames); by default only the first 256 bytes, every header. */
  const wholeFrames = ref(false);
  const status = ref<CaptureStatus | null>(null);
  const counters = ref<CaptureCounters>({ ...ZERO });
  /** Live sessions in id order. */
  const sessions = shallowRef<SessionSummary[]>([]);
  const selectedId = ref<number | null>(null);
  const rows = shallowRef<SegmentRow[]>([]);
  const rowsLoading = ref(false);
  /** The ladder keeps the newest row selected and in view. */
  const followTail = ref(true);
  const error = ref<string | null>(null);
  /** What is in progress ("Starting…"), or null. */
  const busy = ref<string | null>(null);
  const targets = ref<LabTargetInfo[]>([]);
  const reports = ref<LabSocketReport[]>([]);
  const injecting = ref(false);
  const injectResult = shallowRef<InjectReport | null>(null);
  const injectError = ref<string | null>(null);
  /** The Files entry of the last reopened capture. */
  const reopened = ref<FileSummary | null>(null);

  const running = computed(() => status.value?.state === 'running');
  const paused = computed(() => status.value?.paused ?? false);
  const selected = computed(() => sessions.value.find((s) => s.id === selectedId.value) ?? null);
  const currentIface = computed(() => interfaces.value.find((i) => i.name === iface.value) ?? null);
  const rowsTotal = computed(() => {
    const last = rows.value[rows.value.length - 1];
    return Math.max(selected.value?.packets ?? 0, last ? last.index + 1 : 0);
  });

  let byId: SessionSummary[] = [];
  let captureId = 0;
  let rowsToken = 0;
  /** Rows that arrived while the selected session's first page was loading. */
  let early: SegmentRow[] = [];

  function resetCapture(): void {
    byId = [];
    sessions.value = [];
    selectedId.value = null;
    rows.value = [];
    early = [];
    rowsToken++;
    injectResult.value = null;
    injectError.value = null;
    followTail.value = true;
  }

  function setStatus(s: CaptureStatus): void {
    if (s.id !== captureId) {
      captureId = s.id;
      resetCapture();
    }
    const wasPaused = status.value?.paused ?? false;
    status.value = s;
    counters.value = s.counters;
    if (wasPaused && !s.paused && selectedId.value !== null) void loadRows(selectedId.value);
  }

  function mergeSessions(list: SessionSummary[]): void {
    for (const s of list) byId[s.id] = s;
    sessions.value = byId.filter((s) => s !== undefined);
  }

  function onEvents(batch: LabEvent[]): void {
    let changed: SessionSummary[] | null = null;
    for (const e of batch) {
      switch (e.type) {
        case 'capture.status':
          if (changed) mergeSessions(changed);
          changed = null;
          setStatus(e.status);
          break;
        case 'capture.sessions':
          (changed ??= []).push(...e.sessions);
          break;
        case 'capture.rows':
          if (e.sessionId !== selectedId.value) break;
          if (rowsLoading.value) early.push(...e.rows);
          else rows.value = mergeRows(rows.value, e.rows);
          break;
        case 'capture.counters': {
          const { seen, decoded, malformed, shown, dropped } = e;
          counters.value = { seen, decoded, malformed, shown, dropped };
          break;
        }
        case 'capture.error':
          error.value = e.message;
          break;
        case 'capture.socket':
          noteReport(e.report);
          break;
      }
    }
    if (changed) mergeSessions(changed);
  }
  bridge.subscribe(onEvents);

  function noteReport(r: LabSocketReport): void {
    const key = (x: LabSocketReport) => `${x.role}:${x.port}:${x.localPort}`;
    const list = reports.value.filter((x) => key(x) !== key(r) || x.localPort === 0);
    list.unshift(r);
    reports.value = list.slice(0, MAX_REPORTS);
  }

  async function init(): Promise<void> {
    await loadInterfaces();
    const st = await refreshStatus();
    if (!st) return;
    if (st.iface) iface.value = st.iface;
    if (st.filter) filter.value = st.filter;
    if (st.state !== 'idle') {
      const ss = await bridge.invoke('capture.sessions', {});
      if (ss.ok) mergeSessions(ss.result);
    }
  }

  /** The service's word on the capture (also before the Capture view was ever opened), or null. */
  async function refreshStatus(): Promise<CaptureStatus | null> {
    const r = await bridge.invoke('capture.status', {});
    if (!r.ok) {
      error.value = r.error.message;
      return null;
    }
    setStatus(r.result);
    return r.result;
  }

  async function loadInterfaces(): Promise<void> {
    const r = await bridge.invoke('capture.interfaces', {});
    if (!r.ok) {
      error.value = r.error.message;
      return;
    }
    interfaces.value = r.result;
    if (!iface.value || !r.result.some((i) => i.name === iface.value)) {
      iface.value = (r.result.find((i) => i.loopback) ?? r.result[0])?.name ?? '';
    }
  }

  async function start(): Promise<boolean> {
    error.value = null;
    if (!iface.value) {
      error.value = 'Choose an interface to capture on.';
      return false;
    }
    busy.value = `Starting the capture on ${iface.value}…`;
    try {
      const r = await bridge.invoke('capture.start', {
        iface: iface.value,
        filter: filter.value.trim(),
        wholeFrames: wholeFrames.value,
      });
      if (!r.ok) {
        error.value = r.error.message;
        return false;
      }
      setStatus(r.result);
      return true;
    } finally {
      busy.value = null;
    }
  }

  async function simple(name: 'capture.stop' | 'capture.pause' | 'capture.resume'): Promise<void> {
    const r = await bridge.invoke(name, {});
    if (!r.ok) error.value = r.error.message;
    else setStatus(r.result);
  }
  const stop = () => simple('capture.stop');
  const pause = () => simple('capture.pause');
  const resume = () => simple('capture.resume');

  async function loadRows(sessionId: number): Promise<void> {
    const token = ++rowsToken;
    rowsLoading.value = true;
    early = [];
    const total = byId[sessionId]?.packets ?? 0;
    const r = await bridge.invoke('capture.segments', {
      sessionId,
      offset: Math.max(0, total - MAX_LIVE_ROWS),
      limit: MAX_LIVE_ROWS,
    });
    if (token !== rowsToken) return;
    rowsLoading.value = false;
    if (!r.ok) {
      error.value = r.error.message;
      return;
    }
    rows.value = mergeRows(mergeRows([], r.result.rows), early);
    early = [];
  }

  async function select(sessionId: number | null): Promise<void> {
    selectedId.value = sessionId;
    rows.value = [];
    followTail.value = true;
    injectResult.value = null;
    injectError.value = null;
    const f = await bridge.invoke('capture.follow', sessionId === null ? {} : { sessionId });
    if (!f.ok) error.value = f.error.message;
    if (sessionId === null) {
      rowsToken++;
      return;
    }
    await loadRows(sessionId);
  }

  /* lab targets */

  async function startTarget(kind: 'echo' | 'http'): Promise<LabTargetInfo | null> {
    error.value = null;
    const r = await bridge.invoke('capture.target.start', { kind });
    if (!r.ok) {
      error.value = r.error.message;
      return null;
    }
    targets.value = [...targets.value.filter((t) => t.kind !== kind), r.result];
    return r.result;
  }

  async function stopTargets(): Promise<void> {
    const r = await bridge.invoke('capture.target.stop', {});
    if (!r.ok) error.value = r.error.message;
    else targets.value = [];
  }

  async function runClient(action: LabTargetAction, port?: number): Promise<LabSocketReport | null> {
    error.value = null;
    const target = port ?? targets.value[0]?.port;
    const r = await bridge.invoke(
      'capture.target.client',
      action === 'refused' || target === undefined ? { action } : { action, port: target },
    );
    if (!r.ok) {
      error.value = r.error.message;
      return null;
    }
    noteReport(r.result);
    return r.result;
  }

  /** Filter presets: TCP on one port (the lab target's by default), or this host's first address. */
  function presetPort(port?: number): void {
    const p = port ?? targets.value[0]?.port;
    filter.value = p ? `tcp port ${p}` : 'tcp';
  }
  function presetHost(): void {
    const addrs = currentIface.value?.addresses ?? [];
    const addr = addrs.find((a) => !a.includes(':')) ?? addrs[0];
    filter.value = addr ? `host ${addr}` : '';
  }

  /* injection */

  async function inject(choice: InjectChoice): Promise<InjectReport | null> {
    const sessionId = selectedId.value;
    if (sessionId === null) return null;
    injecting.value = true;
    injectError.value = null;
    injectResult.value = null;
    try {
      const r = await bridge.invoke('capture.inject', { sessionId, ...choice, confirm: true });
      if (!r.ok) {
        injectError.value = r.error.message;
        return null;
      }
      injectResult.value = r.result;
      return r.result;
    } finally {
      injecting.value = false;
    }
  }

  /* the saved file */

  async function reopen(): Promise<FileSummary | null> {
    error.value = null;
    const r = await bridge.invoke('capture.reopen', {});
    if (!r.ok) {
      error.value = r.error.message;
      return null;
    }
    const files = useFilesStore();
    files.select(r.result.id);
    reopened.value = r.result;
    return r.result;
  }

  async function download(): Promise<{ name: string; bytes: Uint8Array } | null> {
    error.value = null;
    const r = await bridge.invoke('capture.download', {});
    if (!r.ok) {
      error.value = r.error.message;
      return null;
    }
    return { name: r.result.name, bytes: decodeBase64(r.result.data) };
  }

  function dismissError(): void {
    error.value = null;
  }

  return {
    wholeFrames,
    interfaces,
    iface,
    filter,
    status,
    counters,
    sessions,
    selectedId,
    selected,
    rows,
    rowsTotal,
    rowsLoading,
    followTail,
    error,
    busy,
    targets,
    reports,
    injecting,
    injectResult,
    injectError,
    reopened,
    running,
    paused,
    currentIface,
    init,
    refreshStatus,
    loadInterfaces,
    start,
    stop,
    pause,
    resume,
    select,
    startTarget,
    stopTargets,
    runClient,
    presetPort,
    presetHost,
    inject,
    reopen,
    download,
    dismissError,
  };
});
