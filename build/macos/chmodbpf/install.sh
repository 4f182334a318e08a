#!/bin/sh
# Installs TCP Lab's ChmodBPF launch daemon on macOS (run once, with sudo):
#   sudo "/Applications/TCP Lab.app/Contents/Resources/macos/chmodbpf/install.sh" [LOGIN…]
# Creates the access_bpf group (shared with Wireshark) if it is missing, adds
# the named users (default: the user who ran sudo) to it, installs the launch
# daemon that gives that group access to /dev/bpf* at every boot, and runs it
# once now. TCP Lab itself never runs as root.
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "Run this with sudo: sudo \"$0\"" >&2
  exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
DEST="/Library/Application Support/TCP Lab/ChmodBPF"
PLIST=/Library/LaunchDaemons/org.tcplab.ChmodBPF.plist

if ! dscl . -read /Groups/access_bpf > /dev/null 2>&1; then
  gid=600
  while dscl . -search /Groups PrimaryGroupID "$gid" | grep -q .; do gid=$((gid + 1)); done
  dseditgroup -q -o create -i "$gid" -r "Access to BPF devices" access_bpf
fi
if [ "$#" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then set -- "$SUDO_USER"; fi
for user in "$@"; do
  dseditgroup -q -o edit -a "$user" -t user access_bpf
  echo "Added $user to access_bpf."
done

mkdir -p "$DEST"
install -m 0755 -o root -g wheel "$HERE/ChmodBPF" "$DEST/ChmodBPF"
install -m 0644 -o root -g wheel "$HERE/org.tcplab.ChmodBPF.plist" "$PLIST"
launchctl bootout system "$PLIST" > /dev/null 2>&1 || true
launchctl bootstrap system "$PLIST"
echo "Done: quit and reopen TCP Lab (log out and in if you were just added to access_bpf)."
