#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# vsmigrated as a systemd Type=notify service (examples/systemd): with
# systemd's part played by tests/tools/sd-notify.py, the agent says READY=1
# only once its socket accepts connections, RELOADING=1 then READY=1 on
# SIGHUP, STOPPING=1 on SIGTERM, and exits 0.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"

grep -q '^Type=notify' "$top/examples/systemd/vsmigrated.service" ||
    tap_bail "examples/systemd/vsmigrated.service is no longer Type=notify: this test checks what that promises"
"$lab" agent stop hostc && "$lab" agent defaults hostc || tap_bail "cannot stop hostc's agent"
out=$("$lab" exec hostc -- timeout 120 /usr/bin/python3 "$top/tests/tools/sd-notify.py" \
    --listening /run/vsmigrate/vsmigrated.sock -- "$daemon" -f -c "$(agent_conf hostc)" 2>/dev/null)
rc=$?
tap_diag "$out"
tap_check "the whole start, reload, stop sequence was seen" test "$rc" -eq 0
tap_check "READY=1 comes first, and the agent's socket accepts connections by then" \
    test "$(printf '%s\n' "$out" | head -1)" = "notify READY=1 accepting=yes"
tap_check "SIGHUP: RELOADING=1, then READY=1 once the new settings are in force" \
    test "$(printf '%s\n' "$out" | sed -n '2,3p' | tr '\n' ' ')" = "notify RELOADING=1 notify READY=1 "
tap_check "SIGTERM: STOPPING=1, then exit status 0" \
    test "$(printf '%s\n' "$out" | sed -n '4,5p' | tr '\n' ' ')" = "notify STOPPING=1 exit 0 "
"$lab" agent start hostc || tap_bail "hostc's agent did not start again"
tap_done
