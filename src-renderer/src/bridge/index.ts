/**
 * Picks the renderer's one `LabBridge`: Electron's preload exposes
 * `window.tcplab` (invoke and subscribe, exactly the `LabBridge` shape); without
 * it the page runs in web mode, served at `http://127.0.0.1:PORT/?token=…`, and
 * talks to `ws://<same host>/ws?token=…` through `WsBridge`. Only Pinia stores
 * call `useBridge()`; nothing else in the renderer knows which bridge it has.
 * Tests install a fake with `setBridge`. Globals are reached through
 * `globalThis` so the module type-checks without DOM typings too.
 */
import type { LabBridge } from '../../../src-shared/contract';
import { WsBridge } from './ws-bridge';

interface PageLocation {
  protocol: string;
  host: string;
  search: string;
}

let current: LabBridge | null = null;

/** The web-mode socket URL for a page location: same host, `/ws`, the page's token. */
export function socketUrl(loc: PageLocation): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/ws?token=${encodeURIComponent(token)}`;
}

function isBridge(v: unknown): v is LabBridge {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LabBridge).invoke === 'function' &&
    typeof (v as LabBridge).subscribe === 'function'
  );
}

function createBridge(): LabBridge {
  const g = globalThis as unknown as { tcplab?: unknown; location?: PageLocation };
  if (isBridge(g.tcplab)) return g.tcplab;
  if (!g.location) throw new Error('no Electron preload and no page location: cannot reach TCP Lab');
  return new WsBridge(socketUrl(g.location));
}

/** The bridge, created on first use. */
export function useBridge(): LabBridge {
  if (!current) current = createBridge();
  return current;
}

/** Replaces the bridge (tests; or a host that builds its own). */
export function setBridge(bridge: LabBridge | null): void {
  current = bridge;
}
