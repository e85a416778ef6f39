/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/testhook.h: the fault tests' hooks, in a build configured with
 * --enable-test-hooks only (VSM_TEST_HOOKS). A normal build compiles every
 * call below to nothing, and its programs hold none of these paths
 * (tests/build/no-test-hooks.sh checks the strings).
 *
 * The lab arms a hook by creating a file in RUNTIME/test-hooks/:
 *   fail-NAME    test_hook_armed(RUNTIME, "NAME") is true (inject a failure);
 *   pause-PHASE  test_hook_pause(RUNTIME, "PHASE") creates reached-PHASE, then
 *                waits until pause-PHASE is removed (at most 10 minutes), so
 *                that tests/faults can strike at exactly that phase;
 *                test_hook_holding(RUNTIME, "PHASE") is the same without the
 *                wait, for a caller that slows itself down instead (the
 *                memory copy: a migration cannot stop mid-stream);
 *                test_hook_waiting(RUNTIME, "PHASE") only says whether
 *                pause-PHASE exists (no reached-PHASE), for a caller that
 *                prepares before the phase (the memory copy starts slowly
 *                enough that the hold always catches it mid-stream). */
#ifndef VSM_COMMON_TESTHOOK_H
#define VSM_COMMON_TESTHOOK_H

#include <stdbool.h>

#ifdef VSM_TEST_HOOKS
bool vsm_test_hook_armed(const char *runtime_dir, const char *name);
bool vsm_test_hook_holding(const char *runtime_dir, const char *phase);
void vsm_test_hook_pause(const char *runtime_dir, const char *phase);
bool vsm_test_hook_waiting(const char *runtime_dir, const char *phase);
#define test_hook_armed(dir, name) vsm_test_hook_armed((dir), (name))
#define test_hook_holding(dir, phase) vsm_test_hook_holding((dir), (phase))
#define test_hook_pause(dir, phase) vsm_test_hook_pause((dir), (phase))
#define test_hook_waiting(dir, phase) vsm_test_hook_waiting((dir), (phase))
#else
#define test_hook_armed(dir, name) ((void)(dir), false)
#define test_hook_holding(dir, phase) ((void)(dir), false)
#define test_hook_pause(dir, phase) ((void)(dir))
#define test_hook_waiting(dir, phase) ((void)(dir), false)
#endif

#endif
