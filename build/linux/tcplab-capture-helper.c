/*
 * tcplab-capture-helper: the one privileged file of TCP Lab on Linux, in the
 * spirit of Wireshark's dumpcap. The .deb/.rpm installs it as
 * /opt/TCP Lab/resources/tcplab-capture-helper, owned root:tcplab, mode 0750,
 * with the file capabilities cap_net_raw,cap_net_admin=eip (postinst), and
 * polkit's org.tcplab.capture action names it for pkexec. It runs TCP Lab's
 * capture helper (helper-process.cjs, the only code that opens libpcap) and
 * nothing else: the paths are compiled in (TCPLAB_APP_DIR, TCPLAB_EXECUTABLE),
 * its own arguments are ignored, the environment is replaced by a fixed one
 * (no NODE_OPTIONS, LD_*, or anything else from the caller), and it refuses to
 * run files that are not root-owned and write-protected. It raises its two
 * capabilities into the ambient set and then executes the Electron binary
 * *as Node* (ELECTRON_RUN_AS_NODE=1, so the RunAsNode fuse stays on): the
 * capabilities pass to that process without file capabilities on Electron
 * itself, which would put it in secure-execution mode (electron#4583). Run by
 * pkexec it is root and simply executes the helper.
 *
 * Build: cc -O2 -Wall -DTCPLAB_APP_DIR='"/opt/TCP Lab"' -DTCPLAB_EXECUTABLE='"tcplab"' -o tcplab-capture-helper tcplab-capture-helper.c
 * (build/after-pack.cjs does this while packaging for Linux).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TCPLAB_APP_DIR
#define TCPLAB_APP_DIR "/opt/TCP Lab"
#endif
#ifndef TCPLAB_EXECUTABLE
#define TCPLAB_EXECUTABLE "tcplab"
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif

#define ELECTRON_PATH TCPLAB_APP_DIR "/" TCPLAB_EXECUTABLE
#define HELPER_DIR TCPLAB_APP_DIR "/resources/app.asar.unpacked/out/main/capture"
#define HELPER_PATH HELPER_DIR "/helper-process.cjs"

static void die(const char *what) {
  fprintf(stderr, "tcplab-capture-helper: %s\n", what);
  exit(126);
}

/* A path we execute or read with privilege must be root's and not writable by others. */
static void check_trusted(const char *path, int want_dir) {
  struct stat st;
  char msg[512];
  if (stat(path, &st) != 0) {
    snprintf(msg, sizeof msg, "%s is missing (%s): reinstall TCP Lab", path, strerror(errno));
    die(msg);
  }
  if ((want_dir && !S_ISDIR(st.st_mode)) || (!want_dir && !S_ISREG(st.st_mode))) {
    snprintf(msg, sizeof msg, "%s is not a %s: reinstall TCP Lab", path, want_dir ? "folder" : "file");
    die(msg);
  }
  if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    snprintf(msg, sizeof msg, "%s must be owned by root and writable by root only; refusing to run", path);
    die(msg);
  }
}

/* Makes the permitted capability `cap` inheritable and ambient, so it survives execve. */
static int raise_ambient(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) != 0) return -1;
  if (!(data[CAP_TO_INDEX(cap)].permitted & CAP_TO_MASK(cap))) return -1;
  data[CAP_TO_INDEX(cap)].inheritable |= CAP_TO_MASK(cap);
  if (syscall(SYS_capset, &hdr, data) != 0) return -1;
  return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv; /* ignored: this program only ever runs its own helper */
  check_trusted(TCPLAB_APP_DIR, 1);
  check_trusted(TCPLAB_APP_DIR "/resources", 1);
  check_trusted(HELPER_DIR, 1);
  check_trusted(ELECTRON_PATH, 0);
  check_trusted(HELPER_PATH, 0);

  if (geteuid() != 0) {
    int raw = raise_ambient(CAP_NET_RAW);
    int admin = raise_ambient(CAP_NET_ADMIN);
    if (raw != 0 || admin != 0)
      fprintf(stderr,
              "tcplab-capture-helper: warning: no capture capabilities (run: sudo setcap "
              "cap_net_raw,cap_net_admin=eip '%s/resources/tcplab-capture-helper')\n",
              TCPLAB_APP_DIR);
  }

  char *const args[] = {(char *)ELECTRON_PATH, (char *)HELPER_PATH, NULL};
  char *const env[] = {(char *)"ELECTRON_RUN_AS_NODE=1", (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                       (char *)"LANG=C.UTF-8", NULL};
  execve(ELECTRON_PATH, args, env);
  perror("tcplab-capture-helper: cannot start " ELECTRON_PATH);
  return 127;
}
