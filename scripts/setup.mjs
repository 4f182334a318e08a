// Set-up shared by `npm start` and `npm test`: system packages (when root and
// apt-get is here; otherwise the names to install are printed), `npm ci` when
// node_modules is missing or stale (retried with ELECTRON_SKIP_BINARY_DOWNLOAD=1
// when the Electron runtime download is refused), and the build when the
// sources are newer than it. Uses Node built-ins only: it runs before npm ci.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function log(msg) {
  process.stderr.write(`[tcplab setup] ${msg}\n`);
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: opts.capture ? 'pipe' : 'inherit',
    env: opts.env ?? process.env,
    encoding: 'utf8',
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function have(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`], { capture: true }).status === 0;
}

function dpkgInstalled(pkg) {
  const r = run('dpkg-query', ['-W', '-f=${Status}', pkg], { capture: true });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs Debian packages that are missing; returns the names still missing. */
export function ensureSystemPackages(pkgs, why) {
  if (!have('dpkg-query')) {
    log(`not a Debian-like system: make sure these are installed (${why}): ${pkgs.join(' ')}`);
    return pkgs;
  }
  const missing = pkgs.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return [];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !have('apt-get')) {
    log(`missing system packages (${why}): ${missing.join(' ')}`);
    log(`install them with: sudo apt-get install -y ${missing.join(' ')}`);
    return missing;
  }
  log(`installing system packages (${why}): ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  if (r.status !== 0) {
    run('apt-get', ['update', '-q'], { env });
    r = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  }
  const still = missing.filter((p) => !dpkgInstalled(p));
  if (still.length) log(`could not install: ${still.join(' ')}`);
  return still;
}

function lockHash() {
  return createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .update(process.version)
    .digest('hex');
}

/** Runs `npm ci` when node_modules does not match package-lock.json. */
export function ensureNodeModules() {
  const stamp = join(root, 'node_modules', '.tcplab-stamp');
  const want = lockHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm packages (npm ci)');
  let env = { ...process.env };
  let r = run('npm', ['ci', '--no-audit', '--no-fund'], { env, capture: true });
  process.stderr.write(r.stdout.slice(-4000) + r.stderr.slice(-4000));
  if (r.status !== 0 && !env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    log(
      'npm ci failed (often the Electron runtime download is refused); retrying with ELECTRON_SKIP_BINARY_DOWNLOAD=1',
    );
    env = { ...env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
    r = run('npm', ['ci', '--no-audit', '--no-fund'], { env, capture: true });
    process.stderr.write(r.stdout.slice(-4000) + r.stderr.slice(-4000));
  }
  if (r.status !== 0) {
    log('npm ci failed: see the messages above');
    process.exit(1);
  }
  if (!existsSync(join(root, 'node_modules', 'cap', 'build', 'Release', 'cap.node'))) {
    log(
      'the libpcap binding (cap) did not build: live capture will be unavailable. Install libpcap-dev and rerun.',
    );
  }
  writeFileSync(stamp, want);
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds main, preload and renderer with electron-vite when the sources are newer than out/. */
export function ensureBuild({ force = false } = {}) {
  const marker = join(root, 'out', 'main', 'cli.js');
  const sources = Math.max(
    ...['src-main', 'src-shared', 'src-renderer'].map((d) => newestMtime(join(root, d))),
    statSync(join(root, 'electron.vite.config.ts')).mtimeMs,
    statSync(join(root, 'package-lock.json')).mtimeMs,
  );
  if (!force && existsSync(marker) && statSync(marker).mtimeMs >= sources) return true;
  log('building (electron-vite build)');
  const r = run('npx', ['electron-vite', 'build']);
  if (r.status !== 0) {
    log('the build failed: see the messages above');
    return false;
  }
  return true;
}
