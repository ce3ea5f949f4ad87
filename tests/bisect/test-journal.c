// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include "bisect/journal.h"
#include "util/error.h"
#include "util/fs.h"
#include "../testutil.h"

static char *jpath(const char *name)
{
	return kb_xasprintf("%s/%s", tmpdir, name);
}

static void test_builds_runs_meta(void **state)
{
	char *p = jpath("basic.db");
	struct kb_journal *j;
	struct kb_build_result b = { .status = KB_BUILD_OK,
				     .signature = "abcd",
				     .compiler = (char *)"gcc 12",
				     .log_path = (char *)"/w/build-c1.log",
				     .seconds = 12.5 };
	struct kb_build_result got;
	struct kb_run_result r = { .outcome = KB_RUN_CRASH,
				   .title = (char *)"KASAN: use-after-free in f",
				   .console_path = (char *)"/w/run-c1-0.log",
				   .exit_status = 0,
				   .seconds = 3.25 };
	struct kb_journal_run *runs;
	struct kb_run_result one;
	size_t n;
	char *val;

	(void)state;
	assert_int_equal(kb_journal_open(p, &j), 0);
	assert_string_equal(kb_journal_path(j), p);
	assert_int_equal(kb_journal_get_build(j, "c1", "k", &got), 0);
	assert_int_equal(kb_journal_put_build(j, "c1", "k", &b), 0);
	b.status = KB_BUILD_FAILED;
	b.signature[0] = 0;
	b.compiler = NULL;
	b.error_lines = (char *)"a.c:1: error: x";
	assert_int_equal(kb_journal_put_build(j, "c2", "k", &b), 0);

	/* runs of c1 and of c3, which built to the same signature */
	assert_int_equal(kb_journal_put_run(j, "c1", "abcd", "k", 0, &r), 0);
	r.outcome = KB_RUN_OK;
	r.title = NULL;
	assert_int_equal(kb_journal_put_run(j, "c1", "abcd", "k", 1, &r), 0);
	r.outcome = KB_RUN_INFRA;
	r.title = (char *)"test timed out after 600s";
	r.exit_status = -1;
	assert_int_equal(kb_journal_put_run(j, "c3", "abcd", "k", 0, &r), 0);
	/* another key is another setup: not visible under "k" */
	assert_int_equal(kb_journal_put_run(j, "c1", "abcd", "other", 5, &r), 0);
	assert_int_equal(kb_journal_set_meta(j, "config_hash", "f00"), 0);
	assert_int_equal(kb_journal_set_meta(j, "config_hash", "f01"), 0);
	kb_journal_close(j);

	/* reopen: everything is there */
	assert_int_equal(kb_journal_open(p, &j), 0);
	assert_int_equal(kb_journal_get_build(j, "c1", "k", &got), 1);
	assert_int_equal(got.status, KB_BUILD_OK);
	assert_string_equal(got.signature, "abcd");
	assert_string_equal(got.compiler, "gcc 12");
	assert_null(got.error_lines);
	assert_string_equal(got.log_path, "/w/build-c1.log");
	assert_true(got.seconds == 12.5);
	kb_build_result_clear(&got);
	assert_int_equal(kb_journal_get_build(j, "c2", "k", &got), 1);
	assert_int_equal(got.status, KB_BUILD_FAILED);
	assert_string_equal(got.signature, "");
	assert_null(got.compiler);
	assert_string_equal(got.error_lines, "a.c:1: error: x");
	kb_build_result_clear(&got);
	assert_int_equal(kb_journal_get_build(j, "c1", "other", &got), 0);

	assert_int_equal(kb_journal_get_runs(j, "c1", NULL, "k", &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].run_idx, 0);
	assert_int_equal(runs[0].res.outcome, KB_RUN_CRASH);
	assert_string_equal(runs[0].res.title, "KASAN: use-after-free in f");
	assert_string_equal(runs[0].res.console_path, "/w/run-c1-0.log");
	assert_true(runs[0].res.seconds == 3.25);
	assert_int_equal(runs[1].res.outcome, KB_RUN_OK);
	assert_null(runs[1].res.title);
	kb_journal_runs_free(runs, n);

	assert_int_equal(kb_journal_get_runs(j, NULL, "abcd", "k", &runs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(runs[2].commit, "c3");
	assert_int_equal(runs[2].res.outcome, KB_RUN_INFRA);
	assert_int_equal(runs[2].res.exit_status, -1);
	assert_string_equal(runs[2].signature, "abcd");
	kb_journal_runs_free(runs, n);

	/* one run by signature: the most recent of c1's and c3's run 0 */
	assert_int_equal(kb_journal_get_run(j, "abcd", "k", 0, &one), 1);
	assert_int_equal(one.outcome, KB_RUN_INFRA);
	assert_string_equal(one.title, "test timed out after 600s");
	assert_int_equal(one.exit_status, -1);
	kb_run_result_clear(&one);
	assert_int_equal(kb_journal_get_run(j, "abcd", "k", 1, &one), 1);
	assert_int_equal(one.outcome, KB_RUN_OK);
	assert_true(one.seconds == 3.25);
	kb_run_result_clear(&one);
	assert_int_equal(kb_journal_get_run(j, "abcd", "k", 7, &one), 0);
	assert_int_equal(kb_journal_get_run(j, "abcd", "other", 0, &one), 0);
	assert_int_equal(kb_journal_get_run(j, "", "k", 0, &one), -EINVAL);

	/* a rerun of the same index replaces the old result */
	r.outcome = KB_RUN_OK;
	r.title = NULL;
	assert_int_equal(kb_journal_put_run(j, "c3", "abcd", "k", 0, &r), 0);
	assert_int_equal(kb_journal_get_runs(j, "c3", NULL, "k", &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].res.outcome, KB_RUN_OK);
	kb_journal_runs_free(runs, n);
	assert_int_equal(kb_journal_get_runs(j, "c9", NULL, "k", &runs, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kb_journal_get_runs(j, NULL, NULL, "k", &runs, &n), -EINVAL);

	assert_int_equal(kb_journal_get_meta(j, "config_hash", &val), 1);
	assert_string_equal(val, "f01");
	free(val);
	assert_int_equal(kb_journal_get_meta(j, "nothing", &val), 0);
	assert_null(val);
	kb_journal_close(j);
	free(p);
}

static void test_key(void **state)
{
	const char *a[] = { "tree1", "make", "./test.sh" };
	const char *b[] = { "tree1", "make", "./test2.sh" };
	const char *c1[] = { "ab", "c" };
	const char *c2[] = { "a", "bc" };
	const char *d1[] = { NULL, "x" };
	const char *d2[] = { "", "x" };
	char ka[65], ka2[65], kb[65], k1[65], k2[65];

	(void)state;
	kb_journal_key(a, 3, ka);
	kb_journal_key(a, 3, ka2);
	kb_journal_key(b, 3, kb);
	assert_int_equal(strlen(ka), 64);
	assert_string_equal(ka, ka2);
	assert_string_not_equal(ka, kb);
	kb_journal_key(c1, 2, k1);
	kb_journal_key(c2, 2, k2);
	assert_string_not_equal(k1, k2);
	kb_journal_key(d1, 2, k1);
	kb_journal_key(d2, 2, k2);
	assert_string_equal(k1, k2);
}

static void sqlite_exec_file(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_open_errors(void **state)
{
	char *txt = jpath("notes.txt"), *foreign = jpath("foreign.db"), *newer = jpath("newer.db");
	struct kb_journal *j = (struct kb_journal *)1;

	(void)state;
	assert_int_equal(kb_write_file(txt, "this is not a database, just some text.......", 46),
			 0);
	assert_int_equal(kb_journal_open(txt, &j), -EINVAL);
	assert_null(j);
	assert_non_null(strstr(kb_error_last(), txt));
	assert_non_null(strstr(kb_error_last(), "not a kbisect journal"));
	assert_non_null(strstr(kb_error_last(), "move it away"));

	sqlite_exec_file(foreign, "CREATE TABLE t(x)");
	assert_int_equal(kb_journal_open(foreign, &j), -EINVAL);
	assert_non_null(strstr(kb_error_last(), "another program"));

	assert_int_equal(kb_journal_open(newer, &j), 0);
	kb_journal_close(j);
	sqlite_exec_file(newer, "PRAGMA user_version = 99");
	assert_int_equal(kb_journal_open(newer, &j), -EPROTONOSUPPORT);
	assert_non_null(strstr(kb_error_last(), newer));
	assert_non_null(strstr(kb_error_last(), "newer kbisect"));
	assert_non_null(strstr(kb_error_last(), "upgrade kbisect"));

	assert_true(kb_journal_open("/nonexistent/dir/journal.db", &j) < 0);
	assert_non_null(strstr(kb_error_last(), "/nonexistent/dir/journal.db"));
	free(txt);
	free(foreign);
	free(newer);
}

struct writer {
	struct kb_journal *j;
	int id;
	int fails;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char commit[32];

	snprintf(commit, sizeof(commit), "t%d", w->id);
	for (unsigned i = 0; i < 40; i++) {
		struct kb_run_result r = { .outcome = i % 2 ? KB_RUN_OK : KB_RUN_CRASH,
					   .title = i % 2 ? NULL : (char *)"crash",
					   .exit_status = 0 };

		if (kb_journal_put_run(w->j, commit, "s", "k", i, &r) < 0)
			w->fails++;
	}
	return NULL;
}

/* Status and outcome names: out-of-range values refused, unknown names read back as errors. */
static void test_unknown_names(void **state)
{
	char *p = jpath("names.db");
	struct kb_journal *j;
	struct kb_build_result b = { .status = (enum kb_build_status)99 }, got;
	struct kb_run_result r = { .outcome = (enum kb_run_outcome)99 }, one;

	(void)state;
	assert_int_equal(kb_journal_open(p, &j), 0);
	assert_int_equal(kb_journal_put_build(j, "c1", "k", &b), -EINVAL);
	assert_non_null(strstr(kb_error_last(), "invalid build status 99"));
	assert_int_equal(kb_journal_put_run(j, "c1", "s", "k", 0, &r), -EINVAL);
	assert_non_null(strstr(kb_error_last(), "invalid run outcome 99"));
	b.status = KB_BUILD_OK;
	r.outcome = KB_RUN_OK;
	assert_int_equal(kb_journal_put_build(j, "c1", "k", &b), 0);
	assert_int_equal(kb_journal_put_run(j, "c1", "s", "k", 0, &r), 0);
	kb_journal_close(j);

	sqlite_exec_file(p, "UPDATE builds SET status = 'FROM_THE_FUTURE';"
			    "UPDATE runs SET outcome = 'LATER'");
	assert_int_equal(kb_journal_open(p, &j), 0);
	assert_int_equal(kb_journal_get_build(j, "c1", "k", &got), -EINVAL);
	assert_non_null(strstr(kb_error_last(), "unknown build status 'FROM_THE_FUTURE' for c1"));
	assert_non_null(strstr(kb_error_last(), "newer kbisect"));
	assert_true(kb_journal_get_run(j, "s", "k", 0, &one) == -EINVAL);
	assert_non_null(strstr(kb_error_last(), "unknown run outcome 'LATER':"));
	kb_journal_close(j);
	free(p);
}

static void test_threads(void **state)
{
	char *p = jpath("threads.db");
	struct kb_journal *j;
	struct writer w[4];
	pthread_t th[4];
	struct kb_journal_run *runs;
	size_t n;

	(void)state;
	assert_int_equal(kb_journal_open(p, &j), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct writer){ .j = j, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].fails, 0);
	}
	assert_int_equal(kb_journal_get_runs(j, NULL, "s", "k", &runs, &n), 0);
	assert_int_equal(n, 160);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(runs[i].commit[1] - '0', (int)(i / 40));
		assert_int_equal(runs[i].run_idx, i % 40);
	}
	kb_journal_runs_free(runs, n);
	kb_journal_close(j);
	free(p);
}

/* Several processes create and write one new journal at the same time. */
static void test_processes(void **state)
{
	char *p = jpath("procs.db");
	pid_t pids[3];
	struct kb_journal *j;
	struct kb_journal_run *runs;
	size_t n;

	(void)state;
	for (int k = 0; k < 3; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (pids[k] == 0) {
			char commit[16];
			int bad = 0;

			snprintf(commit, sizeof(commit), "p%d", k);
			if (kb_journal_open(p, &j) < 0) {
				fprintf(stderr, "child %d: %s\n", k, kb_error_last());
				_exit(2);
			}
			for (unsigned i = 0; i < 20; i++) {
				struct kb_run_result r = { .outcome = KB_RUN_OK };

				bad |= kb_journal_put_run(j, commit, "s", "k", i, &r) < 0;
			}
			kb_journal_close(j);
			_exit(bad ? 3 : 0);
		}
	}
	for (int k = 0; k < 3; k++) {
		int status;

		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(kb_journal_open(p, &j), 0);
	assert_int_equal(kb_journal_get_runs(j, NULL, "s", "k", &runs, &n), 0);
	assert_int_equal(n, 60);
	kb_journal_runs_free(runs, n);
	kb_journal_close(j);
	free(p);
}

#define CRASH_N 150

/* In the forked writer: record CRASH_N results, report each on @fd once committed. */
static __attribute__((noreturn)) void crash_writer(const char *path, int fd)
{
	struct kb_journal *j;
	char commit[32], title[64];

	if (kb_journal_open(path, &j) < 0)
		_exit(2);
	for (unsigned i = 0; i < CRASH_N; i++) {
		struct kb_run_result r = { .outcome = KB_RUN_CRASH, .title = title };
		struct kb_build_result b = { .status = KB_BUILD_OK };

		snprintf(commit, sizeof(commit), "c%03u", i / 10);
		snprintf(title, sizeof(title), "crash number %u", i);
		r.exit_status = (int)i;
		snprintf(b.signature, sizeof(b.signature), "sig%u", i / 10);
		if (i % 10 == 0) {
			if (kb_journal_put_build(j, commit, "k", &b) < 0)
				_exit(3);
		}
		if (kb_journal_put_run(j, commit, b.signature, "k", i % 10, &r) < 0)
			_exit(3);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(4);
	}
	kb_journal_close(j);
	_exit(0);
}

/* Kill a writer at a random point; every write it reported must survive. */
static void test_crash_resume(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 8; seed++) {
		char name[32];
		char *p;
		int fds[2], status;
		unsigned kill_after, got, last = 0, reported = 0;
		pid_t pid;
		struct kb_journal *j;
		struct kb_journal_run *runs;
		size_t n;
		sqlite3 *db;
		sqlite3_stmt *st;

		snprintf(name, sizeof(name), "crash-%u.db", seed);
		p = jpath(name);
		srand(seed);
		/* seed 1: killed at once, maybe while the schema is being created */
		kill_after = seed == 1 ? 0 : (unsigned)rand() % CRASH_N;
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_writer(p, fds[1]);
		}
		close(fds[1]);
		while (reported < kill_after && read(fds[0], &got, sizeof(got)) == sizeof(got)) {
			reported++;
			last = got;
		}
		if (seed % 2)
			usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* reports written before the kill still count */
		while (read(fds[0], &got, sizeof(got)) == sizeof(got)) {
			reported++;
			last = got;
		}
		close(fds[0]);
		if (WIFEXITED(status))
			assert_int_equal(WEXITSTATUS(status), 0);
		assert_true(reported == 0 || last == reported - 1);
		print_message("seed %u: writer killed after %u of %u results\n", seed, reported,
			      CRASH_N);

		assert_int_equal(kb_journal_open(p, &j), 0);
		for (unsigned c = 0; c * 10 < CRASH_N; c++) {
			char commit[32], title[64], sig[16];
			struct kb_build_result b;
			int r;

			snprintf(commit, sizeof(commit), "c%03u", c);
			snprintf(sig, sizeof(sig), "sig%u", c);
			r = kb_journal_get_build(j, commit, "k", &b);
			assert_true(r >= 0);
			if (c * 10 < reported)
				assert_int_equal(r, 1);
			if (r == 1)
				assert_string_equal(b.signature, sig);
			kb_build_result_clear(&b);
			assert_int_equal(kb_journal_get_runs(j, commit, NULL, "k", &runs, &n), 0);
			/* committed runs form a prefix of what the writer did */
			for (size_t i = 0; i < n; i++) {
				unsigned idx = c * 10 + (unsigned)i;

				assert_int_equal(runs[i].run_idx, i);
				snprintf(title, sizeof(title), "crash number %u", idx);
				assert_string_equal(runs[i].res.title, title);
				assert_int_equal(runs[i].res.exit_status, (int)idx);
				assert_string_equal(runs[i].signature, sig);
				assert_true(idx <= reported);
			}
			if (c * 10 + 10 <= reported)
				assert_int_equal(n, 10);
			else if (c * 10 < reported)
				assert_true(n >= reported - c * 10);
			kb_journal_runs_free(runs, n);
		}
		kb_journal_close(j);

		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_finalize(st);
		sqlite3_close(db);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builds_runs_meta), cmocka_unit_test(test_key),
		cmocka_unit_test(test_open_errors),	 cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_threads),		 cmocka_unit_test(test_processes),
		cmocka_unit_test(test_crash_resume),
	};

	return cmocka_run_group_tests(tests, kb_test_tmpdir_setup, kb_test_tmpdir_teardown);
}
