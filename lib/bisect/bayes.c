// SPDX-License-Identifier: Apache-2.0
/*
 * Posterior bisection: see bayes.h for the contract and docs/statistics.md
 * for the model.
 *
 * Representation.  Nodes 0..n-1 are the commits of the range in the DAG's
 * topological order, node n is the good end; hypothesis n is OUT.  OUT is
 * treated as an ancestor of every node, so "k <= j" is one relation for all
 * hypotheses.  anc*(j) (the hypotheses under which j is bad) is never stored
 * for every node: a chain walk reaches either a root or a merge, and only
 * merges keep their anc* bitset.  That gives
 *   - A_j = P(k <= j) for all j in one topological pass (chains add one
 *     term, merges sum their bitset), and
 *   - the bad-set of a tested binary class as a bitset, from which the
 *     per-hypothesis counts (T_b, R_b) are accumulated.
 * The likelihood of k depends only on (T_b, R_b), so a small cache keyed by
 * that pair saves most lgamma calls.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "bisect/bayes.h"
#include "util/error.h"

#define NONE ((size_t)-1)
/* unbuilt commits scored per side of q* in each search step */
#define UNBUILT_PICKS ((size_t)3)

struct cls {
	unsigned t, r; /* pooled observations of the class */
	bool built; /* some member has a usable build */
	size_t built_commit; /* that member, or NONE */
	size_t chain_root; /* member that is an ancestor of all others, or NONE */
	uint64_t *bits; /* cached bad-set (hypotheses k <= every member), or NULL */
};

struct kb_bayes {
	const struct kb_dag *dag;
	struct kb_bayes_params p;
	size_t hint[KB_BAYES_MAX_HINTS]; /* built ahead: preferred when nearly as good */
	size_t nhint;
	size_t n; /* commits in the range; node n is the good end */
	size_t words; /* 64-bit words per bitset of n + 1 bits */
	double *w; /* prior weights of commits 0..n-1 */
	uint32_t *uf; /* union-find of binary classes (n + 1) */
	uint32_t *next_member; /* circular member lists of the classes */
	struct cls *cls; /* valid at union-find roots */
	bool *untestable;
	uint64_t **merge_bits; /* anc* bitsets of merges, NULL for other nodes */
	uint64_t *scratch; /* one bitset of scratch space */

	/* posterior cache, valid while !dirty */
	bool dirty;
	double *post; /* n + 1 */
	double *A; /* n + 1: P(k <= j) */
	double *w1, *w0; /* n + 1: P(k) * E[p1 | k], P(k) * E[p0 | k] */
	double *s1, *s0; /* n + 1: sums of w1, w0 over k <= j, like A */
	double w0_total; /* sum of w0 */
	uint32_t *tb, *rb; /* per hypothesis: crashes / runs on classes it makes bad */
	double mean_p1, mean_p0;
};

void kb_bayes_params_default(struct kb_bayes_params *p)
{
	*p = (struct kb_bayes_params){
		.alpha1 = 0.5,
		.beta1 = 0.5,
		.alpha0 = 1,
		.beta0 = 99,
		.p1_fixed = -1,
		.p0_fixed = -1,
		.prior_out = 0.02,
		.min_weight = 1e-6,
		.confidence = 0.99,
		.min_gain = 1e-6,
		.cost_build = 6,
		.cost_batch = 1,
		.vms = 10,
		.max_batches = 4,
		.calib_runs = 20,
		.calib_max_runs = 100,
		.calib_min_crashes = 3,
		.confirm_max_runs = 200,
	};
}

int kb_bayes_set_hints(struct kb_bayes *b, const size_t *j, size_t n)
{
	if (n > KB_BAYES_MAX_HINTS)
		return kb_error_set(-EINVAL, "at most %d hints", KB_BAYES_MAX_HINTS);
	for (size_t i = 0; i < n; i++)
		if (j[i] > b->n)
			return kb_error_set(-EINVAL, "hint %zu out of range", j[i]);
	if (n) /* j may be NULL then */
		memcpy(b->hint, j, n * sizeof(*j));
	b->nhint = n;
	return 0;
}

static size_t nparents(const struct kb_dag *d, size_t j)
{
	return d->par_off[j + 1] - d->par_off[j];
}

static bool bit_test(const uint64_t *bits, size_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/*
 * OR anc*(j) into @bits: j, its chain of single parents, and the stored
 * bitset of the first merge met (which already holds everything above it).
 * Node n (the good end / OUT) is in every anc*.
 */
static void anc_or(const struct kb_bayes *b, size_t j, uint64_t *bits)
{
	const struct kb_dag *d = b->dag;

	bit_set(bits, b->n);
	if (j == b->n)
		return;
	for (;;) {
		size_t np = nparents(d, j);

		if (np >= 2) {
			const uint64_t *m = b->merge_bits[j];

			for (size_t i = 0; i < b->words; i++)
				bits[i] |= m[i];
			return;
		}
		bit_set(bits, j);
		if (np == 0)
			return;
		j = d->par[d->par_off[j]];
	}
}

/* a <= b: a is an ancestor of b or equal (n is below everything). */
static bool is_anc(struct kb_bayes *b, size_t a, size_t of)
{
	if (a == b->n || a == of)
		return true;
	if (of == b->n)
		return false;
	memset(b->scratch, 0, b->words * sizeof(uint64_t));
	anc_or(b, of, b->scratch);
	return bit_test(b->scratch, a);
}

static size_t find(struct kb_bayes *b, size_t j)
{
	size_t r = j;

	while (b->uf[r] != r)
		r = b->uf[r];
	while (b->uf[j] != r) {
		size_t nx = b->uf[j];

		b->uf[j] = r;
		j = nx;
	}
	return r;
}

/* The bad-set of class @c (a union-find root), computed on first use. */
static const uint64_t *class_bits(struct kb_bayes *b, size_t c)
{
	struct cls *k = &b->cls[c];
	size_t m;

	if (k->bits)
		return k->bits;
	k->bits = kb_xcalloc(b->words, sizeof(uint64_t));
	if (k->chain_root != NONE) {
		anc_or(b, k->chain_root, k->bits);
		return k->bits;
	}
	/* no member below all others: intersect the members' ancestor sets */
	memset(k->bits, 0xff, b->words * sizeof(uint64_t));
	m = c;
	do {
		memset(b->scratch, 0, b->words * sizeof(uint64_t));
		anc_or(b, m, b->scratch);
		for (size_t i = 0; i < b->words; i++)
			k->bits[i] &= b->scratch[i];
		m = b->next_member[m];
	} while (m != c);
	return k->bits;
}

static int check_params(const struct kb_bayes_params *p)
{
	if (!(p->alpha1 > 0 && p->beta1 > 0 && p->alpha0 > 0 && p->beta0 > 0))
		return kb_error_set(-EINVAL, "beta prior parameters must be positive");
	if (p->p1_fixed > 1 || p->p0_fixed > 1)
		return kb_error_set(-EINVAL, "fixed crash rates must be at most 1");
	if (!(p->prior_out >= 0 && p->prior_out < 1))
		return kb_error_set(-EINVAL, "prior of OUT must be in [0, 1)");
	if (!(p->min_weight > 0))
		return kb_error_set(-EINVAL, "min_weight must be positive");
	if (!(p->confidence > 0 && p->confidence <= 1))
		return kb_error_set(-EINVAL, "confidence must be in (0, 1]");
	if (!(p->cost_batch > 0 && p->cost_build >= 0 && p->cost_run >= 0))
		return kb_error_set(-EINVAL, "costs must be positive");
	if (p->vms < 1 || p->max_batches < 1)
		return kb_error_set(-EINVAL, "vms and max_batches must be at least 1");
	if (p->known_bad_crashes > p->known_bad_runs)
		return kb_error_set(-EINVAL, "known bad crashes exceed known bad runs");
	return 0;
}

int kb_bayes_new(const struct kb_dag *dag, const struct kb_bayes_params *params,
		 struct kb_bayes **ret)
{
	struct kb_bayes *b;
	struct kb_bayes_params def;
	size_t n = dag->n;
	int r;

	if (!params) {
		kb_bayes_params_default(&def);
		params = &def;
	}
	r = check_params(params);
	if (r < 0)
		return r;
	if (n == 0 || dag->bad >= n)
		return kb_error_set(-EINVAL, "empty commit range");
	if (n >= UINT32_MAX)
		return kb_error_set(-EINVAL, "commit range too large (%zu commits)", n);
	for (size_t j = 0; j < n; j++)
		for (uint32_t i = dag->par_off[j]; i < dag->par_off[j + 1]; i++)
			if (dag->par[i] >= j)
				return kb_error_set(
					-EINVAL,
					"commit %zu: parent %u is not earlier in the order", j,
					dag->par[i]);

	b = kb_xcalloc(1, sizeof(*b));
	b->dag = dag;
	b->p = *params;
	/* known bad runs outside the DAG: Beta(a, b) updated by them is the prior of p1 */
	b->p.alpha1 += params->known_bad_crashes;
	b->p.beta1 += params->known_bad_runs - params->known_bad_crashes;
	b->n = n;
	b->words = (n + 1 + 63) / 64;
	b->w = kb_xmalloc(n * sizeof(double));
	b->uf = kb_xmalloc((n + 1) * sizeof(uint32_t));
	b->next_member = kb_xmalloc((n + 1) * sizeof(uint32_t));
	b->cls = kb_xcalloc(n + 1, sizeof(struct cls));
	b->untestable = kb_xcalloc(n + 1, sizeof(bool));
	b->merge_bits = kb_xcalloc(n + 1, sizeof(uint64_t *));
	b->scratch = kb_xcalloc(b->words, sizeof(uint64_t));
	b->post = kb_xcalloc(n + 1, sizeof(double));
	b->A = kb_xcalloc(n + 1, sizeof(double));
	b->w1 = kb_xcalloc(n + 1, sizeof(double));
	b->w0 = kb_xcalloc(n + 1, sizeof(double));
	b->s1 = kb_xcalloc(n + 1, sizeof(double));
	b->s0 = kb_xcalloc(n + 1, sizeof(double));
	b->tb = kb_xcalloc(n + 1, sizeof(uint32_t));
	b->rb = kb_xcalloc(n + 1, sizeof(uint32_t));
	for (size_t j = 0; j <= n; j++) {
		if (j < n)
			b->w[j] = 1.0;
		b->uf[j] = j;
		b->next_member[j] = j;
		b->cls[j].built_commit = NONE;
		b->cls[j].chain_root = j;
	}
	/* topological order: every parent's merge bitset exists before its children's */
	for (size_t j = 0; j < n; j++) {
		if (nparents(dag, j) < 2)
			continue;
		b->merge_bits[j] = kb_xcalloc(b->words, sizeof(uint64_t));
		bit_set(b->merge_bits[j], j);
		bit_set(b->merge_bits[j], n);
		for (uint32_t i = dag->par_off[j]; i < dag->par_off[j + 1]; i++)
			anc_or(b, dag->par[i], b->merge_bits[j]);
	}
	b->dirty = true;
	*ret = b;
	return 0;
}

static void *dup_mem(const void *src, size_t size)
{
	void *p = kb_xmalloc(size ? size : 1);

	if (size)
		memcpy(p, src, size);
	return p;
}

struct kb_bayes *kb_bayes_clone(const struct kb_bayes *b)
{
	struct kb_bayes *c = kb_xmalloc(sizeof(*c));
	size_t n = b->n, words = b->words;

	*c = *b;
	c->w = dup_mem(b->w, n * sizeof(double));
	c->uf = dup_mem(b->uf, (n + 1) * sizeof(uint32_t));
	c->next_member = dup_mem(b->next_member, (n + 1) * sizeof(uint32_t));
	c->cls = dup_mem(b->cls, (n + 1) * sizeof(struct cls));
	c->untestable = dup_mem(b->untestable, (n + 1) * sizeof(bool));
	c->merge_bits = kb_xcalloc(n + 1, sizeof(uint64_t *));
	for (size_t j = 0; j <= n; j++) {
		if (b->merge_bits[j])
			c->merge_bits[j] = dup_mem(b->merge_bits[j], words * sizeof(uint64_t));
		if (b->cls[j].bits)
			c->cls[j].bits = dup_mem(b->cls[j].bits, words * sizeof(uint64_t));
	}
	c->scratch = kb_xcalloc(words, sizeof(uint64_t));
	c->post = dup_mem(b->post, (n + 1) * sizeof(double));
	c->A = dup_mem(b->A, (n + 1) * sizeof(double));
	c->w1 = dup_mem(b->w1, (n + 1) * sizeof(double));
	c->w0 = dup_mem(b->w0, (n + 1) * sizeof(double));
	c->s1 = dup_mem(b->s1, (n + 1) * sizeof(double));
	c->s0 = dup_mem(b->s0, (n + 1) * sizeof(double));
	c->tb = dup_mem(b->tb, (n + 1) * sizeof(uint32_t));
	c->rb = dup_mem(b->rb, (n + 1) * sizeof(uint32_t));
	return c;
}

void kb_bayes_free(struct kb_bayes *b)
{
	if (!b)
		return;
	for (size_t j = 0; j <= b->n; j++) {
		free(b->merge_bits[j]);
		free(b->cls[j].bits);
	}
	free(b->merge_bits);
	free(b->cls);
	free(b->w);
	free(b->uf);
	free(b->next_member);
	free(b->untestable);
	free(b->scratch);
	free(b->post);
	free(b->A);
	free(b->w1);
	free(b->w0);
	free(b->s1);
	free(b->s0);
	free(b->tb);
	free(b->rb);
	free(b);
}

static int check_index(const struct kb_bayes *b, size_t j)
{
	if (j > b->n)
		return kb_error_set(-EINVAL, "commit index %zu out of range (%zu commits)", j,
				    b->n);
	return 0;
}

int kb_bayes_set_prior(struct kb_bayes *b, size_t j, double w)
{
	if (j >= b->n)
		return kb_error_set(-EINVAL, "prior of commit %zu: no such commit", j);
	if (!(w >= 0) || !isfinite(w))
		return kb_error_set(-EINVAL, "prior of commit %zu: bad weight %g", j, w);
	b->w[j] = w;
	b->dirty = true;
	return 0;
}

int kb_bayes_same_binary(struct kb_bayes *b, size_t j1, size_t j2)
{
	size_t c1, c2, r1, r2, root;
	struct cls *k1, *k2;
	uint32_t tmp;
	int r;

	r = check_index(b, j1);
	if (r < 0 || (r = check_index(b, j2)) < 0)
		return r;
	c1 = find(b, j1);
	c2 = find(b, j2);
	if (c1 == c2)
		return 0;
	k1 = &b->cls[c1];
	k2 = &b->cls[c2];
	r1 = k1->chain_root;
	r2 = k2->chain_root;
	root = NONE;
	if (r1 != NONE && r2 != NONE) {
		if (is_anc(b, r1, r2))
			root = r1;
		else if (is_anc(b, r2, r1))
			root = r2;
	}
	/* c2 joins c1 */
	b->uf[c2] = c1;
	tmp = b->next_member[c1];
	b->next_member[c1] = b->next_member[c2];
	b->next_member[c2] = tmp;
	k1->t += k2->t;
	k1->r += k2->r;
	if (!k1->built && k2->built) {
		k1->built = true;
		k1->built_commit = k2->built_commit;
	}
	k1->chain_root = root;
	free(k1->bits);
	free(k2->bits);
	k1->bits = k2->bits = NULL;
	b->dirty = true;
	return 0;
}

int kb_bayes_set_built(struct kb_bayes *b, size_t j, bool built)
{
	struct cls *k;
	int r = check_index(b, j);

	if (r < 0)
		return r;
	k = &b->cls[find(b, j)];
	if (built) {
		k->built = true;
		if (k->built_commit == NONE || b->untestable[k->built_commit])
			k->built_commit = j;
	} else {
		k->built = false;
		k->built_commit = NONE;
	}
	return 0;
}

int kb_bayes_set_untestable(struct kb_bayes *b, size_t j, bool untestable)
{
	int r = check_index(b, j);

	if (r < 0)
		return r;
	b->untestable[j] = untestable;
	return 0;
}

int kb_bayes_observe(struct kb_bayes *b, size_t j, unsigned t, unsigned r)
{
	struct cls *k;
	int e = check_index(b, j);

	if (e < 0)
		return e;
	if (t > r)
		return kb_error_set(-EINVAL, "%u target crashes out of %u runs", t, r);
	k = &b->cls[find(b, j)];
	if ((unsigned)(k->r + r) < k->r)
		return kb_error_set(-EOVERFLOW, "too many runs on commit %zu", j);
	k->t += t;
	k->r += r;
	kb_bayes_set_built(b, j, true);
	b->dirty = true;
	return 0;
}

void kb_bayes_counts(struct kb_bayes *b, size_t j, unsigned *ret_t, unsigned *ret_r)
{
	const struct cls *k = &b->cls[find(b, KB_MIN(j, b->n))];

	*ret_t = k->t;
	*ret_r = k->r;
}

static double lbeta(double a, double c)
{
	int s;

	return lgamma_r(a, &s) + lgamma_r(c, &s) - lgamma_r(a + c, &s);
}

/* x * log(y) with 0 * log(0) = 0 */
static double xlogy(double x, double y)
{
	if (x == 0)
		return 0;
	return x * log(y);
}

/*
 * log P(t of r crash | rate) with the rate fixed (@fixed >= 0) or integrated
 * over Beta(alpha, beta).
 */
static double log_marginal(double fixed, double alpha, double beta, unsigned t, unsigned r)
{
	if (fixed >= 0)
		return xlogy(t, fixed) + xlogy(r - t, 1 - fixed);
	if (r == 0)
		return 0;
	return lbeta(alpha + t, beta + r - t) - lbeta(alpha, beta);
}

/* Sum of @x over the bits of @bits. */
static double bits_sum(const struct kb_bayes *b, const uint64_t *bits, const double *x)
{
	double s = 0;

	for (size_t i = 0; i < b->words; i++) {
		uint64_t wd = bits[i];

		while (wd) {
			s += x[i * 64 + (size_t)__builtin_ctzll(wd)];
			wd &= wd - 1;
		}
	}
	return s;
}

/*
 * A[j], s1[j], s0[j] = sums of post, w1, w0 over k <= j, in topological
 * order: a chain adds one term to its parent's sums, a merge sums over its
 * ancestor bitset (so nothing is counted twice, and one walk over the bits
 * serves all three), node n (OUT) is below everything.
 */
static void propagate(struct kb_bayes *b)
{
	const struct kb_dag *d = b->dag;
	size_t n = b->n;

	for (size_t j = 0; j < n; j++) {
		size_t np = nparents(d, j), q;

		if (np == 0 || np == 1) {
			q = np ? d->par[d->par_off[j]] : n;
			b->A[j] = b->post[j] + (np ? b->A[q] : b->post[n]);
			b->s1[j] = b->w1[j] + (np ? b->s1[q] : b->w1[n]);
			b->s0[j] = b->w0[j] + (np ? b->s0[q] : b->w0[n]);
			continue;
		}
		{
			const uint64_t *bits = b->merge_bits[j];
			double a = 0, x1 = 0, x0 = 0;

			for (size_t i = 0; i < b->words; i++) {
				uint64_t wd = bits[i];

				while (wd) {
					size_t k = i * 64 + (size_t)__builtin_ctzll(wd);

					a += b->post[k];
					x1 += b->w1[k];
					x0 += b->w0[k];
					wd &= wd - 1;
				}
			}
			b->A[j] = a;
			b->s1[j] = x1;
			b->s0[j] = x0;
		}
	}
	b->A[n] = b->post[n];
	b->s1[n] = b->w1[n];
	b->s0[n] = b->w0[n];
}

#define LL_CACHE 1024

struct ll_slot {
	uint32_t tb, rb;
	bool used;
	double v;
};

static void compute(struct kb_bayes *b)
{
	const struct kb_bayes_params *p = &b->p;
	size_t n = b->n;
	uint32_t T = 0, R = 0;
	double wsum = 0, mx = -INFINITY, z = 0, m1 = 0, m0 = 0;
	struct ll_slot *cache;

	if (!b->dirty)
		return;
	memset(b->tb, 0, (n + 1) * sizeof(uint32_t));
	memset(b->rb, 0, (n + 1) * sizeof(uint32_t));
	for (size_t c = 0; c <= n; c++) {
		const uint64_t *bits;

		if (b->uf[c] != c || b->cls[c].r == 0)
			continue;
		T += b->cls[c].t;
		R += b->cls[c].r;
		bits = class_bits(b, c);
		for (size_t i = 0; i < b->words; i++) {
			uint64_t wd = bits[i];

			while (wd) {
				size_t k = i * 64 + (size_t)__builtin_ctzll(wd);

				b->tb[k] += b->cls[c].t;
				b->rb[k] += b->cls[c].r;
				wd &= wd - 1;
			}
		}
	}

	for (size_t k = 0; k < n; k++)
		wsum += KB_MAX(b->w[k], p->min_weight);
	cache = kb_xcalloc(LL_CACHE, sizeof(*cache));
	for (size_t k = 0; k <= n; k++) {
		uint32_t tb = b->tb[k], rb = b->rb[k];
		struct ll_slot *s = &cache[(tb * 2654435761u ^ rb * 40503u) % LL_CACHE];
		double lp;

		if (k < n)
			lp = log((1 - p->prior_out) * KB_MAX(b->w[k], p->min_weight) / wsum);
		else
			lp = log(p->prior_out);
		if (!s->used || s->tb != tb || s->rb != rb) {
			s->used = true;
			s->tb = tb;
			s->rb = rb;
			s->v = log_marginal(p->p1_fixed, p->alpha1, p->beta1, tb, rb) +
			       log_marginal(p->p0_fixed, p->alpha0, p->beta0, T - tb, R - rb);
		}
		b->post[k] = lp + s->v;
		if (b->post[k] > mx)
			mx = b->post[k];
	}
	free(cache);
	for (size_t k = 0; k <= n; k++) {
		b->post[k] = isfinite(mx) ? exp(b->post[k] - mx) : 1.0;
		z += b->post[k];
	}
	for (size_t k = 0; k <= n; k++) {
		uint32_t tg = T - b->tb[k], rg = R - b->rb[k];
		double e1, e0;

		b->post[k] /= z;
		e1 = p->p1_fixed >= 0 ? p->p1_fixed :
					(p->alpha1 + b->tb[k]) / (p->alpha1 + p->beta1 + b->rb[k]);
		e0 = p->p0_fixed >= 0 ? p->p0_fixed :
					(p->alpha0 + tg) / (p->alpha0 + p->beta0 + rg);
		b->w1[k] = b->post[k] * e1;
		b->w0[k] = b->post[k] * e0;
		m1 += b->w1[k];
		m0 += b->w0[k];
	}
	b->mean_p1 = m1;
	b->mean_p0 = m0;
	b->w0_total = m0;
	propagate(b);
	b->dirty = false;
}

double kb_bayes_posterior(struct kb_bayes *b, double *out)
{
	compute(b);
	if (out)
		memcpy(out, b->post, (b->n + 1) * sizeof(double));
	return b->post[b->n];
}

double kb_bayes_mass_reachable(struct kb_bayes *b, size_t j)
{
	compute(b);
	return b->A[KB_MIN(j, b->n)];
}

size_t kb_bayes_spread(struct kb_bayes *b, size_t k, size_t *out)
{
	size_t got = 0;

	compute(b);
	for (size_t i = 1; i <= k; i++) {
		double q = (double)i / (double)(k + 1), best = INFINITY;
		size_t pick = NONE;

		for (size_t j = 0; j < b->n; j++) {
			double a = b->A[j], d = fabs(a - q);
			bool taken = false;

			/* decided commits teach nothing */
			if (b->untestable[j] || a < 1e-3 || a > 1 - 1e-3 || d >= best)
				continue;
			for (size_t m = 0; m < got && !taken; m++)
				taken = find(b, out[m]) == find(b, j);
			if (!taken) {
				best = d;
				pick = j;
			}
		}
		if (pick != NONE)
			out[got++] = pick;
	}
	return got;
}

void kb_bayes_rates(struct kb_bayes *b, double *ret_p1, double *ret_p0)
{
	compute(b);
	*ret_p1 = b->mean_p1;
	*ret_p0 = b->mean_p0;
}

void kb_bayes_best(struct kb_bayes *b, size_t *ret_j, double *ret_p)
{
	size_t best = 0;

	compute(b);
	for (size_t k = 1; k <= b->n; k++)
		if (b->post[k] > b->post[best])
			best = k;
	*ret_j = best;
	*ret_p = b->post[best];
}

struct ranked {
	double p;
	size_t k;
};

static int cmp_ranked(const void *x, const void *y)
{
	const struct ranked *a = x, *c = y;

	if (a->p != c->p)
		return a->p > c->p ? -1 : 1;
	return a->k < c->k ? -1 : a->k > c->k;
}

size_t kb_bayes_credible_set(struct kb_bayes *b, double level, size_t *out)
{
	struct ranked *r;
	double acc = 0;
	size_t cnt = 0;

	compute(b);
	r = kb_xmalloc((b->n + 1) * sizeof(*r));
	for (size_t k = 0; k <= b->n; k++)
		r[k] = (struct ranked){ b->post[k], k };
	qsort(r, b->n + 1, sizeof(*r), cmp_ranked);
	while (cnt <= b->n && (cnt == 0 || acc < level)) {
		out[cnt] = r[cnt].k;
		acc += r[cnt].p;
		cnt++;
	}
	free(r);
	return cnt;
}

/* Binomial pmf over t = 0..runs into @f (runs + 1 entries). */
static void binom_pmf(unsigned runs, double p, double *f)
{
	int s;

	for (unsigned t = 0; t <= runs; t++) {
		if (p <= 0) {
			f[t] = t == 0;
		} else if (p >= 1) {
			f[t] = t == runs;
		} else {
			double lc = lgamma_r(runs + 1.0, &s) - lgamma_r(t + 1.0, &s) -
				    lgamma_r(runs - t + 1.0, &s);

			f[t] = exp(lc + t * log(p) + (runs - t) * log1p(-p));
		}
	}
}

static double entropy(const double *f, unsigned runs)
{
	double h = 0;

	for (unsigned t = 0; t <= runs; t++)
		if (f[t] > 0)
			h -= f[t] * log(f[t]);
	return h;
}

/* A channel: pmfs and entropies for one batch size, to evaluate I(a) cheaply. */
struct channel {
	unsigned runs;
	double *f1, *f0;
	double h1, h0;
};

static void channel_init(struct channel *ch, unsigned runs, double p1, double p0)
{
	ch->runs = runs;
	ch->f1 = kb_xmalloc((runs + 1) * sizeof(double));
	ch->f0 = kb_xmalloc((runs + 1) * sizeof(double));
	binom_pmf(runs, p1, ch->f1);
	binom_pmf(runs, p0, ch->f0);
	ch->h1 = entropy(ch->f1, runs);
	ch->h0 = entropy(ch->f0, runs);
}

static void channel_release(struct channel *ch)
{
	free(ch->f1);
	free(ch->f0);
}

static double channel_info(const struct channel *ch, double a)
{
	double h = 0;

	if (!(a > 0) || !(a < 1))
		return 0;
	for (unsigned t = 0; t <= ch->runs; t++) {
		double m = a * ch->f1[t] + (1 - a) * ch->f0[t];

		if (m > 0)
			h -= m * log(m);
	}
	h -= a * ch->h1 + (1 - a) * ch->h0;
	return h > 0 ? h / M_LN2 : 0;
}

/* I(a) is concave in a (mutual information in the input law): ternary search. */
static double channel_capacity(const struct channel *ch, double *ret_a)
{
	double lo = 0, hi = 1;

	for (int i = 0; i < 80; i++) {
		double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;

		if (channel_info(ch, m1) < channel_info(ch, m2))
			lo = m1;
		else
			hi = m2;
	}
	if (ret_a)
		*ret_a = (lo + hi) / 2;
	return channel_info(ch, (lo + hi) / 2);
}

double kb_bayes_info_gain(double a, unsigned runs, double p1, double p0)
{
	struct channel ch;
	double i;

	channel_init(&ch, runs, p1, p0);
	i = channel_info(&ch, a);
	channel_release(&ch);
	return i;
}

double kb_bayes_capacity(unsigned runs, double p1, double p0, double *ret_a)
{
	struct channel ch;
	double c;

	channel_init(&ch, runs, p1, p0);
	c = channel_capacity(&ch, ret_a);
	channel_release(&ch);
	return c;
}

/*
 * What a test of class c would be up against: a = P(c is bad), and the
 * crash rates conditional on each answer, r1 = E[p1 | c bad] and
 * r0 = E[p0 | c good].  Conditioning matters: when the only hypotheses
 * making c bad are those with a tiny p1, a test of c says little, although
 * the posterior mean of p1 may be large.
 */
struct target {
	double a, r1, r0;
};

static void class_target(struct kb_bayes *b, size_t c, struct target *t)
{
	double s1, s0;

	if (b->cls[c].chain_root != NONE) {
		size_t r = b->cls[c].chain_root;

		t->a = b->A[r];
		s1 = b->s1[r];
		s0 = b->s0[r];
	} else {
		const uint64_t *bits = class_bits(b, c);

		t->a = bits_sum(b, bits, b->post);
		s1 = bits_sum(b, bits, b->w1);
		s0 = bits_sum(b, bits, b->w0);
	}
	t->a = KB_MAX(0.0, KB_MIN(t->a, 1.0));
	t->r1 = t->a > 1e-300 ? KB_MIN(s1 / t->a, 1.0) : b->mean_p1;
	t->r0 = 1 - t->a > 1e-300 ? KB_MAX(0.0, b->w0_total - s0) / (1 - t->a) : b->mean_p0;
	if (b->p.p1_fixed >= 0)
		t->r1 = b->p.p1_fixed;
	if (b->p.p0_fixed >= 0)
		t->r0 = b->p.p0_fixed;
}

/* Expected bits from @runs runs against @t. */
static double target_info(const struct target *t, unsigned runs)
{
	if (!(t->a > 0 && t->a < 1) || t->r1 <= t->r0)
		return 0;
	return kb_bayes_info_gain(t->a, runs, t->r1, t->r0);
}

/* A testable member of class c, preferring @prefer; NONE if there is none. */
static size_t testable_member(struct kb_bayes *b, size_t c, size_t prefer)
{
	size_t m = c;

	if (prefer != NONE && !b->untestable[prefer])
		return prefer;
	do {
		if (!b->untestable[m])
			return m;
		m = b->next_member[m];
	} while (m != c);
	return NONE;
}

static void want_test(struct kb_bayes_choice *ch, enum kb_bayes_reason why, size_t j, unsigned runs)
{
	ch->action = KB_BAYES_TEST;
	ch->reason = why;
	ch->commit = j;
	ch->runs = runs;
}

/*
 * Runs a parent of the named commit needs: enough that a bad parent would
 * have crashed with probability >= confidence at the estimated p1,
 * n = ln(1 - confidence) / ln(1 - p1) (design note 4.4), capped.
 */
static unsigned parent_runs_needed(const struct kb_bayes *b)
{
	double p1 = b->mean_p1, n;

	if (p1 >= 1)
		return 1;
	if (p1 <= 0 || b->p.confidence >= 1)
		return b->p.confirm_max_runs;
	n = ceil(log(1 - b->p.confidence) / log1p(-p1));
	if (!(n < b->p.confirm_max_runs))
		return b->p.confirm_max_runs;
	return n < 1 ? 1 : (unsigned)n;
}

/*
 * Confirmation before naming @k: a target crash on k's binary and enough
 * runs on each parent.  Returns true when a test was requested.
 */
static bool need_confirmation(struct kb_bayes *b, size_t k, struct kb_bayes_choice *ch,
			      bool *unconfirmed)
{
	const struct kb_dag *d = b->dag;
	size_t ck = find(b, k), j;
	unsigned need = parent_runs_needed(b);

	if (b->cls[ck].t == 0) {
		j = testable_member(b, ck, k);
		if (j != NONE) {
			want_test(ch, KB_BAYES_R_CONFIRM, j, b->p.vms);
			return true;
		}
		*unconfirmed = true;
	}
	if (k == b->n)
		return false;
	for (uint32_t i = d->par_off[k]; i <= d->par_off[k + 1]; i++) {
		size_t par, cp;

		if (i == d->par_off[k + 1]) {
			/* a root's parents are outside: the good end stands for them */
			if (d->par_off[k] != d->par_off[k + 1])
				break;
			par = b->n;
		} else {
			par = d->par[i];
		}
		cp = find(b, par);
		if (b->cls[cp].r >= need)
			continue;
		j = testable_member(b, cp, par);
		if (j != NONE) {
			unsigned v = b->p.vms, more = need - b->cls[cp].r;

			more = KB_MIN((more + v - 1) / v, b->p.max_batches) * v;
			want_test(ch, KB_BAYES_R_CONFIRM, j, more);
			return true;
		}
		*unconfirmed = true;
	}
	return false;
}

/*
 * Share of the best information per cost a hinted commit (built ahead)
 * must reach to be tested instead.
 */
#define HINT_SLACK 0.9

static void consider(struct kb_bayes_choice *ch, double *best_ratio, size_t j, unsigned runs,
		     double gain, double cost)
{
	double ratio = gain / cost;

	if (ratio > *best_ratio) {
		*best_ratio = ratio;
		ch->commit = j;
		ch->runs = runs;
		ch->gain = gain;
		ch->cost = cost;
	}
}

/*
 * Score @runs-run tests of commit @j (class target @t) whose build costs
 * @build: whole batches up to max_batches, and, when runs cost something of
 * their own, partial batches of 1, 2, 4, ... runs.
 */
static void consider_runs(const struct kb_bayes_params *p, struct kb_bayes_choice *ch,
			  double *best_ratio, size_t j, const struct target *t, double build)
{
	for (unsigned m = 1; m <= p->max_batches; m++)
		consider(ch, best_ratio, j, m * p->vms, target_info(t, m * p->vms),
			 build + m * p->cost_batch + m * p->vms * p->cost_run);
	if (!(p->cost_run > 0))
		return;
	for (unsigned r = 1; r < p->vms; r *= 2)
		consider(ch, best_ratio, j, r, target_info(t, r),
			 build + p->cost_batch + r * p->cost_run);
}

int kb_bayes_choose_next(struct kb_bayes *b, struct kb_bayes_choice *ret)
{
	const struct kb_bayes_params *p = &b->p;
	size_t bad = b->dag->bad, cb = find(b, bad), k;
	struct kb_bayes_choice ch = { .commit = NONE };
	double best_ratio = 0, pk;
	struct target *tg;
	size_t *pick;
	bool unconfirmed = false;
	unsigned ct, cr; /* the bad end's target crashes and runs, with the known bad ones */

	compute(b);
	kb_bayes_best(b, &k, &pk);
	ch.p = pk;

	/*
	 * 1. calibration on the bad end; known bad runs outside the DAG count
	 * as its own (they measure the same p1)
	 */
	ct = b->cls[cb].t + p->known_bad_crashes;
	cr = b->cls[cb].r + p->known_bad_runs;
	if (cr < p->calib_runs || (ct < p->calib_min_crashes && cr < p->calib_max_runs)) {
		size_t j = testable_member(b, cb, bad);

		if (j != NONE) {
			unsigned runs = cr < p->calib_runs ? p->calib_runs - cr :
							     KB_MIN(p->vms, p->calib_max_runs - cr);

			want_test(&ch, KB_BAYES_R_CALIBRATE, j, runs);
			*ret = ch;
			return 0;
		}
	}
	if (b->cls[cb].t == 0) {
		ch.action = KB_BAYES_NO_REPRO;
		ch.commit = bad;
		*ret = ch;
		return 0;
	}

	/* 2. stop, once the named commit is confirmed */
	if (pk >= p->confidence) {
		if (need_confirmation(b, k, &ch, &unconfirmed)) {
			*ret = ch;
			return 0;
		}
		ch.action = KB_BAYES_FOUND;
		ch.commit = k;
		ch.confirmed = !unconfirmed;
		*ret = ch;
		return 0;
	}

	/*
	 * 3. search: best information per cost over built classes and unbuilt
	 * commits.  Among unbuilt commits only a few are evaluated: I(a) is
	 * concave in a, so with the global rates the best ones sit next to q*;
	 * the UNBUILT_PICKS nearest on each side are scored with their own
	 * conditional rates.
	 */
	tg = kb_xmalloc((b->n + 1) * sizeof(*tg));
	pick = kb_xmalloc((b->n + 1) * sizeof(size_t));
	for (size_t c = 0; c <= b->n; c++) {
		if (b->uf[c] != c)
			continue;
		class_target(b, c, &tg[c]);
		pick[c] = b->cls[c].built ? testable_member(b, c, b->cls[c].built_commit) : NONE;
	}
	for (size_t c = 0; c <= b->n; c++) {
		if (b->uf[c] != c || pick[c] == NONE)
			continue;
		consider_runs(p, &ch, &best_ratio, pick[c], &tg[c], 0);
	}
	if (b->mean_p1 > b->mean_p0) {
		size_t near[2 * UNBUILT_PICKS];
		double qstar, dist[2 * UNBUILT_PICKS];

		kb_bayes_capacity(p->vms, b->mean_p1, b->mean_p0, &qstar);
		for (size_t i = 0; i < 2 * UNBUILT_PICKS; i++) {
			near[i] = NONE;
			dist[i] = INFINITY;
		}
		for (size_t j = 0; j <= b->n; j++) {
			size_t c = find(b, j), side, worst;
			double dd;

			if (b->untestable[j] || b->cls[c].built)
				continue;
			dd = fabs(tg[c].a - qstar);
			side = tg[c].a <= qstar ? 0 : UNBUILT_PICKS;
			worst = side;
			for (size_t i = side; i < side + UNBUILT_PICKS; i++)
				if (dist[i] > dist[worst])
					worst = i;
			if (dd < dist[worst]) {
				dist[worst] = dd;
				near[worst] = j;
			}
		}
		for (size_t i = 0; i < 2 * UNBUILT_PICKS; i++) {
			if (near[i] == NONE)
				continue;
			consider_runs(p, &ch, &best_ratio, near[i], &tg[find(b, near[i])],
				      p->cost_build);
		}
	}
	/*
	 * When the best pick is a commit to build, one built ahead wins when
	 * it is nearly as good (HINT_SLACK), priced like any unbuilt commit so
	 * that its number of runs is what it would have been anyway.  More
	 * runs on a built commit are not displaced: the hint only says which
	 * new commit to build.
	 */
	for (size_t i = 0; ch.commit != NONE && !b->cls[find(b, ch.commit)].built && i < b->nhint;
	     i++) {
		size_t j = b->hint[i];
		struct kb_bayes_choice hc = { .commit = NONE };
		double hr = 0;

		if (b->untestable[j] || b->cls[find(b, j)].built || ch.commit == j)
			continue;
		consider_runs(p, &hc, &hr, j, &tg[find(b, j)], p->cost_build);
		if (hc.commit != NONE && hr >= HINT_SLACK * best_ratio) {
			ch = hc;
			best_ratio = hr;
		}
	}
	free(tg);
	free(pick);
	if (ch.commit == NONE || ch.gain < p->min_gain) {
		ch.action = KB_BAYES_INCONCLUSIVE;
		ch.commit = k;
		ch.runs = 0;
		*ret = ch;
		return 0;
	}
	ch.action = KB_BAYES_TEST;
	ch.reason = KB_BAYES_R_SEARCH;
	/*
	 * Keep the reference measured: every rate is judged against p1, and p1
	 * is best learnt on the bad end (bad under every hypothesis).  While
	 * the bad end has shown fewer than calib_min_crashes target crashes
	 * (calibration ended at calib_max_runs: an unlucky or a very low rate),
	 * no commit gets more runs than the bad end; otherwise a low early
	 * estimate of p1 makes "bad with a tiny p1" and "good with p0" look
	 * alike for ever.  With that many crashes p1 is known to about half,
	 * and more bad-end runs only slow the search: bench-strategy, p1 = 0.1,
	 * p0 = 0.01, 300 trials: right 0.653 -> 0.747 (0.957 -> 0.973 at
	 * p0 = 0), no other class changed.  5 rather than 8 (the same rule
	 * ends calibration): every class with p1 <= 0.5 got faster (p1 = 0.3
	 * 3.27 -> 3.07 h, p1 = 0.1 7.75 -> 7.44 h in 1000 trials), accuracy
	 * unchanged within noise (p1 = 0.1: 0.976 -> 0.981, with p0 = 0.01
	 * 0.711 -> 0.699).  3 rather than 5 (with 1-batch build prices and
	 * hints, 1000 trials): p1 = 0.1 6.78 -> 6.53 h, right 0.979 -> 0.984;
	 * with p0 = 0.01 right 0.768 -> 0.783, wrong 0.8% -> 0.6%; p1 = 0.3
	 * 2.73 -> 2.64 h; p1 = 0.8 1 wrong in 1000 (was 0).  2 lost accuracy
	 * at p0 = 0.01 (0.743 in 300 trials), 4 was no better than 5.
	 */
	if (find(b, ch.commit) != cb && ct < p->calib_min_crashes &&
	    cr < b->cls[find(b, ch.commit)].r + ch.runs) {
		size_t j = testable_member(b, cb, bad);

		if (j != NONE) {
			want_test(&ch, KB_BAYES_R_CALIBRATE, j, p->vms);
			ch.gain = 0;
			ch.cost = p->cost_batch;
		}
	}
	*ret = ch;
	return 0;
}
