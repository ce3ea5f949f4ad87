/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The search of `git bisect` (default mode: no --first-parent, no pathspec),
 * reproduced exactly on a struct kb_dag so that kbisect proposes the same
 * commits, prints the same "Bisecting:" numbers and names the same first bad
 * commit as `git bisect run` would with the same verdicts.
 *
 * The caller keeps the verdicts as one mark per commit of the DAG and asks
 * for the next step after each verdict.  Nothing here runs git.  How the
 * behaviour was established (docs + black-box runs of git 2.39) is in
 * docs/vcs.md; tests/vcs compares whole runs against the real git.
 */
#ifndef KB_BISECT_GITBISECT_H
#define KB_BISECT_GITBISECT_H

#include "util/buf.h"
#include "vcs/dag.h"

enum kb_gitbisect_mark {
	KB_GB_UNKNOWN = 0, /* not tested */
	KB_GB_GOOD, /* it and its ancestors are not the culprit */
	KB_GB_BAD, /* the culprit is it or one of its ancestors */
	KB_GB_SKIP, /* untestable */
};

enum kb_gitbisect_state {
	KB_GB_NEXT, /* test ->commit next */
	KB_GB_FOUND, /* ->commit is the first bad commit */
	KB_GB_ONLY_SKIPPED, /* only skipped commits left: ->maybe[] */
};

struct kb_gitbisect_step {
	enum kb_gitbisect_state state;
	uint32_t commit; /* NEXT: commit to test; FOUND: the first bad commit */
	uint32_t bad; /* the bad end the search used */
	size_t all; /* candidates (git's "all"), skipped ones included */
	size_t reaches; /* weight git reports for its best candidate */
	int left; /* "Bisecting: <left> revisions left to test after this" */
	int steps; /* "(roughly <steps> steps)" */
	uint32_t *maybe; /* ONLY_SKIPPED: possible first bad commits, in git's order */
	size_t nmaybe;
};

/* A candidate with its weight, as `git rev-list --bisect-all` ranks them. */
struct kb_gitbisect_rank {
	uint32_t commit;
	uint32_t weight; /* candidates it reaches, itself included */
	uint32_t distance; /* min(weight, all - weight) */
};

/*
 * Candidates of a search state: ancestors of the bad end (itself included)
 * that are not ancestors of (or equal to) a GOOD commit.  The bad end is
 * dag->bad or, when commits are marked BAD, the marked one with the lowest
 * index; for marks made by a bisection (each new bad is an ancestor of the
 * previous one) that is the latest bad, which is what git keeps.
 * @marks has dag->n entries (enum kb_gitbisect_mark); @ret_cand gets dag->n
 * booleans.  Returns the bad end.
 */
uint32_t kb_gitbisect_candidates(const struct kb_dag *d, const uint8_t *marks, bool *ret_cand);

/*
 * The next step after the verdicts in @marks.  Fills @ret (release with
 * kb_gitbisect_step_release).  0, or -EINVAL (message set) if @marks is
 * unusable (e.g. the bad end is marked GOOD).
 */
int kb_gitbisect_next(const struct kb_dag *d, const uint8_t *marks,
		      struct kb_gitbisect_step *ret) KB_MUST_CHECK;

void kb_gitbisect_step_release(struct kb_gitbisect_step *s);

/*
 * All candidates ranked like `git rev-list --bisect-all` (distance
 * descending, then hash ascending).  *ret (caller frees) gets *ret_n entries.
 */
void kb_gitbisect_rank_all(const struct kb_dag *d, const uint8_t *marks,
			   struct kb_gitbisect_rank **ret, size_t *ret_n);

/* git's estimate of the remaining steps for @all candidates. */
int kb_gitbisect_estimate_steps(size_t all);

/*
 * Append git's text for @s: "Bisecting: N revisions left to test after this
 * (roughly K steps)\n", "<hash> is the first bad commit\n", or the
 * "There are only 'skip'ped commits left to test." block.
 */
void kb_gitbisect_format(const struct kb_dag *d, const struct kb_gitbisect_step *s,
			 struct kb_buf *out);

#endif
