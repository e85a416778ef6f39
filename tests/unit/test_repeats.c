/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/repeats.c: a warning that stays true is said
 * again only now and then; an unanswered question is asked less and less
 * often. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/repeats.h"

static struct repeats table;

static int
clear(void **state)
{
    (void)state;
    memset(&table, 0, sizeof table);
    return 0;
}

/* the first warning is said; the same again within `every` is not; at
 * `every` it is said again, and then not for another `every` */
static void
test_same_text_muted_until_every(void **state)
{
    (void)state;
    assert_true(repeats_should_say(&table, "web01", "export gone", 1000, 300));
    assert_false(repeats_should_say(&table, "web01", "export gone", 1002, 300));
    assert_false(repeats_should_say(&table, "web01", "export gone", 1299, 300));
    assert_true(repeats_should_say(&table, "web01", "export gone", 1300, 300));
    assert_false(repeats_should_say(&table, "web01", "export gone", 1302, 300));
}

/* a changed warning is said at once, and a change back too */
static void
test_changed_text_said_at_once(void **state)
{
    (void)state;
    assert_true(repeats_should_say(&table, "web01", "export gone", 1000, 300));
    assert_true(repeats_should_say(&table, "web01", "resume refused", 1002, 300));
    assert_true(repeats_should_say(&table, "web01", "export gone", 1004, 300));
    assert_false(repeats_should_say(&table, "web01", "export gone", 1006, 300));
}

/* each VM has its own: one VM's warning does not mute another's */
static void
test_keys_apart(void **state)
{
    (void)state;
    assert_true(repeats_should_say(&table, "web01", "export gone", 1000, 300));
    assert_true(repeats_should_say(&table, "web02", "export gone", 1000, 300));
    assert_false(repeats_should_say(&table, "web01", "export gone", 1002, 300));
    assert_false(repeats_should_say(&table, "web02", "export gone", 1002, 300));
}

/* forget: the trouble ended (the supervisor mended it); the same warning,
 * if it comes back, is said at once; other keys keep theirs */
static void
test_forget(void **state)
{
    (void)state;
    assert_true(repeats_should_say(&table, "web01", "export gone", 1000, 300));
    assert_true(repeats_should_say(&table, "web02", "export gone", 1000, 300));
    repeats_forget(&table, "web01");
    assert_true(repeats_should_say(&table, "web01", "export gone", 1002, 300));
    assert_false(repeats_should_say(&table, "web02", "export gone", 1002, 300));
    repeats_forget(&table, "never-seen");   /* harmless */
    assert_false(repeats_should_say(&table, "web01", "export gone", 1004, 300));
}

/* more keys than slots: a new key takes the slot said longest ago; the key
 * that lost its slot is said at once next time; the newest keys keep theirs */
static void
test_full_table_drops_oldest(void **state)
{
    char key[32];

    (void)state;
    for (int i = 0; i < REPEATS_SLOTS; i++) {
        snprintf(key, sizeof key, "vm%d", i);
        assert_true(repeats_should_say(&table, key, "export gone", 1000 + i, 300));
    }
    assert_true(repeats_should_say(&table, "vm-new", "export gone", 1100, 300));
    assert_false(repeats_should_say(&table, "vm-new", "export gone", 1101, 300));
    /* vm0 (said first) lost its slot to vm-new */
    assert_true(repeats_should_say(&table, "vm0", "export gone", 1102, 300));
    /* the last one keeps its slot (vm0 took vm1's, said next longest ago) */
    snprintf(key, sizeof key, "vm%d", REPEATS_SLOTS - 1);
    assert_false(repeats_should_say(&table, key, "export gone", 1103, 300));
    assert_true(repeats_should_say(&table, "vm1", "export gone", 1104, 300));
}

/* a key as long as the slot's room, or longer, still has one slot */
static void
test_long_key(void **state)
{
    char key[REPEATS_KEY_MAX + 40];

    (void)state;
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_true(repeats_should_say(&table, key, "export gone", 1000, 300));
    assert_false(repeats_should_say(&table, key, "export gone", 1001, 300));
}

/* a backoff like stalecopy's: every 5 s for the first 3 questions, then
 * every 30 s */
static time_t
test_interval(unsigned before)
{
    return before < 3 ? 5 : 30;
}

/* the first question is due at once; then each after the interval that its
 * predecessor's count gives, counted as it is asked */
static void
test_backoff_grows(void **state)
{
    unsigned before = 99;

    (void)state;
    assert_true(repeats_backoff_due(&table, "web01", 1000, test_interval, &before));
    assert_int_equal(before, 0);
    assert_false(repeats_backoff_due(&table, "web01", 1004, test_interval, &before));
    assert_true(repeats_backoff_due(&table, "web01", 1005, test_interval, &before));
    assert_int_equal(before, 1);
    assert_true(repeats_backoff_due(&table, "web01", 1010, test_interval, &before));
    assert_int_equal(before, 2);
    assert_true(repeats_backoff_due(&table, "web01", 1015, test_interval, &before));
    assert_int_equal(before, 3);
    /* the fourth question (3 before it) waits 30 s, not 5 */
    assert_false(repeats_backoff_due(&table, "web01", 1020, test_interval, &before));
    assert_false(repeats_backoff_due(&table, "web01", 1044, test_interval, &before));
    assert_true(repeats_backoff_due(&table, "web01", 1045, test_interval, &before));
    assert_int_equal(before, 4);
    /* a question that was not due was not counted */
    assert_false(repeats_backoff_due(&table, "web01", 1050, test_interval, &before));
    assert_true(repeats_backoff_due(&table, "web01", 1075, test_interval, &before));
    assert_int_equal(before, 5);
}

/* each key counts its own; forget starts a key's count again */
static void
test_backoff_keys_and_forget(void **state)
{
    unsigned before = 99;

    (void)state;
    for (int i = 0; i < 4; i++)
        assert_true(repeats_backoff_due(&table, "web01", 1000 + 5 * i, test_interval, &before));
    assert_true(repeats_backoff_due(&table, "web02", 1015, test_interval, &before));
    assert_int_equal(before, 0);
    assert_false(repeats_backoff_due(&table, "web01", 1020, test_interval, &before));
    repeats_forget(&table, "web01");
    assert_true(repeats_backoff_due(&table, "web01", 1021, test_interval, &before));
    assert_int_equal(before, 0);
    assert_false(repeats_backoff_due(&table, "web01", 1022, test_interval, &before));
    assert_true(repeats_backoff_due(&table, "web01", 1026, test_interval, &before));
    assert_int_equal(before, 1);
}

/* a full table: a new key takes the slot asked longest ago, and the key
 * that lost it starts again at 0 */
static void
test_backoff_full_table(void **state)
{
    char key[32];
    unsigned before = 99;

    (void)state;
    for (int i = 0; i < REPEATS_SLOTS; i++) {
        snprintf(key, sizeof key, "vm%d", i);
        assert_true(repeats_backoff_due(&table, key, 1000 + i, test_interval, &before));
        assert_true(repeats_backoff_due(&table, key, 1010 + i, test_interval, &before));
        assert_int_equal(before, 1);
    }
    assert_true(repeats_backoff_due(&table, "vm-new", 1200, test_interval, &before));
    assert_int_equal(before, 0);
    assert_true(repeats_backoff_due(&table, "vm0", 1201, test_interval, &before));
    assert_int_equal(before, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_same_text_muted_until_every, clear),
        cmocka_unit_test_setup(test_changed_text_said_at_once, clear),
        cmocka_unit_test_setup(test_keys_apart, clear),
        cmocka_unit_test_setup(test_forget, clear),
        cmocka_unit_test_setup(test_full_table_drops_oldest, clear),
        cmocka_unit_test_setup(test_long_key, clear),
        cmocka_unit_test_setup(test_backoff_grows, clear),
        cmocka_unit_test_setup(test_backoff_keys_and_forget, clear),
        cmocka_unit_test_setup(test_backoff_full_table, clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
