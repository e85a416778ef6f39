#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The smbio export under load: 8 NBD connections at queue depth 8 for 30 s,
# every read checked against what was written, on the normal build (pipelined,
# then serial for 10 s) and on the ASan+UBSan build. libsmbclient is unsafe across threads without its
# thread hooks (it crashed here within seconds), so this is the test that
# the hooks and the per-connection lanes hold.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/smbio-common.sh"
smbio_disk_on_share 256M
stress=$top/tests/tools/nbd-stress.py
seconds=${VSM_STRESS_SECONDS:-30}

# stress_case LABEL IO: the load against the running export on hosta, then its status
stress_case() {
    local r st
    r=$(timeout $((seconds + 120)) "$lab" exec hosta -- /usr/bin/python3 "$stress" "$(nbd)" \
        --connections 8 --depth 8 --seconds "$seconds" 2>&1 | tail -n 1)
    tap_diag "$1: $r"
    tap_check "$1: 8 connections x QD8 for ${seconds} s, no NBD error" test "$(json_get "$r" .errors)" = 0
    tap_check "$1: every read matched what was written" test "$(json_get "$r" .mismatches)" = 0
    tap_check "$1: the load did real work (over 1000 writes and reads)" \
        test "$(json_get "$r" '.writes + .reads')" -gt 1000
    st=$(status_of hosta)
    tap_check "$1: the export is alive and counted no errors" test "$(json_get "$st" .errors)" = 0
    tap_check "$1: ... with 4 SMB connections" test "$(json_get "$st" .connections)" = 4
    tap_check "$1: ... which were $2" test "$(json_get "$st" .io)" = "$2"
    if [ "$2" = pipelined ]; then
        tap_check "$1: ... with several requests in flight on one connection at once" \
            test "$(json_get "$st" .max_in_flight)" -gt 1
    else
        tap_check "$1: ... one request at a time on each" test "$(json_get "$st" .max_in_flight)" = 0
    fi
}

export_ok "hosta's export starts active with 4 SMB connections" hosta active connections=4
stress_case "normal build" pipelined
export_stop hosta

# libsmbclient's own blocking calls, one request per connection at a time:
# what the export falls back to on a Samba whose private calls it does not know
seconds=$(( seconds / 3 ))
export_ok "hosta's export starts with io=serial" hosta active connections=4 io=serial
stress_case "io=serial" serial
export_stop hosta
seconds=${VSM_STRESS_SECONDS:-30}

# The same under ASan+UBSan: the plugin from the sanitizer build, with libasan
# preloaded into nbdkit only. (The plugin is linked -z nodelete, so it and
# Samba's libraries stay mapped at exit and leaks are reported with symbols,
# which the suppressions match on.)
asan_build=$top/_build/asan
# (sanitizers.sh configures the tree if needed; its unit-test cases are not ours)
"$top/tests/build/sanitizers.sh" "$asan_build" >"$work/asan-build.log" 2>&1
plugin=$asan_build/smbio/.libs/nbdkit-smbio-plugin.so
tap_check "the ASan+UBSan build of the plugin exists" test -f "$plugin"
asanlog=$work/asan
EXPORT_ENV=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
    ASAN_OPTIONS="detect_leaks=1:log_path=$asanlog:fast_unwind_on_malloc=0"
    LSAN_OPTIONS="suppressions=$top/tests/lsan-samba.supp"
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$asanlog")
export_ok "hosta's export starts under ASan+UBSan" hosta active connections=4
pid=$(cat "$("$lab" path hosta dir)$sock.pid")
tap_check "... and ASan is really loaded in it" grep -q libasan "/proc/$pid/maps"
stress_case "ASan+UBSan" pipelined
export_stop hosta
sleep 0.5
reports=$(cat "$asanlog".* 2>/dev/null)
tap_check "ASan and UBSan reported nothing (no memory error, no leak, no undefined behaviour)" test -z "$reports"
[ -z "$reports" ] || printf '%s\n' "$reports" | head -60 | sed 's/^/# /'
tap_done
