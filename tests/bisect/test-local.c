// SPDX-License-Identifier: Apache-2.0
/*
 * The local backend's trees (lib/bisect/local_backend.c) on a real git
 * repository and real build commands: which tree a build takes, that the
 * commit the engine tests next keeps its tree (use_build), that the runs
 * of a commit no tree holds share one rebuild, and that a build cancelled
 * while it waits for the slot never starts.  Every build appends its
 * commit to a file, so the tests count what the build command really did.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "bisect/config.h"
#include "bisect/local_backend.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"
#include "../testutil.h"

#define NCOMMITS 5
static char repo[160], hashes[NCOMMITS][KB_HASH_HEX + 1];

static void sh(const char *cmd)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct kb_child c = { .argv = argv, .dir = repo };

	assert_int_equal(kb_child_run(&c), 0);
	if (c.status != KB_CHILD_EXITED || c.exit_code != 0)
		fail_msg("'%s' failed", cmd);
}

/* A repository of NCOMMITS commits; commit i's "delay" file says how long its build sleeps. */
static int setup(void **state)
{
	char cmd[256];

	if (kb_test_tmpdir_setup(state) < 0)
		return -1;
	snprintf(repo, sizeof(repo), "%s/repo", tmpdir);
	if (kb_mkdir_p(repo, 0755) < 0)
		return -1;
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_AUTHOR_NAME", "t", 1);
	setenv("GIT_AUTHOR_EMAIL", "t@t", 1);
	setenv("GIT_COMMITTER_NAME", "t", 1);
	setenv("GIT_COMMITTER_EMAIL", "t@t", 1);
	sh("git init -q .");
	for (int i = 0; i < NCOMMITS; i++) {
		/* the last commit builds slowly (the cancel test) */
		snprintf(cmd, sizeof(cmd),
			 "echo %d > n && echo %s > delay && git add n delay && git commit -qm c%d",
			 i, i == NCOMMITS - 1 ? "30" : "0", i);
		sh(cmd);
		if (kb_git_rev_parse(repo, "HEAD", hashes[i]) < 0)
			return -1;
	}
	return 0;
}

/* A backend with @slots build slots and test command @test, in a fresh work directory. */
static void backend_test(unsigned slots, const char *test, struct kb_config **cfg,
			 struct kb_backend *be, char *work, size_t wlen)
{
	static unsigned n;
	char text[1024];

	snprintf(work, wlen, "%s/work%u", tmpdir, n++);
	snprintf(
		text, sizeof(text),
		"{\"repo\": \"%s\", \"bad\": \"HEAD\",\n"
		" \"build\": {\"command\": \"echo $KBISECT_COMMIT >> %s.builds; sleep $(cat delay)\",\n"
		"            \"slots\": %u},\n"
		" \"test\": {\"command\": \"%s\"}}\n",
		repo, work, slots, test);
	assert_int_equal(kb_config_parse(text, strlen(text), "config.json", tmpdir, cfg), 0);
	assert_int_equal(kb_local_backend_new(*cfg, work, be), 0);
}

static void backend(unsigned slots, struct kb_config **cfg, struct kb_backend *be, char *work,
		    size_t wlen)
{
	backend_test(slots, "test -f delay", cfg, be, work, wlen);
}

/* How often the build command ran for commit @i. */
static unsigned builds_of(const char *work, int i)
{
	struct kb_buf text = KB_BUF_INIT;
	char path[256];
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s.builds", work);
	if (kb_read_file(path, &text) < 0) {
		kb_error_clear();
		return 0;
	}
	for (const char *p = text.buf; p && (p = strstr(p, hashes[i])); p += KB_HASH_HEX)
		n++;
	kb_buf_release(&text);
	return n;
}

static void build_ok(struct kb_backend *be, int i, struct kb_build_result *res)
{
	assert_int_equal(be->build(be->ctx, hashes[i], res), 0);
	assert_int_equal(res->status, KB_BUILD_OK);
}

static void run_ok(struct kb_backend *be, int i, const char *sig)
{
	struct kb_run_result r = { 0 };

	assert_int_equal(be->run(be->ctx, hashes[i], sig, 0, &r), 0);
	assert_int_equal(r.outcome, KB_RUN_OK);
	kb_run_result_clear(&r);
}

/*
 * One slot: three trees.  Builds of commits 0, 1, 2 fill them; the engine
 * says commit 0 is tested next; commit 3's build then takes the tree of
 * commit 1 (used least recently), so commit 0's run needs no rebuild.
 */
static void test_use_build_keeps_tree(void **state)
{
	struct kb_build_result b[4] = { 0 };
	struct kb_config *cfg = NULL;
	struct kb_backend be;
	char work[200], path[256];

	(void)state;
	backend(1, &cfg, &be, work, sizeof(work));
	assert_int_equal(be.build_slots, 1);
	for (int i = 0; i < 3; i++)
		build_ok(&be, i, &b[i]);
	snprintf(path, sizeof(path), "%s/src-2/.git", work);
	assert_true(kb_is_dir(path));
	be.use_build(be.ctx, hashes[0]);
	build_ok(&be, 3, &b[3]);
	run_ok(&be, 0, b[0].signature);
	assert_int_equal(builds_of(work, 0), 1);
	/* commit 1's tree went to commit 3: its run builds it again */
	run_ok(&be, 1, b[1].signature);
	assert_int_equal(builds_of(work, 1), 2);
	for (int i = 0; i < 4; i++)
		kb_build_result_clear(&b[i]);
	be.close(be.ctx);
	kb_config_free(cfg);
}

/* No slots: one tree, as before build slots existed. */
static void test_no_slots_one_tree(void **state)
{
	struct kb_build_result b[2] = { 0 };
	struct kb_config *cfg = NULL;
	struct kb_backend be;
	char work[200], path[256];

	(void)state;
	backend(0, &cfg, &be, work, sizeof(work));
	assert_int_equal(be.build_slots, 0);
	build_ok(&be, 0, &b[0]);
	build_ok(&be, 1, &b[1]);
	snprintf(path, sizeof(path), "%s/src-1", work);
	assert_false(kb_path_exists(path));
	run_ok(&be, 0, b[0].signature); /* rebuilt in the one tree */
	assert_int_equal(builds_of(work, 0), 2);
	kb_build_result_clear(&b[0]);
	kb_build_result_clear(&b[1]);
	be.close(be.ctx);
	kb_config_free(cfg);
}

struct job {
	struct kb_backend *be;
	int i;
	const char *sig;
	struct kb_build_result b;
	struct kb_run_result r;
	int err;
};

static void *build_job(void *arg)
{
	struct job *j = arg;

	j->err = j->be->build(j->be->ctx, hashes[j->i], &j->b);
	return NULL;
}

static void *run_job(void *arg)
{
	struct job *j = arg;

	j->err = j->be->run(j->be->ctx, hashes[j->i], j->sig, 0, &j->r);
	return NULL;
}

/*
 * One slot, taken by a slow build: a second build waits for it, and
 * cancelling it there ends it at once without running the command; the
 * slow one is then stopped too.  Both report "build cancelled".
 */
static void test_cancel_waiting_build(void **state)
{
	struct kb_config *cfg = NULL;
	struct kb_backend be;
	struct job slow = { .be = &be, .i = NCOMMITS - 1 }, queued = { .be = &be, .i = 0 };
	pthread_t ts, tq;
	char work[200];

	(void)state;
	backend(1, &cfg, &be, work, sizeof(work));
	assert_int_equal(pthread_create(&ts, NULL, build_job, &slow), 0);
	while (!builds_of(work, NCOMMITS - 1)) /* the slow build runs its command */
		usleep(10000);
	assert_int_equal(pthread_create(&tq, NULL, build_job, &queued), 0);
	usleep(200000);
	be.cancel_build(be.ctx, hashes[0]);
	assert_int_equal(pthread_join(tq, NULL), 0);
	assert_int_equal(queued.err, 0);
	assert_int_equal(queued.b.status, KB_BUILD_INFRA);
	assert_string_equal(queued.b.error_lines, "build cancelled");
	assert_int_equal(builds_of(work, 0), 0);
	be.cancel_build(be.ctx, hashes[NCOMMITS - 1]);
	assert_int_equal(pthread_join(ts, NULL), 0);
	assert_int_equal(slow.err, 0);
	assert_int_equal(slow.b.status, KB_BUILD_INFRA);
	/* a cancel for a build that is neither waiting nor running changes nothing */
	be.cancel_build(be.ctx, hashes[1]);
	kb_build_result_clear(&queued.b);
	kb_build_result_clear(&slow.b);
	{
		struct kb_build_result b = { 0 };

		build_ok(&be, 1, &b);
		kb_build_result_clear(&b);
	}
	be.close(be.ctx);
	kb_config_free(cfg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * cancel_runs: a run of commit 0 that would take 20 s and a 1 s run of
 * commit 1 go on at once; cancelling commit 0's runs ends that run at once
 * as INFRA "run cancelled", and commit 1's run ends normally.
 */
static void test_cancel_runs(void **state)
{
	struct kb_build_result b0 = { 0 }, b1 = { 0 };
	struct kb_config *cfg = NULL;
	struct kb_backend be;
	struct job slow = { .be = &be, .i = 0 }, quick = { .be = &be, .i = 1 };
	pthread_t ts, tq;
	char work[200];
	double t0;

	(void)state;
	backend_test(1, "sleep $((20 - 19 * $(cat n)))", &cfg, &be, work, sizeof(work));
	build_ok(&be, 0, &b0);
	build_ok(&be, 1, &b1);
	slow.sig = b0.signature;
	quick.sig = b1.signature;
	t0 = now();
	assert_int_equal(pthread_create(&ts, NULL, run_job, &slow), 0);
	assert_int_equal(pthread_create(&tq, NULL, run_job, &quick), 0);
	usleep(300000);
	be.cancel_runs(be.ctx, hashes[0]);
	assert_int_equal(pthread_join(ts, NULL), 0);
	assert_true(now() - t0 < 10);
	assert_int_equal(slow.err, 0);
	assert_int_equal(slow.r.outcome, KB_RUN_INFRA);
	assert_string_equal(slow.r.title, KB_RUN_CANCELLED);
	assert_int_equal(pthread_join(tq, NULL), 0);
	assert_int_equal(quick.err, 0);
	assert_int_equal(quick.r.outcome, KB_RUN_OK);
	/* a cancel when no run of the commit goes on changes nothing later */
	be.cancel_runs(be.ctx, hashes[1]);
	kb_run_result_clear(&quick.r);
	assert_int_equal(be.run(be.ctx, hashes[1], b1.signature, 1, &quick.r), 0);
	assert_int_equal(quick.r.outcome, KB_RUN_OK);
	kb_run_result_clear(&quick.r);
	kb_run_result_clear(&slow.r);
	kb_build_result_clear(&b0);
	kb_build_result_clear(&b1);
	be.close(be.ctx);
	kb_config_free(cfg);
}

/*
 * Four runs at once of a commit no tree holds, while a slow build has the
 * slot: they wait, and one rebuild serves them all.
 */
static void test_runs_share_rebuild(void **state)
{
	struct kb_build_result b[4] = { 0 };
	struct kb_config *cfg = NULL;
	struct kb_backend be;
	struct job j[4], slow = { .be = &be, .i = NCOMMITS - 1 };
	pthread_t t[4], ts;
	char work[200];

	(void)state;
	backend(1, &cfg, &be, work, sizeof(work));
	for (int i = 0; i < 4; i++)
		build_ok(&be, i, &b[i]); /* commit 0's tree goes to commit 3 */
	assert_int_equal(builds_of(work, 0), 1);
	assert_int_equal(pthread_create(&ts, NULL, build_job, &slow), 0);
	while (!builds_of(work, NCOMMITS - 1))
		usleep(10000);
	for (int k = 0; k < 4; k++) {
		j[k] = (struct job){ .be = &be, .i = 0, .sig = b[0].signature };
		assert_int_equal(pthread_create(&t[k], NULL, run_job, &j[k]), 0);
	}
	usleep(200000);
	be.cancel_build(be.ctx, hashes[NCOMMITS - 1]);
	assert_int_equal(pthread_join(ts, NULL), 0);
	kb_build_result_clear(&slow.b);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(pthread_join(t[k], NULL), 0);
		assert_int_equal(j[k].err, 0);
		assert_int_equal(j[k].r.outcome, KB_RUN_OK);
		kb_run_result_clear(&j[k].r);
	}
	assert_int_equal(builds_of(work, 0), 2);
	for (int i = 0; i < 4; i++)
		kb_build_result_clear(&b[i]);
	be.close(be.ctx);
	kb_config_free(cfg);
}

/*
 * A clone that cannot be made (the repository went away after the first
 * one): the build, and a run that needs a rebuild, fail with an error
 * that names the clone; nothing else breaks, and with the repository back
 * the next build works.
 */
static void test_clone_fails(void **state)
{
	struct kb_build_result b = { 0 };
	struct kb_run_result rr = { 0 };
	struct kb_config *cfg = NULL;
	struct kb_backend be;
	char work[200], moved[200];

	(void)state;
	backend(1, &cfg, &be, work, sizeof(work));
	build_ok(&be, 0, &b);
	snprintf(moved, sizeof(moved), "%s.away", repo);
	assert_int_equal(rename(repo, moved), 0);
	kb_build_result_clear(&b);
	assert_true(be.build(be.ctx, hashes[1], &b) < 0);
	assert_non_null(strstr(kb_error_last(), "src-1"));
	kb_build_result_clear(&b);
	assert_true(be.run(be.ctx, hashes[2], "0000", 0, &rr) < 0);
	kb_run_result_clear(&rr);
	assert_int_equal(rename(moved, repo), 0);
	build_ok(&be, 1, &b);
	kb_build_result_clear(&b);
	be.close(be.ctx);
	kb_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_use_build_keeps_tree),
		cmocka_unit_test(test_no_slots_one_tree),
		cmocka_unit_test(test_cancel_waiting_build),
		cmocka_unit_test(test_runs_share_rebuild),
		cmocka_unit_test(test_cancel_runs),
		cmocka_unit_test(test_clone_fails),
	};

	return cmocka_run_group_tests(tests, setup, kb_test_tmpdir_teardown);
}
