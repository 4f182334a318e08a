/**
 * The scenario library on disk: `resources/scenarios/*.yaml`, found next to
 * the sources, beside the built app, or where `TCPLAB_SCENARIOS` points.
 * `listScenarios`, `loadScenario` and `runScenario` are what the CLI
 * (`tcplab simulate --list`, `tcplab simulate NAME --seed N --json`) and the
 * Simulate view call.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseScenario,
  runParsedScenario,
  ScenarioError,
  type Scenario,
  type ScenarioResult,
} from './scenario';

function candidates(): string[] {
  const out: string[] = [];
  if (process.env.TCPLAB_SCENARIOS) out.push(process.env.TCPLAB_SCENARIOS);
  try {
    // Sources sit two levels below the project (src-main/engine); the bundle three (out/main/chunks).
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let up = 0; up < 4; up++, dir = dirname(dir)) out.push(resolve(dir, 'resources/scenarios'));
  } catch {
    // not an ES module build: fall through to the working directory
  }
  // A packaged Electron app keeps extra resources in process.resourcesPath.
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged) out.push(resolve(packaged, 'scenarios'), resolve(packaged, 'resources/scenarios'));
  out.push(resolve(process.cwd(), 'resources/scenarios'));
  return out;
}

/** The folder holding the scenario files. */
export function scenarioDir(): string {
  const dir = candidates().find((d) => existsSync(d));
  if (!dir)
    throw new Error(
      `cannot find the scenario folder; looked in ${candidates().join(', ')}. Set TCPLAB_SCENARIOS.`,
    );
  return dir;
}

export interface ScenarioInfo {
  name: string;
  title: string;
  description: string;
}

/** Every scenario, sorted by name. */
export function listScenarios(dir = scenarioDir()): ScenarioInfo[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const sc = parseScenario(readFileSync(join(dir, f), 'utf8'), f);
      return { name: sc.name, title: sc.title, description: sc.description };
    });
}

export function loadScenario(name: string, dir = scenarioDir()): Scenario {
  const file = join(dir, `${name}.yaml`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    const known = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5));
    throw new ScenarioError([
      {
        file: `${name}.yaml`,
        line: 1,
        col: 1,
        path: '',
        message: `no scenario "${name}"; known: ${known.join(', ')}`,
      },
    ]);
  }
  return parseScenario(readFileSync(file, 'utf8'), `${name}.yaml`);
}

export function runScenario(name: string, opts: { seed?: number; dir?: string } = {}): ScenarioResult {
  return runParsedScenario(loadScenario(name, opts.dir), { seed: opts.seed });
}
