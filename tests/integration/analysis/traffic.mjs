// Traffic for make-captures.sh: small TCP scenarios run with Node's real
// sockets against the real kernel (loopback, or between network namespaces
// when the server and client halves run in different namespaces), plus one
// file transform (a little-endian pcap rewritten big-endian). Each command
// prints nothing on success and exits non-zero on an unexpected error.
//
//   node traffic.mjs basic HOST PORT          complete session with data, a refused port, a RST abort
//   node traffic.mjs bulk-server PORT         accept, read everything, close after the peer closes
//   node traffic.mjs bulk HOST PORT BYTES     send BYTES, then close
//   node traffic.mjs scan HOST FROM TO OPEN…  connect to every port FROM..TO (OPEN ones listen here)
//   node traffic.mjs reuse HOST PORT LPORT N  N connections from the same local port LPORT
//   node traffic.mjs simclose-server PORT     write 3000 bytes and FIN as soon as a client connects
//   node traffic.mjs simclose HOST PORT       the same from the client side (with tbf on the link: both FINs cross)
//   node traffic.mjs zerowin HOST PORT        a reader that stops reading: zero windows, probes, window updates
//   node traffic.mjs keepalive HOST PORT      an idle connection with keep-alives after 1 s idle
//   node traffic.mjs swap-endian IN OUT       rewrite a little-endian pcap in big-endian byte order
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';

const [cmd, ...args] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function listen(host, port, onConn) {
  return new Promise((resolve, reject) => {
    const server = net.createServer(onConn);
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function connect(opts) {
  return new Promise((resolve, reject) => {
    const s = net.connect(opts, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with the error code of a connection that fails (ECONNREFUSED expected). */
function connectFails(opts) {
  return new Promise((resolve) => {
    const s = net.connect(opts, () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e) => resolve(e.code));
  });
}

function drainAndClose(sock) {
  sock.on('data', () => {});
  sock.on('end', () => sock.end());
  sock.on('error', () => {});
}

async function basic(host, port) {
  const p = Number(port);
  // 1. a complete session: request, 2 kB answer, client closes first.
  const server = await listen(host, p, (s) => {
    s.on('error', () => {});
    s.once('data', () => s.write(Buffer.alloc(2000, 0x61)));
    s.on('end', () => s.end());
  });
  const c = await connect({ host, port: p });
  c.write('GET / HTTP/1.0\r\n\r\n');
  await new Promise((r) => {
    let got = 0;
    c.on('data', (d) => {
      got += d.length;
      if (got >= 2000) r();
    });
  });
  c.end();
  await new Promise((r) => c.on('close', r));
  // 2. a refused port.
  const code = await connectFails({ host, port: p + 1 });
  if (code !== 'ECONNREFUSED') throw new Error(`expected ECONNREFUSED, got ${code}`);
  // 3. an abort: data, then RST from the client.
  const c2 = await connect({ host, port: p });
  c2.write('hello');
  await sleep(50);
  c2.resetAndDestroy();
  await sleep(100);
  server.close();
}

async function bulkServer(port) {
  const server = await listen('::', Number(port), (s) => {
    drainAndClose(s);
    s.on('close', () => server.close());
  });
  await new Promise((r) => server.on('close', r));
}

async function bulk(host, port, bytes) {
  const c = await connect({ host, port: Number(port) });
  c.end(Buffer.alloc(Number(bytes), 0x62));
  c.on('data', () => {});
  await new Promise((r) => c.on('close', r));
}

async function scan(host, from, to, ...open) {
  const servers = [];
  for (const o of open) servers.push(await listen(host, Number(o), (s) => drainAndClose(s)));
  const ports = [];
  for (let p = Number(from); p <= Number(to); p++) ports.push(p);
  // Ten at a time, as a connect() scanner would.
  for (let i = 0; i < ports.length; i += 10) {
    await Promise.all(
      ports.slice(i, i + 10).map(
        (port) =>
          new Promise((resolve) => {
            const s = net.connect({ host, port }, () => {
              s.destroy();
              resolve();
            });
            s.once('error', () => resolve());
          }),
      ),
    );
  }
  await sleep(100);
  for (const s of servers) s.close();
}

async function reuse(host, port, lport, n) {
  // The server closes first each time, so TIME-WAIT is on its side and the client can reuse its port.
  const server = await listen(host, Number(port), (s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('bye'));
    s.on('data', () => {});
  });
  for (let i = 0; i < Number(n); i++) {
    const c = await connect({ host, port: Number(port), localAddress: host, localPort: Number(lport) });
    c.write(`hello ${i}`);
    c.on('data', () => {});
    c.on('end', () => c.end());
    await new Promise((r) => c.on('close', r));
    await sleep(50);
  }
  server.close();
}

async function simcloseServer(port) {
  const server = await listen('::', Number(port), (s) => {
    s.on('error', () => {});
    s.on('data', () => {});
    s.end(Buffer.alloc(3000, 0x73));
    s.on('close', () => server.close());
  });
  await new Promise((r) => server.on('close', r));
}

async function simclose(host, port) {
  const c = await connect({ host, port: Number(port) });
  c.on('data', () => {});
  c.end(Buffer.alloc(3000, 0x63));
  await new Promise((r) => c.on('close', r));
}

async function zerowin(host, port) {
  let reader;
  const server = await listen(host, Number(port), (s) => {
    reader = s;
    s.pause(); // stop reading: the receive buffer fills and the window closes
    s.on('error', () => {});
    s.on('end', () => s.end());
  });
  const c = await connect({ host, port: Number(port) });
  c.on('error', () => {});
  const chunk = Buffer.alloc(1 << 16, 0x7a);
  const deadline = Date.now() + 1500;
  // Write until the kernel stops taking data, then keep the pressure up for a while.
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (!c.write(chunk)) await Promise.race([new Promise((r) => c.once('drain', r)), sleep(200)]);
  }
  await sleep(800); // zero-window probes
  reader.on('data', () => {});
  reader.resume(); // window updates
  await sleep(300);
  c.end();
  await new Promise((r) => c.on('close', r));
  server.close();
}

async function keepalive(host, port) {
  const server = await listen(host, Number(port), (s) => drainAndClose(s));
  const c = await connect({ host, port: Number(port) });
  c.setKeepAlive(true, 1000);
  c.write('x');
  await sleep(3600);
  c.end();
  await new Promise((r) => c.on('close', r));
  server.close();
}

function swapEndian(input, output) {
  const b = readFileSync(input);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 && b.readUInt32LE(0) !== 0xa1b23c4d) {
    throw new Error(`${input} is not a little-endian pcap`);
  }
  const out = Buffer.from(b);
  out.writeUInt32BE(b.readUInt32LE(0), 0);
  out.writeUInt16BE(b.readUInt16LE(4), 4);
  out.writeUInt16BE(b.readUInt16LE(6), 6);
  for (const at of [8, 12, 16, 20]) out.writeUInt32BE(b.readUInt32LE(at), at);
  for (let o = 24; o + 16 <= b.length;) {
    const incl = b.readUInt32LE(o + 8);
    for (let k = 0; k < 16; k += 4) out.writeUInt32BE(b.readUInt32LE(o + k), o + k);
    o += 16 + incl;
  }
  writeFileSync(output, out);
}

const commands = {
  basic,
  'bulk-server': bulkServer,
  bulk,
  scan,
  reuse,
  'simclose-server': simcloseServer,
  simclose,
  zerowin,
  keepalive,
  'swap-endian': async (i, o) => swapEndian(i, o),
};
const run = commands[cmd];
if (!run) {
  console.error(`traffic.mjs: unknown command ${cmd}`);
  process.exit(64);
}
run(...args).then(
  () => process.exit(0),
  (e) => {
    console.error(`traffic.mjs ${cmd}: ${e.stack ?? e}`);
    process.exit(1);
  },
);
