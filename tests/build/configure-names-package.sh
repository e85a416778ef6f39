#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# For each dependency, hide its pkg-config file and check that configure stops
# with an error naming the Debian package to install. Hiding the .pc file is
# what pkg-config sees when the -dev package is not installed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"

work=$(mktemp -d /tmp/vsm-cfgtest.XXXXXX)
trap 'rm -rf "$work"' EXIT

# the .pc files pkg-config would see, by name
declare -A pcfile
IFS=: read -r -a dirs <<< "$(pkg-config --variable pc_path pkg-config)"
for d in "${dirs[@]}"; do
    for f in "$d"/*.pc; do
        [ -e "$f" ] || continue
        n=$(basename "$f")
        [ -n "${pcfile[$n]:-}" ] || pcfile[$n]=$f
    done
done

link_all_but() {
    mkdir -p "$2"
    for n in "${!pcfile[@]}"; do
        [ "$n" = "$1.pc" ] || ln -sf "${pcfile[$n]}" "$2/$n"
    done
}

# A cache shared by the runs keeps each configure to a few seconds. configure
# refuses a cache made with other PKG_CONFIG_* values, so the first run sees
# the same kind of directory, holding every .pc file.
link_all_but "" "$work/pc-all"
(cd "$work" && PKG_CONFIG_LIBDIR="$work/pc-all" PKG_CONFIG_PATH= "$top/configure" -C >"$work/out-all" 2>&1) ||
    { sed 's/^/# /' "$work/out-all" | tail -20; tap_bail "configure with every package present failed"; }

check_hidden() {
    local pc=$1 pkg=$2 libdir="$work/pc-$1" out="$work/out-$1"
    link_all_but "$pc" "$libdir"
    mkdir -p "$work/build-$pc"
    sed "s|$work/pc-all|$libdir|g" "$work/config.cache" > "$work/build-$pc/config.cache"
    if (cd "$work/build-$pc" && PKG_CONFIG_LIBDIR="$libdir" PKG_CONFIG_PATH= "$top/configure" -C) >"$out" 2>&1; then
        tap_not_ok "configure fails without $pc.pc"
        return
    fi
    tap_grep "without $pc.pc configure names '$pkg'" "apt-get install $pkg" "$out"
}

check_hidden smbclient libsmbclient-dev
check_hidden krb5-gssapi libkrb5-dev
check_hidden krb5 libkrb5-dev
check_hidden libvirt libvirt-dev
check_hidden uuid uuid-dev
check_hidden nbdkit nbdkit-plugin-dev
check_hidden cmocka libcmocka-dev
check_hidden ndr_krb5pac samba-dev
check_hidden ldap libldap-dev
check_hidden libsasl2 libsasl2-dev
check_hidden jansson libjansson-dev
check_hidden gnutls libgnutls28-dev
tap_done
