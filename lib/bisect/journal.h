/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The results journal: an SQLite database in the workdir that records every
 * build and every test run the moment it finishes.  It is both the resume
 * state of an interrupted bisection (reopening returns everything that
 * finished) and a cache: results are keyed by (commit, key) where key hashes
 * everything that decides the result (the tree and the build/test commands),
 * so a later bisection of the same repository reuses them.
 *
 * Safe to use from several threads (one lock per journal) and from several
 * processes (SQLite WAL; a reader never blocks the writer).
 */
#ifndef KB_BISECT_JOURNAL_H
#define KB_BISECT_JOURNAL_H

#include "bisect/ops.h"
#include "run/run.h"

/* Schema version written by this kbisect (PRAGMA user_version). */
#define KB_JOURNAL_SCHEMA 1

struct kb_journal;

/*
 * Open or create the journal at @path.  Errors name the file and the fix:
 * not a database / not a kbisect journal / from a newer kbisect.
 */
int kb_journal_open(const char *path, struct kb_journal **ret) KB_MUST_CHECK;
void kb_journal_close(struct kb_journal *j);
const char *kb_journal_path(const struct kb_journal *j);

/*
 * The cache key of a bisection setup: SHA-256 hex over the fields (each
 * NUL-terminated, NULL counting as empty), e.g. (tree, build command,
 * test command, config hash).
 */
void kb_journal_key(const char *const *fields, size_t n, char out[65]);

/* Record a finished build of @commit (replacing an older one with the same key). */
int kb_journal_put_build(struct kb_journal *j, const char *commit, const char *key,
			 const struct kb_build_result *r) KB_MUST_CHECK;
/*
 * Look up the build of (@commit, @key).  Returns 1 with *r filled (clear it
 * with kb_build_result_clear), 0 when there is none, -errno on error.
 */
int kb_journal_get_build(struct kb_journal *j, const char *commit, const char *key,
			 struct kb_build_result *r) KB_MUST_CHECK;

/* Record finished run number @run_idx (replacing an older one with the same index). */
int kb_journal_put_run(struct kb_journal *j, const char *commit, const char *signature,
		       const char *key, unsigned run_idx,
		       const struct kb_run_result *r) KB_MUST_CHECK;

struct kb_journal_run {
	char *commit;
	char *signature; /* "" when the build had none */
	unsigned run_idx;
	struct kb_run_result res;
};

/*
 * The runs recorded under @key for @commit, or, when @commit is NULL, for
 * every build with signature @signature; ordered by commit, then run index.
 * *runs is an array of *n (free with kb_journal_runs_free).  0 or -errno.
 */
int kb_journal_get_runs(struct kb_journal *j, const char *commit, const char *signature,
			const char *key, struct kb_journal_run **runs, size_t *n) KB_MUST_CHECK;
void kb_journal_runs_free(struct kb_journal_run *runs, size_t n);

/*
 * Run number @run_idx of any build with @signature under @key (the most
 * recently recorded one when several commits built to it).  @signature must
 * not be "": builds without artifacts have no identity to share.  Returns 1
 * with *r filled (clear with kb_run_result_clear), 0 when none, -errno.
 */
int kb_journal_get_run(struct kb_journal *j, const char *signature, const char *key,
		       unsigned run_idx, struct kb_run_result *r) KB_MUST_CHECK;

/* The bisection's own state: small named values (config hash, start time, ...). */
int kb_journal_set_meta(struct kb_journal *j, const char *name, const char *value) KB_MUST_CHECK;
/* 1 with *value (malloc'ed), 0 when unset, -errno on error. */
int kb_journal_get_meta(struct kb_journal *j, const char *name, char **value) KB_MUST_CHECK;

#endif
