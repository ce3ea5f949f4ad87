/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generic build step: run the user's build command for one commit in a
 * worktree, keep its log, and sign the artifacts it produced.  What a build
 * says about the commit is data (struct kb_build_result); only failures of
 * kbisect itself are errors.
 */
#ifndef KB_BUILD_BUILD_H
#define KB_BUILD_BUILD_H

#include <stdatomic.h>
#include "bisect/ops.h"
#include "util/buf.h"

/* At most this many root-cause lines are kept from a failed build. */
#define KB_BUILD_MAX_ERROR_LINES 20

struct kb_build_step {
	const char *shell_cmd; /* the user's command string, run with /bin/sh -c */
	const char *const *argv; /* or an argv (no shell); one of the two is set */
	const char *const *env; /* extra "K=V" / "K" entries (may be NULL) */
	const char *const *artifacts; /* files to sign, relative to the worktree */
	size_t n_artifacts; /* 0: no signature ("") */
	double timeout; /* seconds, 0 = none */
	const char *log_dir; /* build-<commit>.log goes here (created if missing) */
	const atomic_bool *cancel; /* set by another thread: stop (INFRA, "build cancelled") */
};

/*
 * Build @commit checked out in @worktree.  The command runs in @worktree with
 * KBISECT_COMMIT and KBISECT_WORKTREE set; its output goes to the log.
 *   OK     exit 0 and every artifact signed;
 *   FAILED non-zero exit, or an artifact is missing: the commit is untestable;
 *   INFRA  timeout, exit 137 / SIGKILL (OOM killer), any other signal, the
 *          command cannot be started: our problem, retry later.
 * Returns 0 with *res filled (clear it with kb_build_result_clear) or -errno
 * when kbisect itself failed (cannot create the log, ...).
 */
int kb_build_run(const struct kb_build_step *step, const char *worktree, const char *commit,
		 struct kb_build_result *res) KB_MUST_CHECK;

/*
 * The root-cause lines of a failed build log: compiler and linker errors in
 * order, without duplicates, at most KB_BUILD_MAX_ERROR_LINES, with
 * "@strip/" (the worktree path) removed so lines compare across worktrees.
 * Falls back to make's "*** ... Error N" lines, then to the last lines of the
 * log.  Returns a malloc'ed '\n'-separated string, or NULL when the log is
 * empty.
 */
char *kb_build_error_lines(const char *log, size_t len, const char *strip);

/*
 * The compiler line of a kernel tree: LINUX_COMPILER from
 * include/generated/compile.h, or NULL when the tree has none.
 */
char *kb_build_compiler_id(const char *worktree);

#endif
