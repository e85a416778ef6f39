# TAP helpers for the shell tests. Each case prints "ok N - what" or
# "not ok N - what"; tests/run counts the cases. Source this file, call
# tap_check/tap_ok/tap_not_ok, and end with tap_done.
_tap_n=0
_tap_failed=0

tap_ok()     { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
tap_not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
tap_diag()   { printf '%s\n' "$@" | sed 's/^/# /'; }

# tap_check "what" CMD ARGS...: one case, passing when CMD succeeds.
# Its output is shown (as TAP comments) only when it fails.
tap_check() {
    local what=$1 out rc; shift
    out=$("$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then tap_ok "$what"; else
        tap_not_ok "$what"; [ -n "$out" ] && tap_diag "$out"; tap_diag "(exit status $rc: $*)"
    fi
    return 0
}

# tap_grep "what" PATTERN FILE: one case, passing when FILE has PATTERN (fixed string).
tap_grep() {
    if grep -qF -- "$2" "$3"; then tap_ok "$1"; else
        tap_not_ok "$1"; tap_diag "expected to find: $2" "in $3:"; sed 's/^/#   /' "$3" | head -40
    fi
}

tap_bail() { echo "Bail out! $*"; exit 1; }

tap_done() {
    echo "1..$_tap_n"
    [ "$_tap_n" -gt 0 ] || { echo "Bail out! no test case ran"; exit 1; }
    [ "$_tap_failed" -eq 0 ]
}

# Integration tests need root and network namespaces. Without them they fail
# with the reason: they never skip.
tap_require_root_netns() {
    [ "$(id -u)" -eq 0 ] || tap_bail "this test needs root (it creates network namespaces); run tests/run as root"
    local probe="vsm-probe-$$"
    ip netns add "$probe" 2>/dev/null || tap_bail "cannot create a network namespace (ip netns add failed): this test needs CAP_SYS_ADMIN and iproute2"
    ip netns del "$probe"
}
