// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of the posterior bisection: the math on tiny DAGs against values
 * computed by hand, the information measure against the numbers of the
 * design note (section 3.2), the stopping/confirmation/untestable rules, the
 * speed on a 10,000-commit DAG, and a seeded Monte-Carlo comparison with the
 * reference rules (verdict.c + midpoint search).
 *
 * KBISECT_SIM_TRIALS overrides the number of trials per simulation cell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "bisect/bayes.h"
#include "bisect/verdict.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* ---- DAGs built directly (lib/vcs/dag.c parses git output instead) ---- */

/* @np[i] in-range parents of commit i, listed in @par (flattened). */
static struct kb_dag *dag_make(size_t n, const uint32_t *np, const uint32_t *par)
{
	struct kb_dag *d = kb_xcalloc(1, sizeof(*d));
	size_t e = 0;

	d->n = n;
	d->bad = n - 1;
	d->hash = kb_xcalloc(n, sizeof(*d->hash));
	d->par_off = kb_xcalloc(n + 1, sizeof(uint32_t));
	d->nparents_total = kb_xcalloc(n, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		e += np[i];
	d->par = kb_xcalloc(e ? e : 1, sizeof(uint32_t));
	e = 0;
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(d->hash[i], sizeof(d->hash[i]), "%040zx", i);
		d->par_off[i] = e;
		for (uint32_t k = 0; k < np[i]; k++, e++)
			d->par[e] = par[e];
		d->nparents_total[i] = np[i] ? np[i] : 1;
	}
	d->par_off[n] = e;
	return d;
}

static struct kb_dag *dag_linear(size_t n)
{
	uint32_t *np = kb_xcalloc(n, sizeof(uint32_t));
	uint32_t *par = kb_xcalloc(n, sizeof(uint32_t));
	struct kb_dag *d;
	size_t e = 0;

	for (size_t i = 1; i < n; i++) {
		np[i] = 1;
		par[e++] = i - 1;
	}
	d = dag_make(n, np, par);
	free(np);
	free(par);
	return d;
}

/* fields dag_make leaves NULL are NULL-safe in kb_dag_free */
static void dag_destroy(struct kb_dag *d)
{
	kb_dag_free(d);
}

/* ---- seeded PRNG (splitmix64) ---- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unif(uint64_t *s)
{
	return (rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t rng_below(uint64_t *s, size_t n)
{
	return (size_t)(rng_unif(s) * n);
}

/*
 * A git-like history: branch tips get commits, forks (also from outside the
 * range), and merges; all tips are merged before the last commit, which is
 * the only sink.  Roughly a quarter of the commits are merges.
 */
static struct kb_dag *dag_random_merges(size_t n, uint64_t *rng)
{
	uint32_t *np = kb_xcalloc(n, sizeof(uint32_t));
	uint32_t *par = kb_xcalloc(2 * n, sizeof(uint32_t));
	uint32_t *tips = kb_xcalloc(n, sizeof(uint32_t));
	size_t ntips = 0, e = 0;
	struct kb_dag *d;

	for (size_t i = 0; i < n; i++) {
		size_t rem = n - i;
		double u = rng_unif(rng);

		if (i == 0) {
			tips[ntips++] = 0;
			continue;
		}
		if (ntips > 1 && (ntips >= rem || u < 0.25)) {
			size_t a = rng_below(rng, ntips), c = rng_below(rng, ntips - 1);

			if (c >= a)
				c++;
			np[i] = 2;
			par[e++] = tips[a];
			par[e++] = tips[c];
			tips[a] = i;
			tips[c] = tips[--ntips];
		} else if (ntips + 1 < rem && u < 0.30) {
			/* a branch based outside the range */
			tips[ntips++] = i;
		} else if (ntips + 1 < rem && u < 0.45) {
			np[i] = 1;
			par[e++] = rng_below(rng, i);
			tips[ntips++] = i;
		} else {
			size_t a = rng_below(rng, ntips);

			np[i] = 1;
			par[e++] = tips[a];
			tips[a] = i;
		}
	}
	assert_int_equal(ntips, 1);
	assert_int_equal(tips[0], n - 1);
	d = dag_make(n, np, par);
	free(np);
	free(par);
	free(tips);
	return d;
}

/* truth[j] = culprit <= j, for j < n; the good end is good */
static void truth_of(const struct kb_dag *d, size_t culprit, bool *truth)
{
	for (size_t j = 0; j < d->n; j++) {
		truth[j] = j == culprit;
		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1] && !truth[j]; i++)
			truth[j] = truth[d->par[i]];
	}
}

static unsigned simulate_runs(uint64_t *rng, unsigned runs, double rate)
{
	unsigned t = 0;

	for (unsigned i = 0; i < runs; i++)
		t += rng_unif(rng) < rate;
	return t;
}

/* ---- posterior math on tiny DAGs, against hand-computed values ---- */

static struct kb_bayes *new_bayes(const struct kb_dag *d, const struct kb_bayes_params *p)
{
	struct kb_bayes *b = NULL;

	assert_int_equal(kb_bayes_new(d, p, &b), 0);
	assert_non_null(b);
	return b;
}

/* Known rates, no OUT: p1 given, p0 = 0. */
static void fixed_params(struct kb_bayes_params *p, double p1)
{
	kb_bayes_params_default(p);
	p->p1_fixed = p1;
	p->p0_fixed = 0;
	p->prior_out = 0;
}

static void test_chain_fixed_rates(void **state)
{
	struct kb_dag *d = dag_linear(3);
	struct kb_bayes_params p;
	struct kb_bayes *b;
	double post[4];

	(void)state;
	fixed_params(&p, 0.5);
	b = new_bayes(d, &p);

	/* uniform prior */
	assert_float_equal(kb_bayes_posterior(b, post), 0, 0);
	for (int k = 0; k < 3; k++)
		assert_float_equal(post[k], 1.0 / 3, 1e-12);

	/*
	 * 0 crashes in 2 runs on commit 1: likelihood 1/4 under k = 0, 1 (commit
	 * 1 bad, p1 = 1/2) and 1 under k = 2 (good, p0 = 0): (1/6, 1/6, 2/3).
	 */
	assert_int_equal(kb_bayes_observe(b, 1, 0, 2), 0);
	kb_bayes_posterior(b, post);
	assert_float_equal(post[0], 1.0 / 6, 1e-12);
	assert_float_equal(post[1], 1.0 / 6, 1e-12);
	assert_float_equal(post[2], 2.0 / 3, 1e-12);
	assert_float_equal(post[3], 0, 0);
	/* A_j = P(k <= j) on a chain is the prefix sum */
	assert_float_equal(kb_bayes_mass_reachable(b, 0), 1.0 / 6, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 1), 1.0 / 3, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 2), 1.0, 1e-12);

	/* a crash on commit 0 (bad only under k = 0) leaves only k = 0 (p0 = 0) */
	assert_int_equal(kb_bayes_observe(b, 0, 1, 1), 0);
	kb_bayes_posterior(b, post);
	assert_float_equal(post[0], 1.0, 1e-12);
	kb_bayes_free(b);
	dag_destroy(d);
}

static void test_chain_integrated_rates(void **state)
{
	struct kb_dag *d = dag_linear(3);
	struct kb_bayes_params p;
	struct kb_bayes *b;
	double post[4], want2, p1, p0;

	(void)state;
	kb_bayes_params_default(&p);
	p.prior_out = 0;
	p.alpha0 = 0.5;
	p.beta0 = 49.5;
	b = new_bayes(d, &p);
	/* 1 crash of 1 run on commit 2 (the bad end), 0 of 1 on commit 1 */
	assert_int_equal(kb_bayes_observe(b, 2, 1, 1), 0);
	assert_int_equal(kb_bayes_observe(b, 1, 0, 1), 0);
	kb_bayes_posterior(b, post);
	/*
	 * k = 0, 1: both commits bad, T_b = 1, R_b = 2 under Jeffreys:
	 *   B(1.5, 1.5) / B(0.5, 0.5) = (pi / 8) / pi = 1/8.
	 * k = 2: bad end only: B(1.5, 0.5) / B(0.5, 0.5) = (pi / 2) / pi = 1/2,
	 *   times 0 crashes of 1 on a good commit under Beta(0.5, 49.5):
	 *   49.5 / 50 = 0.99.
	 */
	want2 = 0.5 * 0.99 / (0.125 + 0.125 + 0.5 * 0.99);
	assert_float_equal(post[2], want2, 1e-12);
	assert_float_equal(post[0], 0.125 / (0.25 + 0.495), 1e-12);
	assert_float_equal(post[1], post[0], 1e-15);

	/*
	 * posterior means: under k = 0, 1: p1 = 1.5 / 3 = 0.5, p0 = 0.5 / 50;
	 * under k = 2: p1 = 1.5 / 2, p0 = 0.5 / 51.
	 */
	kb_bayes_rates(b, &p1, &p0);
	assert_float_equal(p1, 2 * post[0] * 0.5 + post[2] * 0.75, 1e-12);
	assert_float_equal(p0, 2 * post[0] * 0.01 + post[2] * 0.5 / 51, 1e-12);
	kb_bayes_free(b);
	dag_destroy(d);
}

static void test_out_hypothesis(void **state)
{
	struct kb_dag *d = dag_linear(2);
	struct kb_bayes_params p;
	struct kb_bayes *b;
	double post[3];
	size_t k;
	double pk;

	(void)state;
	kb_bayes_params_default(&p);
	p.p1_fixed = 0.5;
	p.p0_fixed = 0;
	p.prior_out = 0.1;
	b = new_bayes(d, &p);
	assert_float_equal(kb_bayes_posterior(b, post), 0.1, 1e-12);
	assert_float_equal(post[0], 0.45, 1e-12);
	/* OUT is below everything: A_0 = P(0) + P(OUT) */
	assert_float_equal(kb_bayes_mass_reachable(b, 0), 0.55, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, KB_BAYES_GOOD_END(d)), 0.1, 1e-12);
	/* a target crash on the good end: only OUT explains it */
	assert_int_equal(kb_bayes_observe(b, KB_BAYES_GOOD_END(d), 1, 1), 0);
	assert_float_equal(kb_bayes_posterior(b, post), 1.0, 1e-12);
	kb_bayes_best(b, &k, &pk);
	assert_int_equal(k, 2);
	assert_float_equal(pk, 1.0, 1e-12);
	kb_bayes_free(b);
	dag_destroy(d);
}

static void test_diamond_mass(void **state)
{
	/* 0 -> 1, 0 -> 2, 3 = merge(1, 2), 4 = child of 3 */
	static const uint32_t np[] = { 0, 1, 1, 2, 1 };
	static const uint32_t par[] = { 0, 0, 1, 2, 3 };
	struct kb_dag *d = dag_make(5, np, par);
	struct kb_bayes_params p;
	struct kb_bayes *b;

	(void)state;
	kb_bayes_params_default(&p);
	p.prior_out = 0;
	b = new_bayes(d, &p);
	for (size_t j = 0; j < 5; j++)
		assert_int_equal(kb_bayes_set_prior(b, j, j + 1.0), 0);
	/* weights 1..5 of 15; the merge must not count commit 0 twice */
	assert_float_equal(kb_bayes_mass_reachable(b, 0), 1.0 / 15, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 1), 3.0 / 15, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 2), 4.0 / 15, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 3), 10.0 / 15, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 4), 1.0, 1e-12);

	/*
	 * p1 = 1, p0 = 0, uniform prior: a clean run on 1 rules out k = 0, 1
	 * (A_3 = P(2) + P(3) = 2/3); a crash on 2 then leaves only k = 2.
	 */
	kb_bayes_free(b);
	p.p1_fixed = 1;
	p.p0_fixed = 0;
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, 1, 0, 1), 0);
	assert_float_equal(kb_bayes_mass_reachable(b, 3), 2.0 / 3, 1e-12);
	assert_int_equal(kb_bayes_observe(b, 2, 1, 1), 0);
	assert_float_equal(kb_bayes_mass_reachable(b, 2), 1.0, 1e-12);
	assert_float_equal(kb_bayes_mass_reachable(b, 1), 0.0, 1e-12);
	kb_bayes_free(b);
	dag_destroy(d);
}

static void test_same_binary_and_noop_prior(void **state)
{
	struct kb_dag *d = dag_linear(4);
	struct kb_bayes_params p;
	struct kb_bayes *b;
	double post[5];
	unsigned t, r;

	(void)state;
	fixed_params(&p, 1);

	/* without pooling, a clean commit 2 leaves only k = 3 */
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, 2, 0, 5), 0);
	kb_bayes_posterior(b, post);
	assert_float_equal(post[3], 1.0, 1e-12);
	kb_bayes_free(b);

	/*
	 * 2 built to the same binary as 1: the class is bad only under k <= 1,
	 * so k = 2 survives next to k = 3, and the counts are shared.
	 */
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_same_binary(b, 2, 1), 0);
	assert_int_equal(kb_bayes_observe(b, 2, 0, 5), 0);
	kb_bayes_counts(b, 1, &t, &r);
	assert_int_equal(t, 0);
	assert_int_equal(r, 5);
	kb_bayes_posterior(b, post);
	assert_float_equal(post[2], 0.5, 1e-12);
	assert_float_equal(post[3], 0.5, 1e-12);
	/* the class's A is that of its oldest member */
	assert_float_equal(kb_bayes_mass_reachable(b, 1), 0.0, 1e-12);
	kb_bayes_free(b);

	/*
	 * noop prior: weight 0 is floored at min_weight, so the commit keeps a
	 * tiny share until everything else is ruled out.
	 */
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_set_prior(b, 2, 0), 0);
	assert_int_equal(kb_bayes_observe(b, 1, 0, 5), 0);
	kb_bayes_posterior(b, post);
	assert_float_equal(post[2], 1e-6 / (1 + 1e-6), 1e-15);
	assert_int_equal(kb_bayes_observe(b, 2, 3, 3), 0);
	kb_bayes_posterior(b, post);
	assert_float_equal(post[2], 1.0, 1e-12);
	kb_bayes_free(b);
	dag_destroy(d);
}

static void test_errors(void **state)
{
	static const uint32_t np[] = { 0, 1, 1 };
	static const uint32_t bad_par[] = { 0, 2 }; /* commit 1's parent comes later */
	struct kb_dag *d = dag_linear(3), *bad = dag_make(3, np, bad_par);
	struct kb_bayes_params p;
	struct kb_bayes *b = NULL;

	(void)state;
	kb_bayes_params_default(&p);
	assert_int_equal(kb_bayes_new(bad, &p, &b), -EINVAL);
	assert_null(b);
	p.vms = 0;
	assert_int_equal(kb_bayes_new(d, &p, &b), -EINVAL);
	kb_bayes_params_default(&p);
	p.prior_out = 1;
	assert_int_equal(kb_bayes_new(d, &p, &b), -EINVAL);
	b = new_bayes(d, NULL);
	assert_int_equal(kb_bayes_observe(b, 1, 3, 2), -EINVAL);
	assert_int_equal(kb_bayes_observe(b, 4, 0, 2), -EINVAL);
	assert_int_equal(kb_bayes_set_prior(b, 3, 1), -EINVAL);
	assert_int_equal(kb_bayes_set_prior(b, 1, -1), -EINVAL);
	assert_int_equal(kb_bayes_set_prior(b, 1, NAN), -EINVAL);
	assert_int_equal(kb_bayes_same_binary(b, 0, 7), -EINVAL);
	assert_int_equal(kb_bayes_set_untestable(b, 9, true), -EINVAL);
	kb_bayes_free(b);
	kb_bayes_free(NULL);
	dag_destroy(d);
	dag_destroy(bad);
}

/* ---- information measure: the numbers of the design note, section 3.2 ---- */

static void test_info_gain(void **state)
{
	static const struct {
		double p1, p0;
		unsigned runs;
		double bits;
	} table[] = {
		{ 1.0, 0, 1, 1.000 },	  { 0.5, 0, 1, 0.322 },	     { 0.2, 0, 1, 0.114 },
		{ 0.1, 0, 1, 0.055 },	  { 0.05, 0, 1, 0.027 },     { 0.2, 0.01, 1, 0.086 },
		{ 0.1, 0.01, 1, 0.033 },  { 0.1, 0.03, 1, 0.015 },   { 1.0, 0, 10, 1.000 },
		{ 0.5, 0, 10, 0.994 },	  { 0.2, 0, 10, 0.751 },     { 0.1, 0, 10, 0.455 },
		{ 0.05, 0, 10, 0.247 },	  { 0.2, 0.01, 10, 0.591 },  { 0.1, 0.01, 10, 0.285 },
		{ 0.1, 0.03, 10, 0.142 }, { 0.05, 0.03, 10, 0.019 },
	};
	double a;

	(void)state;
	assert_float_equal(kb_bayes_info_gain(0.5, 1, 1, 0), 1.0, 1e-12);
	assert_float_equal(kb_bayes_info_gain(0.0, 10, 0.5, 0), 0.0, 0);
	assert_float_equal(kb_bayes_info_gain(1.0, 10, 0.5, 0), 0.0, 0);
	for (size_t i = 0; i < KB_ARRAY_SIZE(table); i++) {
		double c = kb_bayes_capacity(table[i].runs, table[i].p1, table[i].p0, NULL);

		if (fabs(c - table[i].bits) > 0.0015)
			fail_msg("C_%u(p1=%g, p0=%g) = %.4f, note says %.3f", table[i].runs,
				 table[i].p1, table[i].p0, c, table[i].bits);
	}
	/* q* of the note's table (b = 10) */
	kb_bayes_capacity(10, 0.2, 0, &a);
	assert_float_equal(a, 0.45, 0.006);
	kb_bayes_capacity(10, 0.1, 0, &a);
	assert_float_equal(a, 0.41, 0.006);
	kb_bayes_capacity(10, 0.1, 0.01, &a);
	assert_float_equal(a, 0.45, 0.006);

	/* Z-channel closed form: C = log2(1 + (1 - s) s^(s / (1 - s))), s = (1 - p1)^b */
	for (int i = 0; i < 7; i++) {
		double p1 = 0.05 + 0.15 * i;

		for (unsigned runs = 1; runs <= 20; runs += 19) {
			double s = pow(1 - p1, runs);
			double want = log2(1 + (1 - s) * pow(s, s / (1 - s)));

			assert_float_equal(kb_bayes_capacity(runs, p1, 0, NULL), want, 1e-9);
		}
	}
}

/* ---- the decision rules of choose_next ---- */

static void test_choose_calibrate_then_midpoint(void **state)
{
	struct kb_dag *d = dag_linear(8);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch;
	struct kb_bayes *b;

	(void)state;
	fixed_params(&p, 1);
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.reason, KB_BAYES_R_CALIBRATE);
	assert_int_equal(ch.commit, 7);
	assert_int_equal(ch.runs, 20);
	assert_int_equal(kb_bayes_observe(b, 7, 20, 20), 0);

	/* uniform over 8 commits: A_j = (j + 1) / 8, the half is commit 3, 1 bit */
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.reason, KB_BAYES_R_SEARCH);
	assert_int_equal(ch.commit, 3);
	assert_int_equal(ch.runs, 10);
	assert_float_equal(ch.gain, 1.0, 1e-9);
	assert_float_equal(ch.cost, 7.0, 1e-12);

	/* clean: mass is on 4..7; the next half is 5 */
	assert_int_equal(kb_bayes_observe(b, 3, 0, 10), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.commit, 5);
	kb_bayes_free(b);
	dag_destroy(d);
}

/*
 * Hints (commits built ahead): taken instead of the best pick when nearly
 * as informative, with the runs an unbuilt commit would get; ignored when
 * much worse.  Uniform over 64 commits of a chain, A_j = (j + 1) / 64:
 * commit 31 gains 1 bit, 34 gains H(35/64) = 0.994, 10 only H(11/64) = 0.66.
 */
static void test_hints(void **state)
{
	struct kb_dag *d = dag_linear(64);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch, plain;
	struct kb_bayes *b;
	size_t h[KB_BAYES_MAX_HINTS + 1] = { 34 };

	(void)state;
	fixed_params(&p, 1);
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, 63, 20, 20), 0);
	assert_int_equal(kb_bayes_choose_next(b, &plain), 0);
	assert_int_equal(plain.commit, 31);

	assert_int_equal(kb_bayes_set_hints(b, h, 1), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.reason, KB_BAYES_R_SEARCH);
	assert_int_equal(ch.commit, 34);
	assert_int_equal(ch.runs, plain.runs);
	assert_float_equal(ch.cost, plain.cost, 1e-12);

	h[0] = 10;
	assert_int_equal(kb_bayes_set_hints(b, h, 1), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.commit, 31);

	/* cleared: the plain pick again */
	h[0] = 34;
	assert_int_equal(kb_bayes_set_hints(b, h, 1), 0);
	assert_int_equal(kb_bayes_set_hints(b, NULL, 0), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.commit, 31);

	assert_int_equal(kb_bayes_set_hints(b, h, KB_BAYES_MAX_HINTS + 1), -EINVAL);
	h[0] = 65;
	assert_int_equal(kb_bayes_set_hints(b, h, 1), -EINVAL);
	kb_bayes_free(b);
	dag_destroy(d);
}

/*
 * Keeping the bad end measured.  A commit in the middle has had 40 runs and
 * two crashes (undecided at a low p1), as many as the bad end.  While the bad
 * end has shown fewer than calib_min_crashes crashes (calibration stopped at
 * calib_max_runs), the next batch goes to the bad end; once it has shown
 * that many, the search may out-run it (here: 31 again, 2 crashes in 40 runs).
 */
static void test_keep_bad_end_measured(void **state)
{
	struct kb_dag *d = dag_linear(64);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch[2];

	(void)state;
	for (int enough = 0; enough < 2; enough++) {
		struct kb_bayes *b;

		kb_bayes_params_default(&p);
		p.vms = 10;
		p.max_batches = 2;
		p.calib_runs = 10;
		p.calib_max_runs = 40;
		p.calib_min_crashes = 8;
		b = new_bayes(d, &p);
		assert_int_equal(kb_bayes_observe(b, d->bad, enough ? 8 : 4, 40), 0);
		assert_int_equal(kb_bayes_observe(b, 31, 2, 40), 0);
		assert_int_equal(kb_bayes_choose_next(b, &ch[enough]), 0);
		assert_int_equal(ch[enough].action, KB_BAYES_TEST);
		kb_bayes_free(b);
	}
	assert_int_equal(ch[0].reason, KB_BAYES_R_CALIBRATE);
	assert_int_equal(ch[0].commit, d->bad);
	assert_int_equal(ch[1].reason, KB_BAYES_R_SEARCH);
	assert_int_equal(ch[1].commit, 31);
	dag_destroy(d);
}

/*
 * Known bad runs outside the DAG (the bad commit given, bad releases) are
 * p1 evidence: they count toward calibration, and a bad end that alone
 * would be calibrated again is not; they move the rate estimate like the
 * same runs on the bad end would.
 */
static void test_known_bad_runs(void **state)
{
	struct kb_dag *d = dag_linear(64);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch[2];
	struct kb_bayes *b;
	double p1[3], p0;

	(void)state;
	for (int known = 0; known < 2; known++) {
		kb_bayes_params_default(&p);
		p.vms = 10;
		p.calib_runs = 10;
		p.calib_max_runs = 40;
		p.calib_min_crashes = 8;
		p.known_bad_crashes = known ? 6 : 0;
		p.known_bad_runs = known ? 20 : 0;
		b = new_bayes(d, &p);
		assert_int_equal(kb_bayes_observe(b, d->bad, 3, 10), 0);
		assert_int_equal(kb_bayes_choose_next(b, &ch[known]), 0);
		assert_int_equal(ch[known].action, KB_BAYES_TEST);
		kb_bayes_rates(b, &p1[known], &p0);
		kb_bayes_free(b);
	}
	assert_int_equal(ch[0].reason, KB_BAYES_R_CALIBRATE);
	assert_int_equal(ch[0].commit, d->bad);
	assert_int_equal(ch[1].reason, KB_BAYES_R_SEARCH);
	assert_int_not_equal(ch[1].commit, d->bad);

	/* the same 9 crashes in 30 runs, all on the bad end */
	kb_bayes_params_default(&p);
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, d->bad, 9, 30), 0);
	kb_bayes_rates(b, &p1[2], &p0);
	kb_bayes_free(b);
	assert_true(p1[0] > 0.3 && p1[1] < p1[0]);
	assert_true(fabs(p1[1] - p1[2]) < 0.02);

	/* more crashes than runs is a caller bug */
	kb_bayes_params_default(&p);
	p.known_bad_crashes = 3;
	p.known_bad_runs = 2;
	assert_int_equal(kb_bayes_new(d, &p, &b), -EINVAL);
	dag_destroy(d);
}

/*
 * k-ary spread and the posterior's copy.  Uniform over 16 commits of a
 * chain, A_j = (j + 1) / 16: the quartiles are commits 3, 7 and 11; a
 * decided commit is never proposed.  A clone answers like the original and
 * what it learns stays in it.
 */
static void test_spread_and_clone(void **state)
{
	struct kb_dag *d = dag_linear(16);
	struct kb_bayes_params p;
	struct kb_bayes_choice c1, c2;
	struct kb_bayes *b, *c;
	size_t set[4];

	(void)state;
	fixed_params(&p, 1);
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, 15, 20, 20), 0);
	assert_int_equal(kb_bayes_spread(b, 3, set), 3);
	assert_int_equal(set[0], 3);
	assert_int_equal(set[1], 7);
	assert_int_equal(set[2], 11);
	assert_int_equal(kb_bayes_spread(b, 1, set), 1);
	assert_true(set[0] == 7 || set[0] == 8);

	c = kb_bayes_clone(b);
	assert_int_equal(kb_bayes_choose_next(b, &c1), 0);
	assert_int_equal(kb_bayes_choose_next(c, &c2), 0);
	assert_int_equal(c1.commit, c2.commit);
	assert_float_equal(c1.gain, c2.gain, 1e-12);
	/* the copy learns that 7 is good: its mass moves to 8..15, the original's stays */
	assert_int_equal(kb_bayes_observe(c, 7, 0, 10), 0);
	assert_float_equal(kb_bayes_mass_reachable(c, 7), 0, 1e-9);
	assert_float_equal(kb_bayes_mass_reachable(b, 7), 0.5, 1e-9);
	/* 0..7 are decided in the copy: its spread stays in 8..14 */
	assert_int_equal(kb_bayes_spread(c, 3, set), 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(set[i] >= 8 && set[i] <= 14);
	kb_bayes_free(c);
	kb_bayes_free(b);
	dag_destroy(d);
}

/*
 * With a price per run, a step takes only the runs that pay: one run
 * decides a commit when p1 = 1, so the midpoint gets 1 run (cost one batch
 * plus one run) instead of a batch of 10; a noisy reproducer still gets a
 * whole batch.
 */
static void test_choose_partial_batch(void **state)
{
	struct kb_dag *d = dag_linear(8);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch;
	struct kb_bayes *b;

	(void)state;
	fixed_params(&p, 1);
	p.cost_run = 0.01;
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, 7, 20, 20), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.commit, 3);
	assert_int_equal(ch.runs, 1);
	assert_float_equal(ch.gain, 1.0, 1e-9);
	assert_float_equal(ch.cost, 7.01, 1e-12);
	kb_bayes_free(b);

	p.p1_fixed = 0.3;
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_observe(b, 7, 6, 20), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_true(ch.runs >= 10);
	kb_bayes_free(b);

	p.cost_run = -1;
	assert_true(kb_bayes_new(d, &p, &b) < 0);
	dag_destroy(d);
}

static void test_no_repro(void **state)
{
	struct kb_dag *d = dag_linear(5);
	struct kb_bayes_choice ch;
	struct kb_bayes *b = new_bayes(d, NULL);

	(void)state;
	assert_int_equal(kb_bayes_observe(b, 4, 0, 20), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.reason, KB_BAYES_R_CALIBRATE);
	assert_int_equal(ch.runs, 10);
	/* a crash keeps it going until calib_max_runs; none by then: NO_REPRO */
	assert_int_equal(kb_bayes_observe(b, 4, 0, 79), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.runs, 1);
	assert_int_equal(kb_bayes_observe(b, 4, 0, 1), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_NO_REPRO);
	assert_int_equal(ch.commit, 4);
	kb_bayes_free(b);
	dag_destroy(d);
}

static void test_confirmation(void **state)
{
	struct kb_dag *d = dag_linear(3);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch;
	struct kb_bayes *b;

	(void)state;
	kb_bayes_params_default(&p);
	p.prior_out = 0.001;
	b = new_bayes(d, &p);
	/* a prior that already names commit 0 */
	assert_int_equal(kb_bayes_set_prior(b, 1, 0), 0);
	assert_int_equal(kb_bayes_set_prior(b, 2, 0), 0);
	assert_int_equal(kb_bayes_observe(b, 2, 20, 20), 0);

	/* no crash seen on 0 yet: test it */
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.reason, KB_BAYES_R_CONFIRM);
	assert_int_equal(ch.commit, 0);
	assert_true(ch.p >= p.confidence);
	assert_int_equal(kb_bayes_observe(b, 0, 10, 10), 0);

	/* 0 is a root: its parent is the good end */
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.reason, KB_BAYES_R_CONFIRM);
	assert_int_equal(ch.commit, KB_BAYES_GOOD_END(d));
	assert_int_equal(kb_bayes_observe(b, KB_BAYES_GOOD_END(d), 0, 10), 0);

	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_FOUND);
	assert_int_equal(ch.commit, 0);
	assert_true(ch.confirmed);
	kb_bayes_free(b);

	/*
	 * a flaky reproducer: the parent needs ln(0.01) / ln(0.9) = 43.7, so 44
	 * runs (in batches of 10, at most 4 per step) before 1 is named
	 */
	p.p1_fixed = 0.1;
	p.calib_min_crashes = 1;
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_set_prior(b, 0, 0), 0);
	assert_int_equal(kb_bayes_set_prior(b, 2, 0), 0);
	assert_int_equal(kb_bayes_observe(b, 2, 2, 20), 0);
	assert_int_equal(kb_bayes_observe(b, 1, 3, 10), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_TEST);
	assert_int_equal(ch.reason, KB_BAYES_R_CONFIRM);
	assert_int_equal(ch.commit, 0);
	assert_int_equal(ch.runs, 40);
	assert_int_equal(kb_bayes_observe(b, 0, 0, 40), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.reason, KB_BAYES_R_CONFIRM);
	assert_int_equal(ch.commit, 0);
	assert_int_equal(ch.runs, 10);
	assert_int_equal(kb_bayes_observe(b, 0, 0, 10), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_FOUND);
	assert_int_equal(ch.commit, 1);
	assert_true(ch.confirmed);
	kb_bayes_free(b);
	p.p1_fixed = -1;
	p.calib_min_crashes = 8;

	/* an untestable parent cannot confirm: named, but flagged */
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_set_prior(b, 0, 0), 0);
	assert_int_equal(kb_bayes_set_prior(b, 2, 0), 0);
	assert_int_equal(kb_bayes_set_untestable(b, 0, true), 0);
	assert_int_equal(kb_bayes_observe(b, 2, 20, 20), 0);
	assert_int_equal(kb_bayes_observe(b, 1, 10, 10), 0);
	assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
	assert_int_equal(ch.action, KB_BAYES_FOUND);
	assert_int_equal(ch.commit, 1);
	assert_false(ch.confirmed);
	kb_bayes_free(b);
	dag_destroy(d);
}

/* Budget of a simulated bisection in cost units (checked before each test, like the reference). */
static double sim_cap = INFINITY;

/* Drive choose_next against a simulated truth until it stops; returns the last choice. */
static struct kb_bayes_choice drive(struct kb_bayes *b, const struct kb_dag *d, size_t culprit,
				    double p1, double p0, uint64_t *rng, unsigned max_steps,
				    unsigned *ret_runs, unsigned *ret_builds, double *ret_cost,
				    const struct kb_bayes_params *p)
{
	bool *truth = kb_xcalloc(d->n + 1, sizeof(bool));
	bool *built = kb_xcalloc(d->n + 1, sizeof(bool));
	struct kb_bayes_choice ch = { .action = KB_BAYES_INCONCLUSIVE };
	unsigned runs = 0, builds = 0;
	double cost = 0;

	truth_of(d, culprit, truth);
	for (unsigned step = 0; step < max_steps && cost < sim_cap; step++) {
		unsigned t;

		assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
		if (ch.action != KB_BAYES_TEST)
			break;
		assert_true(ch.commit <= d->n);
		assert_true(ch.runs > 0);
		if (!built[ch.commit]) {
			built[ch.commit] = true;
			builds++;
			cost += p->cost_build;
		}
		cost += ceil((double)ch.runs / p->vms) * p->cost_batch;
		t = simulate_runs(rng, ch.runs, truth[ch.commit] ? p1 : p0);
		assert_int_equal(kb_bayes_observe(b, ch.commit, t, ch.runs), 0);
		runs += ch.runs;
		ch.action = KB_BAYES_INCONCLUSIVE; /* budget exhausted unless it stops */
	}
	free(truth);
	free(built);
	if (ret_runs)
		*ret_runs = runs;
	if (ret_builds)
		*ret_builds = builds;
	if (ret_cost)
		*ret_cost = cost;
	return ch;
}

static void test_untestable_cluster(void **state)
{
	struct kb_dag *d = dag_linear(8);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch;
	struct kb_bayes *b;
	uint64_t rng = 7;
	size_t set[9], cnt;

	(void)state;
	kb_bayes_params_default(&p);
	p.p1_fixed = 1;
	p.p0_fixed = 0;
	b = new_bayes(d, &p);
	assert_int_equal(kb_bayes_set_untestable(b, 3, true), 0);
	assert_int_equal(kb_bayes_set_untestable(b, 4, true), 0);
	ch = drive(b, d, 4, 1.0, 0.0, &rng, 100, NULL, NULL, NULL, &p);
	assert_int_equal(ch.action, KB_BAYES_INCONCLUSIVE);
	/*
	 * Commits 0-2 clean and 5-7 crashing leave k = 3, 4, 5: telling them
	 * apart needs a run on 3 or 4, which cannot be had.
	 */
	cnt = kb_bayes_credible_set(b, 0.9, set);
	assert_int_equal(cnt, 3);
	for (size_t i = 0; i < cnt; i++)
		assert_true(set[i] >= 3 && set[i] <= 5);
	assert_float_equal(ch.p, 1.0 / 3, 1e-6);
	assert_float_equal(kb_bayes_mass_reachable(b, 2), 0.0, 1e-9);
	assert_float_equal(kb_bayes_mass_reachable(b, 5), 1.0, 1e-9);
	kb_bayes_free(b);
	dag_destroy(d);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: the machine is shared, wall time is not ours */
static double cpu_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* anc[j * (n + 1) + k] = k <= j, by brute force (the good end n is below all) */
static bool *brute_ancestors(const struct kb_dag *d)
{
	size_t n = d->n;
	bool *anc = kb_xcalloc((n + 1) * (n + 1), sizeof(bool));

	for (size_t j = 0; j <= n; j++) {
		anc[j * (n + 1) + n] = true;
		if (j == n)
			continue;
		anc[j * (n + 1) + j] = true;
		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1]; i++)
			for (size_t k = 0; k < n; k++)
				anc[j * (n + 1) + k] |= anc[(size_t)d->par[i] * (n + 1) + k];
	}
	return anc;
}

/*
 * On random merge-heavy DAGs, A_j (chain sums plus merge bitsets) equals
 * the brute-force sum of the posterior over the ancestors of j, and a class
 * of two unrelated commits (no chain root) is bad exactly under their
 * common ancestors.
 */
static void test_mass_matches_brute_force(void **state)
{
	uint64_t rng = 4242;

	(void)state;
	for (int round = 0; round < 20; round++) {
		size_t n = 20 + rng_below(&rng, 60);
		struct kb_dag *d = dag_random_merges(n, &rng);
		bool *anc = brute_ancestors(d);
		struct kb_bayes_params p;
		struct kb_bayes *b;
		double *post = kb_xcalloc(n + 1, sizeof(double));
		double *want = kb_xcalloc(n + 1, sizeof(double));
		double z;
		size_t j1, j2;

		kb_bayes_params_default(&p);
		p.p1_fixed = 0.6;
		p.p0_fixed = 0.05;
		b = new_bayes(d, &p);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(kb_bayes_set_prior(b, k, rng_unif(&rng)), 0);
		for (int o = 0; o < 4; o++) {
			size_t j = rng_below(&rng, n + 1);

			assert_int_equal(kb_bayes_observe(b, j, rng_below(&rng, 4), 3), 0);
		}
		kb_bayes_posterior(b, post);
		for (size_t j = 0; j <= n; j++) {
			double sum = 0;

			for (size_t k = 0; k <= n; k++)
				sum += anc[j * (n + 1) + k] ? post[k] : 0;
			assert_float_equal(kb_bayes_mass_reachable(b, j), sum, 1e-9);
		}

		/* two commits where neither is an ancestor of the other */
		do {
			j1 = rng_below(&rng, n);
			j2 = rng_below(&rng, n);
		} while (anc[j1 * (n + 1) + j2] || anc[j2 * (n + 1) + j1]);
		kb_bayes_free(b);
		b = new_bayes(d, &p);
		assert_int_equal(kb_bayes_same_binary(b, j1, j2), 0);
		assert_int_equal(kb_bayes_observe(b, j2, 2, 2), 0);
		kb_bayes_posterior(b, post);
		/* under fixed rates: 0.6^2 where both are bad, 0.05^2 elsewhere */
		z = 0;
		for (size_t k = 0; k <= n; k++) {
			bool bad = anc[j1 * (n + 1) + k] && anc[j2 * (n + 1) + k];
			double prior = k == n ? p.prior_out : (1 - p.prior_out) / n;

			want[k] = prior * (bad ? 0.36 : 0.0025);
			z += want[k];
		}
		for (size_t k = 0; k <= n; k++)
			assert_float_equal(post[k], want[k] / z, 1e-12);
		free(want);
		kb_bayes_free(b);
		free(post);
		free(anc);
		dag_destroy(d);
	}
}

/*
 * With fixed rates the search step must find the best information per
 * cost over *all* testable commits and batch counts, although it scores
 * only built classes and 3 unbuilt commits on each side of q*.
 */
static void test_search_is_exhaustive_optimum(void **state)
{
	uint64_t rng = 99;

	(void)state;
	for (int round = 0; round < 30; round++) {
		size_t n = 30 + rng_below(&rng, 200);
		struct kb_dag *d = round % 2 ? dag_random_merges(n, &rng) : dag_linear(n);
		struct kb_bayes_params p;
		struct kb_bayes_choice ch;
		struct kb_bayes *b;
		bool *built = kb_xcalloc(n + 1, sizeof(bool));
		double best = 0;

		kb_bayes_params_default(&p);
		p.p1_fixed = 0.2 + 0.6 * rng_unif(&rng);
		p.p0_fixed = 0.02 * rng_unif(&rng);
		p.confidence = 1; /* never stop: only the search is under test */
		b = new_bayes(d, &p);
		assert_int_equal(kb_bayes_observe(b, d->bad, 20, 40), 0);
		built[d->bad] = true;
		for (int o = 0; o < 5; o++) {
			size_t j = rng_below(&rng, n + 1);

			assert_int_equal(kb_bayes_observe(b, j, rng_below(&rng, 3), 10), 0);
			built[j] = true;
		}
		assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
		for (size_t j = 0; j <= n; j++) {
			double a = kb_bayes_mass_reachable(b, j);

			for (unsigned m = 1; m <= p.max_batches; m++) {
				double cost = m * p.cost_batch + (built[j] ? 0 : p.cost_build);
				double g = kb_bayes_info_gain(a, m * p.vms, p.p1_fixed, p.p0_fixed);

				best = KB_MAX(best, g / cost);
			}
		}
		if (ch.reason == KB_BAYES_R_SEARCH) {
			assert_float_equal(ch.gain / ch.cost, best, 1e-9 * best);
		} else {
			/* the bad end took the batch: only when the pick would out-run it */
			assert_int_equal(ch.reason, KB_BAYES_R_CALIBRATE);
			assert_int_equal(ch.commit, d->bad);
		}
		kb_bayes_free(b);
		free(built);
		dag_destroy(d);
	}
}

static void test_speed_10k(void **state)
{
	uint64_t rng = 10000;
	struct kb_dag *d = dag_random_merges(10000, &rng);
	struct kb_bayes_params p;
	struct kb_bayes_choice ch;
	struct kb_bayes *b;
	size_t merges = 0;
	double t0, worst = 0;

	(void)state;
	for (size_t j = 0; j < d->n; j++)
		merges += d->par_off[j + 1] - d->par_off[j] >= 2;
	kb_bayes_params_default(&p);
	b = new_bayes(d, &p);
	/* drive 40 steps with a culprit in the middle, timing each choice */
	assert_int_equal(kb_bayes_observe(b, d->bad, 8, 20), 0);
	for (int step = 0; step < 40; step++) {
		double dt;
		unsigned t;
		bool *truth = kb_xcalloc(d->n + 1, sizeof(bool));

		t0 = cpu_sec();
		assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
		dt = cpu_sec() - t0;
		worst = KB_MAX(worst, dt);
		if (ch.action != KB_BAYES_TEST) {
			free(truth);
			break;
		}
		truth_of(d, 5000, truth);
		t = simulate_runs(&rng, ch.runs, truth[ch.commit] ? 0.4 : 0.0);
		free(truth);
		assert_int_equal(kb_bayes_observe(b, ch.commit, t, ch.runs), 0);
	}
	printf("# 10000 commits, %zu merges: slowest choose_next %.1f ms CPU\n", merges,
	       worst * 1e3);
	assert_true(merges > 1000);
	if (!UNDER_SANITIZER)
		assert_true(worst < 0.1);
	kb_bayes_free(b);
	dag_destroy(d);
}

/* ---- Monte-Carlo comparison with the reference rules ---- */

struct cell_stats {
	unsigned trials, right, wrong, answered;
	unsigned confident, confident_right; /* answers with p >= 0.99 */
	double runs, builds, cost;
};

/*
 * The verdict of the older rules (ktest BISECT_TRIES, syzbot before 2024,
 * autobisect --repeat): a fixed number of runs, any crash is bad.
 */
static enum kb_verdict decide_fixed(const struct kb_verdict_counts *c)
{
	return c->bad ? KB_VERDICT_BAD : KB_VERDICT_GOOD;
}

/*
 * Reference: verdict.c rules, midpoint search on a linear list, git-like
 * skip.  With @fixed10, 10 runs everywhere and any crash is bad instead.
 */
static void run_reference(size_t n, size_t culprit, double p1, double p0, uint64_t *rng,
			  const struct kb_bayes_params *p, struct cell_stats *st, bool fixed10)
{
	struct kb_verdict_counts c = { 0 };
	struct kb_verdict_state vs;
	bool *skipped = kb_xcalloc(n, sizeof(bool));
	long lo = -1, hi = (long)n - 1;
	unsigned runs, builds = 1;
	double cost;

	/* the start commit: 20 runs, must be bad */
	runs = fixed10 ? KB_VERDICT_RUNS : kb_verdict_runs(true, false, 0);
	c.total = runs;
	c.bad = simulate_runs(rng, runs, p1);
	c.good = runs - c.bad;
	cost = p->cost_build + ceil((double)runs / p->vms) * p->cost_batch;
	if ((fixed10 ? decide_fixed(&c) : kb_verdict_decide(&c, false)) != KB_VERDICT_BAD)
		goto out;
	kb_verdict_state_init(&vs, &c);
	while (hi - lo > 1) {
		if (cost >= sim_cap)
			goto out;
		long mid = lo + (hi - lo) / 2, pick = -1;
		unsigned r;
		enum kb_verdict v;

		/* git skips away from untestable commits: nearest unskipped one */
		for (long dist = 0; pick < 0 && dist <= hi - lo; dist++) {
			if (mid - dist > lo && !skipped[mid - dist])
				pick = mid - dist;
			else if (mid + dist < hi && !skipped[mid + dist])
				pick = mid + dist;
		}
		if (pick < 0)
			goto out; /* only skipped commits left: inconclusive */
		r = fixed10 ? KB_VERDICT_RUNS : kb_verdict_runs(false, vs.flaky, 0);
		c.total = r;
		c.bad = simulate_runs(rng, r, (size_t)pick >= culprit ? p1 : p0);
		c.good = r - c.bad;
		runs += r;
		builds++;
		cost += p->cost_build + ceil((double)r / p->vms) * p->cost_batch;
		v = fixed10 ? decide_fixed(&c) : kb_verdict_decide(&c, vs.flaky);
		kb_verdict_state_post(&vs, v, &c);
		if (v == KB_VERDICT_GOOD)
			lo = pick;
		else if (v == KB_VERDICT_BAD)
			hi = pick;
		else
			skipped[pick] = true;
	}
	st->answered++;
	if ((size_t)hi == culprit)
		st->right++;
	else
		st->wrong++;
	if (vs.confidence >= 0.99) {
		st->confident++;
		st->confident_right += (size_t)hi == culprit;
	}
out:
	st->trials++;
	st->runs += runs;
	st->builds += builds;
	st->cost += cost;
	free(skipped);
}

/* KBISECT_SIM_VERBOSE: what the posterior saw when it named the wrong commit */
static void explain_wrong(struct kb_bayes *b, const struct kb_dag *d, size_t culprit,
			  const struct kb_bayes_choice *ch)
{
	size_t show[2] = { ch->commit, culprit };
	double p1, p0;

	kb_bayes_rates(b, &p1, &p0);
	printf("# wrong: named %zu (p %.5f), culprit %zu, n %zu, p1 %.3f p0 %.4f\n", ch->commit,
	       ch->p, culprit, d->n, p1, p0);
	for (int s = 0; s < 2; s++) {
		size_t j = show[s];

		for (uint32_t i = d->par_off[j]; i <= d->par_off[j + 1]; i++) {
			size_t x = i == d->par_off[j + 1] ? j : d->par[i];
			unsigned t, r;

			kb_bayes_counts(b, x, &t, &r);
			printf("#   %s %zu: %u of %u, A %.5f\n", x == j ? "commit" : "parent", x, t,
			       r, kb_bayes_mass_reachable(b, x));
		}
	}
}

static void run_bayes(const struct kb_dag *d, size_t culprit, double p1, double p0, uint64_t *rng,
		      const struct kb_bayes_params *p, struct cell_stats *st)
{
	struct kb_bayes *b = new_bayes(d, p);
	struct kb_bayes_choice ch;
	unsigned runs, builds;
	double cost;

	ch = drive(b, d, culprit, p1, p0, rng, 2000, &runs, &builds, &cost, p);
	st->trials++;
	st->runs += runs;
	st->builds += builds;
	st->cost += cost;
	if (ch.action == KB_BAYES_FOUND) {
		st->answered++;
		if (ch.commit == culprit) {
			st->right++;
		} else {
			st->wrong++;
			if (getenv("KBISECT_SIM_VERBOSE"))
				explain_wrong(b, d, culprit, &ch);
		}
		if (ch.p >= 0.99) {
			st->confident++;
			st->confident_right += ch.commit == culprit;
		}
	}
	kb_bayes_free(b);
}

static unsigned sim_trials(void)
{
	const char *e = getenv("KBISECT_SIM_TRIALS");

	if (e && *e)
		return (unsigned)strtoul(e, NULL, 10);
	return UNDER_SANITIZER ? 20 : 200;
}

static void print_cell(const char *who, const char *shape, double p1, double p0,
		       const struct cell_stats *s)
{
	printf("# %-9s %-6s p1=%.2f p0=%.2f  acc %.3f  wrong %.3f  answered %.3f  "
	       "runs %6.1f  builds %5.1f  hours %5.2f\n",
	       who, shape, p1, p0, (double)s->right / s->trials, (double)s->wrong / s->trials,
	       (double)s->answered / s->trials, s->runs / s->trials, s->builds / s->trials,
	       s->cost / s->trials / 60.0);
}

/*
 * One sweep over the cells (linear and merge-heavy DAGs, p1 x p0), stopping
 * at @confidence.  With @check, asserts the accuracy targets per cell and
 * that the posterior search is at least as accurate as the reference on
 * linear histories.  Calibration counts go to @all.
 */
static void sweep(double confidence, unsigned trials, bool check, struct cell_stats *all)
{
	static const double p1s[] = { 1.0, 0.5, 0.3, 0.1 };
	static const double p0s[] = { 0.0, 0.01 };
	struct kb_bayes_params p;
	double t0 = now_sec();

	kb_bayes_params_default(&p);
	/* the design note's cost model, in minutes: build 8, batch of 10 VMs 1.3 */
	p.cost_build = 8;
	p.cost_batch = 1.3;
	p.confidence = confidence;
	printf("# stop at %.3f; %u trials per cell, N uniform in [100, 1000], culprit uniform\n",
	       confidence, trials);
	for (int shape = 0; shape < 2; shape++) {
		for (size_t i = 0; i < KB_ARRAY_SIZE(p1s); i++) {
			for (size_t k = 0; k < KB_ARRAY_SIZE(p0s); k++) {
				uint64_t rng = 1000003u * (uint64_t)(shape * 100 + i * 10 + k + 1) +
					       (uint64_t)(confidence * 1e6);
				struct cell_stats bs = { 0 }, rs = { 0 };
				double p1 = p1s[i], p0 = p0s[k], acc, lim;

				for (unsigned tr = 0; tr < trials; tr++) {
					size_t n = 100 + rng_below(&rng, 901);
					struct kb_dag *d =
						shape ? dag_random_merges(n, &rng) : dag_linear(n);
					size_t culprit = rng_below(&rng, n);

					run_bayes(d, culprit, p1, p0, &rng, &p, &bs);
					if (!shape && check)
						run_reference(n, culprit, p1, p0, &rng, &p, &rs,
							      false);
					dag_destroy(d);
				}
				print_cell("bayes", shape ? "merges" : "linear", p1, p0, &bs);
				if (!shape && check)
					print_cell("reference", "linear", p1, p0, &rs);
				(void)fflush(stdout);
				all->confident += bs.confident;
				all->confident_right += bs.confident_right;
				if (!check)
					continue;

				acc = (double)bs.right / bs.trials;
				lim = p1 >= 0.3 ? 0.99 : 0.9;
				if (UNDER_SANITIZER)
					lim -= 0.15; /* few trials: only a smoke test */
				if (acc < lim)
					fail_msg("accuracy %.3f < %.2f (p1=%g p0=%g %s)", acc, lim,
						 p1, p0, shape ? "merges" : "linear");
				if (!UNDER_SANITIZER && bs.wrong * 100 > bs.trials)
					fail_msg("%u wrong of %u (p1=%g p0=%g)", bs.wrong,
						 bs.trials, p1, p0);
				if (!shape && bs.right < rs.right)
					fail_msg("reference more accurate (%u vs %u, p1=%g p0=%g)",
						 rs.right, bs.right, p1, p0);
			}
		}
	}
	printf("# sweep took %.1f s\n", now_sec() - t0);
}

static void test_simulation_accuracy(void **state)
{
	struct cell_stats all = { 0 };

	(void)state;
	if (!sim_trials())
		skip();
	sweep(0.999, sim_trials(), true, &all);
	printf("# calibration: %u of %u answers with confidence >= 0.99 right\n",
	       all.confident_right, all.confident);
	assert_true(all.confident > 0);
	assert_true(all.confident_right >= 0.99 * all.confident);
}

/*
 * Stopping at exactly 0.99 puts every answer's reported confidence just
 * above 0.99: if the posterior is calibrated, at most 1% of them are wrong.
 */
static void test_simulation_calibration(void **state)
{
	struct cell_stats all = { 0 };

	(void)state;
	if (!sim_trials())
		skip();
	sweep(0.99, (sim_trials() + 1) / 2, false, &all);
	printf("# calibration at 0.99: %u of %u answers right\n", all.confident_right,
	       all.confident);
	assert_true(all.confident > 0);
	assert_true(all.confident_right >= 0.99 * all.confident);
}

/*
 * Untestable commits and noop commits (same binary as the parent, found out
 * when both are built, then prior 0), as the engine reports them.  Answers
 * are either right, or "inconclusive" with a credible set that holds the
 * culprit; wrong answers stay rare.
 */
static void test_simulation_untestable_noop(void **state)
{
	unsigned trials = (sim_trials() + 1) / 2, found = 0, right = 0, incon = 0, covered = 0;
	struct kb_bayes_params p;

	(void)state;
	if (!trials)
		skip();
	kb_bayes_params_default(&p);
	p.cost_build = 8;
	p.cost_batch = 1.3;
	p.confidence = 0.999;
	for (unsigned tr = 0; tr < 2 * trials; tr++) {
		uint64_t rng = 5150 + tr;
		size_t n = 100 + rng_below(&rng, 401);
		struct kb_dag *d = tr % 2 ? dag_random_merges(n, &rng) : dag_linear(n);
		bool *noop = kb_xcalloc(n + 1, sizeof(bool));
		bool *bad = kb_xcalloc(n + 1, sizeof(bool));
		bool *built = kb_xcalloc(n + 1, sizeof(bool));
		bool *known = kb_xcalloc(n + 1, sizeof(bool));
		size_t *set = kb_xcalloc(n + 1, sizeof(size_t));
		struct kb_bayes *b = new_bayes(d, &p);
		struct kb_bayes_choice ch = { .action = KB_BAYES_INCONCLUSIVE };
		double p1 = tr % 4 < 2 ? 0.5 : 0.2, p0 = 0.01;
		size_t culprit;

		for (size_t j = 0; j + 1 < n; j++) {
			double u = rng_unif(&rng);

			if (u < 0.08)
				assert_int_equal(kb_bayes_set_untestable(b, j, true), 0);
			else if (u < 0.18 && d->par_off[j + 1] - d->par_off[j] == 1)
				noop[j] = true;
		}
		do
			culprit = rng_below(&rng, n);
		while (noop[culprit]);
		truth_of(d, culprit, bad);
		for (unsigned step = 0; step < 2000; step++) {
			assert_int_equal(kb_bayes_choose_next(b, &ch), 0);
			if (ch.action != KB_BAYES_TEST)
				break;
			built[ch.commit] = true;
			assert_int_equal(kb_bayes_observe(b, ch.commit,
							  simulate_runs(&rng, ch.runs,
									bad[ch.commit] ? p1 : p0),
							  ch.runs),
					 0);
			/* the engine sees equal signatures once both sides are built */
			for (size_t j = 0; j < n; j++) {
				size_t par;

				if (!noop[j] || known[j])
					continue;
				par = d->par[d->par_off[j]];
				if (!built[j] || !built[par])
					continue;
				known[j] = true;
				assert_int_equal(kb_bayes_same_binary(b, j, par), 0);
				assert_int_equal(kb_bayes_set_prior(b, j, 0), 0);
			}
			ch.action = KB_BAYES_INCONCLUSIVE;
		}
		if (ch.action == KB_BAYES_FOUND) {
			found++;
			right += ch.commit == culprit;
		} else {
			size_t cnt = kb_bayes_credible_set(b, 0.9, set);

			incon++;
			for (size_t i = 0; i < cnt; i++)
				covered += set[i] == culprit;
		}
		kb_bayes_free(b);
		free(noop);
		free(bad);
		free(built);
		free(known);
		free(set);
		dag_destroy(d);
	}
	printf("# untestable 8%%, noop 10%%: %u trials, %u named (%u right), %u inconclusive "
	       "(culprit in the 0.9 set: %u)\n",
	       2 * trials, found, right, incon, covered);
	assert_true(found - right <= (2 * trials + 99) / 100);
	assert_true(covered >= 0.9 * incon);
	assert_true(right >= 0.7 * 2 * trials);
}

static unsigned doc_trials(void)
{
	const char *e = getenv("KBISECT_SIM_DOC_TRIALS");

	if (e && *e)
		return (unsigned)strtoul(e, NULL, 10);
	return UNDER_SANITIZER ? 10 : 100;
}

/*
 * The setting of the design note's Monte-Carlo table (section 3.3): linear
 * history, N = 1000, build 8 min, batch 1.3 min, 12 h cap, stop at 0.95;
 * "fixed10", "syzbot-like" (verdict.c) and the posterior search.  The
 * posterior search must be at least as accurate as both in every cell (up
 * to 2 trials of noise) and, when it names a commit, right >= 95% of the
 * time overall.
 */
static void test_simulation_doc_table(void **state)
{
	static const double cells[][2] = {
		{ 0.5, 0 },    { 0.5, 0.01 }, { 0.5, 0.03 }, { 0.2, 0 },
		{ 0.2, 0.01 }, { 0.1, 0 },    { 0.1, 0.01 },
	};
	unsigned trials = doc_trials(), named = 0, named_right = 0;
	struct kb_bayes_params p;
	struct kb_dag *d = dag_linear(1000);
	double t0 = now_sec();

	(void)state;
	if (!trials) {
		dag_destroy(d);
		skip();
	}
	kb_bayes_params_default(&p);
	p.cost_build = 8;
	p.cost_batch = 1.3;
	p.confidence = 0.95;
	sim_cap = 12 * 60;
	printf("# design note 3.3 setting: N=1000 linear, 12 h cap, stop at 0.95, %u trials\n",
	       trials);
	printf("# p1    p0    fixed10 acc (h) / prec   syzbot-like acc (h) / prec   bayes acc (h) / prec / answered\n");
	for (size_t i = 0; i < KB_ARRAY_SIZE(cells); i++) {
		double p1 = cells[i][0], p0 = cells[i][1];
		uint64_t rng = 777 + 31 * i;
		struct cell_stats fs = { 0 }, rs = { 0 }, bs = { 0 };

		for (unsigned tr = 0; tr < trials; tr++) {
			size_t culprit = rng_below(&rng, d->n);

			run_reference(d->n, culprit, p1, p0, &rng, &p, &fs, true);
			run_reference(d->n, culprit, p1, p0, &rng, &p, &rs, false);
			run_bayes(d, culprit, p1, p0, &rng, &p, &bs);
		}
		printf("# %.2f  %.2f  %.2f (%.1f) / %.2f          %.2f (%.1f) / %.2f               "
		       "%.2f (%.1f) / %.2f / %.2f\n",
		       p1, p0, (double)fs.right / trials, fs.cost / trials / 60,
		       fs.answered ? (double)fs.right / fs.answered : 0, (double)rs.right / trials,
		       rs.cost / trials / 60, rs.answered ? (double)rs.right / rs.answered : 0,
		       (double)bs.right / trials, bs.cost / trials / 60,
		       bs.answered ? (double)bs.right / bs.answered : 0,
		       (double)bs.answered / trials);
		(void)fflush(stdout);
		if (bs.right + 2 < fs.right || bs.right + 2 < rs.right)
			fail_msg("p1=%g p0=%g: bayes %u right, fixed10 %u, syzbot-like %u", p1, p0,
				 bs.right, fs.right, rs.right);
		named += bs.answered;
		named_right += bs.right;
	}
	sim_cap = INFINITY;
	printf("# bayes precision %u of %u; %.1f s\n", named_right, named, now_sec() - t0);
	assert_true(named_right >= 0.95 * named);
	dag_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_fixed_rates),
		cmocka_unit_test(test_chain_integrated_rates),
		cmocka_unit_test(test_out_hypothesis),
		cmocka_unit_test(test_diamond_mass),
		cmocka_unit_test(test_same_binary_and_noop_prior),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_info_gain),
		cmocka_unit_test(test_choose_calibrate_then_midpoint),
		cmocka_unit_test(test_choose_partial_batch),
		cmocka_unit_test(test_spread_and_clone),
		cmocka_unit_test(test_keep_bad_end_measured),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_known_bad_runs),
		cmocka_unit_test(test_no_repro),
		cmocka_unit_test(test_confirmation),
		cmocka_unit_test(test_untestable_cluster),
		cmocka_unit_test(test_mass_matches_brute_force),
		cmocka_unit_test(test_search_is_exhaustive_optimum),
		cmocka_unit_test(test_speed_10k),
		cmocka_unit_test(test_simulation_accuracy),
		cmocka_unit_test(test_simulation_calibration),
		cmocka_unit_test(test_simulation_doc_table),
		cmocka_unit_test(test_simulation_untestable_noop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
