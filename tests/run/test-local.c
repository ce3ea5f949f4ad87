// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "run/local.h"
#include "run/run.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "../testutil.h"

/* A stand-in for the kernel parser: "BUG: <title>" at the start of a line. */
static int fake_finder(void *ctx, const char *out, size_t len, char **title)
{
	const char *p = out, *end = out + len;

	(*(int *)ctx)++;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 5 && !memcmp(p, "BUG: ", 5)) {
			*title = kb_xstrndup(p + 5, n - 5);
			return 1;
		}
		p += n + 1;
	}
	return 0;
}

static int failing_finder(void *ctx, const char *out, size_t len, char **title)
{
	(void)ctx;
	(void)out;
	(void)len;
	(void)title;
	return kb_error_set(-ENOMEM, "parser exploded");
}

static int calls;

static void run(const char *cmd, double timeout, unsigned idx, struct kb_run_result *r)
{
	struct kb_local_test t = { .shell_cmd = cmd,
				   .timeout = timeout,
				   .log_dir = logs,
				   .find_crash = fake_finder,
				   .find_crash_ctx = &calls };

	assert_int_equal(kb_local_run(&t, wt, "0123abcd", idx, r), 0);
}

static void test_ok_env_console(void **state)
{
	struct kb_run_result r;
	struct kb_buf log = KB_BUF_INIT;
	char *want;
	int before = calls;

	(void)state;
	run("echo \"c=$KBISECT_COMMIT r=$KBISECT_RUN w=$KBISECT_WORKTREE pwd=$(pwd)\";"
	    " echo to-stderr >&2",
	    30, 3, &r);
	assert_int_equal(r.outcome, KB_RUN_OK);
	assert_null(r.title);
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(calls, before + 1);
	assert_non_null(r.console_path);
	assert_non_null(strstr(r.console_path, "run-0123abcd-3.log"));
	assert_int_equal(kb_read_file(r.console_path, &log), 0);
	want = kb_xasprintf("c=0123abcd r=3 w=%s pwd=%s\nto-stderr\n", wt, wt);
	assert_string_equal(log.buf, want);
	kb_run_result_clear(&r);
	assert_null(r.console_path);
	assert_int_equal(r.exit_status, -1);

	/* a rerun of the same index starts a fresh console file */
	run("echo second", 30, 3, &r);
	kb_buf_reset(&log);
	assert_int_equal(kb_read_file(r.console_path, &log), 0);
	assert_string_equal(log.buf, "second\n");
	kb_run_result_clear(&r);
	free(want);
	kb_buf_release(&log);
}

static void test_crash_wins(void **state)
{
	struct kb_run_result r;

	(void)state;
	/* a crash in the output is a crash even when the test exits 0 */
	run("echo booting; echo 'BUG: KASAN: use-after-free in foo' >&2; exit 0", 30, 0, &r);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "KASAN: use-after-free in foo");
	assert_int_equal(r.exit_status, 0);
	kb_run_result_clear(&r);

	/* ... and beats the exit code ... */
	run("echo 'BUG: soft lockup in bar'; exit 7", 30, 0, &r);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "soft lockup in bar");
	assert_int_equal(r.exit_status, 7);
	kb_run_result_clear(&r);

	/* ... and our timeout: the hang printed its report first */
	run("echo 'BUG: task hung in baz'; sleep 30", 0.3, 0, &r);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "task hung in baz");
	assert_int_equal(r.exit_status, -1);
	kb_run_result_clear(&r);
}

static void test_exit_codes(void **state)
{
	struct kb_run_result r;
	char *d;

	(void)state;
	run("exit 125", 30, 1, &r);
	assert_int_equal(r.outcome, KB_RUN_SKIP);
	assert_int_equal(r.exit_status, 125);
	kb_run_result_clear(&r);

	run("echo nothing special; exit 1", 30, 1, &r);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "test failed with exit code 1");
	d = kb_run_result_describe(&r);
	assert_string_equal(d, "crashed: test failed with exit code 1");
	free(d);
	kb_run_result_clear(&r);

	/* a program inside the test died of a signal: the shell says 128+11 */
	run("sh -c 'kill -SEGV $$'", 30, 1, &r);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "test failed with exit code 139 (SIGSEGV)");
	assert_int_equal(r.exit_status, 139);
	kb_run_result_clear(&r);

	/* the test process itself died of a signal we did not send */
	run("kill -ABRT $$", 30, 1, &r);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "test killed by signal SIGABRT");
	assert_int_equal(r.exit_status, -1);
	kb_run_result_clear(&r);
}

static void test_infra(void **state)
{
	struct kb_run_result r;
	struct kb_local_test t = { .argv = (const char *const[]){ "kbisect-no-such-test", NULL },
				   .find_crash = fake_finder,
				   .find_crash_ctx = &calls };
	int before;
	char *d;

	(void)state;
	run("echo waiting; sleep 30", 0.3, 2, &r);
	assert_int_equal(r.outcome, KB_RUN_INFRA);
	assert_string_equal(r.title, "test timed out after 0.3s");
	assert_true(r.seconds >= 0.3 && r.seconds < 10);
	d = kb_run_result_describe(&r);
	assert_string_equal(d, "infra problem: test timed out after 0.3s");
	free(d);
	kb_run_result_clear(&r);

	/* cannot start: no console to parse, no file when no log_dir */
	before = calls;
	assert_int_equal(kb_local_run(&t, wt, "c", 0, &r), 0);
	assert_int_equal(r.outcome, KB_RUN_INFRA);
	assert_non_null(strstr(r.title, "cannot run test: ENOENT"));
	assert_non_null(strstr(r.title, "kbisect-no-such-test"));
	assert_null(r.console_path);
	assert_int_equal(calls, before);
	kb_run_result_clear(&r);

	/* missing worktree */
	t = (struct kb_local_test){ .shell_cmd = "true",
				    .find_crash = fake_finder,
				    .find_crash_ctx = &calls };
	assert_int_equal(kb_local_run(&t, "/nonexistent/wt", "c", 0, &r), 0);
	assert_int_equal(r.outcome, KB_RUN_INFRA);
	assert_non_null(strstr(r.title, "ENOENT"));
	kb_run_result_clear(&r);

	/* kbisect's own failures are errors, not outcomes */
	t.find_crash = failing_finder;
	assert_int_equal(kb_local_run(&t, wt, "c", 4, &r), -ENOMEM);
	assert_non_null(strstr(kb_error_last(), "parser exploded"));
	assert_null(r.title);
	t.find_crash = fake_finder;
	t.log_dir = "/proc/kbisect-no-logs-here";
	assert_true(kb_local_run(&t, wt, "c", 0, &r) < 0);
	t.log_dir = NULL;
	t.shell_cmd = NULL;
	assert_int_equal(kb_local_run(&t, wt, "c", 0, &r), -EINVAL);
}

/* A KASAN report on the console, as a kernel under test prints it. */
static const char kasan_console[] =
	"[    0.000000] Linux version 6.1.0 (test@host) #1 SMP\n"
	"[   55.468844] ==================================================================\n"
	"[   55.476243] BUG: KASAN: use-after-free in consume_skb+0x39f/0x530 net/core/skbuff.c:880\n"
	"[   55.484627] Read of size 4 at addr ffff8801cbeda574 by task syz-executor2/4676\n"
	"[   55.490296] \n"
	"[   55.490300] CPU: 0 PID: 4676 Comm: syz-executor2 Not tainted 6.1.0 #1\n"
	"[   55.490310] Call Trace:\n"
	"[   55.490320]  <TASK>\n"
	"[   55.490330]  dump_stack_lvl+0x100/0x150 lib/dump_stack.c:106\n"
	"[   55.490340]  print_report+0x150/0x500 mm/kasan/report.c:395\n"
	"[   55.490350]  kasan_report+0x100/0x140 mm/kasan/report.c:495\n"
	"[   55.490360]  consume_skb+0x39f/0x530 net/core/skbuff.c:880\n"
	"[   55.490370]  netlink_recvmsg+0x100/0x200 net/netlink/af_netlink.c:1990\n"
	"[   55.490380]  __sys_recvmsg+0x100/0x200 net/socket.c:2700\n"
	"[   55.490390]  do_syscall_64+0x30/0x80 arch/x86/entry/common.c:50\n"
	"[   55.490400]  </TASK>\n"
	"[   55.497470] \n"
	"[   55.497480] Allocated by task 4655:\n"
	"[   55.499957]  kmem_cache_alloc+0x100/0x200 mm/slub.c:3400\n"
	"[   55.502578] \n"
	"[   55.502580] Freed by task 4655:\n"
	"[   55.504709]  kmem_cache_free+0x100/0x200 mm/slub.c:3500\n"
	"[   55.507369] \n"
	"[   55.507370] Memory state around the buggy address:\n"
	"[   55.507380] ==================================================================\n";

/* The default finder runs the kernel parser: plain output is no crash, an oops is. */
static void test_default_finder(void **state)
{
	struct kb_local_test t = { .shell_cmd = "echo all good; echo still good" };
	struct kb_run_result r;
	char *console = kb_xasprintf("%s/console.txt", wt);

	(void)state;
	assert_int_equal(kb_local_run(&t, wt, "c", 0, &r), 0);
	assert_int_equal(r.outcome, KB_RUN_OK);
	kb_run_result_clear(&r);

	assert_int_equal(kb_write_file(console, kasan_console, strlen(kasan_console)), 0);
	t.shell_cmd = "echo starting test; cat console.txt; echo test done; exit 0";
	assert_int_equal(kb_local_run(&t, wt, "c", 1, &r), 0);
	assert_int_equal(r.outcome, KB_RUN_CRASH);
	assert_string_equal(r.title, "KASAN: use-after-free Read in consume_skb");
	assert_int_equal(r.exit_status, 0);
	kb_run_result_clear(&r);
	free(console);
}

static void test_describe(void **state)
{
	static const struct {
		enum kb_run_outcome o;
		const char *title, *want;
	} cases[] = {
		{ KB_RUN_OK, NULL, "OK" },
		{ KB_RUN_CRASH, "KASAN: slab-out-of-bounds Read in f",
		  "crashed: KASAN: slab-out-of-bounds Read in f" },
		{ KB_RUN_BOOT_FAIL, "kernel panic: VFS", "boot failed: kernel panic: VFS" },
		{ KB_RUN_TEST_FAIL, "no output", "basic kernel testing failed: no output" },
		{ KB_RUN_INFRA, "qemu died", "infra problem: qemu died" },
		{ KB_RUN_SKIP, NULL, "skipped" },
		{ KB_RUN_CRASH, "", "crashed" },
	};

	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(cases); i++) {
		struct kb_run_result r = { .outcome = cases[i].o, .title = (char *)cases[i].title };
		char *d = kb_run_result_describe(&r);

		assert_string_equal(d, cases[i].want);
		free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_env_console), cmocka_unit_test(test_crash_wins),
		cmocka_unit_test(test_exit_codes),     cmocka_unit_test(test_infra),
		cmocka_unit_test(test_default_finder), cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, kb_test_worktree_setup, kb_test_worktree_teardown);
}
