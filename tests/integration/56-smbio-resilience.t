#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The smbio export when the SMB session goes away: the session's ticket
# expires, the file server restarts, the network drops for a moment, the
# server stays away longer than reconnect-timeout, and another host takes the
# writer handle while ours is cut off. Also keytab= credentials: a private
# 0700 ccache, renewed before it runs out, deleted when the export stops.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/smbio-common.sh"
smbio_disk_on_share 64M
[ -x "$smbioprobe" ] || tap_bail "$smbioprobe is not built"
fsdir=$("$lab" path fs dir)
now() { date +%s; }

# every smbd on fs, the children serving open connections too
smbd_stop() {
    local p
    for p in $(ip netns pids "$("$lab" path fs ns)"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = smbd ] && kill -9 "$p" 2>/dev/null
    done
    for _ in $(seq 1 50); do
    "$lab" exec hosta -- bash -c 'exec 3<>/dev/tcp/fs.lab.test/445' 2>/dev/null || return 0; sleep 0.1; done; }
smbd_start() { "$lab" up >/dev/null 2>&1; }
# write_at HOST OFFSET TEXT: one NBD write through HOST's export
nbdio=(/usr/bin/python3 "$top/tests/tools/nbd-io.py")
write_at() { timeout 120 "$lab" exec "$1" -- "${nbdio[@]}" "$(nbd)" write "$2" "$3" "${@:4}" 2>&1; }
read_at() { timeout 120 "$lab" exec "$1" -- "${nbdio[@]}" "$(nbd)" read "$2" "$3" 2>&1; }

# --- a session whose ticket expires (in the background: it takes 45 s) ------
# A ccache whose cifs/ ticket lasts 40 s: the file server ends the session
# then, and libsmbclient fails every call with EINVAL from that moment on.
cc=$("$lab" path hostb dir)/short-cifs.cc
"$lab" exec hostb -- kinit -k -t "$("$lab" path hostb keytab)" -c "FILE:$cc" 'hostb$@LAB.TEST' >/dev/null
"$lab" exec hostb -- env KRB5CCNAME="FILE:$cc" /usr/bin/python3 -c "
import gssapi
gssapi.SecurityContext(name=gssapi.Name('cifs@fs.lab.test', gssapi.NameType.hostbased_service),
                       usage='initiate', lifetime=40).step()"
expiry_url=smb://fs.lab.test/vms/$vm/expiry.raw
"$lab" exec ws -- bash -c "truncate -s 1M /run/x.raw && smbclient --use-kerberos=required //fs.lab.test/vms \
    -c 'put /run/x.raw $vm/expiry.raw'" >/dev/null 2>&1
timeout 120 "$lab" exec hostb -- env SMBIO_RECONNECT_MS=20000 "$smbioprobe" "FILE:$cc" "$expiry_url" active \
    write:0:before sleep:45000 read:0:6 write:8:after read:8:5 counters >"$work/expiry.out" 2>&1 &
expiry_pid=$!

# --- keytab= credentials, renewed --------------------------------------------
# private ccache directories go to /run/vsmigrate when it exists (hosta's is
# $dir/run/vsmigrate seen from here), else /tmp
ccdirs() { ls -d "$("$lab" path hosta dir)"/run/vsmigrate/smbio-* /tmp/smbio-* 2>/dev/null | sort; }
ccdirs >"$work/ccdirs-before"
t0=$(now)
export_ok "hosta's export starts active with keytab= and principal= (tickets of 6 min)" hosta active \
    keytab="$("$lab" path hosta keytab)" principal='hosta$@LAB.TEST' ticket-lifetime=6m
ccdir=$(comm -13 "$work/ccdirs-before" <(ccdirs) | head -n 1)
tap_diag "the export's ccache directory: $ccdir"
tap_check "its tickets are in a new private directory" test -n "$ccdir" -a -f "$ccdir/ccache"
tap_check "... of mode 0700, the ccache 0600" test "$(stat -c %a "$ccdir")/$(stat -c %a "$ccdir/ccache")" = 700/600
st=$(status_of hosta)
exp0=$(json_get "$st" .ticket_expires)
tap_check "status gives the tickets' expiry, about 6 min ahead" test "$exp0" -gt $((t0 + 300)) -a "$exp0" -le $((t0 + 420))
tap_check "... and no renewal yet" test "$(json_get "$st" .ticket_renewals)" = 0
tap_check "a write through it succeeds" test "$(write_at hosta 4096 keytab-write; echo $?)" = 0
# with 6 min tickets the renewal is due once under 5.5 min are left: after 30 s
for _ in $(seq 1 90); do
    st=$(status_of hosta) || break
    [ "$(json_get "$st" .ticket_renewals)" -ge 1 ] && break; sleep 1
done
tap_check "the export renewed its tickets from the keytab (after $(( $(now) - t0 )) s)" test "$(json_get "$st" .ticket_renewals)" -ge 1
tap_check "... and they now expire later" test "$(json_get "$st" .ticket_expires)" -gt "$exp0"

# (the expiry probe must be done before the file server goes away)
# --- the expired session (started at the top) --------------------------------
wait "$expiry_pid"
r=$(cat "$work/expiry.out")
tap_diag "$r"
step() { printf '%s\n' "$r" | jq -c "select(.op == \"$1\")" | tail -n 1; }
tap_check "after the session's ticket expired, a read reconnects and succeeds" test "$(step read:0:6 | jq -r .data)" = before
tap_check "... and so does a write" test "$(step read:8:5 | jq -r .data)" = after
tap_check "... through one reconnect at least, still active" \
    test "$(step counters | jq -r '.reconnects >= 1')/$(step write:8:after | jq -r .mode)" = true/active

# --- the file server restarts ------------------------------------------------
smbd_stop
tap_check "(smbd on fs is stopped: port 445 is closed)" test $? -eq 0
( sleep 2; smbd_start ) &
restarter=$!
t=$(date +%s%N)
r=$(write_at hosta 8192 during-restart; echo "rc=$?")
ms=$(( ($(date +%s%N) - t) / 1000000 ))
wait "$restarter"
tap_diag "a write while smbd was down for 2 s took $ms ms: $r"
tap_check "a write while smbd restarts waits for it and succeeds" test "${r##*rc=}" = 0
st=$(status_of hosta)
tap_check "the export reconnected (status counts it)" test "$(json_get "$st" .reconnects)" -ge 1
tap_check "... kept its mode (active)" test "$(json_get "$st" .mode)" = active
tap_check "... with the renewed tickets (the reconnect used them)" test "$(json_get "$st" .ticket_renewals)" -ge 1
tap_check "the write landed (read back through the export)" test "$(read_at hosta 8192 14)" = during-restart
r=$("$lab" exec hostb -- "$smbioprobe" "$(machine_ccache hostb)" "$url" standby promote 2>/dev/null)
has "hosta re-took the writer handle: hostb's promote is refused" "$r" "another client holds the writer handle"

# --- the network drops for 3 s -----------------------------------------------
# the link goes down first; the write is issued during the cut
"$lab" exec hosta -- ip link set eth0 down
write_at hosta 12288 across-the-cut >"$work/cut.out" 2>&1 &
cut_writer=$!
sleep 3
tap_check "during the cut the write waits (it has not failed)" kill -0 "$cut_writer"
"$lab" exec hosta -- ip link set eth0 up
wait "$cut_writer"; rc=$?
r="$(cat "$work/cut.out") rc=$rc"
tap_check "a write during a 3 s network cut succeeds once the link is back" test "${r##*rc=}" = 0
tap_check "... and landed" test "$(read_at hosta 12288 14)" = across-the-cut
tap_check "... and the export stayed active" test "$(json_get "$(status_of hosta)" .mode)" = active

# --- the server stays away longer than reconnect-timeout ---------------------
export_stop hosta
tap_check "stopping the export deletes its private ccache directory" test ! -e "$ccdir"
export_ok "hosta's export restarts with reconnect-timeout=3s" hosta active reconnect-timeout=3s
# the client is connected first, as QEMU would be; it writes after 2 s
write_at hosta 16384 too-late 2 >"$work/too-late.out" 2>&1 &
writer=$!
sleep 1
smbd_stop
t=$(date +%s%N)
wait "$writer"; rc=$?
ms=$(( ($(date +%s%N) - t) / 1000000 - 1000 ))
r="$(cat "$work/too-late.out") rc=$rc"
tap_diag "with smbd away, the write failed after $ms ms: $r"
tap_check "with smbd away for longer, the write fails (the client sees an I/O error)" test "${r##*rc=}" != 0
tap_check "... after about the 3 s timeout, not at once nor much later ($ms ms)" test "$ms" -ge 2500 -a "$ms" -lt 20000
tap_check "the export says why, and what to raise" grep -q "reconnecting failed for 3000 ms (raise reconnect-timeout=" "$work/nbdkit-hosta.log"
smbd_start
tap_check "once the server is back, the next write succeeds" test "$(write_at hosta 16384 back-again >/dev/null; echo $?)" = 0
tap_check "... still active" test "$(json_get "$(status_of hosta)" .mode)" = active

# --- another host takes the writer while ours is cut off ---------------------
hosta_ip=$("$lab" path hosta ip)
"$lab" exec hosta -- ip link set eth0 down
# the server frees hosta's handles when its connections end: end them
for p in $("$lab" exec fs -- smbstatus -b 2>/dev/null | awk -v ip="$hosta_ip" 'index($0, ip) {print $1}'); do kill "$p"; done
sleep 0.5
# hostb holds the writer handle for 15 s
"$lab" exec hostb -- "$smbioprobe" "$(machine_ccache hostb)" "$url" standby promote write:20480:hostb-owns-it \
    sleep:15000 >"$work/hostb-holds.out" 2>/dev/null &
holder=$!
for _ in $(seq 1 50); do grep -qs hostb-owns-it "$work/hostb-holds.out" && break; sleep 0.1; done
tap_check "while hosta is cut off, hostb takes the writer handle and writes" \
    test "$(jq -r 'select(.op=="write:20480:hostb-owns-it") | .ok' "$work/hostb-holds.out")" = true
"$lab" exec hosta -- ip link set eth0 up
r=$(write_at hosta 20480 hosta-too-late; echo "rc=$?")
tap_check "hosta's next write fails: it cannot re-take the writer" test "${r##*rc=}" != 0
st=$(status_of hosta)
tap_check "hosta's export is standby now, and counts the lost writer" \
    test "$(json_get "$st" .mode)/$(json_get "$st" .writer_lost)" = standby/1
tap_check "... and says so in its log" grep -q "another client took the writer handle" "$work/nbdkit-hosta.log"
tap_check "the disk holds hostb's write, not hosta's" test "$(read_at hosta 20480 13)" = hostb-owns-it
wait "$holder"
export_stop hosta

tap_done
