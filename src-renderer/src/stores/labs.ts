/**
 * The labs store: the lab list with saved progress, the lab being worked on
 * (its steps, questions, offered actions) and the learner's session in it as
 * the service reports it after every command — ladder rows, hosts' states,
 * live check results and score, predict-the-packet progress — plus report
 * export as a browser download, and a lab file of the learner's own (read
 * as text and sent with `labs.upload`, then shown like a built-in one).
 * Every call goes through the `labs.*` commands; components never reach the
 * bridge.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import {
  MAX_LAB_TEXT,
  type CommandArgs,
  type CommandName,
  type CommandResult,
} from '../../../src-shared/contract';
import type { LabListItem, LabPrediction, LabSessionState, LabView } from '../../../src-shared/labs';
import { useBridge } from '../bridge';
import { bytes as fmtBytes } from '../util/format';

/** What `upload` needs of a browser `File` (kept structural for tests). */
export interface LabFileLike {
  name: string;
  size: number;
  text(): Promise<string>;
}

export const useLabsStore = defineStore('labs', () => {
  const bridge = useBridge();
  const list = ref<LabListItem[]>([]);
  const lab = shallowRef<LabView | null>(null);
  const state = shallowRef<LabSessionState | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);
  const learner = ref('');

  async function call<K extends CommandName>(
    name: K,
    args: CommandArgs<K>,
  ): Promise<CommandResult<K> | null> {
    busy.value = true;
    try {
      const r = await bridge.invoke(name, args);
      if (!r.ok) {
        error.value = r.error.message;
        return null;
      }
      error.value = null;
      return r.result;
    } finally {
      busy.value = false;
    }
  }

  async function refresh(): Promise<void> {
    const r = await call('labs.list', {});
    if (r) list.value = r;
  }

  function show(r: { lab: LabView; state: LabSessionState }): void {
    lab.value = r.lab;
    state.value = r.state;
    learner.value = r.state.learner;
  }

  async function open(labId: string): Promise<void> {
    const r = await call('labs.open', { labId });
    if (r) show(r);
  }

  /** Opens a lab file the learner picked: read as text, checked by the service, shown like `open`. */
  async function upload(file: LabFileLike): Promise<void> {
    const name = file.name.slice(0, 255) || 'lab.yaml';
    if (file.size > MAX_LAB_TEXT) {
      error.value = `${name} is ${fmtBytes(file.size)}; a lab file can be at most ${fmtBytes(MAX_LAB_TEXT)}. Check that you picked the lab's YAML file.`;
      return;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      error.value = `Could not read ${name}: ${e instanceof Error ? e.message : String(e)}. Check that the file still exists and is readable.`;
      return;
    }
    const r = await call('labs.upload', { name, text });
    if (r) show(r);
  }

  function close(): void {
    lab.value = null;
    state.value = null;
    void refresh();
  }

  async function update(p: Promise<LabSessionState | null>): Promise<void> {
    const s = await p;
    if (s) state.value = s;
  }

  const id = (): string => lab.value?.id ?? '';

  function step(): Promise<void> {
    return update(call('labs.step', { labId: id() }));
  }
  function runToEnd(): Promise<void> {
    return update(call('labs.run', { labId: id() }));
  }
  function restart(): Promise<void> {
    return update(call('labs.restart', { labId: id() }));
  }
  function act(
    stepIndex: number,
    action: number,
    choice: { port?: number; ports?: number[]; seqMode?: 'exact' | 'in-window' | 'out-of-window' } = {},
  ): Promise<void> {
    return update(call('labs.act', { labId: id(), step: stepIndex, action, ...choice }));
  }
  function answer(question: string, value: string): Promise<void> {
    return update(call('labs.answer', { labId: id(), question, value }));
  }
  function hint(stepIndex: number): Promise<void> {
    return update(call('labs.hint', { labId: id(), step: stepIndex }));
  }
  function predict(p: LabPrediction): Promise<void> {
    return update(call('labs.predict', { labId: id(), ...p }));
  }

  async function setLearner(name: string): Promise<void> {
    const r = await call('labs.learner', { name });
    if (r) learner.value = r.learner;
  }

  /** Exports the report and hands it to the browser as a download. */
  async function exportReport(format: 'html' | 'pdf'): Promise<void> {
    const r = await call('labs.export', { labId: id(), format, learner: learner.value });
    if (!r) return;
    const g = globalThis as unknown as {
      document?: Document;
      URL: typeof URL;
      atob(s: string): string;
    };
    if (!g.document) return;
    const bin = g.atob(r.data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const url = g.URL.createObjectURL(new Blob([bytes], { type: r.mime }));
    const a = g.document.createElement('a');
    a.href = url;
    a.download = r.name;
    g.document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => g.URL.revokeObjectURL(url), 10_000);
  }

  return {
    list,
    lab,
    state,
    error,
    busy,
    learner,
    refresh,
    open,
    upload,
    close,
    step,
    runToEnd,
    restart,
    act,
    answer,
    hint,
    predict,
    setLearner,
    exportReport,
  };
});
