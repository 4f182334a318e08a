/**
 * `tcplab simulate --list` and `tcplab simulate SCENARIO [--seed N] [--json]`:
 * plays a scenario of the library (resources/scenarios, or TCPLAB_SCENARIOS)
 * on the virtual-host engine to its end. `--json` prints one object
 * `{"scenario", "seed", "events"}` — the engine's trace: segment events (time
 * in virtual ms, hosts, flags, absolute seq/ack, len, win, options, dropped,
 * and the explanation) and state events (host, from, to), plus socket calls
 * and notes. Without it, a readable trace: time, A → B, flags, numbers
 * relative to each side's ISS, each state change, and why every segment was
 * sent. The same seed always gives the same trace. An unknown scenario is a
 * wrong command line (exit 64) and the message lists the names.
 */
import type { Scenario, SimEvent } from '../../engine';
import type { RelativeNumbers } from '../../service/sim-service';
import { defineCommand, EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './args';
import { table } from './analyze';
import { applicationErrorLine, lostMark, segmentLine, TRACE_PAD, traceTime } from './trace-lines';

type Engine = typeof import('../../engine');

/** The readable trace of a run: one line per segment (with why), per state change, per note and per error. */
export function traceText(
  relative: RelativeNumbers,
  sc: Pick<Scenario, 'name' | 'title' | 'hosts'>,
  seed: number,
  events: readonly SimEvent[],
): string {
  const out: string[] = [];
  const hostsLine = Object.entries(sc.hosts)
    .map(([n, h]) => `${n} ${h.address ?? ''}`.trim())
    .join(' · ');
  out.push(`${sc.title} (${sc.name}), seed ${seed}`, hostsLine, '');
  for (const e of events) {
    if (e.type === 'segment') {
      const { relSeq, relAck } = relative.of(e);
      const nums = `seq=${relSeq}${e.flags.includes('ACK') ? ` ack=${relAck}` : ''} len=${e.len} win=${e.win}`;
      const marks: string[] = [];
      if (e.injected) marks.push('[injected]');
      if (e.duplicate) marks.push('[duplicate]');
      if (e.dropped) marks.push(lostMark(e));
      out.push(segmentLine(e, nums, marks));
      out.push(`${TRACE_PAD}why: ${e.explain.text} [${e.explain.rfc}]`);
    } else if (e.type === 'state') {
      out.push(`${traceTime(e.t)}  ${e.host}: ${e.from} → ${e.to}  (${e.reason})`);
    } else if (e.type === 'note') {
      out.push(`${traceTime(e.t)}  ${e.host}: ${e.text} [${e.rfc}]`);
    } else if (e.what === 'error') {
      out.push(applicationErrorLine(e));
    }
  }
  return out.join('\n') + '\n';
}

export default defineCommand({
  name: 'simulate',
  summary: 'Play a TCP scenario between virtual hosts and print its trace',
  description:
    'Plays a scenario of the library (handshake, teardown, refused, blind-rst …) on virtual hosts with\n' +
    'a virtual clock and prints every segment, state change and why each segment was sent. The same\n' +
    'seed always gives the same trace. `--list` names the scenarios. Exit status 64 for an unknown\n' +
    'scenario (the names are listed), 2 when a scenario file is broken.',
  spec: {
    flags: {
      list: { type: 'boolean', help: 'List the scenarios with their titles' },
      seed: {
        type: 'int',
        value: 'N',
        help: 'Seed of the random choices (ISNs, loss, jitter); default: the scenario’s own',
        min: 0,
        max: 0xffffffff,
      },
      json: { type: 'boolean', help: 'Print one JSON object {scenario, seed, events} instead of a trace' },
    },
    positionals: [{ name: 'SCENARIO', help: 'A scenario name, e.g. handshake (see --list)', optional: true }],
  },
  async run(args, io: CliIo) {
    const name = args.positionals[0];
    if (args.flags.list && name !== undefined)
      throw new UsageError('give either --list or a SCENARIO, not both');
    if (!args.flags.list && name === undefined) throw new UsageError('missing SCENARIO (or --list)');
    const engine = await import('../../engine');
    let dir: string;
    try {
      dir = engine.scenarioDir();
    } catch (e) {
      io.stderr(`tcplab simulate: ${(e as Error).message}\n`);
      return EXIT_BAD_INPUT;
    }
    const broken = (e: unknown): number => {
      if (!(e instanceof engine.ScenarioError)) throw e;
      io.stderr(`tcplab simulate: a scenario file is broken:\n${e.message}\n`);
      return EXIT_BAD_INPUT;
    };
    let infos: ReturnType<Engine['listScenarios']>;
    try {
      infos = engine.listScenarios(dir);
    } catch (e) {
      return broken(e);
    }
    if (args.flags.list) {
      if (args.flags.json) io.stdout(JSON.stringify(infos) + '\n');
      else
        io.stdout(
          table(
            ['SCENARIO', 'TITLE'],
            infos.map((i) => [i.name, i.title]),
            [false, false],
          ),
        );
      return EXIT_OK;
    }
    const scenarioName = name as string;
    if (!infos.some((i) => i.name === scenarioName)) {
      io.stderr(
        `tcplab simulate: no scenario ${JSON.stringify(scenarioName)}; the scenarios are: ${infos
          .map((i) => i.name)
          .join(', ')}\n`,
      );
      return EXIT_USAGE;
    }
    let sc: ReturnType<Engine['loadScenario']>;
    try {
      sc = engine.loadScenario(scenarioName, dir);
    } catch (e) {
      return broken(e);
    }
    const result = engine.runParsedScenario(sc, { seed: args.flags.seed });
    if (args.flags.json) {
      io.stdout(
        JSON.stringify({ scenario: result.scenario, seed: result.seed, events: result.events }) + '\n',
      );
    } else {
      const { RelativeNumbers } = await import('../../service/sim-service');
      io.stdout(traceText(new RelativeNumbers(), sc, result.seed, result.events));
    }
    return EXIT_OK;
  },
});
