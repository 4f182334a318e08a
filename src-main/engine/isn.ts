/**
 * Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport,
 * remoteip, remoteport, secretkey), where M is a timer ticking every 4 µs and
 * F a keyed pseudo-random function. F here is HalfSipHash-2-4 (the 32-bit
 * SipHash variant; Linux uses SipHash for the same job) keyed with a secret the
 * simulation draws from its seed, and the clock is the virtual clock, so ISNs
 * are unpredictable to a blind attacker yet identical on every replay. The same
 * hash gives each connection its timestamp offset (RFC 7323 §5.4, as Linux does).
 */

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

/** HalfSipHash-2-4 of a list of 32-bit words with a 64-bit key given as two words. */
export function halfSipHash(k0: number, k1: number, words: readonly number[]): number {
  let v0 = k0 >>> 0;
  let v1 = k1 >>> 0;
  let v2 = (0x6c796765 ^ k0) >>> 0;
  let v3 = (0x74656462 ^ k1) >>> 0;
  const round = (): void => {
    v0 = (v0 + v1) >>> 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) >>> 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) >>> 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) >>> 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
  };
  for (const w of words) {
    v3 = (v3 ^ w) >>> 0;
    round();
    round();
    v0 = (v0 ^ w) >>> 0;
  }
  const b = ((words.length * 4) << 24) >>> 0;
  v3 = (v3 ^ b) >>> 0;
  round();
  round();
  v0 = (v0 ^ b) >>> 0;
  v2 = (v2 ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  return (v1 ^ v3) >>> 0;
}

/** An IPv4 address as a 32-bit word (anything else is hashed as text). */
export function addrWord(addr: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  if (m) return ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < addr.length; i++) h = Math.imul(h ^ addr.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface IsnKey {
  k0: number;
  k1: number;
}

/** RFC 6528 ISN for a 4-tuple at virtual time `nowMs`; returns the parts so the explanation can show them. */
export function rfc6528Isn(
  key: IsnKey,
  nowMs: number,
  local: string,
  lport: number,
  remote: string,
  rport: number,
): { isn: number; m: number; f: number } {
  const m = Math.floor(nowMs * 250) >>> 0; // one tick every 4 µs
  const f = halfSipHash(key.k0, key.k1, [addrWord(local), addrWord(remote), ((lport << 16) | rport) >>> 0]);
  return { isn: (m + f) >>> 0, m, f };
}

/** Per address pair timestamp offset (RFC 7323 §5.4 recommends a random offset per connection). */
export function tsOffset(key: IsnKey, local: string, remote: string): number {
  return halfSipHash(key.k1, key.k0, [addrWord(local), addrWord(remote)]);
}
