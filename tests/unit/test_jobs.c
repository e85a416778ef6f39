/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/jobs.c (the moves a host takes part in) and the
 * move's reading of a VM's leases (move_controls_from_xml). */
#include <config.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/jobs.h"
#include "hostagent/move.h"

static struct job
job_of(const char *id, const char *vm, enum job_role role)
{
    struct job j;
    memset(&j, 0, sizeof j);
    snprintf(j.id, sizeof j.id, "%s", id);
    snprintf(j.vm, sizeof j.vm, "%s", vm);
    snprintf(j.from, sizeof j.from, "hosta");
    snprintf(j.to, sizeof j.to, "hostb");
    j.role = role;
    return j;
}

static void
test_one_job_per_vm(void **state)
{
    struct jobs *t = malloc(sizeof *t);
    struct vs_error err;
    struct job j = job_of("j1", "web01", JOB_SOURCE), out;

    (void)state;
    jobs_init(t, 2);
    assert_true(jobs_add(t, &j, &err));
    /* the same VM again, whatever the role: busy, naming the job to cancel */
    struct job again = job_of("j2", "web01", JOB_DESTINATION);
    assert_false(jobs_add(t, &again, &err));
    assert_int_equal(err.code, VS_ERR_BUSY);
    assert_non_null(strstr(err.message, "vsmigrate cancel j1"));
    struct job other = job_of("j3", "db01", JOB_DESTINATION);
    assert_true(jobs_add(t, &other, &err));
    assert_int_equal(jobs_count(t), 2);
    /* found by VM only in its role */
    assert_true(jobs_find_vm(t, "db01", JOB_DESTINATION, &out));
    assert_string_equal(out.id, "j3");
    assert_false(jobs_find_vm(t, "db01", JOB_SOURCE, &out));
    jobs_remove(t, "j1");
    assert_false(jobs_find(t, "j1", &out));
    assert_true(jobs_add(t, &again, &err));   /* web01 is free again */
    free(t);
}

static void
test_phase_cancel_handoff(void **state)
{
    struct jobs *t = malloc(sizeof *t);
    struct vs_error err;
    struct job j = job_of("j1", "web01", JOB_DESTINATION), out, h;

    (void)state;
    jobs_init(t, 2);
    assert_true(jobs_add(t, &j, &err));
    jobs_set_phase(t, "j1", "memory copy", 420);
    assert_false(jobs_cancelled(t, "j1"));
    assert_true(jobs_request_cancel(t, "j1"));
    assert_false(jobs_request_cancel(t, "nosuch"));
    assert_true(jobs_cancelled(t, "j1"));
    h = j;
    h.handed_off = true;
    h.resumed_at = 1234;
    h.handoff_ms = 15;
    snprintf(h.vm, sizeof h.vm, "not copied");   /* only the hand-off's fields are */
    jobs_set_handoff(t, "j1", &h);
    assert_true(jobs_find(t, "j1", &out));
    assert_string_equal(out.phase, "memory copy");
    assert_int_equal(out.progress, 420);
    assert_true(out.cancel && out.handed_off);
    assert_int_equal(out.resumed_at, 1234);
    assert_int_equal(out.handoff_ms, 15);
    assert_string_equal(out.vm, "web01");
    free(t);
}

static void
test_table_full(void **state)
{
    struct jobs *t = malloc(sizeof *t);
    struct vs_error err;
    char id[16], vm[16];

    (void)state;
    jobs_init(t, 2);
    for (int i = 0; i < JOBS_MAX; i++) {
        snprintf(id, sizeof id, "j%d", i);
        snprintf(vm, sizeof vm, "vm%d", i);
        struct job j = job_of(id, vm, JOB_SOURCE);
        assert_true(jobs_add(t, &j, &err));
    }
    struct job one_more = job_of("jx", "vmx", JOB_SOURCE);
    assert_false(jobs_add(t, &one_more, &err));
    assert_int_equal(err.code, VS_ERR_BUSY);
    free(t);
}

static void
test_controls_from_leases(void **state)
{
    struct domxml_info *vm = calloc(1, sizeof *vm);
    struct job j;
    struct vs_error err;

    (void)state;
    snprintf(vm->name, sizeof vm->name, "web01");
    vm->ndisks = 2;
    vm->nleases = 3;
    snprintf(vm->leases[0].lockspace, 64, "vsmigrate");
    snprintf(vm->leases[0].path, 256, "/run/vsmigrate/disks/web01-vda.ctl");
    snprintf(vm->leases[1].lockspace, 64, "sanlock");   /* not ours: ignored */
    snprintf(vm->leases[1].path, 256, "/elsewhere");
    snprintf(vm->leases[2].lockspace, 64, "vsmigrate");
    snprintf(vm->leases[2].path, 256, "/run/vsmigrate/disks/web01-vdb.ctl");
    assert_true(move_controls_from_xml(vm, &j, &err));
    assert_int_equal(j.ncontrols, 2);
    assert_string_equal(j.controls[1], "/run/vsmigrate/disks/web01-vdb.ctl");
    /* a disk without its lease: the hand-off could not move its writer */
    vm->ndisks = 3;
    assert_false(move_controls_from_xml(vm, &j, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
    assert_non_null(strstr(err.message, "every disk needs its export's lease"));
    /* no lease at all */
    vm->ndisks = 1;
    vm->nleases = 0;
    assert_false(move_controls_from_xml(vm, &j, &err));
    free(vm);
}

/* The queue: first come, first served, within the limit; places; cancel;
 * a lower limit stops no running job and holds back the next. */
static void
test_queue(void **state)
{
    struct jobs *t = malloc(sizeof *t);
    struct vs_error err;
    struct job out[4];
    unsigned place = 99;
    const char *ids[] = { "q1", "q2", "q3", "q4" }, *vms[] = { "a", "b", "c", "d" };

    (void)state;
    jobs_init(t, 2);
    for (int i = 0; i < 4; i++) {
        struct job j = job_of(ids[i], vms[i], i % 2 ? JOB_DESTINATION : JOB_SOURCE);
        assert_true(jobs_add(t, &j, &err));
    }
    /* q3 asks first, but q1 and q2 came first: q3 waits at place 3 */
    assert_int_equal(jobs_wait_turn(t, "q3", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 3);
    assert_int_equal(jobs_wait_turn(t, "q1", 0, &place), JOBS_TURN_GO);
    assert_int_equal(place, 0);
    assert_int_equal(jobs_wait_turn(t, "q2", 0, &place), JOBS_TURN_GO);
    /* both slots taken (roles alike): q3 is next, q4 after it */
    assert_int_equal(jobs_wait_turn(t, "q3", 10, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 1);
    assert_int_equal(jobs_wait_turn(t, "q4", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 2);
    /* status: the order of arrival, with places */
    assert_int_equal(jobs_snapshot(t, out, 4), 4);
    assert_string_equal(out[0].id, "q1");
    assert_int_equal(out[0].place, 0);
    assert_string_equal(out[3].id, "q4");
    assert_int_equal(out[3].place, 2);
    size_t running, waiting;
    jobs_counts(t, &running, &waiting);
    assert_int_equal(running, 2);
    assert_int_equal(waiting, 2);
    /* a waiting job cancelled leaves the queue's turn to the next */
    assert_true(jobs_request_cancel(t, "q3"));
    assert_int_equal(jobs_wait_turn(t, "q3", 0, &place), JOBS_TURN_CANCELLED);
    jobs_remove(t, "q3");
    assert_int_equal(jobs_wait_turn(t, "q4", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 1);
    /* the limit lowered to 1: q1 and q2 run on; q4 waits after one ends */
    jobs_set_limit(t, 1);
    assert_true(jobs_find(t, "q1", &out[0]) && jobs_find(t, "q2", &out[1]));
    jobs_remove(t, "q1");
    assert_int_equal(jobs_wait_turn(t, "q4", 0, &place), JOBS_TURN_WAIT);
    jobs_remove(t, "q2");
    assert_int_equal(jobs_wait_turn(t, "q4", 0, &place), JOBS_TURN_GO);
    /* a job that is gone */
    assert_int_equal(jobs_wait_turn(t, "nope", 0, &place), JOBS_TURN_GONE);
    free(t);
}

/* the agent mending a VM (an export started again): no move of it begins
 * meanwhile; a VM in a move is not mended; a few at once, then no more */
struct waiter {
    struct jobs *t;
    const char *id;
    enum jobs_turn turn;
};

static void *
wait_long(void *arg)
{
    struct waiter *w = arg;
    unsigned place;

    w->turn = jobs_wait_turn(w->t, w->id, 60000, &place);
    return NULL;
}

static void
test_mending(void **state)
{
    struct jobs *t = malloc(sizeof *t);
    struct vs_error err;
    struct job j = job_of("j1", "web01", JOB_SOURCE), k = job_of("j2", "db01", JOB_SOURCE);
    unsigned place = 99;
    char vm[32];

    (void)state;
    jobs_init(t, 2);
    assert_true(jobs_mend_begin(t, "web01"));
    assert_false(jobs_mend_begin(t, "web01"));   /* once at a time */
    /* a move of it asked for meanwhile is taken, and waits until the mend
     * is done, though a slot is free; a move of another VM goes */
    assert_true(jobs_add(t, &j, &err));
    assert_true(jobs_add(t, &k, &err));
    assert_int_equal(jobs_wait_turn(t, "j1", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 1);
    assert_false(jobs_vm_moving(t, "web01"));
    /* status says why it waits, though it is first and a slot is free */
    struct job copies[4];
    assert_int_equal(jobs_snapshot(t, copies, 4), 2);
    assert_string_equal(copies[0].id, "j1");
    assert_true(copies[0].held_by_mend);
    assert_int_equal(copies[0].place, 1);
    assert_false(copies[1].held_by_mend);   /* db01 is no mend's */
    struct job found;
    assert_true(jobs_find(t, "j1", &found));   /* what a waiting move's events say */
    assert_true(found.held_by_mend);
    jobs_mend_end(t, "web01");
    assert_int_equal(jobs_snapshot(t, copies, 4), 2);
    assert_false(copies[0].held_by_mend);
    assert_int_equal(jobs_wait_turn(t, "j1", 0, &place), JOBS_TURN_GO);
    assert_int_equal(jobs_wait_turn(t, "j2", 0, &place), JOBS_TURN_GO);
    assert_true(jobs_vm_moving(t, "web01"));
    /* web01 moves now: the agent leaves it alone */
    assert_false(jobs_mend_begin(t, "web01"));
    jobs_remove(t, "j1");
    assert_false(jobs_vm_moving(t, "web01"));
    /* a move that waits in the queue (both slots taken) has touched nothing:
     * its VM may be mended, and the move waits for that too */
    struct job busy = job_of("j3", "app01", JOB_SOURCE);
    assert_true(jobs_add(t, &busy, &err));
    assert_int_equal(jobs_wait_turn(t, "j3", 0, &place), JOBS_TURN_GO);
    assert_true(jobs_add(t, &j, &err));
    assert_int_equal(jobs_wait_turn(t, "j1", 0, &place), JOBS_TURN_WAIT);
    assert_true(jobs_mend_begin(t, "web01"));
    jobs_remove(t, "j3");
    assert_int_equal(jobs_wait_turn(t, "j1", 0, &place), JOBS_TURN_WAIT);
    /* the end of the mend wakes the waiting move (else it would say WAIT
     * after its 60 s) */
    struct waiter w = { .t = t, .id = "j1", .turn = JOBS_TURN_WAIT };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_long, &w), 0);
    jobs_mend_end(t, "web01");
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.turn, JOBS_TURN_GO);
    jobs_remove(t, "j1");
    jobs_remove(t, "j2");
    assert_true(jobs_mend_begin(t, "web01"));
    jobs_mend_end(t, "web01");
    /* JOBS_MENDING_MAX at once, then none until one ends */
    for (int i = 0; i < JOBS_MENDING_MAX; i++) {
        snprintf(vm, sizeof vm, "vm%d", i);
        assert_true(jobs_mend_begin(t, vm));
    }
    assert_false(jobs_mend_begin(t, "one-more"));
    jobs_mend_end(t, "vm0");
    assert_true(jobs_mend_begin(t, "one-more"));
    /* a name with no room, or none */
    assert_false(jobs_mend_begin(t, ""));
    free(t);
}

/* Crossing moves, limit 1 on both hosts: hosta's source job for web01
 * runs and waits in hostb's queue; hostb's move of db01 comes in. hosta
 * sorts first, so it lets db01 in over its limit, once per such source
 * job; hostb (crossing_first false) would not. */
static void
test_crossing(void **state)
{
    struct jobs *t = malloc(sizeof *t);
    struct vs_error err;
    struct job out_src = job_of("s1", "web01", JOB_SOURCE);
    struct job in1 = job_of("d1", "db01", JOB_DESTINATION), in2 = job_of("d2", "db02", JOB_DESTINATION);
    struct job other = job_of("d3", "app01", JOB_DESTINATION);
    unsigned place = 99;

    (void)state;
    jobs_init(t, 1);
    snprintf(out_src.to, sizeof out_src.to, "hostb.lab.test");
    for (struct job *j = &in1; j; j = j == &in1 ? &in2 : NULL) {
        snprintf(j->from, sizeof j->from, "hostb.lab.test");
        snprintf(j->to, sizeof j->to, "hosta.lab.test");
        j->crossing_first = true;
    }
    snprintf(other.from, sizeof other.from, "hostc.lab.test");
    other.crossing_first = true;
    assert_true(jobs_add(t, &out_src, &err));
    assert_int_equal(jobs_wait_turn(t, "s1", 0, &place), JOBS_TURN_GO);
    assert_true(jobs_add(t, &other, &err));
    assert_true(jobs_add(t, &in1, &err));
    assert_true(jobs_add(t, &in2, &err));
    /* web01's source job has not asked hostb yet: all wait, in order */
    assert_int_equal(jobs_wait_turn(t, "d1", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 2);
    jobs_set_awaiting_destination(t, "s1", true);
    /* now hostb's move goes first, over the limit and past app01 (from
     * hostc, no crossing); one only: web01 waits for one slot there */
    assert_int_equal(jobs_wait_turn(t, "d3", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(jobs_wait_turn(t, "d1", 0, &place), JOBS_TURN_GO);
    assert_int_equal(jobs_wait_turn(t, "d2", 0, &place), JOBS_TURN_WAIT);
    size_t running, waiting;
    jobs_counts(t, &running, &waiting);
    assert_int_equal(running, 2);
    /* status tells the crossing move from one whose turn came */
    struct job copies[8];
    size_t n = jobs_snapshot(t, copies, 8), seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(copies[i].id, "d1") == 0)
            seen += copies[i].place == 0 && copies[i].crossed;
        else if (strcmp(copies[i].id, "s1") == 0)
            seen += copies[i].place == 0 && !copies[i].crossed;
        else
            seen += copies[i].place > 0 && !copies[i].held_by_mend;
    }
    assert_int_equal(seen, 4);
    /* hostb let web01 in: no more crossing; d2 waits its turn */
    jobs_set_awaiting_destination(t, "s1", false);
    jobs_remove(t, "d1");
    assert_int_equal(jobs_wait_turn(t, "d2", 0, &place), JOBS_TURN_WAIT);
    jobs_remove(t, "s1");
    assert_int_equal(jobs_wait_turn(t, "d3", 0, &place), JOBS_TURN_GO);
    assert_int_equal(jobs_wait_turn(t, "d2", 0, &place), JOBS_TURN_WAIT);
    jobs_remove(t, "d3");
    jobs_remove(t, "d2");
    /* the host that sorts second does not let a crossing move in */
    struct job src2 = job_of("s2", "web01", JOB_SOURCE), in3 = job_of("d4", "db01", JOB_DESTINATION);
    snprintf(src2.to, sizeof src2.to, "hostb.lab.test");
    snprintf(in3.from, sizeof in3.from, "hostb.lab.test");
    in3.crossing_first = false;
    assert_true(jobs_add(t, &src2, &err));
    assert_int_equal(jobs_wait_turn(t, "s2", 0, &place), JOBS_TURN_GO);
    jobs_set_awaiting_destination(t, "s2", true);
    assert_true(jobs_add(t, &in3, &err));
    assert_int_equal(jobs_wait_turn(t, "d4", 0, &place), JOBS_TURN_WAIT);
    assert_int_equal(place, 1);
    free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_job_per_vm),
        cmocka_unit_test(test_phase_cancel_handoff),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_controls_from_leases),
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_mending),
        cmocka_unit_test(test_crossing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
