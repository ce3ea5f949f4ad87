// SPDX-License-Identifier: Apache-2.0
/*
 * The simulated bisection world (see sim.h): graph generators, the truth of
 * every commit, and the kb_backend / kb_vcs tables the engine runs against.
 *
 * Everything random comes from splitmix64 streams derived from the seed, so
 * a scenario is reproducible from its parameters alone; run outcomes are
 * hashed from (seed, signature, run index) rather than drawn in call order,
 * because the engine runs a batch on several threads.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include "bisect/engine.h"
#include "bisect/sim.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

#define NONE	  (-2L) /* no second parent */
#define G_PARENT  (-1L) /* the good end, outside the range */
#define DATE_BASE 1700000000LL

struct kb_sim {
	struct kb_sim_params p;
	struct kb_dag *dag; /* the whole range */
	char *text; /* its rev-list text */
	size_t text_len;
	char good[KB_HASH_HEX + 1];
	char good_sig[65];
	size_t culprit;
	uint8_t *bad, *old, *broken, *noop; /* per DAG index */
	uint32_t *sigid; /* binary identity: 0 is G's */
	bool g_old;
	size_t *tags; /* tag i ("v1.i") is on DAG index tags[i], SIZE_MAX for G */
	size_t ntags;

	pthread_mutex_t lock; /* the counters below */
	unsigned builds, runs;
	bool exhausted;
	/*
	 * builds and runs sleeping now (p.build_sleep, p.run_sleep), which of
	 * them are runs, and which were cancelled
	 */
	pthread_cond_t wake;
	char sleeping[64][KB_HASH_HEX + 1];
	bool sleeping_run[64], cancelled[64];
	unsigned cancels, run_cancels; /* cut short by cancel_build, cancel_runs */
};

/* ---- randomness ------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

/* uniform in [0, 1) */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n ? (size_t)(rng_unit(r) * (double)n) : 0;
}

static double rng_normal(struct rng *r)
{
	double u = rng_unit(r), v = rng_unit(r);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

static void hex_of(uint64_t seed, uint64_t id, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t x = 0;

	for (size_t i = 0; i < len; i++) {
		if (i % 16 == 0)
			x = mix64(seed ^ mix64(id * 4 + i / 16));
		out[i] = hex[x & 15];
		x >>= 4;
	}
	out[len] = '\0';
}

/* ---- graph generation ------------------------------------------------- */

/* Commits in creation (topological) order; parents are indices or G_PARENT. */
struct gen {
	size_t n, alloc;
	long (*par)[2];
};

static long gen_add(struct gen *g, long p1, long p2)
{
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 256;
		g->par = kb_xrealloc(g->par, g->alloc * sizeof(*g->par));
	}
	g->par[g->n][0] = p1;
	g->par[g->n][1] = p2;
	return (long)g->n++;
}

static long gen_chain(struct gen *g, long from, size_t len)
{
	for (size_t i = 0; i < len; i++)
		from = gen_add(g, from, NONE);
	return from;
}

static void gen_linear(struct gen *g, size_t n)
{
	gen_chain(g, G_PARENT, n);
}

/*
 * Merge-based histories.  Kernel-like: a mainline that is mostly merges of
 * topic branches forked from a recent mainline commit (up to 60 back, like
 * trees based on an earlier -rc), lengths log-normal with median 12 and a
 * tail into the hundreds, some with a sub-merge of their own.  GitHub-like:
 * short branches (1-5) forked near the tip, a third of commits direct.
 */
static void gen_merges(struct gen *g, struct rng *r, size_t n, bool github)
{
	long *ml = kb_xcalloc(n + 1, sizeof(*ml));
	size_t nml = 0;

	ml[nml++] = G_PARENT;
	while (g->n < n) {
		size_t left = n - g->n, len, window;
		long fork, tip;

		if (left < 3 || rng_unit(r) < (github ? 0.33 : 0.08)) {
			ml[nml] = gen_add(g, ml[nml - 1], NONE);
			nml++;
			continue;
		}
		if (github) {
			len = 1 + rng_below(r, 5);
			window = 4;
		} else {
			double l = exp(log(12.0) + rng_normal(r));

			len = l < 1 ? 1 : l > 400 ? 400 : (size_t)l;
			window = 60;
		}
		len = KB_MIN(len, left - 1);
		fork = ml[nml - 1 - rng_below(r, KB_MIN(window, nml))];
		if (!github && len >= 5 && rng_unit(r) < 0.25) {
			size_t b = len / 3, a = (len - b - 1) / 2, c = len - b - 1 - a;
			long ta = gen_chain(g, fork, a), tb = gen_chain(g, fork, b);

			tip = gen_chain(g, gen_add(g, ta, tb), c);
		} else {
			tip = gen_chain(g, fork, len);
		}
		ml[nml] = gen_add(g, ml[nml - 1], tip);
		nml++;
	}
	free(ml);
}

static void add_line(struct kb_buf *b, long long date, const char *hash)
{
	kb_buf_addf(b, "%lld %s", date, hash);
}

/* The generated graph as rev-list text, newest first. */
static void gen_text(struct kb_sim *s, const struct gen *g, char (*hash)[KB_HASH_HEX + 1],
		     struct kb_buf *out)
{
	for (size_t i = g->n; i-- > 0;) {
		add_line(out, DATE_BASE + 60 * (long long)i, hash[i]);
		for (int k = 0; k < 2; k++) {
			long p = g->par[i][k];

			if (p == NONE)
				continue;
			kb_buf_addf(out, " %s", p == G_PARENT ? s->good : hash[p]);
		}
		kb_buf_addch(out, '\n');
	}
}

static bool is_hex40(const char *q, size_t l)
{
	if (l != KB_HASH_HEX)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!strchr("0123456789abcdef", q[i]))
			return false;
	return true;
}

/*
 * A recorded history: parents outside it become G (so one good end bounds
 * it, whatever its boundary was) and, without timestamps, dates follow the
 * listing order.
 */
static int file_text(struct kb_sim *s, struct kb_buf *out)
{
	const char *t = s->p.revlist, *end = t + s->p.revlist_len, *q = t;
	char bad[KB_HASH_HEX + 1];
	struct kb_dag *d = NULL;
	size_t l;
	int r;

	while (q < end && *q == ' ')
		q++;
	l = strcspn(q, " \n");
	if (!is_hex40(q, KB_MIN(l, (size_t)(end - q)))) {
		/* "<date> <hash> ..." */
		q += l;
		while (q < end && *q == ' ')
			q++;
		l = strcspn(q, " \n");
		if (!is_hex40(q, KB_MIN(l, (size_t)(end - q))))
			return kb_error_set(-EINVAL,
					    "rev-list text: the first line has no commit hash");
	}
	memcpy(bad, q, KB_HASH_HEX);
	bad[KB_HASH_HEX] = '\0';
	r = kb_dag_parse(t, s->p.revlist_len, bad, &d);
	if (r < 0)
		return r;
	for (size_t k = 0; k < d->n; k++) {
		size_t j = d->listed[k];
		uint32_t inside = d->par_off[j + 1] - d->par_off[j];

		add_line(out,
			 d->date ? (long long)d->date[j] : DATE_BASE + 60 * (long long)(d->n - k),
			 d->hash[j]);
		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1]; i++)
			kb_buf_addf(out, " %s", d->hash[d->par[i]]);
		if (d->nparents_total[j] > inside)
			kb_buf_addf(out, " %s", s->good);
		kb_buf_addch(out, '\n');
	}
	kb_dag_free(d);
	return 0;
}

/* ---- truth ------------------------------------------------------------- */

static size_t nparents_in(const struct kb_dag *d, size_t j)
{
	return d->par_off[j + 1] - d->par_off[j];
}

/* out[j] = j descends from (or is) @from; parents come before children. */
static void descendants(const struct kb_dag *d, size_t from, uint8_t *out)
{
	memset(out, 0, d->n);
	out[from] = 1;
	for (size_t j = from + 1; j < d->n; j++)
		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1] && !out[j]; i++)
			out[j] = out[d->par[i]];
}

static size_t count_zero(const uint8_t *v, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += !v[i];
	return c;
}

/*
 * The fix of the other crash: a first-parent (mainline) commit whose
 * non-descendants are closest to a share @other of the range.  Along the
 * first-parent chain that count only grows with age, so bisect it.
 */
static void pick_old(struct kb_sim *s, uint8_t *tmp)
{
	const struct kb_dag *d = s->dag;
	size_t *chain = kb_xcalloc(d->n, sizeof(*chain)), len = 0;
	size_t want = (size_t)(s->p.other * (double)d->n), lo = 0, hi;

	for (size_t c = d->bad;;) {
		chain[len++] = c;
		if (!nparents_in(d, c))
			break;
		c = d->par[d->par_off[c]];
	}
	/* smallest chain position (newest) whose non-descendants are <= want */
	hi = len - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		descendants(d, chain[mid], tmp);
		if (count_zero(tmp, d->n) <= want)
			hi = mid;
		else
			lo = mid + 1;
	}
	descendants(d, chain[lo], tmp);
	s->noop[chain[lo]] = 0;
	for (size_t j = 0; j < d->n; j++)
		s->old[j] = !tmp[j];
	s->g_old = true;
	free(chain);
}

/* Ranges that do not build: descendants of a break that do not descend from its fix. */
static void pick_broken(struct kb_sim *s, struct rng *r, uint8_t *da, uint8_t *db)
{
	const struct kb_dag *d = s->dag;
	unsigned len = s->p.broken_len ? s->p.broken_len : 8;
	size_t nr = (size_t)lround(s->p.broken * (double)d->n / len);

	if (!nr)
		nr = 1;
	for (size_t k = 0; k < nr; k++) {
		size_t a = rng_below(r, d->n), b;

		if (a == d->bad)
			continue;
		descendants(d, a, da);
		for (b = a + len; b < d->n && !da[b]; b++)
			;
		if (b >= d->n)
			continue; /* would break the bad end */
		descendants(d, b, db);
		s->noop[b] = 0;
		for (size_t j = 0; j < d->n; j++)
			if (da[j] && !db[j])
				s->broken[j] = 1;
	}
}

static void compute_truth(struct kb_sim *s, struct rng *r)
{
	const struct kb_dag *d = s->dag;
	size_t n = d->n, cand = 0;
	uint8_t *tmp = kb_xcalloc(n, 1), *tmp2 = kb_xcalloc(n, 1);

	s->bad = kb_xcalloc(n, 1);
	s->old = kb_xcalloc(n, 1);
	s->broken = kb_xcalloc(n, 1);
	s->noop = kb_xcalloc(n, 1);
	s->sigid = kb_xcalloc(n, sizeof(*s->sigid));
	for (size_t j = 0; j < n; j++) {
		double u = rng_unit(r);

		if (d->nparents_total[j] == 1 && j != d->bad && u < s->p.noop)
			s->noop[j] = 1;
	}
	if (s->p.culprit >= 0 && (size_t)s->p.culprit < n) {
		s->culprit = (size_t)s->p.culprit;
	} else {
		for (size_t j = 0; j < n; j++)
			cand += !s->noop[j];
		cand = rng_below(r, cand);
		for (s->culprit = 0; s->noop[s->culprit] || cand--; s->culprit++)
			;
	}
	s->noop[s->culprit] = 0;
	descendants(d, s->culprit, s->bad);
	if (s->p.other > 0)
		pick_old(s, tmp);
	if (s->p.broken > 0)
		pick_broken(s, r, tmp, tmp2);
	for (size_t j = 0; j < n; j++) {
		if (!s->noop[j]) {
			s->sigid[j] = (uint32_t)j + 1;
			continue;
		}
		s->sigid[j] = nparents_in(d, j) ? s->sigid[d->par[d->par_off[j]]] : 0;
	}
	free(tmp);
	free(tmp2);
}

/* Release tags: G, then mainline commits every ->tag_every commits (oldest first). */
static void place_tags(struct kb_sim *s)
{
	const struct kb_dag *d = s->dag;
	size_t *chain = kb_xcalloc(d->n, sizeof(*chain)), len = 0, next;

	s->tags = kb_xcalloc(d->n + 1, sizeof(*s->tags));
	s->tags[s->ntags++] = SIZE_MAX;
	if (!s->p.tag_every) {
		free(chain);
		return;
	}
	for (size_t c = d->bad;;) {
		chain[len++] = c;
		if (!nparents_in(d, c))
			break;
		c = d->par[d->par_off[c]];
	}
	next = s->p.tag_every;
	for (size_t i = len; i-- > 0;) {
		if (chain[i] < next || chain[i] == d->bad)
			continue;
		s->tags[s->ntags++] = chain[i];
		next = chain[i] + s->p.tag_every;
	}
	free(chain);
}

/* ---- construction ------------------------------------------------------ */

void kb_sim_params_default(struct kb_sim_params *p)
{
	*p = (struct kb_sim_params){
		.shape = KB_SIM_LINEAR,
		.n = 1000,
		.seed = 1,
		.culprit = -1,
		.p1 = 0.5,
		.p0 = 0,
		.other_rate = 0.2,
		.noop = 0.3,
		.broken_len = 8,
		.build_seconds = 360,
		.run_seconds = 540,
		.vms = 10,
	};
}

static bool rate_ok(double x)
{
	return x >= 0 && x <= 1;
}

int kb_sim_new(const struct kb_sim_params *p, struct kb_sim **ret)
{
	struct kb_sim *s;
	struct kb_buf text = KB_BUF_INIT;
	struct rng r = { mix64(p->seed ^ 0x5157u) };
	int ret_code;

	*ret = NULL;
	if (!rate_ok(p->p1) || !rate_ok(p->p0) || !rate_ok(p->other) || !rate_ok(p->other_rate) ||
	    !rate_ok(p->boot_fail) || !rate_ok(p->noop) || !rate_ok(p->broken) || p->broken > 0.5)
		return kb_error_set(-EINVAL, "simulator: a rate is outside [0, 1] (broken <= 0.5)");
	if (p->shape != KB_SIM_FILE && (p->n < 1 || p->n > 1000000))
		return kb_error_set(-EINVAL, "simulator: range size %zu not in 1..1000000", p->n);
	if (p->shape == KB_SIM_FILE && (!p->revlist || !p->revlist_len))
		return kb_error_set(-EINVAL, "simulator: no rev-list text");
	s = kb_xcalloc(1, sizeof(*s));
	s->p = *p;
	if (!s->p.vms)
		s->p.vms = 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	hex_of(p->seed, UINT64_MAX, KB_HASH_HEX, s->good);
	hex_of(p->seed ^ 0x519aULL, 0, 64, s->good_sig);
	if (p->shape == KB_SIM_FILE) {
		ret_code = file_text(s, &text);
		if (ret_code < 0)
			goto fail;
	} else {
		struct gen g = { 0 };
		char(*hash)[KB_HASH_HEX + 1];

		if (p->shape == KB_SIM_LINEAR)
			gen_linear(&g, p->n);
		else
			gen_merges(&g, &r, p->n, p->shape == KB_SIM_GITHUB);
		hash = kb_xcalloc(g.n, sizeof(*hash));
		for (size_t i = 0; i < g.n; i++)
			hex_of(p->seed, i, KB_HASH_HEX, hash[i]);
		gen_text(s, &g, hash, &text);
		free(hash);
		free(g.par);
	}
	s->text = kb_buf_detach(&text, &s->text_len);
	{
		const char *sp = strchr(s->text, ' ');
		char bad[KB_HASH_HEX + 1];

		memcpy(bad, sp + 1, KB_HASH_HEX);
		bad[KB_HASH_HEX] = '\0';
		ret_code = kb_dag_parse(s->text, s->text_len, bad, &s->dag);
		if (ret_code < 0)
			goto fail;
	}
	compute_truth(s, &r);
	place_tags(s);
	*ret = s;
	return 0;
fail:
	kb_buf_release(&text);
	kb_sim_free(s);
	return ret_code;
}

void kb_sim_free(struct kb_sim *s)
{
	if (!s)
		return;
	kb_dag_free(s->dag);
	free(s->text);
	free(s->bad);
	free(s->old);
	free(s->broken);
	free(s->noop);
	free(s->sigid);
	free(s->tags);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}

/* ---- queries ----------------------------------------------------------- */

const struct kb_dag *kb_sim_dag(const struct kb_sim *s)
{
	return s->dag;
}

const char *kb_sim_revlist(const struct kb_sim *s, size_t *ret_len)
{
	if (ret_len)
		*ret_len = s->text_len;
	return s->text;
}

const char *kb_sim_bad(const struct kb_sim *s)
{
	return s->dag->hash[s->dag->bad];
}

const char *kb_sim_good(const struct kb_sim *s)
{
	return s->good;
}

size_t kb_sim_culprit(const struct kb_sim *s)
{
	return s->culprit;
}

const char *kb_sim_culprit_hash(const struct kb_sim *s)
{
	return s->dag->hash[s->culprit];
}

bool kb_sim_is_bad(const struct kb_sim *s, size_t j)
{
	return j < s->dag->n && s->bad[j];
}

bool kb_sim_is_noop(const struct kb_sim *s, size_t j)
{
	return j < s->dag->n && s->noop[j];
}

bool kb_sim_is_broken(const struct kb_sim *s, size_t j)
{
	return j < s->dag->n && s->broken[j];
}

bool kb_sim_is_old(const struct kb_sim *s, size_t j)
{
	return j < s->dag->n ? s->old[j] : s->g_old;
}

void kb_sim_counts(const struct kb_sim *s, unsigned *ret_builds, unsigned *ret_runs)
{
	pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	*ret_builds = s->builds;
	*ret_runs = s->runs;
	pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
}

bool kb_sim_exhausted(const struct kb_sim *s)
{
	bool x;

	pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	x = s->exhausted;
	pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
	return x;
}

static const char *const other_titles[] = {
	"WARNING in sim_old_func",
	"general protection fault in sim_other_func",
};

void kb_sim_outcome(const struct kb_sim *s, size_t j, unsigned run_idx, struct kb_run_result *ret)
{
	bool g = j >= s->dag->n;
	uint32_t sig = g ? 0 : s->sigid[j];
	bool bad = !g && s->bad[j], old = g ? s->g_old : s->old[j];
	struct rng r = { mix64(s->p.seed ^ mix64(((uint64_t)sig << 32) ^ run_idx)) };
	double u_boot = rng_unit(&r), u_t = rng_unit(&r), u_o = rng_unit(&r), u_w = rng_unit(&r);

	memset(ret, 0, sizeof(*ret));
	ret->seconds = s->p.run_seconds;
	if (u_boot < s->p.boot_fail) {
		ret->outcome = KB_RUN_BOOT_FAIL;
		ret->title = kb_xstrdup("no output from test machine");
		ret->exit_status = -1;
	} else if (u_t < (bad ? s->p.p1 : s->p.p0)) {
		ret->outcome = KB_RUN_CRASH;
		ret->title = kb_xstrdup(KB_SIM_TARGET_TITLE);
		ret->exit_status = 1;
	} else if (old && u_o < s->p.other_rate) {
		ret->outcome = KB_RUN_CRASH;
		ret->title = kb_xstrdup(other_titles[u_w < 0.5 ? 0 : 1]);
		ret->exit_status = 1;
	} else {
		ret->outcome = KB_RUN_OK;
	}
}

const char *kb_sim_shape_name(enum kb_sim_shape s)
{
	switch (s) {
	case KB_SIM_LINEAR:
		return "linear";
	case KB_SIM_KERNEL:
		return "kernel";
	case KB_SIM_GITHUB:
		return "github";
	case KB_SIM_FILE:
		return "file";
	}
	return "?";
}

int kb_sim_shape_parse(const char *name, enum kb_sim_shape *ret)
{
	static const enum kb_sim_shape all[] = { KB_SIM_LINEAR, KB_SIM_KERNEL, KB_SIM_GITHUB,
						 KB_SIM_FILE };

	for (size_t i = 0; i < KB_ARRAY_SIZE(all); i++)
		if (!strcmp(name, kb_sim_shape_name(all[i]))) {
			*ret = all[i];
			return 0;
		}
	return kb_error_set(-EINVAL, "unknown history shape '%s' (linear, kernel, github, file)",
			    name);
}

/* ---- backend ----------------------------------------------------------- */

/* DAG index of a full hash, SIZE_MAX for G, or -ENOENT. */
static int lookup(const struct kb_sim *s, const char *hash, size_t *ret)
{
	long i;

	*ret = SIZE_MAX;
	if (!strcmp(hash, s->good))
		return 0;
	i = kb_dag_find(s->dag, hash);
	if (i < 0 || strlen(hash) != KB_HASH_HEX)
		return kb_error_set(-ENOENT, "simulator: unknown commit '%s'", hash);
	*ret = (size_t)i;
	return 0;
}

/* Count one unit of work, or refuse it when it would pass the time cap. */
static int account(struct kb_sim *s, bool build)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (s->p.max_seconds > 0) {
		unsigned b = s->builds + build, n = s->runs + !build;
		unsigned batches = (n + s->p.vms - 1) / s->p.vms; /* rounded up */
		double t = b * s->p.build_seconds + batches * s->p.run_seconds;

		if (t > s->p.max_seconds || s->exhausted) {
			s->exhausted = true;
			r = -ECANCELED;
		}
	}
	if (!r) {
		s->builds += build;
		s->runs += !build;
	}
	pthread_mutex_unlock(&s->lock);
	if (r)
		return kb_error_set(r, "simulator: time budget of %.0f s exhausted",
				    s->p.max_seconds);
	return 0;
}

static void signature_of(const struct kb_sim *s, size_t j, char out[65])
{
	if (j == SIZE_MAX || !s->sigid[j])
		memcpy(out, s->good_sig, 65);
	else
		hex_of(s->p.seed ^ 0x519aULL, s->sigid[j], 64, out);
}

/* Sleep @secs seconds as the build (or a run) of @commit; true when cancelled. */
static bool sim_sleep(struct kb_sim *s, const char *commit, double secs, bool run)
{
	struct timespec until;
	size_t k = KB_ARRAY_SIZE(s->sleeping);
	bool cancelled;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)secs;
	until.tv_nsec += (long)((secs - floor(secs)) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < KB_ARRAY_SIZE(s->sleeping) && k == KB_ARRAY_SIZE(s->sleeping); i++)
		if (!s->sleeping[i][0])
			k = i;
	if (k == KB_ARRAY_SIZE(s->sleeping)) {
		pthread_mutex_unlock(&s->lock);
		return false; /* more builds at once than tracked: no sleep */
	}
	snprintf(s->sleeping[k], sizeof(s->sleeping[k]), "%s", commit);
	s->sleeping_run[k] = run;
	s->cancelled[k] = false;
	while (!s->cancelled[k] && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0)
		;
	cancelled = s->cancelled[k];
	if (run)
		s->run_cancels += cancelled;
	else
		s->cancels += cancelled;
	s->sleeping[k][0] = 0;
	pthread_mutex_unlock(&s->lock);
	return cancelled;
}

static void cancel_sleeping(struct kb_sim *s, const char *commit, bool run)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < KB_ARRAY_SIZE(s->sleeping); i++)
		if (s->sleeping_run[i] == run && !strcmp(s->sleeping[i], commit))
			s->cancelled[i] = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

static void sim_cancel_build(void *ctx, const char *commit)
{
	cancel_sleeping(ctx, commit, false);
}

static void sim_cancel_runs(void *ctx, const char *commit)
{
	cancel_sleeping(ctx, commit, true);
}

static unsigned locked_read(struct kb_sim *s, const unsigned *v)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = *v;
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned kb_sim_run_cancels(struct kb_sim *s)
{
	return locked_read(s, &s->run_cancels);
}

unsigned kb_sim_cancels(struct kb_sim *s)
{
	return locked_read(s, &s->cancels);
}

static int sim_build(void *ctx, const char *commit, struct kb_build_result *res)
{
	struct kb_sim *s = ctx;
	size_t j;
	int r = lookup(s, commit, &j);

	if (r < 0)
		return r;
	r = account(s, true);
	if (r < 0)
		return r;
	memset(res, 0, sizeof(*res));
	if (s->p.build_sleep > 0 && sim_sleep(s, commit, s->p.build_sleep, false)) {
		res->status = KB_BUILD_INFRA;
		res->error_lines = kb_xstrdup("build cancelled");
		return 0;
	}
	res->seconds = s->p.build_seconds;
	res->compiler = kb_xstrdup("gcc (simulated) 12.2.0, GNU ld (simulated) 2.40");
	if (j != SIZE_MAX && s->broken[j]) {
		res->status = KB_BUILD_FAILED;
		res->error_lines =
			kb_xstrdup("drivers/sim/sim.c:42:7: error: 'sim_field' undeclared");
		return 0;
	}
	res->status = KB_BUILD_OK;
	signature_of(s, j, res->signature);
	return 0;
}

static int sim_run(void *ctx, const char *commit, const char *sig, unsigned run_idx,
		   struct kb_run_result *res)
{
	struct kb_sim *s = ctx;
	size_t j;
	int r = lookup(s, commit, &j);

	(void)sig;
	if (r < 0)
		return r;
	if (j != SIZE_MAX && s->broken[j])
		return kb_error_set(-EINVAL, "simulator: %s does not build, it cannot run", commit);
	r = account(s, false);
	if (r < 0)
		return r;
	if (s->p.run_sleep > 0 && sim_sleep(s, commit, s->p.run_sleep, true)) {
		memset(res, 0, sizeof(*res));
		res->exit_status = -1;
		kb_run_result_set_cancelled(res);
		return 0;
	}
	kb_sim_outcome(s, j, run_idx, res);
	return 0;
}

void kb_sim_backend(struct kb_sim *s, struct kb_backend *ret)
{
	/* outcomes are functions of (commit, run index): any overlap is fine */
	*ret = (struct kb_backend){
		.ctx = s,
		.build = sim_build,
		.run = sim_run,
		.cancel_build = sim_cancel_build,
		.cancel_runs = sim_cancel_runs,
		.build_slots = 64,
	};
}

/* ---- vcs --------------------------------------------------------------- */

static int v_rev_parse(void *ctx, const char *rev, char out[41])
{
	struct kb_sim *s = ctx;
	long i;

	if (!strcmp(rev, s->good)) {
		memcpy(out, s->good, KB_HASH_HEX + 1);
		return 0;
	}
	for (size_t k = 0; k < s->ntags; k++) {
		char name[32];

		snprintf(name, sizeof(name), "v1.%zu", k);
		if (!strcmp(rev, name)) {
			memcpy(out, s->tags[k] == SIZE_MAX ? s->good : s->dag->hash[s->tags[k]],
			       KB_HASH_HEX + 1);
			return 0;
		}
	}
	i = kb_dag_find(s->dag, rev);
	if (i < 0)
		return kb_error_set(-ENOENT, "unknown revision '%s'", rev);
	memcpy(out, s->dag->hash[i], KB_HASH_HEX + 1);
	return 0;
}

/* mark[j] = 1 for @from and its ancestors in the range */
static void ancestors(const struct kb_dag *d, size_t from, uint8_t *mark)
{
	size_t *stack = kb_xcalloc(d->n, sizeof(*stack)), sp = 0;

	if (!mark[from]) {
		mark[from] = 1;
		stack[sp++] = from;
	}
	while (sp) {
		size_t j = stack[--sp];

		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1]; i++)
			if (!mark[d->par[i]]) {
				mark[d->par[i]] = 1;
				stack[sp++] = d->par[i];
			}
	}
	free(stack);
}

static int v_is_ancestor(void *ctx, const char *a, const char *b)
{
	struct kb_sim *s = ctx;
	size_t ia, ib;
	uint8_t *mark;
	int r;

	if ((r = lookup(s, a, &ia)) < 0 || (r = lookup(s, b, &ib)) < 0)
		return r;
	if (ia == SIZE_MAX)
		return 1;
	if (ib == SIZE_MAX)
		return 0;
	mark = kb_xcalloc(s->dag->n, 1);
	ancestors(s->dag, ib, mark);
	r = mark[ia];
	free(mark);
	return r;
}

static int v_load_range(void *ctx, const char *bad, const char *const *goods, size_t ngoods,
			struct kb_dag **ret)
{
	struct kb_sim *s = ctx;
	const struct kb_dag *d = s->dag;
	uint8_t *in, *out;
	struct kb_buf text = KB_BUF_INIT;
	size_t ib, ig, listed = 0;
	int r;

	r = lookup(s, bad, &ib);
	if (r < 0)
		return r;
	if (ib == SIZE_MAX)
		return kb_error_set(-EINVAL, "empty commit range %s", bad);
	in = kb_xcalloc(d->n, 1);
	out = kb_xcalloc(d->n, 1);
	ancestors(d, ib, in);
	for (size_t k = 0; k < ngoods; k++) {
		r = lookup(s, goods[k], &ig);
		if (r < 0)
			goto done;
		if (ig != SIZE_MAX)
			ancestors(d, ig, out);
	}
	for (size_t j = d->n; j-- > 0;) {
		if (!in[j] || out[j])
			continue;
		listed++;
		add_line(&text, (long long)d->date[j], d->hash[j]);
		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1]; i++)
			kb_buf_addf(&text, " %s", d->hash[d->par[i]]);
		if (d->nparents_total[j] > nparents_in(d, j))
			kb_buf_addf(&text, " %s", s->good);
		kb_buf_addch(&text, '\n');
	}
	if (!listed)
		r = kb_error_set(-EINVAL, "empty commit range %s", bad);
	else
		r = kb_dag_parse(text.buf, text.len, d->hash[ib], ret);
done:
	kb_buf_release(&text);
	free(in);
	free(out);
	return r;
}

static int v_commit_info(void *ctx, const char *hash, struct kb_git_commit *ret)
{
	struct kb_sim *s = ctx;
	const struct kb_dag *d = s->dag;
	size_t j;
	int r = lookup(s, hash, &j);

	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->hash, hash, KB_HASH_HEX + 1);
	memset(ret->tree, '0', KB_HASH_HEX);
	ret->author.name = kb_xstrdup("Sim Author");
	ret->author.email = kb_xstrdup("author@sim.example");
	ret->committer.name = kb_xstrdup("Sim Committer");
	ret->committer.email = kb_xstrdup("committer@sim.example");
	if (j == SIZE_MAX) {
		ret->subject = kb_xstrdup("simulated good end");
		ret->author_date = ret->committer_date = DATE_BASE - 60;
	} else {
		size_t np = d->nparents_total[j];
		size_t k = 0;

		ret->parents = kb_xcalloc(np ? np : 1, sizeof(*ret->parents));
		for (uint32_t i = d->par_off[j]; i < d->par_off[j + 1]; i++)
			memcpy(ret->parents[k++], d->hash[d->par[i]], KB_HASH_HEX + 1);
		if (k < np)
			memcpy(ret->parents[k++], s->good, KB_HASH_HEX + 1);
		ret->nparents = k;
		ret->subject = k > 1 ? kb_xasprintf("Merge branch 'topic-%zu'", j) :
				       kb_xasprintf("sim: change %zu", j);
		ret->author_date = ret->committer_date = d->date ? d->date[j] : DATE_BASE;
	}
	ret->body = kb_xasprintf("%s\n\nSigned-off-by: Sim Author <author@sim.example>\n",
				 ret->subject);
	return 0;
}

static int v_show_culprit(void *ctx, const char *hash, struct kb_buf *out)
{
	struct kb_git_commit c;
	int r = v_commit_info(ctx, hash, &c);

	if (r < 0)
		return r;
	kb_buf_addf(out, "commit %s\nAuthor: %s <%s>\nDate:   %lld\n\n    %s\n\n", c.hash,
		    c.author.name, c.author.email, (long long)c.author_date, c.subject);
	kb_buf_addstr(
		out, " drivers/sim/sim.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n");
	kb_git_commit_release(&c);
	return 0;
}

/* Tags on proper ancestors of @hash matching @glob, newest first. */
static int v_release_tags(void *ctx, const char *hash, const char *glob, char ***ret, size_t *n)
{
	struct kb_sim *s = ctx;
	uint8_t *anc;
	size_t j;
	int r = lookup(s, hash, &j);

	if (r < 0)
		return r;
	*ret = kb_xcalloc(s->ntags + 1, sizeof(**ret));
	*n = 0;
	if (j == SIZE_MAX)
		return 0;
	anc = kb_xcalloc(s->dag->n, 1);
	ancestors(s->dag, j, anc);
	for (size_t k = s->ntags; k-- > 0;) {
		size_t t = s->tags[k];
		char *name = kb_xasprintf("v1.%zu", k);

		if ((t == SIZE_MAX || (anc[t] && t != j)) && (!glob || fnmatch(glob, name, 0) == 0))
			(*ret)[(*n)++] = name;
		else
			free(name);
	}
	free(anc);
	return 0;
}

static int v_release_tag_at(void *ctx, const char *hash, const char *glob, char **ret)
{
	struct kb_sim *s = ctx;
	size_t j;
	int r = lookup(s, hash, &j);

	*ret = NULL;
	if (r < 0)
		return r;
	for (size_t k = s->ntags; k-- > 0;) {
		char *name;

		if (s->tags[k] != j)
			continue;
		name = kb_xasprintf("v1.%zu", k);
		if (!glob || fnmatch(glob, name, 0) == 0) {
			*ret = name;
			return 0;
		}
		free(name);
	}
	return 0;
}

void kb_sim_vcs(struct kb_sim *s, struct kb_vcs *ret)
{
	*ret = (struct kb_vcs){
		.ctx = s,
		.rev_parse = v_rev_parse,
		.is_ancestor = v_is_ancestor,
		.load_range = v_load_range,
		.commit_info = v_commit_info,
		.show_culprit = v_show_culprit,
		.release_tags = v_release_tags,
		.release_tag_at = v_release_tag_at,
	};
}

/* ---- running the engine ------------------------------------------------ */

int kb_sim_run(struct kb_sim *s, const struct kb_sim_trial *t, struct kb_result *res)
{
	struct kb_engine_params ep = { 0 };
	struct kb_backend be;
	struct kb_vcs vcs;
	struct kb_config *cfg = NULL;
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *json = NULL;
	int r;

	kb_result_init(res);
	if (t->workdir) {
		r = kb_mkdir_p(t->workdir, 0755);
		if (r < 0)
			return r;
	}
	/* "repo" must name a directory; the vcs is ours, so any will do */
	dir = kb_xstrdup(t->workdir ? t->workdir : "/");
	json = kb_xasprintf(
		"{\"repo\": \"%s\", \"bad\": \"%s\"%s%s%s,"
		" \"build\": {\"command\": \"true\", \"slots\": %u},"
		" \"test\": {\"command\": \"true\", \"runs\": %u, \"parallel\": %u%s},"
		" \"strategy\": \"%s\", \"confidence\": %.6f}",
		dir, kb_sim_bad(s), t->no_good ? "" : ", \"good\": \"",
		t->no_good ? "" : kb_sim_good(s), t->no_good ? "" : "\"",
		t->build_slots ? t->build_slots : 1, t->runs ? t->runs : 10,
		t->parallel ? t->parallel : 1, t->no_runs_ahead ? ", \"runs_ahead\": false" : "",
		kb_strategy_name(t->strategy), t->confidence > 0 ? t->confidence : 0.99);
	r = kb_config_parse(json, strlen(json), "sim.json", NULL, &cfg);
	if (r < 0)
		goto out;
	kb_sim_backend(s, &be);
	/* 0: a machine whose builds cannot overlap tests (the local backend's case) */
	be.build_slots = t->build_slots;
	kb_sim_vcs(s, &vcs);
	ep.cfg = cfg;
	ep.workdir = t->workdir ? t->workdir : "(memory)";
	ep.memory_journal = !t->workdir;
	ep.strategy = t->strategy;
	ep.backend = &be;
	ep.vcs = &vcs;
	ep.virtual_time = !t->real_clock;
	ep.max_seconds = t->max_seconds;
	ep.emit = t->emit;
	ep.emit_ctx = t->emit_ctx;
	ep.progress = t->progress;
	ep.progress_ctx = t->progress_ctx;
	r = kb_engine_run(&ep, res);
out:
	kb_config_free(cfg);
	return r;
}
