#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrated against a hostile peer host and an admin with rights on one VM:
# the findings of issue 16, each a case that failed on the code before the
# fix (docs/security.md has the table). hostc attacks as itself, with its own
# machine ticket, as a compromised host would; the admin attacks through a
# VM definition.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"
abuse=$top/tests/tools/agent-abuse.py
work=$state_dir/hostile-$$
mkdir -p "$work"
vm=web01
ns_uri=https://vsmigrate.org/xmlns/vm/1

agents_up
"$lab" vm destroy "$vm" >/dev/null 2>&1
"$lab" vm start "$vm" --on hosta >"$work/vm.log" 2>&1 || { sed 's/^/# /' "$work/vm.log"; tap_bail "the test VM did not start on hosta"; }
"$lab" kinit ws admin
"$lab" exec hosta -- virsh dumpxml "$vm" >"$work/web01.xml"
url=$(sed -n "s/.*<vsm:disk target='vda' url='\([^']*\)'.*/\1/p; s/.*<vsm:disk target=\"vda\" url=\"\([^\"]*\)\".*/\1/p" "$work/web01.xml" | head -1)
[ -n "$url" ] || tap_bail "no smb:// place for vda in web01's definition"
tap_diag "web01's disk: $url"

# hostc as itself: its machine account's TGT, in a private ccache
cc=$work/hostc.cc
"$lab" exec hostc -- kinit -k -t "$("$lab" path hostc keytab)" -c "FILE:$cc" 'hostc$@LAB.TEST' ||
    tap_bail "no TGT for hostc's machine account"
# as_hostc HOST ACTION FIELD=VALUE...: one request to HOST's agent as hostc
as_hostc() {
    local host=$1; shift
    timeout 300 "$lab" exec hostc -- env KRB5CCNAME="FILE:$cc" /usr/bin/python3 "$abuse" request \
        "$host.lab.test" 6600 "vsmigrate/$host.lab.test@LAB.TEST" "$@" | tail -n 1
}
agent_pid() { cat "$("$lab" path "$1" dir)/pids/vsmigrated"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$(agent_pid "$1")/status"; }
# record_of JSON NAME: the check record NAME's text (or empty)
record_of() { jq -r --arg n "$2" '.records[] | select(.name == $n) | .text' <<<"$1"; }
pass_of() { jq -r --arg n "$2" '.records[] | select(.name == $n) | .pass' <<<"$1"; }
# a definition of web01 whose vda is at PLACE
definition_at() { sed "s|$url|$1|" "$work/web01.xml" >"$work/def-$2.xml"; echo "$work/def-$2.xml"; }

# ---- 1. entity expansion ------------------------------------------------------------
python3 - "$work/entities.xml" <<'PY'
import sys
b = "A" * 1000
c = "&b;" * 100                     # 100 KB each
body = "".join("<description>&c;</description>" for _ in range(5000))   # 500 MB expanded
open(sys.argv[1], "w").write('<!DOCTYPE domain [<!ENTITY b "%s"><!ENTITY c "%s">]>\n'
    '<domain type="qemu"><name>web01</name><memory unit="MiB">256</memory>%s</domain>\n' % (b, c, body))
PY
before=$(hwm_kb hostb)
r=$(as_hostc hostb check-destination vm=web01 from=hostc.lab.test to=hostb.lab.test domain-xml=@"$work/entities.xml")
after=$(hwm_kb hostb)
tap_diag "$(jq -c '{result, message, elapsed_s}' <<<"$r") peak RSS $before -> $after kB"
tap_check "1. a definition with internal entities, from a peer: refused at once, naming the DTD" \
    jq -e '.result != 0 and (.message | contains("DTD")) and .elapsed_s < 5' <<<"$r"
tap_check "1. the agent's memory did not grow with the entities (peak $after kB < 150 MB)" test "$after" -lt 153600
tap_check "1. the agent still serves" vsm ws status --host hostb

# ---- 2. a disk outside the VM's folder -------------------------------------------------
# the admin, through the definition: web01's vda now names db01's disk
"$lab" exec hosta -- virsh metadata "$vm" "$ns_uri" --key vsm --live \
    --set "<vm><disk target='vda' url='smb://fs.lab.test/vms/db01/db01.raw'/></vm>" >/dev/null
out=$(vsm ws check "$vm" --from hosta --to hostb --json); rc=$?
tap_diag "$(printf '%s' "$out" | jq -c '[.checks[] | select(.pass | not) | {name, reason}]')"
tap_check "2. a disk in another VM's folder: check fails on placement, naming the disk and the rule" \
    test "$rc" -eq 1 -a "$(check_of "$out" placement)" = fail -a \
    -n "$(reason_of "$out" placement | grep "disk vda of web01 is at smb://fs.lab.test/vms/db01/db01.raw, outside the VM's own folder")"
tap_check "2. ... and neither host opened it (no 'disk vda' line, no 'opens')" \
    test -z "$(printf '%s' "$out" | jq -r '.checks[] | select(.name == "disk vda" or (.reason | contains("opens"))) | .name')"
"$lab" exec hosta -- virsh metadata "$vm" "$ns_uri" --key vsm --live \
    --set "<vm><disk target='vda' url='$url'/></vm>" >/dev/null
tap_check "2. web01's own definition checks again" vsm ws check "$vm" --from hosta --to hostb
# a peer, with a definition that points into the DC's sysvol
r=$(as_hostc hostb check-destination vm=web01 from=hostc.lab.test to=hostb.lab.test \
    domain-xml=@"$(definition_at smb://dc.lab.test/sysvol/lab.test/Policies/x sysvol)")
tap_diag "$(jq -c '[.records[] | select(.pass == 0) | {name, text}]' <<<"$r")"
tap_check "2. a peer's definition naming the DC's sysvol: placement refused, nothing opened" \
    bash -c '[ "$(jq -r "[.records[] | select(.name == \"destination placement\")][0].pass" <<<"$1")" = 0 ] &&
             ! jq -e ".records[] | select(.name == \"disk vda\")" <<<"$1" >/dev/null' _ "$r"
# a definition under another VM's name than the request's
r=$(as_hostc hostb check-destination vm=db01 from=hostc.lab.test to=hostb.lab.test domain-xml=@"$work/web01.xml")
tap_check "2. a definition sent under another VM's name is refused" \
    bash -c 'jq -r ".records[] | select(.name == \"destination placement\") | .text" <<<"$1" | grep -q "names the VM .web01."' _ "$r"

# ---- 3. a server and port the attacker picks ------------------------------------------
# silent_listener SECONDS FILE: on ws:4445, accept and never answer; FILE gets the count
silent_listener() {
    "$lab" exec ws -- /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 4445)); s.listen(64); s.settimeout(1); n = 0; end = time.time() + float(sys.argv[1])
held = []
while time.time() < end:
    try:
        c, _ = s.accept(); held.append(c); n += 1
    except socket.timeout:
        pass
open(sys.argv[2], "w").write(str(n))' "$1" "$2" &
    listener=$!
    sleep 1
}
silent_listener 15 "$work/accepts"
r=$(as_hostc hostb check-destination vm=web01 from=hostc.lab.test to=hostb.lab.test \
    domain-xml=@"$(definition_at smb://ws.lab.test:4445/vms/web01/web01.raw port)")
wait "$listener"
tap_diag "$(jq -c '{elapsed_s, placement: [.records[] | select(.name == "destination placement") | .text]}' <<<"$r") accepts: $(cat "$work/accepts")"
tap_check "3. a disk on a listener that never answers: refused within 5 s, naming the port" \
    bash -c 'jq -e ".elapsed_s < 5" <<<"$1" >/dev/null && jq -r ".records[] | select(.name == \"destination placement\") | .text" <<<"$1" | grep -q "port 4445"' _ "$r"
tap_check "3. ... and hostb never connected to it" test "$(cat "$work/accepts")" = 0

# ---- 4. the outgoing peer list --------------------------------------------------------
conf=$(agent_conf hosta)
sed -i 's/^peers = .*/peers = hostb.lab.test/' "$conf"
# reload_and_wait HOST PATTERN: SIGHUP, then wait for a new log line with PATTERN
reload_and_wait() {
    local n; n=$(grep -c "$2" "$(agent_log "$1")")
    "$lab" agent reload "$1"
    for _ in $(seq 1 100); do [ "$(grep -c "$2" "$(agent_log "$1")")" -gt "$n" ] && return 0; sleep 0.1; done
    tap_diag "no '$2' in $1's log after a reload"
}
reload_and_wait hosta 'reloaded'
n_before=$(wc -l <"$(audit_log hostc)")
out=$(vsm ws check "$vm" --from hosta --to hostc --json)
tap_diag "$(reason_of "$out" peer)"
tap_check "4. toward a host that is not a peer: the check says so ..." \
    bash -c 'printf "%s" "$1" | grep -q "is not one of hosta.lab.test.s peers, so hosta.lab.test did not contact it"' _ "$(reason_of "$out" peer)"
tap_check "4. ... and hostc heard nothing from hosta (its audit log did not grow)" \
    test "$(wc -l <"$(audit_log hostc)")" -eq "$n_before"

# ---- 5. a reload whose LDAP lookup stalls ----------------------------------------------
"$lab" exec ws -- /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 3899)); s.listen(8); held = []; end = time.time() + 25
s.settimeout(1)
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass' &
stall=$!
sleep 1
printf 'ldap_uri = ldap://ws.lab.test:3899\n' >"$work/ldap"
sed -i "/^\[auth\]/r $work/ldap" "$conf"
"$lab" agent reload hosta
sleep 1
t0=$(date +%s%N); vsm ws status --host hosta >/dev/null; tcp_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
t0=$(date +%s%N); timeout 30 "$lab" exec hosta -- "$cli" status >/dev/null; unix_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tap_diag "status during a stalled reload: TCP $tcp_ms ms, unix socket $unix_ms ms"
tap_check "5. during a reload stalled on LDAP, status answers over TCP within 3 s" test "$tcp_ms" -lt 3000
tap_check "5. ... and over the unix socket within 3 s" test "$unix_ms" -lt 3000
kill "$stall" 2>/dev/null; wait "$stall" 2>/dev/null
"$lab" agent stop hosta; "$lab" agent defaults hosta; "$lab" agent start hosta

# ---- 6. concurrent checks, and the per-user limit ----------------------------------------
# one shell on ws runs the 15 at once (15 'lab exec' set-ups at once race in the lab tool)
timeout 300 "$lab" exec ws -- bash -c '
for i in $(seq 1 15); do
    ("$1" check "$2" --from hosta --to hostb --json >"$3/c$i.json" 2>"$3/c$i.err"; echo $? >"$3/c$i.rc") &
done
wait' _ "$cli" "$vm" "$work"
bad=0
for i in $(seq 1 15); do
    if [ "$(cat "$work/c$i.rc")" != 0 ]; then
        bad=$((bad + 1)); tap_diag "check $i: exit $(cat "$work/c$i.rc"): $(jq -c '[.checks[] | select(.pass | not)]' "$work/c$i.json" 2>/dev/null) $(cat "$work/c$i.err")"
    fi
done
tap_check "6. 15 checks of one VM at once: all pass (the probes do not collide)" test "$bad" -eq 0
"$lab" agent stop hosta
printf '[limits]\nmax_connections_per_user = 2\n' >>"$conf"
"$lab" agent start hosta
"$lab" exec ws -- /usr/bin/python3 "$abuse" hold hosta.lab.test 6600 vsmigrate/hosta.lab.test@LAB.TEST 2 20 >"$work/hold.out" 2>&1 &
holder=$!
for _ in $(seq 1 100); do grep -q '^held' "$work/hold.out" && break; sleep 0.1; done
out=$(vsm ws status --host hosta 2>&1); rc=$?
tap_diag "$out"
tap_check "6. over the per-user connection limit: exit 7 (busy), naming the setting" \
    bash -c '[ "$1" -eq 7 ] && printf "%s" "$2" | grep -q max_connections_per_user' _ "$rc" "$out"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
"$lab" agent stop hosta; "$lab" agent defaults hosta; "$lab" agent start hosta

# ---- 7. a flood of bad tokens ---------------------------------------------------------------
ws_ip=$("$lab" exec ws -- ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1)
n_before=$(wc -l <"$(audit_log hostb)")
r=$("$lab" exec ws -- /usr/bin/python3 "$abuse" bad-tokens hostb.lab.test 6600 2000 | tail -n 1)
sleep 1
tail -n +"$((n_before + 1))" "$(audit_log hostb)" | jq -c --arg ip "$ws_ip" 'select(.action == "connect" and (.address | startswith($ip + ":")))' >"$work/flood"
records=$(wc -l <"$work/flood")
left_out=$(jq -s 'map(.unrecorded // 0) | add // 0' "$work/flood")
tap_diag "$r; $records records, $left_out left out"
tap_check "7. 2000 bad tokens from one address: at most 45 audit records" test "$records" -gt 0 -a "$records" -le 45
tap_check "7. ... and the records say how many were left out (at least 1500)" test "$left_out" -ge 1500

# ---- 8. a killed disk tool's ticket ------------------------------------------------------
rundir=$work/hosta-run
mkdir -p "$rundir"
silent_listener 10 "$work/accepts8"
"$lab" exec hosta -- env RUNTIME_DIRECTORY="$rundir" "${VSM_BUILDDIR:-$top/_build/main}/smbio/vsmigrate-disk" probe \
    smb://ws.lab.test:4445/vms/web01/web01.raw --keytab "$("$lab" path hosta keytab)" \
    --principal 'hosta$@LAB.TEST' >/dev/null 2>&1 &
for _ in $(seq 1 100); do ls "$rundir" | grep -q . && break; sleep 0.05; done
left=$(ls "$rundir")
# the directory's name says whose it is: that process is the tool, hanging on ws:4445
tool=$(printf '%s' "$left" | sed -n 's/^smbio-\([0-9]*\)-.*/\1/p')
tap_diag "left by the tool: ${left:-nothing}, pid ${tool:-none}: $(tr '\0' ' ' <"/proc/${tool:-0}/cmdline" 2>/dev/null)"
tap_check "8. a disk tool's ccache directory is named with its pid (so it can be found after a kill)" \
    grep -q vsmigrate-disk "/proc/${tool:-0}/cmdline"
[ -n "$tool" ] && kill -9 "$tool"
sleep 0.5
kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null
tap_check "8. killed with -9, the tool left it behind" test -n "$(ls "$rundir")"
"$lab" agent stop hosta
sed -i "s|^\[agent\]|[agent]\nruntime_dir = $rundir|" "$conf"
"$lab" agent start hosta
tap_check "8. the agent removes it when it starts (no host TGT stays on disk)" test -z "$(ls "$rundir" | grep -v -x -e handoff.sock -e jobs)"
"$lab" agent stop hosta; "$lab" agent defaults hosta; "$lab" agent start hosta

# ---- 9. smaller findings -------------------------------------------------------------------
vsm ws status --host nosuch.lab.test >/dev/null 2>&1; rc=$?
tap_check "9a. an unknown host name: exit 5 (cannot reach), not 6 (no such VM)" test "$rc" -eq 5
rlo=$(printf '\xe2\x80\xae')
vsm ws check "web${rlo}10" --from hosta --to hostb >/dev/null 2>&1
last=$(tail -n 1 "$(audit_log hosta)")
tap_check "9b. a right-to-left override in a VM name reaches the audit log escaped (\\u202E), never raw" \
    bash -c 'printf "%s" "$1" | grep -qi "web\\\\u202e10" && ! printf "%s" "$1" | grep -q "$2"' _ "$last" "$rlo"
n_before=$(grep -c 'was not sent' "$(agent_log hosta)")
r=$("$lab" exec ws -- /usr/bin/python3 "$abuse" unread hosta.lab.test 6600 vsmigrate/hosta.lab.test@LAB.TEST 30000 15 | tail -n 1)
lines=$(( $(grep -c 'was not sent' "$(agent_log hosta)") - n_before ))
tap_diag "$r; 'was not sent' lines: $lines"
tap_check "9c. a client that never reads its replies: the connection ends after the first reply that cannot be sent" \
    bash -c 'jq -e ".closed_after_s != null" <<<"$1" >/dev/null && [ "$2" -le 1 ]' _ "$r" "$lines"
r=$(as_hostc hosta check-destination vm=web01 from=hostc.lab.test to=hosta.lab.test domain-xml=@"$work/web01.xml")
tap_diag "$(jq -c '.records[] | select(.name == "vm absent")' <<<"$r")"
tap_check "9d. a peer host asking as itself learns nothing of the VMs (web01 runs there)" \
    bash -c 'jq -r ".records[] | select(.name == \"vm absent\") | .text" <<<"$1" | grep -q "not told" &&
             ! jq -r ".records[].text" <<<"$1" | grep -q running' _ "$r"
old_log=$(audit_log hosta)
sed -i "s|^audit_log = .*|audit_log = /nonexistent/vsmigrate/audit.jsonl|" "$conf"
reload_and_wait hosta 'syslog only'
size=$(stat -c %s "$old_log")
vsm ws status --host hosta >/dev/null
tap_check "9e. a reload to an unwritable audit_log: records go to syslog only, as the log says (the old file does not grow)" \
    test "$(stat -c %s "$old_log")" -eq "$size"
"$lab" agent stop hosta; "$lab" agent defaults hosta; "$lab" agent start hosta

# ---- 10. vm-state: whether a VM runs here, told only to the host it came from -------------
r=$(as_hostc hosta vm-state vm=web01)
tap_diag "$(jq -c '{result, runs_here, message}' <<<"$r")"
tap_check "10a. a peer host asking as itself whether a VM runs here (it does, started here): not told" \
    jq -e '.result == 0 and .runs_here == 0 and (.message | contains("not told"))' <<<"$r"
moved=$(vsm ws move "$vm" --from hosta --to hostb 2>&1 | tail -n 1)
tap_diag "move: $moved"
cca=$work/hosta.cc
"$lab" exec hosta -- kinit -k -t "$("$lab" path hosta keytab)" -c "FILE:$cca" 'hosta$@LAB.TEST' ||
    tap_bail "no TGT for hosta's machine account"
r=$(timeout 300 "$lab" exec hosta -- env KRB5CCNAME="FILE:$cca" /usr/bin/python3 "$abuse" request \
    hostb.lab.test 6600 vsmigrate/hostb.lab.test@LAB.TEST vm-state vm=web01 | tail -n 1)
tap_diag "$(jq -c '{result, runs_here, message}' <<<"$r")"
tap_check "10b. after a move from hosta, hosta asking hostb: web01 runs there holding its writer" \
    jq -e '.result == 0 and .runs_here == 1' <<<"$r"
r=$(as_hostc hostb vm-state vm=web01)
tap_check "10c. hostc asking hostb the same: not told (the VM did not come from it)" \
    jq -e '.result == 0 and .runs_here == 0 and (.message | contains("not told"))' <<<"$r"
asked_by_both() {
    audit_has hostb '.action == "vm-state" and .vm == "web01" and (.via | test("^hosta"))' &&
        audit_has hostb '.action == "vm-state" and .vm == "web01" and (.via | test("^hostc"))'
}
tap_check "10d. in hostb's audit log: vm-state asked by hosta and by hostc" \
    asked_by_both
r=$(timeout 300 "$lab" exec ws -- /usr/bin/python3 "$abuse" request hostb.lab.test 6600 \
    vsmigrate/hostb.lab.test@LAB.TEST vm-state vm=web01 | tail -n 1)
tap_diag "the admin: $(jq -c '{result, message}' <<<"$r")"
tap_check "10e. an admin may not ask vm-state (a question between hosts only)" \
    jq -e '.result != 0' <<<"$r"
"$lab" exec hosta -- kdestroy -c "FILE:$cca" >/dev/null 2>&1

"$lab" vm destroy "$vm" >/dev/null 2>&1
rm -rf "$work"
tap_done
