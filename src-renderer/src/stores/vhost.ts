/**
 * The "Real peer" store: lab networks (a namespace with a real Linux kernel
 * behind a veth pair) and the virtual host attached to one, with its
 * connection to the kernel as a mixed ladder — lane A the virtual host's
 * exact TCB states, lane B the kernel's states as inferred from the wire.
 * Every change goes through one `labnet.*` or `vhost.*` command whose reply
 * carries the new state; commands run one at a time, in order. Live traffic
 * arrives as `vhost.updated` events (at most one per ~50 ms), each of which
 * fetches what changed with `vhost.state` — rows grow by appending (the
 * store says with `since` how many final rows it holds). Errors end up in
 * `error` as the reply's sentence.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type {
  CommandArgs,
  CommandName,
  CommandResult,
  LabEvent,
  LabnetInfo,
  LabnetList,
  VhostState,
} from '../../../src-shared/contract';
import type { SegmentRow } from '../../../src-shared/session';
import { useBridge } from '../bridge';
import { mergeRows } from './rows';

export type VhostMeta = Omit<VhostState, 'rows'>;
export type VhostFlag = CommandArgs<'vhost.inject'>['flag'];
export type VhostSeqMode = CommandArgs<'vhost.inject'>['seqMode'];

type VhostCommand = Extract<CommandName, `vhost.${string}` | `labnet.${string}`>;

export const useVhostStore = defineStore('vhost', () => {
  const bridge = useBridge();

  const labnets = shallowRef<LabnetList | null>(null);
  const vhost = shallowRef<VhostMeta | null>(null);
  const rows = shallowRef<SegmentRow[]>([]);
  const selected = ref<number | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  const running = computed(() => vhost.value?.running ?? false);
  const networks = computed<LabnetInfo[]>(() => labnets.value?.networks ?? []);
  const selectedRow = computed(() => (selected.value === null ? null : (rows.value[selected.value] ?? null)));
  const log = computed(() => vhost.value?.log ?? []);

  let chain: Promise<unknown> = Promise.resolve();
  let refreshing = false;
  let again = false;

  /** Runs one command after the previous ones; the reply's error lands in `error`. */
  function call<K extends VhostCommand>(
    name: K,
    args: CommandArgs<K>,
    quiet = false,
  ): Promise<CommandResult<K> | null> {
    const p = chain.then(async () => {
      if (!quiet) busy.value = true;
      try {
        const r = await bridge.invoke(name, args);
        if (!r.ok) {
          error.value = r.error.message;
          return null;
        }
        if (!quiet) error.value = null;
        return r.result;
      } catch (e) {
        error.value = `TCP Lab did not answer: ${e instanceof Error ? e.message : String(e)}`;
        return null;
      } finally {
        if (!quiet) busy.value = false;
      }
    });
    chain = p;
    return p;
  }

  const connKey = (s: VhostMeta | VhostState | null): string =>
    s?.endpoints ? `${s.endpoints.a.port}-${s.endpoints.b.ip}:${s.endpoints.b.port}` : '';

  function apply(st: VhostState | null): void {
    if (!st) return;
    const { rows: part, ...meta } = st;
    const changed = vhost.value !== null && connKey(vhost.value) !== connKey(st);
    if (changed && st.rowsOffset > 0) {
      // Another connection than the rows we hold (the kernel connected again): fetch all of it.
      rows.value = [];
      selected.value = null;
      vhost.value = { ...meta, rowsSettled: 0 };
      again = true;
      void refresh();
      return;
    }
    rows.value = mergeRows(rows.value, st.rowsOffset, part);
    vhost.value = meta;
    if (changed || (selected.value !== null && selected.value >= rows.value.length)) selected.value = null;
  }

  /** Rows we hold that the service called final: it resends only what comes after. */
  function since(): number {
    return Math.min(rows.value.length, vhost.value?.rowsSettled ?? 0);
  }

  async function refreshLabnets(): Promise<void> {
    const l = await call('labnet.list', {}, true);
    if (l) labnets.value = l;
  }

  async function labnetUp(delayMs = 0, lossPct = 0): Promise<LabnetInfo | null> {
    const args: CommandArgs<'labnet.up'> = {};
    if (delayMs > 0) args.delayMs = delayMs;
    if (lossPct > 0) args.lossPct = lossPct;
    const n = await call('labnet.up', args);
    await refreshLabnets();
    return n;
  }

  async function labnetDown(index: number): Promise<void> {
    await call('labnet.down', { index });
    await refreshLabnets();
    await refresh();
  }

  async function start(args: CommandArgs<'vhost.start'>): Promise<boolean> {
    rows.value = [];
    selected.value = null;
    const st = await call('vhost.start', args);
    if (st) {
      vhost.value = null;
      apply(st);
    }
    return st !== null;
  }

  async function connect(port: number, ipv6 = false, ip?: string): Promise<void> {
    const args: CommandArgs<'vhost.connect'> = { port, ipv6 };
    if (ip) args.ip = ip;
    rows.value = [];
    selected.value = null;
    const st = await call('vhost.connect', args);
    if (st) apply({ ...st, rowsOffset: 0 });
  }

  async function listen(port: number): Promise<void> {
    rows.value = [];
    selected.value = null;
    const st = await call('vhost.listen', { port });
    if (st) apply({ ...st, rowsOffset: 0 });
  }

  async function kernelConnect(port?: number, ipv6 = false): Promise<void> {
    const args: CommandArgs<'vhost.kernelConnect'> = { ipv6 };
    if (port !== undefined) args.port = port;
    apply(await call('vhost.kernelConnect', args));
  }

  async function send(text: string): Promise<boolean> {
    const st = await call('vhost.send', { text });
    apply(st);
    return st !== null;
  }

  async function close(how: 'fin' | 'rst'): Promise<void> {
    apply(await call('vhost.close', { how }));
  }

  async function inject(flag: VhostFlag, seqMode: VhostSeqMode, seq?: number): Promise<boolean> {
    const args: CommandArgs<'vhost.inject'> = { flag, seqMode };
    if (seqMode === 'value') args.seq = seq;
    const st = await call('vhost.inject', args);
    apply(st);
    return st !== null;
  }

  async function stop(): Promise<void> {
    apply(await call('vhost.stop', {}));
  }

  /** Fetches what changed; updates arriving meanwhile cause one more fetch, not one each. */
  async function refresh(): Promise<void> {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      do {
        again = false;
        const st = await call('vhost.state', { since: since() }, true);
        apply(st);
      } while (again);
    } finally {
      refreshing = false;
    }
  }

  function select(pos: number | null): void {
    selected.value = pos === null || pos < 0 || pos >= rows.value.length ? null : pos;
  }

  function onEvents(batch: LabEvent[]): void {
    let update = false;
    for (const e of batch) {
      if (e.type === 'vhost.updated') update = true;
      else if (e.type === 'labnet.changed' && labnets.value)
        labnets.value = { ...labnets.value, networks: e.networks };
    }
    if (update) void refresh();
  }
  bridge.subscribe(onEvents);

  function dismissError(): void {
    error.value = null;
  }

  return {
    labnets,
    networks,
    vhost,
    rows,
    selected,
    selectedRow,
    log,
    running,
    busy,
    error,
    refreshLabnets,
    labnetUp,
    labnetDown,
    start,
    connect,
    listen,
    kernelConnect,
    send,
    close,
    inject,
    stop,
    refresh,
    select,
    dismissError,
  };
});
