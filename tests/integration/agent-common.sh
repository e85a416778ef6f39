# Shared by the agent tests: vsmigrated on the lab's hosts and the vsmigrate
# CLI on ws. Source after lab-common.sh and lab_up_or_bail.
cli=${VSM_BUILDDIR:-$top/_build/main}/hostagent/vsmigrate
daemon=${VSM_BUILDDIR:-$top/_build/main}/hostagent/vsmigrated
[ -x "$cli" ] && [ -x "$daemon" ] || tap_bail "vsmigrate or vsmigrated is not built: run tests/run (or make)"

# agents_up: every host's agent with the lab's default configuration
agents_up() {
    for h in hosta hostb hostc; do
        "$lab" agent stop "$h" && "$lab" agent defaults "$h" && "$lab" agent start "$h" ||
            tap_bail "vsmigrated did not start on $h: $(tail -5 "$("$lab" path "$h" log)/vsmigrated.log")"
    done
}
# vsm NODE ARGS...: the CLI on NODE (with NODE's tickets)
vsm() { local node=$1; shift; timeout 120 "$lab" exec "$node" -- "$cli" "$@"; }
audit_log() { echo "$("$lab" path "$1" log)/audit.jsonl"; }
agent_log() { echo "$("$lab" path "$1" log)/vsmigrated.log"; }
agent_conf() { echo "$("$lab" path "$1" dir)/vsmigrate/vsmigrated.conf"; }
# audit_has HOST JQ-FILTER: some record of HOST's audit log matches (the
# records slurped: jq -e alone judges only by the last record's output)
audit_has() { jq -e -s "any(.[]; $2)" "$(audit_log "$1")" >/dev/null 2>&1; }
# check_of JSON NAME: "pass" or "fail" for the named check of a --json report;
# reason_of JSON NAME: its reason
check_of() { printf '%s' "$1" | jq -r --arg n "$2" '.checks[] | select(.name == $n) | if .pass then "pass" else "fail" end'; }
reason_of() { printf '%s' "$1" | jq -r --arg n "$2" '.checks[] | select(.name == $n) | .reason'; }
# conf_set HOST SECTION KEY VALUE...: settings in [SECTION] of HOST's agent
# config (each replacing the key's line), then a reload (SIGHUP)
conf_set() {
    local h=$1 section=$2 conf; conf=$(agent_conf "$h"); shift 2
    grep -q "^\[$section\]" "$conf" || printf '[%s]\n' "$section" >>"$conf"
    while [ $# -gt 1 ]; do
        sed -i "/^$1 *=/d" "$conf"
        sed -i "/^\[$section\]/a $1 = $2" "$conf"
        shift 2
    done
    "$lab" agent reload "$h" >/dev/null && sleep 1
}
# migration_set HOST KEY VALUE...: [migration] settings, then a reload
migration_set() { local h=$1; shift; conf_set "$h" migration "$@"; }
# guests_up HOST MEM VM...: each VM's disk and definition put on the share
# (fresh), started on HOST with `vsmigrate start` from ws, and its workload
# running; bails out otherwise
guests_up() {
    local host=$1 mem=$2 v console; shift 2
    for v in "$@"; do
        "$lab" vm put "$v" --memory "$mem" --fresh >/dev/null 2>&1 || tap_bail "putting $v on the share failed"
        out=$(vsm ws start "$v" --on "$host" 2>&1) || tap_bail "vsmigrate start $v failed: $out"
    done
    for v in "$@"; do
        console=$("$lab" path "$host" dir)/var/log/libvirt/qemu/$v-console.log
        for _ in $(seq 1 240); do grep -q 'vsm-workload: running' "$console" 2>/dev/null && break; sleep 0.5; done
        grep -q 'vsm-workload: running' "$console" || tap_bail "$v's workload did not start on $host ($console)"
    done
}
