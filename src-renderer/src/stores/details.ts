/**
 * The details store: the segment picked on the ladder (by its position in the
 * session's rows) and its decoded frame from `packets.detail` — layers with
 * fields, and the captured bytes for the hex view, with the field whose bytes
 * are highlighted, and why the segment did what it did (`explain`). It clears itself when the session changes and drops
 * replies for a segment that is no longer selected.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { DetailField, PacketDetail } from '../../../src-shared/contract';
import { explainObserved, type Explanation } from '../../../src-shared/explain';
import { useBridge } from '../bridge';
import { decodeBase64 } from '../util/base64';
import { useSessionsStore } from './sessions';

export const useDetailsStore = defineStore('details', () => {
  const bridge = useBridge();
  const sessions = useSessionsStore();

  /** Position of the selected segment in `sessions.rows`, or null. */
  const selectedIndex = ref<number | null>(null);
  const detail = shallowRef<PacketDetail | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** The field whose bytes are highlighted in the hex view. */
  const field = shallowRef<DetailField | null>(null);

  const row = computed(() =>
    selectedIndex.value === null ? null : (sessions.rows[selectedIndex.value] ?? null),
  );
  /**
   * Why the segment did what it did: the engine's own record for simulated and
   * injected segments, else what the observed states say (src-shared/explain.ts).
   */
  const explain = computed<Explanation | null>(() => {
    const r = row.value;
    if (r === null) return null;
    if (r.explain) return r.explain;
    const i = selectedIndex.value!;
    return explainObserved(r, i > 0 ? (sessions.rows[i - 1] ?? null) : null);
  });
  const bytes = computed<Uint8Array | null>(() => {
    if (!detail.value) return null;
    try {
      return decodeBase64(detail.value.bytes);
    } catch {
      return null;
    }
  });

  let token = 0;

  function clear(): void {
    token++;
    selectedIndex.value = null;
    detail.value = null;
    loading.value = false;
    error.value = null;
    field.value = null;
  }

  async function select(index: number | null): Promise<void> {
    if (index === null || index < 0 || index >= sessions.rows.length) {
      clear();
      return;
    }
    const r0 = sessions.rows[index];
    const fileId = sessions.fileId;
    if (fileId === null) return;
    const t = ++token;
    selectedIndex.value = index;
    field.value = null;
    error.value = null;
    if (detail.value?.frame === r0.frame) return;
    loading.value = true;
    const r = await bridge.invoke('packets.detail', { fileId, frame: r0.frame });
    if (t !== token) return;
    loading.value = false;
    if (r.ok) {
      detail.value = r.result;
    } else {
      detail.value = null;
      error.value = r.error.message;
    }
  }

  /** Moves the selection by `delta` rows (keyboard navigation), staying within the session. */
  function step(delta: number): Promise<void> {
    const n = sessions.rows.length;
    if (n === 0) return Promise.resolve();
    const from = selectedIndex.value ?? (delta > 0 ? -1 : n);
    return select(Math.min(n - 1, Math.max(0, from + delta)));
  }

  function highlight(f: DetailField | null): void {
    field.value = f;
  }

  watch(
    () => [sessions.fileId, sessions.selectedId],
    () => clear(),
  );

  return {
    selectedIndex,
    row,
    explain,
    detail,
    bytes,
    loading,
    error,
    field,
    clear,
    select,
    step,
    highlight,
  };
});
