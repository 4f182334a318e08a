/**
 * The files store: opened capture files and the current one. A file chosen in
 * the page is read as bytes, base64-encoded in one pass (see util/base64) and
 * sent with `files.open`; the Electron app can also use the native
 * `files.openDialog`. `files.opened`/`files.closed` events keep the list in
 * step with other windows. Whatever goes wrong — unreadable, too large, not a
 * capture — ends up in `error` as one sentence for the UI, never a throw.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { MAX_UPLOAD_BASE64, type FileSummary, type LabEvent } from '../../../src-shared/contract';
import { useBridge } from '../bridge';
import { base64Length, encodeBase64 } from '../util/base64';
import { bytes as fmtBytes } from '../util/format';

/** What `openFile` needs of a browser `File` (kept structural for tests). */
export interface FileLike {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export const useFilesStore = defineStore('files', () => {
  const bridge = useBridge();
  const files = ref<FileSummary[]>([]);
  const currentId = ref<number | null>(null);
  /** What is in progress ("Reading dns.pcap…"), or null. */
  const busy = ref<string | null>(null);
  /** The last failure as a sentence, or null. */
  const error = ref<string | null>(null);

  const current = computed(() => files.value.find((f) => f.id === currentId.value) ?? null);

  function upsert(f: FileSummary): void {
    const i = files.value.findIndex((x) => x.id === f.id);
    if (i >= 0) files.value.splice(i, 1, f);
    else files.value.push(f);
  }

  function opened(f: FileSummary): void {
    upsert(f);
    currentId.value = f.id;
    error.value = null;
  }

  async function openFile(file: FileLike): Promise<FileSummary | null> {
    error.value = null;
    const name = file.name.slice(0, 255) || 'capture';
    const maxBytes = Math.floor(MAX_UPLOAD_BASE64 / 4) * 3;
    if (base64Length(file.size) > MAX_UPLOAD_BASE64) {
      error.value = `${name} is ${fmtBytes(file.size)}; this window can open captures up to ${fmtBytes(maxBytes)}. Open it with the CLI (tcplab analyze) or cut it down with editcap.`;
      return null;
    }
    busy.value = `Reading ${name}…`;
    try {
      let buf: ArrayBuffer;
      try {
        buf = await file.arrayBuffer();
      } catch (e) {
        error.value = `Could not read ${name}: ${e instanceof Error ? e.message : String(e)}. Check that the file still exists and is readable.`;
        return null;
      }
      busy.value = `Opening ${name}…`;
      const r = await bridge.invoke('files.open', { name, data: encodeBase64(new Uint8Array(buf)) });
      if (!r.ok) {
        error.value = r.error.message;
        return null;
      }
      opened(r.result);
      return r.result;
    } finally {
      busy.value = null;
    }
  }

  async function openDialog(): Promise<FileSummary | null> {
    error.value = null;
    busy.value = 'Opening…';
    try {
      const r = await bridge.invoke('files.openDialog', {});
      if (!r.ok) {
        error.value = r.error.message;
        return null;
      }
      if (r.result) opened(r.result);
      return r.result;
    } finally {
      busy.value = null;
    }
  }

  /** Loads the list of files the service already has open (at start-up). */
  async function refresh(): Promise<void> {
    const r = await bridge.invoke('files.list', {});
    if (!r.ok) {
      error.value = r.error.message;
      return;
    }
    // Files opened earlier (another window, before a reload) become tabs. Merged, not replaced, and none is
    // made current, so a file the user is opening right now is not raced by this older answer; closed files
    // leave through `files.closed` events.
    for (const f of r.result) upsert(f);
  }

  function select(id: number | null): void {
    currentId.value = id;
  }

  function removed(id: number): void {
    files.value = files.value.filter((f) => f.id !== id);
    if (currentId.value === id)
      currentId.value = files.value.length ? files.value[files.value.length - 1].id : null;
  }

  async function close(id: number): Promise<void> {
    const r = await bridge.invoke('files.close', { fileId: id });
    if (!r.ok) {
      error.value = r.error.message;
      return;
    }
    removed(id);
  }

  function dismissError(): void {
    error.value = null;
  }

  bridge.subscribe((batch: LabEvent[]) => {
    for (const e of batch) {
      if (e.type === 'files.opened') upsert(e.file);
      else if (e.type === 'files.closed') removed(e.fileId);
    }
  });

  return {
    files,
    currentId,
    current,
    busy,
    error,
    openFile,
    openDialog,
    refresh,
    select,
    close,
    dismissError,
  };
});
