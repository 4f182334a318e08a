#!/usr/bin/env bash
# Makes the real captures in resources/captures/ (see the README there) with
# the real kernel and Debian's tools: tcpdump, dumpcap, editcap and Node
# sockets (traffic.mjs). Traffic goes only over loopback and over veth pairs
# between network namespaces this script creates (tcplab-cap-*) and always
# removes again. Needs root. Idempotent: each run deletes leftover namespaces
# and overwrites every file; timestamps, ports and ISNs differ from run to
# run, so regenerate only on purpose — the tests read the committed files.
#
#   sudo tests/integration/analysis/make-captures.sh [OUTDIR]   (default resources/captures)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="${1:-$ROOT/resources/captures}"
TRAFFIC="$HERE/traffic.mjs"
NODE="$(command -v node)"
WORK="$(mktemp -d /tmp/tcplab-captures.XXXXXX)"
NS_A=tcplab-cap-a   # client side, 10.9.1.1 / fd09:1::1
NS_R=tcplab-cap-r   # router with token-bucket shapers (loss and delay)
NS_B=tcplab-cap-b   # server side, 10.9.2.2 / fd09:2::2
NS_V=tcplab-cap-v   # VLAN client, 10.9.5.1
NS_W=tcplab-cap-w   # VLAN server behind an 802.1Q trunk between two VLAN-filtering bridges, 10.9.5.2

[ "$(id -u)" = 0 ] || { echo "make-captures.sh: needs root (tcpdump, network namespaces)" >&2; exit 1; }
for t in tcpdump dumpcap editcap capinfos ip tc python3; do
  command -v "$t" >/dev/null || { echo "make-captures.sh: $t is missing (apt-get install tcpdump tshark iproute2)" >&2; exit 1; }
done

cleanup() {
  local j
  for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
  for ns in $NS_A $NS_R $NS_B $NS_V $NS_W; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK" "$OUT"

in_ns() { local ns=$1; shift; if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi; }

# start_capture NS LOG CMD... : runs a capture tool in the background and waits until it listens.
start_capture() {
  local ns=$1 log=$2; shift 2
  # Started directly (not through a function) so that $! is the capture tool itself.
  if [ "$ns" = - ]; then "$@" >"$log" 2>&1 & else ip netns exec "$ns" "$@" >"$log" 2>&1 & fi
  CAP_PID=$!
  for _ in $(seq 1 100); do
    grep -q -E 'listening on|Capturing on' "$log" 2>/dev/null && { sleep 0.2; return 0; }
    kill -0 "$CAP_PID" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.05
  done
  cat "$log" >&2
  return 1
}
stop_capture() { sleep 1; kill -INT "$CAP_PID"; wait "$CAP_PID" || true; }

# Every scenario has 60 s to finish, so a broken set-up fails instead of hanging.
traffic() { local ns=$1; shift; in_ns "$ns" timeout 60 "$NODE" "$TRAFFIC" "$@"; }

# tcpdump_capture NS FILE "TCPDUMP OPTIONS" "FILTER" -- TRAFFIC ARGS (run in NS)
tcpdump_capture() {
  local ns=$1 file=$2 opts=$3 filter=$4; shift 5
  # shellcheck disable=SC2086
  start_capture "$ns" "$WORK/$file.log" tcpdump -Z root -U --immediate-mode -n $opts -w "$WORK/$file" "$filter"
  traffic "$ns" "$@"
  stop_capture
}

# --- loopback in the root namespace ----------------------------------------------------------------
tcpdump_capture - lo-ipv4.pcap '-i lo' 'tcp port 40101 or tcp port 40102' -- basic 127.0.0.1 40101
tcpdump_capture - lo-ipv6.pcap '-i lo' 'ip6 and (tcp port 40111 or tcp port 40112)' -- basic ::1 40111
tcpdump_capture - lo-keepalive-nano.pcap '-i lo --time-stamp-precision=nano' 'tcp port 40121' -- keepalive 127.0.0.1 40121
tcpdump_capture - port-reuse.pcap '-i lo' 'tcp port 40131' -- reuse 127.0.0.1 40131 40132 3
tcpdump_capture - syn-scan.pcap '-i lo' 'tcp portrange 40200-40299' -- scan 127.0.0.1 40200 40299 40210 40250
tcpdump_capture - zero-window.pcap '-i lo -s 96' 'tcp port 40141' -- zerowin 127.0.0.1 40141
# -i lo and -i any at once: every loopback packet is seen three times (lo; any, outgoing and incoming).
start_capture - "$WORK/multi-lo-any.log" dumpcap -q -f 'tcp port 40151 or tcp port 40152' -i lo -i any -w "$WORK/multi-lo-any.pcapng"
traffic - basic 127.0.0.1 40151
stop_capture

# Derived files: raw IP (the 14-byte Ethernet header chopped off) and a big-endian pcap.
editcap -F pcap -C 14 -T rawip "$WORK/lo-ipv4.pcap" "$WORK/rawip.pcap"
"$NODE" "$TRAFFIC" swap-endian "$WORK/lo-ipv6.pcap" "$WORK/lo-ipv6-bigendian.pcap"

# --- namespaces: A — R — B, routed, with token-bucket shapers in R ---------------------------------
for ns in $NS_A $NS_R $NS_B; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add vA netns $NS_A type veth peer name vRa netns $NS_R
ip link add vB netns $NS_B type veth peer name vRb netns $NS_R
ip -n $NS_A addr add 10.9.1.1/24 dev vA
ip -n $NS_A addr add fd09:1::1/64 dev vA nodad
ip -n $NS_R addr add 10.9.1.254/24 dev vRa
ip -n $NS_R addr add fd09:1::fe/64 dev vRa nodad
ip -n $NS_R addr add 10.9.2.254/24 dev vRb
ip -n $NS_R addr add fd09:2::fe/64 dev vRb nodad
ip -n $NS_B addr add 10.9.2.2/24 dev vB
ip -n $NS_B addr add fd09:2::2/64 dev vB nodad
for l in "$NS_A vA" "$NS_R vRa" "$NS_R vRb" "$NS_B vB"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n $NS_A route add default via 10.9.1.254
ip -n $NS_A -6 route add default via fd09:1::fe
ip -n $NS_B route add default via 10.9.2.254
ip -n $NS_B -6 route add default via fd09:2::fe
ip netns exec $NS_R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# MTU-sized segments on the wire (no GSO super-packets), as a real NIC would show them.
for l in "$NS_A vA" "$NS_B vB" "$NS_R vRa" "$NS_R vRb"; do set -- $l; ip -n "$1" link set "$2" gso_max_segs 1; done

server_bg() { traffic "$NS_B" "$@" & SERVER_PID=$!; sleep 0.3; }

# Linux cooked v1 and v2 (tcpdump -i any inside A sees vA and lo, each packet once).
server_bg bulk-server 40301
tcpdump_capture $NS_A any-sll.pcap '-i any -y LINUX_SLL -s 128' 'tcp port 40301' -- bulk 10.9.2.2 40301 100000
wait $SERVER_PID
server_bg bulk-server 40302
tcpdump_capture $NS_A any-sll2-ipv6.pcap '-i any -y LINUX_SLL2 -s 128' 'tcp port 40302' -- bulk fd09:2::2 40302 100000
wait $SERVER_PID

# pcapng with two interfaces: a session on A's loopback and one over vA, in one file.
server_bg bulk-server 40311
start_capture $NS_A "$WORK/multi-if.log" dumpcap -q -f 'tcp port 40311 or tcp port 40312' -s 128 -i lo -i vA -w "$WORK/multi-if.pcapng"
traffic $NS_A basic 127.0.0.1 40312
traffic $NS_A bulk 10.9.2.2 40311 50000
stop_capture
wait $SERVER_PID

# Congestion: a 4 Mbit/s bottleneck with a 6 kB queue in R drops segments: retransmissions,
# duplicate ACKs and SACK, captured at A before the bottleneck.
ip netns exec $NS_R tc qdisc replace dev vRb root tbf rate 4mbit burst 3000 limit 6000
server_bg bulk-server 40321
tcpdump_capture $NS_A congestion.pcap '-i vA -s 96' 'tcp port 40321' -- bulk 10.9.2.2 40321 400000
wait $SERVER_PID

# Simultaneous close: both sides send 3000 bytes and FIN at once through 24 kbit/s shapers, so each
# FIN is built and sent before the other side's FIN arrives (FIN-WAIT-1 → CLOSING on both).
ip netns exec $NS_R tc qdisc replace dev vRb root tbf rate 24kbit burst 1600 limit 100000
ip netns exec $NS_R tc qdisc replace dev vRa root tbf rate 24kbit burst 1600 limit 100000
server_bg simclose-server 40331
tcpdump_capture $NS_A simultaneous-close.pcap '-i vA' 'tcp port 40331' -- simclose 10.9.2.2 40331
wait $SERVER_PID

# --- VLAN: V —access— [relay] —802.1Q trunk t1/t2 (VLAN 10)— [relay] —access— W ---------------------
# This kernel has neither VLAN devices nor bridge VLAN filtering, so two user-space relays
# (vlan-relay.py, AF_PACKET) tag and untag; both end hosts are the real kernel TCP.
ip netns add $NS_V; ip netns add $NS_W
ip -n $NS_V link set lo up; ip -n $NS_W link set lo up
ip link add vV netns $NS_V type veth peer name vVa netns $NS_W
ip -n $NS_W link add t1 type veth peer name t2
ip -n $NS_W link add a1 type veth peer name a2
ip netns exec $NS_W sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec $NS_V sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n $NS_V addr add 10.9.5.1/24 dev vV
ip -n $NS_W addr add 10.9.5.2/24 dev a2
for l in "$NS_V vV" "$NS_W vVa" "$NS_W t1" "$NS_W t2" "$NS_W a1" "$NS_W a2"; do
  set -- $l; ip -n "$1" link set "$2" gso_max_segs 1 up
done
ip netns exec $NS_W python3 "$HERE/vlan-relay.py" vVa t1 10 & RELAY1=$!
ip netns exec $NS_W python3 "$HERE/vlan-relay.py" a1 t2 10 & RELAY2=$!
sleep 0.5
traffic $NS_W bulk-server 40341 & SERVER_PID=$!; sleep 0.3
start_capture $NS_W "$WORK/vlan.log" tcpdump -Z root -U --immediate-mode -n -i t1 -s 128 -w "$WORK/vlan.pcap" 'vlan and tcp port 40341'
traffic $NS_V bulk 10.9.5.2 40341 20000
stop_capture
wait $SERVER_PID
kill $RELAY1 $RELAY2; wait $RELAY1 $RELAY2 2>/dev/null || true

# --- keep the results ------------------------------------------------------------------------------
for f in "$WORK"/*.pcap "$WORK"/*.pcapng; do
  size=$(stat -c %s "$f")
  if [ "$size" -gt 204800 ]; then echo "make-captures.sh: $(basename "$f") is $size bytes (> 200 KB)" >&2; exit 1; fi
  cp "$f" "$OUT/" && chmod 644 "$OUT/$(basename "$f")"
  printf '%-28s %7d bytes  %s\n' "$(basename "$f")" "$size" "$(capinfos -c -M "$f" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2 " packets"}')"
done
