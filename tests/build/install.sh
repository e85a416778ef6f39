#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make install into a DESTDIR puts every part where its user looks for it:
# the programs, the nbdkit plugin in nbdkit's plugin directory, the lock
# plugin in libvirt's lock-driver directory, the libvirt hook in
# hooks/qemu.d calling the installed vsmigrate-hook, the man pages, the
# systemd units and an example config.
#   tests/build/install.sh BUILDDIR
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${1:?usage: install.sh BUILDDIR}
dest=$(mktemp -d /tmp/vsm-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
var() { sed -n "s|^$1 = ||p" "$build/Makefile" | head -1; }
if make -C "$build" install DESTDIR="$dest" >"$dest.log" 2>&1; then
    tap_ok "make install DESTDIR=... succeeds"
else
    tap_not_ok "make install DESTDIR=... succeeds"; tail -30 "$dest.log" | sed 's/^/# /'; rm -f "$dest.log"; tap_done
fi
rm -f "$dest.log"
prefix=$(var prefix)
# the directories as make expands them (exec_prefix, libdir, ... may refer to each other)
expand() { local v=$1; for _ in 1 2 3 4; do v=${v//\$\{prefix\}/$prefix}; v=${v//\$\{exec_prefix\}/$prefix}; v=${v//\$\{datarootdir\}/$prefix/share}; v=${v//\$(prefix)/$prefix}; done; echo "$v"; }
bindir=$(expand "$(var bindir)") sbindir=$(expand "$(var sbindir)") libexecdir=$(expand "$(var libexecdir)")
libdir=$(expand "$(var libdir)") sysconfdir=$(expand "$(var sysconfdir)") mandir=$(expand "$(var mandir)")
docdir=$(expand "$(var docdir)"); docdir=${docdir//\$\{PACKAGE_TARNAME\}/vsmigrate}
unitdir=$(expand "$(var systemdsystemunitdir)")
for f in "$bindir/vsmigrate" "$bindir/vsmigrate-disk" "$bindir/vsmigrate-share" "$sbindir/vsmigrated" \
         "$sbindir/vsmigrate-doctor" "$libexecdir/vsmigrate-hook"; do
    tap_check "program $f" test -x "$dest$f"
done
tap_check "the nbdkit plugin in nbdkit's plugin directory ($libdir/nbdkit/plugins)" \
    test -f "$dest$libdir/nbdkit/plugins/nbdkit-smbio-plugin.so"
tap_check "the lock plugin where libvirt loads lock drivers ($libdir/libvirt/lock-driver)" \
    test -f "$dest$libdir/libvirt/lock-driver/vsmigrate.so"
hook=$dest$sysconfdir/libvirt/hooks/qemu.d/vsmigrate
tap_check "the libvirt hook in hooks/qemu.d, executable, calling the installed vsmigrate-hook" \
    bash -c '[ -x "$1" ] && grep -q "^exec $2/vsmigrate-hook \"\$@\"$" "$1"' _ "$hook" "$libexecdir"
for m in man1/vsmigrate.1 man1/vsmigrate-disk.1 man1/vsmigrate-share.1 man1/nbdkit-smbio-plugin.1 \
         man5/vsmigrate-config.5 man8/vsmigrated.8 man8/vsmigrate-hook.8 man8/vsmigrate-doctor.8; do
    tap_check "man page $m" test -s "$dest$mandir/$m"
done
for u in vsmigrated.service vsmigrate-drain.service; do
    tap_check "systemd unit $unitdir/$u" test -s "$dest$unitdir/$u"
done
tap_check "example config $docdir/examples/vsmigrated.conf" test -s "$dest$docdir/examples/vsmigrated.conf"
tap_done
