/**
 * Small formatters for the UI: counts, byte sizes, durations, clock times and
 * endpoints, each returning a short string that never shows `undefined` or
 * `NaN` (a missing value reads as "—").
 */
import type { Endpoint } from '../../../src-shared/session';
import { endpointLabel } from '../../../src-shared/tcp';

const DASH = '—';

export function count(n: number | null | undefined): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : DASH;
}

export function bytes(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return DASH;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function duration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return DASH;
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(1)} ms`;
  if (seconds < 120) return `${seconds.toFixed(3)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${(seconds - m * 60).toFixed(0)} s`;
}

/** Seconds since the epoch as a UTC clock time with microseconds ("2024-01-02 03:04:05.123456 UTC"). */
export function clock(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return DASH;
  const whole = Math.floor(seconds);
  const iso = new Date(whole * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const frac = Math.round((seconds - whole) * 1e6)
    .toString()
    .padStart(6, '0')
    .slice(0, 6);
  return `${iso}.${frac} UTC`;
}

export function endpoint(e: Endpoint | null | undefined): string {
  return e ? endpointLabel(e.ip, e.port) : DASH;
}

/** "1 packet", "3 packets". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
