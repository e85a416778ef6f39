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
# the fault hooks (a refused take-over, a pause at each phase of a move) exist
# only in a build that asked for them: the daemon, the qemu hook and the lock
# plugin
hooked="$build/hostagent/vsmigrated $build/hostagent/vsmigrate-hook $lock"
if grep -q '^#define VSM_TEST_HOOKS 1' "$build/config.h"; then
    for f in $hooked; do
        tap_check "this build has test hooks (--enable-test-hooks): $(basename "$f") knows test-hooks/pause-" \
            grep -q 'test-hooks/pause-' "$f"
    done
else
    for f in $hooked; do
        tap_check "this build has no test hooks: $(basename "$f") knows nothing of test-hooks/" \
            bash -c '! grep -q "test-hooks/" "$1"' _ "$f"
    done
fi
# and a normal build, configured here, compiles every place that has a hook
# without it
normal=$(mktemp -d /tmp/vsm-normal.XXXXXX)
objs="common/libvsmcommon_la-testhook.lo hostagent/libvsmagentd_la-handoff.lo hostagent/libvsmagentd_la-move.lo hostagent/vsmigrate_hook-hook.o hostagent/lockdriver_vsmigrate_la-lockplugin.lo"
if (cd "$normal" && "$top/configure" >configure.out 2>&1 &&
    for o in $objs; do make -C "$(dirname "$o")" "$(basename "$o")" || exit 1; done >make.out 2>&1); then
    hooks=$(cd "$normal" && grep -l "test-hooks/" common/.libs/*.o hostagent/.libs/*.o hostagent/*.o 2>/dev/null | tr '\n' ' ')
    built=$(cd "$normal" && ls common/.libs/*testhook.o hostagent/.libs/*handoff.o hostagent/.libs/*move.o hostagent/*hook-hook.o hostagent/.libs/*lockplugin.o 2>/dev/null | wc -l)
    tap_check "a build configured without --enable-test-hooks: no VSM_TEST_HOOKS" \
        bash -c '! grep -q "^#define VSM_TEST_HOOKS" "$1/config.h"' _ "$normal"
    tap_check "... its 5 objects with hook calls are built ($built) and none holds a hook (${hooks:-none})" \
        test "$built" = 5 -a -z "$hooks"
else
    tap_not_ok "a normal build of the objects with hooks"; tail -20 "$normal"/*.out | sed 's/^/# /'
fi
rm -rf "$normal"
tap_done
