#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Migration networks (issue 18). The lab gives hosta and hostb a second
# link (mig0, on MIGNET). hostb lists first a network it has an address on
# that hosta cannot reach, then the second link: the move falls back to the
# second, and the report and both audits name it. A destination whose
# allowed_sources leave out where the source's traffic comes from refuses
# the move (the VM stays, the sentence names the networks); one that lists
# the second link takes the move over it.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"

vm=nw-$$
work=$state_dir/networks-$$
mkdir -p "$work"
mig_of() { "$lab" exec "$1" -- ip -4 -o addr show dev mig0 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
ma=$(mig_of hosta) mb=$(mig_of hostb)
[ -n "$ma" ] && [ -n "$mb" ] || tap_bail "the lab's hosts have no second link (mig0): take the lab down and up again"
mignet=${mb%.*}.0/24
deadnet=10.79.${mb#*.*.}; deadnet=${deadnet%.*}.0/24   # 10.79.S.0/24: routed nowhere
dead=${deadnet%.0/24}.12
cleanup() {
    for h in hosta hostb; do
        "$lab" exec "$h" -- virsh -q destroy "$vm" >/dev/null 2>&1
        "$lab" exec "$h" -- virsh -q undefine "$vm" >/dev/null 2>&1
    done
    "$lab" exec hostb -- ip addr del "$dead/24" dev lo >/dev/null 2>&1
    for h in hosta hostb; do "$lab" agent stop "$h"; "$lab" agent defaults "$h"; "$lab" agent start "$h"; done >/dev/null 2>&1
}
trap cleanup EXIT
agents_up
"$lab" kinit ws admin
where() { local w=""; for h in hosta hostb; do "$lab" exec "$h" -- virsh -q list --name | grep -qx "$vm" && w+="$h "; done; echo "${w% }"; }
move() { timeout 300 "$lab" exec ws -- "$cli" move "$vm" --from "$1" --to "$2" --json 2>"$work/err"; }

"$lab" vm put "$vm" --memory 96 --fresh >/dev/null 2>&1 || tap_bail "putting $vm on the share failed"
out=$(vsm ws start "$vm" --on hosta 2>&1) || tap_bail "vsmigrate start failed: $out"
console=$("$lab" path hosta dir)/var/log/libvirt/qemu/$vm-console.log
for _ in $(seq 1 240); do grep -q 'vsm-workload: running' "$console" 2>/dev/null && break; sleep 0.5; done

# ---- fall back: hostb's first network is one hosta cannot reach ------------------------------
# an address of hostb's on a network hosta has no route to
"$lab" exec hostb -- ip addr add "$dead/24" dev lo
migration_set hostb networks "$deadnet, $mignet"
r=$(move hosta hostb); rc=$?; r=$(tail -n 1 <<<"$r")
tap_diag "$r $(cat "$work/err")"
tap_check "hostb lists $deadnet (unreachable from hosta) then $mignet: the move falls back to the second (exit 0)" \
    bash -c '[ "$1" -eq 0 ] && jq -e --arg n "$2 via $3" ".ok and .network == \$n" <<<"$4" >/dev/null' _ "$rc" "$mignet" "$mb" "$r"
tap_check "... $vm runs on hostb" test "$(where)" = hostb
tap_check "... hosta's audit names the network the move went over" \
    audit_has hosta ".action == \"move\" and .vm == \"$vm\" and .result == \"ok\" and .network == \"$mignet via $mb\""
tap_check "... and hostb's audit shows the tunnels came from hosta's second link ($ma)" \
    audit_has hostb ".action == \"tunnel\" and .vm == \"$vm\" and .result == \"ok\" and (.address | startswith(\"$ma:\"))"

# ---- allowed_sources ----------------------------------------------------------------------------
migration_set hosta allowed_sources 10.99.0.0/24
r=$(move hostb hosta); rc=$?; r=$(tail -n 1 <<<"$r")
err=$(cat "$work/err")
tap_diag "$err"
tap_check "hosta's allowed_sources leave hostb out: the move fails (exit 1), the sentence names the networks" \
    bash -c '[ "$1" -eq 1 ] && grep -q "hosta.lab.test accepts moves only from its allowed_sources (10.99.0.0/24)" <<<"$2"' _ "$rc" "$err"
tap_check "... $vm still runs on hostb alone" test "$(where)" = hostb
tap_check "... and hosta's audit shows the tunnel refused" \
    audit_has hosta ".action == \"tunnel\" and .result == \"denied\" and (.message | contains(\"allowed_sources\"))"
migration_set hosta allowed_sources "$mignet" networks "$mignet"
r=$(move hostb hosta); rc=$?; r=$(tail -n 1 <<<"$r")
tap_diag "$r $(cat "$work/err")"
tap_check "hosta lists the second link in networks and allowed_sources: the move goes over it (exit 0)" \
    bash -c '[ "$1" -eq 0 ] && jq -e --arg n "$2 via $3" ".ok and .network == \$n" <<<"$4" >/dev/null' _ "$rc" "$mignet" "$ma" "$r"
tap_check "... $vm runs on hosta" test "$(where)" = hosta
sleep 1
v=$("$lab" vm verify "$vm" --json 2>&1)
tap_check "$vm's record sequence after the three attempts: contiguous, one boot" \
    bash -c 'jq -e ".ok and .gaps == 0 and .boots == 1" <<<"$1" >/dev/null' _ "$v"
tap_done
