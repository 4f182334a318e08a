/**
 * The sessions store: the TCP sessions of the current file, the selected
 * session and its segment rows. It follows the files store's current file.
 * Rows live in a `shallowRef` (a session can hold 100,000 segments; deep
 * reactivity on them would cost more than drawing them) and arrive in pages:
 * the first page is shown at once and later pages are appended by assigning a
 * new array, which the ladder treats as an append. Replies that arrive after
 * the user moved on are dropped.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { SegmentRow, SessionSummary } from '../../../src-shared/session';
import { useBridge } from '../bridge';
import { useFilesStore } from './files';

/** Rows fetched per `sessions.segments` call (the contract allows up to 200,000). */
export const SEGMENT_PAGE = 20_000;

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
    load,
    select,
    clearSelection,
  };
});
