#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Build the libFuzzer targets and run each for SECONDS on its seed corpus.
# One case per target: it passes when the fuzzer finds no crash, leak or hang.
#
#   run-fuzzers.sh BUILDDIR SECONDS        (tests/run: a short run of each)
#   run-fuzzers.sh --minutes N [BUILDDIR]  (the long run; BUILDDIR defaults to
#                                           tests/run's, _build/main)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
if [ "${1:-}" = --minutes ]; then
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "usage: run-fuzzers.sh --minutes N [BUILDDIR]" >&2; exit 2; }
    seconds=$(( $2 * 60 ))
    build=${3:-$top/_build/main}
    [ -f "$build/tests/fuzz/Makefile" ] || { echo "run-fuzzers.sh: $build is not a configured build with the fuzz targets: run tests/run once (it makes $top/_build/main), or name one" >&2; exit 2; }
else
    build=${1:?usage: run-fuzzers.sh BUILDDIR SECONDS, or run-fuzzers.sh --minutes N [BUILDDIR]}
    seconds=${2:-15}
fi
fz=$build/tests/fuzz
make -C "$fz" fuzz >"$fz/build.out" 2>&1 || { tap_not_ok "build fuzz targets"; sed 's/^/# /' "$fz/build.out" | tail -30; tap_done; }
targets=$(sed -n 's/^FUZZ_TARGETS = //p' "$fz/Makefile")
for t in $targets; do
    mkdir -p "$fz/corpus-run/$t"
    dict=()
    [ -f "$top/tests/fuzz/$t.dict" ] && dict=(-dict="$top/tests/fuzz/$t.dict")
    if (cd "$fz" && ./"$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            corpus-run/"$t" "$top/tests/fuzz/corpus/$t") >"$fz/$t.out" 2>&1; then
        tap_ok "$t: ${seconds}s of fuzzing, $(grep -o 'Done [0-9]* runs' "$fz/$t.out" | tail -1)"
    else
        tap_not_ok "$t found a failure"; tail -60 "$fz/$t.out" | sed 's/^/# /'
    fi
done
tap_done
