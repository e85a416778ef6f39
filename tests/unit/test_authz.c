/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/authz.c: deny by default; admins by user or PAC group SID; a
 * peer acting for an admin; a peer as itself; and what each may ask. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/authz.h"

#define ADMINS_SID "S-1-5-21-1-2-3-1104"
#define USERS_SID "S-1-5-21-1-2-3-513"

static char *users[] = { "ops@LAB.TEST" };
static char *group_names[] = { "LAB\\VM Migration Admins" };
static char *group_sids[] = { ADMINS_SID };
static char *peers[] = { "hosta.lab.test", "hostc.lab.test" };

static const struct authz_policy policy = {
    .host = "hostb.lab.test", .realm = "LAB.TEST",
    .allowed_users = users, .nallowed_users = 1,
    .allowed_group_names = group_names, .allowed_group_sids = group_sids, .nallowed_groups = 1,
    .peers = peers, .npeers = 2,
};

static char *admin_groups[] = { USERS_SID, ADMINS_SID };
static char *plain_groups[] = { USERS_SID };
static char *by_hosta[] = { "hosta$@LAB.TEST" };
static char *by_hostd[] = { "hostd$@LAB.TEST" };

static void
test_nobody_allowed_by_default(void **state)
{
    (void)state;
    struct authz_policy empty = { .host = "hostb", .realm = "LAB.TEST" };
    struct authz_subject s = { .principal = "admin@LAB.TEST", .have_pac = true,
                               .group_sids = admin_groups, .ngroups = 2 };
    struct authz_decision d;
    struct vs_error err;

    assert_false(authz_decide(&empty, &s, &d, &err));
    assert_int_equal(err.code, VS_ERR_DENIED);
    assert_non_null(strstr(err.message, "allows nobody yet"));
    assert_int_equal(d.role, AUTHZ_NONE);
}

static void
test_admin_by_group_or_user(void **state)
{
    (void)state;
    struct authz_subject s = { .principal = "admin@LAB.TEST", .have_pac = true,
                               .group_sids = admin_groups, .ngroups = 2 };
    struct authz_decision d;
    struct vs_error err;

    assert_true(authz_decide(&policy, &s, &d, &err));
    assert_int_equal(d.role, AUTHZ_ADMIN);
    assert_string_equal(d.via, "");
    /* by name, in any case, without a PAC */
    s = (struct authz_subject){ .principal = "OPS@lab.test" };
    assert_true(authz_decide(&policy, &s, &d, &err));
    assert_int_equal(d.role, AUTHZ_ADMIN);
}

static void
test_refusal_names_the_group(void **state)
{
    (void)state;
    struct authz_subject s = { .principal = "mallory@LAB.TEST", .have_pac = true,
                               .group_sids = plain_groups, .ngroups = 1 };
    struct authz_decision d;
    struct vs_error err;

    assert_false(authz_decide(&policy, &s, &d, &err));
    assert_int_equal(err.code, VS_ERR_DENIED);
    assert_non_null(strstr(err.message, "mallory@LAB.TEST may not use vsmigrate on hostb.lab.test"));
    assert_non_null(strstr(err.message, "'LAB\\VM Migration Admins'"));
    /* no PAC: the groups cannot be known, and it says so */
    s.have_pac = false;
    assert_false(authz_decide(&policy, &s, &d, &err));
    assert_non_null(strstr(err.message, "carries no PAC"));
}

static void
test_hop_two(void **state)
{
    (void)state;
    struct authz_subject s = { .principal = "admin@LAB.TEST", .have_pac = true,
                               .group_sids = admin_groups, .ngroups = 2,
                               .delegated_by = by_hosta, .ndelegated_by = 1 };
    struct authz_decision d;
    struct vs_error err;

    assert_true(authz_decide(&policy, &s, &d, &err));
    assert_int_equal(d.role, AUTHZ_PEER_FOR_ADMIN);
    assert_string_equal(d.via, "hosta.lab.test");
    /* the admin is checked again at hop 2 */
    s.group_sids = plain_groups;
    s.ngroups = 1;
    assert_false(authz_decide(&policy, &s, &d, &err));
    assert_non_null(strstr(err.message, "via hosta.lab.test"));
    assert_non_null(strstr(err.message, "none of the allowed groups"));
    /* a delegating host outside the peer list, however right the admin */
    s.group_sids = admin_groups;
    s.ngroups = 2;
    s.delegated_by = by_hostd;
    assert_false(authz_decide(&policy, &s, &d, &err));
    assert_non_null(strstr(err.message, "hostd$@LAB.TEST acted for admin@LAB.TEST, but it is not "
                                        "one of hostb.lab.test's peers"));
}

static void
test_peer_host(void **state)
{
    (void)state;
    struct authz_subject s = { .principal = "HOSTC$@LAB.TEST" };
    struct authz_decision d;
    struct vs_error err;

    assert_true(authz_decide(&policy, &s, &d, &err));
    assert_int_equal(d.role, AUTHZ_PEER_HOST);
    assert_string_equal(d.via, "hostc.lab.test");
    s.principal = "hostd$@LAB.TEST";
    assert_false(authz_decide(&policy, &s, &d, &err));
    assert_non_null(strstr(err.message, "computer account that is not one of"));
    /* the right name in another realm is someone else */
    s.principal = "hosta$@EVIL.TEST";
    assert_false(authz_decide(&policy, &s, &d, &err));
    /* an SPN-shaped name is not a machine account */
    assert_null(authz_peer_of_machine(&policy, "host/hosta$@LAB.TEST"));
    assert_null(authz_peer_of_machine(&policy, "$@LAB.TEST"));
}

static void
test_actions_by_role(void **state)
{
    (void)state;
    struct vs_error err;

    assert_true(authz_action_allowed(AUTHZ_ADMIN, "check", NULL, &err));
    assert_true(authz_action_allowed(AUTHZ_ADMIN, "move", NULL, &err));
    assert_false(authz_action_allowed(AUTHZ_ADMIN, "check-destination", NULL, &err));
    assert_true(authz_action_allowed(AUTHZ_PEER_FOR_ADMIN, "check-destination", NULL, &err));
    assert_false(authz_action_allowed(AUTHZ_PEER_FOR_ADMIN, "move", NULL, &err));
    assert_true(authz_action_allowed(AUTHZ_PEER_HOST, "check-destination", NULL, &err));
    assert_false(authz_action_allowed(AUTHZ_PEER_HOST, "status", NULL, &err));
    assert_false(authz_action_allowed(AUTHZ_PEER_HOST, "cancel", NULL, &err));
    assert_int_equal(err.code, VS_ERR_DENIED);
    /* networks is read-only: the doctor asks a peer for it as itself */
    assert_true(authz_action_allowed(AUTHZ_ADMIN, "networks", NULL, &err));
    assert_true(authz_action_allowed(AUTHZ_PEER_FOR_ADMIN, "networks", NULL, &err));
    assert_true(authz_action_allowed(AUTHZ_PEER_HOST, "networks", NULL, &err));
    assert_false(authz_action_allowed(AUTHZ_NONE, "networks", NULL, &err));
    assert_int_equal(err.code, VS_ERR_DENIED);
    assert_false(authz_action_allowed(AUTHZ_PEER_HOST, "move", NULL, &err));
    assert_non_null(strstr(err.message, "'move' may not be asked by a caller in the role"));
    assert_false(authz_action_allowed(AUTHZ_NONE, "status", NULL, &err));
    assert_false(authz_action_allowed(AUTHZ_ADMIN, "rm-rf", NULL, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
    assert_non_null(strstr(err.message, "unknown action 'rm-rf'"));
    /* the refusal lists every action the table has */
    assert_non_null(strstr(err.message, "networks"));
    assert_non_null(strstr(err.message, "check-destination"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nobody_allowed_by_default),
        cmocka_unit_test(test_admin_by_group_or_user),
        cmocka_unit_test(test_refusal_names_the_group),
        cmocka_unit_test(test_hop_two),
        cmocka_unit_test(test_peer_host),
        cmocka_unit_test(test_actions_by_role),
    };

    return cmocka_run_group_tests_name("authz", tests, NULL, NULL);
}
