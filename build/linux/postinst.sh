#!/bin/bash
# TCP Lab's after-install script for the deb and rpm packages (electron-builder
# fills in the executable name and the product folder). It does what
# electron-builder's default script does — the /usr/bin link, the
# chrome-sandbox mode, the MIME and desktop databases, the AppArmor profile —
# and then sets up live capture the way Wireshark's package sets up dumpcap:
# a `tcplab` system group; the capture launcher owned root:tcplab, mode 0750,
# with the capabilities cap_net_raw,cap_net_admin (never on the Electron
# binary itself, electron#4583); and the polkit action org.tcplab.capture so
# users outside the group can capture after an administrator's password.
# Add learners to the group with: sudo usermod -aG tcplab LOGIN (then log in again).

APP_DIR='/opt/${sanitizedProductName}'
EXE='${executable}'
LAUNCHER="$APP_DIR/resources/tcplab-capture-helper"
POLICY_SRC="$APP_DIR/resources/linux/org.tcplab.capture.policy"
POLICY_DIR=/usr/share/polkit-1/actions
GROUP=tcplab

# --- electron-builder's defaults ---------------------------------------------
if type update-alternatives >/dev/null 2>&1; then
    if [ -L "/usr/bin/$EXE" -a -e "/usr/bin/$EXE" -a "$(readlink "/usr/bin/$EXE")" != "/etc/alternatives/$EXE" ]; then
        rm -f "/usr/bin/$EXE"
    fi
    update-alternatives --install "/usr/bin/$EXE" "$EXE" "$APP_DIR/$EXE" 100 || ln -sf "$APP_DIR/$EXE" "/usr/bin/$EXE"
else
    ln -sf "$APP_DIR/$EXE" "/usr/bin/$EXE"
fi

if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    chmod 4755 "$APP_DIR/chrome-sandbox" || true
else
    chmod 0755 "$APP_DIR/chrome-sandbox" || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi
if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE="$APP_DIR/resources/apparmor-profile"
  APPARMOR_PROFILE_TARGET="/etc/apparmor.d/$EXE"
  if [ -f "$APPARMOR_PROFILE_SOURCE" ] && apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  fi
fi

# --- live capture: group, launcher capabilities, polkit action --------------
if ! getent group "$GROUP" > /dev/null 2>&1; then
    if hash groupadd 2>/dev/null; then
        groupadd --system "$GROUP" || true
    elif hash addgroup 2>/dev/null; then
        addgroup --system "$GROUP" || true
    fi
fi

if [ -f "$LAUNCHER" ]; then
    if getent group "$GROUP" > /dev/null 2>&1; then
        chown "root:$GROUP" "$LAUNCHER"
        chmod 0750 "$LAUNCHER"
    else
        echo "TCP Lab: could not create the $GROUP group; live capture will ask for an administrator's password." >&2
        chown root:root "$LAUNCHER"
        chmod 0700 "$LAUNCHER"
    fi
    if hash setcap 2>/dev/null && setcap cap_net_raw,cap_net_admin=eip "$LAUNCHER"; then
        :
    else
        echo "TCP Lab: could not give $LAUNCHER its capture capabilities (is libcap2-bin installed, does the file system keep extended attributes?); live capture will ask for an administrator's password." >&2
    fi
fi

if [ -f "$POLICY_SRC" ] && [ -d "$(dirname "$POLICY_DIR")" ]; then
    mkdir -p "$POLICY_DIR"
    install -m 0644 "$POLICY_SRC" "$POLICY_DIR/org.tcplab.capture.policy" || true
fi

exit 0
