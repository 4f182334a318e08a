/**
 * The many-host ladder store: several sessions of the current file stacked
 * on one diagram (a SYN scan: one scanner, many ports). It fetches each
 * session's rows (bounded per session and in all), tags them with their
 * session and the lanes of their endpoints, and merges them by time. Lanes:
 * a client address that opened several sessions is one lifeline for the host
 * (the scanner), every server endpoint (address:port) is its own; clients
 * first, then servers by address and port. The ladder reorders them.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { LadderRow, LaneSpec } from '../../../src-shared/ladder/layout';
import type { SessionSummary } from '../../../src-shared/session';
import { endpointLabel } from '../../../src-shared/tcp';
import { useBridge } from '../bridge';
import { useSessionsStore } from './sessions';

/** Sessions drawn at most, and rows fetched per session. */
export const MULTI_MAX_SESSIONS = 64;
export const MULTI_ROWS_PER_SESSION = 2_000;

export const useMultiLadderStore = defineStore('multiLadder', () => {
  const bridge = useBridge();
  const sessions = useSessionsStore();
  const active = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const rows = shallowRef<LadderRow[]>([]);
  const lanes = shallowRef<LaneSpec[]>([]);
  const selected = ref<number | null>(null);
  const note = ref<string | null>(null);
  let token = 0;

  function lanesFor(list: SessionSummary[]): { lanes: LaneSpec[]; ids: Map<number, [string, string]> } {
    const portsByClient = new Map<string, Set<number>>();
    for (const s of list) {
      const set = portsByClient.get(s.a.ip) ?? new Set<number>();
      set.add(s.a.port);
      portsByClient.set(s.a.ip, set);
    }
    const clients: LaneSpec[] = [];
    const servers: Array<LaneSpec & { ip: string; port: number }> = [];
    const seen = new Set<string>();
    const ids = new Map<number, [string, string]>();
    for (const s of list) {
      const byHost = (portsByClient.get(s.a.ip)?.size ?? 0) > 1 || list.length > 1;
      const a = byHost ? `h:${s.a.ip}` : `e:${endpointLabel(s.a.ip, s.a.port)}`;
      const b = `e:${endpointLabel(s.b.ip, s.b.port)}`;
      if (!seen.has(a)) {
        seen.add(a);
        const n = list.filter((x) => x.a.ip === s.a.ip).length;
        clients.push({
          id: a,
          label: byHost ? s.a.ip : endpointLabel(s.a.ip, s.a.port),
          role: 'client',
          roleLabel: n > 2 ? `client · ${n} sessions` : 'client',
        });
      }
      if (!seen.has(b)) {
        seen.add(b);
        servers.push({
          id: b,
          label: endpointLabel(s.b.ip, s.b.port),
          role: 'server',
          ip: s.b.ip,
          port: s.b.port,
        });
      }
      ids.set(s.id, [a, b]);
    }
    servers.sort((x, y) => (x.ip === y.ip ? x.port - y.port : x.ip < y.ip ? -1 : 1));
    return { lanes: [...clients, ...servers.map(({ id, label, role }) => ({ id, label, role }))], ids };
  }

  async function open(sessionIds?: number[]): Promise<void> {
    const t = ++token;
    const fileId = sessions.fileId;
    if (fileId === null) return;
    const wanted = sessionIds ? new Set(sessionIds) : null;
    let list = sessions.list.filter((s) => !wanted || wanted.has(s.id));
    note.value =
      list.length > MULTI_MAX_SESSIONS
        ? `Showing the first ${MULTI_MAX_SESSIONS} of ${list.length} sessions.`
        : null;
    list = list.slice(0, MULTI_MAX_SESSIONS);
    active.value = true;
    loading.value = true;
    error.value = null;
    selected.value = null;
    const { lanes: ls, ids } = lanesFor(list);
    const merged: LadderRow[] = [];
    for (const s of list) {
      const r = await bridge.invoke('sessions.segments', {
        fileId,
        sessionId: s.id,
        offset: 0,
        limit: MULTI_ROWS_PER_SESSION,
      });
      if (t !== token) return;
      if (!r.ok) {
        error.value = r.error.message;
        break;
      }
      const [laneA, laneB] = ids.get(s.id)!;
      for (const row of r.result.rows) merged.push({ ...row, session: s.id, laneA, laneB });
    }
    merged.sort((x, y) => x.time - y.time || x.frame - y.frame);
    lanes.value = ls;
    rows.value = merged;
    loading.value = false;
  }

  function close(): void {
    token++;
    active.value = false;
    rows.value = [];
    lanes.value = [];
    selected.value = null;
  }

  watch(
    () => sessions.fileId,
    () => close(),
  );

  return { active, loading, error, rows, lanes, selected, note, open, close };
});
