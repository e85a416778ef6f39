#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# lab up: from nothing, in under 3 minutes; a second up is a no-op.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns

"$lab" down >/dev/null 2>&1
host_state >"$state_dir/host-state.before"

start=$(date +%s%3N)
if "$lab" up >"$state_dir/up.log" 2>&1; then tap_ok "lab up from nothing"; else
    tap_not_ok "lab up from nothing"; sed 's/^/# /' "$state_dir/up.log"; tap_done; fi
ms=$(( $(date +%s%3N) - start ))
tap_diag "lab up took $ms ms:" "$(cat "$state_dir/up.log")"
tap_check "lab up took under 180 s ($ms ms)" test "$ms" -lt 180000
for p in network files dc fs hosts; do
    tap_check "lab up printed the time of phase '$p'" grep -qE "lab $LAB_NAME: $p +[0-9]+\.[0-9]+ s" "$state_dir/up.log"
done

daemons() { cat "$("$lab" path dc dir)"/../*/pids/* 2>/dev/null | sort | tr '\n' ' '; }
before=$(daemons)
"$lab" up >"$state_dir/up2.log" 2>&1
rc=$?
tap_check "a second lab up succeeds" test $rc -eq 0
tap_grep "a second lab up says there is nothing to do" "nothing to do" "$state_dir/up2.log"
tap_check "a second lab up restarted no daemon (same PIDs: $before)" test "$(daemons)" = "$before"

"$lab" status >"$state_dir/status.log" 2>&1
tap_check "lab status: every daemon alive" test $? -eq 0
for d in "dc .*samba" "fs .*smbd" "fs .*winbindd" "hosta .*libvirtd" "hostb .*libvirtd" "hostc .*libvirtd"; do
    tap_check "lab status lists: $d" grep -qE "^  $d" "$state_dir/status.log"
done
for h in hosta hostb; do
    tap_check "$h has the libvirt network 'lan'" "$lab" exec "$h" -- virsh -q net-info lan
done
nets=$("$lab" exec hostc -- virsh -q net-list --all --name 2>&1)
tap_check "hostc's libvirt answers a network listing" test $? -eq 0
tap_check "hostc has no libvirt network 'lan' (it has: ${nets:-none})" bash -c "! grep -qx lan <<<'$nets'"
tap_check "hosta's keytab holds hosta\$ and vsmigrate/hosta.lab.test" bash -c \
    "klist -k '$("$lab" path hosta keytab)' | grep -q 'hosta\\\$@LAB.TEST' && klist -k '$("$lab" path hosta keytab)' | grep -q 'vsmigrate/hosta.lab.test@LAB.TEST'"
uuid_a=$("$lab" exec hosta -- virsh -q capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -n 1)
uuid_b=$("$lab" exec hostb -- virsh -q capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -n 1)
tap_check "libvirt reports distinct host UUIDs on hosta and hostb ($uuid_a, $uuid_b)" \
    test -n "$uuid_a" -a "$uuid_a" != "$uuid_b"

# A pid file left by a daemon that died names a stranger once the kernel
# reuses the number (the lab's nodes share one pid space): the lab must not
# signal it. The file is from an hour ago; the stranger started just now.
stranger_sleep() { exec -a lab-stale-pid-probe sleep 600; }
stranger_sleep & stranger=$!
stale=$("$lab" path hosta dir)/pids/export-stale-pid-probe
echo "$stranger" >"$stale" && touch -d '1 hour ago' "$stale"
"$lab" status >"$state_dir/status-stale.log" 2>&1
tap_grep "lab status calls a pid file whose number was given to another process dead" \
    "export-stale-pid-probe(dead)" "$state_dir/status-stale.log"
"$lab" vm destroy stale-pid-probe >"$state_dir/destroy-stale.log" 2>&1
# (not kill -0: a killed child of this shell stays a zombie until waited for)
runs() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = S ]; }
tap_check "lab vm destroy left the process that now has the stale pid alone" runs "$stranger"
tap_check "and removed the stale pid file" test ! -e "$stale"
kill "$stranger" 2>/dev/null; wait "$stranger" 2>/dev/null
tap_done
