'use strict';
/**
 * The one place in TCP Lab that touches libpcap, through the `cap` addon — our
 * patched copy in vendor/cap (0.2.1-tcplab.1, see vendor/cap/PATCHES.md), with
 * plain cap 0.2.1 still accepted: the device list with addresses, opening a
 * device with a BPF filter, a per-packet callback that COPIES the frame
 * synchronously (cap reuses one buffer for every packet, so the bytes are only
 * valid during the callback), and `send()` (a synchronous pcap_sendpacket).
 * libpcap's failures come back as Errors whose message is libpcap's own words
 * plus what to do about them, with a `code` ('bad-filter', 'no-such-interface',
 * 'permission', 'unavailable', 'open-failed', 'send-failed').
 *
 * With the patched cap, libpcap keeps only `snaplen` bytes per frame and, with
 * `immediate: false`, runs without immediate mode and with a short read timeout
 * (on Linux: TPACKET_V3 blocks that pack frames by their captured length,
 * handed over when a block fills or after READ_TIMEOUT_MS) — what a live
 * capture for the ladder asks for (256 bytes, blocks: see live-capture.ts) —
 * and it reports each frame's wire length, libpcap's timestamp and its drop
 * counters (`stats()`). The defaults are cap 0.2.1's behaviour, which a
 * virtual host on a real interface needs: whole frames (65535 bytes) handed
 * over one by one at once. Plain cap 0.2.1 always works that way (on Linux
 * TPACKET_V2, one 128 KiB slot per frame on `lo`: a 64 MiB ring holds ~500
 * frames) and gives no wire length, time or drops: then frames are cut to
 * `snaplen` here and stamped on arrival.
 * Plain CommonJS so the capture helper can run it directly under Node or
 * ELECTRON_RUN_AS_NODE; swap the addon by rewriting this file alone.
 */

/** Bytes kept per frame unless the caller says otherwise (cap 0.2.1's fixed value). */
const DEFAULT_SNAPLEN = 65535;
/** The most a caller may ask for (libpcap's own maximum; `lo` frames reach 65,550 bytes). */
const FULL_SNAPLEN = 262144;
const MIN_SNAPLEN = 64;
/** Plain cap 0.2.1 copies at most this many bytes into our buffer. */
const PLAIN_CAP_SNAPLEN = 65535;
/** libpcap's kernel buffer unless the caller asks otherwise. */
const DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024;
/** How long a partly filled TPACKET_V3 block may wait before libpcap hands it over. */
const READ_TIMEOUT_MS = 10;

/** cap's link-type names → LINKTYPE_ numbers of the tcpdump.org registry. */
const LINKTYPE_BY_NAME = {
  NULL: 0,
  ETHERNET: 1,
  IEEE802_11_RADIO: 127,
  LINKTYPE_LINUX_SLL: 113,
  RAW: 101,
};

/** The LINKTYPE number of cap's link-type string ("ETHERNET", "Unknown linktype 276"). */
function linkTypeNumber(name) {
  if (Object.prototype.hasOwnProperty.call(LINKTYPE_BY_NAME, name)) return LINKTYPE_BY_NAME[name];
  const m = /Unknown linktype (\d+)/.exec(String(name));
  return m ? Number(m[1]) : -1;
}

class CaptureError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CaptureError';
    this.code = code;
  }
}

let capModule = null;
/** Cap objects whose open failed: never closed, never collected (see openDevice). */
const retained = [];

/** Whether the loaded cap is our patched one (open() options, wire length and time, stats()). */
function isPatchedCap(mod) {
  return typeof mod.Cap.prototype.stats === 'function';
}

/** Loads the addon once; a missing or mis-built addon becomes a sentence. */
function loadCap() {
  if (capModule) return capModule;
  try {
    capModule = require('cap');
  } catch (e) {
    throw new CaptureError(
      'unavailable',
      `The packet-capture library could not be loaded (${e && e.message ? e.message.split('\n')[0] : e}). ` +
        'Install libpcap (Debian/Ubuntu: apt install libpcap-dev) and rebuild it with "npm rebuild cap" ' +
        '(for the desktop app: npx @electron/rebuild -o cap).',
    );
  }
  return capModule;
}

/** What to do when libpcap says we may not capture; `nodePath` is the helper's Node binary. */
function permissionAdvice(nodePath) {
  return (
    'Run the capture helper as root (sudo), or grant its Node binary the two capabilities once: ' +
    `sudo setcap cap_net_raw,cap_net_admin=eip ${nodePath} — or restrict that to a group: ` +
    `sudo groupadd -f pcap && sudo chgrp pcap ${nodePath} && sudo chmod 750 ${nodePath}, ` +
    'then add yourself to it (sudo usermod -aG pcap $USER) and log in again.'
  );
}

function isPermissionMessage(msg) {
  return /permission|not permitted|EPERM|EACCES|superuser/i.test(msg);
}

/** Device list: [{ name, description, loopback, addresses: [{ addr, netmask, broadaddr }] }]. */
function listDevices() {
  const { Cap } = loadCap();
  let list;
  try {
    list = Cap.deviceList();
  } catch (e) {
    const msg = String(e && e.message ? e.message : e);
    if (isPermissionMessage(msg)) {
      throw new CaptureError(
        'permission',
        `Cannot list interfaces (${msg}). ${permissionAdvice(process.execPath)}`,
      );
    }
    throw new CaptureError('open-failed', `Cannot list interfaces: ${msg}.`);
  }
  return list.map((d) => ({
    name: d.name,
    description: d.description || '',
    loopback: /LOOPBACK/.test(String(d.flags || '')) || d.name === 'lo',
    addresses: (d.addresses || []).map((a) => ({
      addr: a.addr,
      netmask: a.netmask || null,
      broadaddr: a.broadaddr || null,
    })),
  }));
}

/** Whether `iface` exists right now (Linux: /sys/class/net, elsewhere libpcap's list). */
function interfaceExists(iface) {
  if (iface === 'any') return true;
  if (process.platform === 'linux') {
    try {
      require('node:fs').accessSync(`/sys/class/net/${iface}`);
      return true;
    } catch {
      return false;
    }
  }
  try {
    return listDevices().some((d) => d.name === iface);
  } catch {
    return true;
  }
}

function translateOpenError(e, iface, filter) {
  const msg = String(e && e.message ? e.message : e).trim();
  if (/filter|syntax error|parse|compile/i.test(msg) && filter) {
    return new CaptureError(
      'bad-filter',
      `The capture filter "${filter}" is not valid: ${msg}. ` +
        'Fix it (pcap-filter(7) syntax, for example "tcp port 8080" or "host 127.0.0.1") or leave it empty to capture everything.',
    );
  }
  if (isPermissionMessage(msg)) {
    return new CaptureError(
      'permission',
      `No permission to capture on ${iface} (libpcap: ${msg}). ${permissionAdvice(process.execPath)}`,
    );
  }
  if (/no such device|doesn't exist|does not exist/i.test(msg)) {
    return noSuchInterface(iface);
  }
  return new CaptureError('open-failed', `Cannot capture on ${iface}: ${msg}.`);
}

function noSuchInterface(iface) {
  let names = [];
  try {
    names = listDevices().map((d) => d.name);
  } catch {
    // keep the message short when even the list fails
  }
  return new CaptureError(
    'no-such-interface',
    `interface ${iface} does not exist; available: ${names.length ? names.join(', ') : '(none found)'}`,
  );
}

/** Seconds since the epoch with microsecond resolution, for stamping frames on arrival (plain cap). */
function nowSeconds() {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** The snap length to use for `requested` (undefined: DEFAULT_SNAPLEN), within what the addon can do. */
function effectiveSnaplen(requested, patched) {
  const max = patched ? FULL_SNAPLEN : PLAIN_CAP_SNAPLEN;
  const n = Math.floor(Number(requested) || DEFAULT_SNAPLEN);
  return Math.max(MIN_SNAPLEN, Math.min(max, n));
}

/**
 * Opens `iface` with `filter` and calls `onFrame(buffer, caplen, origlen, time)`
 * for every packet; the callback must copy `buffer[0..caplen)` before it
 * returns. Options: `snaplen` (bytes kept per frame, 64 … 262144, default
 * 65535), `bufferSize` (libpcap's buffer, default 32 MiB), `immediate` (hand
 * over every frame at once, the default; false: in blocks, at most
 * READ_TIMEOUT_MS late). Returns { linkType, linkTypeName, snaplen,
 * send(frame), stats(), close() }.
 */
function openDevice(opts, onFrame) {
  const iface = String(opts.iface || '');
  const filter = opts.filter ? String(opts.filter) : '';
  const bufferSize = opts.bufferSize || DEFAULT_BUFFER_BYTES;
  if (!iface) throw new CaptureError('no-such-interface', 'No interface given: choose one from the list.');
  const mod = loadCap();
  const { Cap } = mod;
  const patched = isPatchedCap(mod);
  const snaplen = effectiveSnaplen(opts.snaplen, patched);
  if (!interfaceExists(iface)) throw noSuchInterface(iface);
  const cap = new Cap();
  // cap copies each frame into this buffer: with the patched cap libpcap never hands over more than snaplen.
  const buffer = Buffer.alloc(patched ? snaplen : PLAIN_CAP_SNAPLEN);
  let linkTypeName;
  try {
    linkTypeName = patched
      ? cap.open(iface, filter, bufferSize, buffer, {
          snaplen,
          immediate: opts.immediate !== false,
          timeout: READ_TIMEOUT_MS,
        })
      : cap.open(iface, filter, bufferSize, buffer);
  } catch (e) {
    const err = translateOpenError(e, iface, filter);
    if (!patched) {
      // cap 0.2.1 segfaults when a handle whose open failed is closed, and its
      // destructor closes it at garbage collection: keep it referenced and tell
      // the caller this process must be replaced (the helper exits and restarts).
      // The patched cap releases a failed handle at once.
      retained.push(cap);
      err.processPoisoned = true;
    }
    throw err;
  }
  if (patched) {
    cap.on('packet', (nbytes, _truncated, wireLength, time) => {
      onFrame(buffer, nbytes, wireLength, time);
    });
  } else {
    cap.on('packet', (nbytes, truncated) => {
      const caplen = nbytes > snaplen ? snaplen : nbytes;
      // cap copies at most 65535 bytes; a truncated frame's real length is unknown, so report what we have.
      onFrame(buffer, caplen, truncated ? Math.max(nbytes, 65536) : nbytes, nowSeconds());
    });
  }
  let open = true;
  return {
    linkType: linkTypeNumber(linkTypeName),
    linkTypeName,
    snaplen,
    send(frame) {
      if (!open) throw new CaptureError('send-failed', `Cannot send on ${iface}: the capture is closed.`);
      try {
        cap.send(frame, frame.length);
      } catch (e) {
        throw new CaptureError(
          'send-failed',
          `Sending a ${frame.length}-byte frame on ${iface} failed: ${e.message}.`,
        );
      }
    },
    /**
     * libpcap's counters since the open — { received, dropped, ifDropped } — or null where cap
     * cannot tell (plain cap 0.2.1, or the capture is closed). On Linux `dropped` counts frames the
     * kernel could not fit in the buffer; on `lo` every frame counts twice (sent and received copy).
     */
    stats() {
      if (!open || !patched) return null;
      try {
        return cap.stats();
      } catch {
        return null;
      }
    },
    close() {
      if (!open) return;
      open = false;
      cap.removeAllListeners('packet');
      try {
        cap.close();
      } catch {
        // closing twice is harmless
      }
    },
  };
}

module.exports = {
  CaptureError,
  DEFAULT_SNAPLEN,
  FULL_SNAPLEN,
  effectiveSnaplen,
  interfaceExists,
  linkTypeNumber,
  listDevices,
  openDevice,
  permissionAdvice,
  translateOpenError,
};
