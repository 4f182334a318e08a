/**
 * `tcplab ladder FILE [--session ID] [--svg OUT] [--png OUT] [--mermaid] [--plantuml]`:
 * draws one TCP session of a capture headless, with the same pure layout and
 * SVG string renderer as the app (`src-shared/ladder`), so a figure for notes
 * or a textbook comes straight from a pcap. `--png` rasterises that SVG with
 * `@resvg/resvg-js` when it is installed, else with Chromium through
 * playwright-core; `--mermaid` and `--plantuml` print sequence-diagram text.
 * Without an output flag it prints the SVG. A file with one session needs no
 * `--session`; otherwise a missing or unknown id lists the sessions.
 */
import { writeFileSync } from 'node:fs';
import { defineCommand, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo } from './args';

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Rasterises SVG text to PNG bytes: resvg if installed, else headless Chromium. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  try {
    const name = '@resvg/resvg-js';
    const mod = (await import(/* @vite-ignore */ name)) as {
      Resvg: new (svg: string, o: object) => { render(): { asPng(): Uint8Array } };
    };
    const r = new mod.Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true } });
    return r.render().asPng();
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' &&
      (e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND'
    )
      throw e;
  }
  // A variable name keeps the bundler from pulling playwright-core (a dev tool) into the CLI.
  const pw = 'playwright-core';
  const { chromium } = (await import(/* @vite-ignore */ pw)) as typeof import('playwright-core');
  const m = /width="(\d+)" height="(\d+)"/.exec(svg);
  const width = m ? Number(m[1]) : 900;
  const height = m ? Number(m[2]) : 600;
  const browser = await chromium.launch({
    executablePath: process.env.TCPLAB_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: scale });
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    return await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width, height } });
  } finally {
    await browser.close();
  }
}

export default defineCommand({
  name: 'ladder',
  summary: 'Draw a TCP session of a capture as a ladder (SVG, PNG, Mermaid, PlantUML)',
  description:
    'Reads a capture file and draws one TCP session as the app’s ladder diagram: lifelines with\n' +
    'state bands, one arrow per segment labelled with flags, seq/ack, length, window and options.\n' +
    'Writes SVG and/or PNG files, or prints Mermaid or PlantUML sequence-diagram text; with no output\n' +
    'flag the SVG goes to stdout. Exit status 2 when the file cannot be read or the session is unknown.',
  spec: {
    flags: {
      session: { type: 'int', value: 'ID', help: 'Session id (as `tcplab analyze` lists them)', min: 0 },
      svg: { type: 'string', value: 'OUT.svg', help: 'Write the drawing as SVG' },
      png: { type: 'string', value: 'OUT.png', help: 'Write the drawing as PNG (twice the size)' },
      mermaid: { type: 'boolean', help: 'Print a Mermaid sequence diagram' },
      plantuml: { type: 'boolean', help: 'Print a PlantUML sequence diagram' },
      time: { type: 'boolean', help: 'Space rows by time and slant arrows by transit time' },
      absolute: { type: 'boolean', help: 'Absolute sequence numbers (default: relative to the ISN)' },
      dark: { type: 'boolean', help: 'Dark colours' },
      width: { type: 'int', value: 'PX', help: 'Width of the drawing (default 900)', min: 400, max: 10000 },
      from: { type: 'int', value: 'N', help: 'First segment to draw (1-based, default 1)', min: 1 },
      to: { type: 'int', value: 'N', help: 'Last segment to draw (default: the last)', min: 1 },
    },
    positionals: [{ name: 'FILE', help: 'A .pcap or .pcapng capture file' }],
  },
  async run(args, io: CliIo) {
    const file = args.positionals[0];
    const f = args.flags;
    if (f.from !== undefined && f.to !== undefined && f.to < f.from)
      throw new UsageError('--to is before --from');
    const { analyzeCapture, CaptureOpenError } = await import('../../service/analyze');
    let result;
    try {
      result = analyzeCapture(file, { keepSegments: true });
    } catch (e) {
      if (e instanceof CaptureOpenError) {
        io.stderr(`tcplab ladder: ${file}: ${oneLine(e.message)} (at byte ${e.offset})\n`);
        return EXIT_BAD_INPUT;
      }
      throw e;
    }
    const sessions = result.tracker.summaries();
    const list = (): string =>
      sessions
        .slice(0, 20)
        .map(
          (s) =>
            `  ${s.id}: ${s.a.ip}:${s.a.port} → ${s.b.ip}:${s.b.port} (${s.packets} packets, ${s.outcome})`,
        )
        .join('\n');
    if (sessions.length === 0) {
      io.stderr(`tcplab ladder: ${file}: no TCP sessions in this file\n`);
      return EXIT_BAD_INPUT;
    }
    const id = f.session ?? (sessions.length === 1 ? sessions[0].id : undefined);
    const session = id === undefined ? undefined : sessions.find((s) => s.id === id);
    if (!session) {
      io.stderr(
        `tcplab ladder: ${file}: ${id === undefined ? `${sessions.length} sessions; choose one with --session ID` : `no session ${id}`}:\n${list()}\n`,
      );
      return EXIT_BAD_INPUT;
    }
    const rows = result.tracker.segments(session.id);
    const { layoutLadder } = await import('../../../src-shared/ladder/layout');
    const { ladderSvg } = await import('../../../src-shared/ladder/svg');
    const { ladderMermaid, ladderPlantUml } = await import('../../../src-shared/ladder/text');
    const layout = layoutLadder(session, rows, {
      mode: f.time ? 'time-true' : 'compact',
      numbers: f.absolute ? 'absolute' : 'relative',
      width: f.width ?? 900,
    });
    const start = (f.from ?? 1) - 1;
    const end = Math.min(rows.length, f.to ?? rows.length);
    const title = `Session ${session.id}: ${session.a.ip}:${session.a.port} → ${session.b.ip}:${session.b.port} · ${session.outcome}`;
    const svg = (): string =>
      ladderSvg(layout, rows, { start, end, title, theme: f.dark ? 'dark' : 'light' });
    try {
      if (f.svg) writeFileSync(f.svg, svg());
      if (f.png) writeFileSync(f.png, await svgToPng(svg()));
    } catch (e) {
      io.stderr(`tcplab ladder: ${oneLine((e as Error).message)}\n`);
      return EXIT_FAILURE;
    }
    if (f.mermaid) io.stdout(ladderMermaid(layout, rows, { start, end, title }));
    if (f.plantuml) io.stdout(ladderPlantUml(layout, rows, { start, end, title }));
    if (!f.svg && !f.png && !f.mermaid && !f.plantuml) io.stdout(svg());
    return EXIT_OK;
  },
});
