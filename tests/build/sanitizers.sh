#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Build in DIR with ./configure --enable-sanitizers (ASan + UBSan) and run the
# unit tests there; one case per test program, plus the build itself.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
dir=${1:?usage: sanitizers.sh BUILDDIR}
mkdir -p "$dir"

if ! { [ -f "$dir/Makefile" ] && [ "$dir/Makefile" -nt "$top/configure" ]; }; then
    # a new configure may change how objects are built (PIC, flags): start clean
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && "$top/configure" --enable-sanitizers) >"$dir/configure.out" 2>&1 ||
        { tap_not_ok "configure --enable-sanitizers"; tail -30 "$dir/configure.out" | sed 's/^/# /'; tap_done; }
fi
if make -C "$dir" -j"$(nproc)" >"$dir/make.out" 2>&1; then
    tap_ok "ASan+UBSan build"
else
    tap_not_ok "ASan+UBSan build"; tail -40 "$dir/make.out" | sed 's/^/# /'; tap_done
fi
# ASan finds leaks at exit; UBSan aborts on the first error (-fno-sanitize-recover).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1
for trs in "$dir"/tests/unit/*.trs; do
    t=$(basename "$trs" .trs)
    if grep -q '^:global-test-result: PASS' "$trs"; then
        tap_ok "under ASan+UBSan: $t"
    else
        tap_not_ok "under ASan+UBSan: $t"; sed 's/^/# /' "${trs%.trs}.log" | tail -40
    fi
done
tap_done
