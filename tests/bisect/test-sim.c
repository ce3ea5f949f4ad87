// SPDX-License-Identifier: Apache-2.0
/*
 * The simulator (lib/bisect/sim.c): its worlds are what they claim (shapes,
 * truth, noop signatures, broken ranges, outcome rates, determinism), its
 * kb_vcs answers like git would, and the real engine runs on it: both
 * strategies name the culprit of easy worlds, and the reference strategy
 * tests exactly the commits git bisect would with the true verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bisect/gitbisect.h"
#include "bisect/sim.h"
#include "util/fs.h"
#include "vcs/git.h"

static struct kb_sim *new_sim(enum kb_sim_shape shape, size_t n, uint64_t seed, double p1)
{
	struct kb_sim_params p;
	struct kb_sim *s = NULL;

	kb_sim_params_default(&p);
	p.shape = shape;
	p.n = n;
	p.seed = seed;
	p.p1 = p1;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	return s;
}

static size_t nparents(const struct kb_dag *d, size_t j)
{
	return d->par_off[j + 1] - d->par_off[j];
}

/* ---- worlds ------------------------------------------------------------ */

static void test_shapes(void **state)
{
	(void)state;
	for (int sh = KB_SIM_LINEAR; sh <= KB_SIM_GITHUB; sh++) {
		struct kb_sim *s = new_sim((enum kb_sim_shape)sh, 10000, 7, 0.5);
		const struct kb_dag *d = kb_sim_dag(s);
		size_t merges = 0, children_of_none = 0;
		uint8_t *has_child = calloc(d->n, 1);

		assert_int_equal(d->n, 10000);
		for (size_t j = 0; j < d->n; j++) {
			merges += d->nparents_total[j] > 1;
			for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1]; i++) {
				assert_true(d->par[i] < j); /* topological */
				has_child[d->par[i]] = 1;
			}
		}
		for (size_t j = 0; j < d->n; j++)
			children_of_none += !has_child[j];
		assert_int_equal(children_of_none, 1); /* the bad end is the only sink */
		assert_false(has_child[d->bad]);
		if (sh == KB_SIM_LINEAR) {
			assert_int_equal(merges, 0);
		} else if (sh == KB_SIM_KERNEL) {
			/* merge-heavy, long branches: merges every ~20 commits */
			assert_in_range(merges, 10000 / 60, 10000 / 8);
		} else {
			assert_in_range(merges, 10000 / 6, 10000 / 2);
		}
		free(has_child);
		kb_sim_free(s);
	}
}

/* The longest first-parent-free path: kernel branches are long, GitHub ones short. */
static size_t longest_branch(const struct kb_dag *d)
{
	size_t *len = calloc(d->n, sizeof(*len)), best = 0;

	/* length of the single-parent chain ending at j */
	for (size_t j = 0; j < d->n; j++) {
		len[j] = d->nparents_total[j] == 1 ?
				 (nparents(d, j) ? len[d->par[d->par_off[j]]] : 0) + 1 :
				 0;
		best = KB_MAX(best, len[j]);
	}
	free(len);
	return best;
}

static void test_branch_lengths(void **state)
{
	struct kb_sim *k = new_sim(KB_SIM_KERNEL, 10000, 3, 0.5);
	struct kb_sim *g = new_sim(KB_SIM_GITHUB, 10000, 3, 0.5);

	(void)state;
	assert_true(longest_branch(kb_sim_dag(k)) >= 100);
	assert_true(longest_branch(kb_sim_dag(g)) <= 30);
	kb_sim_free(k);
	kb_sim_free(g);
}

static void test_truth(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct kb_sim *s = new_sim(KB_SIM_KERNEL, 2000, seed, 0.5);
		const struct kb_dag *d = kb_sim_dag(s);
		struct kb_vcs v;
		size_t c = kb_sim_culprit(s), noops = 0, singles = 0;

		kb_sim_vcs(s, &v);
		assert_false(kb_sim_is_noop(s, c));
		assert_true(kb_sim_is_bad(s, c));
		assert_true(kb_sim_is_bad(s, d->bad));
		for (size_t j = 0; j < d->n; j++) {
			/* bad iff the culprit is an ancestor (or itself), asked through the vcs */
			int a = v.is_ancestor(v.ctx, d->hash[c], d->hash[j]);

			assert_int_equal(a, kb_sim_is_bad(s, j));
			if (d->nparents_total[j] == 1 && j != d->bad) {
				singles++;
				noops += kb_sim_is_noop(s, j);
			}
			if (d->nparents_total[j] > 1)
				assert_false(kb_sim_is_noop(s, j));
		}
		assert_in_range(noops * 100 / singles, 25, 35);
		kb_sim_free(s);
	}
}

static void test_culprit_uniform(void **state)
{
	unsigned on_branch = 0, hist[4] = { 0 };

	(void)state;
	for (uint64_t seed = 1; seed <= 400; seed++) {
		struct kb_sim *s = new_sim(KB_SIM_KERNEL, 400, seed, 0.5);
		const struct kb_dag *d = kb_sim_dag(s);
		size_t c = kb_sim_culprit(s), j = d->bad;
		bool mainline = false;

		hist[c * 4 / d->n]++;
		for (;;) { /* on the first-parent chain of the bad end? */
			if (j == c)
				mainline = true;
			if (mainline || !nparents(d, j))
				break;
			j = d->par[d->par_off[j]];
		}
		on_branch += !mainline;
		kb_sim_free(s);
	}
	/* most commits of a merge-heavy history are on merged branches */
	assert_true(on_branch > 200);
	for (int q = 0; q < 4; q++)
		assert_in_range(hist[q], 60, 140);
}

static void test_determinism(void **state)
{
	struct kb_sim *a = new_sim(KB_SIM_KERNEL, 3000, 11, 0.5);
	struct kb_sim *b = new_sim(KB_SIM_KERNEL, 3000, 11, 0.5);
	struct kb_sim *c = new_sim(KB_SIM_KERNEL, 3000, 12, 0.5);
	size_t la, lb, lc;
	const char *ta = kb_sim_revlist(a, &la), *tb = kb_sim_revlist(b, &lb);
	const char *tc = kb_sim_revlist(c, &lc);

	(void)state;
	assert_int_equal(la, lb);
	assert_memory_equal(ta, tb, la);
	assert_true(la != lc || memcmp(ta, tc, la));
	assert_int_equal(kb_sim_culprit(a), kb_sim_culprit(b));
	for (unsigned i = 0; i < 50; i++) {
		struct kb_run_result x, y;

		kb_sim_outcome(a, kb_sim_culprit(a), i, &x);
		kb_sim_outcome(b, kb_sim_culprit(b), i, &y);
		assert_int_equal(x.outcome, y.outcome);
		kb_run_result_clear(&x);
		kb_run_result_clear(&y);
	}
	kb_sim_free(a);
	kb_sim_free(b);
	kb_sim_free(c);
}

/* ---- backend ----------------------------------------------------------- */

struct tally {
	unsigned target, other, boot, ok, n;
};

static void tally_runs(struct kb_sim *s, struct kb_backend *be, size_t j, unsigned n,
		       struct tally *t)
{
	const struct kb_dag *d = kb_sim_dag(s);
	struct kb_build_result b = { 0 };

	memset(t, 0, sizeof(*t));
	assert_int_equal(be->build(be->ctx, d->hash[j], &b), 0);
	assert_int_equal(b.status, KB_BUILD_OK);
	for (unsigned i = 0; i < n; i++) {
		struct kb_run_result r;

		assert_int_equal(be->run(be->ctx, d->hash[j], b.signature, i, &r), 0);
		assert_float_equal(r.seconds, 540, 0);
		t->n++;
		if (r.outcome == KB_RUN_BOOT_FAIL)
			t->boot++;
		else if (r.outcome == KB_RUN_OK)
			t->ok++;
		else if (!strcmp(r.title, KB_SIM_TARGET_TITLE))
			t->target++;
		else
			t->other++;
		kb_run_result_clear(&r);
	}
	kb_build_result_clear(&b);
}

static void test_outcome_rates(void **state)
{
	struct kb_sim_params p;
	struct kb_sim *s = NULL;
	struct kb_backend be;
	struct tally t;
	const struct kb_dag *d;
	size_t good = SIZE_MAX, old_good = SIZE_MAX, new_bad = SIZE_MAX;

	(void)state;
	kb_sim_params_default(&p);
	p.n = 1000;
	p.seed = 5;
	p.culprit = 600;
	p.p1 = 0.3;
	p.p0 = 0.05;
	p.other = 0.3;
	p.other_rate = 0.2;
	p.boot_fail = 0.1;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	d = kb_sim_dag(s);
	kb_sim_backend(s, &be);
	/* the oldest ~30% are "old" (linear: exactly a prefix) */
	for (size_t j = 0; j < d->n; j++) {
		assert_int_equal(kb_sim_is_old(s, j), j < 300);
		if (!kb_sim_is_bad(s, j) && !kb_sim_is_old(s, j) && good == SIZE_MAX)
			good = j;
		if (kb_sim_is_old(s, j) && old_good == SIZE_MAX)
			old_good = j;
		if (kb_sim_is_bad(s, j))
			new_bad = j;
	}
	assert_int_equal(kb_sim_culprit(s), 600);
	tally_runs(s, &be, new_bad, 4000, &t);
	assert_in_range(t.boot, 330, 470); /* 0.1 */
	assert_in_range(t.target * 1000 / (t.n - t.boot), 270, 330); /* p1 */
	assert_int_equal(t.other, 0);
	tally_runs(s, &be, good, 4000, &t);
	assert_in_range(t.target * 1000 / (t.n - t.boot), 35, 65); /* p0 */
	assert_int_equal(t.other, 0);
	tally_runs(s, &be, old_good, 4000, &t);
	/* other crashes at 0.2 of the runs without a boot failure or target crash */
	assert_in_range(t.other * 1000 / (t.n - t.boot - t.target), 170, 230);
	kb_sim_free(s);
}

static void test_signatures_and_broken(void **state)
{
	struct kb_sim_params p;
	struct kb_sim *s = NULL;
	struct kb_backend be;
	const struct kb_dag *d;
	size_t broken = 0, checked = 0;

	(void)state;
	kb_sim_params_default(&p);
	p.shape = KB_SIM_KERNEL;
	p.n = 1500;
	p.seed = 9;
	p.broken = 0.05;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	d = kb_sim_dag(s);
	kb_sim_backend(s, &be);
	for (size_t j = 0; j < d->n; j++) {
		struct kb_build_result b = { 0 }, pb = { 0 };

		broken += kb_sim_is_broken(s, j);
		assert_int_equal(be.build(be.ctx, d->hash[j], &b), 0);
		assert_int_equal(b.status, kb_sim_is_broken(s, j) ? KB_BUILD_FAILED : KB_BUILD_OK);
		if (nparents(d, j) == 1 && b.status == KB_BUILD_OK && checked < 300) {
			size_t pj = d->par[d->par_off[j]];

			assert_int_equal(be.build(be.ctx, d->hash[pj], &pb), 0);
			if (pb.status == KB_BUILD_OK) {
				/* equal binaries exactly for noop commits */
				assert_int_equal(!strcmp(b.signature, pb.signature),
						 kb_sim_is_noop(s, j));
				/* and equal binaries behave alike */
				assert_int_equal(kb_sim_is_bad(s, j) == kb_sim_is_bad(s, pj) ||
							 !kb_sim_is_noop(s, j),
						 1);
				checked++;
			}
			kb_build_result_clear(&pb);
		}
		kb_build_result_clear(&b);
	}
	assert_false(kb_sim_is_broken(s, d->bad));
	assert_in_range(broken, 20, 300);
	assert_int_equal(checked, 300);
	kb_sim_free(s);
}

static void test_cap(void **state)
{
	struct kb_sim_params p;
	struct kb_sim *s = NULL;
	struct kb_backend be;
	struct kb_build_result b = { 0 };
	struct kb_run_result r;
	const struct kb_dag *d;
	unsigned nb, nr;

	(void)state;
	kb_sim_params_default(&p);
	p.max_seconds = 360 + 540; /* one build and one batch */
	assert_int_equal(kb_sim_new(&p, &s), 0);
	d = kb_sim_dag(s);
	kb_sim_backend(s, &be);
	assert_int_equal(be.build(be.ctx, d->hash[5], &b), 0);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(be.run(be.ctx, d->hash[5], b.signature, i, &r), 0);
		kb_run_result_clear(&r);
	}
	assert_false(kb_sim_exhausted(s));
	assert_int_equal(be.run(be.ctx, d->hash[5], b.signature, 10, &r), -ECANCELED);
	assert_true(kb_sim_exhausted(s));
	kb_build_result_clear(&b);
	assert_int_equal(be.build(be.ctx, d->hash[6], &b), -ECANCELED);
	kb_sim_counts(s, &nb, &nr);
	assert_int_equal(nb, 1);
	assert_int_equal(nr, 10);
	kb_sim_free(s);
}

/* ---- vcs --------------------------------------------------------------- */

static void test_vcs(void **state)
{
	struct kb_sim *s = new_sim(KB_SIM_KERNEL, 1000, 4, 0.5);
	const struct kb_dag *d = kb_sim_dag(s);
	struct kb_vcs v;
	struct kb_dag *r = NULL;
	const char *goods[1] = { kb_sim_good(s) };
	char out[KB_HASH_HEX + 1], prefix[13];
	struct kb_git_commit c;
	size_t mid = d->n / 2, in_sub = 0;
	uint8_t *anc = calloc(d->n, 1);

	(void)state;
	kb_sim_vcs(s, &v);
	/* the whole range from the two ends */
	assert_int_equal(v.load_range(v.ctx, kb_sim_bad(s), goods, 1, &r), 0);
	assert_int_equal(r->n, d->n);
	assert_string_equal(r->hash[r->bad], kb_sim_bad(s));
	kb_dag_free(r);
	/* a sub-range: the commits that are not ancestors of mid */
	goods[0] = d->hash[mid];
	assert_int_equal(v.load_range(v.ctx, kb_sim_bad(s), goods, 1, &r), 0);
	for (size_t j = 0; j < d->n; j++) {
		anc[j] = v.is_ancestor(v.ctx, d->hash[j], d->hash[mid]) == 1;
		in_sub += !anc[j];
		assert_int_equal(kb_dag_find(r, d->hash[j]) >= 0, !anc[j]);
	}
	assert_int_equal(r->n, in_sub);
	kb_dag_free(r);
	/* names */
	memcpy(prefix, d->hash[17], 12);
	prefix[12] = '\0';
	assert_int_equal(v.rev_parse(v.ctx, prefix, out), 0);
	assert_string_equal(out, d->hash[17]);
	assert_int_equal(v.rev_parse(v.ctx, kb_sim_good(s), out), 0);
	assert_true(v.rev_parse(v.ctx, "0000000000", out) < 0);
	assert_int_equal(v.is_ancestor(v.ctx, kb_sim_good(s), kb_sim_bad(s)), 1);
	assert_int_equal(v.is_ancestor(v.ctx, kb_sim_bad(s), kb_sim_good(s)), 0);
	/* commit info: parents as in the graph, the good end for the roots */
	for (size_t j = 0; j < d->n; j += 37) {
		assert_int_equal(v.commit_info(v.ctx, d->hash[j], &c), 0);
		assert_int_equal(c.nparents, d->nparents_total[j]);
		if (nparents(d, j))
			assert_string_equal(c.parents[0], d->hash[d->par[d->par_off[j]]]);
		else
			assert_string_equal(c.parents[0], kb_sim_good(s));
		kb_git_commit_release(&c);
	}
	free(anc);
	kb_sim_free(s);
}

static void test_file_shape(void **state)
{
	struct kb_sim *k = new_sim(KB_SIM_KERNEL, 800, 21, 0.5);
	struct kb_sim_params p;
	struct kb_sim *f = NULL;
	size_t len;
	const char *text = kb_sim_revlist(k, &len);
	char *plain = malloc(len + 1), *o = plain;

	(void)state;
	/* the same history without timestamps, as plain `git rev-list --parents` prints */
	for (const char *q = text; q < text + len;) {
		const char *sp = strchr(q, ' '), *nl = strchr(q, '\n');

		memcpy(o, sp + 1, (size_t)(nl - sp));
		o += nl - sp;
		q = nl + 1;
	}
	*o = '\0';
	kb_sim_params_default(&p);
	p.shape = KB_SIM_FILE;
	p.revlist = plain;
	p.revlist_len = (size_t)(o - plain);
	p.seed = 2;
	assert_int_equal(kb_sim_new(&p, &f), 0);
	assert_int_equal(kb_sim_dag(f)->n, 800);
	assert_string_equal(kb_sim_bad(f), kb_sim_bad(k));
	for (size_t j = 0; j < 800; j++) {
		const struct kb_dag *a = kb_sim_dag(k), *b = kb_sim_dag(f);
		long i = kb_dag_find(b, a->hash[j]);

		assert_true(i >= 0);
		assert_int_equal(b->nparents_total[i], a->nparents_total[j]);
	}
	/* garbage is refused */
	p.revlist = "not a rev-list\n";
	p.revlist_len = strlen(p.revlist);
	kb_sim_free(f);
	f = NULL;
	assert_true(kb_sim_new(&p, &f) < 0);
	free(plain);
	kb_sim_free(k);
}

/* ---- the engine on the simulator --------------------------------------- */

static void run_trial(struct kb_sim *s, enum kb_strategy st, struct kb_result *res)
{
	struct kb_sim_trial t = { .strategy = st, .runs = 20, .parallel = 10, .confidence = 0.99 };

	assert_int_equal(kb_sim_run(s, &t, res), 0);
}

static void test_engine_easy(void **state)
{
	(void)state;
	for (int st = 0; st < 2; st++) {
		enum kb_strategy strat = st ? KB_STRATEGY_REFERENCE : KB_STRATEGY_BAYES;

		for (uint64_t seed = 1; seed <= 6; seed++) {
			enum kb_sim_shape shape = seed % 2 ? KB_SIM_LINEAR : KB_SIM_KERNEL;
			struct kb_sim *s = new_sim(shape, seed <= 2 ? 100 : 1000, seed, 1.0);
			struct kb_result res;

			run_trial(s, strat, &res);
			assert_int_equal(res.verdict, KB_RESULT_CULPRIT);
			assert_string_equal(res.culprit, kb_sim_culprit_hash(s));
			assert_true(res.total_seconds > 0);
			assert_float_equal(res.total_seconds, res.build_seconds + res.test_seconds,
					   1e-6);
			/* builds are 6 min each; the time is at least the builds' */
			assert_true(res.build_seconds >= 360.0 * res.builds - 1e-6);
			kb_result_clear(&res);
			kb_sim_free(s);
		}
	}
}

static void test_engine_flaky_bayes(void **state)
{
	unsigned right = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct kb_sim *s = new_sim(KB_SIM_LINEAR, 1000, 100 + seed, 0.5);
		struct kb_result res;

		run_trial(s, KB_STRATEGY_BAYES, &res);
		if (res.verdict == KB_RESULT_CULPRIT) {
			/* a named commit must be the culprit at this rate */
			assert_string_equal(res.culprit, kb_sim_culprit_hash(s));
			assert_true(res.confidence >= 0.99);
			right++;
		}
		kb_result_clear(&res);
		kb_sim_free(s);
	}
	assert_true(right >= 9);
}

/*
 * Identical binaries on a root commit and the good end, or on two branches
 * forked from one commit, rule out the hypotheses that would make them
 * behave differently.  These worlds (GitHub shape) ended inconclusive
 * between a noop commit and the culprit before the engine knew that.
 */
static void test_engine_shared_binaries(void **state)
{
	static const uint64_t seeds[] = { 7248915272679519795ULL, 14111824224671297099ULL };

	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(seeds); i++) {
		struct kb_sim *s = new_sim(KB_SIM_GITHUB, 1000, seeds[i], 0.5);
		struct kb_result res;

		run_trial(s, KB_STRATEGY_BAYES, &res);
		assert_int_equal(res.verdict, KB_RESULT_CULPRIT);
		assert_string_equal(res.culprit, kb_sim_culprit_hash(s));
		kb_result_clear(&res);
		kb_sim_free(s);
	}
}

/*
 * Runs cost VM time: when one run decides a commit (p1 = 1) a search step
 * takes fewer runs than the 10 VMs, and the whole bisection fewer runs than
 * the reference's 10 per commit; at p1 = 0.5 with 20 VMs a step takes less
 * than a full batch of 20.
 */
static void test_engine_runs_per_step(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct kb_sim_params p;
		struct kb_sim *s = NULL;
		struct kb_sim_trial t = { .strategy = KB_STRATEGY_BAYES, .runs = 40 };
		struct kb_result res;
		unsigned steps = 0, runs = 0;

		kb_sim_params_default(&p);
		p.seed = seed;
		p.p1 = seed == 3 ? 0.5 : 1.0;
		t.parallel = p.vms = seed == 3 ? 20 : 10;
		assert_int_equal(kb_sim_new(&p, &s), 0);
		assert_int_equal(kb_sim_run(s, &t, &res), 0);
		assert_int_equal(res.verdict, KB_RESULT_CULPRIT);
		for (size_t i = 0; i < res.n_commits; i++) {
			if (res.commits[i].role != KB_ROLE_BISECT)
				continue;
			steps++;
			runs += (unsigned)res.commits[i].n_runs;
		}
		assert_true(steps >= 8);
		if (seed == 3)
			assert_true(runs <= steps * 20 * 9 / 10);
		else
			assert_true(runs <= steps * 10 / 2);
		kb_result_clear(&res);
		kb_sim_free(s);
	}
}

/* Release tags, and the engine's release walk when the config has no good end. */
static void test_release_walk(void **state)
{
	static const char *const want_walk[] = { "v1.6", "v1.5", "v1.4", "v1.3" };
	struct kb_sim_params p;
	struct kb_sim *s = NULL;
	struct kb_vcs v;
	char **tags = NULL, *tag = NULL, hash[KB_HASH_HEX + 1];
	size_t n = 0;

	(void)state;
	kb_sim_params_default(&p);
	p.seed = 31;
	p.p1 = 1.0;
	p.culprit = 500;
	p.tag_every = 150;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	kb_sim_vcs(s, &v);
	assert_int_equal(v.release_tags(v.ctx, kb_sim_bad(s), "v[0-9]*", &tags, &n), 0);
	assert_int_equal(n, 7); /* v1.6 (commit 900) ... v1.0 (the good end) */
	assert_string_equal(tags[0], "v1.6");
	assert_string_equal(tags[6], "v1.0");
	assert_null(tags[7]);
	kb_git_strv_free(tags);
	assert_int_equal(v.rev_parse(v.ctx, "v1.3", hash), 0);
	assert_string_equal(hash, kb_sim_dag(s)->hash[450]);
	assert_int_equal(v.release_tag_at(v.ctx, hash, "v[0-9]*", &tag), 0);
	assert_string_equal(tag, "v1.3");
	free(tag);
	assert_int_equal(v.release_tag_at(v.ctx, kb_sim_dag(s)->hash[451], "v[0-9]*", &tag), 0);
	assert_null(tag);
	assert_int_equal(v.release_tags(v.ctx, hash, "w*", &tags, &n), 0);
	assert_int_equal(n, 0);
	kb_git_strv_free(tags);

	/* bayes, reference, bayes with a build slot (speculative builds of older releases) */
	struct kb_result first = { 0 };

	for (int st = 0; st < 3; st++) {
		struct kb_sim_trial t = { .strategy = st == 1 ? KB_STRATEGY_REFERENCE :
								KB_STRATEGY_BAYES,
					  .runs = 20,
					  .parallel = 10,
					  .build_slots = st == 2,
					  .no_good = true };
		struct kb_result res;
		size_t k = 0;

		assert_int_equal(kb_sim_run(s, &t, &res), 0);
		assert_int_equal(res.verdict, KB_RESULT_CULPRIT);
		assert_string_equal(res.culprit, kb_sim_culprit_hash(s));
		/* newest release first, until the first good one */
		for (size_t i = 0; i < res.n_commits; i++) {
			if (res.commits[i].role != KB_ROLE_RELEASE)
				continue;
			assert_true(k < KB_ARRAY_SIZE(want_walk));
			assert_string_equal(res.commits[i].tag, want_walk[k]);
			assert_int_equal(res.commits[i].verdict,
					 k < 3 ? KB_COMMIT_BAD : KB_COMMIT_GOOD);
			k++;
		}
		assert_int_equal(k, KB_ARRAY_SIZE(want_walk));
		if (st == 2) {
			/* the same path in less time */
			assert_int_equal(res.n_commits, first.n_commits);
			for (size_t i = 0; i < res.n_commits; i++)
				assert_string_equal(res.commits[i].commit, first.commits[i].commit);
			assert_true(res.total_seconds < first.total_seconds - 3 * 360 + 1e-6);
		}
		if (st == 0)
			first = res;
		else
			kb_result_clear(&res);
	}
	kb_result_clear(&first);
	kb_sim_free(s);
}

static unsigned target_crashes(const struct kb_result_commit *c)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->n_runs; i++)
		n += c->runs[i].outcome == KB_RUN_CRASH && c->runs[i].title &&
		     !strcmp(c->runs[i].title, KB_SIM_TARGET_TITLE);
	return n;
}

/*
 * After a release walk the newest bad release is the bad end; the crashes
 * of the bad commit given and of newer bad releases measure the same p1,
 * so with enough of them the new bad end is not calibrated again.
 */
static void test_release_walk_pools_p1(void **state)
{
	unsigned seeds_pooled = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct kb_sim_params p;
		struct kb_sim *s = NULL;
		struct kb_sim_trial t = {
			.strategy = KB_STRATEGY_BAYES, .runs = 20, .parallel = 10, .no_good = true
		};
		struct kb_result res;
		const char *new_bad = NULL;
		unsigned known = 0, own = 0;
		size_t i, walk_end = 0;

		kb_sim_params_default(&p);
		p.seed = seed;
		p.p1 = 0.5;
		p.culprit = 500;
		p.tag_every = 150;
		assert_int_equal(kb_sim_new(&p, &s), 0);
		assert_int_equal(kb_sim_run(s, &t, &res), 0);
		assert_int_equal(res.verdict, KB_RESULT_CULPRIT);
		assert_string_equal(res.culprit, kb_sim_culprit_hash(s));
		for (i = 0; i < res.n_commits; i++) {
			const struct kb_result_commit *c = &res.commits[i];

			if (c->role != KB_ROLE_START && c->role != KB_ROLE_RELEASE)
				break;
			if (c->verdict != KB_COMMIT_BAD)
				continue;
			if (new_bad && strcmp(new_bad, c->commit))
				known += own;
			if (new_bad && !strcmp(new_bad, c->commit))
				own += target_crashes(c);
			else
				own = target_crashes(c);
			new_bad = c->commit;
		}
		walk_end = i;
		assert_non_null(new_bad);
		/* the walk moved the bad end; only then is there something to pool */
		assert_string_not_equal(new_bad, kb_sim_bad(s));
		if (own < 8 && known + own >= 8) {
			seeds_pooled++;
			for (i = walk_end; i < res.n_commits; i++)
				assert_string_not_equal(res.commits[i].commit, new_bad);
		}
		kb_result_clear(&res);
		kb_sim_free(s);
	}
	/* the case is not rare: the test must not pass by having nothing to check */
	assert_true(seeds_pooled >= 2);
}

/* Builds started ahead of need and builds dropped, by 12-digit hash, during the walk. */
struct walk_watch {
	char ahead[32][13], dropped[32][13];
	size_t nahead, ndrop;
	bool searching; /* the log reached "# git bisect start" */
};

static void watch_emit(void *ctx, const char *text, size_t len)
{
	struct walk_watch *w = ctx;

	(void)len;
	w->searching |= strstr(text, "# git bisect start") != NULL;
}

static void watch_progress(void *ctx, const char *line)
{
	struct walk_watch *w = ctx;

	if (w->searching)
		return;
	if (!strncmp(line, "building ", 9) && strstr(line, "ahead of need") &&
	    w->nahead < KB_ARRAY_SIZE(w->ahead))
		snprintf(w->ahead[w->nahead++], sizeof(w->ahead[0]), "%.12s", line + 9);
	if (!strncmp(line, "dropping the build of ", 22) && w->ndrop < KB_ARRAY_SIZE(w->dropped))
		snprintf(w->dropped[w->ndrop++], sizeof(w->dropped[0]), "%.12s", line + 22);
}

static long sim_index(struct kb_sim *s, const char *prefix)
{
	const struct kb_dag *d = kb_sim_dag(s);

	for (size_t j = 0; j < d->n; j++)
		if (!strncmp(d->hash[j], prefix, strlen(prefix)))
			return (long)j;
	return -1;
}

/*
 * A release with no crash in its first batch gets the first search step
 * between it and the bad end built during its remaining runs.  When it
 * crashes after all, that step is in no range: its build, slow here (an
 * hour, longer than several batches), is stopped during the walk.  When it
 * is good, that step is the one the search takes first: its build is kept.
 */
static void test_release_walk_drops_speculation(void **state)
{
	unsigned seen = 0, kept = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 60 && seen < 2; seed++) {
		struct kb_sim_params p;
		struct kb_sim *s = NULL;
		struct walk_watch w = { .nahead = 0 };
		struct kb_sim_trial t = { .strategy = KB_STRATEGY_BAYES,
					  .runs = 20,
					  .parallel = 10,
					  .build_slots = 1,
					  .no_good = true,
					  .emit = watch_emit,
					  .emit_ctx = &w,
					  .progress = watch_progress,
					  .progress_ctx = &w };
		struct kb_result res;
		long bad_end = -1;

		kb_sim_params_default(&p);
		p.seed = seed;
		p.p1 = 0.3;
		p.culprit = 500;
		p.tag_every = 150;
		p.build_seconds = 3600;
		assert_int_equal(kb_sim_new(&p, &s), 0);
		assert_int_equal(kb_sim_run(s, &t, &res), 0);
		/* or a release called good after its clean runs (1% by design) that the search
		 * finds bad */
		assert_true(res.verdict == KB_RESULT_CULPRIT ||
			    res.verdict == KB_RESULT_OLDEST_RELEASE_BAD);
		assert_true(w.searching);
		/* the walk's bad end: the newest bad release (v1.4, commit 600, unless it was
		 * skipped) */
		for (size_t i = 0; i < res.n_commits; i++)
			if (res.commits[i].role == KB_ROLE_RELEASE &&
			    res.commits[i].verdict == KB_COMMIT_BAD)
				bad_end = sim_index(s, res.commits[i].commit);
		assert_true(bad_end >= 600);
		/* built ahead for a range above a release that turned out bad: dropped */
		for (size_t a = 0; a < w.nahead; a++) {
			long j = sim_index(s, w.ahead[a]);
			bool dropped = false;

			for (size_t i = 0; i < res.n_commits && j > bad_end; i++)
				if (!strncmp(res.commits[i].commit, w.ahead[a], 12))
					j = -1; /* tested: a newer release */
			if (j <= bad_end)
				continue; /* or the final range's first step */
			for (size_t d = 0; d < w.ndrop; d++)
				dropped |= !strcmp(w.dropped[d], w.ahead[a]);
			assert_true(dropped);
			seen++;
		}
		for (size_t i = 0; i < res.n_commits; i++) {
			bool ahead = false;

			if (res.commits[i].role != KB_ROLE_BISECT)
				continue;
			/* the first search step: built ahead during the good release's runs, kept
			 */
			for (size_t a = 0; a < w.nahead; a++)
				ahead |= !strncmp(res.commits[i].commit, w.ahead[a], 12);
			for (size_t d = 0; d < w.ndrop && ahead; d++)
				assert_true(strncmp(res.commits[i].commit, w.dropped[d], 12));
			kept += ahead;
			break;
		}
		kb_result_clear(&res);
		kb_sim_free(s);
	}
	/* the cases must occur, or the test checks nothing */
	assert_int_equal(seen, 2);
	assert_true(kept >= 1);
}

/* With p1 = 1 the reference's verdicts are the truth: it must test git bisect's midpoints. */
static void test_reference_midpoints(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct kb_sim *s =
			new_sim(seed % 2 ? KB_SIM_LINEAR : KB_SIM_KERNEL, 1000, seed, 1.0);
		const struct kb_dag *d = kb_sim_dag(s);
		uint8_t *marks = calloc(d->n, 1);
		struct kb_gitbisect_step step = { 0 };
		struct kb_result res;
		size_t k = 0, steps = 0;

		run_trial(s, KB_STRATEGY_REFERENCE, &res);
		assert_int_equal(res.commits[0].role, KB_ROLE_START);
		marks[d->bad] = KB_GB_BAD;
		for (;;) {
			kb_gitbisect_step_release(&step);
			assert_int_equal(kb_gitbisect_next(d, marks, &step), 0);
			if (step.state != KB_GB_NEXT)
				break;
			while (k < res.n_commits && res.commits[k].role != KB_ROLE_BISECT)
				k++;
			assert_true(k < res.n_commits);
			assert_string_equal(res.commits[k].commit, d->hash[step.commit]);
			assert_int_equal(res.commits[k].verdict, kb_sim_is_bad(s, step.commit) ?
									 KB_COMMIT_BAD :
									 KB_COMMIT_GOOD);
			marks[step.commit] = kb_sim_is_bad(s, step.commit) ? KB_GB_BAD : KB_GB_GOOD;
			k++;
			steps++;
		}
		assert_int_equal(step.state, KB_GB_FOUND);
		assert_string_equal(d->hash[step.commit], res.culprit);
		assert_in_range(steps, 9, 12); /* ~log2(1000) */
		kb_gitbisect_step_release(&step);
		free(marks);
		kb_result_clear(&res);
		kb_sim_free(s);
	}
}

static void test_engine_deterministic_and_capped(void **state)
{
	struct kb_sim_params p;
	struct kb_result a, b;
	struct kb_sim *s1 = NULL, *s2 = NULL;
	struct kb_sim_trial t = { .strategy = KB_STRATEGY_BAYES, .runs = 20, .parallel = 10 };
	struct kb_sim_trial t2 = t;
	char dir[] = "/tmp/kb-test-sim.XXXXXX";
	char journal[sizeof(dir) + 32];

	(void)state;
	kb_sim_params_default(&p);
	p.shape = KB_SIM_KERNEL;
	p.seed = 77;
	p.p1 = 0.3;
	p.other = 0.3;
	assert_int_equal(kb_sim_new(&p, &s1), 0);
	assert_int_equal(kb_sim_new(&p, &s2), 0);
	assert_int_equal(kb_sim_run(s1, &t, &a), 0);
	/* the second time with the journal on disk: same bisection */
	assert_non_null(mkdtemp(dir));
	snprintf(journal, sizeof(journal), "%s/journal.sqlite", dir);
	t2.workdir = dir;
	assert_int_equal(kb_sim_run(s2, &t2, &b), 0);
	assert_true(kb_path_exists(journal));
	assert_int_equal(kb_rm_rf(dir), 0);
	assert_int_equal(a.verdict, b.verdict);
	assert_int_equal(a.builds, b.builds);
	assert_int_equal(a.runs, b.runs);
	assert_int_equal(a.n_commits, b.n_commits);
	for (size_t i = 0; i < a.n_commits; i++)
		assert_string_equal(a.commits[i].commit, b.commits[i].commit);
	assert_float_equal(a.total_seconds, b.total_seconds, 0);
	kb_result_clear(&a);
	kb_result_clear(&b);
	kb_sim_free(s1);
	kb_sim_free(s2);
	/* the engine's budget: stop before a step once 1.5 h are spent, with the candidates */
	for (int st = 0; st < 2; st++) {
		struct kb_sim_trial tb = { .strategy =
						   st ? KB_STRATEGY_REFERENCE : KB_STRATEGY_BAYES,
					   .runs = 20,
					   .parallel = 10,
					   .max_seconds = 1.5 * 3600 };
		double sum = 0;

		assert_int_equal(kb_sim_new(&p, &s1), 0);
		assert_int_equal(kb_sim_run(s1, &tb, &a), 0);
		assert_int_equal(a.verdict, KB_RESULT_INCONCLUSIVE);
		assert_non_null(strstr(a.error, "time budget of 1.5 h"));
		assert_true(a.total_seconds >= 1.5 * 3600);
		/* one step may finish after the budget: at most a build and 2 batches */
		assert_true(a.total_seconds <= 1.5 * 3600 + 360 + 2 * 540 + 1e-6);
		assert_false(kb_sim_exhausted(s1));
		if (st == 0) {
			assert_true(a.n_candidates >= 2);
			for (size_t i = 0; i < a.n_candidates; i++)
				sum += a.candidates[i].probability;
			assert_true(sum > 0.5 && sum <= 1 + 1e-9);
		}
		kb_result_clear(&a);
		kb_sim_free(s1);
	}
	/* a 2 h cap in the simulator stops a bisection that needs more */
	p.max_seconds = 2 * 3600;
	assert_int_equal(kb_sim_new(&p, &s1), 0);
	assert_int_equal(kb_sim_run(s1, &t, &a), -ECANCELED);
	assert_true(kb_sim_exhausted(s1));
	assert_int_equal(a.verdict, KB_RESULT_ERROR);
	kb_result_clear(&a);
	kb_sim_free(s1);
}

/*
 * One bisection with 2 build slots, twice on equal worlds: the second time
 * on the first one's journal (@journal: it must replay without a run, and
 * build again at most the speculative builds cancelled before they ended,
 * which left nothing in the journal), or with threads and the real clock.
 * Both take the same path.
 */
static void run_twice(enum kb_sim_shape shape, uint64_t seed, bool journal)
{
	char dir[] = "/tmp/kb-test-sim.XXXXXX";
	struct kb_sim_trial t = {
		.strategy = KB_STRATEGY_BAYES, .runs = 20, .parallel = 10, .build_slots = 2
	};
	struct kb_result a, b;
	struct kb_sim *s1 = new_sim(shape, 1000, seed, 0.8);
	struct kb_sim *s2 = new_sim(shape, 1000, seed, 0.8);
	unsigned nb, nr;

	if (journal) {
		assert_non_null(mkdtemp(dir));
		t.workdir = dir;
	}
	assert_int_equal(kb_sim_run(s1, &t, &a), 0);
	t.real_clock = !journal;
	assert_int_equal(kb_sim_run(s2, &t, &b), 0);
	if (journal)
		assert_int_equal(kb_rm_rf(dir), 0);
	assert_string_equal(a.culprit, b.culprit);
	assert_int_equal(a.n_commits, b.n_commits);
	for (size_t i = 0; i < a.n_commits; i++)
		assert_string_equal(a.commits[i].commit, b.commits[i].commit);
	kb_sim_counts(s1, &nb, &nr);
	/* speculative builds count; cancelled ones are started, not counted */
	assert_int_equal(nb, a.builds + a.speculative_cancelled);
	kb_sim_counts(s2, &nb, &nr);
	if (journal) {
		assert_true(nb <= a.speculative_cancelled);
		assert_int_equal(nr, 0);
	} else {
		assert_int_equal(nb, b.builds + b.speculative_cancelled);
		assert_int_equal(a.builds + a.speculative_cancelled,
				 b.builds + b.speculative_cancelled);
	}
	kb_result_clear(&a);
	kb_result_clear(&b);
	kb_sim_free(s1);
	kb_sim_free(s2);
}

/*
 * Build slots beside the VMs: the engine builds what it would test next
 * while a commit is tested.  That must change the wall time only: the
 * tested commits, their runs and the culprit are those of a machine whose
 * builds cannot overlap tests, and a bisection resumed from its journal
 * replays without a single new build or run (speculative builds included).
 */
static void test_engine_build_slots(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct kb_result res[3];
		double total[3];
		unsigned builds[3];

		for (unsigned slots = 0; slots < 3; slots++) {
			struct kb_sim *s = new_sim(seed % 2 ? KB_SIM_KERNEL : KB_SIM_LINEAR, 1000,
						   seed, seed <= 2 ? 0.8 : 0.5);
			struct kb_sim_trial t = { .strategy = KB_STRATEGY_BAYES,
						  .runs = 20,
						  .parallel = 10,
						  .build_slots = slots };

			assert_int_equal(kb_sim_run(s, &t, &res[slots]), 0);
			assert_int_equal(res[slots].verdict, KB_RESULT_CULPRIT);
			assert_string_equal(res[slots].culprit, kb_sim_culprit_hash(s));
			total[slots] = res[slots].total_seconds;
			builds[slots] = res[slots].builds;
			kb_sim_free(s);
		}
		for (unsigned slots = 1; slots < 3; slots++) {
			assert_int_equal(res[slots].n_commits, res[0].n_commits);
			for (size_t i = 0; i < res[0].n_commits; i++) {
				assert_string_equal(res[slots].commits[i].commit,
						    res[0].commits[i].commit);
				assert_int_equal(res[slots].commits[i].n_runs,
						 res[0].commits[i].n_runs);
			}
			/* runs ahead of need add VM-runs, and replace the ones they stand for */
			assert_int_equal(res[slots].runs - res[slots].runs_ahead +
						 res[slots].runs_ahead_used,
					 res[0].runs);
		}
		assert_int_equal(res[0].runs_ahead, 0);
		/* no overlap: the wall time is the sum of builds and batches */
		assert_float_equal(total[0], res[0].build_seconds + res[0].test_seconds, 1e-6);
		/* speculation costs builds and saves time: at least a build per 3 steps */
		assert_true(builds[1] > builds[0]);
		assert_int_equal(res[0].speculative_builds, 0);
		assert_true(res[1].speculative_used > 0);
		assert_true(res[1].speculative_used <= res[1].speculative_builds);
		assert_int_equal(res[1].builds, builds[0] + res[1].speculative_builds -
							res[1].speculative_used -
							res[1].speculative_cancelled);
		assert_true(total[1] <= total[0] - 360.0 * res[0].builds / 3);
		assert_true(total[2] <= total[1]);
		for (unsigned slots = 0; slots < 3; slots++)
			kb_result_clear(&res[slots]);
	}
	/* threads (a real backend's way): the same bisection, the same builds */
	run_twice(KB_SIM_LINEAR, 5, false);
	/* resume: the journal has every build the first pass made */
	run_twice(KB_SIM_KERNEL, 9, true);
}

/*
 * Cancelling useless speculative builds.  On the model's timeline (the
 * simulator): with p1 = 1 each outcome decides, so the build of the commit
 * the other outcome would have tested is stopped while it runs, and the
 * slot is free for the next step sooner.  With threads and real builds
 * (each sleeps 0.2 s, and the backend's cancel_build ends the sleep): the
 * engine cancels builds still running, the backend sees those cancels, and
 * the path is the one of the model.  Nothing cancelled is journaled.
 */
static void test_engine_cancel(void **state)
{
	struct kb_sim_trial t = {
		.strategy = KB_STRATEGY_BAYES, .runs = 10, .parallel = 10, .build_slots = 1
	};
	struct kb_sim_params p;
	struct kb_sim *s = NULL;
	struct kb_result a, b;
	unsigned nb, nr;

	(void)state;
	kb_sim_params_default(&p);
	p.n = 300;
	p.seed = 11;
	p.p1 = 1;
	p.noop = 0;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	assert_int_equal(kb_sim_run(s, &t, &a), 0);
	assert_string_equal(a.culprit, kb_sim_culprit_hash(s));
	assert_true(a.speculative_cancelled >= 2);
	kb_sim_counts(s, &nb, &nr);
	assert_int_equal(nb, a.builds + a.speculative_cancelled);
	kb_sim_free(s);

	p.build_sleep = 0.2;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	t.real_clock = true;
	assert_int_equal(kb_sim_run(s, &t, &b), 0);
	assert_string_equal(b.culprit, a.culprit);
	assert_int_equal(b.n_commits, a.n_commits);
	for (size_t i = 0; i < a.n_commits; i++)
		assert_string_equal(b.commits[i].commit, a.commits[i].commit);
	assert_true(b.speculative_cancelled >= 1);
	assert_int_equal(kb_sim_cancels(s), b.speculative_cancelled);
	/*
	 * Nothing replayed: the total is the machine's clock (seconds here),
	 * not the model, which takes the builds' reported 6 min for their time.
	 */
	assert_true(b.total_seconds < 60 && a.total_seconds > 3600);
	kb_sim_counts(s, &nb, &nr);
	assert_int_equal(nb, b.builds + b.speculative_cancelled);
	kb_result_clear(&a);
	kb_result_clear(&b);
	kb_sim_free(s);
}

static void same_path(const struct kb_result *a, const struct kb_result *b)
{
	assert_int_equal(a->verdict, KB_RESULT_CULPRIT);
	assert_string_equal(a->culprit, b->culprit);
	assert_int_equal(a->n_commits, b->n_commits);
	for (size_t i = 0; i < a->n_commits; i++) {
		assert_string_equal(a->commits[i].commit, b->commits[i].commit);
		assert_int_equal(a->commits[i].n_runs, b->commits[i].n_runs);
	}
}

/*
 * Runs ahead of need.  With 2 build slots and p1 = 1 a step takes one run
 * and leaves 9 of 10 VMs idle, while both commits the search may test next
 * are built: each gets a run on an idle VM as soon as its build is done.
 * The path (tested commits, the runs each stands on, the culprit) is the
 * one without runs ahead; the wall time is shorter; the
 * VM-runs add up; a resume replays from the journal without a new run; and
 * with threads, real (sleeping) builds and runs, the engine starts runs
 * ahead from its wait for a batch, stops those of a commit the outcome
 * ruled out, and the path is still the same.
 */
static void test_engine_runs_ahead(void **state)
{
	struct kb_sim_trial t = {
		.strategy = KB_STRATEGY_BAYES, .runs = 10, .parallel = 10, .build_slots = 2
	};
	char dir[] = "/tmp/kb-test-ahead.XXXXXX";
	struct kb_sim_params p;
	struct kb_sim *s;
	struct kb_result a, b, c;
	unsigned nb, nr;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		s = new_sim(seed == 2 ? KB_SIM_KERNEL : KB_SIM_LINEAR, 1000, seed, 1);
		t.no_runs_ahead = true;
		assert_int_equal(kb_sim_run(s, &t, &b), 0);
		t.no_runs_ahead = false;
		assert_int_equal(kb_sim_run(s, &t, &a), 0);
		same_path(&a, &b);
		assert_string_equal(a.culprit, kb_sim_culprit_hash(s));
		assert_int_equal(b.runs_ahead, 0);
		assert_true(a.runs_ahead_used >= 3);
		assert_true(a.runs_ahead_used <= a.runs_ahead);
		assert_int_equal(a.runs, b.runs + a.runs_ahead - a.runs_ahead_used);
		/* at least one step ended 3 min early (a run ahead began at its build's end) */
		assert_true(a.total_seconds <= b.total_seconds - 180);
		kb_result_clear(&a);
		kb_result_clear(&b);
		kb_sim_free(s);
	}

	/* resume: the runs ahead are journaled and replayed like the others */
	assert_non_null(mkdtemp(dir));
	t.workdir = dir;
	s = new_sim(KB_SIM_LINEAR, 1000, 4, 1);
	assert_int_equal(kb_sim_run(s, &t, &a), 0);
	assert_true(a.runs_ahead_used > 0);
	kb_sim_free(s);
	s = new_sim(KB_SIM_LINEAR, 1000, 4, 1);
	assert_int_equal(kb_sim_run(s, &t, &b), 0);
	same_path(&a, &b);
	kb_sim_counts(s, &nb, &nr);
	assert_int_equal(nr, 0);
	assert_int_equal(kb_rm_rf(dir), 0);
	kb_result_clear(&b);
	kb_sim_free(s);
	t.workdir = NULL;

	/* threads: builds take 0.05 s, runs 0.3 s, so builds end while batches run */
	kb_sim_params_default(&p);
	p.n = 200;
	p.seed = 4;
	p.p1 = 1;
	p.build_sleep = 0.05;
	p.run_sleep = 0.3;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	t.real_clock = true;
	assert_int_equal(kb_sim_run(s, &t, &c), 0);
	assert_true(c.runs_ahead_used > 0);
	/*
	 * runs ahead of the commit the outcome did not pick are stopped while
	 * they sleep, and are not counted as runs (the backend saw them start)
	 */
	assert_true(c.runs_ahead_cancelled >= 1);
	assert_int_equal(kb_sim_run_cancels(s), c.runs_ahead_cancelled);
	kb_sim_counts(s, &nb, &nr);
	assert_int_equal(nr, c.runs + c.runs_ahead_cancelled);
	assert_true(c.runs_ahead_used + c.runs_ahead_cancelled <= c.runs_ahead);
	kb_sim_free(s);
	p.build_sleep = p.run_sleep = 0;
	assert_int_equal(kb_sim_new(&p, &s), 0);
	t.real_clock = false;
	assert_int_equal(kb_sim_run(s, &t, &b), 0);
	same_path(&b, &c);
	kb_result_clear(&a);
	kb_result_clear(&b);
	kb_result_clear(&c);
	kb_sim_free(s);
}

/*
 * Three build slots and a reproducer that always crashes: three commits
 * (the quartiles) are built side by side and tested in one batch, three
 * or four VMs each, so the bisection takes no more wall time than with
 * two slots (whose runs ahead can tie with it) and less over three
 * worlds, and still names the culprit.
 */
static void test_engine_kary(void **state)
{
	double sum[2] = { 0, 0 };

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct kb_result res[2];

		for (unsigned i = 0; i < 2; i++) {
			struct kb_sim *s = new_sim(KB_SIM_LINEAR, 1000, seed, 1.0);
			struct kb_sim_trial t = { .strategy = KB_STRATEGY_BAYES,
						  .runs = 20,
						  .parallel = 10,
						  .build_slots = 2 + i };

			assert_int_equal(kb_sim_run(s, &t, &res[i]), 0);
			assert_int_equal(res[i].verdict, KB_RESULT_CULPRIT);
			assert_string_equal(res[i].culprit, kb_sim_culprit_hash(s));
			kb_sim_free(s);
		}
		{
			unsigned split = 0;

			/* a share of the batch: 10 VMs / 3 commits */
			for (size_t i = 0; i < res[1].n_commits; i++)
				split += res[1].commits[i].role == KB_ROLE_BISECT &&
					 res[1].commits[i].n_runs == 3;
			assert_true(split >= 3);
		}
		/* 2 slots gain from runs ahead (2 bits per 15 min, as k-ary): ties happen */
		assert_true(res[1].total_seconds <= res[0].total_seconds);
		sum[1] += res[1].total_seconds;
		sum[0] += res[0].total_seconds;
		kb_result_clear(&res[0]);
		kb_result_clear(&res[1]);
	}
	assert_true(sum[1] < sum[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_branch_lengths),
		cmocka_unit_test(test_truth),
		cmocka_unit_test(test_culprit_uniform),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_outcome_rates),
		cmocka_unit_test(test_signatures_and_broken),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_vcs),
		cmocka_unit_test(test_file_shape),
		cmocka_unit_test(test_engine_easy),
		cmocka_unit_test(test_engine_flaky_bayes),
		cmocka_unit_test(test_engine_shared_binaries),
		cmocka_unit_test(test_engine_runs_per_step),
		cmocka_unit_test(test_release_walk),
		cmocka_unit_test(test_release_walk_pools_p1),
		cmocka_unit_test(test_release_walk_drops_speculation),
		cmocka_unit_test(test_reference_midpoints),
		cmocka_unit_test(test_engine_deterministic_and_capped),
		cmocka_unit_test(test_engine_build_slots),
		cmocka_unit_test(test_engine_cancel),
		cmocka_unit_test(test_engine_runs_ahead),
		cmocka_unit_test(test_engine_kary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
