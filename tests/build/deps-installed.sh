#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every system header the C code includes and every program the scripts run
# comes from a package that tests/install-deps installs (deps-installed.py
# says how each is found); and the check itself catches a package taken out
# of tests/install-deps (libsasl2-dev, the one a fresh machine lacked).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
work=$(mktemp -d /tmp/vsm-deps.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$top/tests/build/deps-installed.py" "$top" >"$work/all" 2>&1
rc=$?
grep -E '^(ok|not ok) ' "$work/all" | sed 's/^\(not \)\{0,1\}ok [0-9]* - /# /' >"$work/cases"
if [ $rc -eq 0 ]; then
    tap_ok "every header and program comes from tests/install-deps ($(grep -c '^ok ' "$work/all") checked)"
else
    tap_not_ok "every header and program comes from tests/install-deps"
    grep -E '^not ok|^# ' "$work/all" | sed 's/^/# /'
fi

# The check must fail when a package it depends on is dropped.
grep -v '^[[:space:]]*#' "$top/tests/install-deps" | sed 's/\blibsasl2-dev\b//' >"$work/install-deps"
if grep -q 'libsasl2-dev' "$work/install-deps"; then
    tap_bail "could not take libsasl2-dev out of a copy of tests/install-deps"
fi
"$top/tests/build/deps-installed.py" "$top" --install-deps "$work/install-deps" >"$work/without" 2>&1
if [ $? -ne 0 ] && grep -q '^not ok .*<sasl/sasl.h>.*libsasl2-dev' "$work/without"; then
    tap_ok "without libsasl2-dev in tests/install-deps the check fails on <sasl/sasl.h>"
else
    tap_not_ok "without libsasl2-dev in tests/install-deps the check fails on <sasl/sasl.h>"
    grep '^not ok' "$work/without" | sed 's/^/# /'
fi
echo "1..2"
