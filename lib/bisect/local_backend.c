// SPDX-License-Identifier: Apache-2.0
/*
 * Generic real backend.  Builds happen in private clones of the user's
 * repository under the workdir ("trees"), and the test command runs in the
 * tree that holds the commit's build, so a tree is in use from its build
 * until it is chosen for another one.
 *
 * With build.slots = 0 there is one tree and the engine never builds while
 * tests run.  With S >= 1 slots up to S builds run at once, beside the
 * tests, in up to S + 2 trees: while a commit is tested in one, the two
 * commits the engine would test next after either outcome are built in two
 * others (docs/scheduler.md).  A tree for a build is, in order: a free tree
 * (no build and no run in it) that holds that commit already, one that
 * holds nothing, a new one (cloned on first need), the free tree used least
 * recently; the engine marks the commit it tests next as used
 * (use_build), so builds ahead of need never take its tree.  A run for a
 * commit that no tree holds any more (its tree was reused, or after a
 * resume) builds it again first and checks that the signature is the one
 * the runs were journaled under.  A build cancelled while it waits for a
 * slot never starts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include "bisect/local_backend.h"
#include "build/build.h"
#include "run/local.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

#define MAX_TREES 8

struct tree {
	char *path; /* NULL until first needed */
	char commit[KB_HASH_HEX + 1]; /* built OK in it, "" when none */
	char building[KB_HASH_HEX + 1]; /* being checked out and built, "" when not */
	unsigned users; /* runs in it now */
	uint64_t used; /* when it was last built or run in (a counter) */
	atomic_bool cancel; /* stop the build in it (cancel_build) */
};

/* A build waiting for a slot or a tree (on its thread's stack). */
struct waiter {
	const char *commit;
	bool cancelled; /* cancel_build came first: it never starts */
	struct waiter *next;
};

struct local_be {
	const struct kb_config *cfg;
	char *workdir, *logdir;
	unsigned slots, building; /* builds allowed and running at once */
	uint64_t clock;
	struct tree trees[MAX_TREES];
	size_t ntrees; /* trees that may be used */
	struct waiter *waiting;
	struct kb_run_tickets runs; /* runs going on, for cancel_runs */
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a build or run ended, or a waiting build was cancelled */
};

static int do_build(struct local_be *lb, struct tree *t, const char *commit,
		    struct kb_build_result *res)
{
	const struct kb_config *cfg = lb->cfg;
	int r;

	memset(res, 0, sizeof(*res));
	r = kb_git_checkout(t->path, commit, KB_GIT_CHECKOUT_CLEAN);
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
			.cancel = &t->cancel,
		};

		r = kb_build_run(&step, t->path, commit, res);
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

		r = kb_git_tree_hash(t->path, commit, tree);
		if (r < 0) {
			kb_build_result_clear(res);
			return r;
		}
		snprintf(res->signature, sizeof(res->signature), "%s", tree);
	}
	return 0;
}

static bool tree_free(const struct tree *t)
{
	return !t->building[0] && !t->users;
}

/* A tree for building @commit, or NULL when none is free now.  Under lb->lock. */
static struct tree *pick_tree(struct local_be *lb, const char *commit)
{
	struct tree *none = NULL, *uncloned = NULL, *lru = NULL;

	for (size_t i = 0; i < lb->ntrees; i++) {
		struct tree *t = &lb->trees[i];

		if (!tree_free(t))
			continue;
		if (!t->path) {
			if (!uncloned)
				uncloned = t; /* the build that takes it makes the clone */
			continue;
		}
		if (!strcmp(t->commit, commit))
			return t; /* a rebuild: same tree, little to redo */
		if (!t->commit[0] && !none)
			none = t;
		if (!lru || t->used < lru->used)
			lru = t;
	}
	return none ? none : uncloned ? uncloned : lru;
}

/*
 * Wait for a build slot and a free tree, and mark it as building @commit;
 * NULL when the build was cancelled while it waited.  Under lb->lock.
 */
static struct tree *claim_tree(struct local_be *lb, const char *commit)
{
	struct waiter w = { .commit = commit, .next = lb->waiting };
	struct tree *t = NULL;

	lb->waiting = &w;
	while (!w.cancelled &&
	       (lb->building >= KB_MAX(lb->slots, 1u) || !(t = pick_tree(lb, commit))))
		pthread_cond_wait(&lb->changed, &lb->lock);
	for (struct waiter **p = &lb->waiting; *p; p = &(*p)->next)
		if (*p == &w) {
			*p = w.next;
			break;
		}
	if (w.cancelled)
		return NULL;
	lb->building++;
	t->commit[0] = '\0';
	snprintf(t->building, sizeof(t->building), "%s", commit);
	return t;
}

/*
 * Build @commit in tree @t, claimed for it (claim_tree).  Afterwards the
 * tree holds the build (->commit) when it is OK; with @hold a run is
 * counted in it at once, so no other build takes it before that run.
 */
static int build_in_tree(struct local_be *lb, struct tree *t, const char *commit, bool hold,
			 struct kb_build_result *res)
{
	int r = 0;

	memset(res, 0, sizeof(*res));
	if (!t->path) {
		char name[16];
		char *path = NULL;

		snprintf(name, sizeof(name), t == lb->trees ? "src" : "src-%zu",
			 (size_t)(t - lb->trees));
		r = kb_git_worktree_prepare_named(lb->cfg->repo, lb->workdir, name, &path);
		pthread_mutex_lock(&lb->lock);
		t->path = path;
		pthread_mutex_unlock(&lb->lock);
	}
	if (r == 0)
		r = do_build(lb, t, commit, res);

	pthread_mutex_lock(&lb->lock);
	/* a cancel that came too late must not stop the next build */
	atomic_store(&t->cancel, false);
	t->building[0] = '\0';
	lb->building--;
	if (r == 0 && res->status == KB_BUILD_OK) {
		snprintf(t->commit, sizeof(t->commit), "%s", commit);
		t->users += hold;
	}
	t->used = ++lb->clock;
	pthread_cond_broadcast(&lb->changed);
	pthread_mutex_unlock(&lb->lock);
	return r;
}

static int lb_build(void *ctx, const char *commit, struct kb_build_result *res)
{
	struct local_be *lb = ctx;
	struct tree *t = NULL;

	pthread_mutex_lock(&lb->lock);
	t = claim_tree(lb, commit);
	pthread_mutex_unlock(&lb->lock);
	if (!t) {
		memset(res, 0, sizeof(*res));
		res->status = KB_BUILD_INFRA;
		res->error_lines = kb_xstrdup("build cancelled");
		return 0;
	}
	return build_in_tree(lb, t, commit, false, res);
}

static void lb_cancel_build(void *ctx, const char *commit)
{
	struct local_be *lb = ctx;

	pthread_mutex_lock(&lb->lock);
	for (size_t i = 0; i < lb->ntrees; i++)
		if (!strcmp(lb->trees[i].building, commit))
			atomic_store(&lb->trees[i].cancel, true);
	for (struct waiter *w = lb->waiting; w; w = w->next)
		if (!strcmp(w->commit, commit))
			w->cancelled = true;
	pthread_cond_broadcast(&lb->changed);
	pthread_mutex_unlock(&lb->lock);
}

/* The engine tests @commit next: its tree is the last that builds ahead of need take. */
static void lb_use_build(void *ctx, const char *commit)
{
	struct local_be *lb = ctx;

	pthread_mutex_lock(&lb->lock);
	for (size_t i = 0; i < lb->ntrees; i++)
		if (!strcmp(lb->trees[i].commit, commit))
			lb->trees[i].used = ++lb->clock;
	pthread_mutex_unlock(&lb->lock);
}

static void release_run(struct local_be *lb, struct tree *t)
{
	pthread_mutex_lock(&lb->lock);
	t->users--;
	pthread_cond_broadcast(&lb->changed);
	pthread_mutex_unlock(&lb->lock);
}

/*
 * The tree that holds @commit's build, with a run counted in it: waits
 * while one is being built; builds it again when none holds it (one
 * rebuild for all the runs that ask at once).
 */
static int tree_for_run(struct local_be *lb, const char *commit, const char *sig, struct tree **ret)
{
	struct kb_build_result b = { 0 };
	struct tree *t = NULL;
	int r;

	pthread_mutex_lock(&lb->lock);
	for (;;) {
		bool pending = false;

		t = NULL;
		for (size_t i = 0; i < lb->ntrees && !t; i++) {
			if (!strcmp(lb->trees[i].commit, commit) && !lb->trees[i].building[0])
				t = &lb->trees[i];
			pending |= !strcmp(lb->trees[i].building, commit);
		}
		if (t) {
			t->users++;
			t->used = ++lb->clock;
			pthread_mutex_unlock(&lb->lock);
			*ret = t;
			return 0;
		}
		for (struct waiter *w = lb->waiting; w && !pending; w = w->next)
			pending = !strcmp(w->commit, commit);
		if (!pending)
			break;
		pthread_cond_wait(&lb->changed, &lb->lock);
	}
	/* waiting or building, the other runs of it see it pending */
	t = claim_tree(lb, commit);
	pthread_mutex_unlock(&lb->lock);
	if (!t)
		return kb_error_set(-ECANCELED, "the build of %s was cancelled", commit);
	r = build_in_tree(lb, t, commit, true, &b);
	if (r == 0 && (b.status != KB_BUILD_OK || strcmp(b.signature, sig))) {
		r = kb_error_set(
			-EIO,
			"rebuilding %s gave %s, not the signature %s it had before: the build is not reproducible",
			commit, b.status == KB_BUILD_OK ? b.signature : "a failed build", sig);
		if (b.status == KB_BUILD_OK)
			release_run(lb, t);
	}
	kb_build_result_clear(&b);
	*ret = t;
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
	struct kb_run_ticket ticket;
	struct tree *t = NULL;
	int r;

	kb_run_ticket_take(&lb->runs, &ticket, commit);
	test.cancel = &ticket.cancel;
	r = tree_for_run(lb, commit, sig, &t);
	if (r == 0) {
		r = kb_local_run(&test, t->path, commit, idx, res);
		release_run(lb, t);
	}
	kb_run_ticket_drop(&lb->runs, &ticket);
	return r;
}

static void lb_cancel_runs(void *ctx, const char *commit)
{
	struct local_be *lb = ctx;

	kb_run_tickets_cancel(&lb->runs, commit);
}

static void lb_close(void *ctx)
{
	struct local_be *lb = ctx;

	if (!lb)
		return;
	pthread_cond_destroy(&lb->changed);
	pthread_mutex_destroy(&lb->lock);
	kb_run_tickets_destroy(&lb->runs);
	for (size_t i = 0; i < MAX_TREES; i++)
		free(lb->trees[i].path);
	free(lb->workdir);
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
	lb->slots = KB_MIN(cfg->build.slots, (unsigned)MAX_TREES - 2);
	lb->ntrees = lb->slots ? lb->slots + 2 : 1;
	pthread_mutex_init(&lb->lock, NULL);
	kb_run_tickets_init(&lb->runs);
	pthread_cond_init(&lb->changed, NULL);
	lb->workdir = kb_xstrdup(workdir);
	lb->logdir = kb_xasprintf("%s/logs", workdir);
	r = kb_mkdir_p(lb->logdir, 0755);
	/* the first tree now: a repository that cannot be cloned fails here, not mid-way */
	if (r == 0)
		r = kb_git_worktree_prepare(cfg->repo, workdir, &lb->trees[0].path);
	if (r < 0) {
		lb_close(lb);
		return r;
	}
	*be = (struct kb_backend){ .ctx = lb,
				   .build = lb_build,
				   .run = lb_run,
				   .close = lb_close,
				   .cancel_build = lb_cancel_build,
				   .cancel_runs = lb_cancel_runs,
				   .use_build = lb_use_build,
				   .build_slots = lb->slots };
	return 0;
}
