/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Child processes (git, builds, tests, QEMU), shaped like git's
 * run-command: argv is exec'd directly unless use_shell is set (only for the
 * user's own command strings).  Every child gets its own process group and
 * PR_SET_PDEATHSIG, so a timeout or our own death kills the whole tree.
 */
#ifndef KB_UTIL_CHILD_H
#define KB_UTIL_CHILD_H

#include <stdatomic.h>
#include "util/buf.h"

enum kb_child_status {
	KB_CHILD_EXITED, /* exited normally; see exit_code */
	KB_CHILD_SIGNALED, /* killed by a signal it did not get from us; see sig */
	KB_CHILD_TIMED_OUT, /* we killed it at the deadline */
	KB_CHILD_EXEC_FAILED, /* could not be started (exec/chdir failed); see err */
};

struct kb_child {
	/* input */
	const char *const *argv; /* NULL-terminated; argv[0] looked up in PATH */
	const char *shell_cmd; /* instead of argv: run "/bin/sh -c shell_cmd" */
	const char *const *env; /* "K=V" entries added to (or "K" removed from) the environment */
	const char *dir; /* working directory, NULL = current */
	const char *stdin_data; /* written to stdin (NULL: stdin is /dev/null) */
	size_t stdin_len;
	const char *out_path; /* stdout+stderr also appended to this file (NULL: not saved) */
	struct kb_buf
		*out; /* stdout (and stderr when merge_stderr) captured here; NULL: discarded */
	struct kb_buf *err; /* stderr captured here when !merge_stderr; NULL: discarded */
	bool merge_stderr; /* stderr goes where stdout goes */
	double timeout; /* seconds, 0 = none; SIGTERM to the group, SIGKILL 5 s later */
	/*
	 * Another thread sets *cancel to stop the child early: the group gets
	 * SIGTERM (make deletes the targets it was writing), SIGKILL 5 s later;
	 * the status is then KB_CHILD_TIMED_OUT with cancelled set.  NULL: never.
	 */
	const atomic_bool *cancel;

	/* output */
	enum kb_child_status status;
	int exit_code; /* KB_CHILD_EXITED */
	int sig; /* KB_CHILD_SIGNALED */
	int err_no; /* KB_CHILD_EXEC_FAILED */
	double seconds; /* wall time */
	bool cancelled; /* stopped because *cancel was set */
};

/*
 * Run to completion.  Returns 0 when the child ran (whatever its status) and
 * -errno (message set) when kbisect itself failed (pipe, fork, out_path).
 */
int kb_child_run(struct kb_child *c) KB_MUST_CHECK;

/* Convenience: run argv in dir, capture stdout into out; 0 only if exit code 0. */
int kb_child_capture(const char *const *argv, const char *dir, struct kb_buf *out) KB_MUST_CHECK;

#endif
