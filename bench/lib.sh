# Helpers for the bench scripts: medians and the closing JSON line.

# median FILE [COLUMN]: the median of a column of numbers (default 1)
median() {
    awk -v c="${2:-1}" '{print $c}' "$1" | sort -n | awk '{v[NR]=$1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'
}

# calc EXPR: floating point arithmetic
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }

# ---- an ssh unix-socket forward, as Proxmox VE's "secure" migration travels ----
# ssh_setup DIR: keys and an sshd_config in DIR (0700): a host key, a client
# key that root may log in with, unix-socket forwarding allowed. Sets
# SSH_OPTS, the client's options (add -p PORT).
ssh_setup() {
    local d=$1
    command -v /usr/sbin/sshd >/dev/null || { echo "bench: /usr/sbin/sshd is missing: run tests/install-deps (openssh-server)" >&2; return 1; }
    mkdir -p "$d" && chmod 700 "$d"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" </dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$d/client_key" </dev/null
    cp "$d/client_key.pub" "$d/authorized_keys"
    cat >"$d/sshd_config" <<CONF
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
PidFile none
LogLevel ERROR
CONF
    SSH_OPTS=(-i "$d/client_key" -o BatchMode=yes -o StrictHostKeyChecking=no
              -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ExitOnForwardFailure=yes
              -o StreamLocalBindUnlink=yes)
}
# sshd_command DIR PORT PIDFILE [ADDRESS]: the command (for bash -c) that runs
# that sshd in the foreground, its privilege-separation directory made first
# and its pid in PIDFILE (the lab's exec does not end as the process it runs)
sshd_command() {
    echo "mkdir -p /run/sshd && echo \$\$ >$3 && exec /usr/sbin/sshd -D -e -f $1/sshd_config -p $2${4:+ -o ListenAddress=$4}"
}
# pid_kill PIDFILE: kill the process PIDFILE names, if any, and remove PIDFILE
pid_kill() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null; rm -f "$1"; return 0; }
# wait_socket PATH: until PATH is a socket (10 s)
wait_socket() { for _ in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
