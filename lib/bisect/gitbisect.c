// SPDX-License-Identifier: Apache-2.0
/*
 * git bisect's choice of the next commit, reproduced on a kb_dag.
 *
 * What git does (established from its documentation and black-box runs of
 * git 2.39, see docs/vcs.md):
 *
 *  - The candidates are the commits reachable from the bad end and not from
 *    a good commit.  Each gets a weight: the number of candidates it reaches,
 *    itself included.  The best commit maximises min(weight, all - weight).
 *
 *  - Ties and shortcuts depend on the order in which git walks the
 *    candidates: the reverse of its listing order (rev-list: newest committer
 *    date first, equal dates first-come first-served).  Merges get their
 *    weight first, then weights spread from parents to single-parent children
 *    in repeated passes over that order.  As soon as a merge or a
 *    single-parent commit is found within 1 of the half (or, for large
 *    ranges, within all/1024), git takes it.  Otherwise the first commit in
 *    walk order with the best distance wins.  Root commits of the range never
 *    take the shortcut.
 *
 *  - Once any commit was skipped, git ranks all candidates like
 *    `rev-list --bisect-all` (distance descending, hash ascending) and takes
 *    the first that is not skipped if that is the top one.  If the top one is
 *    skipped, it picks from the non-skipped remainder at an index given by
 *    a fixed pseudo-random number (skip_away below), stepping back one if it
 *    would land on the bad end.
 *
 *  - "Bisecting: N revisions left" prints all - weight(top) - 1 where top is
 *    the best commit before the skip rule, and "all" counts skipped commits.
 */
#include <errno.h>
#include <string.h>
#include "bisect/gitbisect.h"
#include "util/error.h"

#define PRN_MODULO 32768u

/* Reachability from @from within the candidates (weights of merges). */
static uint32_t count_reach(const struct kb_dag *d, const bool *cand, uint32_t from,
			    uint32_t *stamp, uint32_t mark, uint32_t *stack)
{
	size_t sp = 0;
	uint32_t count = 0;

	stack[sp++] = from;
	stamp[from] = mark;
	while (sp) {
		uint32_t c = stack[--sp];

		count++;
		for (uint32_t j = d->par_off[c]; j < d->par_off[c + 1]; j++) {
			uint32_t p = d->par[j];

			if (cand[p] && stamp[p] != mark) {
				stamp[p] = mark;
				stack[sp++] = p;
			}
		}
	}
	return count;
}

static uint32_t cand_parents(const struct kb_dag *d, const bool *cand, uint32_t c)
{
	uint32_t n = 0;

	for (uint32_t j = d->par_off[c]; j < d->par_off[c + 1]; j++)
		n += cand[d->par[j]];
	return n;
}

uint32_t kb_gitbisect_candidates(const struct kb_dag *d, const uint8_t *marks, bool *cand)
{
	uint32_t bad = (uint32_t)d->bad;
	bool *excl;

	for (size_t i = 0; i < d->n; i++) {
		if (marks[i] == KB_GB_BAD) {
			bad = (uint32_t)i;
			break;
		}
	}

	/* Parents have lower indices, so one downward sweep spreads both sets. */
	excl = kb_xcalloc(d->n, sizeof(*excl));
	memset(cand, 0, d->n * sizeof(*cand));
	cand[bad] = true;
	for (size_t i = d->n; i-- > 0;) {
		if (marks[i] == KB_GB_GOOD)
			excl[i] = true;
		if (!cand[i] && !excl[i])
			continue;
		for (uint32_t j = d->par_off[i]; j < d->par_off[i + 1]; j++) {
			if (excl[i])
				excl[d->par[j]] = true;
			if (cand[i])
				cand[d->par[j]] = true;
		}
	}
	for (size_t i = 0; i < d->n; i++)
		cand[i] = cand[i] && !excl[i];
	free(excl);
	return bad;
}

/* Max-heap on (date, -sequence): git's date-ordered list, FIFO among equals. */
struct qent {
	int64_t date;
	uint64_t seq;
	uint32_t commit;
};

static bool qbefore(const struct qent *a, const struct qent *b)
{
	return a->date != b->date ? a->date > b->date : a->seq < b->seq;
}

static void qpush(struct qent *h, size_t *n, struct qent e)
{
	size_t i = (*n)++;

	while (i) {
		size_t up = (i - 1) / 2;

		if (!qbefore(&e, &h[up]))
			break;
		h[i] = h[up];
		i = up;
	}
	h[i] = e;
}

static struct qent qpop(struct qent *h, size_t *n)
{
	struct qent top = h[0], last = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && qbefore(&h[c + 1], &h[c]))
			c++;
		if (!qbefore(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = last;
	return top;
}

/*
 * The candidates in git's walk order (reverse listing order).  With commit
 * dates we replay git's listing: start at the bad end, always take the
 * newest queued commit (first queued among equal dates) and queue its
 * not-yet-seen candidate parents in parent order.  The non-candidate
 * commits git also walks never change the relative order of candidates, so
 * they are left out.  Without dates, the original listing is filtered.
 */
static size_t walk_order(const struct kb_dag *d, const bool *cand, uint32_t bad, uint32_t *out)
{
	size_t n = 0;

	if (d->date) {
		struct qent *heap = kb_xmalloc(d->n * sizeof(*heap));
		bool *seen = kb_xcalloc(d->n, sizeof(*seen));
		size_t hn = 0;
		uint64_t seq = 0;

		qpush(heap, &hn, (struct qent){ d->date[bad], seq++, bad });
		seen[bad] = true;
		while (hn) {
			struct qent e = qpop(heap, &hn);

			out[n++] = e.commit;
			for (uint32_t j = d->par_off[e.commit]; j < d->par_off[e.commit + 1]; j++) {
				uint32_t p = d->par[j];

				if (cand[p] && !seen[p]) {
					seen[p] = true;
					qpush(heap, &hn, (struct qent){ d->date[p], seq++, p });
				}
			}
		}
		free(heap);
		free(seen);
	} else {
		for (size_t k = 0; k < d->n; k++)
			if (cand[d->listed[k]])
				out[n++] = d->listed[k];
	}
	/* Reverse: git walks the listing back to front. */
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t t = out[i];

		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return n;
}

/* Exact weights of all candidates (index order is topological). */
static void compute_weights(const struct kb_dag *d, const bool *cand, uint32_t *w)
{
	uint32_t *stamp = kb_xcalloc(d->n, sizeof(*stamp));
	uint32_t *stack = kb_xmalloc(d->n * sizeof(*stack));
	uint32_t mark = 0;

	for (size_t i = 0; i < d->n; i++) {
		uint32_t np;

		if (!cand[i])
			continue;
		np = cand_parents(d, cand, (uint32_t)i);
		if (np == 0) {
			w[i] = 1;
		} else if (np == 1) {
			for (uint32_t j = d->par_off[i]; j < d->par_off[i + 1]; j++)
				if (cand[d->par[j]])
					w[i] = w[d->par[j]] + 1;
		} else {
			w[i] = count_reach(d, cand, (uint32_t)i, stamp, ++mark, stack);
		}
	}
	free(stamp);
	free(stack);
}

static uint32_t distance(uint32_t w, size_t all)
{
	return KB_MIN(w, (uint32_t)(all - w));
}

/* git's shortcut: close enough to the half to stop looking. */
static bool halfway(uint32_t w, size_t all)
{
	long diff = 2 * (long)w - (long)all;

	if (diff < 0)
		diff = -diff;
	return diff <= 1 || diff < (long)(all / 1024);
}

/* Commit @c now has its weight; true if git would stop looking there. */
static bool settle(bool *known, size_t *counted, uint32_t w, uint32_t c, size_t all)
{
	known[c] = true;
	(*counted)++;
	return halfway(w, all);
}

/*
 * The best commit when nothing was ever skipped, replaying the order in
 * which git settles weights so that its shortcut fires on the same commit.
 */
static uint32_t best_no_skip(const struct kb_dag *d, const bool *cand, const uint32_t *order,
			     size_t all, const uint32_t *w)
{
	bool *known = kb_xcalloc(d->n, sizeof(*known));
	size_t counted = 0;
	uint32_t best = order[0], best_dist = 0;
	bool have = false;

	for (size_t k = 0; k < all; k++) {
		uint32_t c = order[k];

		if (cand_parents(d, cand, c) == 0) {
			known[c] = true;
			counted++;
		}
	}
	/* Merges, in walk order. */
	for (size_t k = 0; k < all; k++) {
		uint32_t c = order[k];

		if (cand_parents(d, cand, c) >= 2 && settle(known, &counted, w[c], c, all)) {
			best = c;
			goto out;
		}
	}
	/* Single-parent commits, in passes until all are known. */
	while (counted < all) {
		for (size_t k = 0; k < all; k++) {
			uint32_t c = order[k];
			bool parent_known = false;

			if (known[c])
				continue;
			for (uint32_t j = d->par_off[c]; j < d->par_off[c + 1]; j++)
				if (cand[d->par[j]] && known[d->par[j]])
					parent_known = true;
			if (parent_known && settle(known, &counted, w[c], c, all)) {
				best = c;
				goto out;
			}
		}
	}
	for (size_t k = 0; k < all; k++) {
		uint32_t c = order[k], dist = distance(w[c], all);

		if (!have || dist > best_dist) {
			best = c;
			best_dist = dist;
			have = true;
		}
	}
out:
	free(known);
	return best;
}

static int cmp_rank(const void *a_, const void *b_, void *arg)
{
	const struct kb_gitbisect_rank *a = a_, *b = b_;
	const struct kb_dag *d = arg;

	if (a->distance != b->distance)
		return a->distance > b->distance ? -1 : 1;
	return strcmp(d->hash[a->commit], d->hash[b->commit]);
}

static size_t rank(const struct kb_dag *d, const bool *cand, const uint32_t *w,
		   struct kb_gitbisect_rank *out, size_t all)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (!cand[i])
			continue;
		out[n].commit = (uint32_t)i;
		out[n].weight = w[i];
		out[n].distance = distance(w[i], all);
		n++;
	}
	qsort_r(out, n, sizeof(*out), cmp_rank, (void *)d);
	return n;
}

void kb_gitbisect_rank_all(const struct kb_dag *d, const uint8_t *marks,
			   struct kb_gitbisect_rank **ret, size_t *ret_n)
{
	bool *cand = kb_xmalloc(d->n * sizeof(*cand));
	uint32_t *w = kb_xcalloc(d->n, sizeof(*w));
	struct kb_gitbisect_rank *r = kb_xmalloc(d->n * sizeof(*r));
	size_t all = 0;

	kb_gitbisect_candidates(d, marks, cand);
	for (size_t i = 0; i < d->n; i++)
		all += cand[i];
	compute_weights(d, cand, w);
	*ret_n = rank(d, cand, w, r, all);
	*ret = r;
	free(cand);
	free(w);
}

/* The fixed pseudo-random number git derives from the count (an LCG step). */
static unsigned prn(unsigned count)
{
	count = count * 1103515245u + 12345u;
	return (count / 65536u) % PRN_MODULO;
}

static unsigned isqrt(unsigned v)
{
	unsigned r = 0;

	/* Floor square root; equals git's float iteration for 0..32768. */
	while ((r + 1) * (r + 1) <= v)
		r++;
	return r;
}

/* Index ~ count * r^1.5 in the non-skipped ranking, r = prn / 32768. */
static size_t skip_away(size_t count, const uint32_t *list, uint32_t bad)
{
	unsigned r = prn((unsigned)count);
	size_t index = (size_t)((unsigned)count * r / PRN_MODULO) * isqrt(r) / isqrt(PRN_MODULO);

	if (index >= count)
		return 0;
	if (list[index] != bad)
		return index;
	return index ? index - 1 : 0;
}

int kb_gitbisect_estimate_steps(size_t all)
{
	size_t e = 1;
	int n = 0;

	if (all < 3)
		return 0;
	while (e * 2 <= all) {
		e *= 2;
		n++;
	}
	/* n = floor(log2(all)); round down when all is close to 2^n. */
	return e < 3 * (all - e) ? n : n - 1;
}

void kb_gitbisect_step_release(struct kb_gitbisect_step *s)
{
	free(s->maybe);
	s->maybe = NULL;
	s->nmaybe = 0;
}

int kb_gitbisect_next(const struct kb_dag *d, const uint8_t *marks, struct kb_gitbisect_step *ret)
{
	struct kb_gitbisect_step s = { 0 };
	bool *cand, any_skip = false;
	uint32_t *w, *order;
	size_t all = 0;

	for (size_t i = 0; i < d->n; i++)
		any_skip |= marks[i] == KB_GB_SKIP;
	cand = kb_xmalloc(d->n * sizeof(*cand));
	s.bad = kb_gitbisect_candidates(d, marks, cand);
	if (!cand[s.bad]) {
		free(cand);
		return kb_error_set(-EINVAL, "bad commit %s is also marked good", d->hash[s.bad]);
	}
	for (size_t i = 0; i < d->n; i++)
		all += cand[i];
	w = kb_xcalloc(d->n, sizeof(*w));
	order = kb_xmalloc(d->n * sizeof(*order));
	compute_weights(d, cand, w);
	s.all = all;
	s.steps = kb_gitbisect_estimate_steps(all);

	if (!any_skip) {
		size_t nord = walk_order(d, cand, s.bad, order);

		/* The walk reaches every candidate: they are all ancestors of bad. */
		s.commit = best_no_skip(d, cand, order, nord, w);
		s.reaches = w[s.commit];
		s.state = s.commit == s.bad ? KB_GB_FOUND : KB_GB_NEXT;
	} else {
		struct kb_gitbisect_rank *r = kb_xmalloc(all * sizeof(*r));
		uint32_t *ok = order; /* non-skipped commits in rank order */
		size_t nok = 0, nr = rank(d, cand, w, r, all);

		s.reaches = r[0].weight;
		s.maybe = kb_xmalloc(all * sizeof(*s.maybe) + sizeof(*s.maybe));
		for (size_t k = 0; k < nr; k++) {
			if (marks[r[k].commit] == KB_GB_SKIP)
				s.maybe[s.nmaybe++] = r[k].commit;
			else
				ok[nok++] = r[k].commit;
		}
		if (marks[r[0].commit] != KB_GB_SKIP) {
			s.commit = r[0].commit;
			s.nmaybe = 0;
		} else if (nok) {
			s.commit = ok[skip_away(nok, ok, s.bad)];
		} else {
			/*
			 * The bad end itself is marked SKIP, so every candidate
			 * is: git lists them all, the bad end in rank order.
			 */
			s.commit = s.bad;
		}
		if (s.commit != s.bad) {
			s.state = KB_GB_NEXT;
			s.nmaybe = 0;
		} else if (s.nmaybe) {
			s.state = KB_GB_ONLY_SKIPPED;
			if (nok)
				s.maybe[s.nmaybe++] = s.bad;
		} else {
			s.state = KB_GB_FOUND;
		}
		if (!s.nmaybe) {
			free(s.maybe);
			s.maybe = NULL;
		}
		free(r);
	}
	s.left = (int)all - (int)s.reaches - 1;
	free(cand);
	free(w);
	free(order);
	*ret = s;
	return 0;
}

void kb_gitbisect_format(const struct kb_dag *d, const struct kb_gitbisect_step *s,
			 struct kb_buf *out)
{
	switch (s->state) {
	case KB_GB_NEXT:
		kb_buf_addf(out, "Bisecting: %d %s left to test after this (roughly %d %s)\n",
			    s->left, s->left == 1 ? "revision" : "revisions", s->steps,
			    s->steps == 1 ? "step" : "steps");
		break;
	case KB_GB_FOUND:
		kb_buf_addf(out, "%s is the first bad commit\n", d->hash[s->commit]);
		break;
	case KB_GB_ONLY_SKIPPED:
		kb_buf_addstr(out, "There are only 'skip'ped commits left to test.\n"
				   "The first bad commit could be any of:\n");
		for (size_t i = 0; i < s->nmaybe; i++)
			kb_buf_addf(out, "%s\n", d->hash[s->maybe[i]]);
		kb_buf_addstr(out, "We cannot bisect more!\n");
		break;
	}
}
