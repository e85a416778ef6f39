#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# smbio/ against the lab's Samba file server: a disk opened standby or active
# with a host's machine account, the server's share modes as the fence, the
# writer handle handed from one host to another, a flush that makes the
# server fsync, and clear errors for bad input.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
[ -x "$smbioprobe" ] || tap_bail "$smbioprobe is not built"

vm=smbio-$$
url=smb://fs.lab.test/vms/$vm/disk0.raw
"$lab" kinit ws admin
"$lab" exec ws -- bash -c "truncate -s 16M /run/disk0.raw && smbclient --use-kerberos=required //fs.lab.test/vms \
    -c 'mkdir $vm; put /run/disk0.raw $vm/disk0.raw'" >/dev/null 2>&1
tap_check "admin puts a 16 MiB disk on the share" test $? -eq 0
step() { printf '%s\n' "$1" | jq -c "select(.op == \"$2\")" | tail -n 1; }

r=$(smbio hosta active "$url" write:4096:written-by-hosta read:4096:16 size)
tap_diag "hosta: $r"
tap_check "hosta opens the disk active with its machine account" test "$(step "$r" open | jq -r .ok)" = true
tap_check "hosta writes and reads back through SMB3" test "$(step "$r" read:4096:16 | jq -r .data)" = written-by-hosta
tap_check "the size is the file's" test "$(step "$r" size | jq -r .size)" = 16777216

# hosta holds the writer handle for 4 s while hostb tries
smbio hosta active "$url" sleep:4000 release >"$state_dir/smbio-holder.out" &
holder=$!
sleep 1.5
r=$(smbio hostb standby "$url" read:4096:16 write:0:x promote)
tap_diag "hostb while hosta is active: $r"
tap_check "hostb opens it standby while hosta is active" test "$(step "$r" open | jq -r .ok)" = true
tap_check "standby reads what hosta wrote" test "$(step "$r" read:4096:16 | jq -r .data)" = written-by-hosta
tap_check "a standby write is refused, and nothing is written" json_has "$(step "$r" write:0:x)" .error "is in standby (read-only)"
tap_check "the file server refuses hostb's promote (the fence)" test "$(step "$r" promote | jq -r .code)" = busy
tap_check "... and the message says another client holds the writer handle" json_has "$(step "$r" promote)" .error "another client holds the writer handle"
wait $holder
tap_check "hosta releases (flush, close the writer)" test "$(jq -r 'select(.op=="release") | .ok' "$state_dir/smbio-holder.out")" = true
r=$(smbio hostb standby "$url" promote write:8192:hostb-now read:8192:9)
tap_check "after hosta's release, hostb's promote succeeds" test "$(step "$r" promote | jq -r .ok)" = true
tap_check "hostb writes as the new writer" test "$(step "$r" read:8192:9 | jq -r .data)" = hostb-now

"$lab" exec fs -- smbcontrol smbd profile count >/dev/null 2>&1
f0=$(fsync_count)
smbio hosta active "$url" write:12288:no-flush >/dev/null
f1=$(fsync_count)
r=$(smbio hosta active "$url" write:12288:flushed flush)
f2=$(fsync_count)
tap_diag "server fsyncs: $f0 -> $f1 (write) -> $f2 (write + flush)"
tap_check "a plain write does not make the server fsync" test "$f1" = "$f0"
tap_check "flush makes the server fsync the file" test "$(step "$r" flush | jq -r .ok) $((f2 - f1))" = "true 1"

r=$(smbio hostc active "$url")
tap_diag "hostc: $r"
tap_check "hostc (read-only on the share) may not open it read-write" json_has "$(step "$r" open)" .error "refused read-write access"
r=$(smbio hostc standby "$url" read:8192:9)
tap_check "hostc may open it standby and read" test "$(step "$r" read:8192:9 | jq -r .data)" = hostb-now

r=$(smbio hosta standby smb://fs.lab.test/vms/$vm/missing.raw)
tap_check "a missing file: 'does not exist on the share'" json_has "$(step "$r" open)" .error "does not exist on the share"
r=$(smbio hosta standby smb://fs.lab.test/vms)
tap_check "a URL without a file: 'names no share and file'" json_has "$(step "$r" open)" .error "names no share and file"
r=$(smbio hosta standby "smb://$("$lab" path hostc ip | sed 's/\.[0-9]*$/.250/')/vms/$vm/disk0.raw")
tap_check "an unreachable server: 'cannot reach the file server'" json_has "$(step "$r" open)" .error "cannot reach the file server"
r=$(timeout 60 "$lab" exec hosta -- "$smbioprobe" FILE:/nonexistent/cc "$url" standby)
tap_check "an unusable ccache: 'not a readable FILE: ccache'" json_has "$(step "$r" open)" .error "not a readable FILE: ccache"

"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "deltree $vm" >/dev/null 2>&1
tap_done
