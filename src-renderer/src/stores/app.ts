/**
 * The app store: what the host says about itself (`app.info`: version and
 * whether it is the Electron app, web mode or the CLI — the contract's way of
 * telling, so no component has to know the bridge) and the latest `log`
 * events from the service or the bridge (connection lost, reconnected), shown
 * as a status line.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AppInfo, LabEvent } from '../../../src-shared/contract';
import { useBridge } from '../bridge';

export interface LogLine {
  seq: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

const MAX_LOG = 50;

export const useAppStore = defineStore('app', () => {
  const bridge = useBridge();
  const info = ref<AppInfo | null>(null);
  const infoError = ref<string | null>(null);
  const log = ref<LogLine[]>([]);
  let seq = 0;

  /** The Electron app offers a native open dialog; web mode a file picker. */
  const hasNativeDialog = computed(() => info.value?.host === 'electron');
  const lastLog = computed(() => log.value[log.value.length - 1] ?? null);

  async function loadInfo(): Promise<void> {
    const r = await bridge.invoke('app.info', {});
    if (r.ok) {
      info.value = r.result;
      infoError.value = null;
    } else {
      infoError.value = r.error.message;
    }
  }

  function onEvents(batch: LabEvent[]): void {
    for (const e of batch) {
      if (e.type !== 'log') continue;
      log.value.push({ seq: ++seq, level: e.level, message: e.message });
      if (log.value.length > MAX_LOG) log.value.splice(0, log.value.length - MAX_LOG);
    }
  }
  bridge.subscribe(onEvents);

  function dismissLog(): void {
    log.value = [];
  }

  return { info, infoError, hasNativeDialog, log, lastLog, loadInfo, dismissLog };
});
