'use strict';
/**
 * The capture helper: a small child process, the only one that may hold
 * capture privilege (root, CAP_NET_RAW/CAP_NET_ADMIN or pkexec), in the same
 * split as Wireshark's dumpcap — it opens libpcap through ./cap-adapter.cjs,
 * streams raw frames to its parent and sends frames on request, and never
 * parses a packet. It speaks length-prefixed messages over stdio: each is
 * [u32 length][u8 type][payload], length counting type + payload, big-endian.
 *   type 1 JSON, both ways: requests { id, op: 'list' | 'open' | 'stats' | 'close',
 *          … } (open: iface, filter, snaplen, bufferSize, immediate), replies
 *          { id, ok, result | error: { code, message } } and events
 *          { event: 'error' | 'log' | 'closed', … }.
 *   type 2 frame batch (helper → parent): u32 count, then per frame f64 time
 *          (seconds since the epoch), u32 linkType, u32 caplen, u32 origlen,
 *          caplen bytes.
 *   type 3 send (parent → helper): u32 request id, then the frame's bytes.
 * Frames are batched until the event loop turns (or 256 KiB), so a burst is a
 * handful of writes. When the parent stops reading, up to 64 MiB queue and
 * the rest are counted as dropped. The helper exits when stdin closes (its
 * parent died or let go) and checks every second that the interface still
 * exists. It sends only on the interfaces TCPLAB_INJECT_INTERFACES names
 * (default lo and the lab's tcplab* links), whatever its parent asks.
 */
const adapter = require('./cap-adapter.cjs');

// Drain libpcap's ring ahead of the (unprivileged) app and other busy processes, so a burst while
// the CPUs are busy does not overflow it (with plain cap 0.2.1 each ring slot on loopback holds a
// whole 64 KiB frame and a few milliseconds without CPU are enough). Raising priority needs
// CAP_SYS_NICE (root has it); without it the helper runs at normal priority.
const HELPER_NICE = Number(process.env.TCPLAB_HELPER_NICE ?? -10);
try {
  if (HELPER_NICE < 0) require('node:os').setPriority(0, Math.max(-20, HELPER_NICE));
} catch {
  // not allowed: keep the default priority
}

const TYPE_JSON = 1;
const TYPE_BATCH = 2;
const TYPE_SEND = 3;
const FRAME_HEADER = 20;
const BATCH_BYTES = 256 * 1024;
const MAX_QUEUED = 64 * 1024 * 1024;

// stdout as a non-blocking stream: process.stdout writes to a pipe synchronously on Linux, which would
// stall the helper (and let libpcap's ring overflow) whenever the parent is slow to read.
const out = new (require('node:net').Socket)({ fd: 1, readable: false, writable: true });
let handle = null;
let openIface = null;
let watch = null;
let batch = null;
let batchLen = 0;
let batchCount = 0;
let flushScheduled = false;
const counters = { seen: 0, delivered: 0, dropped: 0, sent: 0 };
// Where frames may be sent (injection): set once at start, so the parent cannot widen it later.
const SEND_ALLOWED = (process.env.TCPLAB_INJECT_INTERFACES || 'lo,lo0,tcplab*')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const MAX_SEND_BYTES = 1518;

function sendAllowed(iface) {
  return SEND_ALLOWED.some((p) => (p.endsWith('*') ? iface.startsWith(p.slice(0, -1)) : iface === p));
}

function writeMessage(type, payload) {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(payload.length + 1, 0);
  head[4] = type;
  out.write(head);
  out.write(payload);
}

function sendJson(obj) {
  writeMessage(TYPE_JSON, Buffer.from(JSON.stringify(obj), 'utf8'));
}

function flush() {
  flushScheduled = false;
  if (batchCount === 0) return;
  const payload = batch.subarray(0, batchLen);
  payload.writeUInt32BE(batchCount, 0);
  counters.delivered += batchCount;
  writeMessage(TYPE_BATCH, payload);
  batch = null;
  batchLen = 0;
  batchCount = 0;
}

function onFrame(buffer, caplen, origlen, time) {
  counters.seen++;
  if (out.writableLength > MAX_QUEUED) {
    counters.dropped++;
    return;
  }
  if (batch !== null && batchLen + FRAME_HEADER + caplen > batch.length) flush();
  if (batch === null) {
    batch = Buffer.allocUnsafe(Math.max(BATCH_BYTES, 4 + FRAME_HEADER + caplen));
    batchLen = 4;
  }
  batch.writeDoubleBE(time, batchLen);
  batch.writeUInt32BE(handle.linkType >>> 0, batchLen + 8);
  batch.writeUInt32BE(caplen, batchLen + 12);
  batch.writeUInt32BE(origlen, batchLen + 16);
  // The copy cap requires: its buffer is overwritten by the next packet.
  buffer.copy(batch, batchLen + FRAME_HEADER, 0, caplen);
  batchLen += FRAME_HEADER + caplen;
  batchCount++;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function closeCapture() {
  if (watch) clearInterval(watch);
  watch = null;
  if (handle) {
    flush();
    handle.close();
    handle = null;
    openIface = null;
    sendJson({ event: 'closed' });
  }
}

function errorOf(e) {
  return { code: (e && e.code) || 'error', message: String(e && e.message ? e.message : e) };
}

function handleRequest(req) {
  switch (req.op) {
    case 'list':
      return adapter.listDevices();
    case 'open': {
      closeCapture();
      counters.seen = counters.delivered = counters.dropped = 0;
      handle = adapter.openDevice(
        {
          iface: req.iface,
          filter: req.filter,
          snaplen: req.snaplen,
          bufferSize: req.bufferSize,
          immediate: req.immediate !== false,
        },
        onFrame,
      );
      openIface = String(req.iface);
      watch = setInterval(() => {
        if (openIface && !adapter.interfaceExists(openIface)) {
          const gone = openIface;
          closeCapture();
          sendJson({
            event: 'error',
            code: 'interface-gone',
            message: `interface ${gone} went away (removed, or its network namespace was deleted); the capture stopped — choose another interface to go on.`,
          });
        }
      }, 1000);
      watch.unref();
      return {
        iface: openIface,
        linkType: handle.linkType,
        linkTypeName: handle.linkTypeName,
        snaplen: handle.snaplen,
      };
    }
    case 'stats': {
      const kernel = handle ? handle.stats() : null;
      return {
        ...counters,
        kernelDropped: kernel ? kernel.dropped : null,
        open: handle !== null,
        iface: openIface,
      };
    }
    case 'close':
      closeCapture();
      return { closed: true };
    default:
      throw Object.assign(new Error(`unknown request "${req.op}"`), { code: 'bad-request' });
  }
}

let dying = false;

function onMessage(type, payload) {
  if (dying) return; // the parent re-sends what is pending to the next helper
  if (type === TYPE_JSON) {
    let req;
    try {
      req = JSON.parse(payload.toString('utf8'));
    } catch {
      sendJson({ event: 'log', message: 'ignored a request that is not JSON' });
      return;
    }
    try {
      sendJson({ id: req.id, ok: true, result: handleRequest(req) });
    } catch (e) {
      sendJson({ id: req.id, ok: false, error: errorOf(e) });
      if (e && e.processPoisoned) {
        // A failed libpcap open cannot be cleaned up safely in this process: start afresh.
        dying = true;
        sendJson({ event: 'restart', reason: 'a failed open cannot be cleaned up in place' });
        out.end(() => process.exit(0));
      }
    }
  } else if (type === TYPE_SEND) {
    const id = payload.readUInt32BE(0);
    try {
      if (!handle)
        throw Object.assign(new Error('Open a capture before sending: nothing is open.'), {
          code: 'not-open',
        });
      if (!sendAllowed(openIface)) {
        throw Object.assign(
          new Error(
            `The capture helper refuses to send on ${openIface}: injection is allowed only on ${SEND_ALLOWED.join(', ')} ` +
              '(set TCPLAB_INJECT_INTERFACES for the helper to change that).',
          ),
          { code: 'send-refused' },
        );
      }
      if (payload.length - 4 > MAX_SEND_BYTES || payload.length - 4 < 14) {
        throw Object.assign(new Error(`The capture helper refuses a ${payload.length - 4}-byte frame.`), {
          code: 'send-refused',
        });
      }
      handle.send(payload.subarray(4));
      counters.sent++;
      sendJson({ id, ok: true, result: { bytes: payload.length - 4 } });
    } catch (e) {
      sendJson({ id, ok: false, error: errorOf(e) });
    }
  }
}

let inbuf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  inbuf = inbuf.length ? Buffer.concat([inbuf, chunk]) : chunk;
  while (inbuf.length >= 5) {
    const len = inbuf.readUInt32BE(0);
    if (inbuf.length < 4 + len) break;
    onMessage(inbuf[4], inbuf.subarray(5, 4 + len));
    inbuf = inbuf.subarray(4 + len);
  }
});

function shutdown() {
  try {
    closeCapture();
  } finally {
    process.exit(0);
  }
}
// The parent died or let go: stop capturing and leave.
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
out.on('error', () => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
sendJson({ event: 'ready', pid: process.pid, node: process.version });
