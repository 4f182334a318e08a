'use strict';
/**
 * electron-builder's afterPack hook (electron-builder.yml `afterPack`). It runs
 * once per platform and architecture after the app folder is laid out and
 * before it is signed and turned into installers. On Linux it compiles the
 * capture launcher (build/linux/tcplab-capture-helper.c) into
 * resources/tcplab-capture-helper with the install path of the deb/rpm compiled
 * in (the package's postinst gives it its group and capabilities). On every
 * platform it then flips the Electron fuses of build/fuses.cjs with
 * @electron/fuses, through the packager's own `addElectronFuses` so the binary
 * is found the way electron-builder names it (fuses must be flipped before
 * signing, which is why this is afterPack and not afterSign).
 */
const { execFileSync } = require('node:child_process');
const { chmodSync, existsSync, mkdirSync } = require('node:fs');
const path = require('node:path');
const { fuseConfig } = require('./fuses.cjs');

const LAUNCHER_SOURCE = path.join(__dirname, 'linux', 'tcplab-capture-helper.c');
const ARCH_NAMES = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' };

/** The compiler command line for the launcher (exported for tests). */
function launcherCompileArgs({ appDir, executable, source = LAUNCHER_SOURCE, output }) {
  if (/["\\\n]/.test(appDir) || /["\\\n/]/.test(executable)) {
    throw new Error(`cannot compile the capture launcher for ${JSON.stringify(appDir)}/${executable}`);
  }
  return [
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-D_FORTIFY_SOURCE=2',
    '-fstack-protector-strong',
    '-fPIE',
    '-pie',
    `-DTCPLAB_APP_DIR="${appDir}"`,
    `-DTCPLAB_EXECUTABLE="${executable}"`,
    '-o',
    output,
    source,
  ];
}

function buildCaptureLauncher(context) {
  const { appOutDir, arch, packager } = context;
  const archName = ARCH_NAMES[arch] ?? String(arch);
  const cc = process.env.TCPLAB_CC || 'cc';
  if (archName !== process.arch && !process.env.TCPLAB_CC) {
    throw new Error(
      `Packaging for Linux ${archName} on ${process.arch}: set TCPLAB_CC to a C compiler for ${archName} ` +
        '(for example aarch64-linux-gnu-gcc) so the capture launcher can be built.',
    );
  }
  const appDir = `/opt/${packager.appInfo.sanitizedProductName}`;
  const executable = packager.executableName;
  const resources = path.join(appOutDir, 'resources');
  mkdirSync(resources, { recursive: true });
  const output = path.join(resources, 'tcplab-capture-helper');
  try {
    execFileSync(cc, launcherCompileArgs({ appDir, executable, output }), { stdio: 'inherit' });
  } catch (e) {
    throw new Error(
      `Could not compile the capture launcher with ${cc} (${e.message}). Install a C compiler ` +
        '(Debian/Ubuntu: sudo apt install build-essential) and run npm run dist again.',
    );
  }
  if (!existsSync(output)) throw new Error(`the capture launcher was not written to ${output}`);
  chmodSync(output, 0o755);
}

exports.launcherCompileArgs = launcherCompileArgs;

exports.default = async function afterPack(context) {
  const platform = context.electronPlatformName;
  if (platform === 'linux') buildCaptureLauncher(context);
  const { FuseVersion, FuseV1Options } = await import('@electron/fuses');
  const config = fuseConfig(FuseVersion, FuseV1Options, {
    // Flipping fuses breaks the ad-hoc signature of arm64 macOS binaries: re-sign it ad hoc.
    resetAdHocDarwinSignature:
      (platform === 'darwin' || platform === 'mas') && ARCH_NAMES[context.arch] === 'arm64',
  });
  await context.packager.addElectronFuses(context, config);
};
