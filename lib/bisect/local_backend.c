// SPDX-License-Identifier: Apache-2.0
/*
 * Generic real backend.  One private clone is checked out at one commit at a
 * time; build() checks out and builds, run() runs the test command in that
 * tree.  A run for a commit that is not the one currently built (possible
 * after a resume, when more runs are needed on an earlier commit) checks it
 * out and builds it again first.  The mutex serializes checkout+build; runs
 * of the current commit go in parallel.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "bisect/local_backend.h"
#include "build/build.h"
#include "run/local.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

struct local_be {
	const struct kb_config *cfg;
	char *tree; /* the private clone */
	char *logdir;
	char current[KB_HASH_HEX + 1]; /* commit built in ->tree, "" when none */
	pthread_mutex_t lock;
};

static int do_build(struct local_be *lb, const char *commit, struct kb_build_result *res)
{
	const struct kb_config *cfg = lb->cfg;
	int r;

	memset(res, 0, sizeof(*res));
	lb->current[0] = '\0';
	r = kb_git_checkout(lb->tree, commit, KB_GIT_CHECKOUT_CLEAN);
	if (r < 0)
		return r;
	if (kb_command_present(&cfg->build.command)) {
		struct kb_build_step step = {
			.shell_cmd = cfg->build.command.shell,
			.argv = (const char *const *)cfg->build.command.argv,
			.artifacts = (const char *const *)cfg->build.artifacts,
			.n_artifacts = cfg->build.n_artifacts,
			.timeout = cfg->build.timeout,
			.log_dir = lb->logdir,
		};

		r = kb_build_run(&step, lb->tree, commit, res);
		if (r < 0)
			return r;
	} else {
		res->status = KB_BUILD_OK;
	}
	/*
	 * Without artifacts to sign, equal source trees stand for equal
	 * builds: the tree hash is the signature.
	 */
	if (res->status == KB_BUILD_OK && !res->signature[0]) {
		char tree[KB_HASH_HEX + 1];

		r = kb_git_tree_hash(lb->tree, commit, tree);
		if (r < 0) {
			kb_build_result_clear(res);
			return r;
		}
		snprintf(res->signature, sizeof(res->signature), "%s", tree);
	}
	if (res->status == KB_BUILD_OK)
		snprintf(lb->current, sizeof(lb->current), "%s", commit);
	return 0;
}

static int lb_build(void *ctx, const char *commit, struct kb_build_result *res)
{
	struct local_be *lb = ctx;
	int r;

	pthread_mutex_lock(&lb->lock);
	r = do_build(lb, commit, res);
	pthread_mutex_unlock(&lb->lock);
	return r;
}

static int lb_run(void *ctx, const char *commit, const char *sig, unsigned idx,
		  struct kb_run_result *res)
{
	struct local_be *lb = ctx;
	const struct kb_config *cfg = lb->cfg;
	struct kb_local_test test = {
		.shell_cmd = cfg->test.command.shell,
		.argv = (const char *const *)cfg->test.command.argv,
		.timeout = cfg->test.timeout,
		.log_dir = lb->logdir,
	};
	int r = 0;

	pthread_mutex_lock(&lb->lock);
	if (strcmp(lb->current, commit)) {
		struct kb_build_result b;

		r = do_build(lb, commit, &b);
		if (r == 0 && (b.status != KB_BUILD_OK || strcmp(b.signature, sig)))
			r = kb_error_set(
				-EIO,
				"rebuilding %s gave %s, not the signature %s it had before: the build is not reproducible",
				commit, b.status == KB_BUILD_OK ? b.signature : "a failed build",
				sig);
		kb_build_result_clear(&b);
	}
	pthread_mutex_unlock(&lb->lock);
	if (r < 0)
		return r;
	return kb_local_run(&test, lb->tree, commit, idx, res);
}

static void lb_close(void *ctx)
{
	struct local_be *lb = ctx;

	if (!lb)
		return;
	pthread_mutex_destroy(&lb->lock);
	free(lb->tree);
	free(lb->logdir);
	free(lb);
}

int kb_local_backend_new(const struct kb_config *cfg, const char *workdir, struct kb_backend *be)
{
	struct local_be *lb;
	int r;

	if (cfg->test.backend && strcmp(cfg->test.backend, "local"))
		return kb_error_set(-EINVAL,
				    "%s: test backend '%s' is not supported; use \"local\"",
				    cfg->path, cfg->test.backend);
	lb = kb_xcalloc(1, sizeof(*lb));
	lb->cfg = cfg;
	pthread_mutex_init(&lb->lock, NULL);
	lb->logdir = kb_xasprintf("%s/logs", workdir);
	r = kb_mkdir_p(lb->logdir, 0755);
	if (r == 0)
		r = kb_git_worktree_prepare(cfg->repo, workdir, &lb->tree);
	if (r < 0) {
		lb_close(lb);
		return r;
	}
	*be = (struct kb_backend){ .ctx = lb, .build = lb_build, .run = lb_run, .close = lb_close };
	return 0;
}
