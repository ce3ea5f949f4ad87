/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixtures shared by the cmocka tests (header-only, include it from
 * tests/AREA/test-*.c as "../testutil.h").
 *
 * The scratch directory: kb_test_tmpdir_setup() creates a fresh
 * /tmp/kbisect-<program>-XXXXXX and leaves its path in tmpdir;
 * kb_test_tmpdir_teardown() removes it with everything below.  Both have
 * cmocka's group-fixture signature, so a test that needs nothing else
 * passes them to cmocka_run_group_tests() directly, and one that does calls
 * them from its own setup/teardown.  kb_test_worktree_setup/teardown do
 * the same for the work-tree tests (build steps, test runs).
 */
#ifndef KB_TESTS_TESTUTIL_H
#define KB_TESTS_TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "util/fs.h"

static char tmpdir[96];

static inline int kb_test_tmpdir_setup(void **state)
{
	(void)state;
	/* the program name keeps the directories of parallel tests apart in /tmp */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kbisect-%.40s-XXXXXX",
		 program_invocation_short_name);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int kb_test_tmpdir_teardown(void **state)
{
	(void)state;
	return kb_rm_rf(tmpdir);
}

/*
 * The build and run tests' fixture: a scratch directory with an (empty)
 * work tree in @wt, and in @logs the log directory, left for the code
 * under test to create.
 */
static char *wt KB_UNUSED, *logs KB_UNUSED;

static inline int kb_test_worktree_setup(void **state)
{
	if (kb_test_tmpdir_setup(state) < 0)
		return -1;
	wt = kb_xasprintf("%s/worktree", tmpdir);
	logs = kb_xasprintf("%s/work/logs", tmpdir);
	return kb_mkdir_p(wt, 0755);
}

static inline int kb_test_worktree_teardown(void **state)
{
	free(wt);
	free(logs);
	return kb_test_tmpdir_teardown(state);
}

#endif
