// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include "util/buf.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "../testutil.h"

/* Has process @pid gone (or become a zombie of some other reaper)? */
static bool pid_gone(pid_t pid)
{
	char path[64], st[256];
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(st, sizeof(st), f)) {
		const char *p = strrchr(st, ')');

		gone = p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	}
	fclose(f);
	return gone;
}

static bool wait_pid_gone(pid_t pid, double secs)
{
	for (int i = 0; i < (int)(secs * 50); i++) {
		if (pid_gone(pid))
			return true;
		usleep(20000);
	}
	return pid_gone(pid);
}

static void test_exit_codes(void **state)
{
	struct kb_child c = { .shell_cmd = "exit 0" };

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 0);

	c = (struct kb_child){ .shell_cmd = "exit 3" };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 3);

	const char *argv[] = { "false", NULL };
	c = (struct kb_child){ .argv = argv };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 1);
	assert_true(c.seconds >= 0 && c.seconds < 10);
}

static void test_signals(void **state)
{
	struct kb_child c = { .shell_cmd = "kill -SEGV $$" };

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_SIGNALED);
	assert_int_equal(c.sig, SIGSEGV);

	/* a signal ignored by us must still be default in the child */
	signal(SIGTERM, SIG_IGN);
	c = (struct kb_child){ .shell_cmd = "exec kill -TERM $$" };
	assert_int_equal(kb_child_run(&c), 0);
	signal(SIGTERM, SIG_DFL);
	assert_int_equal(c.status, KB_CHILD_SIGNALED);
	assert_int_equal(c.sig, SIGTERM);
}

static void test_capture_streams(void **state)
{
	struct kb_buf out = KB_BUF_INIT, err = KB_BUF_INIT;
	struct kb_child c = { .shell_cmd = "echo out; echo err >&2; printf 'a\\0b'",
			      .out = &out,
			      .err = &err };

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.buf, "out\na\0b", 7);
	assert_string_equal(err.buf, "err\n");

	kb_buf_reset(&out);
	kb_buf_reset(&err);
	c = (struct kb_child){ .shell_cmd = "echo out; echo err >&2",
			       .out = &out,
			       .err = &err,
			       .merge_stderr = true };
	assert_int_equal(kb_child_run(&c), 0);
	assert_string_equal(out.buf, "out\nerr\n");
	assert_int_equal(err.len, 0);
	kb_buf_release(&out);
	kb_buf_release(&err);
}

/* Both streams far beyond a pipe buffer (64 KiB): a naive reader dead-locks. */
static void test_large_output(void **state)
{
	struct kb_buf out = KB_BUF_INIT, err = KB_BUF_INIT;
	struct kb_child c = {
		.shell_cmd =
			"i=0; while [ $i -lt 4 ]; do head -c 300000 /dev/zero | tr '\\0' e >&2;"
			" head -c 300000 /dev/zero | tr '\\0' o; i=$((i+1)); done",
		.out = &out,
		.err = &err,
		.timeout = 60,
	};

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 0);
	assert_int_equal(out.len, 1200000);
	assert_int_equal(err.len, 1200000);
	assert_int_equal(out.buf[0], 'o');
	assert_int_equal(out.buf[out.len - 1], 'o');
	assert_int_equal(err.buf[err.len - 1], 'e');
	assert_null(memchr(out.buf, 'e', out.len));

	/* a cap keeps the first bytes, drops the rest, and the child still finishes */
	kb_buf_release(&out);
	out.cap = 1000;
	c = (struct kb_child){ .shell_cmd = "head -c 500000 /dev/zero", .out = &out };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 0);
	assert_int_equal(out.len, 1000);
	assert_true(out.truncated);
	kb_buf_release(&out);
	kb_buf_release(&err);
}

static void test_stdin(void **state)
{
	struct kb_buf out = KB_BUF_INIT;
	size_t n = 1 << 20;
	char *big = kb_xmalloc(n);
	const char *wc[] = { "wc", "-c", NULL };
	struct kb_child c = { .argv = wc, .stdin_data = big, .stdin_len = n, .out = &out };

	(void)state;
	memset(big, 'x', n);
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	kb_buf_rtrim(&out);
	assert_string_equal(out.buf, "1048576");

	/* a child that never reads its stdin must not hurt us (EPIPE, no SIGPIPE) */
	kb_buf_reset(&out);
	c = (struct kb_child){
		.shell_cmd = "echo early", .stdin_data = big, .stdin_len = n, .out = &out
	};
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_string_equal(out.buf, "early\n");

	/* no stdin_data: stdin is /dev/null (EOF at once) */
	kb_buf_reset(&out);
	c = (struct kb_child){ .argv = wc, .out = &out, .timeout = 10 };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	kb_buf_rtrim(&out);
	assert_string_equal(out.buf, "0");
	free(big);
	kb_buf_release(&out);
}

static void test_env(void **state)
{
	struct kb_buf out = KB_BUF_INIT;
	const char *env[] = { "KB_A=1", "KB_B=two words", "KB_GONE", "KB_A=3", NULL };
	struct kb_child c = { .shell_cmd = "echo \"$KB_A|$KB_B|${KB_GONE-unset}|${HOME:+home}\"",
			      .env = env,
			      .out = &out };

	(void)state;
	setenv("KB_GONE", "present", 1);
	setenv("HOME", "/root", 0);
	assert_int_equal(kb_child_run(&c), 0);
	assert_string_equal(out.buf, "3|two words|unset|home\n");
	unsetenv("KB_GONE");
	kb_buf_release(&out);
}

static void test_exec_failure(void **state)
{
	const char *argv[] = { "kbisect-no-such-program", NULL };
	const char *argv2[] = { "/nonexistent/prog", NULL };
	struct kb_buf out = KB_BUF_INIT;
	struct kb_child c = { .argv = argv };

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXEC_FAILED);
	assert_int_equal(c.err_no, ENOENT);

	c = (struct kb_child){ .argv = argv2 };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXEC_FAILED);
	assert_int_equal(c.err_no, ENOENT);

	/* a file that is not executable */
	char *f = kb_xasprintf("%s/notexec", tmpdir);
	assert_int_equal(kb_write_file(f, "#!/bin/sh\n", 10), 0);
	const char *argv3[] = { f, NULL };
	c = (struct kb_child){ .argv = argv3 };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXEC_FAILED);
	assert_int_equal(c.err_no, EACCES);
	free(f);

	/* a bad working directory is an exec failure too */
	const char *pwd[] = { "pwd", NULL };
	c = (struct kb_child){ .argv = pwd, .dir = "/nonexistent/dir" };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXEC_FAILED);
	assert_int_equal(c.err_no, ENOENT);

	/* the convenience wrapper turns it into an error naming the program */
	assert_int_equal(kb_child_capture(argv, NULL, &out), -ENOENT);
	assert_non_null(strstr(kb_error_last(), "kbisect-no-such-program"));
	const char *fail[] = { "sh", "-c", "echo bad thing >&2; exit 4", NULL };
	assert_true(kb_child_capture(fail, NULL, &out) < 0);
	assert_non_null(strstr(kb_error_last(), "exit code 4"));
	assert_non_null(strstr(kb_error_last(), "bad thing"));
	kb_buf_release(&out);
}

static void test_cwd_and_tee(void **state)
{
	struct kb_buf out = KB_BUF_INIT, log = KB_BUF_INIT;
	const char *pwd[] = { "pwd", "-P", NULL };
	char *logp = kb_xasprintf("%s/log.txt", tmpdir);
	char real[4096];
	struct kb_child c = { .argv = pwd, .dir = tmpdir, .out = &out, .out_path = logp };

	(void)state;
	assert_non_null(realpath(tmpdir, real));
	assert_int_equal(kb_child_run(&c), 0);
	kb_buf_rtrim(&out);
	assert_string_equal(out.buf, real);

	/* out_path gets both streams, appended, even when nothing is captured */
	c = (struct kb_child){ .shell_cmd = "echo one; echo two >&2", .out_path = logp };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(kb_read_file(logp, &log), 0);
	assert_non_null(strstr(log.buf, real));
	assert_non_null(strstr(log.buf, "one\n"));
	assert_non_null(strstr(log.buf, "two\n"));

	/* unwritable log: kbisect's own failure, with the path in the message */
	c = (struct kb_child){ .shell_cmd = "true", .out_path = "/nonexistent/dir/log" };
	assert_true(kb_child_run(&c) < 0);
	assert_non_null(strstr(kb_error_last(), "/nonexistent/dir/log"));
	free(logp);
	kb_buf_release(&out);
	kb_buf_release(&log);
}

static pid_t read_pid(const char *path)
{
	struct kb_buf b = KB_BUF_INIT;
	pid_t pid = -1;

	for (int i = 0; i < 100 && pid <= 0; i++) {
		kb_buf_reset(&b);
		if (kb_read_file(path, &b) == 0 && b.len && b.buf[b.len - 1] == '\n')
			pid = (pid_t)atoi(b.buf);
		else
			usleep(20000);
	}
	kb_buf_release(&b);
	return pid;
}

/* The deadline kills the whole tree, including a sleeping grandchild. */
static void test_timeout_tree(void **state)
{
	char *pidf = kb_xasprintf("%s/gc.pid", tmpdir);
	char *cmd = kb_xasprintf("sleep 300 & echo $! > %s; wait", pidf);
	struct kb_child c = { .shell_cmd = cmd, .timeout = 0.5 };
	pid_t gc;

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_TIMED_OUT);
	assert_true(c.seconds >= 0.5 && c.seconds < 4);
	gc = read_pid(pidf);
	assert_true(gc > 0);
	assert_true(wait_pid_gone(gc, 3));
	free(cmd);
	free(pidf);
}

static void *set_later(void *arg)
{
	usleep(300000);
	atomic_store((atomic_bool *)arg, true);
	return NULL;
}

/*
 * Another thread's cancel flag stops the tree like a deadline (a grandchild
 * too), soon after it is set, and says it was a cancel; an unset flag
 * changes nothing.
 */
static void test_cancel(void **state)
{
	char *pidf = kb_xasprintf("%s/cancel.pid", tmpdir);
	char *cmd = kb_xasprintf("sleep 300 & echo $! > %s; wait", pidf);
	atomic_bool flag = false;
	struct kb_child c = { .shell_cmd = cmd, .timeout = 60, .cancel = &flag };
	const char *const ok[] = { "true", NULL };
	pthread_t th;
	pid_t gc;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, set_later, &flag), 0);
	assert_int_equal(kb_child_run(&c), 0);
	pthread_join(th, NULL);
	assert_int_equal(c.status, KB_CHILD_TIMED_OUT);
	assert_true(c.cancelled);
	assert_true(c.seconds >= 0.3 && c.seconds < 4);
	gc = read_pid(pidf);
	assert_true(gc > 0);
	assert_true(wait_pid_gone(gc, 3));

	flag = false;
	c = (struct kb_child){ .argv = ok, .cancel = &flag };
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 0);
	assert_false(c.cancelled);
	free(cmd);
	free(pidf);
}

/* A tree that ignores SIGTERM is SIGKILLed after the grace period. */
static void test_timeout_sigkill(void **state)
{
	struct kb_child c = { .shell_cmd = "trap '' TERM; sleep 300; sleep 300", .timeout = 0.3 };

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_TIMED_OUT);
	assert_true(c.seconds >= 5.0 && c.seconds < 10);
}

/* A background job holding stdout must not keep us waiting, and is cleaned up. */
static void test_background_holder(void **state)
{
	struct kb_buf out = KB_BUF_INIT;
	char *pidf = kb_xasprintf("%s/bg.pid", tmpdir);
	char *cmd = kb_xasprintf("sleep 300 & echo $! > %s; echo done", pidf);
	struct kb_child c = { .shell_cmd = cmd, .out = &out };
	pid_t bg;

	(void)state;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 0);
	assert_string_equal(out.buf, "done\n");
	assert_true(c.seconds < 5);
	bg = read_pid(pidf);
	assert_true(bg > 0);
	assert_true(wait_pid_gone(bg, 3));
	free(cmd);
	free(pidf);
	kb_buf_release(&out);
}

struct thr {
	int idx;
	int ok;
};

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	struct kb_buf out = KB_BUF_INIT;
	char *cmd = kb_xasprintf("i=0; while [ $i -lt 20 ]; do echo %d-$i; i=$((i+1)); done; "
				 "exit %d",
				 t->idx, t->idx);
	struct kb_child c = { .shell_cmd = cmd, .out = &out, .timeout = 30 };
	char *want = kb_xasprintf("%d-19\n", t->idx);

	t->ok = kb_child_run(&c) == 0 && c.status == KB_CHILD_EXITED && c.exit_code == t->idx &&
		out.len >= strlen(want) && !strcmp(out.buf + out.len - strlen(want), want) &&
		!strncmp(out.buf, want, 2);
	free(want);
	free(cmd);
	kb_buf_release(&out);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[6];
	struct thr t[6];

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 6; i++) {
			t[i] = (struct thr){ .idx = i + 1 };
			assert_int_equal(pthread_create(&th[i], NULL, thread_main, &t[i]), 0);
		}
		for (int i = 0; i < 6; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(t[i].ok, 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),	cmocka_unit_test(test_signals),
		cmocka_unit_test(test_capture_streams), cmocka_unit_test(test_large_output),
		cmocka_unit_test(test_stdin),		cmocka_unit_test(test_env),
		cmocka_unit_test(test_exec_failure),	cmocka_unit_test(test_cwd_and_tee),
		cmocka_unit_test(test_timeout_tree),	cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_timeout_sigkill), cmocka_unit_test(test_background_holder),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, kb_test_tmpdir_setup, kb_test_tmpdir_teardown);
}
