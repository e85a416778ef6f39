#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The test guest boots on hosta with its disk on the share; plain libvirt
# live migration (virsh migrate --live --p2p, the baseline) moves it to hostb;
# the disk records run on without a gap and memory came across intact.
# libvirt alone (lab vm start --plain: nbdkit's file plugin, no fence, no
# lease): the floor vsmigrate's move is measured against. Every other lab VM
# runs on smbio, which plain libvirt cannot hand over (66-move shows it refused).
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
vm=base1

"$lab" vm destroy "$vm" >/dev/null 2>&1
if "$lab" vm start "$vm" --on hosta --fresh --plain >"$state_dir/vm-start.log" 2>&1; then
    tap_ok "the guest boots on hosta from the share"
else
    tap_not_ok "the guest boots on hosta from the share"; sed 's/^/# /' "$state_dir/vm-start.log"; tap_done
fi
tap_check "it runs on hosta only" test "$("$lab" vm where "$vm" | tr '\n' ' ')" = "hosta "
sleep 3
before=$("$lab" vm verify "$vm" --json)
n_before=$(json_get "$before" .records)
tap_diag "before the move: $before"
tap_check "records are being written on hosta ($n_before so far)" test "$n_before" -gt 50

tap_check "hostb's disk export starts" "$lab" vm export "$vm" --on hostb
start=$(date +%s%3N)
"$lab" exec hosta -- virsh migrate --live --p2p "$vm" qemu+tcp://hostb.lab.test/system \
    --migrateuri tcp://hostb.lab.test >"$state_dir/migrate.log" 2>&1
rc=$?
ms=$(( $(date +%s%3N) - start ))
tap_check "virsh migrate --live --p2p hosta -> hostb succeeds (${ms} ms)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/# /' "$state_dir/migrate.log"
tap_check "it runs on hostb only" test "$("$lab" vm where "$vm" | tr '\n' ' ')" = "hostb "
sleep 3
"$lab" vm destroy "$vm"
after=$("$lab" vm verify "$vm" --json)
tap_diag "after the move: $after"
n_after=$(json_get "$after" .records)
tap_check "records went on after the move ($n_before -> $n_after)" test "$n_after" -gt $((n_before + 100))
tap_check "the records are contiguous: no gap" test "$(json_get "$after" .gaps)" = 0
tap_check "no record is misplaced or corrupt" test "$(json_get "$after" '.misplaced + .corrupt')" = 0
tap_check "one boot only (the guest was not restarted)" test "$(json_get "$after" .boots)" = 1
tap_check "no memory errors after the move ($(json_get "$after" .mem_passes) passes)" test "$(json_get "$after" .mem_errors)" = 0
tap_check "the verifier says OK" test "$(json_get "$after" .ok)" = true
tap_done
