/**
 * What to tell someone whose live capture was refused for lack of permission,
 * per platform and per kind of install — the sentence the app shows, and the
 * section of docs/install.md that explains it (the headings there carry these
 * anchors; tests/unit/packaging checks they exist). The capture helper's own
 * advice (cap-adapter.cjs) is written for people running from source and
 * suggests `setcap` on the helper's Node binary, which must never be done to
 * the Electron binary (electron#4583): `withPermissionAdvice` replaces that
 * part of a helper message with the advice that fits this install. Pure: no
 * Electron, no file system.
 */

/** How the capture helper is started (see src-main/app/packaged-paths.ts `captureHelperPlan`). */
export type CaptureAccessMethod =
  /** This process's Node (or Electron run as Node), unprivileged unless this process is. */
  | 'direct'
  /** Linux packages: the capture launcher with its file capabilities (user in the tcplab group). */
  | 'launcher'
  /** Linux packages: the capture launcher through pkexec (polkit asks for an administrator's password). */
  | 'pkexec';

export interface PermissionAdvice {
  /** One or two sentences that say what to do. */
  text: string;
  /** The anchor of the section in docs/install.md (without '#'). */
  section: string;
  /** `docs/install.md#<section>`: where the whole story is. */
  doc: string;
}

export interface AdviceOptions {
  method?: CaptureAccessMethod;
  /** Running from an AppImage (no installer ran: no group, no capabilities, no polkit action). */
  appImage?: boolean;
}

/** The install guide's sections, by anchor; docs/install.md must have a heading for each. */
export const INSTALL_SECTIONS = {
  linux: 'linux-live-capture',
  linuxAppImage: 'linux-appimage-live-capture',
  macos: 'macos-live-capture',
  windows: 'windows-live-capture',
  source: 'live-capture-from-source',
} as const;

function advice(section: string, text: string): PermissionAdvice {
  return { text, section, doc: `docs/install.md#${section}` };
}

/**
 * The advice for a permission failure on `platform` ('linux', 'darwin',
 * 'win32', …), for the packaged app (`packaged`) or a run from source.
 */
export function capturePermissionAdvice(
  platform: string,
  packaged: boolean,
  opts: AdviceOptions = {},
): PermissionAdvice {
  if (!packaged) {
    return advice(
      INSTALL_SECTIONS.source,
      'Running from source: start TCP Lab as root, or give the Node binary that runs it the capture ' +
        'capabilities (sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v node)")"; ' +
        'only on a machine kept for the lab) — see "Live capture from source" in docs/install.md.',
    );
  }
  if (platform === 'linux') {
    if (opts.appImage) {
      return advice(
        INSTALL_SECTIONS.linuxAppImage,
        'The AppImage cannot set up capture permissions by itself: install the .deb or .rpm package instead ' +
          '(it sets up the tcplab group and the capture launcher) — see "Linux AppImage live capture" in ' +
          'the install guide.',
      );
    }
    if (opts.method === 'pkexec') {
      return advice(
        INSTALL_SECTIONS.linux,
        "Capture needs an administrator's password each session, or membership of the tcplab group: " +
          'ask an administrator to run "sudo usermod -aG tcplab $USER", then log out and back in — see ' +
          '"Linux live capture" in the install guide.',
      );
    }
    return advice(
      INSTALL_SECTIONS.linux,
      'Your account may capture once it is in the tcplab group: ask an administrator to run ' +
        '"sudo usermod -aG tcplab $USER", then log out and back in. If you are in the group already, ' +
        'the capture launcher lost its capabilities: reinstall the package, or run ' +
        '"sudo setcap cap_net_raw,cap_net_admin=eip \'/opt/TCP Lab/resources/tcplab-capture-helper\'" — see ' +
        '"Linux live capture" in the install guide. Never give capabilities to TCP Lab itself.',
    );
  }
  if (platform === 'darwin') {
    return advice(
      INSTALL_SECTIONS.macos,
      'macOS lets only members of the access_bpf group capture: run the ChmodBPF installer once with ' +
        'sudo ("/Applications/TCP Lab.app/Contents/Resources/macos/chmodbpf/install.sh"; Wireshark\'s ' +
        'ChmodBPF works too), then log out and back in — see "macOS live capture" in the install guide.',
    );
  }
  if (platform === 'win32') {
    return advice(
      INSTALL_SECTIONS.windows,
      'Live capture on Windows needs Npcap (https://npcap.com/), installed in "WinPcap API-compatible ' +
        'Mode" and without "Restrict Npcap driver\'s access to Administrators only" — see "Windows ' +
        'live capture" in the install guide.',
    );
  }
  return advice(
    INSTALL_SECTIONS.source,
    'Capture needs libpcap and permission to open the network interfaces on this system — see the ' +
      'install guide.',
  );
}

/** The helper's generic advice, which starts at this sentence (cap-adapter.cjs `permissionAdvice`). */
const HELPER_ADVICE = /\s*Run the capture helper as root[\s\S]*$/;

/**
 * A helper's permission message with its generic advice replaced by `a`:
 * "No permission to capture on eth0 (libpcap: …). <advice>".
 */
export function withPermissionAdvice(message: string, a: PermissionAdvice): string {
  const base = message.replace(HELPER_ADVICE, '').trim();
  if (base.includes(a.text)) return base;
  const sep = /[.!?]$/.test(base) ? ' ' : '. ';
  return base === '' ? a.text : `${base}${sep}${a.text}`;
}
