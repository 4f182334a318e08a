/**
 * Link-layer addresses for an injected frame when the capture has not yet
 * shown a frame of the session to copy them from (an idle session whose
 * numbers are learned with a SYN): on loopback, Linux's `lo` is Ethernet with
 * all-zero MACs; on an Ethernet link, the interface's own MAC
 * (/sys/class/net/IF/address) and the destination's from the neighbour table
 * (/proc/net/arp, IPv4 only). Returns null when they cannot be known, and the
 * caller asks the learner to wait for traffic instead.
 */
import { readFileSync } from 'node:fs';
import { LINKTYPE } from '../wire';
import type { LinkTemplate } from './flow-book';

const ZERO_MAC = '00:00:00:00:00:00';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function linkTemplateFor(iface: string, linkType: number, dstIp: string): LinkTemplate | null {
  if (linkType !== LINKTYPE.ETHERNET) {
    // Raw IP and loopback headers carry no addresses; Linux cooked ('any') cannot be sent on.
    return linkType === LINKTYPE.LINUX_SLL || linkType === LINKTYPE.LINUX_SLL2 ? null : { linkType };
  }
  if (iface === 'lo') return { linkType, srcMac: ZERO_MAC, dstMac: ZERO_MAC };
  const own = readText(`/sys/class/net/${iface}/address`)?.trim();
  if (!own) return null;
  const arp = readText('/proc/net/arp');
  if (!arp) return null;
  for (const line of arp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // IP address, HW type, Flags, HW address, Mask, Device
    if (cols.length >= 6 && cols[0] === dstIp && cols[5] === iface && cols[3] !== ZERO_MAC) {
      return { linkType, srcMac: own, dstMac: cols[3] };
    }
  }
  return null;
}
