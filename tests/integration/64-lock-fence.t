#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The lock-manager plugin (hostagent/lockplugin.c) in the lab's libvirtd:
# before every `cont` it promotes each vsmigrate lease's disk export, so the
# file server's DENY_WRITE decides who may run a VM, whoever drives libvirt.
# A VM whose disk hosta writes cannot be started on hostb by plain virsh;
# once hosta lets go, it can. Domains without leases are not touched (every
# other lab test runs those with the plugin loaded).
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/smbio-common.sh"
guest=$("$top/tests/guest/build") || tap_bail "building the test guest failed"

smbio_disk_on_share 32M
for h in hosta hostb; do
    export_on "$h" standby || tap_bail "the standby export did not start on $h"
done

# domain_xml LOCKSPACE: the VM on its export, with a lease on the disk
domain_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$vm</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vsm.mem=64</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source protocol='nbd'><host transport='unix' socket='$sock'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
    <lease>
      <lockspace>$1</lockspace>
      <key>vda</key>
      <target path='$ctl'/>
    </lease>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/$vm-console.log'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}
domain_xml vsmigrate >"$work/domain.xml"
domain_xml sanlock >"$work/other.xml"
mode_of() { json_get "$(status_of "$1")" .mode; }
writes_of() { json_get "$(status_of "$1")" .writes; }
runs_on() { "$lab" exec "$1" -- virsh -q list --name | grep -qx "$vm"; }
# libvirtd's stderr, where the plugin says why it refused
libvirtd_log() { echo "$("$lab" path "$1" log)/libvirtd.log"; }

tap_check "hosta's libvirtd has the plugin in its lock-driver directory" \
    "$lab" exec hosta -- test -f "$(ls -d /usr/lib/*/libvirt/lock-driver | head -1)/vsmigrate.so"
out=$("$lab" exec hosta -- virsh create "$work/domain.xml" 2>&1); rc=$?
tap_diag "$out"
tap_check "virsh create on hosta: the plugin promotes the export, the VM runs" test "$rc" -eq 0
tap_check "... hosta's export is the writer now" test "$(mode_of hosta)" = active
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
tap_check "... hostb's export stayed standby" test "$(mode_of hostb)" = standby
tap_check "... and hostb's libvirtd log says why (the writer handle is held)" \
    grep -q "vsmigrate lock: $vm may not run here: disk vda cannot take its writer handle" "$(libvirtd_log hostb)"
w0=$(writes_of hosta)
sleep 2
tap_check "hosta's VM runs on" runs_on hosta
tap_check "... writing (never two writers)" test "$(writes_of hosta)" -gt "$w0"

# pause and resume: resume is an Acquire too
tap_check "suspend and resume on hosta (resume promotes again: a no-op for the writer)" \
    bash -c '"$1" exec hosta -- virsh -q suspend "$2" >/dev/null && "$1" exec hosta -- virsh -q resume "$2" >/dev/null' _ "$lab" "$vm"

# hosta lets go: now hostb may start it
"$lab" exec hosta -- virsh -q destroy "$vm" >/dev/null 2>&1
disk hosta release >/dev/null
out=$("$lab" exec hostb -- virsh create "$work/domain.xml" 2>&1); rc=$?
tap_diag "$out"
tap_check "after hosta released the disk, virsh create on hostb succeeds" test "$rc" -eq 0
tap_check "... and hostb's export is the writer" test "$(mode_of hostb)" = active
"$lab" exec hostb -- virsh -q destroy "$vm" >/dev/null 2>&1

# a lease of another lock manager's lockspace is refused, with the reason
out=$("$lab" exec hosta -- virsh create "$work/other.xml" 2>&1); rc=$?
tap_check "a lease in another lockspace: refused" test "$rc" -ne 0
# AddResource runs first in the child that becomes QEMU: its words go to the domain's log
tap_check "... naming the lockspace, in the domain's log" \
    grep -q "the lease 'vda' is in the lockspace 'sanlock'" "$("$lab" path hosta dir)/var/log/libvirt/qemu/$vm.log"
"$lab" exec hosta -- virsh -q destroy "$vm" >/dev/null 2>&1
tap_done
