/**
 * Where things are in an installed TCP Lab, and how the capture helper is
 * started there. electron-builder (electron-builder.yml) lays the app out as
 * `<resources>/app.asar` (the built `out/` and the runtime node_modules),
 * `<resources>/app.asar.unpacked/` (the capture helper's two .cjs files and the
 * whole `cap` package with its native addon — they run outside the asar),
 * `<resources>/{scenarios,labs,captures,docs}` (extraResources), and on Linux
 * `<resources>/tcplab-capture-helper`, the small launcher that holds the
 * capture capabilities. Unpackaged (electron-vite dev, `electron .`, web mode)
 * everything comes from the repository. Every function takes the facts it
 * needs (`PackagedEnv`: isPackaged, resourcesPath, platform, environment,
 * file probes) as data, so tests lay out a temporary folder like an installed
 * app and check the answers without an Electron runtime; `packagedEnv()`
 * reads the real ones in Electron's main process.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { HelperClientOptions } from '../capture/helper-client';
import {
  capturePermissionAdvice,
  type CaptureAccessMethod,
  type PermissionAdvice,
} from '../capture/permission-advice';

export { capturePermissionAdvice, withPermissionAdvice } from '../capture/permission-advice';
export type { CaptureAccessMethod, PermissionAdvice } from '../capture/permission-advice';

/** The facts about the running app that decide every path. */
export interface PackagedEnv {
  /** Electron's `app.isPackaged`. */
  isPackaged: boolean;
  /** Electron's `process.resourcesPath` (…/resources, or …/Contents/Resources on macOS). */
  resourcesPath: string;
  /** The running binary (`process.execPath`): Electron, or Node in web mode. */
  execPath: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** The repository root when unpackaged (default: two folders above out/main). */
  sourceRoot?: string;
  /** File probes (tests replace them). */
  exists?: (path: string) => boolean;
  canExecute?: (path: string) => boolean;
}

/** The launcher's file name in resources/ (Linux packages). */
export const LAUNCHER_NAME = 'tcplab-capture-helper';
/** Where pkexec and the polkit action are on the systems the deb/rpm target. */
export const PKEXEC_PATHS = ['/usr/bin/pkexec', '/bin/pkexec'];
export const POLKIT_POLICY = '/usr/share/polkit-1/actions/org.tcplab.capture.policy';

function defaultCanExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The real environment, in Electron's main process (`app` passed in so this module never imports electron). */
export function packagedEnv(app: { isPackaged: boolean }): PackagedEnv {
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath ?? '';
  return {
    isPackaged: app.isPackaged,
    resourcesPath,
    execPath: process.execPath,
    platform: process.platform,
    env: process.env,
  };
}

function sourceRoot(env: PackagedEnv): string {
  // out/main/index.js → the repository is two folders up; from src-main/app too.
  return env.sourceRoot ?? resolve(__dirname, '..', '..');
}

/** The folder that holds scenarios/, labs/, captures/ (and docs/ when packaged). */
export function resourcesDir(env: PackagedEnv): string {
  return env.isPackaged ? env.resourcesPath : join(sourceRoot(env), 'resources');
}

/** A file or folder in the resources folder: `resourcePath(env, 'scenarios')`. */
export function resourcePath(env: PackagedEnv, ...parts: string[]): string {
  return join(resourcesDir(env), ...parts);
}

/** The install guide: shipped in resources/docs when packaged, docs/ in the repository. */
export function installGuidePath(env: PackagedEnv): string {
  return env.isPackaged
    ? join(env.resourcesPath, 'docs', 'install.md')
    : join(sourceRoot(env), 'docs', 'install.md');
}

/** The unpacked copy of the app (files listed in asarUnpack), or the repository when unpackaged. */
export function unpackedDir(env: PackagedEnv): string {
  return env.isPackaged ? join(env.resourcesPath, 'app.asar.unpacked') : sourceRoot(env);
}

export interface HelperFiles {
  /** helper-process.cjs, outside the asar. */
  helper: string;
  /** cap-adapter.cjs beside it. */
  adapter: string;
  /** The `cap` package folder the helper loads as cap. */
  capDir: string;
  /** cap's native addon (built for Electron's ABI when packaged). */
  capNative: string;
  /** Linux packages only: the capability-holding launcher, or null. */
  launcher: string | null;
}

/** Where the capture helper's files are. Unpackaged, the built copies in out/main/capture. */
export function helperFiles(env: PackagedEnv): HelperFiles {
  const base = unpackedDir(env);
  const captureDir = join(base, 'out', 'main', 'capture');
  const capDir = join(base, 'node_modules', 'cap');
  return {
    helper: join(captureDir, 'helper-process.cjs'),
    adapter: join(captureDir, 'cap-adapter.cjs'),
    capDir,
    capNative: join(capDir, 'build', 'Release', 'cap.node'),
    launcher: env.isPackaged && env.platform === 'linux' ? join(env.resourcesPath, LAUNCHER_NAME) : null,
  };
}

/**
 * The `cap` folder Node's resolution finds from the helper's folder (walking
 * up through node_modules folders), or null: what loading cap inside the
 * helper will load.
 */
export function resolveCapFrom(
  helperPath: string,
  exists: (p: string) => boolean = existsSync,
): string | null {
  let dir = dirname(helperPath);
  for (;;) {
    const candidate = join(dir, 'node_modules', 'cap');
    if (exists(join(candidate, 'package.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export interface HelperPlan {
  method: CaptureAccessMethod;
  /** Options for CaptureHelperClient, or undefined for its defaults (running from source). */
  options: HelperClientOptions | undefined;
  /** Why this method, in a sentence (shown on the first-run screen). */
  note: string;
  /** What to say when capture is refused. */
  advice: PermissionAdvice;
}

/** True inside an AppImage (its runtime sets APPIMAGE to the image's path). */
export function isAppImage(env: PackagedEnv): boolean {
  return env.platform === 'linux' && typeof env.env.APPIMAGE === 'string' && env.env.APPIMAGE !== '';
}

/**
 * How to start the capture helper:
 * - unpackaged: the client's defaults (this process's Node, or Electron as Node);
 * - Linux deb/rpm: the launcher directly when this user may run it (the
 *   tcplab group; it holds cap_net_raw and cap_net_admin), else the launcher
 *   through pkexec when polkit is there (an administrator's password, kept a
 *   few minutes), else Electron as Node without privilege;
 * - AppImage, macOS, Windows: Electron as Node (ELECTRON_RUN_AS_NODE, hence
 *   the RunAsNode fuse), unprivileged — BPF access (macOS) and Npcap
 *   (Windows) decide whether it may capture.
 */
export function captureHelperPlan(env: PackagedEnv): HelperPlan {
  const exists = env.exists ?? existsSync;
  const canExecute = env.canExecute ?? defaultCanExecute;
  const appImage = isAppImage(env);
  if (!env.isPackaged) {
    return {
      method: 'direct',
      options: undefined,
      note: "Running from source: the capture helper runs with this process's Node, with its privileges.",
      advice: capturePermissionAdvice(env.platform, false),
    };
  }
  const files = helperFiles(env);
  const direct: HelperClientOptions = { helperPath: files.helper, execPath: env.execPath };
  if (env.platform === 'linux' && !appImage && files.launcher && exists(files.launcher)) {
    if (canExecute(files.launcher)) {
      return {
        method: 'launcher',
        options: { helperPath: files.helper, execPath: files.launcher },
        note: 'You are in the tcplab group: the capture launcher captures for you, no password needed.',
        advice: capturePermissionAdvice('linux', true, { method: 'launcher' }),
      };
    }
    const pkexec = PKEXEC_PATHS.find((p) => exists(p));
    if (pkexec && exists(POLKIT_POLICY)) {
      return {
        method: 'pkexec',
        options: { helperPath: files.helper, execPath: files.launcher, wrapper: [pkexec] },
        note:
          "You are not in the tcplab group: live capture asks for an administrator's password (polkit) " +
          'when it starts.',
        advice: capturePermissionAdvice('linux', true, { method: 'pkexec' }),
      };
    }
  }
  return {
    method: 'direct',
    options: direct,
    note:
      env.platform === 'darwin'
        ? 'The capture helper runs as you: it can capture when you are in the access_bpf group (ChmodBPF).'
        : env.platform === 'win32'
          ? 'The capture helper runs as you, through Npcap.'
          : appImage
            ? 'The AppImage runs the capture helper as you, without capture privileges.'
            : 'The capture helper runs as you, without capture privileges.',
    advice: capturePermissionAdvice(env.platform, true, { method: 'direct', appImage }),
  };
}

/**
 * Points the parts of the app that find their data through the environment
 * at the packaged copies: the engine reads TCPLAB_SCENARIOS
 * (src-main/engine/scenarios.ts), and TCPLAB_LABS / TCPLAB_RESOURCES name the
 * lab and resource folders. Values already set win (a teacher's own scenario
 * folder). Unpackaged, nothing changes. Returns what it set.
 */
export function applyPackagedEnvironment(env: PackagedEnv): Record<string, string> {
  const set: Record<string, string> = {};
  if (!env.isPackaged) return set;
  const wanted: Record<string, string> = {
    TCPLAB_SCENARIOS: resourcePath(env, 'scenarios'),
    TCPLAB_LABS: resourcePath(env, 'labs'),
    TCPLAB_RESOURCES: resourcesDir(env),
  };
  for (const [k, v] of Object.entries(wanted)) {
    if (env.env[k]) continue;
    env.env[k] = v;
    set[k] = v;
  }
  return set;
}
