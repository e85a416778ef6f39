#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrate start and stop, from the workstation as the admin (Hyper-V's
# Start-VM and Stop-VM -TurnOff): the host reads the VM's definition from its
# folder on the share with the admin's own ticket, registers it in place and
# starts it; the qemu hook serves its disk through smbio and the lock plugin
# makes sure no other host writes it. stop turns it off, and the disk's
# writer handle goes with its export.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"
. "$(dirname "$0")/smbio-common.sh"
sock=$hook_sock ctl=$hook_ctl
agents_up
smbio_disk_on_share 32M
domain_xml vsmigrate >"$work/$vm.xml"
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "put $work/$vm.xml $vm/$vm.xml" \
    >/dev/null 2>&1 || tap_bail "admin cannot put the definition on the share"
runs_on() { "$lab" exec "$1" -- virsh -q list --name | grep -qx "$vm"; }
writes_of() { json_get "$(status_of "$1")" .writes; }

"$lab" kinit ws admin
out=$(vsm ws start "$vm" --on hosta 2>&1); rc=$?
tap_diag "$out"
tap_check "start VM --on hosta, as admin from ws: exit 0, saying where from" \
    bash -c '[ "$1" -eq 0 ] && printf "%s" "$2" | grep -q "runs on hosta.lab.test (defined from smb://fs.lab.test/vms/$3/$3.xml)"' _ "$rc" "$out" "$vm"
tap_check "... hosta runs it, registered in place (persistent)" \
    bash -c '"$1" exec hosta -- virsh -q list --name --persistent | grep -qx "$2"' _ "$lab" "$vm"
tap_check "... on its smbio export, the writer" test "$(json_get "$(status_of hosta)" .mode)" = active
console=$("$lab" path hosta dir)/var/log/libvirt/qemu/$vm-console.log
for _ in $(seq 1 120); do grep -q 'vsm-workload: running' "$console" 2>/dev/null && break; sleep 0.5; done
w0=$(writes_of hosta); sleep 3
tap_check "... and the guest writes ($w0 then $(writes_of hosta))" test "$(writes_of hosta)" -gt "$w0"
tap_check "hosta's audit records the start, by admin" \
    audit_has hosta ".action == \"start\" and .vm == \"$vm\" and .user == \"admin@LAB.TEST\" and .result == \"ok\""

out=$(vsm ws start "$vm" --on hostb 2>&1); rc=$?
tap_diag "$out"
tap_check "start on hostb while hosta runs it: refused, saying the writer handle is held elsewhere" \
    bash -c '[ "$1" -ne 0 ] && printf "%s" "$2" | grep -q "libvirt did not start $3" && printf "%s" "$2" | grep -q "writer handle is held"' _ "$rc" "$out" "$vm"
tap_check "... hostb runs nothing, and keeps no definition it did not have" \
    bash -c '! "$1" exec hostb -- virsh -q list --all --name | grep -qx "$2"' _ "$lab" "$vm"
out=$(vsm ws start "$vm" --on hosta 2>&1); rc=$?
tap_check "start again on hosta: exit 7, it runs there already" test "$rc" -eq 7

"$lab" kinit ws mallory
out=$(vsm ws start "$vm" --on hostb 2>&1); rc=$?
tap_check "mallory may not start VMs (exit 4)" test "$rc" -eq 4
"$lab" kinit ws admin
out=$(vsm ws start nosuch-vm --on hosta 2>&1); rc=$?
tap_diag "$out"
tap_check "a VM with no folder on the share: exit 6, saying where the definition should be" \
    bash -c '[ "$1" -eq 6 ] && printf "%s" "$2" | grep -q "there is no //fs.lab.test/vms/nosuch-vm/nosuch-vm.xml"' _ "$rc" "$out"
out=$(vsm ws start "$vm" --host hosta 2>&1); rc=$?
tap_check "start without --on: exit 2, asking for it" bash -c '[ "$1" -eq 2 ] && printf "%s" "$2" | grep -q "start needs --on HOST"' _ "$rc" "$out"

out=$(vsm ws stop "$vm" --host hosta 2>&1); rc=$?
tap_diag "$out"
tap_check "stop VM --host hosta: exit 0, the VM is off" bash -c '[ "$1" -eq 0 ] && ! "$2" exec hosta -- virsh -q list --name | grep -qx "$3"' _ "$rc" "$lab" "$vm"
tap_check "... its export is gone with it" test ! -S "$("$lab" path hosta dir)$ctl"
out=$(vsm ws stop "$vm" --host hosta 2>&1); rc=$?
tap_check "stop of a VM that does not run: exit 6" test "$rc" -eq 6
out=$(vsm ws start "$vm" --on hostb 2>&1); rc=$?
tap_diag "$out"
tap_check "now hostb may start it" test "$rc" -eq 0
tap_check "... and it writes there" test "$(json_get "$(status_of hostb)" .mode)" = active
vsm ws stop "$vm" --host hostb >/dev/null 2>&1
for h in hosta hostb; do "$lab" exec "$h" -- virsh -q undefine "$vm" >/dev/null 2>&1; done
tap_done
