/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commit graph of a bisection range, loaded once (one `git rev-list
 * --parents` call) and then only read.  Shared by the git-compatible search
 * (lib/bisect/gitbisect.c) and the statistical search (lib/bisect/bayes.c).
 *
 * Indexing: commits are numbered 0..n-1 in an order where every parent that
 * is inside the range comes before its children (topological, oldest first).
 * Parents outside the range (the good side) are not nodes; a commit whose
 * parents are all outside has n_parents == 0 inside the graph but keeps its
 * real parent count in ->nparents_total.
 */
#ifndef KB_VCS_DAG_H
#define KB_VCS_DAG_H

#include "util/common.h"

#define KB_HASH_HEX 40

struct kb_dag {
	size_t n;                 /* number of commits in the range */
	char (*hash)[KB_HASH_HEX + 1]; /* full hex hashes, hash[i] */
	uint32_t *par_off;        /* parents of i: par[par_off[i] .. par_off[i+1]) */
	uint32_t *par;            /* parent indices (inside the range only) */
	uint32_t *nparents_total; /* number of parents in git, including those outside */
	size_t bad;               /* index of the bad commit (the only sink) */
};

void kb_dag_free(struct kb_dag *d);

/* Index of a full hash or a unique prefix (>= 4 hex chars), or -1. */
long kb_dag_find(const struct kb_dag *d, const char *hex);

/*
 * Build a DAG from `git rev-list --parents` text (one line per commit:
 * "<hash> <parent>..."), as printed for "BAD --not GOOD...".  Parents not
 * listed as commits are outside the range.  0 or -errno (message set).
 */
int kb_dag_parse(const char *text, size_t len, const char *bad_hash, struct kb_dag **ret);

#endif
