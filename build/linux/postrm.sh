#!/bin/bash
# TCP Lab's after-remove script for the deb and rpm packages: electron-builder's
# default clean-up (the /usr/bin link, the AppArmor profile) and the polkit
# action the postinst installed. It runs on removal only — not on an upgrade
# (deb: "upgrade"; rpm: $1 = 1), when the new version's postinst sets
# everything up again. The `tcplab` group is left in place, like Wireshark's
# group, so group memberships survive a reinstall; `purge` removes it.

EXE='${executable}'
APP_DIR='/opt/${sanitizedProductName}'

case "$1" in
  upgrade|failed-upgrade|abort-install|abort-upgrade|disappear|1)
    exit 0
    ;;
esac

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove "$EXE" "$APP_DIR/$EXE"
else
    rm -f "/usr/bin/$EXE"
fi

APPARMOR_PROFILE_DEST="/etc/apparmor.d/$EXE"
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi

rm -f /usr/share/polkit-1/actions/org.tcplab.capture.policy

if [ "$1" = "purge" ] && getent group tcplab > /dev/null 2>&1; then
    if hash groupdel 2>/dev/null; then groupdel tcplab || true; fi
fi

exit 0
