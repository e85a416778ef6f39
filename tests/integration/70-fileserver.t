#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# fileserver-hooks against the lab's Samba file server: vsmigrate-share
# provision on a fresh share (checked with Samba's own smbcacls), idempotence
# and --dry-run; a read-only host's disk access; check against a missing ACE
# and a server forced to SMB2; vsmigrate doctor on hosta, hostc and with a
# stale keytab.
. "$(dirname "$0")/lab-common.sh"
tap_require_root_netns
lab_up_or_bail
. "$(dirname "$0")/agent-common.sh"
. "$(dirname "$0")/smbio-common.sh"
tool=${VSM_BUILDDIR:-$top/_build/main}/fileserver-hooks/vsmigrate-share
[ -x "$tool" ] || tap_bail "vsmigrate-share is not built"
agents_up

fs_dir=$("$lab" path fs dir)
share=fresh$$
roles=(--hosts 'hosta$,hostb$' --read-only-hosts 'hostc$' --admins 'LAB\VM Migration Admins')
vshare() { timeout 120 "$lab" exec ws -- "$tool" "$@"; }
acl_of() {  # the share root's ACEs as smbcacls prints them, sorted
    "$lab" exec ws -- smbcacls "//fs.lab.test/$1" / --use-kerberos=required </dev/null 2>/dev/null |
        grep '^ACL:' | tr 'A-Z' 'a-z' | sort
}
"$lab" kinit ws Administrator

# ---- provision ----------------------------------------------------------------------------
out=$(vshare provision "//fs.lab.test/$share" "${roles[@]}" 2>&1); rc=$?
tap_check "a missing share without --path: exit 6, and the message asks for --path" \
    bash -c "[ $rc -eq 6 ] && printf '%s' \"\$1\" | grep -q 'give --path'" _ "$out"
out=$(vshare provision "//fs.lab.test/$share" "${roles[@]}" --path "$fs_dir/shares/$share" 2>&1); rc=$?
tap_check "a --path that does not exist on the server: exit 6, 'create it there first'" \
    bash -c "[ $rc -eq 6 ] && printf '%s' \"\$1\" | grep -q 'does not exist on fs.lab.test: create it there first'" _ "$out"
mkdir -p "$fs_dir/shares/$share"
out=$(vshare provision "//fs.lab.test/$share" "${roles[@]}" --path "$fs_dir/shares/$share" --dry-run 2>&1); rc=$?
tap_check "--dry-run on a missing share says what it would create (exit 0)" \
    bash -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q 'would create the share'" _ "$out"
tap_check "... and creates nothing" bash -c "! grep -q '^\[$share\]' '$fs_dir/etc/samba/vsmigrate-shares.conf'"
out=$(vshare provision "//fs.lab.test/$share" "${roles[@]}" --path "$fs_dir/shares/$share" 2>&1); rc=$?
tap_diag "$(printf '%s' "$out" | tail -3)"
tap_check "provision creates the share through NetShareAdd and sets the ACL (exit 0)" test "$rc" -eq 0
tap_check "... Samba's add share command wrote the share with the VM settings included" \
    grep -q "include = $top/fileserver-hooks/samba/vms-share.conf" "$fs_dir/etc/samba/vsmigrate-shares.conf"
want=$(printf '%s\n' 'ACL:Creator Owner:ALLOWED/OI|CI|IO/FULL' 'ACL:LAB\Domain Admins:ALLOWED/OI|CI/FULL' \
    'ACL:LAB\VM Migration Admins:ALLOWED/OI|CI/RWXD' 'ACL:LAB\hosta$:ALLOWED/OI|CI/RWXD' \
    'ACL:LAB\hostb$:ALLOWED/OI|CI/RWXD' 'ACL:LAB\hostc$:ALLOWED/OI|CI/READ' | tr 'A-Z' 'a-z' | sort)
got=$(acl_of "$share")
tap_check "smbcacls shows exactly the expected ACEs (the server's defaults gone from a new share)" test "$got" = "$want"
[ "$got" = "$want" ] || tap_diag "got: $got"
out=$(vshare provision "//fs.lab.test/$share" "${roles[@]}" 2>&1); rc=$?
tap_check "a second run changes nothing (exit 0, 'nothing to change')" \
    bash -c "[ $rc -eq 0 ] && printf '%s' \"\$1\" | grep -q 'nothing to change'" _ "$out"
tap_check "... and the ACL is the same" test "$(acl_of "$share")" = "$want"

# someone else's ACE stays; a changed role is put right; --dry-run shows it and changes nothing
"$lab" exec ws -- smbcacls "//fs.lab.test/$share" / --use-kerberos=required </dev/null \
    -a 'ACL:LAB\mallory:ALLOWED/OI|CI/READ' >/dev/null 2>&1
"$lab" exec ws -- smbcacls "//fs.lab.test/$share" / --use-kerberos=required </dev/null \
    -M 'ACL:LAB\hostc$:ALLOWED/OI|CI/FULL' >/dev/null 2>&1
before=$(acl_of "$share")
out=$(vshare provision "//fs.lab.test/$share" "${roles[@]}" --dry-run 2>&1); rc=$?
tap_diag "$(printf '%s' "$out" | sed -n '/diff:/,$p')"
tap_check "--dry-run prints the diff: hostc\$'s FULL removed, READ added" \
    bash -c "printf '%s' \"\$1\" | grep -q '^  - ALLOWED OI|CI     FULL   LAB.hostc' && printf '%s' \"\$1\" | grep -q '^  + ALLOWED OI|CI     READ   hostc'" _ "$out"
tap_check "... mallory's ACE (not ours) is kept in the plan" \
    bash -c "printf '%s' \"\$1\" | grep -q '^    ALLOWED OI|CI     READ   LAB.mallory'" _ "$out"
tap_check "... and nothing changed on the server" test "$(acl_of "$share")" = "$before"
vshare provision "//fs.lab.test/$share" "${roles[@]}" >/dev/null 2>&1
got=$(acl_of "$share")
tap_check "provision puts hostc back to READ and keeps mallory's ACE" \
    bash -c "printf '%s\n' \"\$1\" | grep -qx 'acl:lab.hostc\\\$:allowed/oi|ci/read' && printf '%s\n' \"\$1\" | grep -q 'acl:lab.mallory:'" _ "$got"
vshare provision "//fs.lab.test/$share" "${roles[@]}" --exact >/dev/null 2>&1
tap_check "--exact removes the ACEs it did not add" test "$(acl_of "$share")" = "$want"

# ---- check --------------------------------------------------------------------------------
r=$(vshare check "//fs.lab.test/$share" "${roles[@]}" --json); rc=$?
tap_check "check on the provisioned share passes (exit 0)" test "$rc" -eq 0 -a "$(json_get "$r" .ok)" = true
tap_check "... SMB3 negotiated, signing required, and the write test as Administrator" \
    bash -c "printf '%s' \"\$1\" | jq -e '[.checks[] | select(.result==\"pass\") | .name] | (index(\"dialect\") and index(\"signing\") and index(\"write\"))' >/dev/null" _ "$r"
"$lab" exec ws -- smbcacls "//fs.lab.test/$share" / --use-kerberos=required </dev/null \
    -D 'ACL:LAB\hostb$:ALLOWED/OI|CI/RWXD' >/dev/null 2>&1
r=$(vshare check "//fs.lab.test/$share" "${roles[@]}" --json); rc=$?
tap_check "check flags the missing hostb\$ ACE (exit 1) and names the fix" \
    bash -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | jq -e '.checks[] | select(.name==\"ace hostb\$\" and .result==\"fail\") | .text | contains(\"run vsmigrate-share provision\")' >/dev/null" _ "$r"
vshare provision "//fs.lab.test/$share" "${roles[@]}" >/dev/null 2>&1
conf=$fs_dir/etc/samba/smb.conf
cp "$conf" "$work/smb.conf.orig"
sed -i "/vms-global.conf/a\\    server min protocol = SMB2_02\\n    server max protocol = SMB2_10" "$conf"
"$lab" exec fs -- smbcontrol smbd reload-config >/dev/null 2>&1
sleep 1
r=$(vshare check "//fs.lab.test/$share" "${roles[@]}" --json); rc=$?
tap_diag "SMB2 server: $(printf '%s' "$r" | jq -r '.checks[] | select(.name=="dialect") | .text')"
tap_check "check flags a server forced to SMB2 (exit 1, dialect fails and says SMB3)" \
    bash -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | jq -e '.checks[] | select(.name==\"dialect\" and .result==\"fail\") | .text | contains(\"SMB2 only\")' >/dev/null" _ "$r"
cp "$work/smb.conf.orig" "$conf"
"$lab" exec fs -- smbcontrol smbd reload-config >/dev/null 2>&1
sleep 1
r=$(vshare check "//fs.lab.test/$share" "${roles[@]}" --json); rc=$?
tap_check "... and passes again once the server is back to SMB3" test "$rc" -eq 0

# ---- the read-only host -----------------------------------------------------------------------
smbio_disk_on_share 16M
out=$("$lab" exec hostc -- "$disktool" probe "$url" --ccache "$(machine_ccache hostc)" 2>&1); rc=$?
tap_check "hostc (read-only) opens a disk read-only" test "$rc" -eq 0
export_ok "hostc exports the disk standby" hostc standby
out=$(disk hostc promote 2>&1); rc=$?
tap_diag "hostc promote: $out"
tap_check "... but its promote is refused by the file server's ACL (exit 1, access denied)" \
    bash -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | grep -q 'refused read-write access to $url for hostc\\\$@LAB.TEST'" _ "$out"
tap_check "... and the export stays standby" test "$(json_get "$(status_of hostc)" .mode)" = standby
export_stop hostc
out=$("$lab" exec hosta -- "$disktool" probe "$url" --ccache "$(machine_ccache hosta)" --write 2>&1); rc=$?
tap_check "hosta opens the same disk read-write" test "$rc" -eq 0

# ---- a definition replaced whole (vsmigrate-disk put, what a move writes back) ----------------
defurl=smb://fs.lab.test/vms/$vm/$vm.xml
put() { "$lab" exec "$1" -- "$disktool" put "$defurl" --from "$2" --ccache "$(machine_ccache "$1")" "${@:3}"; }
cat_def() { "$lab" exec hosta -- "$disktool" cat "$defurl" --ccache "$(machine_ccache hosta)"; }
export -f put cat_def machine_ccache
export lab disktool defurl
printf '<domain>first</domain>\n' >"$work/def1.xml"
printf '<domain>second, longer than the first</domain>\n' >"$work/def2.xml"
tap_check "hosta puts a definition on the share (exit 0), and cat reads it back the same" \
    bash -c 'put hosta "$1" >/dev/null && [ "$(cat_def)" = "$(cat "$1")" ]' _ "$work/def1.xml"
out=$(put hosta "$work/def2.xml" --json); rc=$?
tap_check "... a second put replaces it whole (exit 0, ok in JSON)" \
    bash -c '[ "$1" -eq 0 ] && jq -e ".ok and .access == \"replace\"" <<<"$2" >/dev/null && [ "$(cat_def)" = "$(cat "$3")" ]' _ "$rc" "$out" "$work/def2.xml"
tap_check "... and leaves no .vsm-new file beside it" \
    bash -c '! "$1" exec ws -- smbclient --use-kerberos=required //fs.lab.test/vms -c "ls $2/*" 2>/dev/null | grep -q vsm-new' _ "$lab" "$vm"
out=$(put hostc "$work/def1.xml" 2>&1); rc=$?
tap_diag "hostc put: $out"
tap_check "hostc (read-only) may not put: exit 1, naming the account and the fix; the file is unchanged" \
    bash -c '[ "$1" -eq 1 ] && grep -q "refused to let hostc\$@LAB.TEST create .*Modify" <<<"$2" && [ "$(cat_def)" = "$(cat "$3")" ]' _ "$rc" "$out" "$work/def2.xml"
head -c 1100000 /dev/zero >"$work/big.xml"
out=$(put hosta "$work/big.xml" 2>&1); rc=$?
tap_check "a file over 1 MiB is refused before anything is written (exit 1, says why)" \
    bash -c '[ "$1" -eq 1 ] && grep -q "more than 1048576 bytes" <<<"$2" && [ "$(cat_def)" = "$(cat "$3")" ]' _ "$rc" "$out" "$work/def2.xml"
out=$("$lab" exec hosta -- "$disktool" put "$defurl" --ccache "$(machine_ccache hosta)" 2>&1); rc=$?
tap_check "put without --from is a usage error (exit 2)" test "$rc" -eq 2

# ---- doctor ---------------------------------------------------------------------------------
doctor() { local h=$1; shift; timeout 180 "$lab" exec "$h" -- "$cli" doctor --config "$(agent_conf "$h")" --share //fs.lab.test/vms --json "$@"; }
result_of() { printf '%s' "$1" | jq -r --arg n "$2" '.checks[] | select(.name == $n) | .result'; }
text_of() { printf '%s' "$1" | jq -r --arg n "$2" '.checks[] | select(.name == $n) | .text'; }
r=$(doctor hosta --peer hostb.lab.test); rc=$?
tap_diag "hosta: $(printf '%s' "$r" | jq -c '[.checks[] | "\(.name)=\(.result)"]')"
tap_check "doctor on hosta passes (exit 0)" test "$rc" -eq 0 -a "$(json_get "$r" .ok)" = true
for c in "dns hosta.lab.test" "dns hostb.lab.test" keytab clock "delegation vsmigrate/hostb.lab.test" \
         "delegation cifs/fs.lab.test" libvirt "port hostb.lab.test" "networks hostb.lab.test" "share write"; do
    tap_check "... '$c' passes" test "$(result_of "$r" "$c")" = pass
done
r=$(doctor hostc --peer hosta.lab.test); rc=$?
tap_diag "hostc: $(printf '%s' "$r" | jq -c '[.checks[] | select(.result=="fail") | .name]')"
tap_check "doctor on hostc fails (exit 1)" test "$rc" -eq 1
tap_check "... delegation toward hosta fails, with the samba-tool and Set-ADComputer fix" \
    bash -c "[ \"\$(printf '%s' \"\$1\" | jq -r '.checks[] | select(.name==\"delegation vsmigrate/hosta.lab.test\") | .result')\" = fail ] && printf '%s' \"\$1\" | grep -q 'samba-tool delegation add-service hostc\\\$ vsmigrate/hosta.lab.test'" _ "$r"
tap_check "... the network check fails: no 'lan' here, define it" \
    bash -c "[ '$(result_of "$r" "networks hosta.lab.test")' = fail ] && printf '%s' \"\$1\" | grep -q \"no libvirt network 'lan'\"" _ "$(text_of "$r" "networks hosta.lab.test")"
tap_check "... while DNS and the keytab pass on hostc" test "$(result_of "$r" keytab)" = pass -a "$(result_of "$r" "dns hostc.lab.test")" = pass

kt=$("$lab" path hosta keytab)
cp "$kt" "$work/hosta.keytab.old"
"$lab" rekey hosta >/dev/null 2>&1
cp "$work/hosta.keytab.old" "$kt"
r=$(doctor hosta --peer hostb.lab.test); rc=$?
tap_diag "stale: $(text_of "$r" keytab)"
tap_check "with hosta's keytab made stale, doctor fails (exit 1) and names the keytab" \
    bash -c "[ $rc -eq 1 ] && [ '$(result_of "$r" keytab)' = fail ] && printf '%s' \"\$1\" | grep -q 'holds a stale key for hosta\\\$@LAB.TEST.*export a fresh keytab'" _ "$(text_of "$r" keytab)"
"$lab" rekey hosta >/dev/null 2>&1
"$lab" agent restart hosta >/dev/null
r=$(doctor hosta --peer hostb.lab.test); rc=$?
tap_check "with a fresh keytab it passes again" test "$rc" -eq 0

out=$("$cli" doctor --config /nonexistent/vsmigrated.conf 2>&1); rc=$?
tap_check "doctor with a missing configuration fails and says which file" \
    bash -c "[ $rc -eq 1 ] && printf '%s' \"\$1\" | grep -q '/nonexistent/vsmigrated.conf'" _ "$out"
tap_done
