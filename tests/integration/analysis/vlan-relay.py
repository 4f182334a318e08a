#!/usr/bin/env python3
"""A two-port 802.1Q switch in user space, for make-captures.sh on kernels
without VLAN devices or bridge VLAN filtering: frames arriving on the access
port (untagged) leave on the trunk port with an 802.1Q tag, and frames
arriving on the trunk lose their tag on the way to the access port. veth
leaves TCP checksums to "hardware" that never computes them, so the relay
fills in the TCP checksum of IPv4 segments it forwards. Runs until killed.

    vlan-relay.py ACCESS_IF TRUNK_IF VID
"""
import select
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_port(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    return s


def ones_sum(b):
    if len(b) % 2:
        b += b"\0"
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def fix_tcp_checksum(frame, l3):
    """Recomputes the TCP checksum of an IPv4 packet starting at byte l3 of frame."""
    if len(frame) < l3 + 20 or frame[l3] >> 4 != 4 or frame[l3 + 9] != 6:
        return frame
    ihl = (frame[l3] & 15) * 4
    total = struct.unpack("!H", frame[l3 + 2 : l3 + 4])[0]
    t, end = l3 + ihl, l3 + total
    if end > len(frame) or end - t < 20:
        return frame
    seg = bytearray(frame[t:end])
    seg[16:18] = b"\0\0"
    pseudo = frame[l3 + 12 : l3 + 20] + struct.pack("!BBH", 0, 6, len(seg))
    csum = (~ones_sum(bytes(pseudo) + bytes(seg))) & 0xFFFF
    return frame[: t + 16] + struct.pack("!H", csum) + frame[t + 18 :]


def main():
    access_if, trunk_if, vid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    access, trunk = open_port(access_if), open_port(trunk_if)
    tag = struct.pack("!HH", 0x8100, vid & 0x0FFF)
    while True:
        ready, _, _ = select.select([access, trunk], [], [])
        for s in ready:
            data, addr = s.recvfrom(65600)
            if addr[2] == PACKET_OUTGOING:
                continue  # our own transmissions
            if s is trunk:
                # The kernel may already have moved the tag into metadata (VLAN offload).
                if data[12:14] in (b"\x81\x00", b"\x88\xa8"):
                    data = data[:12] + data[16:]
                access.send(fix_tcp_checksum(data, 14) if data[12:14] == b"\x08\x00" else data)
            else:
                if data[12:14] == b"\x08\x00":
                    data = fix_tcp_checksum(data, 14)
                try:
                    trunk.send(data[:12] + tag + data[12:])
                except OSError as e:  # e.g. a frame too long for the trunk: drop it, as a switch would
                    print(f"vlan-relay: dropped a {len(data)}-byte frame: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
