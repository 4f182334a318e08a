/**
 * Address text: IPv4 dotted quads (cached, since a capture repeats a handful
 * of addresses millions of times), IPv6 in the canonical form of RFC 5952
 * (lower-case hex, no leading zeros, the longest run of two or more zero
 * groups — the first on a tie — compressed to "::", IPv4-mapped addresses as
 * "::ffff:192.0.2.1"), MAC addresses as "aa:bb:cc:dd:ee:ff", and the parsers
 * that turn such text back into bytes for the emitters (throwing a RangeError
 * that quotes the bad text).
 */

const v4Cache = new Map<number, Array<string | undefined>>();
/** Networks (/24) cached before the cache is cleared. */
const V4_CACHE_LIMIT = 4096;

/** The dotted-quad text of the 4 bytes at `offset`. */
export function ipv4ToString(b: Uint8Array, offset: number): string {
  // Keyed by the /24 (a small integer, so no heap number is made per lookup), then the last byte.
  const key = (b[offset] << 16) | (b[offset + 1] << 8) | b[offset + 2];
  let net = v4Cache.get(key);
  if (net === undefined) {
    if (v4Cache.size >= V4_CACHE_LIMIT) v4Cache.clear();
    net = new Array<string | undefined>(256);
    v4Cache.set(key, net);
  }
  const last = b[offset + 3];
  let s = net[last];
  if (s === undefined) {
    s = `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${last}`;
    net[last] = s;
  }
  return s;
}

/** The RFC 5952 text of the 16 bytes at `offset`. */
export function ipv6ToString(b: Uint8Array, offset: number): string {
  // Find the longest run (>= 2) of zero groups; the first one wins a tie (RFC 5952 §4.2.3).
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = b[offset + 2 * g] === 0 && b[offset + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped ::ffff:a.b.c.d (RFC 5952 §5).
  if (bestStart === 0 && bestLen === 5 && b[offset + 10] === 0xff && b[offset + 11] === 0xff) {
    return `::ffff:${ipv4ToString(b, offset + 12)}`;
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    s += ((b[offset + 2 * g] << 8) | b[offset + 2 * g + 1]).toString(16);
    if (g < 7) s += ':';
  }
  return s;
}

/** "aa:bb:cc:dd:ee:ff" of the 6 bytes at `offset`. */
export function macToString(b: Uint8Array, offset: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    if (i) s += ':';
    s += HEX2[b[offset + i]];
  }
  return s;
}

/** Two-digit lower-case hex of every byte value. */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Parses "192.0.2.1" into 4 bytes. */
export function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4)
    throw new RangeError(`"${text}" is not an IPv4 address (expected 4 dotted numbers)`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      throw new RangeError(`"${text}" is not an IPv4 address (part "${p}" is not 0-255)`);
    }
    out[i] = Number(p);
  }
  return out;
}

/** Parses any RFC 4291 §2.2 text form ("2001:db8::1", "::ffff:192.0.2.1") into 16 bytes. */
export function parseIpv6(text: string): Uint8Array {
  const bad = (why: string): RangeError => new RangeError(`"${text}" is not an IPv6 address (${why})`);
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const halves = s.split('::');
  if (halves.length > 2) throw bad('more than one "::"');
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIpv4(it);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(it)) out.push(parseInt(it, 16));
      else throw bad(`group "${it}" is not 1-4 hex digits`);
    }
    return out;
  };
  const head = toGroups(halves[0]);
  const tail = halves.length === 2 ? toGroups(halves[1]) : [];
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) throw bad('too many groups around "::"');
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) throw bad(`${head.length} groups instead of 8`);
    groups = head;
  }
  const out = new Uint8Array(16);
  for (let g = 0; g < 8; g++) {
    out[2 * g] = groups[g] >> 8;
    out[2 * g + 1] = groups[g] & 0xff;
  }
  return out;
}

/** Parses an IPv4 or IPv6 address, telling which by the presence of ':'. */
export function parseIp(text: string): { version: 4 | 6; bytes: Uint8Array } {
  return text.includes(':') ? { version: 6, bytes: parseIpv6(text) } : { version: 4, bytes: parseIpv4(text) };
}

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`"${text}" is not a MAC address (expected six hex bytes like 02:00:00:00:00:01)`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}
