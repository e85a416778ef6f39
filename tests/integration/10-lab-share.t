#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The workstation reaches the share with the admin's Kerberos ticket, and the
# file server records admin as the owner of what admin writes.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail

tap_check "lab kinit ws admin" "$lab" kinit ws admin
out=$state_dir/share-ls.out
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c ls >"$out" 2>&1
tap_check "smbclient -k lists //fs.lab.test/vms from ws" test $? -eq 0
"$lab" exec ws -- klist >"$state_dir/ws-klist.out" 2>&1
tap_grep "ws's ccache belongs to admin@LAB.TEST" "Default principal: admin@LAB.TEST" "$state_dir/ws-klist.out"
tap_grep "ws holds a cifs/fs.lab.test ticket" "cifs/fs.lab.test@LAB.TEST" "$state_dir/ws-klist.out"

echo "written by admin" >"$state_dir/owner-test.txt"
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms \
    -c "put $state_dir/owner-test.txt owner-test-$$.txt" >/dev/null 2>&1
tap_check "admin may write to the share" test $? -eq 0
"$lab" exec ws -- smbcacls --use-kerberos=required //fs.lab.test/vms "owner-test-$$.txt" >"$state_dir/owner.out" 2>&1
tap_grep "the file server records LAB\\admin as the file's owner" "OWNER:LAB\\admin" "$state_dir/owner.out"
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "del owner-test-$$.txt" >/dev/null 2>&1

"$lab" exec ws -- smbcacls --use-kerberos=required //fs.lab.test/vms / >"$state_dir/root-acl.out" 2>&1
# exactly what vsmigrate-share provision sets (Samba shows "modify" as RWXD;
# winbind returns names in whichever case it cached first)
want=$(printf '%s\n' 'ACL:Creator Owner:ALLOWED/OI|CI|IO/FULL' 'ACL:LAB\Domain Admins:ALLOWED/OI|CI/FULL' \
    'ACL:LAB\VM Migration Admins:ALLOWED/OI|CI/RWXD' 'ACL:LAB\hosta$:ALLOWED/OI|CI/RWXD' \
    'ACL:LAB\hostb$:ALLOWED/OI|CI/RWXD' 'ACL:LAB\hostc$:ALLOWED/OI|CI/READ' | tr 'A-Z' 'a-z' | sort)
got=$(grep '^ACL:' "$state_dir/root-acl.out" | tr 'A-Z' 'a-z' | sort)
tap_check "the share root's ACL is exactly the provisioned one (no Everyone, no Unix defaults)" test "$got" = "$want"
[ "$got" = "$want" ] || tap_diag "got: $got"
for ace in 'lab\\hosta\$:allowed/oi|ci/rwxd' 'lab\\hostc\$:allowed/oi|ci/read'; do
    tap_check "... including $ace" bash -c "printf '%s\n' \"\$1\" | grep -qx 'acl:$ace'" _ "$got"
done

"$lab" kinit ws mallory
"$lab" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms \
    -c "put $state_dir/owner-test.txt mallory-$$.txt" >"$state_dir/mallory.out" 2>&1
tap_grep "mallory may not write to the share" "NT_STATUS_ACCESS_DENIED" "$state_dir/mallory.out"
tap_done
