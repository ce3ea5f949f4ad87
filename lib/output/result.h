/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The outcome of a whole bisection, filled by the engine and written by
 * `kbisect bisect --json OUT` (schema in docs/config.md) and as the last
 * part of the reference-format log.  All strings are owned by the struct
 * (kb_result_clear() frees them); NULL means absent.
 */
#ifndef KB_OUTPUT_RESULT_H
#define KB_OUTPUT_RESULT_H

#include <jansson.h>
#include "bisect/ops.h"
#include "output/recipients.h"
#include "run/run.h"
#include "util/buf.h"

enum kb_result_verdict {
	KB_RESULT_CULPRIT, /* exactly one first bad commit */
	KB_RESULT_INCONCLUSIVE, /* several candidates left (skips, flakiness) */
	KB_RESULT_OLDEST_RELEASE_BAD, /* the oldest release tested already crashes */
	KB_RESULT_NOT_REPRODUCIBLE, /* the bad revision does not crash */
	KB_RESULT_ERROR, /* kbisect or the infrastructure failed; see ->error */
};

/* What one tested revision was taken for. */
enum kb_commit_verdict {
	KB_COMMIT_GOOD,
	KB_COMMIT_BAD,
	KB_COMMIT_SKIP, /* build failed or the runs were inconclusive */
	KB_COMMIT_INFRA, /* infrastructure failures only: no evidence */
	KB_COMMIT_UNTESTED, /* built but not run (the culprit's parent, for its signature) */
};

/* Why the revision was tested. */
enum kb_commit_role {
	KB_ROLE_START, /* the bad revision from the config */
	KB_ROLE_RELEASE, /* release walk ("testing release vX") */
	KB_ROLE_BISECT, /* a step of the search */
	KB_ROLE_PARENT, /* the culprit's parent, built for the noop check */
	KB_ROLE_VERIFY, /* extra runs to confirm the culprit */
};

struct kb_result_candidate {
	char *commit;
	double probability; /* posterior; for the reference strategy 1/n */
};

struct kb_result_commit {
	char *commit; /* full hash */
	char *subject; /* first line of the message */
	char *tag; /* release tag (KB_ROLE_RELEASE) */
	enum kb_commit_role role;
	struct kb_build_result build; /* status, signature, compiler, log, seconds */
	struct kb_run_result *runs;
	size_t n_runs;
	enum kb_commit_verdict verdict;
	double test_seconds; /* wall time of all runs of this revision */
};

struct kb_result {
	enum kb_result_verdict verdict;
	char *culprit; /* KB_RESULT_CULPRIT */
	char *culprit_subject;
	struct kb_result_candidate *candidates; /* most likely first */
	size_t n_candidates;
	double confidence; /* probability that the answer is right, 0..1 */
	struct {
		bool merge; /* the culprit has more than one parent */
		bool noop; /* culprit and parent builds have the same signature */
		bool release; /* the culprit carries a release tag */
	} flags;
	char *title; /* the crash title (of the culprit's crash report) */
	char *report; /* that report's text */
	unsigned revisions_tested; /* revisions whose build worked and that were run */
	unsigned builds; /* build attempts, including failed ones and speculative ones */
	/*
	 * builds started ahead of need (build.slots), how many of those were
	 * tested, and how many were stopped as useless (not counted in builds)
	 */
	unsigned speculative_builds, speculative_used, speculative_cancelled;
	unsigned runs; /* test runs, all revisions (runs ahead included) */
	/*
	 * runs started ahead of need on idle VMs, for commits built ahead of
	 * need, how many of them became evidence, and how many were stopped as
	 * useless (not counted in runs)
	 */
	unsigned runs_ahead, runs_ahead_used, runs_ahead_cancelled;
	double total_seconds, build_seconds, test_seconds;
	struct kb_recipients recipients;
	struct kb_result_commit *commits; /* in test order */
	size_t n_commits;
	char *error; /* KB_RESULT_ERROR (and not-reproducible details), or NULL */
	char *config_hash;
};

void kb_result_init(struct kb_result *r);
void kb_result_clear(struct kb_result *r);

/*
 * Append a tested revision (zeroed but for @commit and @role) and return it;
 * the pointer is valid until the next kb_result_add_commit().  When the last
 * entry is the same commit in the same role (more runs on the commit just
 * tested), that entry is cleared and returned instead: one entry per test.
 */
struct kb_result_commit *kb_result_add_commit(struct kb_result *r, const char *commit,
					      enum kb_commit_role role);
/* Copy @run (its strings are duplicated) into @c. */
void kb_result_commit_add_run(struct kb_result_commit *c, const struct kb_run_result *run);
void kb_result_add_candidate(struct kb_result *r, const char *commit, double probability);

const char *kb_result_verdict_name(enum kb_result_verdict v);
const char *kb_commit_verdict_name(enum kb_commit_verdict v);
const char *kb_commit_role_name(enum kb_commit_role r);
const char *kb_run_outcome_name(enum kb_run_outcome o);
const char *kb_build_status_name(enum kb_build_status s);

/* The result as a new JSON object (schema in docs/config.md). */
json_t *kb_result_to_json(const struct kb_result *r);

/* Append the JSON text (2-space indent, trailing '\n').  0 or -ENOMEM. */
int kb_result_write_json(const struct kb_result *r, struct kb_buf *out) KB_MUST_CHECK;

/*
 * The end of the reference log: the stats line, then by verdict
 * "first bad commit: ..." + recipients + "crash: ..." (culprit), the
 * inconclusive list, "oldest tested release already had the bug ..." +
 * crash, or "error: ...".  The signature lines of the noop check are the
 * engine's (they come before the stats line).
 */
void kb_log_summary(struct kb_buf *b, const struct kb_result *r);

#endif
