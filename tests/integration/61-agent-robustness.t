#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrated against clients that misbehave: garbage, oversized and truncated
# frames, a byte a second, noise and a replay after authentication, a token
# where a sealed message belongs, and a thousand idle connections. The
# daemon (built with ASan and UBSan) stays up, serves a real request
# meanwhile, and reports no memory error or leak.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"
abuse=$top/tests/tools/agent-abuse.py
work=$state_dir/robust-$$
mkdir -p "$work"
asan_build=$top/_build/asan
"$top/tests/build/sanitizers.sh" "$asan_build" >"$work/asan-build.log" 2>&1 ||
    { tail -30 "$work/asan-build.log" | sed 's/^/# /'; tap_bail "the ASan build failed"; }
[ -x "$asan_build/hostagent/vsmigrated" ] || tap_bail "no ASan vsmigrated in $asan_build"

agents_up
# hosta: the sanitizer build, a short handshake limit
"$lab" agent stop hosta
printf '[limits]\nhandshake_timeout = 3s\n' >>"$(agent_conf hosta)"
asanlog=$work/asan
ASAN_OPTIONS="detect_leaks=1:log_path=$asanlog:fast_unwind_on_malloc=0" \
LSAN_OPTIONS="suppressions=$top/tests/lsan-agent.supp:print_suppressions=0" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$asanlog" \
VSM_BUILDDIR=$asan_build "$lab" agent start hosta || tap_bail "the ASan vsmigrated did not start on hosta"
pid=$(cat "$("$lab" path hosta dir)/pids/vsmigrated")
tap_check "hosta runs the ASan build of vsmigrated" grep -q libasan "/proc/$pid/maps"
"$lab" kinit ws admin
spn=vsmigrate/hosta.lab.test@LAB.TEST
abuse() { timeout 120 "$lab" exec ws -- /usr/bin/python3 "$abuse" "$@" | tail -n 1; }

r=$(abuse garbage hosta.lab.test 6600); tap_diag "$r"
tap_check "garbage before authentication: dropped at once" jq -e '.closed_after_s != null and .closed_after_s < 2' <<<"$r"
r=$(abuse oversized hosta.lab.test 6600); tap_diag "$r"
tap_check "a token frame announcing 10 MiB: dropped at once, nothing buffered" jq -e '.closed_after_s != null and .closed_after_s < 2' <<<"$r"
r=$(abuse truncated hosta.lab.test 6600); tap_diag "$r"
tap_check "half a frame, then the client leaves: no harm" jq -e '.sent == true' <<<"$r"
r=$(abuse slowloris hosta.lab.test 6600); tap_diag "$r"
tap_check "a byte a second: dropped when the 3 s handshake limit passes" jq -e '.closed_after_s != null and .closed_after_s >= 2 and .closed_after_s < 8' <<<"$r"
r=$(abuse sealed-garbage hosta.lab.test 6600 "$spn"); tap_diag "$r"
tap_check "noise in a sealed frame after authentication: refused as untrusted, connection closed" \
    jq -e '.authenticated and (.refusal | contains("could not be trusted")) and .closed_after_s != null' <<<"$r"
r=$(abuse replay hosta.lab.test 6600 "$spn"); tap_diag "$r"
tap_check "a request answered, then the same wrapped bytes again: refused as a replay, closed" \
    jq -e '.first_reply_kind == 2 and (.refusal | test("replay")) and .closed_after_s != null' <<<"$r"
r=$(abuse token-after-auth hosta.lab.test 6600 "$spn"); tap_diag "$r"
tap_check "a token frame after authentication: refused, closed" \
    jq -e '(.refusal | contains("not allowed after authentication")) and .closed_after_s != null' <<<"$r"
tap_check "after all that, a real request is served" vsm ws status --host hosta

# a thousand idle connections, and a real client meanwhile
"$lab" exec ws -- /usr/bin/python3 "$abuse" idle hosta.lab.test 6600 1000 25 >"$work/idle.out" 2>&1 &
idle=$!
for _ in $(seq 1 300); do grep -q '^opened' "$work/idle.out" && break; sleep 0.1; done
tap_diag "$(head -1 "$work/idle.out")"
threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
tap_check "with 1000 idle connections open, the daemon holds only a few threads ($threads)" test "$threads" -lt 40
start=$(date +%s%N)
tap_check "... and serves admin's status meanwhile" vsm ws status --host hosta
tap_check "... and a whole two-hop check toward hostb" bash -c "'$lab' exec ws -- '$cli' check nosuch --from hosta --to hostb --json | jq -e '.checks[0].name == \"vm\"'"
tap_diag "the request took $(( ($(date +%s%N) - start) / 1000000 )) ms"
wait "$idle"
r=$(tail -n 1 "$work/idle.out"); tap_diag "$r"
tap_check "... the idle connections were closed by the daemon (oldest first), not left to pile up" \
    jq -e '.opened + .failed == 1000 and .closed_by_server >= 980' <<<"$r"
tap_check "the daemon is the same process, still up" kill -0 "$pid"

tap_check "the ASan vsmigrated stops cleanly on SIGTERM (so its leak check at exit ran)" "$lab" agent stop hosta
reports=$(cat "$asanlog".* 2>/dev/null)
tap_check "no ASan or UBSan report from vsmigrated (errors or leaks)" test -z "$reports"
[ -n "$reports" ] && printf '%s\n' "$reports" | head -60 | sed 's/^/# /'
agents_up
tap_done
