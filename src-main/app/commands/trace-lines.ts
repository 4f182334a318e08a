/**
 * The pieces of a readable trace that `tcplab simulate` and `tcplab vhost`
 * print alike: the time column, the indent of the "why:" line, a segment's
 * line — time, A → B, flags, numbers, options, marks — and a socket error's.
 */
import type { SegmentEvent, SocketEvent } from '../../engine';

/** The time column: virtual milliseconds, right-aligned. */
export function traceTime(t: number): string {
  return `${t.toFixed(3)} ms`.padStart(14);
}

/** The indent of a segment's "why:" line, under the time column. */
export const TRACE_PAD = ' '.repeat(16);

/** A segment's options as Wireshark's info column has them: `MSS=1460 SACK_PERM TSval=… TSecr=… WS=128`. */
export function optionsText(e: SegmentEvent): string {
  const o = e.options;
  const bits: string[] = [];
  if (o.mss !== undefined) bits.push(`MSS=${o.mss}`);
  if (o.sackPermitted) bits.push('SACK_PERM');
  if (o.tsval !== undefined) bits.push(`TSval=${o.tsval} TSecr=${o.tsecr ?? 0}`);
  if (o.wscale !== undefined) bits.push(`WS=${2 ** o.wscale}`);
  if (o.sack) bits.push(`SACK ${o.sack.map(([l, r]) => `${l}-${r}`).join(' ')}`);
  return bits.join(' ');
}

/** The mark of a segment lost on a link, with the reason when there is one. */
export function lostMark(e: SegmentEvent): string {
  return `✗ lost${e.dropReason ? ` (${e.dropReason})` : ''}`;
}

/** A segment's line: `nums` are its numbers as the caller counts them, `marks` what else to say (may be empty). */
export function segmentLine(e: SegmentEvent, nums: string, marks: readonly string[]): string {
  const flags = e.flags.join(',') || '<none>';
  const opts = optionsText(e);
  return `${traceTime(e.t)}  ${e.from} → ${e.to}  ${flags.padEnd(8)} ${nums}${opts ? `  ${opts}` : ''}${marks.length ? `  ${marks.join(' ')}` : ''}`;
}

/** A socket error as the application sees it (ECONNREFUSED, ECONNRESET …). */
export function applicationErrorLine(e: SocketEvent): string {
  return `${traceTime(e.t)}  ${e.host}: the application sees ${e.code ?? 'an error'}`;
}
