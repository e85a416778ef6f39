#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# nbdkit-smbio-plugin and vsmigrate-disk against the lab's file server, with
# real NBD clients (nbdcopy, qemu-img, qemu-io): data integrity against
# smbclient's copy, offsets past 4 GiB, the writer hand-off between two hosts'
# exports, recovery after kill -9, and errors at start for bad input.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/smbio-common.sh"
smbio_disk_on_share 64M

export_ok "hosta's export starts active" hosta active
head -c 8M /dev/urandom >"$work/data"
"$lab" exec hosta -- nbdcopy "$work/data" "$(nbd)" >/dev/null 2>&1
tap_check "nbdcopy writes 8 MiB through the export" test $? -eq 0
want=$(sha256sum <"$work/data" | cut -d' ' -f1)
tap_check "smbclient reads back exactly what nbdcopy wrote" test "$(share_sha 8388608)" = "$want"
"$lab" exec hosta -- nbdcopy "$(nbd)" "$work/back.raw" >/dev/null 2>&1
tap_check "nbdcopy reads the same 8 MiB back through the export" test "$(head -c 8M "$work/back.raw" | sha256sum | cut -d' ' -f1)" = "$want"
"$lab" exec hosta -- qemu-img convert -f raw -O raw "$(nbd)" "$work/qemu.raw" >/dev/null 2>&1
tap_check "qemu-img convert reads the disk through the export" test "$(head -c 8M "$work/qemu.raw" | sha256sum | cut -d' ' -f1)" = "$want"

# zero and trim
nbdio=(/usr/bin/python3 "$top/tests/tools/nbd-io.py" "$(nbd)")
r=$("$lab" exec hosta -- "${nbdio[@]}" can 0 2>&1)
has "the export offers zero, FUA and flush, and not trim" "$r" "zero=True trim=False fua=True flush=True"
"$lab" exec hosta -- "${nbdio[@]}" zero 1048576 65536 >/dev/null 2>&1
tap_check "an NBD zero of 64 KiB at 1 MiB succeeds" test $? -eq 0
cp "$work/data" "$work/zeroed"
dd if=/dev/zero of="$work/zeroed" bs=65536 seek=16 count=1 conv=notrunc status=none
tap_check "smbclient reads zeroes there and the rest unchanged" test "$(share_sha 8388608)" = "$(sha256sum <"$work/zeroed" | cut -d' ' -f1)"
r=$("$lab" exec hosta -- "${nbdio[@]}" trim 2097152 65536 2>&1)
has "an NBD trim is refused (not offered: libsmbclient cannot punch holes)" "$r" "nbd_trim"
tap_check "... and changed nothing" test "$(share_sha 8388608)" = "$(sha256sum <"$work/zeroed" | cut -d' ' -f1)"
cp "$work/zeroed" "$work/data"
want=$(sha256sum <"$work/data" | cut -d' ' -f1)

# random offsets, each with its own pattern
ok=1
for off in 12345 999999 7340032 33554431; do
    "$lab" exec hosta -- qemu-io -f raw -c "write -P 0x5a $off 3333" "$(nbd)" >/dev/null 2>&1 || ok=0
done
share_sha 1 >/dev/null
for off in 12345 999999 7340032 33554431; do
    got=$(dd if="$work/get.raw" bs=1 skip="$off" count=3333 2>/dev/null)
    [ "${#got}" = 3333 ] && [ -z "${got//Z/}" ] || ok=0
done
tap_check "writes at unaligned random offsets land where they should" test $ok = 1

# past 4 GiB: grow the file (sparse on the server), then write and read there
cleanup; pids=()
smbio hosta active "$url" write:5368709120:end-of-disk >/dev/null
export_ok "hosta's export restarts on the 5 GiB disk" hosta active
"$lab" exec hosta -- qemu-io -f raw -c "write -P 0x77 4831838208 64k" -c "read -P 0x77 4831838208 64k" "$(nbd)" >"$work/big.out" 2>&1
tap_grep "a write and read at 4.5 GiB through the export" "read 65536/65536 bytes at offset 4831838208" "$work/big.out"

export_ok "hostb's export starts standby beside it" hostb standby
out=$(disk hostb promote); rc=$?
tap_diag "hostb promote while hosta is active: $out"
tap_check "vsmigrate-disk promote on hostb is refused (exit 1)" test $rc = 1
has "... because hosta holds the writer handle" "$out" "another client holds the writer handle"
before=$(share_sha 4096)
"$lab" exec hostb -- qemu-io -f raw -c 'write -P 0xee 0 4k' "$(nbd)" >"$work/standby-write.out" 2>&1
tap_check "a write to hostb's standby export fails" grep -q 'write failed' "$work/standby-write.out"
tap_check "... and nothing was written" test "$(share_sha 4096)" = "$before"
tap_check "vsmigrate-disk release on hosta (exit 0)" disk hosta release
tap_grep "hosta's status says standby" '"mode":"standby"' <(disk hosta status --json)
tap_check "vsmigrate-disk promote on hostb now succeeds" disk hostb promote
"$lab" exec hostb -- qemu-io -f raw -c 'write -P 0xee 0 4k' "$(nbd)" >/dev/null 2>&1
tap_check "hostb writes through its export" test "$(share_sha 4096)" = "$(head -c 4096 /dev/zero | tr '\0' '\356' | sha256sum | cut -d' ' -f1)"
out=$(disk hosta promote); rc=$?
tap_check "now hosta's promote is refused (exit 1)" test $rc = 1

# a release racing a promote, 10 times: never two writers; the loser can retry
mode_of() { disk "$1" status --json 2>/dev/null | jq -r .mode; }
both=0 stuck=0
disk hostb release >/dev/null 2>&1
for i in $(seq 1 10); do
    disk hosta promote >/dev/null 2>&1 || { stuck=$((stuck + 1)); continue; }
    disk hosta release >/dev/null 2>&1 & r1=$!
    disk hostb promote >/dev/null 2>&1 & r2=$!
    wait "$r1" "$r2"   # not a bare wait: the exports are this shell's children too
    a=$(mode_of hosta); b=$(mode_of hostb)
    [ "$a" = active ] && [ "$b" = active ] && both=$((both + 1))
    if [ "$b" != active ] && ! disk hostb promote >/dev/null 2>&1; then stuck=$((stuck + 1)); fi
    disk hostb release >/dev/null 2>&1
done
tap_check "release racing promote, 10 rounds: never two active exports" test "$both" = 0
tap_check "... and after each race hostb could take the writer handle" test "$stuck" = 0
disk hostb promote >/dev/null 2>&1

# kill -9 of the active export: how soon can another host take over?
# (no PID namespaces here: pgrep would see hosta's export too; nbdkit's pidfile does not)
hostb_pid=$(cat "$("$lab" path hostb dir)$sock.pid")
kill -9 "$hostb_pid"
start=$(date +%s%3N)
took=""
for _ in $(seq 1 300); do
    if disk hosta promote >/dev/null 2>&1; then took=$(( $(date +%s%3N) - start )); break; fi
    sleep 0.1
done
tap_diag "after kill -9 of hostb's export, hosta's promote succeeded after ${took:-never} ms"
tap_check "after kill -9 of the active export, another host promotes within 30 s (${took:-never} ms)" test -n "$took"
echo "$took" >"$state_dir/kill9-promote-ms"

out=$(disk ws status 2>&1); rc=$?
tap_check "vsmigrate-disk against no export: exit 3" test $rc = 3
has "... and it names the socket it tried" "$out" "cannot reach the disk export at $ctl"
rm -f "$("$lab" path hosta dir)/run/vsmigrate/disks/bad.sock"
timeout 30 "$lab" exec hosta -- nbdkit --foreground --unix /run/vsmigrate/disks/bad.sock "$plugin" url=smb://fs.lab.test/vms/$vm/missing.raw ccache="$(machine_ccache hosta)" >"$work/bad.out" 2>&1
tap_check "an export of a missing file stops at start" test $? != 0
tap_grep "... saying the file does not exist on the share" "does not exist on the share" "$work/bad.out"
timeout 30 "$lab" exec hosta -- nbdkit --foreground --unix /run/vsmigrate/disks/bad.sock "$plugin" url=smb://fs.lab.test ccache="$(machine_ccache hosta)" >"$work/bad2.out" 2>&1
tap_check "an export of a bad URL stops at start, saying so" grep -q 'names no share' "$work/bad2.out"
timeout 30 "$lab" exec hosta -- nbdkit --foreground --unix /run/vsmigrate/disks/bad.sock "$plugin" url="$url" ccache="$(machine_ccache hosta)" mode=writer >"$work/bad3.out" 2>&1
tap_check "a bad mode stops at start, saying so" grep -q 'mode must be standby or active' "$work/bad3.out"

timeout 30 "$lab" exec hosta -- nbdkit --foreground --unix /run/vsmigrate/disks/bad.sock "$plugin" url="$url" ccache="$(machine_ccache hosta)" flush=sometimes >"$work/bad4.out" 2>&1
tap_check "a bad flush policy stops at start, saying so" grep -q 'flush must be write-through or server' "$work/bad4.out"
timeout 30 "$lab" exec hosta -- nbdkit --foreground --unix /run/vsmigrate/disks/bad.sock "$plugin" url="$url" ccache="$(machine_ccache hosta)" io=async >"$work/bad5.out" 2>&1
tap_check "a bad io= stops at start, saying so" grep -q 'io must be auto, pipelined or serial' "$work/bad5.out"

# flush=server: the admin vouches for "sync always"; a flush then sends nothing
cleanup; pids=()
"$lab" exec fs -- smbcontrol smbd profile count >/dev/null 2>&1
dir=$("$lab" path hosta dir); rm -f "$dir$sock" "$dir$ctl"
"$lab" exec hosta -- nbdkit --foreground --unix "$sock" "$plugin" url="$url" ccache="$(machine_ccache hosta)" \
    mode=active flush=server control="$ctl" >"$work/nbdkit-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$dir$ctl" ] && break; sleep 0.1; done
f0=$(fsync_count)
"$lab" exec hosta -- qemu-io -f raw -c 'write -P 0x11 0 4k' -c flush "$(nbd)" >"$work/server-flush.out" 2>&1
tap_check "with flush=server a write and a flush succeed" bash -c "! grep -q failed '$work/server-flush.out'"
tap_check "... and the flush sent nothing to the server (no fsync)" test "$(fsync_count)" = "$f0"
flushes=$(disk hosta status --json | jq -r .flushes)
tap_check "... and the export counted the flushes (qemu-io's and its flush at close: $flushes)" test "${flushes:-0}" -ge 1

cleanup; pids=()
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "deltree $vm" >/dev/null 2>&1
rm -rf "$work"
tap_done
