# tests/lab/fault.sh: the lab's "fault" verbs, for tests/faults; sourced by
# tests/lab/lab. Each strikes one part of the lab the way the real fault
# would, and its pair puts the part back as systemd (or the power) would.
#
#   lab fault pid HOST agent|libvirtd|qemu VM|export VM
#                          the PID of that process on HOST (exit 1: none)
#   lab fault kill HOST agent|libvirtd|qemu VM|export VM
#                          kill -9 it (nothing closes cleanly)
#   lab fault revive HOST  start what is missing on HOST: libvirtd (with its
#                          lan network) and vsmigrated
#   lab fault cut A B      drop every packet between hosts A and B, both links
#                          (nftables in both namespaces; nothing is closed)
#   lab fault mend A B     let them through again
#   lab fault power-off HOST
#                          HOST loses power: every packet in or out dropped
#                          first, then every process killed -9, so no FIN and
#                          no RST ever leaves it
#   lab fault power-on HOST
#                          the packets flow again; libvirtd and vsmigrated start
#   lab fault kdc-stop | kdc-start
#                          the Samba AD DC (the KDC) stops | starts again
#   lab fault smbd-restart the file server's smbd restarts (all its processes
#                          end with SIGTERM, as systemctl restart smbd does)

fault_ns_pids() { ip netns pids "$(ns_of "$1")" 2>/dev/null; }

# fault_pid HOST WHAT [VM]: one PID, or nothing
fault_pid() {
    local host=$1 what=$2 vm=${3:-} p comm args
    case $what in
        agent) daemon_alive "$host" vsmigrated && cat "$L/$host/pids/vsmigrated"; return 0 ;;
        libvirtd) daemon_alive "$host" libvirtd && pgrep -P "$(cat "$L/$host/pids/libvirtd")" -x libvirtd | head -n 1
                  return 0 ;;
        qemu|export) [ -n "$vm" ] || die "lab fault $what needs the VM's name" ;;
        *) die "lab fault: agent, libvirtd, qemu VM or export VM" ;;
    esac
    for p in $(fault_ns_pids "$host"); do
        comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
        args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
        if [ "$what" = qemu ] && [[ $comm == qemu-system* ]] && [[ $args == *"guest=$vm,"* ]]; then
            echo "$p"; return 0
        fi
        if [ "$what" = export ] && [ "$comm" = nbdkit ] && [[ $args == *"/disks/$vm-"* ]]; then
            echo "$p"; return 0
        fi
    done
}

fault_revive() {
    local host=$1
    if ! daemon_alive "$host" libvirtd; then
        start_daemon "$host" libvirtd tini -s -- libvirtd --listen -f /etc/libvirt/libvirtd.conf
        wait_for 120 "libvirtd on $host" enter "$host" virsh -q version
    fi
    if [ "$host" != hostc ] && [ "$(enter "$host" virsh -q net-info lan 2>/dev/null | awk '/^Active/ {print $2}')" != yes ]; then
        enter "$host" virsh -q net-start lan >/dev/null
    fi
    cmd_agent start "$host"
}

# fault_rules HOST TABLE RULES: an nftables table in HOST's namespace
fault_rules() {
    ip netns exec "$(ns_of "$1")" nft -f - <<NFT
table inet $2 {
    chain in { type filter hook input priority -100; policy accept; $3 }
    chain out { type filter hook output priority -100; policy accept; $4 }
}
NFT
}

fault_cut() {
    local a=$1 b=$2
    fault_rules "$a" vsmcut "ip saddr { $(ip_of "$b"), $MIGNET.${LAB_OCTET[$b]} } drop;" \
        "ip daddr { $(ip_of "$b"), $MIGNET.${LAB_OCTET[$b]} } drop;"
    fault_rules "$b" vsmcut "ip saddr { $(ip_of "$a"), $MIGNET.${LAB_OCTET[$a]} } drop;" \
        "ip daddr { $(ip_of "$a"), $MIGNET.${LAB_OCTET[$a]} } drop;"
}

fault_mend() {
    ip netns exec "$(ns_of "$1")" nft delete table inet vsmcut 2>/dev/null || true
    ip netns exec "$(ns_of "$2")" nft delete table inet vsmcut 2>/dev/null || true
}

fault_power_off() {
    local host=$1 p
    fault_rules "$host" vsmpower 'iifname != "lo" drop;' 'oifname != "lo" drop;'
    for p in $(fault_ns_pids "$host"); do kill -KILL "$p" 2>/dev/null || true; done
    for _ in $(seq 1 50); do [ -z "$(fault_ns_pids "$host")" ] && break; sleep 0.1; done
    rm -f "$L/$host/pids/"*
}

fault_power_on() {
    local host=$1
    ip netns exec "$(ns_of "$host")" nft delete table inet vsmpower 2>/dev/null || true
    # what a reboot clears: the runtime directories
    rm -rf "$L/$host/run/vsmigrate/disks" "$L/$host/run/vsmigrate/jobs" "$L/$host/run/vsmigrate/test-hooks"
    fault_revive "$host"
}

fault_kdc_stop() {
    local p
    for p in $(fault_ns_pids dc); do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 1 100); do [ -z "$(fault_ns_pids dc)" ] && break; sleep 0.1; done
    for p in $(fault_ns_pids dc); do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "$L/dc/pids/samba"
}

fault_smbd_restart() {
    local p
    for p in $(fault_ns_pids fs); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = smbd ] && kill -TERM "$p" 2>/dev/null
    done
    for _ in $(seq 1 100); do daemon_alive fs smbd || break; sleep 0.1; done
    daemon_alive fs smbd && kill -KILL "$(cat "$L/fs/pids/smbd")"
    start_daemon fs smbd smbd -F --no-process-group --debug-stdout
    wait_for 60 "smbd on fs (port 445)" tcp_open fs "$(ip_of fs)" 445
}

cmd_fault() {
    local verb=${1:-}; [ $# -gt 0 ] && shift
    [ -f "$L/up.done" ] || die "lab $LAB_NAME is not up: run tests/lab/lab up"
    case $verb in
        pid) is_host "${1:-}" || die "usage: lab fault pid HOST WHAT [VM]"
             local p; p=$(fault_pid "$@"); [ -n "$p" ] || return 1; echo "$p" ;;
        kill) is_host "${1:-}" || die "usage: lab fault kill HOST WHAT [VM]"
              local p; p=$(fault_pid "$@"); [ -n "$p" ] || die "no $2 ${3:-} runs on $1"
              kill -KILL "$p" ;;
        revive) is_host "${1:-}" || die "usage: lab fault revive HOST"; fault_revive "$1" ;;
        cut|mend) is_host "${1:-}" && is_host "${2:-}" || die "usage: lab fault $verb HOST HOST"
                  "fault_$verb" "$1" "$2" ;;
        power-off|power-on) is_host "${1:-}" || die "usage: lab fault $verb HOST"
                            "fault_${verb/-/_}" "$1" ;;
        kdc-stop) fault_kdc_stop ;;
        kdc-start) dc_up ;;
        smbd-restart) fault_smbd_restart ;;
        *) die "lab fault: pid kill revive cut mend power-off power-on kdc-stop kdc-start smbd-restart" ;;
    esac
}
