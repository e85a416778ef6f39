#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lab down leaves no namespace, process or file behind, and the machine's own
# /etc, /run and /var are as they were before lab up (00-lab-up.t saved them).
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
dir=$("$lab" path dc dir); dir=${dir%/dc}

tap_check "lab down" "$lab" down
tap_check "no network namespace of the lab is left" bash -c "! ip netns list | grep -q '^$LAB_NAME-'"
tap_check "the lab's directory is gone ($dir)" test ! -e "$dir"
# PID 1 here reaps orphans only every ~2 s: wait for zombies, count the living
left=""
for _ in $(seq 1 50); do
    left=$(ps -eo stat=,pid=,args= | awk '$1 !~ /^Z/' | grep -F "$dir" | grep -v grep)
    [ -z "$left" ] && break
    sleep 0.1
done
tap_check "no process of the lab is left" test -z "$left"
[ -n "$left" ] && tap_diag "$left"
tap_check "no samba, libvirtd, nbdkit or qemu process is left" bash -c \
    "! ps -eo stat=,comm= | awk '\$1 !~ /^Z/ {print \$2}' | grep -qE '^(samba|smbd|winbindd|libvirtd|nbdkit|qemu-system-x86)'"
"$lab" status >/dev/null 2>&1
tap_check "lab status says down (exit 3)" test $? -eq 3
if [ -f "$state_dir/host-state.before" ]; then
    host_state >"$state_dir/host-state.after"
    if diff -u "$state_dir/host-state.before" "$state_dir/host-state.after" >"$state_dir/host-state.diff"; then
        tap_ok "/etc (krb5.keytab, nsswitch.conf, hosts, krb5.conf), /var/tmp, /run/samba and the samba and libvirt state are untouched"
    else
        tap_not_ok "the machine's own files were changed"; sed 's/^/# /' "$state_dir/host-state.diff" | head -40
    fi
else
    tap_not_ok "no snapshot of the machine's files from before lab up: run 00-lab-up.t first"
fi
tap_done
