/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local process test backend: the user's test command runs on the host
 * in the worktree of a built commit (no VM).  Its stdout+stderr is the
 * "console" that the crash parser reads.
 */
#ifndef KB_RUN_LOCAL_H
#define KB_RUN_LOCAL_H

#include "run/run.h"

/* Default cap on console bytes kept in memory for the parser (the file gets all). */
#define KB_LOCAL_CONSOLE_CAP (64u << 20)

/*
 * Finds a crash in @len bytes of console output.  Returns 1 with *title
 * (malloc'ed) when there is one, 0 when not, -errno on an internal error.
 */
typedef int (*kb_crash_finder)(void *ctx, const char *out, size_t len, char **title);

struct kb_local_test {
	const char *shell_cmd; /* the user's test command, run with /bin/sh -c */
	const char *const *argv; /* or an argv (no shell); one of the two is set */
	const char *const *env; /* extra "K=V" / "K" entries (may be NULL) */
	double timeout; /* seconds, 0 = none */
	const char *log_dir; /* run-<commit>-<idx>.log goes here; NULL: not saved */
	size_t console_cap; /* 0: KB_LOCAL_CONSOLE_CAP */
	kb_crash_finder find_crash; /* NULL: the kernel crash parser (kb_report_parse_all) */
	void *find_crash_ctx;
	/* set by another thread: stop the test (INFRA, KB_RUN_CANCELLED); NULL: never */
	const atomic_bool *cancel;
};

/*
 * Run test number @run_idx of @commit in @worktree with KBISECT_COMMIT,
 * KBISECT_RUN and KBISECT_WORKTREE set.  Classification, first match wins:
 *   the command cannot be started           INFRA "cannot run test: ENOENT ..."
 *   stopped through t->cancel                INFRA "run cancelled"
 *   the console contains a crash            CRASH with the parser's title
 *   killed by our timeout                   INFRA "test timed out after Ns"
 *   exit 0                                  OK
 *   exit 125                                SKIP
 *   other exit code N                       CRASH "test failed with exit code N"
 *                                           (N >= 128 also names signal N-128)
 *   killed by a signal it did not get from us  CRASH "test killed by signal SIGX"
 * Returns 0 with *res filled (clear it with kb_run_result_clear) or -errno
 * when kbisect itself failed (cannot create the console file, ...).
 */
int kb_local_run(const struct kb_local_test *t, const char *worktree, const char *commit,
		 unsigned run_idx, struct kb_run_result *res) KB_MUST_CHECK;

/* The default crash finder: the first crash the kernel parser reports that is not suppressed. */
int kb_local_find_kernel_crash(void *ctx, const char *out, size_t len, char **title);

#endif
