'use strict';
/**
 * Electron fuses for TCP Lab's packaged binary, flipped at packaging time by
 * build/after-pack.cjs with @electron/fuses. docs/install.md shows the same
 * table (tests/unit/packaging/fuses.test.ts compares the two). Keys are the
 * names of @electron/fuses' FuseV1Options. RunAsNode stays ON on purpose: the
 * capture helper is the Electron binary run as Node (ELECTRON_RUN_AS_NODE=1),
 * started directly, through the Linux capture launcher or through pkexec;
 * turning it off would need a second Node runtime shipped beside the app.
 * GrantFileProtocolExtraPrivileges stays at Electron's default (on) because
 * the window loads the built renderer from file:// with ES module scripts.
 */
const FUSES = Object.freeze({
  RunAsNode: true,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  GrantFileProtocolExtraPrivileges: true,
});

/**
 * The config object `flipFuses` takes, built from @electron/fuses' own enums
 * (so a renamed fuse fails loudly here rather than being silently ignored).
 */
function fuseConfig(FuseVersion, FuseV1Options, { resetAdHocDarwinSignature = false } = {}) {
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature };
  for (const [name, value] of Object.entries(FUSES)) {
    const index = FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`@electron/fuses has no fuse named ${name}`);
    config[index] = value;
  }
  return config;
}

module.exports = { FUSES, fuseConfig };
