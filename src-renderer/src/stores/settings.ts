/**
 * The settings store: the user's settings (theme, zoom, recent files) as the
 * service keeps them, the first-run screen's offer (`app.firstRun`: a sample
 * capture, a simulation, the first lab, and whether live capture works here
 * and why not), and the menu actions that reach the page. Menu clicks in the
 * desktop app and the page's own controls in web mode both go through the
 * service's `app.menuAction` command; what the page has to do arrives as an
 * `app.action` event, kept in `lastAction` for the shell (App.vue) and the
 * views to react to, and `settings.changed` events keep the settings current.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  AppSettings,
  FileSummary,
  FirstRunInfo,
  LabEvent,
  MenuAction,
  ThemeChoice,
} from '../../../src-shared/contract';
import { useBridge } from '../bridge';

/** One `app.action` event, numbered so watchers see repeats of the same action. */
export interface PageAction {
  seq: number;
  action: MenuAction;
  name?: string;
}

export const useSettingsStore = defineStore('settings', () => {
  const bridge = useBridge();
  const settings = ref<AppSettings | null>(null);
  const firstRun = shallowRef<FirstRunInfo | null>(null);
  const showFirstRun = ref(false);
  /** The live-capture check is running. */
  const checking = ref(false);
  const error = ref<string | null>(null);
  const lastAction = ref<PageAction | null>(null);
  let seq = 0;

  const theme = computed<ThemeChoice>(() => settings.value?.theme ?? 'system');
  // The system's choice, kept current, for what is drawn outside CSS (the labs' SVG ladder).
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const systemDark = ref(media?.matches ?? false);
  media?.addEventListener('change', (e) => (systemDark.value = e.matches));
  /** The page is dark: the theme chosen in the settings, or the system's. */
  const dark = computed(() => (theme.value === 'system' ? systemDark.value : theme.value === 'dark'));
  const zoom = computed(() => settings.value?.zoom ?? 1);

  async function loadFirstRun(recheck = false): Promise<void> {
    checking.value = true;
    try {
      const r = await bridge.invoke('app.firstRun', recheck ? { recheck: true } : {});
      if (r.ok) {
        firstRun.value = r.result;
        settings.value = r.result.settings;
        if (!recheck) showFirstRun.value = showFirstRun.value || r.result.show;
        error.value = null;
      } else {
        error.value = r.error.message;
      }
    } finally {
      checking.value = false;
    }
  }

  async function set(patch: { theme?: ThemeChoice; zoom?: number; firstRunDone?: boolean }): Promise<void> {
    const r = await bridge.invoke('settings.set', patch);
    if (r.ok) settings.value = r.result;
    else error.value = r.error.message;
  }

  async function dismissFirstRun(): Promise<void> {
    showFirstRun.value = false;
    await set({ firstRunDone: true });
  }

  /** A menu action, as the desktop menu would send it. */
  async function menu(action: MenuAction, arg: { index?: number; name?: string } = {}): Promise<boolean> {
    const r = await bridge.invoke('app.menuAction', { action, ...arg });
    if (!r.ok) error.value = r.error.message;
    return r.ok;
  }

  async function openSample(name: string): Promise<FileSummary | null> {
    const r = await bridge.invoke('files.openSample', { name });
    if (r.ok) return r.result;
    error.value = r.error.message;
    return null;
  }

  function onEvents(batch: LabEvent[]): void {
    for (const e of batch) {
      if (e.type === 'settings.changed') settings.value = e.settings;
      else if (e.type === 'app.action') {
        lastAction.value = { seq: ++seq, action: e.action, name: e.name };
        if (e.action === 'show-first-run') {
          showFirstRun.value = true;
          void loadFirstRun();
        }
      }
    }
  }
  bridge.subscribe(onEvents);

  function dismissError(): void {
    error.value = null;
  }

  return {
    settings,
    firstRun,
    showFirstRun,
    checking,
    error,
    lastAction,
    theme,
    dark,
    zoom,
    loadFirstRun,
    set,
    dismissFirstRun,
    menu,
    openSample,
    dismissError,
  };
});
