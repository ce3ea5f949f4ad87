// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "output/log.h"
#include "output/recipients.h"
#include "util/error.h"
#include "util/fs.h"

/* "to: a b | cc: c" for compact assertions */
static char *dump(const struct kb_recipients *r)
{
	struct kb_buf b = KB_BUF_INIT;

	kb_buf_addstr(&b, "to:");
	for (size_t i = 0; i < r->n_to; i++)
		kb_buf_addf(&b, " %s", r->to[i]);
	kb_buf_addstr(&b, " | cc:");
	for (size_t i = 0; i < r->n_cc; i++)
		kb_buf_addf(&b, " %s", r->cc[i]);
	return kb_buf_detach(&b, NULL);
}

#define assert_recipients(r, want)             \
	do {                                   \
		char *_d = dump(r);            \
		assert_string_equal(_d, want); \
		free(_d);                      \
	} while (0)

static void test_address_parse(void **state)
{
	static const char *const cases[][2] = {
		{ "Jens Axboe <axboe@kernel.dk>", "axboe@kernel.dk" },
		{ "axboe@Kernel.DK", "axboe@kernel.dk" },
		{ "  <x@y.org>  ", "x@y.org" },
		{ "stable@vger.kernel.org # 5.4+", "stable@vger.kernel.org" },
		{ "io-uring@vger.kernel.org (moderated for non-subscribers)",
		  "io-uring@vger.kernel.org" },
		{ "\"Doe, John\" <JOHN@doe.com>", "john@doe.com" },
		{ "Name Only", NULL },
		{ "<@x>", NULL },
		{ "a@b@c", NULL },
		{ "<a b@c>", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(cases); i++) {
		char *a = kb_address_parse(cases[i][0]);
		if (!cases[i][1])
			assert_null(a);
		else
			assert_string_equal(a, cases[i][1]);
		free(a);
	}
}

static void test_trailer_keys(void **state)
{
	static const char *const yes[] = { "Signed-off-by",
					   "signed-off-by",
					   "Reviewed-by",
					   "Acked-by",
					   "Acked-for-MFD-by",
					   "Tested-by",
					   "Suggested-and-reviewed-by",
					   "Co-developed-and-tested-by",
					   "Reported-and-tested-by",
					   "Reported-and-Acked-by" };
	static const char *const no[] = {
		"Cc",		"Reported-by",	   "Co-developed-by", "Fixes",	  "Link",
		"Suggested-by", "Signed-off-by-x", "and-reviewed-by", "Reviewed", "Signed off by"
	};

	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(yes); i++)
		if (!kb_trailer_is_recipient(yes[i], strlen(yes[i])))
			fail_msg("should be a recipient: %s", yes[i]);
	for (size_t i = 0; i < KB_ARRAY_SIZE(no); i++)
		if (kb_trailer_is_recipient(no[i], strlen(no[i])))
			fail_msg("should not be a recipient: %s", no[i]);
}

/* The culprit of log io_uring_register, as `git log` prints its message. */
static const char uring_msg[] =
	"    io_uring: ensure IORING_REGISTER_IOWQ_MAX_WORKERS works with SQPOLL\n"
	"    \n"
	"    SQPOLL has a different thread doing submissions, we need to check for\n"
	"    that and use the right task context when updating the worker values.\n"
	"    Just hold the sqd->lock across the operation, this ensures that the\n"
	"    thread cannot go away while we poke at ->io_uring.\n"
	"    \n"
	"    Link: https://github.com/axboe/liburing/issues/420\n"
	"    Fixes: 2e480058ddc2 (\"io-wq: provide a way to limit max number of workers\")\n"
	"    Reported-by: Johannes Lundberg <johalun0@gmail.com>\n"
	"    Tested-by: Johannes Lundberg <johalun0@gmail.com>\n"
	"    Signed-off-by: Jens Axboe <axboe@kernel.dk>\n";

static void test_from_commit(void **state)
{
	struct kb_recipients r = KB_RECIPIENTS_INIT;

	(void)state;
	assert_int_equal(kb_recipients_from_commit(&r, "Jens Axboe <axboe@kernel.dk>", uring_msg),
			 2);
	assert_recipients(&r, "to: axboe@kernel.dk johalun0@gmail.com | cc:");
	kb_recipients_clear(&r);

	/* Cc:, Reported-by and stable@ stay out; case is folded; no duplicates */
	const char *msg = "fix: a thing\n\nCc: cc@x.org\nCc: stable@vger.kernel.org # 5.4+\n"
			  "Reported-by: rep@x.org\nCo-developed-by: Co <co@x.org>\n"
			  "Signed-off-by: Co <CO@x.org>\nAcked-by: ack@x.org\n"
			  "Reviewed-by: Z <z@x.org>\nSigned-off-by: stable@vger.kernel.org\n"
			  "Suggested-and-reviewed-by: sr@x.org\nTested-by: Author <A@X.ORG>\n"
			  "Not a trailer line with Signed-off-by: in@middle.org\n";
	assert_int_equal(kb_recipients_from_commit(&r, "Author <a@x.org>", msg), 5);
	assert_recipients(&r, "to: a@x.org ack@x.org co@x.org sr@x.org z@x.org | cc:");
	kb_recipients_clear(&r);
	assert_int_equal(kb_recipients_from_commit(&r, NULL, ""), 0);
	kb_recipients_clear(&r);
}

static void test_to_cc_disjoint(void **state)
{
	struct kb_recipients r = KB_RECIPIENTS_INIT;

	(void)state;
	assert_true(kb_recipients_add(&r, "b@x", true));
	assert_true(kb_recipients_add(&r, "a@x", true));
	assert_true(kb_recipients_add(&r, "c@x", false));
	assert_recipients(&r, "to: c@x | cc: a@x b@x");
	/* To wins: moving b to To takes it out of Cc */
	assert_true(kb_recipients_add(&r, "B@x", false));
	assert_recipients(&r, "to: b@x c@x | cc: a@x");
	/* already in To: Cc does not duplicate */
	assert_true(kb_recipients_add(&r, "c@x", true));
	assert_true(kb_recipients_add(&r, "c@x", false));
	assert_recipients(&r, "to: b@x c@x | cc: a@x");
	assert_false(kb_recipients_add(&r, "nobody", false));
	assert_false(kb_recipients_add(&r, "Stable <stable@vger.kernel.org>", true));
	assert_recipients(&r, "to: b@x c@x | cc: a@x");
	kb_recipients_clear(&r);
	assert_int_equal(r.n_to, 0);
}

static void test_pattern_match(void **state)
{
	static const struct {
		const char *pat, *file;
		bool match;
	} cases[] = {
		{ "fs/", "fs/io_uring.c", true },
		{ "fs/", "fs/sub/dir/x.c", true },
		{ "fs/", "fsx/a.c", false },
		{ "fs/io_uring.c", "fs/io_uring.c", true },
		{ "fs/io_uring.c", "fs/io_uring.h", false },
		{ "fs/io_uring.c", "include/fs/io_uring.c", false },
		{ "fs/*.c", "fs/x.c", true },
		{ "fs/*.c", "fs/sub/x.c", false },
		{ "fs/*.c", "fs/x.h", false },
		{ "fs/io?wq.c", "fs/io-wq.c", true },
		{ "fs/io?wq.c", "fs/iowq.c", false },
		{ "drivers/net", "drivers/net/x.c", true },
		{ "drivers/net", "drivers/network.c", true }, /* get_maintainer's prefix rule */
		{ "drivers/net", "drivers/netx/a.c", false },
		{ "drivers/*/x.c", "drivers/a/x.c", true },
		{ "drivers/*/x.c", "drivers/a/b/x.c", false },
		{ "include/linux/io_uring*", "include/linux/io_uring_types.h", true },
		{ "*", "Makefile", true },
		{ "*", "fs/x.c", false },
		{ "*/", "fs/x.c", true },
		{ "", "x", false },
		/* a later part fails: an earlier '*' has to take more */
		{ "fs/*ab", "fs/aab", true },
		{ "fs/*x?z", "fs/xaxbz", true },
		{ "fs/*x*y.c", "fs/axxby.c", true },
		{ "fs/*x*y.c", "fs/axxb.c", false },
		{ "fs/*?", "fs/", false },
		/* many '*': must not take exponential time */
		{ "i****************************************q/", "include/linux/io_uring.h",
		  false },
		{ "i****************************************/l*/*h", "include/linux/io_uring.h",
		  true },
	};

	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(cases); i++)
		if (kb_maintainers_pattern_match(cases[i].pat, cases[i].file) != cases[i].match)
			fail_msg("pattern '%s' on '%s' should be %s", cases[i].pat, cases[i].file,
				 cases[i].match ? "a match" : "no match");
}

static const char maintainers[] = "List of maintainers\n"
				  "===================\n"
				  "\n"
				  "Descriptions of section entries and preferred order\n"
				  "\tM: *Mail* patches to: FullName <address@domain>\n"
				  "\n"
				  "IO_URING\n"
				  "M:\tJens Axboe <axboe@kernel.dk>\n"
				  "R:\tPavel Begunkov <asml.silence@gmail.com>\n"
				  "L:\tio-uring@vger.kernel.org\n"
				  "S:\tMaintained\n"
				  "T:\tgit git://git.kernel.dk/linux-block\n"
				  "F:\tfs/io-wq.c\n"
				  "F:\tfs/io_uring.c\n"
				  "F:\tinclude/linux/io_uring.h\n"
				  "\n"
				  "FILESYSTEMS (VFS and infrastructure)\n"
				  "M:\tAlexander Viro <viro@zeniv.linux.org.uk>\n"
				  "L:\tlinux-fsdevel@vger.kernel.org\n"
				  "S:\tMaintained\n"
				  "F:\tfs/*\n"
				  "X:\tfs/io_uring.c\n"
				  "X:\tfs/io-wq.c\n"
				  "\n"
				  "TRACING\n"
				  "M:\tSteven Rostedt <rostedt@goodmis.org>\n"
				  "S:\tMaintained\n"
				  "N:\ttrace\n"
				  "K:\t\\btrace_printk\\b\n"
				  "\n"
				  "THE REST\n"
				  "M:\tLinus Torvalds <torvalds@linux-foundation.org>\n"
				  "L:\tlinux-kernel@vger.kernel.org\n"
				  "S:\tBuried alive in reporters\n"
				  "F:\t*\n"
				  "F:\t*/\n";

static struct kb_maintainers *parse_maintainers(void)
{
	struct kb_maintainers *m = NULL;

	assert_int_equal(kb_maintainers_parse(maintainers, sizeof(maintainers) - 1, &m), 0);
	return m;
}

static void test_maintainers_parse(void **state)
{
	struct kb_maintainers *m = parse_maintainers();

	(void)state;
	/* the introduction has no tag at the start of a line: not an entry */
	assert_int_equal(kb_maintainers_count(m), 4);
	assert_string_equal(kb_maintainers_name(m, 0), "IO_URING");
	assert_string_equal(kb_maintainers_name(m, 3), "THE REST");
	assert_true(kb_maintainers_entry_matches(m, 0, "fs/io_uring.c", NULL));
	assert_false(kb_maintainers_entry_matches(m, 1, "fs/io_uring.c", NULL)); /* X: */
	assert_true(kb_maintainers_entry_matches(m, 1, "fs/namei.c", NULL));
	assert_true(kb_maintainers_entry_matches(m, 2, "kernel/trace/ring_buffer.c", NULL));
	assert_false(kb_maintainers_entry_matches(m, 2, "fs/namei.c", NULL));
	assert_true(kb_maintainers_entry_matches(m, 2, "fs/namei.c", "+\ttrace_printk(\"x\");\n"));
	assert_false(kb_maintainers_entry_matches(m, 2, "fs/namei.c", "+\tmy_trace_printk2();\n"));
	kb_maintainers_free(m);
}

/* The recipients of log io_uring_register, without the duplicate. */
static void test_maintainers_uring(void **state)
{
	struct kb_maintainers *m = parse_maintainers();
	struct kb_recipients r = KB_RECIPIENTS_INIT;
	struct kb_buf b = KB_BUF_INIT;
	const char *files[] = { "fs/io_uring.c" };

	(void)state;
	kb_recipients_from_commit(&r, "Jens Axboe <axboe@kernel.dk>", uring_msg);
	assert_int_equal(kb_maintainers_add_recipients(m, files, 1, NULL, &r), 1);
	kb_log_recipients(&b, (const char *const *)r.to, r.n_to, (const char *const *)r.cc, r.n_cc);
	assert_string_equal(b.buf,
			    "recipients (to): [\"axboe@kernel.dk\" \"io-uring@vger.kernel.org\" "
			    "\"johalun0@gmail.com\"]\n"
			    "recipients (cc): [\"asml.silence@gmail.com\" "
			    "\"linux-kernel@vger.kernel.org\"]\n");
	kb_buf_release(&b);
	kb_recipients_clear(&r);
	kb_maintainers_free(m);
}

static void test_maintainers_rest_and_lists(void **state)
{
	struct kb_maintainers *m = parse_maintainers();
	struct kb_recipients r = KB_RECIPIENTS_INIT;
	const char *readme[] = { "README" };
	const char *two[] = { "fs/namei.c", "kernel/trace/trace.c" };

	(void)state;
	/* nobody else covers README: THE REST; LKML is Cc even from an L: line */
	assert_int_equal(kb_maintainers_add_recipients(m, readme, 1, NULL, &r), 1);
	assert_recipients(&r,
			  "to: torvalds@linux-foundation.org | cc: linux-kernel@vger.kernel.org");
	kb_recipients_clear(&r);

	assert_int_equal(kb_maintainers_add_recipients(m, two, 2, NULL, &r), 2);
	assert_recipients(&r, "to: linux-fsdevel@vger.kernel.org rostedt@goodmis.org "
			      "viro@zeniv.linux.org.uk | cc: linux-kernel@vger.kernel.org");
	kb_recipients_clear(&r);

	/* no list among the matches: no LKML either */
	assert_int_equal(kb_maintainers_add_recipients(m, two + 1, 1, NULL, &r), 1);
	assert_recipients(&r, "to: rostedt@goodmis.org | cc:");
	kb_recipients_clear(&r);
	kb_maintainers_free(m);
}

static void test_maintainers_errors(void **state)
{
	struct kb_maintainers *m = NULL;
	const char *bad = "X\nM:\ta@b\n\nY\nF:\tx/\nN:\t(unclosed\n";

	(void)state;
	assert_int_equal(kb_maintainers_parse(bad, strlen(bad), &m), -EINVAL);
	assert_null(m);
	assert_string_equal(kb_error_last(),
			    "MAINTAINERS:6: bad N: regex '(unclosed': missing closing parenthesis");
	assert_int_equal(kb_maintainers_parse("", 0, &m), 0);
	assert_int_equal(kb_maintainers_count(m), 0);
	kb_maintainers_free(m);
	/* CRLF and a missing final newline */
	const char *crlf = "A\r\nM:\tA <a@b.c>\r\nF:\ta/\r\n\r\nB\r\nF:\tb/";
	assert_int_equal(kb_maintainers_parse(crlf, strlen(crlf), &m), 0);
	assert_int_equal(kb_maintainers_count(m), 2);
	assert_string_equal(kb_maintainers_name(m, 0), "A");
	assert_true(kb_maintainers_entry_matches(m, 0, "a/x", NULL));
	assert_true(kb_maintainers_entry_matches(m, 1, "b/x", NULL));
	kb_maintainers_free(m);
}

static void test_maintainers_load(void **state)
{
	char dir[] = "/tmp/kb-test-maint-XXXXXX";
	struct kb_maintainers *m = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	char *path = kb_xasprintf("%s/MAINTAINERS", dir);
	assert_true(kb_maintainers_load(path, &m) < 0);
	assert_non_null(strstr(kb_error_last(), path));
	assert_int_equal(kb_write_file(path, maintainers, sizeof(maintainers) - 1), 0);
	assert_int_equal(kb_maintainers_load(path, &m), 0);
	assert_int_equal(kb_maintainers_count(m), 4);
	kb_maintainers_free(m);
	const char *bad = "A\nK:\t[\n";
	assert_int_equal(kb_write_file(path, bad, strlen(bad)), 0);
	assert_int_equal(kb_maintainers_load(path, &m), -EINVAL);
	char *want = kb_xasprintf(
		"%s:2: bad K: regex '[': missing terminating ] for character class", path);
	assert_string_equal(kb_error_last(), want);
	free(want);
	free(path);
	assert_int_equal(kb_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_parse),
		cmocka_unit_test(test_trailer_keys),
		cmocka_unit_test(test_from_commit),
		cmocka_unit_test(test_to_cc_disjoint),
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_maintainers_parse),
		cmocka_unit_test(test_maintainers_uring),
		cmocka_unit_test(test_maintainers_rest_and_lists),
		cmocka_unit_test(test_maintainers_errors),
		cmocka_unit_test(test_maintainers_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
