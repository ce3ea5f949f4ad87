/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What one test run of one build says.  The outcome of the thing under test
 * is data (never an error code): kbisect's own failures are -errno returns.
 */
#ifndef KB_RUN_RUN_H
#define KB_RUN_RUN_H

#include "util/common.h"

enum kb_run_outcome {
	KB_RUN_OK, /* ran to the end, no crash: "OK" */
	KB_RUN_CRASH, /* the parser found a crash: "crashed: TITLE" */
	KB_RUN_BOOT_FAIL, /* crash or hang before boot finished: "boot failed: TITLE" */
	KB_RUN_TEST_FAIL, /* smoke test failed: "basic kernel testing failed: TITLE" */
	KB_RUN_SKIP, /* the test said it cannot test this commit (exit 125) */
	KB_RUN_INFRA, /* could not start, killed by our timeout, ...: "infra problem: ..." */
};

struct kb_run_result {
	enum kb_run_outcome outcome;
	char *title; /* crash title (CRASH, BOOT_FAIL, TEST_FAIL) or infra reason; may be NULL */
	char *console_path; /* where the console/stdout+stderr of the run was saved; may be NULL */
	int exit_status; /* exit code of the test command, -1 when it did not exit */
	double seconds; /* wall time of the run */
};

void kb_run_result_clear(struct kb_run_result *r);

/* The reference-log text of a result: "OK", "crashed: T", "boot failed: T", ... */
char *kb_run_result_describe(const struct kb_run_result *r);

#endif
