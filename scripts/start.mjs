// `npm start`: set up what is missing, build, and open TCP Lab — the Electron
// desktop app where its runtime is installed, otherwise web mode in the
// browser, with a message that says why.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuild, ensureNodeModules, ensureSystemPackages, log, root } from './setup.mjs';

ensureSystemPackages(['libpcap-dev'], 'live capture');
ensureNodeModules();
if (!ensureBuild()) process.exit(1);

function electronBinary() {
  try {
    const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
    if (!existsSync(pathFile)) return null;
    const bin = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (bin && !headless && process.env.TCPLAB_WEB !== '1') {
  log('opening the desktop app');
  const child = spawn(bin, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = !bin
    ? 'the Electron runtime is not installed here (its download was refused or skipped)'
    : headless
      ? 'there is no display to open a window on'
      : 'TCPLAB_WEB=1 is set';
  log(`starting web mode because ${why}. Open the URL below in a browser; Ctrl-C stops it.`);
  const port = process.env.TCPLAB_PORT ?? '0';
  const child = spawn(process.execPath, [join(root, 'bin', 'tcplab.js'), 'serve', '--port', port], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
