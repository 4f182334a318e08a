/**
 * Test helper: a compact, relative-number view of a simulation trace, one
 * string per segment ("A>B SYN,ACK 0 1 len=0", sequence numbers relative to
 * the sender's ISN and ACKs to the receiver's, as Wireshark shows them) and
 * per state change ("B LISTEN>SYN-RECEIVED"), so scenario tests read like a
 * ladder diagram.
 */
import { seqDiff } from '../../../src-shared/seqnum';
import type { SimEvent } from '../../../src-main/engine/types';

export function compact(events: SimEvent[], opts: { states?: boolean; time?: boolean } = {}): string[] {
  const isn = new Map<string, number>();
  const out: string[] = [];
  for (const e of events) {
    const t = opts.time ? `${e.t} ` : '';
    if (e.type === 'segment') {
      const me = `${e.from}:${e.sport}>${e.to}:${e.dport}`;
      const them = `${e.to}:${e.dport}>${e.from}:${e.sport}`;
      if (e.flags.includes('SYN') && !isn.has(me)) isn.set(me, e.seq);
      const s = isn.has(me) ? seqDiff(e.seq, isn.get(me) as number) : e.seq;
      const a = e.flags.includes('ACK') && isn.has(them) ? seqDiff(e.ack, isn.get(them) as number) : e.ack;
      const fl = e.flags.filter((f) => f !== 'PSH').join(',');
      out.push(
        `${t}${e.from}>${e.to} ${fl} ${s} ${a}${e.len ? ` len=${e.len}` : ''}${e.dropped ? ' lost' : ''}${e.injected ? ' injected' : ''}`,
      );
    } else if (e.type === 'state' && opts.states !== false) {
      if (e.from === 'CLOSED' && e.to === 'LISTEN') continue;
      out.push(`${t}${e.host} ${e.from}>${e.to}`);
    }
  }
  return out;
}
