/**
 * The virtual-host TCP engine's public surface: the simulation (clock,
 * hosts, links, injection), the sockets API, the TCB for inspection, the
 * scenario library (list, load, run, step and step back) and the trace event
 * types the CLI and the Simulate view consume.
 */
export { Simulation, type InjectSpec, type SeqMode, type SimulationOptions } from './simulation';
export { Host, Listener, Socket, patternBytes, type HostOptions, type HostSim } from './host';
export type { DropRule, LinkParams } from './link';
export { Tcb, TcbError, isSynchronized, type TcbEnv } from './tcb';
export { Prng } from './prng';
export { rfc6528Isn, halfSipHash } from './isn';
export {
  parseScenario,
  buildSimulation,
  runParsedScenario,
  ScenarioRun,
  ScenarioError,
  type Scenario,
  type ScenarioIssue,
  type ScenarioResult,
  type Action,
  type HostSpec,
  type LinkSpec,
} from './scenario';
export { listScenarios, loadScenario, runScenario, scenarioDir, type ScenarioInfo } from './scenarios';
export { eventOptions, segmentEventHead, segOptions } from './options';
export {
  DEFAULT_TCP,
  type Explain,
  type NoteEvent,
  type Segment,
  type SegmentEvent,
  type SegOptions,
  type SimEvent,
  type SocketEvent,
  type StateEvent,
  type TcpConfig,
} from './types';
