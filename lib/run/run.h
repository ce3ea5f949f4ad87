/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What one test run of one build says.  The outcome of the thing under test
 * is data (never an error code): kbisect's own failures are -errno returns.
 */
#ifndef KB_RUN_RUN_H
#define KB_RUN_RUN_H

#include <pthread.h>
#include <stdatomic.h>

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

/* The infra reason of a run stopped by kb_run_tickets_cancel(). */
#define KB_RUN_CANCELLED "run cancelled"

/* Make @r a run that was stopped (INFRA, KB_RUN_CANCELLED); other fields stay. */
void kb_run_result_set_cancelled(struct kb_run_result *r);
/* Whether @r is such a run. */
bool kb_run_result_is_cancelled(const struct kb_run_result *r);

/*
 * Runs that can be stopped by commit (kb_backend.cancel_runs).  A backend
 * takes a ticket for each run while it goes on (waiting for a VM or a tree
 * included) and hands its flag to the child process (kb_child.cancel);
 * kb_run_tickets_cancel() sets the flag of every run of a commit holding a
 * ticket then.  Later runs of that commit are not affected.
 */
struct kb_run_ticket {
	const char *commit;
	atomic_bool cancel;
	struct kb_run_ticket *next;
};

struct kb_run_tickets {
	pthread_mutex_t lock;
	struct kb_run_ticket *head;
};

void kb_run_tickets_init(struct kb_run_tickets *t);
void kb_run_tickets_destroy(struct kb_run_tickets *t);
/* @k (usually on the run's stack) holds a ticket for @commit until dropped. */
void kb_run_ticket_take(struct kb_run_tickets *t, struct kb_run_ticket *k, const char *commit);
void kb_run_ticket_drop(struct kb_run_tickets *t, struct kb_run_ticket *k);
/* Stop the runs of @commit; returns how many held a ticket. */
unsigned kb_run_tickets_cancel(struct kb_run_tickets *t, const char *commit);

#endif
