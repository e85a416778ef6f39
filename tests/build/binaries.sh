#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Binary hygiene of a build: the nbdkit plugin exports only nbdkit's entry
# point (nbdkit loads plugins RTLD_GLOBAL), the lock-manager plugin only
# libvirt's, and the workstation's vsmigrate
# links only what it uses (no libvirt, libxml2, LDAP, Samba NDR, libsmbclient).
#   tests/build/binaries.sh BUILDDIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${1:?usage: binaries.sh BUILDDIR}
plugin=$build/smbio/.libs/nbdkit-smbio-plugin.so
cli=$build/hostagent/vsmigrate
[ -f "$plugin" ] && [ -x "$cli" ] || tap_bail "build first: no $plugin or $cli"

exported=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
tap_check "the plugin exports plugin_init alone (exports: $exported)" test "$exported" = "plugin_init "
lock=$build/hostagent/lockdriver/.libs/vsmigrate.so
exported=$(nm -D --defined-only "$lock" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
tap_check "the lock-manager plugin exports virLockDriverImpl alone (exports: $exported)" test "$exported" = "virLockDriverImpl "
needed=$(readelf -d "$lock" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
tap_check "the lock-manager plugin, inside libvirtd, links libc and jansson only ($needed)" \
    test "$needed" = "libjansson.so.4 libc.so.6 "
needed=$(readelf -d "$cli" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
tap_diag "vsmigrate needs: $needed"
for lib in libvirt libxml2 libldap libndr libsmbclient libsamba libtalloc; do
    tap_check "the workstation CLI does not link $lib" bash -c '! printf "%s" "$1" | grep -q "$2"' _ "$needed" "$lib"
done
# the fault hooks (a refused take-over, ...) exist only in a build that asked for them
daemon=$build/hostagent/vsmigrated
if grep -q '^#define VSM_TEST_HOOKS 1' "$build/config.h"; then
    tap_check "this build has test hooks (--enable-test-hooks): vsmigrated knows test-hooks/fail-takeover" \
        grep -q 'test-hooks/fail-takeover' "$daemon"
else
    tap_check "this build has no test hooks: vsmigrated knows nothing of test-hooks/" \
        bash -c '! grep -q "test-hooks/" "$1"' _ "$daemon"
fi
# and a normal build, configured here, compiles the hand-off without them
normal=$(mktemp -d /tmp/vsm-normal.XXXXXX)
if (cd "$normal" && "$top/configure" >configure.out 2>&1 && make -C hostagent libvsmagentd_la-handoff.lo >make.out 2>&1); then
    tap_check "a build configured without --enable-test-hooks: no VSM_TEST_HOOKS, and the hand-off has no hook" \
        bash -c '[ -f "$1"/hostagent/.libs/libvsmagentd_la-handoff.o ] && ! grep -q "^#define VSM_TEST_HOOKS" "$1/config.h" && ! grep -q "test-hooks/" "$1"/hostagent/.libs/libvsmagentd_la-handoff.o' _ "$normal"
else
    tap_not_ok "a normal build of hostagent/handoff.c"; tail -20 "$normal"/*.out | sed 's/^/# /'
fi
rm -rf "$normal"
tap_done
