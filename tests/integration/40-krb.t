#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# krb/ against the lab: ws(admin) -> hosta -> hostb with constrained
# delegation, the CIFS hand-off to libsmbclient, message protection, and a
# message of its own for each way it can go wrong.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail

B=vsmigrate/hostb.lab.test@LAB.TEST
C=cifs/fs.lab.test@LAB.TEST
admins_sid=$("$lab" exec fs -- wbinfo --name-to-sid 'LAB\VM Migration Admins' | cut -d' ' -f1)
tap_check "the lab knows the VM Migration Admins group ($admins_sid)" test -n "$admins_sid"

# ---- the two-hop chain ------------------------------------------------------
"$lab" kinit ws admin
file=krb-test-$$.txt
krb_serve hostb 7401
krb_serve hosta 7400 --forward "hostb.lab.test:7401:$B" --cifs "$C" \
    --ccache-dir "$("$lab" path hosta dir)/run/vsmigrate" --smb-put "smb://fs.lab.test/vms/$file" --wrap-test
r=$(krb_connect hosta 7400 --wrap-test)
tap_diag "chain: $r"
tap_check "hosta accepts admin@LAB.TEST (mutual)" test "$(json_get "$r" .client)" = admin@LAB.TEST
tap_check "hosta reads admin's groups from the PAC, VM Migration Admins among them" json_has "$r" '.groups[]' "$admins_sid"
tap_check "a proxy credential came back, and no TGT was forwarded" test "$(json_get "$r" .proxy_credential)" = true
tap_check "hostb accepts, through hosta's S4U2Proxy, as admin@LAB.TEST" test "$(json_get "$r" .forward.client)" = admin@LAB.TEST
tap_check "hostb sees the VM Migration Admins SID in the PAC" json_has "$r" '.forward.groups[]' "$admins_sid"
tap_check "hostb learns from the PAC that hosta\$ delegated" test "$(json_get "$r" '.forward.delegated_by[0]')" = 'hosta$@LAB.TEST'
tap_check "hosta's CIFS ccache is in a 0700 directory" test "$(json_get "$r" .cifs.dir_mode)" = 700
tap_check "libsmbclient writes to //fs.lab.test/vms with hosta's CIFS ccache" test "$(json_get "$r" .cifs.smb_put)" = true
tap_check "removing the CIFS ccache is one call, and it is gone" test "$(json_get "$r" .cifs.removed)" = true
"$lab" exec ws -- smbcacls --use-kerberos=required //fs.lab.test/vms "$file" >"$state_dir/krb-owner.out" 2>&1
tap_grep "the file server records the file as LAB\\admin's (smbcacls)" "OWNER:LAB\\admin" "$state_dir/krb-owner.out"
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "del $file" >/dev/null 2>&1
tap_check "a wrapped message arrives intact and encrypted" test "$(json_get "$r" '.wrap.first.status + " " + (.wrap.first.confidential|tostring)')" = "ok true"
tap_check "the same message sent again is reported as a replay" test "$(json_get "$r" .wrap.replay.status)" = replayed
tap_check "an altered message is reported as tampered" test "$(json_get "$r" .wrap.tampered.status)" = tampered

# ---- each failure, with its own message -----------------------------------------
krb_serve hostb 7411
krb_serve hostc 7410 --forward "hostb.lab.test:7411:$B"
r=$(krb_connect hostc 7410)
tap_diag "hostc: $r"
tap_check "hostc (no delegation rights): 'hostc\$ may not delegate to $B'" json_has "$r" .forward.error "hostc\$@LAB.TEST may not delegate to $B"
tap_check "... and the fix names samba-tool delegation add-service" json_has "$r" .forward.error "samba-tool delegation add-service hostc\$ vsmigrate/hostb.lab.test"
"$lab" exec hostb -- pkill -f "krb-probe serve --port 7411" >/dev/null 2>&1; wait

krb_serve hosta 7420 --s4u vsmigrate/hostc.lab.test@LAB.TEST
r=$(krb_connect hosta 7420)
tap_diag "outside the list: $r"
tap_check "a target outside hosta's list: 'may not delegate to vsmigrate/hostc'" json_has "$r" '.s4u["vsmigrate/hostc.lab.test@LAB.TEST"].error' "hosta\$@LAB.TEST may not delegate to vsmigrate/hostc.lab.test@LAB.TEST"

"$lab" kinit ws sensitive
krb_serve hosta 7430 --s4u "$B"
r=$(krb_connect hosta 7430)
tap_diag "sensitive: $r"
tap_check "the PAC marks sensitive as not delegable" test "$(json_get "$r" .not_delegated)" = true
tap_check "sensitive: 'marked sensitive and cannot be delegated'" json_has "$r" ".s4u[\"$B\"].error" "sensitive@LAB.TEST is marked 'sensitive and cannot be delegated'"

"$lab" kinit ws admin --not-forwardable
krb_serve hosta 7440 --s4u "$B"
r=$(krb_connect hosta 7440)
tap_diag "not forwardable: $r"
tap_check "a non-forwardable TGT: 'ticket is not forwardable ... kinit -f'" json_has "$r" ".s4u[\"$B\"].error" "admin@LAB.TEST's ticket is not forwardable"

"$lab" kinit ws admin --lifetime 2s
sleep 3
r=$(timeout 30 "$lab" exec ws -- "$krbprobe" connect --host hosta.lab.test --port 7449 --spn "vsmigrate/hosta.lab.test@LAB.TEST" | tail -n 1)
tap_diag "expired: $r"
tap_check "an expired ticket: 'has expired: run kinit -f again'" json_has "$r" .error "has expired: run kinit -f again"

"$lab" kinit ws admin
r=$(timeout 30 "$lab" exec ws -- "$krbprobe" connect --host hosta.lab.test --port 7449 --spn "vsmigrate/nosuch.lab.test@LAB.TEST" | tail -n 1)
tap_diag "unknown SPN: $r"
tap_check "an unknown SPN: 'the KDC does not know the service'" json_has "$r" .error "the KDC does not know the service vsmigrate/nosuch.lab.test@LAB.TEST: register the SPN"

"$lab" exec ws -- kdestroy >/dev/null 2>&1
r=$(timeout 30 "$lab" exec ws -- "$krbprobe" connect --host hosta.lab.test --port 7449 --spn "vsmigrate/hosta.lab.test@LAB.TEST" | tail -n 1)
tap_diag "no ticket: $r"
tap_check "no ticket at all: 'run kinit -f'" json_has "$r" .error "no Kerberos ticket to use: run kinit -f"
"$lab" kinit ws admin

# ---- keytabs ------------------------------------------------------------------
r=$(timeout 30 "$lab" exec hosta -- "$krbprobe" serve --port 7450 --keytab /nonexistent/krb5.keytab --spn "vsmigrate/hosta.lab.test@LAB.TEST" | tail -n 1)
tap_check "a missing keytab: 'does not exist'" json_has "$r" .error "the keytab /nonexistent/krb5.keytab does not exist"
r=$(timeout 30 "$lab" exec hosta -- "$krbprobe" serve --port 7451 --keytab "$("$lab" path hostb keytab)" --spn "vsmigrate/hosta.lab.test@LAB.TEST" | tail -n 1)
tap_check "a keytab without the SPN: 'holds no key for vsmigrate/hosta'" json_has "$r" .error "holds no key for vsmigrate/hosta.lab.test@LAB.TEST"
unreadable=$state_dir/unreadable.keytab
cp "$("$lab" path hosta keytab)" "$unreadable"; chmod 000 "$unreadable"
r=$(timeout 30 "$lab" exec hosta -- setpriv --reuid=65534 --regid=65534 --clear-groups "$krbprobe" serve --port 7452 --keytab "$unreadable" --spn "vsmigrate/hosta.lab.test@LAB.TEST" | tail -n 1)
tap_check "an unreadable keytab: 'cannot be read by this process'" json_has "$r" .error "cannot be read by this process"
rm -f "$unreadable"

old=$state_dir/hosta-old.keytab
cp "$("$lab" path hosta keytab)" "$old"
tap_check "lab rekey hosta (a new kvno)" "$lab" rekey hosta
"$lab" kinit ws admin
timeout 60 "$lab" exec hosta -- "$krbprobe" serve --port 7453 --keytab "$old" --spn "vsmigrate/hosta.lab.test@LAB.TEST" >"$state_dir/krb-stale.out" 2>&1 &
sleep 1
krb_connect hosta 7453 >/dev/null
r=$(tail -n 1 "$state_dir/krb-stale.out")
tap_diag "stale keytab: $r"
tap_check "a keytab with an old kvno: 'holds an old key version (kvno)'" json_has "$r" .error "holds an old key version (kvno)"
krb_serve hosta 7454
r=$(krb_connect hosta 7454)
tap_check "with the fresh keytab hosta accepts again" test "$(json_get "$r" .client)" = admin@LAB.TEST
rm -f "$old"

# ---- group names to SIDs, as the host ----------------------------------------------
r=$(timeout 60 "$lab" exec hosta -- "$krbprobe" groups --keytab "$("$lab" path hosta keytab)" \
    --spn vsmigrate/hosta.lab.test@LAB.TEST 'LAB\VM Migration Admins' 'Domain Admins' S-1-5-32-544 | tail -n 1)
tap_diag "groups: $r"
tap_check "hosta resolves 'LAB\VM Migration Admins' to its SID through LDAP" test "$(json_get "$r" '.["LAB\\VM Migration Admins"]')" = "$admins_sid"
tap_check "'Domain Admins' resolves to RID 512" bash -c "[[ '$(json_get "$r" '.["Domain Admins"]')' == S-1-5-21-*-512 ]]"
tap_check "a SID is taken as it is" test "$(json_get "$r" '.["S-1-5-32-544"]')" = S-1-5-32-544
r=$(timeout 60 "$lab" exec hosta -- "$krbprobe" groups --keytab "$("$lab" path hosta keytab)" \
    --spn vsmigrate/hosta.lab.test@LAB.TEST 'LAB\No Such Group' | tail -n 1)
tap_check "an unknown group: 'does not exist in the domain'" json_has "$r" .error "the group 'LAB\No Such Group' does not exist in the domain"
tap_done
