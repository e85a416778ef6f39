# tests/lab/vm.sh: the lab's "vm" verbs; sourced by tests/lab/lab.
#
#   lab vm start NAME --on NODE [--memory MiB] [--disk MiB] [--fresh] [--plain]
#                        put NAME's disk and definition on the share and start
#                        it on NODE as vsmigrate does (`vsmigrate start` from
#                        ws as admin: the qemu hook's smbio export, the lock
#                        plugin's lease); --fresh replaces a disk left from an
#                        earlier run; --plain: libvirt alone, without vsmigrate
#                        (nbdkit's file plugin, no lease), for the baselines
#   lab vm put NAME [--memory MiB] [--disk MiB] [--fresh] [--plain]
#                        only put NAME's disk and definition on the share (as
#                        admin from ws), for a `vsmigrate start` of one's own
#   lab vm export NAME --on NODE   start (only) a --plain VM's disk export on NODE
#   lab vm verify NAME [--json]    read NAME's disk from the share and check its records
#   lab vm writers [--died HOST[:PID]@T_MS]... NAME
#                                  who held NAME's disk vda writer handle, when: the
#                                  hosts' export journals lined up (one JSON line:
#                                  takes, switches, overlaps; exit 1 on an overlap);
#                                  --died: an export killed -9 (or its host's power)
#   lab vm where NAME              the hosts NAME runs on, one per line
#   lab vm ip NAME                 the guest's address on the lan (its TCP echo: port 7)
#   lab vm destroy NAME            stop NAME and its exports everywhere (the disk stays)
#   lab vm xml NAME [--memory MiB] [--disk-url URL] [--hook [--lockspace LS]]
#                                  print NAME's definition; with --hook, as
#                                  vsmigrate runs it: its disk served by the qemu
#                                  hook's export, with a lease (lockspace vsmigrate)
#
# Every lab VM runs as vsmigrate runs it: its disk served by smbio, fenced by
# the file server, handed over by the lock plugin. The one exception is
# --plain, which the baselines use (30-lab-migrate-baseline, bench/migration's
# plain virsh migrate): plain libvirt cannot hand a fenced writer over (that
# is what vsmigrate adds), so its disk is nbdkit's file plugin on the share's
# directory, unfenced, as libvirt alone would have it.

vm_socket() { echo "/run/vsmigrate/disks/$1-disk0.sock"; }
# the guest's address on the lan (one segment with the lab's nodes), by its name
vm_ip() { echo "$NET.$(( 200 + $(printf '%s' "$1" | cksum | cut -d' ' -f1) % 50 ))"; }
vm_share_dir() { echo "$L/fs/vms/$1"; }

vm_parse() {  # sets vm_name, vm_node, vm_mem, vm_disk, vm_json
    vm_name=${1:?usage: lab vm VERB NAME ...}; shift
    [[ $vm_name =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "VM names are lowercase letters, digits and '-'"
    vm_node="" vm_mem=256 vm_disk=32 vm_json=0 vm_fresh=0 vm_hook=0 vm_lockspace=vsmigrate vm_url= vm_plain=0
    while [ $# -gt 0 ]; do
        case $1 in
            --on) vm_node=$2; shift ;;
            --memory) vm_mem=$2; shift ;;
            --disk) vm_disk=$2; shift ;;
            --json) vm_json=1 ;;
            --fresh) vm_fresh=1 ;;
            --plain) vm_plain=1 ;;
            --hook) vm_hook=1 ;;
            --lockspace) vm_lockspace=$2; shift ;;
            --disk-url) vm_url=$2; shift ;;
            *) die "lab vm: unknown option $1" ;;
        esac
        shift
    done
    if [ -n "$vm_node" ]; then is_host "$vm_node" || die "--on takes a host: $LAB_HOSTS"; fi
}

vm_xml() {   # vm_xml NAME MEM GUESTDIR (and vm_hook, vm_lockspace, vm_url from vm_parse)
    local name=$1 mem=$2 guest=$3 url=${vm_url:-smb://fs.$LAB_DNS/vms/$1/$1.raw} sock lease=""
    sock=$(vm_socket "$name")
    if [ "${vm_hook:-0}" -eq 1 ]; then
        # where vsmigrate's qemu hook serves the disk, and the lock plugin's lease on it
        sock=/run/vsmigrate/disks/$name-vda.sock
        lease="    <lease><lockspace>$vm_lockspace</lockspace><key>vda</key><target path='/run/vsmigrate/disks/$name-vda.ctl'/></lease>"
    fi
    cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$guest/vmlinuz</kernel>
    <initrd>$guest/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vsm.mem=$((mem / 4)) vsm.ip=$(vm_ip "$name")/24</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <features><acpi/><apic/></features>
  <metadata>
    <vsm:vm xmlns:vsm='https://vsmigrate.org/xmlns/vm/1'>
      <vsm:disk target='vda' url='$url'/>
    </vsm:vm>
  </metadata>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='network' device='disk'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' rerror_policy='stop'/>
      <source protocol='nbd'><host transport='unix' socket='$sock'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
$lease
    <interface type='network'>
      <source network='lan'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='/var/log/libvirt/qemu/$name-console.log'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

vm_export_up() {   # vm_export_up NAME NODE
    local name=$1 node=$2 sock
    sock=$(vm_socket "$name")
    daemon_alive "$node" "export-$name" && return 0
    mkdir -p "$L/$node/run/vsmigrate/disks"
    rm -f "$L/$node$sock"
    start_daemon "$node" "export-$name" nbdkit --foreground \
        --unix "$sock" file "$(vm_share_dir "$name")/$name.raw"
    wait_for 30 "$name's disk export on $node" test -S "$L/$node$sock"
}

# vm_put: NAME's disk and definition on the share (vm_parse's settings)
vm_put() {
    local guest tmp
    guest=$("$top/tests/guest/build") || die "building the test guest failed"
    cmd_kinit ws admin
    if [ -n "$(vm_where "$vm_name")" ]; then
        die "$vm_name already runs on $(vm_where "$vm_name" | tr '\n' ' ')"
    fi
    if [ "$vm_fresh" -eq 1 ] && [ -d "$(vm_share_dir "$vm_name")" ]; then
        # vm_destroy parses its own arguments: keep ours
        local name=$vm_name node=$vm_node mem=$vm_mem disk=$vm_disk plain=$vm_plain
        vm_destroy "$vm_name"
        vm_name=$name vm_node=$node vm_mem=$mem vm_disk=$disk vm_plain=$plain
        enter ws smbclient --use-kerberos=required "//fs.$LAB_DNS/vms" -c "deltree $vm_name" >/dev/null 2>&1 ||
            die "removing $vm_name's old disk from the share failed"
    fi
    if [ ! -f "$(vm_share_dir "$vm_name")/$vm_name.raw" ]; then
        tmp=$L/ws/tmp-$vm_name
        mkdir -p "$tmp"
        truncate -s "${vm_disk}M" "$tmp/$vm_name.raw"
        [ "$vm_plain" -eq 1 ] || vm_hook=1
        vm_xml "$vm_name" "$vm_mem" "$guest" >"$tmp/$vm_name.xml"
        enter ws smbclient --use-kerberos=required "//fs.$LAB_DNS/vms" \
            -c "mkdir $vm_name; put $tmp/$vm_name.raw $vm_name/$vm_name.raw; put $tmp/$vm_name.xml $vm_name/$vm_name.xml" \
            >"$L/ws/log/vm-$vm_name.log" 2>&1 ||
            { cat "$L/ws/log/vm-$vm_name.log" >&2; die "putting $vm_name on the share failed"; }
        rm -rf "$tmp"
    fi
}

vm_start() {
    vm_parse "$@"
    [ -n "$vm_node" ] || die "usage: lab vm start NAME --on NODE"
    vm_put
    if [ "$vm_plain" -eq 1 ]; then
        vm_export_up "$vm_name" "$vm_node"
        enter "$vm_node" virsh -q create "$(vm_share_dir "$vm_name")/$vm_name.xml" >/dev/null ||
            die "virsh create $vm_name on $vm_node failed"
    else
        daemon_alive "$vm_node" vsmigrated || cmd_agent start "$vm_node"
        enter ws "$builddir/hostagent/vsmigrate" start "$vm_name" --on "$vm_node" >"$L/ws/log/vm-$vm_name.log" 2>&1 ||
            { cat "$L/ws/log/vm-$vm_name.log" >&2; die "vsmigrate start $vm_name --on $vm_node failed"; }
    fi
    local console=$L/$vm_node/var/log/libvirt/qemu/$vm_name-console.log
    wait_for 90 "$vm_name's workload to start on $vm_node (console: $console)" \
        grep -q 'vsm-workload: running' "$console"
    echo "lab vm: $vm_name runs on $vm_node"
}

vm_where() {
    vm_parse "$@"
    for h in $LAB_HOSTS; do
        [ "$(enter "$h" virsh -q domstate "$vm_name" 2>/dev/null)" = running ] && echo "$h"
    done
    return 0
}

vm_verify() {
    vm_parse "$@"
    local guest img=$L/ws/verify-$vm_name.raw
    guest=$("$top/tests/guest/build") || die "building the test guest failed"
    cmd_kinit ws admin
    enter ws smbclient --use-kerberos=required "//fs.$LAB_DNS/vms" -c "get $vm_name/$vm_name.raw $img" \
        >"$L/ws/log/verify-$vm_name.log" 2>&1 ||
        { cat "$L/ws/log/verify-$vm_name.log" >&2; die "reading $vm_name's disk from the share failed"; }
    local rc=0
    if [ "$vm_json" -eq 1 ]; then
        "$guest/vsm-guest-verify" --json "$img" || rc=$?
    else
        "$guest/vsm-guest-verify" "$img" || rc=$?
    fi
    rm -f "$img"
    return $rc
}

vm_destroy() {
    vm_parse "$@"
    for h in $LAB_HOSTS; do
        enter "$h" virsh -q destroy "$vm_name" >/dev/null 2>&1 || true
        enter "$h" virsh -q undefine "$vm_name" >/dev/null 2>&1 || true
        if daemon_alive "$h" "export-$vm_name"; then
            kill "$(cat "$L/$h/pids/export-$vm_name")" 2>/dev/null || true
        fi
        rm -f "$L/$h/pids/export-$vm_name"
    done
}

cmd_vm() {
    local verb=${1:-}; [ $# -gt 0 ] && shift
    [ -f "$L/up.done" ] || die "lab $LAB_NAME is not up: run tests/lab/lab up"
    case $verb in
        start) vm_start "$@" ;;
        put) vm_parse "$@"; vm_put; echo "lab vm: $vm_name's disk and definition are on the share" ;;
        export) vm_parse "$@"; [ -n "$vm_node" ] || die "usage: lab vm export NAME --on NODE"
                vm_export_up "$vm_name" "$vm_node" ;;
        verify) vm_verify "$@" ;;
        where) vm_where "$@" ;;
        ip) vm_parse "$@"; vm_ip "$vm_name" ;;
        writers) local died=()
                 while [ "${1:-}" = --died ]; do died+=(--died "$2"); shift 2; done
                 vm_parse "$@"
                 "$top/tests/tools/writer-journal.py" "${died[@]}" $(for h in $LAB_HOSTS; do
                     echo "$L/$h/run/vsmigrate/disks/$vm_name-vda.writer.log"; done) ;;
        destroy) vm_destroy "$@" ;;
        xml) vm_parse "$@"; vm_xml "$vm_name" "$vm_mem" "$("$top/tests/guest/build")" ;;
        *) die "lab vm: VERB is one of start put export verify where writers destroy xml ip" ;;
    esac
}
