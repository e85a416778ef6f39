#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrate's qemu hook and lock-manager plugin in the lab's libvirtd, with
# plain virsh: the hook starts the disk's smbio export (standby) at prepare
# and stops it at release; the plugin promotes the export before every
# `cont`, so the file server's DENY_WRITE decides who may run a VM, whoever
# drives libvirt. A VM whose disk hosta writes cannot be started on hostb;
# once hosta's VM is gone (and with it its export), it can. Domains without
# vsmigrate leases are not touched (every other lab test runs those).
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/smbio-common.sh"

smbio_disk_on_share 32M
# the export the hook starts is the one status_of asks
sock=$hook_sock ctl=$hook_ctl

domain_xml vsmigrate >"$work/domain.xml"
domain_xml sanlock >"$work/other.xml"
mode_of() { json_get "$(status_of "$1")" .mode; }
writes_of() { json_get "$(status_of "$1")" .writes; }
runs_on() { "$lab" exec "$1" -- virsh -q list --name | grep -qx "$vm"; }
# libvirtd's stderr, where the plugin says why it refused
libvirtd_log() { echo "$("$lab" path "$1" log)/libvirtd.log"; }

tap_check "hosta's libvirtd has the plugin in its lock-driver directory" \
    "$lab" exec hosta -- test -f "$(ls -d /usr/lib/*/libvirt/lock-driver | head -1)/vsmigrate.so"
export_pid() { cat "$("$lab" path "$1" dir)/run/vsmigrate/disks/$vm-vda.pid" 2>/dev/null; }
out=$("$lab" exec hosta -- virsh create "$work/domain.xml" 2>&1); rc=$?
tap_diag "$out"
tap_check "virsh create on hosta: the hook starts the export, the plugin promotes it, the VM runs" test "$rc" -eq 0
tap_check "... hosta's export is the writer now" test "$(mode_of hosta)" = active
pid=$(export_pid hosta)
tap_check "... the export is nbdkit with the smbio plugin and 4 threads" \
    bash -c 'tr "\0" " " <"/proc/$1/cmdline" | grep -q "nbdkit .*--threads 4 .*nbdkit-smbio-plugin.so url=$2"' _ "${pid:-0}" "$url"
libvirtd_sid=$(ps -o sid= -p "$(cat "$("$lab" path hosta dir)/pids/libvirtd")" | tr -d ' ')
tap_check "... in a session of its own (not libvirtd's $libvirtd_sid), its stdio none of libvirtd's pipes" \
    bash -c '[ -n "$(ps -o sid= -p "$1")" ] && [ "$(ps -o sid= -p "$1" | tr -d " ")" != "$2" ] &&
             for fd in 0 1 2; do readlink "/proc/$1/fd/$fd" | grep -qv "^pipe:" || exit 1; done' _ "${pid:-0}" "$libvirtd_sid"
tap_diag "export $pid: session $(ps -o sid= -p "${pid:-0}"), stdio $(for fd in 0 1 2; do readlink "/proc/${pid:-0}/fd/$fd"; done | tr '\n' ' ')"
console=$("$lab" path hosta dir)/var/log/libvirt/qemu/$vm-console.log
for _ in $(seq 1 120); do grep -q 'vsm-workload: running' "$console" 2>/dev/null && break; sleep 0.5; done
w0=$(writes_of hosta)
sleep 3
tap_check "... and the guest writes through it ($w0 then $(writes_of hosta) writes)" test "$(writes_of hosta)" -gt "$w0"

# behind vsmigrate's back: the same VM started on hostb by plain virsh
out=$("$lab" exec hostb -- virsh create "$work/domain.xml" 2>&1); rc=$?
tap_diag "virsh create on hostb: $out"
tap_check "plain virsh create of the same VM on hostb fails" test "$rc" -ne 0
tap_check "... hostb runs no such domain" bash -c '! "$1" exec hostb -- virsh -q list --name | grep -qx "$2"' _ "$lab" "$vm"
tap_check "... and hostb's export, started by the hook, is gone with the refused start" \
    test -z "$(export_pid hostb)" -a ! -S "$("$lab" path hostb dir)$ctl"
tap_check "... and hostb's libvirtd log says why (the writer handle is held)" \
    grep -q "vsmigrate lock: $vm may not run here: disk vda cannot take its writer handle" "$(libvirtd_log hostb)"
w0=$(writes_of hosta)
sleep 2
tap_check "hosta's VM runs on" runs_on hosta
tap_check "... writing (never two writers)" test "$(writes_of hosta)" -gt "$w0"

# pause and resume: resume is an Acquire too
tap_check "suspend and resume on hosta (resume promotes again: a no-op for the writer)" \
    bash -c '"$1" exec hosta -- virsh -q suspend "$2" >/dev/null && "$1" exec hosta -- virsh -q resume "$2" >/dev/null' _ "$lab" "$vm"

# hosta's VM goes: its export stops with it (the release hook) and lets the
# writer handle go; now hostb may start the VM
"$lab" exec hosta -- virsh -q destroy "$vm" >/dev/null 2>&1
tap_check "virsh destroy on hosta: the hook stopped the export" bash -c '! kill -0 "$1" 2>/dev/null' _ "${pid:-0}"
out=$("$lab" exec hostb -- virsh create "$work/domain.xml" 2>&1); rc=$?
tap_diag "$out"
tap_check "after hosta released the disk, virsh create on hostb succeeds" test "$rc" -eq 0
tap_check "... and hostb's export is the writer" test "$(mode_of hostb)" = active
"$lab" exec hostb -- virsh -q destroy "$vm" >/dev/null 2>&1

# a definition that asks the hook to serve a disk elsewhere is refused
sed "s|$sock|/run/evil.sock|" "$work/domain.xml" >"$work/elsewhere.xml"
out=$("$lab" exec hosta -- virsh create "$work/elsewhere.xml" 2>&1); rc=$?
tap_diag "$out"
tap_check "a definition with the export's socket elsewhere: refused by the hook, saying where it must be" \
    bash -c '[ "$1" -ne 0 ] && printf "%s" "$2" | grep -q "must be served at /run/vsmigrate/disks/$3-vda.sock"' _ "$rc" "$out" "$vm"
sed "s|$url|smb://fs.lab.test/vms/web01/web01.raw|" "$work/domain.xml" >"$work/other-folder.xml"
out=$("$lab" exec hosta -- virsh create "$work/other-folder.xml" 2>&1); rc=$?
tap_check "a disk in another VM's folder: refused by the hook (placement)" \
    bash -c '[ "$1" -ne 0 ] && printf "%s" "$2" | grep -q "outside the VM.s own folder"' _ "$rc" "$out"

# a lease of another lock manager's lockspace is refused, with the reason
out=$("$lab" exec hosta -- virsh create "$work/other.xml" 2>&1); rc=$?
tap_check "a lease in another lockspace: refused" test "$rc" -ne 0
# AddResource runs first in the child that becomes QEMU: its words go to the domain's log
tap_check "... naming the lockspace, in the domain's log" \
    grep -q "the lease 'vda' is in the lockspace 'sanlock'" "$("$lab" path hosta dir)/var/log/libvirt/qemu/$vm.log"
"$lab" exec hosta -- virsh -q destroy "$vm" >/dev/null 2>&1
tap_done
