"""Create the lab's users, group, and host computer accounts in one go.

Runs against the DC's sam.ldb before the DC starts (faster and race-free than
~30 samba-tool calls). Settings come from the environment (see lab.conf).
"""
import os
import sys

import ldb
from samba import dsdb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

UF_NOT_DELEGATED = 0x100000


def main():
    smbconf = sys.argv[1]
    lp = LoadParm()
    lp.load(smbconf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    realm = os.environ["LAB_REALM"]
    dns = os.environ["LAB_DNS"]
    user_pw = os.environ["LAB_USER_PASSWORD"]
    machine_pw = os.environ["LAB_MACHINE_PASSWORD_PREFIX"]
    group = os.environ["LAB_ADMINS_GROUP"]
    base = samdb.domain_dn()

    for user in ("admin", "mallory", "sensitive"):
        samdb.newuser(user, user_pw)
    samdb.newgroup(group)
    samdb.add_remove_group_members(group, ["admin", "sensitive"], add_members_operation=True)

    res = samdb.search(base=base, expression="(sAMAccountName=sensitive)",
                       attrs=["userAccountControl"])
    uac = int(res[0]["userAccountControl"][0]) | UF_NOT_DELEGATED
    m = ldb.Message(res[0].dn)
    m["userAccountControl"] = ldb.MessageElement(str(uac), ldb.FLAG_MOD_REPLACE,
                                                 "userAccountControl")
    samdb.modify(m)

    for host in os.environ["LAB_HOSTS"].split():
        fqdn = "%s.%s" % (host, dns)
        samdb.newcomputer(host, service_principal_name_list=[
            "HOST/%s" % host, "HOST/%s" % fqdn,
            "vsmigrate/%s" % host, "vsmigrate/%s" % fqdn])
        samdb.setpassword("(sAMAccountName=%s$)" % host, machine_pw + host)
        res = samdb.search(base=base, expression="(sAMAccountName=%s$)" % host, attrs=[])
        m = ldb.Message(res[0].dn)
        m["dNSHostName"] = ldb.MessageElement(fqdn, ldb.FLAG_MOD_REPLACE, "dNSHostName")
        # AES keys as well as RC4 (without this the keys are RC4 only)
        m["msDS-SupportedEncryptionTypes"] = ldb.MessageElement(
            "28", ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
        targets = []
        for peer in os.environ.get("LAB_DELEGATE_%s" % host, "").split():
            targets += ["vsmigrate/%s.%s" % (peer, dns), "vsmigrate/%s" % peer]
        if targets:
            targets += ["cifs/fs.%s" % dns, "cifs/fs"]
            m["msDS-AllowedToDelegateTo"] = ldb.MessageElement(
                targets, ldb.FLAG_MOD_REPLACE, "msDS-AllowedToDelegateTo")
        samdb.modify(m)
    print("accounts: users admin, mallory, sensitive; group %r; hosts %s (realm %s)"
          % (group, os.environ["LAB_HOSTS"], realm))


if __name__ == "__main__":
    main()
