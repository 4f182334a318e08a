/**
 * The tracker's per-side numbers that are not small integers — uint32
 * sequence numbers (RFC 9293 §3.4, arithmetic in `src-shared/seqnum.ts`) and
 * capture times in seconds — kept in one `Float64Array` instead of object
 * fields. In an object such a field is a boxed HeapNumber of its own, so every
 * session carried twenty of them through the young generation; here they are
 * plain doubles outside the JS heap. Every side owns a row of `SIDE_STRIDE`
 * slots starting at its offset `i`, and every session one more row (offset
 * `t`) for its times; the hot functions index the array directly
 * (`n[s.i + NEXT_SEQ]`, no getters, which V8 would not always inline). The
 * values are exactly the numbers the fields held (doubles hold every uint32),
 * and a fresh slot reads 0, the initial value of every field here.
 */

/** `Side.isn`: the side's initial sequence number (valid when `hasIsn`). */
export const ISN = 0;
/** `Side.sndNxt`: highest sequence number sent + 1 (valid when `hasSnd`). */
export const SND_NXT = 1;
/** `Side.ackSent`: highest ACK value the side sent (valid when `hasAckSent`). */
export const ACK_SENT = 2;
/** `Side.finSeq`: sequence number of the side's FIN (valid when `finSent`). */
export const FIN_SEQ = 3;
/** Wireshark `base_seq` of the side's flow (valid when `ws.baseSet`). */
export const BASE = 4;
/** Wireshark `nextseq` of the flow; 0 = not seen (Wireshark's convention). */
export const NEXT_SEQ = 5;
/** Capture time of the segment that set `NEXT_SEQ`. */
export const NEXT_SEQ_TIME = 6;
/** Wireshark `maxseqtobeacked` of the flow; 0 = not seen. */
export const MAX_SEQ_TO_BE_ACKED = 7;
/** Wireshark `lastack` of the flow; 0 = not seen. */
export const LAST_ACK = 8;
/** Capture time of the segment that set `LAST_ACK`. */
export const LAST_ACK_TIME = 9;

/** Session row: capture time of the session's first segment. */
export const FIRST_TIME = 0;
/** Session row: capture time of the session's last segment. */
export const LAST_TIME = 1;
/** Session row: Wireshark `ts_first_rtt`, first SYN to first ACK in seconds; 0 = unknown. */
export const FIRST_RTT = 2;
/** Session row: Wireshark `ts_mru_syn`, time of the most recent pure SYN; 0 = none. */
export const MRU_SYN = 3;

/** Slots per row (a side's or a session's). */
export const SIDE_STRIDE = 10;

/** The rows of every side and session a tracker made, grown by doubling (old slots keep their values). */
export class SideColumns {
  n = new Float64Array(SIDE_STRIDE * 4096);
  private used = 0;

  /** Offset of a new row (all 0); may replace `n`, so read `n` after calling. */
  alloc(): number {
    const i = this.used;
    if (i + SIDE_STRIDE > this.n.length) {
      const next = new Float64Array(this.n.length * 2);
      next.set(this.n);
      this.n = next;
    }
    this.used = i + SIDE_STRIDE;
    return i;
  }
}
