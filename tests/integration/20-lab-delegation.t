#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Two-hop constrained delegation in the lab: a program with hosta's keytab
# accepts admin from ws and obtains, through S4U2Proxy, tickets as admin for
# vsmigrate/hostb and cifs/fs. It fails from hostc, toward a service outside
# the allowed list, and for the "sensitive" user.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail

B=vsmigrate/hostb.lab.test@LAB.TEST
C=cifs/fs.lab.test@LAB.TEST
"$lab" kinit ws admin

r=$(probe hosta ws 7101 "$B,$C")
tap_diag "hosta: $r"
tap_check "hosta accepts the client admin@LAB.TEST" test "$(json_get "$r" .client)" = admin@LAB.TEST
tap_check "mutual authentication" test "$(json_get "$r" .mutual)" = true
tap_check "a proxy credential came back (no TGT was forwarded)" test "$(json_get "$r" .proxy_credential)" = true
tap_check "S4U2Proxy to $B succeeds" test "$(json_get "$r" ".targets[\"$B\"].ok")" = true
tap_check "S4U2Proxy to $C succeeds" test "$(json_get "$r" ".targets[\"$C\"].ok")" = true
tap_check "the vsmigrate/hostb ticket is admin's" json_has "$r" ".targets[\"$B\"].klist" "Default principal: admin@LAB.TEST"
tap_check "the cifs/fs ticket is admin's" json_has "$r" ".targets[\"$C\"].klist" "Default principal: admin@LAB.TEST"
tap_check "the cifs/fs ticket is there" json_has "$r" ".targets[\"$C\"].klist" "cifs/fs.lab.test@LAB.TEST"

r=$(probe hosta ws 7102 "host/dc.lab.test@LAB.TEST,vsmigrate/hostc.lab.test@LAB.TEST")
tap_diag "hosta, targets outside the list: $r"
tap_check "S4U2Proxy to host/dc (not in the list) is refused" test "$(json_get "$r" '.targets["host/dc.lab.test@LAB.TEST"].ok')" = false
tap_check "S4U2Proxy to vsmigrate/hostc (not in the list) is refused" test "$(json_get "$r" '.targets["vsmigrate/hostc.lab.test@LAB.TEST"].ok')" = false
tap_check "the refusal is the KDC's 'can't fulfill requested option'" json_has "$r" '.targets["host/dc.lab.test@LAB.TEST"].error' "KDC can't fulfill requested option"

r=$(probe hostc ws 7103 "$B,$C")
tap_diag "hostc: $r"
tap_check "hostc accepts admin (authentication works)" test "$(json_get "$r" .client)" = admin@LAB.TEST
tap_check "hostc (no delegation rights) cannot reach $B" test "$(json_get "$r" ".targets[\"$B\"].ok")" = false
tap_check "hostc (no delegation rights) cannot reach $C" test "$(json_get "$r" ".targets[\"$C\"].ok")" = false

"$lab" kinit ws sensitive
r=$(probe hosta ws 7104 "$B,$C")
tap_diag "sensitive: $r"
tap_check "hosta accepts sensitive@LAB.TEST" test "$(json_get "$r" .client)" = sensitive@LAB.TEST
tap_check "S4U2Proxy for sensitive (cannot be delegated) is refused toward $B" test "$(json_get "$r" ".targets[\"$B\"].ok")" = false
tap_check "S4U2Proxy for sensitive is refused toward $C" test "$(json_get "$r" ".targets[\"$C\"].ok")" = false
"$lab" kinit ws admin
tap_done
