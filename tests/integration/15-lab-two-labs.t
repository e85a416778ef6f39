#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# LAB_NAME selects an independent lab: a second one runs beside the first,
# with its own namespaces, subnet and files, and goes away without touching it.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
other=vsmtwo

LAB_NAME=$other "$lab" down >/dev/null 2>&1
if LAB_NAME=$other "$lab" up >"$state_dir/up-$other.log" 2>&1; then tap_ok "a second lab ($other) comes up beside '$LAB_NAME'"; else
    tap_not_ok "a second lab ($other) comes up"; sed 's/^/# /' "$state_dir/up-$other.log"; tap_done; fi
ip1=$("$lab" path dc ip); ip2=$(LAB_NAME=$other "$lab" path dc ip)
tap_check "the labs have different subnets ($ip1, $ip2)" test "${ip1%.*}" != "${ip2%.*}"
tap_check "the labs have different directories" test "$("$lab" path dc dir)" != "$(LAB_NAME=$other "$lab" path dc dir)"
tap_check "the second lab's namespaces carry its name" bash -c "ip netns list | grep -q '^$other-dc'"
tap_check "kinit works in the second lab" env LAB_NAME=$other "$lab" kinit ws admin
tap_check "the second lab reaches its own DC" env LAB_NAME=$other "$lab" exec ws -- timeout 2 bash -c "exec 3<>/dev/tcp/$ip2/88"
tap_check "the second lab cannot reach the first one's DC" bash -c "! LAB_NAME=$other '$lab' exec ws -- timeout 2 bash -c 'exec 3<>/dev/tcp/$ip1/88' 2>/dev/null"
LAB_NAME=$other "$lab" down >/dev/null 2>&1
tap_check "the second lab's namespaces are gone" bash -c "! ip netns list | grep -q '^$other-'"
tap_check "the first lab still works" "$lab" kinit ws admin
tap_check "the first lab is still all up" "$lab" status
tap_done
