#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrate move: the real test guest (writing its record sequence and
# dirtying memory) started from the share with `vsmigrate start`, moved
# hosta -> hostb from ws as the admin (two hops), then back. Every stream
# goes through the agents' tunnels; the writer hand-off runs inside libvirt's
# Finish through the lock plugin. After each move: the VM runs on exactly
# one host, the source keeps no domain, export or job directory, both audits
# say who and how long; a TCP echo to the guest from ws, every 10 ms, is
# never reset (its longest gap is reported). Then what must leave everything as it was: a move
# refused at its pre-flight (hostc), mallory, a take-over refused on the
# destination (a test hook: the rollback), a cancel during the memory copy,
# plain virsh migrate behind vsmigrate's back, and a tunnel asked for
# outside any job; the agent restarted under a running VM; a multifd move.
# The guest's sequence is verified at the end.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"
abuse=$top/tests/tools/agent-abuse.py

vm=mv-$$
url=smb://fs.lab.test/vms/$vm/$vm.raw
work=$state_dir/move-$$
mkdir -p "$work"
cleanup() {
    for h in hosta hostb hostc; do
        "$lab" exec "$h" -- virsh -q destroy "$vm" >/dev/null 2>&1
        "$lab" exec "$h" -- virsh -q undefine "$vm" >/dev/null 2>&1
        rm -f "$("$lab" path "$h" dir)/run/vsmigrate/test-hooks/fail-takeover"
    done
}
trap cleanup EXIT
agents_up
"$lab" kinit ws admin
"$lab" vm xml "$vm" --memory 128 --hook --disk-url "$url" >"$work/$vm.xml"
"$lab" exec ws -- bash -c "rm -f /run/e.raw && truncate -s 32M /run/e.raw && smbclient --use-kerberos=required \
    //fs.lab.test/vms -c 'mkdir $vm; put /run/e.raw $vm/$vm.raw; put $work/$vm.xml $vm/$vm.xml'" >/dev/null 2>&1 ||
    tap_bail "admin cannot put the VM on the share"

runs_on() { "$lab" exec "$1" -- virsh -q list --name | grep -qx "$vm"; }
defined_on() { "$lab" exec "$1" -- virsh -q list --all --name | grep -qx "$vm"; }
where() { local w=""; for h in hosta hostb hostc; do runs_on "$h" && w+="$h "; done; echo "${w% }"; }
ctl_of() { echo "$("$lab" path "$1" dir)/run/vsmigrate/disks/$vm-vda.ctl"; }
export_left() { ls "$("$lab" path "$1" dir)/run/vsmigrate/disks/" 2>/dev/null | grep -v '\.log$' | grep -q "^$vm-"; }
jobs_left() { [ -n "$(ls -A "$("$lab" path "$1" dir)/run/vsmigrate/jobs" 2>/dev/null)" ]; }
mode_of() { timeout 30 "$lab" exec "$1" -- "$VSM_BUILDDIR/smbio/vsmigrate-disk" status --control "/run/vsmigrate/disks/$vm-vda.ctl" --json 2>/dev/null | jq -r .mode; }
writes_of() { timeout 30 "$lab" exec "$1" -- "$VSM_BUILDDIR/smbio/vsmigrate-disk" status --control "/run/vsmigrate/disks/$vm-vda.ctl" --json 2>/dev/null | jq -r .writes; }
clean_after() {   # clean_after SOURCE DEST: what a finished move leaves
    tap_check "... the VM runs on $2 alone ($(where))" test "$(where)" = "$2"
    tap_check "... $2 holds its persistent definition, $1 none" \
        bash -c '"$1" exec "$3" -- virsh -q list --persistent --name | grep -qx "$4" && ! "$1" exec "$2" -- virsh -q list --all --name | grep -qx "$4"' _ "$lab" "$1" "$2" "$vm"
    tap_check "... $1 has no export of it left, and neither host a job directory" \
        bash -c '! export_left "$1" && ! jobs_left "$1" && ! jobs_left "$2"' _ "$1" "$2"
    tap_check "... $2's export is the writer, and the guest writes through it" \
        bash -c '[ "$(mode_of "$1")" = active ] && w0=$(writes_of "$1") && sleep 2 && [ "$(writes_of "$1")" -gt "$w0" ]' _ "$2"
}
# eventually CMD...: CMD succeeds within 10 s (libvirt ends a refused incoming
# domain, and the hook its export, as the source hears of the failure)
eventually() { for _ in $(seq 1 50); do "$@" && return 0; sleep 0.2; done; "$@"; }
export -f runs_on where export_left jobs_left mode_of writes_of eventually
export lab vm VSM_BUILDDIR work

out=$(vsm ws start "$vm" --on hosta 2>&1) || tap_bail "vsmigrate start failed: $out"
console=$("$lab" path hosta dir)/var/log/libvirt/qemu/$vm-console.log
for _ in $(seq 1 120); do grep -q 'vsm-workload: running' "$console" 2>/dev/null && break; sleep 0.5; done
grep -q 'vsm-workload: running' "$console" || tap_bail "the guest's workload did not start on hosta"

# the guest's TCP echo on the lan, from ws, every 10 ms through both moves
ip=$("$lab" vm ip "$vm")
stop=$work/echo.stop
rm -f "$stop"
for _ in $(seq 1 60); do "$lab" exec ws -- bash -c "exec 3<>/dev/tcp/$ip/7" 2>/dev/null && break; sleep 0.5; done
"$lab" exec ws -- /usr/bin/python3 "$top/tests/tools/echo-gap.py" "$ip" 7 "$stop" 600 >"$work/echo.json" 2>"$work/echo.err" &
echo_pid=$!
sleep 2

# ---- hosta -> hostb, from ws, as admin (two hops) -----------------------------------------
out=$(timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from hosta --to hostb --json 2>"$work/move1.err"); rc=$?
tap_diag "$(tail -n 1 <<<"$out")" "$(cat "$work/move1.err")"
final=$(tail -n 1 <<<"$out")
tap_check "move hosta -> hostb from ws as admin: exit 0" test "$rc" -eq 0
tap_check "... progress came as JSON events (memory copy, bytes, rate)" \
    bash -c 'grep "\"event\":\"progress\"" <<<"$1" | grep -q "\"phase\":\"memory copy\""' _ "$out"
tap_check "... the result says the downtime on host clocks and libvirt's, the hand-off, bytes and passes" \
    bash -c 'jq -e ".ok and .downtime_ms > 0 and .libvirt_downtime_ms > 0 and .handoff_ms >= 0 and .bytes > 0 and .iterations > 0 and .total_ms > 0" <<<"$1" >/dev/null' _ "$final"
clean_after hosta hostb
# share_definition: the definition on the share, as the admin reads it
share_definition() {
    rm -f "$work/share.xml"
    "$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "get $vm/$vm.xml $work/share.xml" >/dev/null 2>&1 &&
        cat "$work/share.xml"
}
# definition_current HOST: the share's copy is HOST's persistent definition (libvirt
# re-indents the metadata it carries in the migration cookie: whitespace aside)
definition_current() {
    diff -w -B <(share_definition) <("$lab" exec "$1" -- virsh dumpxml --inactive --security-info "$vm") >"$work/definition.diff" 2>&1
}
export -f share_definition definition_current
tap_check "... the definition on the share is hostb's persistent definition, and the result says it was saved"     bash -c 'definition_current hostb && jq -e ".definition_saved == true" <<<"$1" >/dev/null' _ "$final"
[ -s "$work/definition.diff" ] && sed 's/^/# /' "$work/definition.diff" | head -20
job=$(jq -r .job <<<"$final")
tap_check "hosta's audit: the move, by admin, ok, with its figures" \
    audit_has hosta ".action == \"move\" and .job == \"$job\" and .user == \"admin@LAB.TEST\" and .from == \"hosta\" and .to == \"hostb\" and .result == \"ok\" and .role == \"source\" and .downtime_ms > 0 and .bytes > 0 and .definition_saved == true"
tap_check "hostb's audit: the incoming move, by admin via hosta, ok" \
    audit_has hostb ".action == \"move-prepare\" and .job == \"$job\" and .user == \"admin@LAB.TEST\" and .via == \"hosta.lab.test\" and .result == \"ok\" and .role == \"destination\" and .handoff_ms >= 0"
tap_check "... and hostb's tunnels, opened by hosta as itself for that job" \
    audit_has hostb ".action == \"tunnel\" and .job == \"$job\" and .user == \"hosta\$@LAB.TEST\" and .result == \"ok\""

# ---- back, hostb -> hosta ------------------------------------------------------------------------
out=$(timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from hostb --to hosta 2>&1); rc=$?
tap_diag "$(tail -n 2 <<<"$out")"
tap_check "move back hostb -> hosta: exit 0, saying where it runs and the downtime" \
    bash -c '[ "$1" -eq 0 ] && grep -q "move: $2 runs on hosta: downtime [0-9]* ms" <<<"$3"' _ "$rc" "$vm" "$out"
clean_after hostb hosta
tap_check "... and the share's copy is hosta's persistent definition again" definition_current hosta
sleep 1
touch "$stop"
wait "$echo_pid"; echo_rc=$?
echo_out=$(cat "$work/echo.json")
tap_diag "echo: $echo_out $(cat "$work/echo.err")"
tap_check "the guest's TCP echo from ws ran through both moves: never reset, every echo back in order (longest gap $(jq -r .max_gap_ms <<<"$echo_out" 2>/dev/null) ms)" \
    bash -c '[ "$1" -eq 0 ] && jq -e ".error == null and .in_order and .received > 100 and .received == .sent" <<<"$2" >/dev/null' _ "$echo_rc" "$echo_out"

# ---- the agent restarts: running VMs and their exports are not its ---------------------------------
pid0=$(cat "$("$lab" path hosta dir)/run/vsmigrate/disks/$vm-vda.pid" 2>/dev/null)
"$lab" agent restart hosta >/dev/null 2>&1
tap_check "vsmigrated restarted on hosta: the VM runs on, on the same export process ($pid0), writing" \
    bash -c '[ "$(where)" = hosta ] && [ -n "$1" ] && [ "$(cat "$("$lab" path hosta dir)/run/vsmigrate/disks/$vm-vda.pid")" = "$1" ] && kill -0 "$1" && w0=$(writes_of hosta) && sleep 2 && [ "$(writes_of hosta)" -gt "$w0" ]' _ "$pid0"

# ---- refusals: nothing changes ----------------------------------------------------------------
out=$(timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from hosta --to hostc 2>&1); rc=$?
tap_diag "$(grep -i fail <<<"$out" | head -3)"
tap_check "move to hostc: refused at the pre-flight (exit 1), with the failing check's fix" \
    bash -c '[ "$1" -eq 1 ] && grep -q "^delegation *FAIL .*msDS-AllowedToDelegateTo" <<<"$2"' _ "$rc" "$out"
tap_check "... the VM runs on hosta alone, hostc has no job" \
    bash -c '[ "$(where)" = hosta ] && ! jobs_left hostc'
tap_check "... and hosta's audit shows the move refused at its pre-flight, by admin, with the failing check" \
    audit_has hosta ".action == \"move\" and .to == \"hostc\" and .user == \"admin@LAB.TEST\" and .result == \"denied\" and (.message | contains(\"delegation\"))"
"$lab" kinit ws mallory
out=$(timeout 120 "$lab" exec ws -- "$cli" move "$vm" --from hosta --to hostb 2>&1); rc=$?
"$lab" kinit ws admin
tap_check "mallory's move: refused (exit 4), the VM stays on hosta" \
    bash -c '[ "$1" -eq 4 ] && [ "$(where)" = hosta ]' _ "$rc"
tap_check "... and hosta's audit shows the refusal" \
    audit_has hosta ".user == \"mallory@LAB.TEST\" and .result == \"denied\""

# ---- the rollback: hostb refuses the take-over -----------------------------------------------
hook=$("$lab" path hostb dir)/run/vsmigrate/test-hooks/fail-takeover
mkdir -p "$(dirname "$hook")" && touch "$hook"
w0=$(writes_of hosta)
out=$(timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from hosta --to hostb 2>&1); rc=$?
rm -f "$hook"
tap_diag "$out"
tap_check "a take-over refused on hostb: the move fails (exit 1) with one clear error naming the cause" \
    bash -c '[ "$1" -eq 1 ] && grep -q "refused the take-over" <<<"$2" && grep -q "$3 runs on hosta.lab.test, as before" <<<"$2"' _ "$rc" "$out" "$vm"
tap_check "... the VM runs on hosta alone, and writes on (its export took the writer back)" \
    bash -c '[ "$(where)" = hosta ] && [ "$(mode_of hosta)" = active ] && [ "$(writes_of hosta)" -gt "$1" ]' _ "$w0"
tap_check "... hostb has no domain, no export, no job left" \
    eventually bash -c '! "$1" exec hostb -- virsh -q list --all --name | grep -qx "$2" && ! export_left hostb && ! jobs_left hostb' _ "$lab" "$vm"

# ---- cancel during the memory copy -----------------------------------------------------------------
timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from hosta --to hostb --json >"$work/cancel.out" 2>&1 &
mover=$!
job=""
for _ in $(seq 1 100); do
    job=$(grep -m1 '"event":"progress"' "$work/cancel.out" 2>/dev/null | jq -r .job)
    [ -n "$job" ] && [ "$job" != null ] && break
    sleep 0.1
done
out=$(vsm ws cancel "$job" --host hosta 2>&1); crc=$?
wait "$mover"; rc=$?
tap_diag "cancel: $out" "$(tail -n 1 "$work/cancel.out")"
tap_check "cancel JOB on hosta during the memory copy: the cancel succeeds and the move ends with exit 1" \
    bash -c '[ "$1" -eq 0 ] && [ "$2" -eq 1 ] && grep -q "was cancelled" "$3"' _ "$crc" "$rc" "$work/cancel.out"
sleep 1
tap_check "... the VM runs on hosta alone; hostb has no domain, no export, no job" \
    eventually bash -c '[ "$(where)" = hosta ] && ! "$1" exec hostb -- virsh -q list --all --name | grep -qx "$2" && ! export_left hostb && ! jobs_left hostb' _ "$lab" "$vm"

# ---- behind vsmigrate's back: plain virsh migrate while hosta runs it ----------------------------
out=$(timeout 300 "$lab" exec hosta -- virsh migrate --live --p2p "$vm" qemu+tcp://hostb.lab.test/system --migrateuri tcp://hostb.lab.test 2>&1); rc=$?
tap_diag "virsh migrate: $out"
tap_check "plain virsh migrate hosta -> hostb behind vsmigrate's back fails" test "$rc" -ne 0
tap_check "... the VM runs on hosta alone and writes on (never two writers)" \
    bash -c '[ "$(where)" = hosta ] && w0=$(writes_of hosta) && sleep 2 && [ "$(writes_of hosta)" -gt "$w0" ]'
tap_check "... hostb's libvirtd log says why: the writer is held" \
    grep -q "vsmigrate lock: $vm may not run here: disk vda cannot take its writer handle" "$("$lab" path hostb log)/libvirtd.log"

# ---- a tunnel outside any job ----------------------------------------------------------------------
cc=$(machine_ccache hosta)
r=$(timeout 60 "$lab" exec hosta -- env KRB5CCNAME="$cc" /usr/bin/python3 "$abuse" request \
    hostb.lab.test 6600 vsmigrate/hostb.lab.test@LAB.TEST tunnel job=0f0e0d0c-0b0a-0908-0706-050403020100 channel=libvirt | tail -n 1)
tap_diag "$r"
tap_check "hosta asking hostb for a tunnel outside any job gets a refusal, not libvirt" \
    bash -c 'jq -e ".result == 5 and (.message | test(\"a tunnel is open only for a running move\"))" <<<"$1" >/dev/null' _ "$r"

# ---- multifd over the tunnel -----------------------------------------------------------------------
out=$(timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from hosta --to hostb --parallel 4 --json 2>/dev/null); rc=$?
final=$(tail -n 1 <<<"$out")
tap_diag "$final"
tap_check "move --parallel 4 hosta -> hostb: exit 0" test "$rc" -eq 0
clean_after hosta hostb
job=$(jq -r .job <<<"$final")
n=$(jq -s --arg j "$job" '[.[] | select(.action == "tunnel" and .job == $j and .result == "ok")] | length' "$(audit_log hostb)")
tap_check "... each of QEMU's 5 streams and libvirt's came in a tunnel of its own ($n tunnels)" test "$n" -ge 6
"$lab" exec hostb -- virsh -q destroy "$vm" >/dev/null 2>&1

# ---- the guest's view --------------------------------------------------------------------------------
sleep 1
v=$("$lab" vm verify "$vm" --json 2>&1)
tap_diag "$v"
tap_check "the guest's record sequence through three moves (one multifd), a rollback, a cancel and a bypass: contiguous, one boot, no memory error" \
    bash -c 'jq -e ".ok and .gaps == 0 and .misplaced == 0 and .boots == 1 and .mem_errors == 0 and .records > 100" <<<"$1" >/dev/null' _ "$v"

# ---- who held the writer: the exports' journals on all hosts, lined up ----------------------------
w=$("$lab" vm writers "$vm"); rc=$?
tap_diag "writers: $w"
tap_check "the writer journals: one writer switch per move (3: hostb, hosta, hostb), never two hosts holding it at once" \
    bash -c '[ "$1" -eq 0 ] && jq -e ".overlaps == 0 and .switches == 3 and (.takers | map(select(. != \"hosta\" and . != \"hostb\")) | length) == 0" <<<"$2" >/dev/null' _ "$rc" "$w"
# the check can fail: a forged journal in which hostc takes while hosta holds
printf '%s\n' '{"t_ms":10,"host":"hosta","pid":1,"writer":true,"why":"taken"}' >"$work/forged-a"
printf '%s\n' '{"t_ms":11,"host":"hostc","pid":2,"writer":true,"why":"taken"}' >"$work/forged-c"
"$top/tests/tools/writer-journal.py" "$work/forged-a" "$work/forged-c" >"$work/forged.json"; rc=$?
tap_check "... (and the same check finds two writers in a forged journal: exit 1, one overlap)" \
    bash -c '[ "$1" -eq 1 ] && jq -e ".overlaps == 1" "$2" >/dev/null' _ "$rc" "$work/forged.json"
tap_done
