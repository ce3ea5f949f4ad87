// SPDX-License-Identifier: Apache-2.0
/* The bisection result: ownership helpers, JSON writer and log summary. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "output/log.h"
#include "output/result.h"

void kb_result_init(struct kb_result *r)
{
	*r = (struct kb_result){ .verdict = KB_RESULT_ERROR };
}

static void commit_clear(struct kb_result_commit *c)
{
	free(c->commit);
	free(c->subject);
	free(c->tag);
	kb_build_result_clear(&c->build);
	for (size_t i = 0; i < c->n_runs; i++)
		kb_run_result_clear(&c->runs[i]);
	free(c->runs);
}

void kb_result_clear(struct kb_result *r)
{
	free(r->culprit);
	free(r->culprit_subject);
	for (size_t i = 0; i < r->n_candidates; i++)
		free(r->candidates[i].commit);
	free(r->candidates);
	free(r->title);
	free(r->report);
	kb_recipients_clear(&r->recipients);
	for (size_t i = 0; i < r->n_commits; i++)
		commit_clear(&r->commits[i]);
	free(r->commits);
	free(r->error);
	free(r->config_hash);
	kb_result_init(r);
}

struct kb_result_commit *kb_result_add_commit(struct kb_result *r, const char *commit,
					      enum kb_commit_role role)
{
	struct kb_result_commit *c = r->n_commits ? &r->commits[r->n_commits - 1] : NULL;

	/* more runs on the commit just tested: its entry is replaced, not repeated */
	if (c && c->role == role && !strcmp(c->commit, commit)) {
		commit_clear(c);
	} else {
		r->commits = kb_xrealloc(r->commits, (r->n_commits + 1) * sizeof(*r->commits));
		c = &r->commits[r->n_commits++];
	}
	*c = (struct kb_result_commit){ .commit = kb_xstrdup(commit), .role = role };
	return c;
}

static char *dup_or_null(const char *s)
{
	return s ? kb_xstrdup(s) : NULL;
}

void kb_result_commit_add_run(struct kb_result_commit *c, const struct kb_run_result *run)
{
	c->runs = kb_xrealloc(c->runs, (c->n_runs + 1) * sizeof(*c->runs));
	struct kb_run_result *d = &c->runs[c->n_runs++];
	*d = *run;
	d->title = dup_or_null(run->title);
	d->console_path = dup_or_null(run->console_path);
}

void kb_result_add_candidate(struct kb_result *r, const char *commit, double probability)
{
	r->candidates = kb_xrealloc(r->candidates, (r->n_candidates + 1) * sizeof(*r->candidates));
	r->candidates[r->n_candidates++] =
		(struct kb_result_candidate){ .commit = kb_xstrdup(commit),
					      .probability = probability };
}

const char *kb_result_verdict_name(enum kb_result_verdict v)
{
	switch (v) {
	case KB_RESULT_CULPRIT:
		return "culprit";
	case KB_RESULT_INCONCLUSIVE:
		return "inconclusive";
	case KB_RESULT_OLDEST_RELEASE_BAD:
		return "oldest-release-bad";
	case KB_RESULT_NOT_REPRODUCIBLE:
		return "not-reproducible";
	case KB_RESULT_ERROR:
		break;
	}
	return "error";
}

const char *kb_commit_verdict_name(enum kb_commit_verdict v)
{
	switch (v) {
	case KB_COMMIT_GOOD:
		return "good";
	case KB_COMMIT_BAD:
		return "bad";
	case KB_COMMIT_SKIP:
		return "skip";
	case KB_COMMIT_INFRA:
		return "infra";
	case KB_COMMIT_UNTESTED:
		break;
	}
	return "untested";
}

const char *kb_commit_role_name(enum kb_commit_role r)
{
	switch (r) {
	case KB_ROLE_START:
		return "start";
	case KB_ROLE_RELEASE:
		return "release";
	case KB_ROLE_BISECT:
		return "bisect";
	case KB_ROLE_PARENT:
		return "parent";
	case KB_ROLE_VERIFY:
		break;
	}
	return "verify";
}

const char *kb_run_outcome_name(enum kb_run_outcome o)
{
	switch (o) {
	case KB_RUN_OK:
		return "ok";
	case KB_RUN_CRASH:
		return "crash";
	case KB_RUN_BOOT_FAIL:
		return "boot-failed";
	case KB_RUN_TEST_FAIL:
		return "test-failed";
	case KB_RUN_SKIP:
		return "skip";
	case KB_RUN_INFRA:
		break;
	}
	return "infra";
}

const char *kb_build_status_name(enum kb_build_status s)
{
	switch (s) {
	case KB_BUILD_OK:
		return "ok";
	case KB_BUILD_FAILED:
		return "failed";
	case KB_BUILD_INFRA:
		break;
	}
	return "infra";
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* jansson refuses NaN and infinities; they would be a bug upstream, show null */
static json_t *jreal(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *commit_json(const struct kb_result_commit *c)
{
	json_t *o = json_object(), *build = json_object(), *runs = json_array();

	json_object_set_new(o, "commit", jstr(c->commit));
	json_object_set_new(o, "subject", jstr(c->subject));
	json_object_set_new(o, "role", json_string(kb_commit_role_name(c->role)));
	if (c->tag)
		json_object_set_new(o, "tag", json_string(c->tag));
	json_object_set_new(o, "signature",
			    jstr(c->build.signature[0] ? c->build.signature : NULL));
	json_object_set_new(build, "status", json_string(kb_build_status_name(c->build.status)));
	json_object_set_new(build, "seconds", jreal(c->build.seconds));
	json_object_set_new(build, "compiler", jstr(c->build.compiler));
	json_object_set_new(build, "log", jstr(c->build.log_path));
	json_object_set_new(build, "error", jstr(c->build.error_lines));
	json_object_set_new(o, "build", build);
	for (size_t i = 0; i < c->n_runs; i++) {
		const struct kb_run_result *run = &c->runs[i];
		json_t *ro = json_object();
		json_object_set_new(ro, "outcome", json_string(kb_run_outcome_name(run->outcome)));
		json_object_set_new(ro, "title", jstr(run->title));
		json_object_set_new(ro, "console", jstr(run->console_path));
		json_object_set_new(ro, "exit_status", json_integer(run->exit_status));
		json_object_set_new(ro, "seconds", jreal(run->seconds));
		json_array_append_new(runs, ro);
	}
	json_object_set_new(o, "runs", runs);
	json_object_set_new(o, "test_seconds", jreal(c->test_seconds));
	json_object_set_new(o, "verdict", json_string(kb_commit_verdict_name(c->verdict)));
	return o;
}

json_t *kb_result_to_json(const struct kb_result *r)
{
	json_t *o = json_object(), *cands = json_array(), *flags = json_object();
	json_t *secs = json_object(), *rcpt = json_object(), *commits = json_array();

	json_object_set_new(o, "verdict", json_string(kb_result_verdict_name(r->verdict)));
	json_object_set_new(o, "culprit", jstr(r->culprit));
	json_object_set_new(o, "culprit_subject", jstr(r->culprit_subject));
	for (size_t i = 0; i < r->n_candidates; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "commit", json_string(r->candidates[i].commit));
		json_object_set_new(c, "probability", jreal(r->candidates[i].probability));
		json_array_append_new(cands, c);
	}
	json_object_set_new(o, "candidates", cands);
	json_object_set_new(o, "confidence", jreal(r->confidence));
	json_object_set_new(flags, "merge", json_boolean(r->flags.merge));
	json_object_set_new(flags, "noop", json_boolean(r->flags.noop));
	json_object_set_new(flags, "release", json_boolean(r->flags.release));
	json_object_set_new(o, "flags", flags);
	json_object_set_new(o, "title", jstr(r->title));
	json_object_set_new(o, "revisions_tested", json_integer(r->revisions_tested));
	json_object_set_new(o, "builds", json_integer(r->builds));
	json_object_set_new(o, "speculative_builds",
			    json_pack("{s:I,s:I,s:I}", "started", (json_int_t)r->speculative_builds,
				      "used", (json_int_t)r->speculative_used, "cancelled",
				      (json_int_t)r->speculative_cancelled));
	json_object_set_new(o, "runs", json_integer(r->runs));
	json_object_set_new(o, "runs_ahead",
			    json_pack("{s:I,s:I,s:I}", "started", (json_int_t)r->runs_ahead, "used",
				      (json_int_t)r->runs_ahead_used, "cancelled",
				      (json_int_t)r->runs_ahead_cancelled));
	json_object_set_new(secs, "total", jreal(r->total_seconds));
	json_object_set_new(secs, "build", jreal(r->build_seconds));
	json_object_set_new(secs, "test", jreal(r->test_seconds));
	json_object_set_new(o, "seconds", secs);
	json_object_set_new(rcpt, "to", str_array(r->recipients.to, r->recipients.n_to));
	json_object_set_new(rcpt, "cc", str_array(r->recipients.cc, r->recipients.n_cc));
	json_object_set_new(o, "recipients", rcpt);
	json_object_set_new(o, "error", jstr(r->error));
	json_object_set_new(o, "config_hash", jstr(r->config_hash));
	for (size_t i = 0; i < r->n_commits; i++)
		json_array_append_new(commits, commit_json(&r->commits[i]));
	json_object_set_new(o, "commits", commits);
	json_object_set_new(o, "report", jstr(r->report));
	return o;
}

int kb_result_write_json(const struct kb_result *r, struct kb_buf *out)
{
	json_t *j = kb_result_to_json(r);
	/* 15 digits: nanosecond times of hours survive, 0.99 stays 0.99 */
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(15));

	json_decref(j);
	if (!text)
		return -ENOMEM;
	kb_buf_addstr(out, text);
	kb_buf_addch(out, '\n');
	free(text);
	return 0;
}

static void log_crash(struct kb_buf *b, const struct kb_result *r)
{
	if (r->title)
		kb_log_crash(b, r->title, r->report ? r->report : "",
			     r->report ? strlen(r->report) : 0);
}

void kb_log_summary(struct kb_buf *b, const struct kb_result *r)
{
	kb_log_stats(b, r->revisions_tested, r->total_seconds, r->build_seconds, r->test_seconds);
	switch (r->verdict) {
	case KB_RESULT_CULPRIT:
		kb_log_first_commit(b, false, r->culprit ? r->culprit : "",
				    r->culprit_subject ? r->culprit_subject : "");
		kb_log_recipients(b, (const char *const *)r->recipients.to, r->recipients.n_to,
				  (const char *const *)r->recipients.cc, r->recipients.n_cc);
		log_crash(b, r);
		break;
	case KB_RESULT_INCONCLUSIVE: {
		const char **v = kb_xcalloc(r->n_candidates + 1, sizeof(*v));
		for (size_t i = 0; i < r->n_candidates; i++)
			v[i] = r->candidates[i].commit;
		kb_log_inconclusive(b, v, r->n_candidates);
		free(v);
		break;
	}
	case KB_RESULT_OLDEST_RELEASE_BAD:
		kb_log_line(b, "oldest tested release already had the bug or it had kernel test "
			       "errors");
		if (r->culprit_subject)
			kb_log_line(b, "commit msg: %s", r->culprit_subject);
		log_crash(b, r);
		break;
	case KB_RESULT_NOT_REPRODUCIBLE:
		kb_log_line(b, "error: %s",
			    r->error ? r->error :
				       "the crash wasn't reproduced on the original commit");
		break;
	case KB_RESULT_ERROR:
		kb_log_line(b, "error: %s", r->error ? r->error : "unknown error");
		break;
	}
}
