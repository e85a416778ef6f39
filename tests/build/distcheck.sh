#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make distcheck in the configured build DIR: the tarball builds, installs,
# passes its unit tests and uninstalls cleanly.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
dir=${1:?usage: distcheck.sh BUILDDIR}
if make -C "$dir" distcheck >"$dir/distcheck.out" 2>&1; then
    tap_ok "make distcheck"
else
    tap_not_ok "make distcheck"; tail -60 "$dir/distcheck.out" | sed 's/^/# /'
fi
tap_done
