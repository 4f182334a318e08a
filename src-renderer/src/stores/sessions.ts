/**
 * The sessions store: the TCP sessions of the current file, the selected
 * session and its segment rows. It follows the files store's current file.
 * Rows live in a `shallowRef` (a session can hold 100,000 segments; deep
 * reactivity on them would cost more than drawing them) and arrive in pages:
 * the first page is shown at once and later pages are appended by assigning a
 * new array, which the ladder treats as an append. Replies that arrive after
 * the user moved on are dropped. It also holds how the sessions table is
 * filtered (endpoint or port text with `port:`, `outcome:` and `flag:` terms,
 * an outcome and an analysis flag) and sorted (column and direction); the pure
 * `filterSessions`/`sortSessions` below do the work, so they are tested alone.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { SegmentAnalysis, SegmentRow, SessionSummary } from '../../../src-shared/session';
import { endpointLabel } from '../../../src-shared/tcp';
import { useBridge } from '../bridge';
import { useFilesStore } from './files';

/** Rows fetched per `sessions.segments` call (the contract allows up to 200,000). */
export const SEGMENT_PAGE = 20_000;

export interface SessionFilter {
  /**
   * Words that must all match: `port:443`, `outcome:refused`, `flag:dup-ack`, `state:TIME-WAIT`,
   * or any other text found in either endpoint ("10.0.0.1", "[::1]:80", "443").
   */
  text: string;
  /** An outcome code, or '' for any. */
  outcome: string;
  /** An analysis flag the session must carry at least once, or '' for any. */
  flag: SegmentAnalysis | '';
}

export type SortColumn = 'id' | 'a' | 'b' | 'packets' | 'bytes' | 'duration' | 'outcome' | 'states' | 'flags';

export interface SessionSort {
  column: SortColumn;
  dir: 'asc' | 'desc';
}

export const SORT_COLUMNS: readonly SortColumn[] = [
  'id',
  'a',
  'b',
  'packets',
  'bytes',
  'duration',
  'outcome',
  'states',
  'flags',
];

export function emptyFilter(): SessionFilter {
  return { text: '', outcome: '', flag: '' };
}

/** Total number of analysis flags a session carries. */
export function flagTotal(s: SessionSummary): number {
  let n = 0;
  for (const v of Object.values(s.analysis)) n += v ?? 0;
  return n;
}

function termMatches(s: SessionSummary, term: string): boolean {
  const colon = term.indexOf(':');
  const key = colon > 0 ? term.slice(0, colon) : '';
  const value = colon > 0 ? term.slice(colon + 1) : term;
  switch (key) {
    case 'port':
      return String(s.a.port) === value || String(s.b.port) === value;
    case 'outcome':
      return s.outcome === value || s.outcome.startsWith(value) || s.connState.toLowerCase() === value;
    case 'flag':
      return Object.keys(s.analysis).some((f) => f === value || f.startsWith(value));
    case 'state':
      return s.states.a.toLowerCase() === value || s.states.b.toLowerCase() === value;
    default: {
      const a = endpointLabel(s.a.ip, s.a.port).toLowerCase();
      const b = endpointLabel(s.b.ip, s.b.port).toLowerCase();
      return a.includes(term) || b.includes(term);
    }
  }
}

/** The sessions that pass every part of the filter, in their original order. */
export function filterSessions(list: readonly SessionSummary[], f: SessionFilter): SessionSummary[] {
  const terms = f.text
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (terms.length === 0 && !f.outcome && !f.flag) return list.slice();
  return list.filter(
    (s) =>
      (!f.outcome || s.outcome === f.outcome) &&
      (!f.flag || (s.analysis[f.flag] ?? 0) > 0) &&
      terms.every((t) => termMatches(s, t)),
  );
}

function sortKey(s: SessionSummary, c: SortColumn): number | string {
  switch (c) {
    case 'id':
      return s.id;
    case 'a':
      return endpointLabel(s.a.ip, s.a.port);
    case 'b':
      return endpointLabel(s.b.ip, s.b.port);
    case 'packets':
      return s.packets;
    case 'bytes':
      return s.bytes;
    case 'duration':
      return s.lastTime - s.firstTime;
    case 'outcome':
      return s.outcome;
    case 'states':
      return `${s.states.a}/${s.states.b}`;
    case 'flags':
      return flagTotal(s);
  }
}

/** A sorted copy; ties keep session order (ids ascending), so the result is stable in both directions. */
export function sortSessions(list: readonly SessionSummary[], sort: SessionSort): SessionSummary[] {
  const keyed = list.map((s) => ({ s, k: sortKey(s, sort.column) }));
  const sign = sort.dir === 'asc' ? 1 : -1;
  keyed.sort((x, y) => {
    const c =
      typeof x.k === 'number' && typeof y.k === 'number'
        ? x.k - y.k
        : String(x.k).localeCompare(String(y.k), 'en', { numeric: true });
    return c !== 0 ? sign * c : x.s.id - y.s.id;
  });
  return keyed.map((e) => e.s);
}

export const useSessionsStore = defineStore('sessions', () => {
  const bridge = useBridge();
  const files = useFilesStore();

  const fileId = ref<number | null>(null);
  const list = shallowRef<SessionSummary[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const selectedId = ref<number | null>(null);
  const rows = shallowRef<SegmentRow[]>([]);
  /** How many rows the session has in all (rows.length may still be growing). */
  const rowsTotal = ref(0);
  const rowsLoading = ref(false);
  const rowsError = ref<string | null>(null);

  const selected = computed(() => list.value.find((s) => s.id === selectedId.value) ?? null);

  const filter = ref<SessionFilter>(emptyFilter());
  const sort = ref<SessionSort>({ column: 'id', dir: 'asc' });
  /** `sessions` filtered, then sorted, as the table shows them. */
  function applyTo(sessions: readonly SessionSummary[]): SessionSummary[] {
    return sortSessions(filterSessions(sessions, filter.value), sort.value);
  }
  /** The current file's list as the table shows it. */
  const shown = computed(() => applyTo(list.value));

  /** Sorts by `column`; the same column again flips the direction. Numbers start largest first. */
  function sortBy(column: SortColumn): void {
    const cur = sort.value;
    if (cur.column === column) sort.value = { column, dir: cur.dir === 'asc' ? 'desc' : 'asc' };
    else {
      const numeric =
        column === 'packets' || column === 'bytes' || column === 'duration' || column === 'flags';
      sort.value = { column, dir: numeric ? 'desc' : 'asc' };
    }
  }

  function setFilter(patch: Partial<SessionFilter>): void {
    filter.value = { ...filter.value, ...patch };
  }

  function clearFilter(): void {
    filter.value = emptyFilter();
  }

  let listToken = 0;
  let rowsToken = 0;

  function clearSelection(): void {
    rowsToken++;
    selectedId.value = null;
    rows.value = [];
    rowsTotal.value = 0;
    rowsLoading.value = false;
    rowsError.value = null;
  }

  async function load(id: number | null): Promise<void> {
    const token = ++listToken;
    clearSelection();
    fileId.value = id;
    list.value = [];
    filter.value = emptyFilter();
    error.value = null;
    if (id === null) return;
    loading.value = true;
    const r = await bridge.invoke('sessions.list', { fileId: id });
    if (token !== listToken) return;
    loading.value = false;
    if (!r.ok) {
      error.value = r.error.message;
      return;
    }
    list.value = r.result;
  }

  async function select(sessionId: number | null): Promise<void> {
    clearSelection();
    const fid = fileId.value;
    if (sessionId === null || fid === null) return;
    const token = rowsToken;
    selectedId.value = sessionId;
    rowsLoading.value = true;
    let offset = 0;
    for (;;) {
      const r = await bridge.invoke('sessions.segments', {
        fileId: fid,
        sessionId,
        offset,
        limit: SEGMENT_PAGE,
      });
      if (token !== rowsToken) return;
      if (!r.ok) {
        rowsError.value = r.error.message;
        break;
      }
      const page = r.result.rows;
      rowsTotal.value = r.result.total;
      rows.value = offset === 0 ? page : rows.value.concat(page);
      offset += page.length;
      if (page.length === 0 || offset >= r.result.total) break;
    }
    rowsLoading.value = false;
  }

  watch(
    () => files.currentId,
    (id) => {
      if (id !== fileId.value) void load(id);
    },
  );

  return {
    fileId,
    list,
    loading,
    error,
    selectedId,
    selected,
    rows,
    rowsTotal,
    rowsLoading,
    rowsError,
    filter,
    sort,
    shown,
    applyTo,
    sortBy,
    setFilter,
    clearFilter,
    load,
    select,
    clearSelection,
  };
});
