# Shared by the lab's integration tests: paths, the lab command, and helpers.
# shellcheck source=../lib/tap.sh
top=${VSM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$top/tests/lib/tap.sh"
lab=$top/tests/lab/lab
export LAB_NAME=${LAB_NAME:-vsm}
state_dir=$top/_build/state
mkdir -p "$state_dir"
command -v jq >/dev/null || tap_bail "jq is missing: run tests/install-deps"

# What on this machine the lab must never touch, as text to compare.
host_state() {
    for f in /etc/nsswitch.conf /etc/hosts /etc/resolv.conf /etc/krb5.conf /etc/krb5.keytab \
             /etc/samba/smb.conf /etc/libvirt/libvirtd.conf /etc/libvirt/qemu.conf; do
        if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
    done
    for d in /var/tmp /run/samba /var/lib/samba /var/cache/samba /var/log/samba \
             /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt /etc/samba; do
        if [ -d "$d" ]; then find "$d" -printf '%p %s %T@\n' | sort; else echo "absent $d"; fi
    done
}

lab_up_or_bail() {
    "$lab" up >"$state_dir/up-$$.log" 2>&1 || { sed 's/^/# /' "$state_dir/up-$$.log"; tap_bail "lab up failed"; }
    rm -f "$state_dir/up-$$.log"
}

# A one-shot s4u-probe server on NODE; prints its JSON result after the
# client from CLIENT_NODE connected. probe NODE CLIENT_NODE PORT TARGETS
probe() {
    local node=$1 client=$2 port=$3 targets=$4
    local out=$state_dir/probe-$node-$port.out
    rm -f "$out"
    timeout 60 "$lab" exec "$node" -- /usr/bin/python3 "$top/tests/lab/s4u-probe.py" serve --port "$port" \
        --keytab "$("$lab" path "$node" keytab)" --s4u "$targets" --store >"$out" 2>&1 &
    local server=$!
    for _ in $(seq 1 50); do grep -q listening "$out" 2>/dev/null && break; sleep 0.1; done
    timeout 60 "$lab" exec "$client" -- /usr/bin/python3 "$top/tests/lab/s4u-probe.py" connect \
        --host "$node.lab.test" --port "$port" --spn "vsmigrate/$node.lab.test@LAB.TEST" >/dev/null 2>&1
    wait "$server"
    tail -n 1 "$out"
}

# json_get JSON EXPR: a value out of JSON, with jq
json_get() { printf '%s' "$1" | jq -r "$2"; }

# json_has JSON EXPR TEXT: the value at EXPR contains TEXT
json_has() { printf '%s' "$1" | jq -r "$2" | grep -qF -- "$3"; }

# krb-probe, vsmigrate's own krb/ library driven against the lab.
krbprobe=${VSM_BUILDDIR:-$top/_build/main}/tests/tools/krb-probe
[ -x "$krbprobe" ] || tap_bail "$krbprobe is not built: run tests/run (or make)"

# krb_serve NODE PORT ARGS...: a one-shot krb-probe server in NODE, in the
# background; waits until it listens (or has failed already).
krb_serve() {
    local node=$1 port=$2; shift 2
    local out=$state_dir/krb-$node-$port.out
    rm -f "$out"
    timeout 60 "$lab" exec "$node" -- "$krbprobe" serve --port "$port" \
        --keytab "$("$lab" path "$node" keytab)" --spn "vsmigrate/$node.lab.test@LAB.TEST" "$@" >"$out" 2>&1 &
    for _ in $(seq 1 50); do grep -qE 'listening|error' "$out" 2>/dev/null && break; sleep 0.1; done
}

# krb_connect NODE PORT [ARGS...]: ws connects to NODE; prints the JSON reply
krb_connect() {
    local node=$1 port=$2; shift 2
    timeout 60 "$lab" exec ws -- "$krbprobe" connect --host "$node.lab.test" --port "$port" \
        --spn "vsmigrate/$node.lab.test@LAB.TEST" "$@" | tail -n 1
    wait
}

# smbio-probe, vsmigrate's smbio/ driven against the lab's file server.
smbioprobe=${VSM_BUILDDIR:-$top/_build/main}/tests/tools/smbio-probe

# machine_ccache HOST: a FILE ccache with HOST's machine account TGT; prints its name
machine_ccache() {
    local cc
    cc=$("$lab" path "$1" dir)/machine.cc
    "$lab" exec "$1" -- kinit -k -t "$("$lab" path "$1" keytab)" -c "FILE:$cc" "$1\$@LAB.TEST" >/dev/null
    echo "FILE:$cc"
}

# smbio HOST MODE URL OPS...: run smbio-probe on HOST with its machine account
smbio() {
    local host=$1; shift
    timeout 60 "$lab" exec "$host" -- "$smbioprobe" "$(machine_ccache "$host")" "$2" "$1" "${@:3}" 2>/dev/null
}

fsync_count() { "$lab" exec fs -- smbstatus -P 2>/dev/null | awk '/^syscall_asys_fsync_count/ {print $2}'; }
