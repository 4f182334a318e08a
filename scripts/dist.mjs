// `npm run dist`: builds TCP Lab's installers for this platform — electron-vite
// build, then electron-builder with electron-builder.yml (Linux AppImage, deb,
// rpm; macOS dmg; Windows NSIS) into dist/. Before any work it checks what
// packaging needs and stops at once with a sentence when something is
// missing: above all the Electron runtime, which electron-builder downloads
// (from ELECTRON_MIRROR or GitHub) unless it is cached or unpacked in
// node_modules/electron/dist — where that download is refused, as on a
// machine without internet, nothing is built. On Linux it also wants a C
// compiler (the capture launcher) and libpcap's headers (cap is rebuilt for
// Electron's ABI); rpm is skipped with a warning when rpmbuild is missing.
// Afterwards cap is rebuilt for Node again, so the CLI and web mode keep
// working. `node scripts/dist.mjs --check` runs the checks only; arguments
// after `--` go to electron-builder.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { log, root } from './setup.mjs';

const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
const passThrough = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
const checkOnly = own.includes('--check');

function fail(message) {
  console.error(`\nnpm run dist: ${message}\n`);
  process.exit(1);
}

function have(cmd) {
  return spawnSync(process.platform === 'win32' ? 'where' : 'which', [cmd], { stdio: 'ignore' }).status === 0;
}

const electronVersion = (() => {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
})();

const PLATFORM = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform];
const ARCH = process.arch;

/** The Electron zip name electron-builder downloads for this platform. */
function electronZip() {
  return `electron-v${electronVersion}-${PLATFORM}-${ARCH}.zip`;
}

/** @electron/get's cache folders (ELECTRON_CACHE, else the per-OS default); each holds <hash>/<zip>. */
function cacheDirs() {
  const dirs = [];
  if (process.env.ELECTRON_CACHE) dirs.push(process.env.ELECTRON_CACHE);
  if (process.platform === 'darwin') dirs.push(join(homedir(), 'Library', 'Caches', 'electron'));
  else if (process.platform === 'win32')
    dirs.push(join(process.env.LOCALAPPDATA ?? homedir(), 'electron', 'Cache'));
  else dirs.push(join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'electron'));
  return dirs;
}

function cachedZip() {
  const zip = electronZip();
  for (const dir of cacheDirs()) {
    if (existsSync(join(dir, zip))) return join(dir, zip);
    let subs = [];
    try {
      subs = readdirSync(dir);
    } catch {
      continue;
    }
    for (const sub of subs) if (existsSync(join(dir, sub, zip))) return join(dir, sub, zip);
  }
  return null;
}

/** node_modules/electron/dist when the electron package's own download worked. */
function unpackedElectron() {
  const dist = join(root, 'node_modules', 'electron', 'dist');
  try {
    const bin = readFileSync(join(root, 'node_modules', 'electron', 'path.txt'), 'utf8').trim();
    return existsSync(join(dist, bin)) ? dist : null;
  } catch {
    return null;
  }
}

/** Whether the download URL answers (a HEAD request, a few seconds at most). */
async function downloadable() {
  const mirror = process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
  const base = mirror.endsWith('/') ? mirror : `${mirror}/`;
  const url = `${base}v${electronVersion}/${electronZip()}`;
  try {
    const r = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(8000) });
    return r.ok ? { ok: true, url } : { ok: false, url, why: `HTTP ${r.status}` };
  } catch (e) {
    return { ok: false, url, why: e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(e) };
  }
}

if (!PLATFORM) fail(`packaging on ${process.platform} is not supported: build on Linux, macOS or Windows.`);
if (!electronVersion)
  fail('the electron package is not installed: run npm ci first (ELECTRON_SKIP_BINARY_DOWNLOAD=1 is fine).');

const builderArgs = ['--config', 'electron-builder.yml', '--publish', 'never'];
const local = unpackedElectron();
const cached = cachedZip();
if (local) {
  log(`using the Electron runtime in node_modules/electron/dist (v${electronVersion})`);
  builderArgs.push(`-c.electronDist=${local}`, `-c.electronVersion=${electronVersion}`);
} else if (cached) {
  log(`using the cached Electron runtime ${cached}`);
} else {
  log(`checking that the Electron ${electronVersion} runtime can be downloaded…`);
  const d = await downloadable();
  if (!d.ok) {
    fail(
      `the Electron runtime (${electronZip()}) is not here and cannot be downloaded from ${d.url} (${d.why}).\n` +
        'Installers can only be built on a machine that can download it (or with it already in the Electron\n' +
        'cache, or unpacked in node_modules/electron/dist by a normal npm ci). Nothing was built. The app still\n' +
        'runs here in web mode: npm start. See docs/install.md, "Building the installers".',
    );
  }
}

const targets = [];
if (process.platform === 'linux') {
  if (!have(process.env.TCPLAB_CC || 'cc'))
    fail(
      'no C compiler: install one (Debian/Ubuntu: sudo apt install build-essential) for the capture launcher.',
    );
  if (!existsSync('/usr/include/pcap.h') && !existsSync('/usr/include/pcap/pcap.h'))
    fail(
      "libpcap's headers are missing (Debian/Ubuntu: sudo apt install libpcap-dev): cap is rebuilt for Electron.",
    );
  targets.push('--linux', 'AppImage', 'deb');
  if (have('rpmbuild')) targets.push('rpm');
  else log('rpmbuild is not installed: skipping the rpm (Debian/Ubuntu: sudo apt install rpm)');
} else if (process.platform === 'darwin') targets.push('--mac', 'dmg');
else targets.push('--win', 'nsis');

if (checkOnly) {
  log(`ready to build: electron-builder ${[...targets, ...builderArgs, ...passThrough].join(' ')}`);
  process.exit(0);
}

function step(what, cmd, args) {
  log(what);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.status === 0;
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
if (!step('building the app (electron-vite build)', npx, ['electron-vite', 'build']))
  fail('the build failed (see above).');
const built = step('packaging (electron-builder)', npx, [
  'electron-builder',
  ...targets,
  ...builderArgs,
  ...passThrough,
]);
// electron-builder rebuilt cap for Electron's ABI in node_modules: give Node its own build back.
step('rebuilding cap for Node again (CLI and web mode)', process.platform === 'win32' ? 'npm.cmd' : 'npm', [
  'rebuild',
  'cap',
]);
if (!built) fail('electron-builder failed (see above).');
log(`installers are in ${join(root, 'dist')}`);
