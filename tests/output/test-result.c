// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "output/result.h"

#define CULPRIT "fa84693b3c896460831fe0750554121121a23da8"
#define PARENT	"3146cba99aa284b1d4a10fbd923df953f1d18035"

static void fill(struct kb_result *r)
{
	struct kb_run_result crash = {
		.outcome = KB_RUN_CRASH,
		.title = (char *)"general protection fault in io_uring_register",
		.console_path = (char *)"steps/01/console-0.log",
		.exit_status = 1,
		.seconds = 2.5
	};
	struct kb_run_result ok = { .outcome = KB_RUN_OK, .exit_status = 0, .seconds = 1 };
	struct kb_result_commit *c;

	kb_result_init(r);
	r->verdict = KB_RESULT_CULPRIT;
	r->culprit = kb_xstrdup(CULPRIT);
	r->culprit_subject =
		kb_xstrdup("io_uring: ensure IORING_REGISTER_IOWQ_MAX_WORKERS works with SQPOLL");
	kb_result_add_candidate(r, CULPRIT, 0.995);
	kb_result_add_candidate(r, PARENT, 0.005);
	r->confidence = 0.995;
	r->flags.merge = true;
	r->title = kb_xstrdup("general protection fault in io_uring_register");
	r->report = kb_xstrdup(
		"general protection fault, probably for non-canonical address\nRIP: x\n");
	r->revisions_tested = 14;
	r->builds = 15;
	r->speculative_builds = 6;
	r->speculative_used = 4;
	r->runs = 160;
	r->total_seconds = 12898.069124664;
	r->build_seconds = 5465.463136765;
	r->test_seconds = 7333.404001075;
	kb_recipients_add(&r->recipients, "Jens Axboe <axboe@kernel.dk>", false);
	kb_recipients_add(&r->recipients, "asml.silence@gmail.com", true);
	r->config_hash = kb_xstrdup("ab12");

	c = kb_result_add_commit(r, CULPRIT, KB_ROLE_BISECT);
	c->subject = kb_xstrdup("io_uring: ensure ...");
	c->build.status = KB_BUILD_OK;
	memcpy(c->build.signature, "1ac977eb", sizeof("1ac977eb"));
	c->build.compiler = kb_xstrdup("gcc (GCC) 10.2.1");
	c->build.seconds = 300;
	kb_result_commit_add_run(c, &crash);
	kb_result_commit_add_run(c, &ok);
	c->verdict = KB_COMMIT_BAD;
	c->test_seconds = 3.5;

	c = kb_result_add_commit(r, "7d2a07b769330c34b4deabeed939325c77a7ec2f", KB_ROLE_RELEASE);
	c->tag = kb_xstrdup("v5.14");
	c->build.status = KB_BUILD_FAILED;
	c->build.error_lines = kb_xstrdup("fs/x.c:1: error: y");
	c->verdict = KB_COMMIT_SKIP;
}

static void test_json(void **state)
{
	struct kb_result r;
	struct kb_buf b = KB_BUF_INIT;
	json_error_t err;

	(void)state;
	fill(&r);
	assert_int_equal(kb_result_write_json(&r, &b), 0);
	assert_int_equal(b.buf[b.len - 1], '\n');
	/* numbers are printed short, not as 0.99499999999999999 */
	assert_non_null(strstr(b.buf, "\"confidence\": 0.995,"));
	assert_non_null(strstr(b.buf, "\"total\": 12898.069124664"));

	json_t *j = json_loads(b.buf, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "culprit");
	assert_string_equal(json_string_value(json_object_get(j, "culprit")), CULPRIT);
	json_t *cands = json_object_get(j, "candidates");
	assert_int_equal(json_array_size(cands), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(cands, 1), "commit")),
			    PARENT);
	assert_true(json_real_value(json_object_get(json_array_get(cands, 0), "probability")) ==
		    0.995);
	json_t *flags = json_object_get(j, "flags");
	assert_true(json_is_true(json_object_get(flags, "merge")));
	assert_true(json_is_false(json_object_get(flags, "noop")));
	assert_true(json_is_false(json_object_get(flags, "release")));
	assert_int_equal(json_integer_value(json_object_get(j, "revisions_tested")), 14);
	assert_int_equal(json_integer_value(json_object_get(j, "builds")), 15);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "speculative_builds"), "started")),
			 6);
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(j, "speculative_builds"), "used")),
			 4);
	assert_int_equal(json_integer_value(json_object_get(j, "runs")), 160);
	json_t *secs = json_object_get(j, "seconds");
	assert_true(json_real_value(json_object_get(secs, "build")) == 5465.463136765);
	json_t *rc = json_object_get(j, "recipients");
	assert_string_equal(json_string_value(json_array_get(json_object_get(rc, "to"), 0)),
			    "axboe@kernel.dk");
	assert_string_equal(json_string_value(json_array_get(json_object_get(rc, "cc"), 0)),
			    "asml.silence@gmail.com");
	assert_true(json_is_null(json_object_get(j, "error")));

	json_t *commits = json_object_get(j, "commits");
	assert_int_equal(json_array_size(commits), 2);
	json_t *c0 = json_array_get(commits, 0);
	assert_string_equal(json_string_value(json_object_get(c0, "signature")), "1ac977eb");
	assert_string_equal(json_string_value(json_object_get(c0, "role")), "bisect");
	assert_string_equal(json_string_value(json_object_get(c0, "verdict")), "bad");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(c0, "build"), "status")), "ok");
	json_t *runs = json_object_get(c0, "runs");
	assert_int_equal(json_array_size(runs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "outcome")),
			    "crash");
	assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "title")),
			    "general protection fault in io_uring_register");
	assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "console")),
			    "steps/01/console-0.log");
	assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 1), "outcome")),
			    "ok");
	assert_true(json_is_null(json_object_get(json_array_get(runs, 1), "title")));
	json_t *c1 = json_array_get(commits, 1);
	assert_true(json_is_null(json_object_get(c1, "signature")));
	assert_string_equal(json_string_value(json_object_get(c1, "tag")), "v5.14");
	assert_string_equal(json_string_value(json_object_get(c1, "verdict")), "skip");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(c1, "build"), "status")),
		"failed");
	assert_int_equal(json_array_size(json_object_get(c1, "runs")), 0);
	json_decref(j);
	kb_buf_release(&b);
	kb_result_clear(&r);
	assert_null(r.culprit);
	assert_int_equal(r.n_commits, 0);
}

static void test_json_error_result(void **state)
{
	struct kb_result r;
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	kb_result_init(&r);
	r.error = kb_xstrdup("git failed");
	r.confidence = NAN; /* NaN must not break the writer */
	assert_int_equal(kb_result_write_json(&r, &b), 0);
	json_t *j = json_loads(b.buf, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "error");
	assert_true(json_is_null(json_object_get(j, "culprit")));
	assert_true(json_is_null(json_object_get(j, "confidence")));
	assert_string_equal(json_string_value(json_object_get(j, "error")), "git failed");
	assert_int_equal(json_array_size(json_object_get(j, "commits")), 0);
	json_decref(j);
	kb_buf_release(&b);
	kb_result_clear(&r);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(kb_result_verdict_name(KB_RESULT_CULPRIT), "culprit");
	assert_string_equal(kb_result_verdict_name(KB_RESULT_INCONCLUSIVE), "inconclusive");
	assert_string_equal(kb_result_verdict_name(KB_RESULT_OLDEST_RELEASE_BAD),
			    "oldest-release-bad");
	assert_string_equal(kb_result_verdict_name(KB_RESULT_NOT_REPRODUCIBLE), "not-reproducible");
	assert_string_equal(kb_result_verdict_name(KB_RESULT_ERROR), "error");
	assert_string_equal(kb_commit_verdict_name(KB_COMMIT_UNTESTED), "untested");
	assert_string_equal(kb_commit_verdict_name(KB_COMMIT_INFRA), "infra");
	assert_string_equal(kb_commit_role_name(KB_ROLE_PARENT), "parent");
	assert_string_equal(kb_commit_role_name(KB_ROLE_VERIFY), "verify");
	assert_string_equal(kb_run_outcome_name(KB_RUN_BOOT_FAIL), "boot-failed");
	assert_string_equal(kb_run_outcome_name(KB_RUN_TEST_FAIL), "test-failed");
	assert_string_equal(kb_run_outcome_name(KB_RUN_SKIP), "skip");
	assert_string_equal(kb_run_outcome_name(KB_RUN_INFRA), "infra");
	assert_string_equal(kb_build_status_name(KB_BUILD_INFRA), "infra");
}

static void test_summary_culprit(void **state)
{
	struct kb_result r;
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	fill(&r);
	kb_log_summary(&b, &r);
	assert_string_equal(
		b.buf,
		"revisions tested: 14, total time: 3h34m58.069124664s (build: 1h31m5.463136765s, "
		"test: 2h2m13.404001075s)\n"
		"first bad commit: " CULPRIT " io_uring: ensure IORING_REGISTER_IOWQ_MAX_WORKERS "
		"works with SQPOLL\n"
		"recipients (to): [\"axboe@kernel.dk\"]\n"
		"recipients (cc): [\"asml.silence@gmail.com\"]\n"
		"crash: general protection fault in io_uring_register\n"
		"general protection fault, probably for non-canonical address\nRIP: x\n\n");
	kb_buf_release(&b);
	kb_result_clear(&r);
}

static void test_summary_others(void **state)
{
	struct kb_result r;
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	kb_result_init(&r);
	r.verdict = KB_RESULT_INCONCLUSIVE;
	r.revisions_tested = 3;
	r.total_seconds = 90;
	r.build_seconds = 0.5;
	kb_result_add_candidate(&r, "aaa", 0.5);
	kb_result_add_candidate(&r, "bbb", 0.5);
	kb_log_summary(&b, &r);
	assert_string_equal(b.buf,
			    "revisions tested: 3, total time: 1m30s (build: 500ms, test: 0s)\n"
			    "bisection is inconclusive, the first bad commit could be any of:\n"
			    "aaa\nbbb\n");
	kb_result_clear(&r);

	kb_buf_reset(&b);
	r.verdict = KB_RESULT_OLDEST_RELEASE_BAD;
	r.culprit_subject = kb_xstrdup("Linux 5.3");
	r.title = kb_xstrdup("T");
	r.report = kb_xstrdup("R\n");
	kb_log_summary(&b, &r);
	assert_string_equal(b.buf,
			    "revisions tested: 0, total time: 0s (build: 0s, test: 0s)\n"
			    "oldest tested release already had the bug or it had kernel test "
			    "errors\n"
			    "commit msg: Linux 5.3\n"
			    "crash: T\nR\n\n");
	kb_result_clear(&r);

	kb_buf_reset(&b);
	r.verdict = KB_RESULT_NOT_REPRODUCIBLE;
	kb_log_summary(&b, &r);
	assert_string_equal(b.buf, "revisions tested: 0, total time: 0s (build: 0s, test: 0s)\n"
				   "error: the crash wasn't reproduced on the original commit\n");
	kb_result_clear(&r);

	kb_buf_reset(&b);
	r.error = kb_xstrdup("infrastructure failures on 12 of 20 runs");
	kb_log_summary(&b, &r);
	assert_string_equal(b.buf, "revisions tested: 0, total time: 0s (build: 0s, test: 0s)\n"
				   "error: infrastructure failures on 12 of 20 runs\n");
	kb_result_clear(&r);
	kb_buf_release(&b);
}

/* More runs on the commit just tested replace its entry; other tests append. */
static void test_add_commit_again(void **state)
{
	struct kb_run_result run = { .outcome = KB_RUN_OK, .seconds = 1 };
	struct kb_result r;
	struct kb_result_commit *c;

	(void)state;
	kb_result_init(&r);
	c = kb_result_add_commit(&r, "aaaa", KB_ROLE_RELEASE);
	c->tag = kb_xstrdup("v1.2");
	kb_result_commit_add_run(c, &run);
	c = kb_result_add_commit(&r, "aaaa", KB_ROLE_RELEASE);
	assert_int_equal(r.n_commits, 1);
	assert_int_equal(c->n_runs, 0);
	assert_null(c->tag);
	kb_result_commit_add_run(c, &run);
	kb_result_commit_add_run(c, &run);
	c = kb_result_add_commit(&r, "aaaa", KB_ROLE_BISECT);
	assert_int_equal(r.n_commits, 2);
	c = kb_result_add_commit(&r, "bbbb", KB_ROLE_BISECT);
	c = kb_result_add_commit(&r, "aaaa", KB_ROLE_BISECT);
	assert_int_equal(r.n_commits, 4);
	assert_int_equal(r.commits[0].n_runs, 2);
	kb_result_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),	       cmocka_unit_test(test_json_error_result),
		cmocka_unit_test(test_names),	       cmocka_unit_test(test_summary_culprit),
		cmocka_unit_test(test_summary_others), cmocka_unit_test(test_add_commit_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
