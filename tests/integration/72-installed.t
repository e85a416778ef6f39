#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrate installed for real (issue 20): a normal build (no test hooks)
# configured for Debian's paths, `make install` run inside hostb's namespace
# (its /usr an overlay of the system's, its /etc the node's), and hostb then
# runs nothing of the build: libvirtd loads the installed lock plugin, libvirt
# runs the installed hooks/qemu.d/vsmigrate, which starts the installed
# nbdkit plugin, and /usr/sbin/vsmigrated reads /etc/vsmigrate/vsmigrated.conf.
# A move hosta -> hostb from ws, and back started on hostb with the installed
# vsmigrate; the guest's records; then back to the build.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"

build=$top/_build/installed
vm=inst-$$
multiarch=$(gcc -print-multiarch)
libdir=/usr/lib/$multiarch
cleanup() {
    for h in hosta hostb; do
        "$lab" exec "$h" -- virsh -q destroy "$vm" >/dev/null 2>&1
        "$lab" exec "$h" -- virsh -q undefine "$vm" >/dev/null 2>&1
    done
    "$lab" uninstall hostb >/dev/null 2>&1
    agents_up >/dev/null 2>&1
}
trap cleanup EXIT

mkdir -p "$build"
if (cd "$build" && "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
        --libdir="$libdir" --libexecdir=/usr/libexec --with-systemdsystemunitdir=/lib/systemd/system &&
    make -j"$(nproc)") >"$state_dir/installed-build.log" 2>&1; then
    tap_ok "a normal build for Debian's paths (prefix /usr, libdir $libdir)"
else
    tap_not_ok "a normal build for Debian's paths"; tail -30 "$state_dir/installed-build.log" | sed 's/^/# /'; tap_done
fi
tap_check "... without test hooks" bash -c '! grep -q "^#define VSM_TEST_HOOKS" "$1/config.h"' _ "$build"
agents_up
"$lab" kinit ws admin >/dev/null
out=$("$lab" install hostb "$build" 2>&1)
tap_check "lab install hostb: make install inside hostb's namespace ($(printf '%s' "$out" | tail -n 1 | cut -c1-120))" \
    test -f "$("$lab" path hostb dir)/installed"
d=$("$lab" path hostb dir)
for f in usr/sbin/vsmigrated usr/bin/vsmigrate usr/libexec/vsmigrate-hook \
         "${libdir#/}/libvirt/lock-driver/vsmigrate.so" "${libdir#/}/nbdkit/plugins/nbdkit-smbio-plugin.so"; do
    tap_check "installed in hostb alone: /$f" bash -c '[ -e "$1/$2" ] && [ ! -e "/usr/$2" ]' _ "$d/usr" "${f#usr/}"
done
tap_check "libvirt's hook is the installed hooks/qemu.d/vsmigrate, the build's hooks/qemu is gone" \
    bash -c '[ -x "$1/etc/libvirt/hooks/qemu.d/vsmigrate" ] && [ ! -e "$1/etc/libvirt/hooks/qemu" ] && grep -q "^exec /usr/libexec/vsmigrate-hook" "$1/etc/libvirt/hooks/qemu.d/vsmigrate"' _ "$d"
agent=$(cat "$d/pids/vsmigrated")
tap_check "hostb's agent is /usr/sbin/vsmigrated with its default config ($(tr '\0' ' ' </proc/"$agent"/cmdline))" \
    test "$(tr '\0' ' ' </proc/"$agent"/cmdline)" = "/usr/sbin/vsmigrated -f "
# the lock plugin libvirtd mapped is the installed file (its inode in hostb's
# /usr), not the build's
lv=$("$lab" fault pid hostb libvirtd)
mapped=$(awk '/lock-driver\/vsmigrate.so/ {print $5; exit}' "/proc/$lv/maps")
inst=$("$lab" exec hostb -- stat -Lc %i "$libdir/libvirt/lock-driver/vsmigrate.so")
built=$(stat -Lc %i "$VSM_BUILDDIR/hostagent/lockdriver/.libs/vsmigrate.so")
tap_check "hostb's libvirtd loaded the installed lock plugin (inode $mapped; installed $inst, the build's $built)" \
    test -n "$mapped" -a "$mapped" = "$inst" -a "$mapped" != "$built"

"$lab" vm start "$vm" --on hosta --memory 128 --fresh >/dev/null 2>&1 || tap_bail "$vm did not start on hosta"
r=$(vsm ws move "$vm" --from hosta --to hostb 2>&1 | tail -n 1)
tap_check "a move hosta -> hostb, hostb running vsmigrate as installed: $(printf '%s' "$r" | cut -c1-140)" \
    bash -c '"$1" exec hostb -- virsh -q list --name | grep -qx "$2"' _ "$lab" "$vm"
exp=$("$lab" fault pid hostb export "$vm")
tap_check "... its disk export on hostb is the installed nbdkit plugin, started by the installed hook" \
    bash -c 'grep -q "$2/nbdkit/plugins/nbdkit-smbio-plugin.so" "/proc/$1/maps" && ! tr "\0" " " <"/proc/$1/cmdline" | grep -q _build' _ "$exp" "$libdir"
r=$(timeout 300 "$lab" exec hostb -- /usr/bin/vsmigrate move "$vm" --to hosta 2>&1 | tail -n 1)
tap_check "and back, started on hostb as root with the installed vsmigrate: $(printf '%s' "$r" | cut -c1-140)" \
    bash -c '"$1" exec hosta -- virsh -q list --name | grep -qx "$2"' _ "$lab" "$vm"
tap_check "... hostb keeps no domain or export of it" \
    bash -c '! "$1" exec hostb -- virsh -q list --all --name | grep -qx "$2" && [ -z "$("$1" fault pid hostb export "$2")" ]' _ "$lab" "$vm"
v=$("$lab" vm verify "$vm" --json 2>/dev/null | tail -n 1)
tap_check "the guest's records: contiguous, no memory error ($(printf '%s' "$v" | cut -c1-120))" \
    test "$(printf '%s' "$v" | jq '.gaps + .misplaced + .corrupt + .mem_errors')" = 0
"$lab" uninstall hostb >/dev/null 2>&1
tap_check "lab uninstall hostb: the overlay is gone, hostb runs the build's agent again" \
    bash -c '[ ! -e "$1/installed" ] && [ ! -e "$1/usr" ] && tr "\0" " " <"/proc/$(cat "$1/pids/vsmigrated")/cmdline" | grep -q "$2/hostagent/vsmigrated"' _ "$d" "$VSM_BUILDDIR"
tap_done
