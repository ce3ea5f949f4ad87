/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bisection engine's view of the world.  Every external effect goes
 * through struct kb_backend (build one commit, run one test) and struct
 * kb_clock, so the same engine runs real backends (git worktree + local
 * process / QEMU) and a simulator with a virtual clock.
 *
 * Backend calls are synchronous and may block for minutes; the scheduler
 * runs them on worker threads (real) or in virtual time (simulator).  They
 * must be safe to call concurrently for *different* jobs: a real backend
 * serializes what must be serialized (one worktree checkout+build at a time).
 */
#ifndef KB_BISECT_OPS_H
#define KB_BISECT_OPS_H

#include "run/run.h"
#include "util/common.h"

enum kb_build_status {
	KB_BUILD_OK,
	KB_BUILD_FAILED, /* the commit does not build: the commit is skipped */
	KB_BUILD_INFRA, /* our problem (disk full, OOM-killed make, timeout): retry later */
};

struct kb_build_result {
	enum kb_build_status status;
	char signature[65]; /* sha256 hex of the artifacts ("" when none) */
	char *compiler; /* "gcc (Debian 12.2.0-14) 12.2.0, GNU ld ..." or NULL */
	char *error_lines; /* root-cause lines of a failed build, '\n'-separated, or NULL */
	char *log_path; /* full build log, or NULL */
	double seconds;
};

void kb_build_result_clear(struct kb_build_result *r);

struct kb_backend {
	void *ctx;
	/*
	 * Build @commit (full hash).  Returns 0 with *res filled (whatever the
	 * build status) or -errno when kbisect itself failed.
	 */
	int (*build)(void *ctx, const char *commit, struct kb_build_result *res);
	/*
	 * Run test number @run_idx on the build of @commit (signature @sig).
	 * Returns 0 with *res filled or -errno.
	 */
	int (*run)(void *ctx, const char *commit, const char *sig, unsigned run_idx,
		   struct kb_run_result *res);
	void (*close)(void *ctx);
	/*
	 * Stop the build of @commit that another thread is running now (a
	 * speculative build that became useless): that build() returns soon
	 * with status KB_BUILD_INFRA.  A no-op when @commit is not being
	 * built.  NULL: builds cannot be cancelled (they run to the end).
	 */
	void (*cancel_build)(void *ctx, const char *commit);
	/*
	 * Optional: tests of @commit's build come next (the engine chose it,
	 * and may now start builds ahead of need).  A backend that keeps
	 * builds in a few trees keeps this one over the others.  NULL: no-op.
	 */
	void (*use_build)(void *ctx, const char *commit);
	/*
	 * Optional: stop the runs of @commit that other threads are running
	 * now (runs ahead of need whose commit became useless, and those
	 * still going when the bisection ends): those run() calls return soon
	 * with outcome KB_RUN_INFRA, title KB_RUN_CANCELLED, also one still
	 * waiting for a VM.  Runs started later are not affected.  NULL: runs
	 * cannot be cancelled (they run to the end).
	 */
	void (*cancel_runs)(void *ctx, const char *commit);
	/*
	 * How many builds this backend can run at once while runs go on
	 * (the engine uses min(this, config build.slots)).  0: a build must
	 * not overlap runs (the local backend's tests run in the tree it
	 * builds in), so the engine builds only between tests.
	 */
	unsigned build_slots;
};

struct kb_dag;
struct kb_git_commit;
struct kb_buf;

/*
 * The repository as the engine sees it.  The real implementation runs git
 * on the user's repository (read only); a simulator answers from a generated
 * graph.  Signatures and semantics are those of the kb_git_* functions in
 * vcs/git.h (the real table just forwards to them).
 */
struct kb_vcs {
	void *ctx;
	int (*rev_parse)(void *ctx, const char *rev, char out[41]);
	int (*is_ancestor)(void *ctx, const char *a, const char *b);
	int (*load_range)(void *ctx, const char *bad, const char *const *goods, size_t ngoods,
			  struct kb_dag **ret);
	int (*commit_info)(void *ctx, const char *hash, struct kb_git_commit *ret);
	/* git's "first bad commit" block (commit header, message, diffstat) */
	int (*show_culprit)(void *ctx, const char *hash, struct kb_buf *out);
	/* release tags before @hash matching @glob, newest first (kb_git_strv_free) */
	int (*release_tags)(void *ctx, const char *hash, const char *glob, char ***ret,
			    size_t *ret_n);
	/* the release tag on @hash itself, or *ret = NULL */
	int (*release_tag_at)(void *ctx, const char *hash, const char *glob, char **ret);
	/*
	 * Optional (NULL: not available).  Paths changed by @hash
	 * (kb_git_strv_free), and the content of @path at @hash (1 when it
	 * exists, 0 when not).  Used for kernel recipients (MAINTAINERS).
	 */
	int (*files_touched)(void *ctx, const char *hash, char ***ret, size_t *ret_n);
	int (*read_file)(void *ctx, const char *hash, const char *path, struct kb_buf *out);
};

/* The git implementation of struct kb_vcs for the repository at @repo (copied). */
void kb_vcs_git_init(struct kb_vcs *v, const char *repo);
void kb_vcs_git_release(struct kb_vcs *v);

struct kb_clock {
	void *ctx;
	double (*now)(void *ctx); /* seconds since an arbitrary epoch */
};

#endif
