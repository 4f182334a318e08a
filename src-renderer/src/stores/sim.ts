/**
 * The simulation store: the scenario library, the open simulation (its clock,
 * hosts with their TCBs, log) and its ladder rows, the selected segment, and
 * the player. Every change goes through one `sim.*` command whose reply
 * carries the new state; commands run one at a time, in order, so a play tick
 * never races a click. Rows live in a `shallowRef` and grow by appending: the
 * store tells the service how many final rows it has (`since`) and splices in
 * what changed. Play is a timer here, not in the service or engine: each tick
 * advances virtual time by (real time elapsed × speed) with `sim.runTo`, and
 * skips quiet stretches that would take more than a second to watch. Errors
 * end up in `error` as the reply's sentence.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  CommandArgs,
  CommandName,
  CommandResult,
  LabEvent,
  SimScenarioInfo,
  SimState,
} from '../../../src-shared/contract';
import type { SegmentRow } from '../../../src-shared/session';
import { useBridge } from '../bridge';
import { mergeRows } from './rows';

export type SimMeta = Omit<SimState, 'rows'>;
export type SimFlag = CommandArgs<'sim.inject'>['flag'];
export type SimSeqMode = CommandArgs<'sim.inject'>['seqMode'];
export type SimCustomParams = CommandArgs<'sim.custom'>;

/** Slow motion bounds, as log10 of virtual milliseconds per real second: 1 ms/s … 10 s/s. */
export const SPEED_MIN = 0;
export const SPEED_MAX = 4;
/** Real milliseconds between two play ticks. */
export const TICK_MS = 50;
const END_OF_TIME = 86_400_000;

type SimCommand = Extract<CommandName, `sim.${string}`>;

function clock(): number {
  return globalThis.performance?.now() ?? Date.now();
}

export const useSimStore = defineStore('sim', () => {
  const bridge = useBridge();

  const scenarios = shallowRef<SimScenarioInfo[]>([]);
  const sim = shallowRef<SimMeta | null>(null);
  const rows = shallowRef<SegmentRow[]>([]);
  const selected = ref<number | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  const playing = ref(false);
  /** log10 of virtual ms shown per real second (0: 1 ms takes 1 s). */
  const speed = ref(1.3);
  /** Jump over quiet stretches (a TIME-WAIT, an RTO) that would take more than a second to watch. */
  const skipQuiet = ref(true);

  const msPerSecond = computed(() => 10 ** speed.value);
  const selectedRow = computed(() => (selected.value === null ? null : (rows.value[selected.value] ?? null)));
  const hosts = computed(() => sim.value?.hosts ?? []);
  const log = computed(() => sim.value?.log ?? []);
  const done = computed(() => sim.value?.done ?? true);

  let chain: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastTick = 0;

  /** Runs one command after the previous ones; the reply's error lands in `error`. */
  function call<K extends SimCommand>(name: K, args: CommandArgs<K>): Promise<CommandResult<K> | null> {
    const p = chain.then(async () => {
      busy.value = true;
      try {
        const r = await bridge.invoke(name, args);
        if (!r.ok) {
          error.value = r.error.message;
          return null;
        }
        error.value = null;
        return r.result;
      } catch (e) {
        error.value = `TCP Lab did not answer: ${e instanceof Error ? e.message : String(e)}`;
        return null;
      } finally {
        busy.value = false;
      }
    });
    chain = p;
    return p;
  }

  function apply(st: SimState | null): void {
    if (!st) return;
    const { rows: part, ...meta } = st;
    const same = sim.value?.simId === st.simId;
    rows.value = same ? mergeRows(rows.value, st.rowsOffset, part) : part;
    sim.value = meta;
    if (!same || (selected.value !== null && selected.value >= rows.value.length)) selected.value = null;
  }

  /** Rows we hold that the service called final: it resends only what comes after. */
  function since(): number {
    return Math.min(rows.value.length, sim.value?.rowsSettled ?? 0);
  }

  async function loadList(): Promise<void> {
    const list = await call('sim.list', {});
    if (list) scenarios.value = list;
  }

  async function closeCurrent(): Promise<void> {
    const id = sim.value?.simId;
    if (id !== undefined) await call('sim.close', { simId: id });
  }

  async function load(scenario: string, seed?: number): Promise<void> {
    pause();
    const previous = sim.value?.simId;
    const st = await call('sim.load', seed === undefined ? { scenario } : { scenario, seed });
    if (st && previous !== undefined) void call('sim.close', { simId: previous });
    apply(st);
  }

  async function custom(params: SimCustomParams): Promise<void> {
    pause();
    const previous = sim.value?.simId;
    const st = await call('sim.custom', params);
    if (st && previous !== undefined) void call('sim.close', { simId: previous });
    apply(st);
  }

  async function step(count = 1): Promise<void> {
    const s = sim.value;
    if (!s) return;
    apply(await call('sim.step', { simId: s.simId, count, since: since() }));
  }

  async function back(count = 1): Promise<void> {
    pause();
    const s = sim.value;
    if (!s || s.steps === 0) return;
    apply(await call('sim.back', { simId: s.simId, count, since: since() }));
  }

  async function reset(): Promise<void> {
    pause();
    const s = sim.value;
    if (!s) return;
    apply(await call('sim.reset', { simId: s.simId }));
  }

  async function inject(from: string, flag: SimFlag, seqMode: SimSeqMode, seq?: number): Promise<boolean> {
    const s = sim.value;
    if (!s) return false;
    const args: CommandArgs<'sim.inject'> = { simId: s.simId, from, flag, seqMode, since: since() };
    if (seqMode === 'value') args.seq = seq;
    const st = await call('sim.inject', args);
    apply(st);
    return st !== null;
  }

  function select(pos: number | null): void {
    selected.value = pos === null || pos < 0 || pos >= rows.value.length ? null : pos;
  }

  function setSpeed(v: number): void {
    speed.value = Math.min(SPEED_MAX, Math.max(SPEED_MIN, v));
  }

  // ---- the player ----

  function play(): void {
    if (!sim.value || sim.value.done || playing.value) return;
    playing.value = true;
    lastTick = clock();
    timer = setTimeout(() => void tick(), 0);
  }

  function pause(): void {
    playing.value = false;
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  async function tick(): Promise<void> {
    timer = null;
    const s = sim.value;
    if (!playing.value || !s) return;
    const t = clock();
    const elapsed = Math.max(0, t - lastTick) / 1000;
    lastTick = t;
    const rate = msPerSecond.value;
    let target = s.now + elapsed * rate;
    const next = s.nextTime;
    if (skipQuiet.value && next !== null && next > target && (next - s.now) / rate > 1) target = next;
    target = Math.min(END_OF_TIME, target);
    if (target > s.now) apply(await call('sim.runTo', { simId: s.simId, t: target, since: since() }));
    const after = sim.value;
    if (!after || after.done || after.nextTime === null || error.value !== null) pause();
    else if (playing.value) timer = setTimeout(() => void tick(), TICK_MS);
  }

  function onEvents(batch: LabEvent[]): void {
    for (const e of batch) {
      if (e.type === 'sim.closed' && e.simId === sim.value?.simId) {
        pause();
        sim.value = null;
        rows.value = [];
        selected.value = null;
        error.value = 'This simulation was closed (too many were open at once): load it again.';
      }
    }
  }
  bridge.subscribe(onEvents);

  function dismissError(): void {
    error.value = null;
  }

  return {
    scenarios,
    sim,
    rows,
    selected,
    selectedRow,
    hosts,
    log,
    done,
    busy,
    error,
    playing,
    speed,
    skipQuiet,
    msPerSecond,
    loadList,
    load,
    custom,
    step,
    back,
    reset,
    inject,
    select,
    setSpeed,
    play,
    pause,
    closeCurrent,
    dismissError,
  };
});
