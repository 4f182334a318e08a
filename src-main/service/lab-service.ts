/**
 * LabService: the one façade every host uses — Electron's main process, the
 * web-mode server and the CLI. It takes bridge commands as untrusted data
 * (name + arguments), validates them against the contract's schemas, runs
 * them, and answers with a `Reply` that carries errors as data, never a
 * thrown exception. Events go out in batches through `subscribe`.
 */
import { basename, join } from 'node:path';
import {
  checkCommand,
  type AppInfo,
  type BridgeError,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type EventListener,
  type FileSummary,
  type PacketDetail,
  type Reply,
} from '../../src-shared/contract';
import { dissect } from '../wire';
import { analyzeCapture, CaptureOpenError, type AnalyzeResult } from './analyze';
import { EventBatcher } from './events';
import { CaptureService, CaptureServiceError, type CaptureServiceOptions } from './capture-service';
import { SimError, SimService } from './sim-service';
import { VhostService, VhostServiceError, type VhostServiceOptions } from './vhost-service';
import { LabsError, LabsService, type LabsServiceOptions } from './labs-service';
import { defaultDataDir } from './capture-service';
import { SettingsError, SettingsService, type SettingsServiceOptions } from './settings-service';
import { capturePermissionAdvice, withPermissionAdvice } from '../capture/permission-advice';

export const VERSION = '0.1.0';

export interface LabServiceOptions {
  host: AppInfo['host'];
  /** Shows a native open dialog and returns the chosen path (Electron only). */
  showOpenDialog?: () => Promise<string | null>;
  /** Where the injection audit log and live captures go (default $TCPLAB_DATA_DIR or ~/.tcplab). */
  dataDir?: string;
  /** Capture-service settings (helper, allowed injection interfaces; tests pass a fake helper). */
  capture?: Omit<CaptureServiceOptions, 'emit' | 'openFile' | 'dataDir'>;
  /** settings.json (default: settings.json in the data directory; null keeps settings in memory). */
  settingsFile?: string | null;
  /** Settings, first-run and sample-capture options (resources folder, how capture is set up, a probe for tests). */
  settings?: Pick<SettingsServiceOptions, 'resourcesDir' | 'capture' | 'probeCapture' | 'createClient'>;
  /** Labs: the lab folder, and Electron's HTML-to-PDF printer for reports. */
  labs?: Pick<LabsServiceOptions, 'dir' | 'printPdf'>;
  /** Virtual host and lab networks ("Real peer" view): tests fake the lab-network layer and frame I/O. */
  vhost?: Omit<VhostServiceOptions, 'emit'>;
}

interface OpenFile {
  summary: FileSummary;
  analysis: AnalyzeResult;
}

/** An error with a code and a sentence for people, turned into a failed Reply. */
export class ServiceError extends Error {
  constructor(
    readonly code: BridgeError['code'],
    message: string,
  ) {
    super(message);
  }
}

type Handlers = {
  [K in CommandName]: (args: CommandArgs<K>) => Promise<CommandResult<K>> | CommandResult<K>;
};

export class LabService {
  private readonly files = new Map<number, OpenFile>();
  private nextFileId = 1;
  readonly events = new EventBatcher();
  private readonly handlers: Handlers;
  readonly capture: CaptureService;
  /** Simulations of the Simulate view (`sim.*`). */
  readonly sim: SimService;
  /** Settings, first run, menu actions and sample captures (`settings.*`, `app.firstRun`, `app.menuAction`). */
  readonly settings: SettingsService;
  /** Classroom labs (`labs.*`). */
  readonly labs: LabsService;
  /** A virtual host against the Linux kernel, and lab networks (`vhost.*`, `labnet.*`). */
  readonly vhost: VhostService;

  constructor(private readonly opts: LabServiceOptions) {
    this.capture = new CaptureService({
      ...opts.capture,
      dataDir: opts.dataDir,
      emit: (e) => this.events.emit(e),
      openFile: (path) => this.openPath(path),
    });
    this.sim = new SimService({ emit: (e) => this.events.emit(e) });
    this.settings = new SettingsService({
      ...opts.settings,
      helper: opts.capture?.helper,
      createClient: opts.settings?.createClient ?? opts.capture?.createClient,
      settingsFile:
        opts.settingsFile === undefined
          ? join(opts.dataDir ?? defaultDataDir(), 'settings.json')
          : opts.settingsFile,
      emit: (e) => this.events.emit(e),
      openFile: (path) => this.openPath(path),
      openLab: (path) => this.labs.loadFile(path),
    });
    this.labs = new LabsService({ ...opts.labs, dataDir: opts.dataDir ?? defaultDataDir() });
    this.vhost = new VhostService({
      helper: opts.capture?.helper,
      ...opts.vhost,
      emit: (e) => this.events.emit(e),
    });
    this.handlers = {
      ...this.labs.handlers(),
      ...this.capture.handlers(),
      ...this.settings.handlers(),
      ...this.sim.handlers(),
      ...this.vhost.handlers(),
      'app.info': () => ({ version: VERSION, host: this.opts.host, platform: process.platform }),
      'files.open': ({ name, data }) => this.openBytes(name, Buffer.from(data, 'base64')),
      'files.openDialog': async () => {
        if (!this.opts.showOpenDialog) {
          throw new ServiceError(
            'unavailable',
            'No file dialog here: use the "Open capture…" file picker instead.',
          );
        }
        const path = await this.opts.showOpenDialog();
        return path === null ? null : this.openPath(path);
      },
      'files.list': () => [...this.files.values()].map((f) => f.summary),
      'files.close': ({ fileId }) => {
        const closed = this.files.delete(fileId);
        if (closed) this.events.emit({ type: 'files.closed', fileId });
        return { closed };
      },
      'sessions.list': ({ fileId }) => this.file(fileId).analysis.tracker.summaries(),
      'sessions.segments': ({ fileId, sessionId, offset = 0, limit = 200_000 }) => {
        const open = this.file(fileId);
        const { tracker, index } = open.analysis;
        if (!tracker.summary(sessionId)) {
          throw new ServiceError('not-found', `Session ${sessionId} is not in this file.`);
        }
        // Rows are made again from the file when asked for (capture-index.ts), not kept.
        const all = index
          ? this.readAgain(open, () => index.rows(tracker, sessionId))
          : tracker.segments(sessionId);
        return { total: all.length, offset, rows: all.slice(offset, offset + limit) };
      },
      'packets.detail': ({ fileId, frame }) => this.detail(fileId, frame),
    };
  }

  /** Handles one untrusted command; always resolves with a Reply. */
  async handle(name: unknown, args: unknown): Promise<Reply<unknown>> {
    const checked = checkCommand(name, args);
    if (!checked.ok) return { ok: false, error: checked.error };
    try {
      const handler = this.handlers[checked.name] as (a: unknown) => unknown;
      return { ok: true, result: await handler(checked.args) };
    } catch (e) {
      if (
        e instanceof ServiceError ||
        e instanceof CaptureServiceError ||
        e instanceof SimError ||
        e instanceof SettingsError ||
        e instanceof LabsError ||
        e instanceof VhostServiceError
      )
        return {
          ok: false,
          error: {
            code: e.code,
            message:
              e.code === 'permission' && !(e instanceof VhostServiceError && !e.captureAdvice)
                ? this.permissionMessage(e.message)
                : e.message,
          },
        };
      if (e instanceof CaptureOpenError)
        return { ok: false, error: { code: 'bad-file', message: e.message } };
      const message = e instanceof Error ? e.message : String(e);
      return {
        ok: false,
        error: { code: 'internal', message: `Internal error in ${checked.name}: ${message}` },
      };
    }
  }

  /** Typed convenience for in-process callers (CLI, tests). Throws ServiceError on failure. */
  async call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>> {
    const r = await this.handle(name, args);
    if (!r.ok) throw new ServiceError(r.error.code, r.error.message);
    return r.result as CommandResult<K>;
  }

  /** A capture permission refusal, with the advice that fits this install (docs/install.md). */
  private permissionMessage(message: string): string {
    const advice = this.opts.settings?.capture?.advice ?? capturePermissionAdvice(process.platform, false);
    return withPermissionAdvice(message, advice);
  }

  subscribe(listener: EventListener): () => void {
    return this.events.subscribe(listener);
  }

  openPath(path: string): FileSummary {
    return this.register(basename(path), analyzeCapture(path, { index: true }));
  }

  openBytes(name: string, bytes: Uint8Array): FileSummary {
    const clean = name.replace(/[\u0000-\u001f]/g, '').slice(0, 255) || 'capture';
    try {
      return this.register(clean, analyzeCapture(bytes, { index: true }));
    } catch (e) {
      if (e instanceof CaptureOpenError) throw new CaptureOpenError(`${clean}: ${e.message}`, e.offset);
      throw e;
    }
  }

  dispose(): void {
    void this.capture.dispose();
    this.sim.dispose();
    this.vhost.dispose();
    this.events.dispose();
    this.files.clear();
  }

  private register(name: string, analysis: AnalyzeResult): FileSummary {
    const id = this.nextFileId++;
    const summary: FileSummary = {
      id,
      name,
      format: analysis.format,
      packets: analysis.packets,
      tcpPackets: analysis.tcpPackets,
      malformed: analysis.malformed,
      malformedSamples: analysis.malformedSamples,
      sessions: analysis.tracker.sessionCount,
    };
    if (analysis.error) {
      summary.error =
        `The file is damaged at byte ${analysis.error.offset}: ${analysis.error.message}. ` +
        `The ${analysis.packets} packets before it are shown.`;
    }
    this.files.set(id, { summary, analysis });
    this.events.emit({ type: 'files.opened', file: summary });
    return summary;
  }

  private file(fileId: number): OpenFile {
    const f = this.files.get(fileId);
    if (!f) throw new ServiceError('not-found', `File ${fileId} is not open: open it again.`);
    return f;
  }

  private detail(fileId: number, frame: number): PacketDetail {
    const open = this.file(fileId);
    const f = this.readAgain(open, () => open.analysis.index?.frame(frame));
    if (!f) throw new ServiceError('not-found', `Frame ${frame} is not in this file.`);
    return {
      frame,
      time: f.time,
      length: f.data.length,
      bytes: Buffer.from(f.data).toString('base64'),
      layers: dissect(f.linkType, f.data),
    };
  }

  /** Runs `read` (which reads the opened file again); a file moved or deleted since is a clear error. */
  private readAgain<T>(open: OpenFile, read: () => T): T {
    try {
      return read();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw e;
      throw new ServiceError(
        'not-found',
        `${open.summary.name} cannot be read again (${code === 'ENOENT' ? 'it was moved or deleted' : code}): open it again.`,
      );
    }
  }
}
