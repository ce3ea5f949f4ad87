/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The git layer: every question kbisect asks a repository, answered by
 * running git (`git -C REPO ...`, argv arrays via kb_child_run, never a
 * shell) and parsing its plumbing output.
 *
 * Revisions typed by the user go only through kb_git_rev_parse (which uses
 * --end-of-options, so a rev starting with '-' cannot become an option);
 * every other function takes full hex hashes and rejects anything else.
 * All functions return 0 (or a documented non-negative answer) or -errno
 * with a one-line message set.
 */
#ifndef KB_VCS_GIT_H
#define KB_VCS_GIT_H

#include "util/buf.h"
#include "vcs/dag.h"

/* Resolve @rev to a commit (rev^{commit}); @out gets 40 hex digits. */
int kb_git_rev_parse(const char *repo, const char *rev, char out[KB_HASH_HEX + 1]) KB_MUST_CHECK;

/* 1 if commit @a is an ancestor of (or equal to) @b, 0 if not, or -errno. */
int kb_git_is_ancestor(const char *repo, const char *a, const char *b) KB_MUST_CHECK;

/*
 * Load the range "@bad --not @goods..." with one
 * `git rev-list --parents --timestamp` call.  All arguments are full hashes.
 */
int kb_git_load_range(const char *repo, const char *bad, const char *const *goods, size_t ngoods,
		      struct kb_dag **ret) KB_MUST_CHECK;

struct kb_git_person {
	char *name;
	char *email;
};

/* A trailer line of the message ("Signed-off-by: A U Thor <a@u.org>"). */
struct kb_git_trailer {
	char *key; /* "Signed-off-by" */
	char *value; /* everything after ": " */
	char *name; /* the name part of "name <email>", or NULL */
	char *email; /* the address inside <>, or NULL */
};

struct kb_git_commit {
	char hash[KB_HASH_HEX + 1];
	char tree[KB_HASH_HEX + 1];
	char (*parents)[KB_HASH_HEX + 1];
	size_t nparents;
	struct kb_git_person author;
	struct kb_git_person committer;
	int64_t author_date; /* seconds since the epoch */
	int64_t committer_date;
	char *subject; /* first paragraph joined into one line, as %s */
	char *body; /* the whole raw message, as %B */
	struct kb_git_trailer *trailers; /* as git finds them (%(trailers:only,unfold)) */
	size_t ntrailers;
};

/* Everything about one commit (@hash: full hash) in one git call. */
int kb_git_commit_info(const char *repo, const char *hash, struct kb_git_commit *ret) KB_MUST_CHECK;
void kb_git_commit_release(struct kb_git_commit *c);

/*
 * The block git bisect prints under "<hash> is the first bad commit":
 * "commit H", "Author:", "Date:", the indented message, a blank line and
 * the diffstat with its summary.  Appended to @out.
 */
int kb_git_show_culprit(const char *repo, const char *hash, struct kb_buf *out) KB_MUST_CHECK;

/*
 * Release tags (names matching @glob, NULL = "v[0-9]*", without "-rc")
 * whose commits are proper ancestors of @hash, newest version first.
 * *ret is a NULL-terminated array (free with kb_git_strv_free).
 */
int kb_git_release_tags(const char *repo, const char *hash, const char *glob, char ***ret,
			size_t *ret_n) KB_MUST_CHECK;

/*
 * The release tag on @hash itself (the highest version if several), in
 * *ret (caller frees), or NULL when the commit carries none.  0 or -errno.
 */
int kb_git_release_tag_at(const char *repo, const char *hash, const char *glob,
			  char **ret) KB_MUST_CHECK;

/*
 * A private clone for building: `git clone --shared --no-checkout REPO
 * WORKDIR/src` the first time, a fetch of new branches and tags later.  The
 * user's repository and checkout are never modified (the clone borrows its
 * objects through .git/objects/info/alternates, so the user must not prune
 * them while a bisection runs).  *ret_path (caller frees) is WORKDIR/src.
 */
int kb_git_worktree_prepare(const char *repo, const char *workdir, char **ret_path) KB_MUST_CHECK;
/* The same in WORKDIR/@name (a backend with several trees: "src", "src-1", ...). */
int kb_git_worktree_prepare_named(const char *repo, const char *workdir, const char *name,
				  char **ret_path) KB_MUST_CHECK;

enum kb_git_checkout_flags {
	KB_GIT_CHECKOUT_CLEAN = 1 << 0, /* also remove untracked and ignored files */
};

/* Force a detached checkout of @hash in a private clone. */
int kb_git_checkout(const char *path, const char *hash, unsigned flags) KB_MUST_CHECK;

/*
 * Paths changed by @hash (against its first parent; all files for a root
 * commit), as a NULL-terminated array (free with kb_git_strv_free).
 */
int kb_git_files_touched(const char *repo, const char *hash, char ***ret,
			 size_t *ret_n) KB_MUST_CHECK;

/* The tree of commit @hash (equal trees build the same kernel). */
int kb_git_tree_hash(const char *repo, const char *hash, char out[KB_HASH_HEX + 1]) KB_MUST_CHECK;

void kb_git_strv_free(char **v);

/* True if @s is exactly KB_HASH_HEX lower-case hex digits. */
bool kb_git_is_hash(const char *s);

#endif
