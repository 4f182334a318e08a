/**
 * `tcplab analyze` against tshark on the same capture (issue 3, part 6): the
 * benchmark writes its own pcap — about 1,000,000 Ethernet/IPv4 frames in
 * 28,000 connections, 200 open at a time, every segment with the TCP
 * timestamps option as Linux sends it: complete exchanges closed by FINs,
 * aborts by RST, refused ports and SYN-scan probes — streaming it to a temp
 * file with PcapWriter and buildFrame. Then it runs the BUILT CLI (`node
 * bin/tcplab.js analyze FILE --json`; `npm run bench` builds first) and
 * `tshark -q -z conv,tcp -r FILE`, five rounds each (after one untimed read
 * of the file, so both find it in the page cache), measuring each child's
 * wall time and peak RSS (`/usr/bin/time -f %M`, else VmHWM polled from
 * /proc), and prints both medians, the ratios, packets per second and both
 * session counts. Goals: ≥ 10× faster than tshark, ≤ ¼ of its peak memory,
 * the same number of TCP sessions, ≥ 1,000,000 packets/s.
 *   npm run bench -- analyze        (BENCH_PACKETS=… to change the size)
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter, buildFrame, type FrameSpec } from '../../src-main/wire';
import type { TcpOption } from '../../src-shared/tcp';
import { TCP_FLAG as F } from '../../src-shared/tcp';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'tcplab.js');
const TSHARK = '/usr/bin/tshark';
const TIME = '/usr/bin/time';
const TARGET_PACKETS = Number(process.env.BENCH_PACKETS ?? 1_000_000);
const CONCURRENT = 200;
const ROUNDS = 5;

type Kind = 'complete' | 'reset' | 'refused' | 'scan';

/** The frames of one connection, in order. */
function connection(i: number, kind: Kind, t0: number): Array<{ spec: FrameSpec; time: number }> {
  const a = `10.${1 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
  const b = `192.168.${(i >> 10) & 3}.${10 + (i % 7)}`;
  const ap = 1024 + (i % 60_000);
  const bp = [443, 80, 22, 8080][i % 4];
  const isa = Math.imul(i + 1, 2_654_435_761) >>> 0; // spread ISNs, some near the wrap
  const isb = (isa ^ 0x5a5a5a5a) >>> 0;
  const out: Array<{ spec: FrameSpec; time: number }> = [];
  let t = t0;
  let tsA = 1000 + i;
  let tsB = 5000 + i;
  const seg = (fromA: boolean, flags: number, seq: number, ack: number, len: number, syn = false): void => {
    t += 0.00001;
    const ts: TcpOption = fromA
      ? { kind: 'timestamps', tsval: tsA++, tsecr: tsB }
      : { kind: 'timestamps', tsval: tsB++, tsecr: tsA };
    const options: TcpOption[] = syn
      ? [
          { kind: 'mss', value: 1460 },
          { kind: 'sack-permitted' },
          ts,
          { kind: 'nop' },
          { kind: 'wscale', shift: 7 },
        ]
      : [{ kind: 'nop' }, { kind: 'nop' }, ts];
    out.push({
      time: t,
      spec: {
        src: fromA ? a : b,
        dst: fromA ? b : a,
        srcPort: fromA ? ap : bp,
        dstPort: fromA ? bp : ap,
        seq: seq >>> 0,
        ack: ack >>> 0,
        flags,
        window: 502,
        options,
        payload: len ? PAYLOAD.subarray(0, len) : undefined,
      },
    });
  };
  seg(true, F.SYN, isa, 0, 0, true);
  if (kind === 'refused') {
    seg(false, F.RST | F.ACK, 0, isa + 1, 0);
    return out;
  }
  seg(false, F.SYN | F.ACK, isb, isa + 1, 0, true);
  if (kind === 'scan') {
    seg(true, F.RST, isa + 1, 0, 0);
    return out;
  }
  seg(true, F.ACK, isa + 1, isb + 1, 0);
  let sa = isa + 1;
  let sb = isb + 1;
  for (let k = 0; k < 11; k++) {
    seg(true, F.PSH | F.ACK, sa, sb, 60);
    sa += 60;
    seg(false, F.PSH | F.ACK, sb, sa, 300);
    sb += 300;
    seg(true, F.ACK, sa, sb, 0);
  }
  if (kind === 'reset') {
    seg(false, F.RST | F.ACK, sb, sa, 0);
    return out;
  }
  seg(true, F.FIN | F.ACK, sa, sb, 0);
  seg(false, F.ACK, sb, sa + 1, 0);
  seg(false, F.FIN | F.ACK, sb, sa + 1, 0);
  seg(true, F.ACK, sa + 1, sb + 1, 0);
  return out;
}

const PAYLOAD = new Uint8Array(300).map((_, i) => 32 + (i % 95));

function kindOf(i: number): Kind {
  const r = i % 20;
  return r === 0 ? 'refused' : r === 1 ? 'scan' : r < 4 ? 'reset' : 'complete';
}

/** Writes the capture; returns its packet and connection counts. */
export function generate(path: string): { packets: number; connections: number } {
  const w = PcapWriter.toFile(path, { linkType: 1, flushBytes: 4 << 20 });
  let packets = 0;
  let connections = 0;
  let t = 1_700_000_000;
  while (packets < TARGET_PACKETS) {
    const group = [];
    for (let k = 0; k < CONCURRENT && packets < TARGET_PACKETS; k++) {
      const c = connection(connections, kindOf(connections), t);
      connections++;
      group.push(c);
      packets += c.length;
    }
    // Interleave the group: the k-th segment of every connection, then the (k+1)-th.
    const longest = Math.max(...group.map((g) => g.length));
    for (let k = 0; k < longest; k++) {
      for (const g of group) {
        const f = g[k];
        if (f) w.writePacket({ data: buildFrame(f.spec), time: (t += 0.000002) });
      }
    }
  }
  w.close();
  return { packets, connections };
}

interface Measure {
  ms: number;
  peakKb: number;
  /** User + system CPU seconds (NaN without /usr/bin/time). */
  cpuS: number;
  stdout: string;
}

/** Runs a child, measuring wall time and peak RSS; stdout goes to a file, then is returned. */
async function measure(cmd: string, args: string[], dir: string): Promise<Measure> {
  const outFile = join(dir, 'stdout');
  const memFile = join(dir, 'peak');
  const fd = openSync(outFile, 'w');
  const useTime = existsSync(TIME);
  const argv = useTime ? ['-f', '%M %U %S', '-o', memFile, cmd, ...args] : args;
  const t0 = process.hrtime.bigint();
  const child = spawn(useTime ? TIME : cmd, argv, { stdio: ['ignore', fd, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  let hwm = 0;
  const poll = useTime
    ? null
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwm = Math.max(hwm, Number(m[1]));
        } catch {
          // exited
        }
      }, 5);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (poll) clearInterval(poll);
  closeSync(fd);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.slice(0, 500)}`);
  const timeLine = useTime ? readFileSync(memFile, 'utf8').trim().split('\n').pop()!.split(' ') : [];
  const peakKb = useTime ? Number(timeLine[0]) : hwm;
  const cpuS = useTime ? Number(timeLine[1]) + Number(timeLine[2]) : NaN;
  return { ms, peakKb, cpuS, stdout: readFileSync(outFile, 'utf8') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

/** Conversations in tshark's `-z conv,tcp` table: one line with `<->` each. */
function tsharkConversations(out: string): number {
  return out.split('\n').filter((l) => l.includes('<->')).length;
}

export async function run(): Promise<Record<string, number>> {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) {
    const b = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed');
  }
  const dir = mkdtempSync(join(tmpdir(), 'tcplab-analyze-bench-'));
  try {
    const file = join(dir, 'bench.pcap');
    const g0 = process.hrtime.bigint();
    const { packets, connections } = generate(file);
    const genMs = Number(process.hrtime.bigint() - g0) / 1e6;
    const mb = statSync(file).size / 1e6;
    console.log(
      `capture: ${packets} packets, ${connections} connections, ${mb.toFixed(0)} MB (written in ${(genMs / 1000).toFixed(1)} s)`,
    );
    // Read the new file once, untimed, so its pages are in the cache for both tools from round 1 on
    // (otherwise the first run also competes with the kernel writing them back to disk).
    spawnSync('sync');
    readFileSync(file);
    const hasTshark = existsSync(TSHARK);
    const ours: Measure[] = [];
    const theirs: Measure[] = [];
    let ourSessions = 0;
    let theirSessions = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const o = await measure(process.execPath, [CLI, 'analyze', file, '--json'], dir);
      const doc = JSON.parse(o.stdout) as { packets: number; sessions: unknown[] };
      ourSessions = doc.sessions.length;
      if (doc.packets !== packets) throw new Error(`tcplab read ${doc.packets} packets, expected ${packets}`);
      ours.push({ ...o, stdout: '' });
      console.log(
        `round ${round + 1}: tcplab analyze ${o.ms.toFixed(0)} ms, peak ${(o.peakKb / 1024).toFixed(0)} MB`,
      );
      if (hasTshark) {
        const t = await measure(TSHARK, ['-q', '-z', 'conv,tcp', '-r', file], dir);
        theirSessions = tsharkConversations(t.stdout);
        theirs.push({ ...t, stdout: '' });
        console.log(
          `round ${round + 1}: tshark conv,tcp  ${t.ms.toFixed(0)} ms, peak ${(t.peakKb / 1024).toFixed(0)} MB`,
        );
      }
    }
    const oursMs = median(ours.map((m) => m.ms));
    const oursKb = median(ours.map((m) => m.peakKb));
    const figures: Record<string, number> = {
      analyze_packets: packets,
      analyze_connections: connections,
      analyze_sessions: ourSessions,
      analyze_ms_median: Math.round(oursMs),
      analyze_peak_rss_mb_median: Math.round(oursKb / 1024),
      analyze_packets_per_s: Math.round(packets / (oursMs / 1000)),
    };
    console.log(
      `\ntcplab analyze: median ${oursMs.toFixed(0)} ms, peak RSS ${(oursKb / 1024).toFixed(0)} MB`,
    );
    console.log(
      `tcplab analyze: ${figures.analyze_packets_per_s.toLocaleString('en')} packets/s (goal ≥ 1,000,000)`,
    );
    const oursCpu = median(ours.map((m) => m.cpuS));
    if (!Number.isNaN(oursCpu)) {
      figures.analyze_cpu_s_median = oursCpu;
      // On a file this size one thread decodes while another tracks (service/analyze-pipeline.ts).
      console.log(`tcplab analyze: ${oursCpu.toFixed(2)} s of CPU (two threads on files ≥ 32 MB)`);
    }
    if (hasTshark) {
      const tMs = median(theirs.map((m) => m.ms));
      const tKb = median(theirs.map((m) => m.peakKb));
      figures.tshark_ms_median = Math.round(tMs);
      figures.tshark_peak_rss_mb_median = Math.round(tKb / 1024);
      figures.tshark_sessions = theirSessions;
      figures.speedup_vs_tshark = Number((tMs / oursMs).toFixed(2));
      figures.memory_ratio_vs_tshark = Number((oursKb / tKb).toFixed(3));
      console.log(`tshark conv,tcp: median ${tMs.toFixed(0)} ms, peak RSS ${(tKb / 1024).toFixed(0)} MB`);
      const tCpu = median(theirs.map((m) => m.cpuS));
      if (!Number.isNaN(tCpu) && !Number.isNaN(oursCpu)) {
        figures.tshark_cpu_s_median = tCpu;
        console.log(`cpu: tshark ${tCpu.toFixed(2)} s, ${(tCpu / oursCpu).toFixed(1)}× tcplab's`);
      }
      console.log(`speed: ${figures.speedup_vs_tshark}× tshark (goal ≥ 10×)`);
      console.log(
        `memory: ${(figures.memory_ratio_vs_tshark * 100).toFixed(1)} % of tshark's peak (goal ≤ 25 %)`,
      );
      console.log(
        `sessions: tcplab ${ourSessions}, tshark ${theirSessions} (${ourSessions === theirSessions ? 'same' : 'DIFFERENT'})`,
      );
    } else {
      console.log(`tshark not found at ${TSHARK}: no comparison (apt-get install tshark)`);
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
