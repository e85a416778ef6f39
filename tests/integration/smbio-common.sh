# Shared by the smbio export tests: a disk on the share, and exports of it
# started on lab hosts. Source after lab-common.sh and lab_up_or_bail.
plugin=${VSM_BUILDDIR:-$top/_build/main}/smbio/.libs/nbdkit-smbio-plugin.so
disktool=${VSM_BUILDDIR:-$top/_build/main}/smbio/vsmigrate-disk
[ -f "$plugin" ] && [ -x "$disktool" ] || tap_bail "the smbio plugin or vsmigrate-disk is not built"

vm=exp-$$
url=smb://fs.lab.test/vms/$vm/disk0.raw
work=$state_dir/export-$$
mkdir -p "$work"
sock=/run/vsmigrate/disks/$vm.sock
ctl=/run/vsmigrate/disks/$vm.ctl
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

# smbio_disk_on_share SIZE: admin puts an empty disk of SIZE at $url
smbio_disk_on_share() {
    "$lab" kinit ws admin
    "$lab" exec ws -- bash -c "rm -f /run/e.raw && truncate -s $1 /run/e.raw && smbclient --use-kerberos=required \
        //fs.lab.test/vms -c 'mkdir $vm; put /run/e.raw $vm/disk0.raw'" >/dev/null 2>&1 ||
        tap_bail "admin cannot put the test disk on the share"
}

# export_on HOST MODE [PARAM=VALUE...]: start an export on HOST with the
# host's machine ccache (unless the params name keytab=); waits for its
# control socket. EXPORT_ENV (an array) goes in front of nbdkit.
EXPORT_ENV=()
export_on() {
    local host=$1 mode=$2 dir creds; shift 2
    dir=$("$lab" path "$host" dir)
    mkdir -p "$dir/run/vsmigrate/disks"
    rm -f "$dir$sock" "$dir$ctl"
    case " $* " in *" keytab="*) creds=() ;; *) creds=(ccache="$(machine_ccache "$host")") ;; esac
    "$lab" exec "$host" -- env "${EXPORT_ENV[@]}" nbdkit --foreground -P "$sock.pid" --unix "$sock" "$plugin" \
        url="$url" "${creds[@]}" mode="$mode" control="$ctl" "$@" >"$work/nbdkit-$host.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do [ -S "$dir$ctl" ] && return 0; sleep 0.1; done
    sed 's/^/# /' "$work/nbdkit-$host.log"; return 1
}
# export_stop HOST: SIGTERM the export on HOST and wait until it is gone
export_stop() {
    local pidfile
    pidfile=$("$lab" path "$1" dir)$sock.pid
    [ -f "$pidfile" ] || return 0
    kill "$(cat "$pidfile")" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
}
nbd() { echo "nbd+unix:///?socket=$sock"; }
# export_ok "what" HOST MODE [PARAMS]: one case; runs in this shell so the export's PID is kept
export_ok() { local what=$1; shift; if export_on "$@"; then tap_ok "$what"; else tap_not_ok "$what"; fi; }
# has "what" TEXT NEEDLE: one case, passing when TEXT contains NEEDLE
has() { if printf '%s' "$2" | grep -qF -- "$3"; then tap_ok "$1"; else tap_not_ok "$1"; tap_diag "no '$3' in: $2"; fi; }
disk() { local host=$1; shift; timeout 30 "$lab" exec "$host" -- "$disktool" "$@" --control "$ctl"; }
status_of() { disk "$1" status --json; }
share_sha() {   # sha256 of the first $1 bytes of the disk as smbclient reads it
    "$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "get $vm/disk0.raw $work/get.raw" >/dev/null 2>&1
    head -c "$1" "$work/get.raw" | sha256sum | cut -d' ' -f1
}

# where vsmigrate's qemu hook serves the test VM's disk: RUNTIME/disks/<vm>-vda.*
hook_sock=/run/vsmigrate/disks/$vm-vda.sock
hook_ctl=/run/vsmigrate/disks/$vm-vda.ctl
# domain_xml LOCKSPACE: the test VM ($vm, the test guest) as vsmigrate runs it:
# its disk at $url in its metadata, served at $hook_sock, with a lease
domain_xml() { "$lab" vm xml "$vm" --hook --lockspace "$1" --disk-url "$url"; }
