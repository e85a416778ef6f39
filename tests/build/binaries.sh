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
tap_done
