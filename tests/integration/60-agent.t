#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrated and vsmigrate against the lab: a check from the admin's
# workstation through two hops, each refusal with its reason and its audit
# record, the peer list, reload on SIGHUP, and the configuration check.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"
agents_up
vm=web01
"$lab" vm destroy "$vm" >/dev/null 2>&1
"$lab" vm start "$vm" --on hosta >"$state_dir/vm-$vm.log" 2>&1 || { sed "s/^/# /" "$state_dir/vm-$vm.log"; tap_bail "the test VM did not start on hosta"; }

# ---- the check, two hops ---------------------------------------------------------------
"$lab" kinit ws admin
r=$(vsm ws check "$vm" --from hosta --to hostb --json); rc=$?
tap_diag "to hostb: $(printf '%s' "$r" | jq -c '[.checks[] | "\(.name)=\(.pass)"]')"
tap_check "check $vm hosta -> hostb as admin: every check passes (exit 0)" test "$rc" -eq 0 -a "$(json_get "$r" .passed)" = true
for c in vm outgoing peer "share access" delegation incoming libvirt "network lan" cpu memory "disk vda" slot; do
    tap_check "... the report has '$c', passed" test "$(check_of "$r" "$c")" = pass
done
tap_check "... the share check ran as admin against the file server's ACL" json_has "$r" '.checks[] | select(.name=="share access") | .reason' "lets admin@LAB.TEST modify smb://fs.lab.test/vms/$vm"
tap_check "... hostb opened the disk with its own machine account" json_has "$r" '.checks[] | select(.name=="disk vda") | .reason' 'hostb$@LAB.TEST opens'
tap_check "hostb's audit log: admin, via hosta, check-destination, ok" \
    audit_has hostb '.user == "admin@LAB.TEST" and .via == "hosta.lab.test" and .action == "check-destination" and .result == "ok"'
tap_check "hosta's audit log: admin, check of $vm to hostb, ok, with a duration" \
    audit_has hosta '.user == "admin@LAB.TEST" and .action == "check" and .vm == "web01" and .to == "hostb" and .result == "ok" and (.duration_ms|type) == "number"'

r=$(vsm ws check "$vm" --from hosta --to hostc --json); rc=$?
tap_diag "to hostc: $(printf '%s' "$r" | jq -c '[.checks[] | "\(.name)=\(.pass)"]')"
tap_check "check toward hostc fails (exit 1)" test "$rc" -eq 1 -a "$(json_get "$r" .passed)" = false
tap_check "... on delegation: hosta\$ may not delegate to vsmigrate/hostc, with the fix" \
    bash -c "[ '$(check_of "$r" delegation)' = fail ] && printf '%s' \"\$1\" | grep -q 'hosta\$@LAB.TEST may not delegate to vsmigrate/hostc.lab.test@LAB.TEST: add vsmigrate/hostc.lab.test to its msDS-AllowedToDelegateTo'" _ "$(reason_of "$r" delegation)"
tap_check "... and in the same report: hostc has no network 'lan'" \
    bash -c "[ '$(check_of "$r" "network lan")' = fail ] && printf '%s' \"\$1\" | grep -q \"hostc.lab.test has no libvirt network 'lan'\"" _ "$(reason_of "$r" "network lan")"
tap_check "... while hostc's other checks ran (cpu passes)" test "$(check_of "$r" cpu)" = pass
out=$(vsm ws check "$vm" --from hosta --to hostc 2>&1)
tap_check "the human report has one line per check and a summary" json_has "$(jq -n --arg o "$out" '$o')" . "$vm: 2 of 15 checks failed: delegation, network lan"

# ---- refusals -----------------------------------------------------------------------------
"$lab" kinit ws mallory
out=$(vsm ws status --host hosta 2>&1); rc=$?
tap_diag "mallory: $out"
tap_check "mallory is refused at hop 1 (exit 4)" test "$rc" -eq 4
tap_check "... and the message names the missing group" json_has "$(jq -n --arg o "$out" '$o')" . "in none of the allowed groups ('LAB\\VM Migration Admins')"
tap_check "... in hosta's audit log, as denied" audit_has hosta '.user == "mallory@LAB.TEST" and .action == "connect" and .result == "denied" and (.message | contains("VM Migration Admins"))'
r=$(vsm ws list --host hostb --json 2>/dev/null); rc=$?
tap_check "mallory is refused by hostb too, with --json on stdout" test "$rc" -eq 4 -a "$(json_get "$r" .code)" = denied

"$lab" kinit ws sensitive
r=$(vsm ws check "$vm" --from hosta --to hostb --json); rc=$?
tap_diag "sensitive: $(reason_of "$r" delegation)"
tap_check "sensitive passes hop 1 but not hop 2 (exit 1, delegation fails)" test "$rc" -eq 1 -a "$(check_of "$r" delegation)" = fail
tap_check "... the message says the account cannot be delegated" json_has "$r" '.checks[] | select(.name=="delegation") | .reason' "sensitive@LAB.TEST is marked 'sensitive and cannot be delegated'"
tap_check "... in hosta's audit log (hosta refused to act for it), with the reason" audit_has hosta '.user == "sensitive@LAB.TEST" and .action == "check" and .result == "denied" and (.message | contains("cannot be delegated"))'

# ---- hostb's peer list, reloaded with SIGHUP -------------------------------------------------
"$lab" kinit ws admin
conf=$(agent_conf hostb)
hostb_pid=$(cat "$("$lab" path hostb dir)/pids/vsmigrated")
cp "$conf" "$conf.orig"
sed -i 's/^peers = .*/peers = hostc.lab.test/' "$conf"
"$lab" agent reload hostb
sleep 1
r=$(vsm ws check "$vm" --from hosta --to hostb --json); rc=$?
tap_diag "hosta not a peer of hostb: $(reason_of "$r" destination)"
tap_check "after reload, hostb refuses hosta (delegating correctly) as not one of its peers" \
    json_has "$r" '.checks[] | select(.name=="destination") | .reason' "hosta\$@LAB.TEST acted for admin@LAB.TEST, but it is not one of hostb.lab.test's peers"
tap_check "... the delegation itself worked" test "$(check_of "$r" delegation)" = pass
tap_check "... in hostb's audit log, as denied with hosta\$ as the delegating host" \
    audit_has hostb '.user == "admin@LAB.TEST" and .via == "hosta$@LAB.TEST" and .result == "denied"'
printf 'this is [not a config\n' >"$conf"
"$lab" agent reload hostb
sleep 1
tap_check "a broken file on reload: hostb keeps serving with the previous settings" vsm ws status --host hostb
tap_grep "... and says the previous configuration stays" "the previous one stays in force" "$("$lab" path hostb log)/vsmigrated.log"
cp "$conf.orig" "$conf"
"$lab" agent reload hostb
sleep 1
r=$(vsm ws check "$vm" --from hosta --to hostb --json)
tap_check "with hosta back in the list and reloaded, the check passes again" test "$(json_get "$r" .passed)" = true
tap_check "the daemon on hostb is the same process throughout (reload, not restart)" \
    bash -c "[ '$(cat "$("$lab" path hostb dir)/pids/vsmigrated")' = '$hostb_pid' ] && kill -0 $hostb_pid"

# ---- per-VM authorisation: the file server's ACL decides ----------------------------------------------
# mallory allowed by name on hosta and hostb, but without any right on the
# share: the check says the file server does not let mallory modify the VM.
for h in hosta hostb; do
    cp "$(agent_conf $h)" "$(agent_conf $h).orig"
    printf '[auth]\nallowed_users = mallory@LAB.TEST\n' >>"$(agent_conf $h)"
    "$lab" agent reload "$h"
done
sleep 1
"$lab" kinit ws mallory
r=$(vsm ws check "$vm" --from hosta --to hostb --json); rc=$?
tap_diag "mallory, allowed by name: $(reason_of "$r" "share access")"
tap_check "an admin the hosts allow but the share does not: 'share access' fails, as the file server said" \
    bash -c "[ $rc -eq 1 ] && [ '$(check_of "$r" "share access")' = fail ] && printf '%s' \"\$1\" | grep -q 'the file server does not let mallory@LAB.TEST modify smb://fs.lab.test/vms/$vm'" _ "$(reason_of "$r" "share access")"
tap_check "... in hosta's audit log with that reason" \
    audit_has hosta '.user == "mallory@LAB.TEST" and .action == "check" and (.message | contains("share access: the file server does not let"))'
for h in hosta hostb; do cp "$(agent_conf $h).orig" "$(agent_conf $h)"; "$lab" agent reload "$h"; done
sleep 1
"$lab" kinit ws admin

# ---- local socket, other commands ----------------------------------------------------------------
r=$(vsm hosta list --json)
tap_check "list on hosta over the unix socket (root): $vm running" test "$(json_get "$r" '.vms[] | select(.name=="web01") | .state')" = running
r=$(vsm ws status --host hosta --json)
tap_check "status --json: host, role, jobs" test "$(json_get "$r" '.host + " " + .role + " " + .jobs')" = "hosta.lab.test admin 0"
out=$(vsm ws cancel job-none --host hosta 2>&1); rc=$?
tap_check "cancel of an unknown job: exit 6, says how to list jobs" test "$rc" -eq 6 -a -n "$(printf '%s' "$out" | grep 'vsmigrate status --host')"
out=$(vsm ws check nosuchvm --from hosta --to hostb 2>&1); rc=$?
tap_check "check of a VM hosta does not have: exit 1, 'no VM'" test "$rc" -eq 1 -a -n "$(printf '%s' "$out" | grep "there is no VM 'nosuchvm'")"
out=$(vsm ws check "$vm" --from hostb --to hosta 2>&1); rc=$?
tap_check "check from hostb, where $vm does not run: 'there is no VM' from hostb" test -n "$(printf '%s' "$out" | grep "hostb.lab.test: there is no VM '$vm'")"
out=$(vsm ws status 2>&1); rc=$?
tap_check "no --host on ws (no local daemon): exit 5 with the fix" test "$rc" -eq 5 -a -n "$(printf '%s' "$out" | grep 'is vsmigrated running')"
out=$("$lab" exec ws -- kdestroy >/dev/null 2>&1; vsm ws status --host hosta 2>&1); rc=$?
tap_check "no ticket: exit 3, 'run kinit -f'" test "$rc" -eq 3 -a -n "$(printf '%s' "$out" | grep 'kinit -f')"
"$lab" kinit ws admin
out=$(vsm ws frobnicate 2>&1); rc=$?
tap_check "an unknown command: exit 2 and the list of commands" test "$rc" -eq 2 -a -n "$(printf '%s' "$out" | grep 'status, list, check, move, start, stop, cancel, networks, doctor')"

# ---- --check-config ---------------------------------------------------------------------------------
bad=$("$lab" path hosta dir)/vsmigrate/bad.conf
printf '[agent]\nlisten = 10.0.0.1:99999\nlog_level = loud\n[auth]\nmode = kerberos\nallowed_userz = x\n' >"$bad"
out=$("$lab" exec hosta -- "$daemon" --check-config -c "$bad" 2>&1); rc=$?
tap_diag "$out"
tap_check "--check-config on a bad file: exit 2, every problem with its line" \
    bash -c "[ $rc -eq 2 ] && printf '%s' \"\$1\" | grep -q 'bad.conf:3: log_level' && printf '%s' \"\$1\" | grep -q \"bad.conf:6: unknown key 'allowed_userz'\"" _ "$out"
printf '[agent]\nlisten = 10.0.0.1:99999\n' >"$bad"
out=$("$lab" exec hosta -- "$daemon" --check-config -c "$bad" 2>&1); rc=$?
tap_check "--check-config: a listen address with a bad port, with its line" \
    bash -c "[ $rc -eq 2 ] && printf '%s' \"\$1\" | grep -q 'bad.conf:2: listen: .10.0.0.1:99999.: the port must be a number from 1 to 65535'" _ "$out"
out=$("$lab" exec hosta -- "$daemon" --check-config -c "$(agent_conf hosta)" 2>&1); rc=$?
tap_check "--check-config on the lab's file: exit 0 (keytab, SPN and groups checked)" \
    bash -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q 'good: kerberos as vsmigrate/hosta.lab.test@LAB.TEST'" _ "$out"
sed 's/^keytab = .*/keytab = \/nonexistent.keytab/' "$(agent_conf hosta)" >"$bad"
out=$("$lab" exec hosta -- "$daemon" --check-config -c "$bad" 2>&1); rc=$?
tap_check "--check-config with a missing keytab names it" bash -c "[ $rc -ne 0 ] && printf '%s' \"\$1\" | grep -q '/nonexistent.keytab'" _ "$out"

"$lab" vm destroy "$vm" >/dev/null 2>&1
tap_done
