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
	size_t n; /* number of commits in the range */
	char (*hash)[KB_HASH_HEX + 1]; /* full hex hashes, hash[i] */
	uint32_t *par_off; /* parents of i: par[par_off[i] .. par_off[i+1]) */
	uint32_t *par; /* parent indices (inside the range only) */
	uint32_t *nparents_total; /* number of parents in git, including those outside */
	size_t bad; /* index of the bad commit (the only sink) */

	/*
	 * git's own listing order: listed[k] is the index of the k-th line of
	 * the rev-list output.  git bisect breaks ties by this order (it
	 * walks the candidates in reverse listing order), so it must survive
	 * the topological renumbering above.
	 */
	uint32_t *listed;
	/*
	 * Committer dates (seconds since the epoch) when the text came from
	 * `git rev-list --parents --timestamp`, else NULL.  With them the
	 * listing order of any sub-range can be recomputed exactly (git lists
	 * newest committer date first, ties first-come first-served).
	 */
	int64_t *date;
	uint32_t *by_hash; /* indices sorted by hash, for kb_dag_find */
};

void kb_dag_free(struct kb_dag *d);

/* Index of a full hash or a unique prefix (>= 4 hex chars), or -1. */
long kb_dag_find(const struct kb_dag *d, const char *hex);

/*
 * Build a DAG from `git rev-list --parents` text (one line per commit:
 * "<hash> <parent>..."), as printed for "BAD --not GOOD...".  Parents not
 * listed as commits are outside the range.  Lines may start with a decimal
 * committer timestamp (`--timestamp`): "<date> <hash> <parent>..."; either
 * all lines have one or none.  bad_hash must be listed and be the only
 * commit without children in the range.  0 or -errno (message set).
 */
int kb_dag_parse(const char *text, size_t len, const char *bad_hash, struct kb_dag **ret);

#endif
