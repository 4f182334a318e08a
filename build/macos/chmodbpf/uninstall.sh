#!/bin/sh
# Removes TCP Lab's ChmodBPF launch daemon (sudo). The access_bpf group stays:
# Wireshark uses it too. Remove it yourself with: sudo dseditgroup -o delete access_bpf
set -eu
PLIST=/Library/LaunchDaemons/org.tcplab.ChmodBPF.plist
launchctl bootout system "$PLIST" > /dev/null 2>&1 || true
rm -f "$PLIST"
rm -rf "/Library/Application Support/TCP Lab/ChmodBPF"
echo "Removed. /dev/bpf* keep their current permissions until the next restart."
