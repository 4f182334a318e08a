/**
 * The settings and first-run side of the LabService: `settings.get`,
 * `settings.set`, `app.firstRun`, `app.menuAction` and `files.openSample`.
 * Settings live in one JSON file (the desktop app's user data folder, or the
 * data directory in web mode), written atomically (a temporary file in the
 * same folder, fsync, rename) and read field by field against a schema: a
 * file that is not JSON starts over from the defaults, a field that is wrong
 * falls back to its default, and either way a warning says what happened
 * (nothing a user did must stop the app from starting). Menu actions that
 * are the service's to do — theme, zoom, recent files (a recent lab file is
 * loaded through the labs service, then opened by the page by its id),
 * sample capture — are done here, whichever host asked (the Electron menu or
 * the web page); the others reach the page as `app.action` events on the
 * usual event stream, so the renderer never gets a channel of its own. The
 * first-run screen learns whether live capture works by asking a capture
 * helper to list the interfaces and open one briefly — except when that
 * would pop up a password prompt (pkexec), which it then only announces.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as s from '../../src-shared/schema';
import type {
  AppSettings,
  CaptureAvailability,
  CommandArgs,
  CommandName,
  CommandResult,
  FileSummary,
  FirstRunInfo,
  LabEvent,
  MenuAction,
  SimScenarioInfo,
} from '../../src-shared/contract';
import { CaptureFailure, CaptureHelperClient, type HelperClientOptions } from '../capture/helper-client';
import {
  capturePermissionAdvice,
  withPermissionAdvice,
  type CaptureAccessMethod,
  type PermissionAdvice,
} from '../capture/permission-advice';
import { listScenarios } from '../engine';

export const DEFAULT_SETTINGS: Readonly<AppSettings> = Object.freeze({
  theme: 'system',
  zoom: 1,
  firstRunDone: false,
  recentFiles: [],
});

export const MAX_RECENT = 10;
export const ZOOM_STEP = 0.1;
export const ZOOM_MIN = 0.5;
export const ZOOM_MAX = 3;

/** One schema per field: a wrong field falls back to its default alone. */
const FIELD_SCHEMAS: { [K in keyof AppSettings]: s.Schema<AppSettings[K]> } = {
  theme: s.literal('system', 'light', 'dark'),
  zoom: s.number({ min: ZOOM_MIN, max: ZOOM_MAX }),
  firstRunDone: s.boolean(),
  recentFiles: s.array(s.string({ min: 1, max: 4096 }), { max: 100 }),
};

export interface LoadedSettings {
  settings: AppSettings;
  /** What was wrong with the file, in sentences (empty when it was fine or absent). */
  warnings: string[];
}

function copyDefaults(): AppSettings {
  return { ...DEFAULT_SETTINGS, recentFiles: [] };
}

/** Checks parsed JSON against the settings schema, field by field. */
export function validateSettings(raw: unknown, file = 'settings'): LoadedSettings {
  const settings = copyDefaults();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { settings, warnings: [`${file} does not hold a settings object: using the defaults.`] };
  }
  const warnings: string[] = [];
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(FIELD_SCHEMAS) as Array<keyof AppSettings>) {
    if (!(key in obj)) continue;
    const r = FIELD_SCHEMAS[key].check(obj[key], key);
    if (r.ok) (settings as unknown as Record<string, unknown>)[key] = r.value;
    else warnings.push(`${file}: ${r.error}; using the default.`);
  }
  settings.recentFiles = [...new Set(settings.recentFiles)].slice(0, MAX_RECENT);
  return { settings, warnings };
}

/** Reads a settings file: absent → defaults; not JSON → defaults and a warning. */
export function readSettingsFile(path: string): LoadedSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return { settings: copyDefaults(), warnings: [] };
    return {
      settings: copyDefaults(),
      warnings: [`Cannot read ${path} (${err.message}): using the default settings.`],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return {
      settings: copyDefaults(),
      warnings: [
        `${path} is damaged (${(e as Error).message}): using the default settings; it will be rewritten.`,
      ],
    };
  }
  return validateSettings(raw, path);
}

/**
 * Writes JSON so that a crash leaves either the old file or the new one,
 * never half of one: a temporary file beside it, flushed to disk, renamed over.
 */
export function writeJsonAtomic(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The settings of one user, in memory and on disk. */
export class SettingsStore {
  private current: AppSettings;
  /** Warnings from loading the file (shown once as log events). */
  readonly warnings: string[];
  private readonly listeners = new Set<(s: AppSettings) => void>();

  /** `warn` hears about a settings file that could not be written (the change still applies for this run). */
  constructor(
    readonly file: string | null,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    const loaded = file ? readSettingsFile(file) : { settings: copyDefaults(), warnings: [] };
    this.current = loaded.settings;
    this.warnings = loaded.warnings;
  }

  get(): AppSettings {
    return { ...this.current, recentFiles: [...this.current.recentFiles] };
  }

  /** Applies a change, saves it, and tells the listeners when something changed. */
  update(patch: Partial<AppSettings>): AppSettings {
    const next = validateSettings({ ...this.current, ...patch }).settings;
    const changed = JSON.stringify(next) !== JSON.stringify(this.current);
    this.current = next;
    if (changed) {
      this.save();
      const copy = this.get();
      for (const l of this.listeners) {
        try {
          l(copy);
        } catch {
          // a listener's failure must not undo the change
        }
      }
    }
    return this.get();
  }

  addRecent(path: string): AppSettings {
    const full = resolve(path);
    return this.update({
      recentFiles: [full, ...this.current.recentFiles.filter((p) => p !== full)].slice(0, MAX_RECENT),
    });
  }

  onChange(listener: (s: AppSettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private save(): void {
    if (!this.file) return;
    try {
      writeJsonAtomic(this.file, this.current);
    } catch (e) {
      this.warn(
        `Cannot save the settings to ${this.file} (${(e as Error).message}): they last until TCP Lab closes.`,
      );
    }
  }
}

/** The step after `zoom` in direction `dir` (−1 out, +1 in, 0 reset), rounded and clamped. */
export function nextZoom(zoom: number, dir: -1 | 0 | 1): number {
  if (dir === 0) return 1;
  const z = Math.round((zoom + dir * ZOOM_STEP) * 100) / 100;
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));
}

/** How capture is set up for this host (the desktop app passes its plan; web mode and tests use the default). */
export interface CaptureAccessInfo {
  method: CaptureAccessMethod;
  /** Why this method, in a sentence. */
  note: string;
  advice: PermissionAdvice;
}

export interface SettingsServiceOptions {
  emit: (e: LabEvent) => void;
  /** Opens a capture file by path (LabService.openPath). */
  openFile: (path: string) => FileSummary;
  /** Loads a lab file by path and returns its id (LabsService.loadFile); throws LabsError on a broken file. */
  openLab: (path: string) => string;
  /** Where settings.json is (null: in memory only). */
  settingsFile: string | null;
  /** The folder holding captures/, labs/, scenarios/ (default: found like the engine finds scenarios). */
  resourcesDir?: string;
  /** Capture helper options, the same the capture service uses. */
  helper?: HelperClientOptions;
  /** Builds a helper client (tests pass a fake). */
  createClient?: () => CaptureHelperClient;
  capture?: CaptureAccessInfo;
  /** Replaces the live-capture probe (tests). */
  probeCapture?: () => Promise<CaptureAvailability>;
}

export type SettingsCommandName =
  'settings.get' | 'settings.set' | 'app.firstRun' | 'app.menuAction' | 'files.openSample';
export type SettingsHandlers = {
  [K in SettingsCommandName & CommandName]: (
    args: CommandArgs<K>,
  ) => Promise<CommandResult<K>> | CommandResult<K>;
};

/** A failure a user can cause, with the reply's error code. */
export class SettingsError extends Error {
  constructor(
    readonly code: 'not-found' | 'bad-request' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** The resources folder of a run from source or the built CLI: beside the sources, the bundle, or the working directory. */
export function findResourcesDir(): string {
  const candidates: string[] = [];
  if (process.env.TCPLAB_RESOURCES) candidates.push(process.env.TCPLAB_RESOURCES);
  if (typeof __dirname === 'string')
    candidates.push(resolve(__dirname, '../../resources'), resolve(__dirname, '../resources'));
  candidates.push(resolve(process.cwd(), 'resources'));
  return (
    candidates.find((d) => existsSync(join(d, 'scenarios')) || existsSync(join(d, 'captures'))) ??
    candidates[0]
  );
}

const SAMPLE_TITLES: Record<string, string> = {
  'first-connection.pcap': 'A first connection: handshake, one HTTP request, FIN teardown and a refused port',
};
const FIRST_SCENARIO = 'handshake';
/** Lab files: the labs colleague's format, `*.tcplab` (YAML), or plain YAML. */
const LAB_FILE = /\.(tcplab|tcplab\.ya?ml|ya?ml)$/i;
const LAB_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The best interface to try: loopback first (always there, quiet), else the first one. */
function probeInterface(list: Array<{ name: string; loopback: boolean }>): string | null {
  return (list.find((i) => i.loopback) ?? list[0])?.name ?? null;
}

export class SettingsService {
  readonly store: SettingsStore;
  private readonly resources: string;
  private availability: CaptureAvailability | null = null;
  private probing: Promise<CaptureAvailability> | null = null;

  constructor(private readonly o: SettingsServiceOptions) {
    this.store = new SettingsStore(o.settingsFile, (message) =>
      o.emit({ type: 'log', level: 'warn', message }),
    );
    this.resources = o.resourcesDir ?? findResourcesDir();
    this.store.onChange((settings) => o.emit({ type: 'settings.changed', settings }));
    for (const w of this.store.warnings) o.emit({ type: 'log', level: 'warn', message: w });
  }

  handlers(): SettingsHandlers {
    return {
      'settings.get': () => this.store.get(),
      'settings.set': ({ theme, zoom, firstRunDone, clearRecent }) => {
        const patch: Partial<AppSettings> = {};
        if (theme !== undefined) patch.theme = theme;
        if (zoom !== undefined) patch.zoom = zoom;
        if (firstRunDone !== undefined) patch.firstRunDone = firstRunDone;
        if (clearRecent) patch.recentFiles = [];
        return this.store.update(patch);
      },
      'app.firstRun': ({ recheck }) => this.firstRun(recheck === true),
      'app.menuAction': ({ action, index, name }) => this.menuAction(action, { index, name }),
      'files.openSample': ({ name }) => this.openSample(name),
    };
  }

  /** The sample captures shipped in resources/captures: the titled (introductory) ones first, then by name. */
  samples(): string[] {
    const dir = join(this.resources, 'captures');
    const rank = (f: string) => (SAMPLE_TITLES[f] ? 0 : 1);
    try {
      return readdirSync(dir)
        .filter((f) => /\.(pcap|pcapng)$/i.test(f))
        .sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
    } catch {
      return [];
    }
  }

  openSample(name: string): FileSummary {
    if (!this.samples().includes(name)) {
      throw new SettingsError(
        'not-found',
        `There is no sample capture "${name}": reinstall TCP Lab to get the samples back.`,
      );
    }
    return this.o.openFile(join(this.resources, 'captures', name));
  }

  /** The built-in labs (resources/labs): name (the lab's id, for `labs.open`) and title, sorted by file name. */
  labs(): Array<{ name: string; title: string }> {
    const dir = process.env.TCPLAB_LABS || join(this.resources, 'labs');
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((f) => LAB_FILE.test(f))
        .sort();
    } catch {
      return [];
    }
    const out: Array<{ name: string; title: string }> = [];
    for (const f of files) {
      // The id is the file's `id:`, else its base name (as the lab loader has it).
      let name = f.replace(LAB_FILE, '');
      let title = name;
      try {
        const doc = parseYaml(readFileSync(join(dir, f), 'utf8')) as { id?: unknown; title?: unknown } | null;
        if (doc && typeof doc.id === 'string' && LAB_ID.test(doc.id)) name = doc.id;
        if (doc && typeof doc.title === 'string' && doc.title.trim()) title = doc.title.trim();
      } catch {
        // a broken lab still gets listed by name; the labs view reports what is wrong with it
      }
      out.push({ name, title });
    }
    return out;
  }

  private firstScenario(): SimScenarioInfo | null {
    try {
      const list = listScenarios(process.env.TCPLAB_SCENARIOS || join(this.resources, 'scenarios'));
      return list.find((x) => x.name === FIRST_SCENARIO) ?? list[0] ?? null;
    } catch {
      return null;
    }
  }

  async firstRun(recheck: boolean): Promise<FirstRunInfo> {
    const settings = this.store.get();
    const sample = this.samples()[0] ?? null;
    return {
      show: !settings.firstRunDone,
      settings,
      sampleCapture: sample ? { name: sample, title: SAMPLE_TITLES[sample] ?? sample } : null,
      simulation: this.firstScenario(),
      lab: this.labs()[0] ?? null,
      capture: await this.captureAvailability(recheck),
    };
  }

  /** Whether live capture works here; cached until `recheck`. */
  captureAvailability(recheck = false): Promise<CaptureAvailability> {
    if (this.availability && !recheck) return Promise.resolve(this.availability);
    if (!this.probing) {
      const run = this.o.probeCapture ? this.o.probeCapture() : this.probe();
      this.probing = run.then(
        (a) => {
          this.availability = a;
          this.probing = null;
          return a;
        },
        (e: unknown) => {
          this.probing = null;
          throw e;
        },
      );
    }
    return this.probing;
  }

  private access(): CaptureAccessInfo {
    return (
      this.o.capture ?? {
        method: 'direct',
        note: "The capture helper runs with this process's privileges.",
        advice: capturePermissionAdvice(process.platform, false),
      }
    );
  }

  /** Lists the interfaces and opens one for a moment, in a helper of its own. */
  private async probe(): Promise<CaptureAvailability> {
    const access = this.access();
    const base = { method: access.method, doc: access.advice.doc };
    if (access.method === 'pkexec') {
      return {
        ...base,
        available: null,
        reason: `${access.note} It is not tried now, so no password is asked for.`,
        advice: access.advice.text,
        interfaces: 0,
      };
    }
    const client = this.o.createClient
      ? this.o.createClient()
      : new CaptureHelperClient({ requestTimeoutMs: 8000, ...this.o.helper });
    try {
      const list = await client.listInterfaces();
      const iface = probeInterface(list);
      if (!iface) {
        return {
          ...base,
          available: false,
          reason: 'libpcap lists no network interfaces here.',
          advice: access.advice.text,
          interfaces: 0,
        };
      }
      await client.open({ iface, filter: 'less 1', snaplen: 64, bufferSize: 1 << 20 });
      await client.close();
      return {
        ...base,
        available: true,
        reason: `Live capture works: ${list.length} interface${list.length === 1 ? '' : 's'} (tried ${iface}). ${access.note}`,
        advice: null,
        doc: null,
        interfaces: list.length,
      };
    } catch (e) {
      const failure = e instanceof CaptureFailure ? e : null;
      const message = e instanceof Error ? e.message : String(e);
      const reason =
        failure?.code === 'permission'
          ? withPermissionAdvice(message, { ...access.advice, text: '' })
          : failure?.code === 'unavailable' || failure?.code === 'helper-missing'
            ? message
            : `The capture helper could not be used: ${message}`;
      return {
        ...base,
        available: false,
        reason,
        advice: failure?.code === 'unavailable' ? null : access.advice.text,
        interfaces: 0,
      };
    } finally {
      await client.dispose().catch(() => undefined);
    }
  }

  /** Carries out a menu action: here when it is the service's to do, else as an `app.action` event. */
  menuAction(action: MenuAction, arg: { index?: number; name?: string } = {}): { done: boolean } {
    const settings = this.store.get();
    switch (action) {
      case 'theme-system':
      case 'theme-light':
      case 'theme-dark':
        this.store.update({ theme: action.slice('theme-'.length) as AppSettings['theme'] });
        return { done: true };
      case 'zoom-in':
      case 'zoom-out':
      case 'zoom-reset':
        this.store.update({
          zoom: nextZoom(settings.zoom, action === 'zoom-in' ? 1 : action === 'zoom-out' ? -1 : 0),
        });
        return { done: true };
      case 'clear-recent':
        this.store.update({ recentFiles: [] });
        return { done: true };
      case 'open-recent': {
        const path = arg.index === undefined ? undefined : settings.recentFiles[arg.index];
        if (!path) throw new SettingsError('not-found', 'That recent file is no longer in the list.');
        if (!existsSync(path)) {
          this.store.update({ recentFiles: settings.recentFiles.filter((p) => p !== path) });
          throw new SettingsError(
            'not-found',
            `${path} is gone (moved or deleted): it was taken off the recent files.`,
          );
        }
        if (LAB_FILE.test(path) && !/\.(pcap|pcapng|cap)$/i.test(path)) {
          // Loaded here (a broken file throws the loader's sentences); the page opens it by id.
          const name = this.o.openLab(path);
          this.store.addRecent(path);
          this.o.emit({ type: 'app.action', action: 'open-builtin-lab', name });
          return { done: true };
        }
        this.o.openFile(path);
        this.store.addRecent(path);
        return { done: true };
      }
      case 'open-sample-capture': {
        const sample = arg.name ?? this.samples()[0];
        if (!sample) throw new SettingsError('not-found', 'No sample capture is installed.');
        this.openSample(sample);
        return { done: true };
      }
      case 'show-first-run':
        this.store.update({ firstRunDone: false });
        this.o.emit({ type: 'app.action', action });
        return { done: true };
      case 'open-builtin-lab':
      case 'open-simulation':
        this.o.emit(
          arg.name ? { type: 'app.action', action, name: arg.name } : { type: 'app.action', action },
        );
        return { done: true };
      default:
        // open-capture, open-lab, save-capture, export-ladder, capture-permissions, about: the page's to do
        this.o.emit({ type: 'app.action', action });
        return { done: true };
    }
  }
}
