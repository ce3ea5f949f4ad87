// SPDX-License-Identifier: Apache-2.0
/*
 * Reference-format log lines.  Besides exact strings, whole blocks are
 * generated from the facts of the two reference logs and must appear in
 * those logs byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "output/golang.h"
#include "output/log.h"
#include "run/run.h"
#include "util/fs.h"

static struct kb_buf ref_uring = KB_BUF_INIT, ref_wq = KB_BUF_INIT;

static int load_ref(struct kb_buf *b, const char *name)
{
	const char *dir = getenv("KBISECT_SHARED");
	char *path = kb_xasprintf("%s/reference-logs/%s", dir ? dir : "/work/shared", name);
	int r = kb_read_file(path, b);

	free(path);
	return r;
}

static int setup(void **state)
{
	(void)state;
	if (load_ref(&ref_uring, "io_uring_register.log") < 0 ||
	    load_ref(&ref_wq, "io_wq_cancel_all.log") < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kb_buf_release(&ref_uring);
	kb_buf_release(&ref_wq);
	return 0;
}

static void test_simple_lines(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *goods[] = { "v5.3", "abc" };

	(void)state;
	kb_log_testing_commit(&b, "abc", NULL);
	kb_log_testing_commit(&b, "abc", "with gcc (GCC) 8.1.0");
	kb_log_compiler(&b, "gcc 12");
	kb_log_kernel_signature(&b, "00ff");
	kb_log_testing_release(&b, "v5.14");
	kb_log_build_failed(&b, "abc", "foo.c:1: error: x\nmore");
	kb_log_git_start(&b, "bad1", goods, 2);
	kb_log_git_step(&b, "skip", "abc");
	kb_log_signatures(&b, "s1", "s2");
	kb_log_first_commit(&b, false, "abc", "subj");
	kb_log_first_commit(&b, true, "abc", "subj");
	kb_log_bisect_from(&b, "abc");
	kb_log_line(&b, "accumulated error probability: %.2f", 0.25);
	assert_string_equal(b.buf, "testing commit abc\n"
				   "testing commit abc with gcc (GCC) 8.1.0\n"
				   "compiler: gcc 12\n"
				   "kernel signature: 00ff\n"
				   "testing release v5.14\n"
				   "failed building abc: foo.c:1: error: x\n"
				   "# git bisect start bad1 v5.3 abc\n"
				   "# git bisect skip abc\n"
				   "culprit signature: s1\n"
				   "parent  signature: s2\n"
				   "first bad commit: abc subj\n"
				   "first good commit: abc subj\n"
				   "bisecting cause commit starting from abc\n"
				   "accumulated error probability: 0.25\n");
	kb_buf_release(&b);
}

static void test_bisecting_plural(void **state)
{
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	kb_log_bisecting(&b, 0, 0, "h0", "s0");
	kb_log_bisecting(&b, 1, 1, "h1", "s1");
	kb_log_bisecting(&b, 2, 1, "h2", "s2");
	assert_string_equal(b.buf,
			    "Bisecting: 0 revisions left to test after this (roughly 0 steps)\n"
			    "[h0] s0\n\n"
			    "Bisecting: 1 revision left to test after this (roughly 1 step)\n"
			    "[h1] s1\n\n"
			    "Bisecting: 2 revisions left to test after this (roughly 1 step)\n"
			    "[h2] s2\n\n");
	kb_buf_release(&b);
}

static void test_estimate_steps(void **state)
{
	(void)state;
	/* git: 0 below 3, else floor(log2(all)) or one less near the lower power */
	assert_int_equal(kb_bisect_estimate_steps(0), 0);
	assert_int_equal(kb_bisect_estimate_steps(2), 0);
	assert_int_equal(kb_bisect_estimate_steps(3), 1);
	assert_int_equal(kb_bisect_estimate_steps(4), 1);
	assert_int_equal(kb_bisect_estimate_steps(5), 1);
	assert_int_equal(kb_bisect_estimate_steps(6), 2);
	assert_int_equal(kb_bisect_estimate_steps(8), 2);
	assert_int_equal(kb_bisect_estimate_steps(1024), 9);
	assert_int_equal(kb_bisect_estimate_steps(1365), 9);
	assert_int_equal(kb_bisect_estimate_steps(1366), 10);
	/* the counts in log io_uring_register: "N left" means all = about 2N+1..2N+2 */
	assert_int_equal(kb_bisect_estimate_steps(2 * 5330 + 1), 12);
	assert_int_equal(kb_bisect_estimate_steps(2 * 11 + 1), 4);
	assert_int_equal(kb_bisect_estimate_steps(2 * 2 + 1), 1);
}

static void test_runs(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *same[] = { "OK", "OK", "OK" };
	const char *mixed[] = { "crashed: T", "OK", "boot failed: B" };

	(void)state;
	kb_log_runs(&b, same, 0);
	assert_string_equal(b.buf, "");
	kb_log_runs(&b, same, 3);
	assert_string_equal(b.buf, "all runs: OK\n");
	kb_buf_reset(&b);
	kb_log_runs(&b, mixed, 1);
	assert_string_equal(b.buf, "all runs: crashed: T\n");
	kb_buf_reset(&b);
	kb_log_runs(&b, mixed, 3);
	assert_string_equal(b.buf, "run #0: crashed: T\nrun #1: OK\nrun #2: boot failed: B\n");
	kb_buf_release(&b);
}

static void test_run_results(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	struct kb_run_result r[3] = {
		{ .outcome = KB_RUN_CRASH, .title = (char *)"general protection fault in x" },
		{ .outcome = KB_RUN_OK },
		{ .outcome = KB_RUN_TEST_FAIL, .title = (char *)"KFENCE: use-after-free in y" },
	};

	(void)state;
	kb_log_run_results(&b, r, 3);
	assert_string_equal(b.buf,
			    "run #0: crashed: general protection fault in x\n"
			    "run #1: OK\n"
			    "run #2: basic kernel testing failed: KFENCE: use-after-free in y\n");
	kb_buf_reset(&b);
	kb_log_run_results(&b, r + 1, 1);
	assert_string_equal(b.buf, "all runs: OK\n");
	kb_buf_release(&b);
}

static void assert_in_ref(const struct kb_buf *ref, const struct kb_buf *b)
{
	if (!strstr(ref->buf, b->buf))
		fail_msg("not in the reference log:\n%s", b->buf);
}

#define GCC10 "gcc (GCC) 10.2.1 20210217, GNU ld (GNU Binutils for Debian) 2.35.1"

/* The first bisection step of log io_uring_register, rebuilt from its facts. */
static void test_ref_uring_step(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *good = "7d2a07b769330c34b4deabeed939325c77a7ec2f";
	const char *ok[10];

	(void)state;
	for (size_t i = 0; i < 10; i++)
		ok[i] = "OK";
	kb_log_testing_release(&b, "v5.14");
	kb_log_testing_commit(&b, good, NULL);
	kb_log_compiler(&b, GCC10);
	kb_log_kernel_signature(&b,
				"c7a96685f36d300f914d643ce230ea254f68b922997290f143876a9044cd0b7f");
	kb_log_runs(&b, ok, 10);
	kb_log_git_start(&b, "a3fa7a101dcff93791d1b1bdb3affcad1410c8c1", &good, 1);
	kb_log_bisecting(&b, 5330, 12, "0d290223a6c77107b1c3988959e49279a8dafaba",
			 "Merge tag 'sound-5.15-rc1' of "
			 "git://git.kernel.org/pub/scm/linux/kernel/git/tiwai/sound");
	kb_log_testing_commit(&b, "0d290223a6c77107b1c3988959e49279a8dafaba", NULL);
	assert_in_ref(&ref_uring, &b);
	kb_buf_release(&b);
}

/* The start commit's 20 runs (mixed) and a step with one boot failure. */
static void test_ref_uring_runs(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *v[20];
	const char *gpf = "crashed: general protection fault in io_uring_register";

	(void)state;
	for (size_t i = 0; i < 20; i++)
		v[i] = gpf;
	v[15] = v[16] = v[18] = "OK";
	v[19] = "boot failed: KFENCE: use-after-free in kvm_fastop_exception";
	kb_log_runs(&b, v, 20);
	kb_log_line(&b, "testing release %s", "v5.14");
	assert_in_ref(&ref_uring, &b);

	kb_buf_reset(&b);
	for (size_t i = 0; i < 10; i++)
		v[i] = "OK";
	v[9] = "boot failed: KFENCE: use-after-free in kvm_fastop_exception";
	kb_log_runs(&b, v, 10);
	kb_log_git_step(&b, "good", "27151f177827d478508e756c7657273261aaf8a9");
	assert_in_ref(&ref_uring, &b);
	kb_buf_release(&b);
}

/* The end of log io_uring_register up to the recipients. */
static void test_ref_uring_tail(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const int64_t s = 1000000000;

	(void)state;
	kb_log_signatures(&b, "1ac977ebbc4243c551311a48f48fa9edfe39de9a4bba6c87b1ab66515f1899b6",
			  "7706cb943b20385ada2dd9e9bcae8116706b692a531293fde0a165414c09e5d7");
	kb_log_stats(&b, 14, ((3 * 60 + 34) * 60 + 58) * s / 1e9 + 0.069124664,
		     ((1 * 60 + 31) * 60 + 5) + 0.463136765,
		     ((2 * 60 + 2) * 60 + 13) + 0.404001075);
	kb_log_first_commit(&b, false, "fa84693b3c896460831fe0750554121121a23da8",
			    "io_uring: ensure IORING_REGISTER_IOWQ_MAX_WORKERS works with SQPOLL");
	kb_buf_addstr(&b, "recipients (to): ");
	assert_in_ref(&ref_uring, &b);
	kb_buf_release(&b);
}

/* "crash: T" + report + the tracer's newline is exactly how the log ends. */
static void test_ref_crash_block(void **state)
{
	const struct kb_buf *refs[] = { &ref_uring, &ref_wq };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *crash = strstr(refs[i]->buf, "\ncrash: ") + 1;
		const char *title = crash + strlen("crash: ");
		const char *eol = strchr(title, '\n');
		const char *report = eol + 1;
		/* the report is what follows, minus the final newline the tracer adds */
		size_t len = (size_t)(refs[i]->buf + refs[i]->len - report) - 1;
		char *t = kb_xstrndup(title, (size_t)(eol - title));
		struct kb_buf b = KB_BUF_INIT;

		kb_log_crash(&b, t, report, len);
		assert_int_equal(b.len, (size_t)(refs[i]->buf + refs[i]->len - crash));
		assert_memory_equal(b.buf, crash, b.len);
		free(t);
		kb_buf_release(&b);
	}
}

/* Log io_wq_cancel_all (2019): legacy lines our helpers can still spell. */
static void test_ref_wq(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *v[10];
	const char *cc[] = { "akpm@linux-foundation.org",     "axboe@kernel.dk",
			     "dan.j.williams@intel.com",      "dhowells@redhat.com",
			     "gregkh@linuxfoundation.org",    "hannes@cmpxchg.org",
			     "joel@joelfernandes.org",	      "linux-block@vger.kernel.org",
			     "linux-fsdevel@vger.kernel.org", "linux-kernel@vger.kernel.org",
			     "mchehab+samsung@kernel.org",    "mingo@redhat.com",
			     "patrick.bellasi@arm.com",	      "rgb@redhat.com",
			     "rostedt@goodmis.org",	      "viro@zeniv.linux.org.uk",
			     "yamada.masahiro@socionext.com" };

	(void)state;
	kb_log_bisect_from(&b, "c57cf3833c66cd86c9bdee7112fc992377143f74");
	kb_log_line(&b, "building syzkaller on %s", "5ea87a6638e52a94361b26b8576a1605585815fb");
	kb_log_testing_commit(&b, "c57cf3833c66cd86c9bdee7112fc992377143f74",
			      "with gcc (GCC) 8.1.0");
	for (size_t i = 0; i < 10; i++)
		v[i] = i < 6 ? "crashed: BUG: unable to handle kernel paging request in "
			       "io_wq_cancel_all" :
			       "crashed: INFO: task hung in mpage_prepare_extent_to_map";
	kb_log_runs(&b, v, 10);
	assert_in_ref(&ref_wq, &b);

	kb_buf_reset(&b);
	kb_log_stats(&b, 16, 4 * 3600 + 5 * 60 + 40.404848943, 3600 + 39 * 60 + 2.181526858,
		     2 * 3600 + 21 * 60 + 20.934202664);
	kb_log_first_commit(&b, false, "ef0524d3654628ead811f328af0a4a2953a8310f",
			    "io_uring: replace workqueue usage with io-wq");
	kb_buf_addstr(&b, "cc: ");
	kb_go_quote_list(&b, cc, KB_ARRAY_SIZE(cc));
	kb_buf_addstr(&b,
		      "\ncrash: BUG: unable to handle kernel paging request in io_wq_cancel_all\n");
	assert_in_ref(&ref_wq, &b);
	kb_buf_release(&b);
}

static void test_inconclusive_and_recipients(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *h[] = { "aaa", "bbb" };
	const char *to[] = { "a@b" };

	(void)state;
	kb_log_inconclusive(&b, h, 2);
	kb_log_recipients(&b, to, 1, NULL, 0);
	assert_string_equal(b.buf,
			    "bisection is inconclusive, the first bad commit could be any of:\n"
			    "aaa\nbbb\n"
			    "recipients (to): [\"a@b\"]\n"
			    "recipients (cc): []\n");
	kb_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_lines),
		cmocka_unit_test(test_bisecting_plural),
		cmocka_unit_test(test_estimate_steps),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_run_results),
		cmocka_unit_test(test_ref_uring_step),
		cmocka_unit_test(test_ref_uring_runs),
		cmocka_unit_test(test_ref_uring_tail),
		cmocka_unit_test(test_ref_crash_block),
		cmocka_unit_test(test_ref_wq),
		cmocka_unit_test(test_inconclusive_and_recipients),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
