#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's first command, exactly as the README writes it: examples/demo
# from the top of the tree. It exits 0 and shows its key lines, so the
# newcomer's first command cannot rot. It brings its own lab up and down.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
out=$state_dir/demo-$$.out
cmd=$(sed -n 's/^    \(examples\/demo\)$/\1/p' "$top/README.md" | head -1)
tap_check "the README's first command is examples/demo" test "$cmd" = examples/demo
(cd "$top" && timeout 900 $cmd) >"$out" 2>&1 </dev/null
rc=$?
if [ $rc -eq 0 ]; then tap_ok "examples/demo exits 0"; else
    tap_not_ok "examples/demo exits 0 (it exited $rc)"; tail -40 "$out" | sed 's/^/# /'
fi
tap_grep "the admin asks hosta for its status over Kerberos" "admin@LAB.TEST" "$out"
tap_check "the check toward hostb passes every check" grep -qE '^web01: all [0-9]+ checks passed' "$out"
tap_grep "the check toward hostc lists every problem" "checks failed: delegation, network lan" "$out"
tap_grep "mallory is refused, with the reason" "mallory@LAB.TEST may not use vsmigrate on hosta.lab.test" "$out"
tap_grep "the sensitive account's refusal names the flag" "is marked 'sensitive and cannot be delegated'" "$out"
tap_grep "the share is provisioned and checked with vsmigrate-share" "vsmigrate-share" "$out"
tap_grep "web01 starts on hosta with vsmigrate start" "web01 runs on hosta.lab.test (defined from smb://fs.lab.test/vms/web01/web01.xml)" "$out"
tap_check "vsmigrate move takes web01 to hostb, with its downtime" grep -qE 'move: web01 runs on hostb: downtime [0-9]+ ms' "$out"
tap_check "... and back to hosta" grep -qE 'move: web01 runs on hosta: downtime [0-9]+ ms' "$out"
tap_check "the progress display showed during the moves" grep -q 'memory copy' "$out"
tap_check "the VM's disk records and memory check out after both moves" grep -qE '^after: .*gaps 0.*: OK' "$out"
tap_grep "the TCP echo was never reset" "the TCP echo was never reset and every reply came back in order" "$out"
tap_check "the closing table has both moves, with downtime, total, bytes, echo gap and who was where" \
    bash -c 'grep -qE "^1 +a->b +[0-9]+ +[0-9]+ +[0-9]+ MiB +[0-9.]+ +admin@LAB.TEST +admin@LAB.TEST via hosta.lab.test +hosta\\\$@LAB.TEST" "$1" &&
             grep -qE "^2 +b->a +[0-9]+ +[0-9]+ +[0-9]+ MiB +[0-9.]+ +admin@LAB.TEST +admin@LAB.TEST via hostb.lab.test +hostb\\\$@LAB.TEST" "$1"' _ "$out"
tap_grep "the demo ends" "== Done" "$out"
tap_check "no step failed" bash -c '! grep -q "examples/demo: FAILED" "$1"' _ "$out"
rm -f "$out"
tap_done
