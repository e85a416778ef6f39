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
agent_conf() { echo "$("$lab" path "$1" dir)/vsmigrate/vsmigrated.conf"; }
# audit_has HOST JQ-FILTER: some record of HOST's audit log matches (the
# records slurped: jq -e alone judges only by the last record's output)
audit_has() { jq -e -s "any(.[]; $2)" "$(audit_log "$1")" >/dev/null 2>&1; }
# check_of JSON NAME: "pass" or "fail" for the named check of a --json report;
# reason_of JSON NAME: its reason
check_of() { printf '%s' "$1" | jq -r --arg n "$2" '.checks[] | select(.name == $n) | if .pass then "pass" else "fail" end'; }
reason_of() { printf '%s' "$1" | jq -r --arg n "$2" '.checks[] | select(.name == $n) | .reason'; }
# migration_set HOST KEY VALUE...: [migration] settings in HOST's agent
# config (each replacing the key's line), then a reload (SIGHUP)
migration_set() {
    local h=$1 conf; conf=$(agent_conf "$h"); shift
    while [ $# -gt 1 ]; do
        sed -i "/^$1 *=/d" "$conf"
        sed -i "/^\[migration\]/a $1 = $2" "$conf"
        shift 2
    done
    "$lab" agent reload "$h" >/dev/null && sleep 1
}
