#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The smbio export's read-ahead: reads in order are answered ahead of time,
# and never with data older than a write. A write of our own started after
# the read-ahead was sent, and a release (after which another host may
# write), both discard it.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/smbio-common.sh"
smbio_disk_on_share 64M
ra=$top/tests/tools/nbd-readahead.py
nbdio=$top/tests/tools/nbd-io.py
block=$((256 * 1024))
hits() { json_get "$(status_of hosta)" .readahead_hits; }

export_ok "hosta's export starts active" hosta active
tap_check "the disk is filled with random data through the export" \
    "$lab" exec hosta -- bash -c "head -c $((block * 16)) /dev/urandom > /run/ra.src && nbdcopy /run/ra.src '$(nbd)'"
before=$(hits)
got=$("$lab" exec hosta -- /usr/bin/python3 "$ra" "$(nbd)" scan $block 16)
# what the file server holds, read by smbclient, is the reference
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "get $vm/disk0.raw $work/ra.raw" >/dev/null 2>&1
want=$(head -c $((block * 16)) "$work/ra.raw" | sha256sum | cut -d' ' -f1)
tap_check "16 reads in order return what the file server holds" test "$got" = "$want"
after=$(hits)
tap_diag "read-ahead hits: $before -> $after"
tap_check "... and most of them were answered from the read-ahead" test $((after - before)) -ge 12

out=$("$lab" exec hosta -- /usr/bin/python3 "$ra" "$(nbd)" write-gap $block)
tap_check "a write to the block read ahead is seen by the next read of it" test "$out" = fresh

# hosta reads ahead block 2, then hands the disk to hostb, which writes it;
# when hosta has it back, its next read must be hostb's data
export_ok "hostb's export starts standby" hostb standby
flag=$work/ra-flag
rm -f "$flag"
"$lab" exec hosta -- /usr/bin/python3 "$ra" "$(nbd)" wait-gap $block "$flag" >"$work/ra-gap.out" 2>&1 &
gap=$!
sleep 1
tap_check "hosta releases" disk hosta release
tap_check "hostb promotes" disk hostb promote
tap_check "hostb writes the block hosta read ahead" \
    "$lab" exec hostb -- /usr/bin/python3 "$nbdio" "$(nbd)" write $((2 * block)) "written-by-hostb"
tap_check "hostb releases" disk hostb release
tap_check "hosta promotes again" disk hosta promote
before=$(hits)
touch "$flag"
wait $gap
tap_check "hosta's next read of that block is hostb's data, not what it read ahead" \
    test "$(cat "$work/ra-gap.out")" = "written-by-hostb"
tap_check "... and was not answered from the read-ahead" test "$(hits)" = "$before"

out=$(status_of hosta)
tap_check "the export counted no errors" test "$(json_get "$out" .errors)" = 0
export_stop hostb
export_stop hosta
tap_done
