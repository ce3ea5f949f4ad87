// SPDX-License-Identifier: Apache-2.0
/*
 * bench-strategy: the real engine (kb_engine_run) on simulated histories,
 * default strategy ("bayes") against "reference", on the same worlds.
 *
 * A scenario class is a history shape and size, the reproducer's rates
 * (p1 on bad commits, p0 = the same title on good ones, other crashes on
 * old commits, boot failures), broken-build ranges, 30% noop commits, and
 * the machine (V VMs per batch, 6 min builds, 9 min batches, 12 h cap).
 * Each trial draws a world (graph, culprit, outcomes) from its seed; both
 * strategies see the same worlds.
 *
 *   bench-strategy [--trials N] [--seed S] [--jobs J] [--quick] [--only SUBSTR]
 *                  [--revlist FILE]... [--json FILE] [--markdown FILE --svg FILE]
 *                  [--check] [--slots B] [--cap HOURS] [--no-runs-ahead]
 *
 * Prints a table; --json writes one object per class and strategy;
 * --markdown/--svg write docs/benchmarks.md and its plot (text after the
 * "end of generated part" marker of an existing file is kept); --check
 * asserts the goals of docs/benchmarks.md and exits 1 when one fails.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bisect/sim.h"
#include "util/error.h"
#include "util/fs.h"

#define END_MARK "<!-- end of generated part: text below is kept by bench-strategy -->"

struct klass {
	enum kb_sim_shape shape;
	size_t n;
	unsigned vms;
	double p1, p0, other, boot, broken;
	unsigned tag_every; /* release tags every this many commits; with no good end */
	const char *file; /* KB_SIM_FILE: path of the rev-list text */
	const char *group; /* table section / plot series */
};

struct stats {
	unsigned trials, right, wrong, inconclusive, errors;
	size_t range; /* commits in the range (of the last world) */
	unsigned conf99, conf99_right;
	double builds, runs;
	double *wall; /* hours, one per trial */
};

struct job {
	const struct klass *k;
	enum kb_strategy strategy;
	unsigned trials;
	uint64_t seed;
	const char *revlist;
	size_t revlist_len;
	struct stats st;
	int err;
};

static unsigned opt_trials = 0, opt_jobs = 1; /* trials default: 200, --quick 150 */
/* build.slots of the default strategy (the reference builds one at a time, between tests) */
static unsigned opt_slots = 1;
/* the reference's 12 h cap; --cap H measures what a shorter budget buys */
static double opt_cap = 12.0;
/* no runs ahead of need on idle VMs (what they buy: run with and without) */
static bool opt_no_ahead;
static uint64_t opt_seed = 1;
static bool opt_explain, opt_trace;

static const char *strategy_label(enum kb_strategy s)
{
	return s == KB_STRATEGY_REFERENCE ? "reference" : "default";
}

static void emit_to_buf(void *ctx, const char *text, size_t len)
{
	kb_buf_add(ctx, text, len);
}

static uint64_t trial_seed(uint64_t base, size_t klass, unsigned trial)
{
	uint64_t x = base * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)klass << 40) ^ trial;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static void sim_params(const struct job *j, uint64_t seed, struct kb_sim_params *p)
{
	kb_sim_params_default(p);
	p->shape = j->k->shape;
	p->n = j->k->n;
	p->revlist = j->revlist;
	p->revlist_len = j->revlist_len;
	p->seed = seed;
	p->p1 = j->k->p1;
	p->p0 = j->k->p0;
	p->other = j->k->other;
	p->boot_fail = j->k->boot;
	p->broken = j->k->broken;
	p->vms = j->k->vms;
	p->tag_every = j->k->tag_every;
	/*
	 * 12 h cap: the engine stops searching once its wall time is spent
	 * (the step under way finishes).  The simulator counts builds and
	 * batches as if nothing overlapped, so its refusal is only a safety
	 * net, far beyond what overlapping builds can add.  Either way the
	 * trial counts as a timeout.
	 */
	p->max_seconds = 3 * opt_cap * 3600;
}

static int one_trial(struct job *j, uint64_t seed)
{
	struct kb_sim_params sp;
	struct kb_sim_trial t = { .strategy = j->strategy,
				  .runs = 2 * j->k->vms,
				  .parallel = j->k->vms,
				  .build_slots = opt_slots,
				  .no_runs_ahead = opt_no_ahead,
				  .confidence = 0.99,
				  .no_good = j->k->tag_every > 0,
				  .max_seconds = opt_cap * 3600 };
	struct kb_sim *s = NULL;
	struct kb_result res;
	struct kb_buf log = KB_BUF_INIT;
	double hours;
	int r;

	sim_params(j, seed, &sp);
	r = kb_sim_new(&sp, &s);
	if (r < 0)
		return r;
	if (opt_explain) { /* --trace sets it too */
		t.emit = emit_to_buf;
		t.emit_ctx = &log;
	}
	r = kb_sim_run(s, &t, &res);
	hours = res.total_seconds / 3600;
	if (kb_sim_exhausted(s) || hours > opt_cap) {
		/* the cap stops the bisection: no answer, 12 h spent */
		j->st.inconclusive++;
		hours = opt_cap;
		if (opt_explain && j->strategy == KB_STRATEGY_BAYES)
			fprintf(stderr, "==== cut at %g h: seed %llu, culprit %s\n%s\n", opt_cap,
				(unsigned long long)seed, kb_sim_culprit_hash(s), log.buf);
	} else if (r < 0) {
		j->st.errors++;
		fprintf(stderr, "bench-strategy: seed %llu: %s\n", (unsigned long long)seed,
			kb_error_last());
	} else if (res.verdict == KB_RESULT_CULPRIT) {
		bool right = !strcmp(res.culprit, kb_sim_culprit_hash(s));

		if (right) {
			j->st.right++;
			if (opt_trace && j->strategy == KB_STRATEGY_BAYES)
				fprintf(stderr, "==== right: seed %llu\n%s\n",
					(unsigned long long)seed, log.buf);
		} else {
			j->st.wrong++;
			if (opt_explain)
				fprintf(stderr, "==== wrong: %s seed %llu, culprit %s\n%s\n",
					strategy_label(j->strategy), (unsigned long long)seed,
					kb_sim_culprit_hash(s), log.buf);
		}
		if (res.confidence >= 0.99) {
			j->st.conf99++;
			j->st.conf99_right += right;
		}
	} else {
		j->st.inconclusive++;
		if (opt_explain && j->strategy == KB_STRATEGY_BAYES)
			fprintf(stderr, "==== inconclusive: seed %llu, culprit %s\n%s\n",
				(unsigned long long)seed, kb_sim_culprit_hash(s), log.buf);
	}
	j->st.range = kb_sim_dag(s)->n;
	j->st.builds += res.builds;
	j->st.runs += res.runs;
	j->st.wall[j->st.trials++] = hours;
	kb_result_clear(&res);
	kb_buf_release(&log);
	kb_sim_free(s);
	return 0;
}

static void *run_job(void *arg)
{
	struct job *j = arg;

	j->st.wall = kb_xcalloc(j->trials, sizeof(double));
	for (unsigned i = 0; i < j->trials && !j->err; i++)
		j->err = one_trial(j, trial_seed(j->seed, 0, i));
	return NULL;
}

/* ---- the scenario classes ---------------------------------------------- */

#define LIN(n_, v_, p1_, p0_, oth_, boot_, br_, g_)                                       \
	{                                                                                 \
		.shape = KB_SIM_LINEAR, .n = (n_), .vms = (v_), .p1 = (p1_), .p0 = (p0_), \
		.other = (oth_), .boot = (boot_), .broken = (br_), .group = (g_)          \
	}
#define KRN(n_, v_, p1_, p0_, oth_, boot_, br_, g_)                                       \
	{                                                                                 \
		.shape = KB_SIM_KERNEL, .n = (n_), .vms = (v_), .p1 = (p1_), .p0 = (p0_), \
		.other = (oth_), .boot = (boot_), .broken = (br_), .group = (g_)          \
	}

static const struct klass full_classes[] = {
	/* the p1 sweep (plotted) */
	LIN(1000, 10, 1.0, 0, 0, 0, 0, "p1"),
	LIN(1000, 10, 0.8, 0, 0, 0, 0, "p1"),
	LIN(1000, 10, 0.5, 0, 0, 0, 0, "p1"),
	LIN(1000, 10, 0.3, 0, 0, 0, 0, "p1"),
	LIN(1000, 10, 0.1, 0, 0, 0, 0, "p1"),
	LIN(1000, 10, 0.05, 0, 0, 0, 0, "p1"),
	/* the same title on good commits */
	LIN(1000, 10, 0.8, 0.01, 0, 0, 0, "p0"),
	LIN(1000, 10, 0.5, 0.01, 0, 0, 0, "p0"),
	LIN(1000, 10, 0.3, 0.01, 0, 0, 0, "p0"),
	LIN(1000, 10, 0.1, 0.01, 0, 0, 0, "p0"),
	/* other crashes on old commits */
	LIN(1000, 10, 0.8, 0, 0.1, 0, 0, "other"),
	LIN(1000, 10, 0.5, 0, 0.1, 0, 0, "other"),
	LIN(1000, 10, 0.8, 0, 0.3, 0, 0, "other"),
	LIN(1000, 10, 0.5, 0, 0.3, 0, 0, "other"),
	LIN(1000, 10, 0.3, 0, 0.3, 0, 0, "other"),
	/* boot failures, broken builds */
	LIN(1000, 10, 0.5, 0, 0, 0.05, 0, "infra"),
	LIN(1000, 10, 0.5, 0, 0, 0, 0.05, "infra"),
	/* range sizes and shapes */
	LIN(100, 10, 0.5, 0, 0, 0, 0, "shape"),
	LIN(10000, 10, 0.5, 0, 0, 0, 0, "shape"),
	KRN(1000, 10, 0.5, 0, 0, 0, 0, "shape"),
	KRN(10000, 10, 1.0, 0, 0, 0, 0, "shape"),
	KRN(10000, 10, 0.5, 0, 0, 0, 0, "shape"),
	KRN(10000, 10, 0.3, 0.01, 0.3, 0.05, 0, "shape"),
	{ .shape = KB_SIM_GITHUB, .n = 1000, .vms = 10, .p1 = 0.5, .group = "shape" },
	/* no good end: the release walk first (tags every 2000 mainline commits) */
	{ .shape = KB_SIM_KERNEL,
	  .n = 10000,
	  .vms = 10,
	  .p1 = 0.5,
	  .tag_every = 2000,
	  .group = "release" },
	{ .shape = KB_SIM_KERNEL,
	  .n = 10000,
	  .vms = 10,
	  .p1 = 0.3,
	  .other = 0.3,
	  .tag_every = 2000,
	  .group = "release" },
	/* 20 VMs */
	LIN(1000, 20, 0.5, 0, 0, 0, 0, "vms"),
	LIN(1000, 20, 0.1, 0, 0, 0, 0, "vms"),
};

/*
 * make check (--quick --check): classes where the reference degrades, so
 * the default must be right far more often (by >= 3 standard errors), with
 * the rate and cost goals checked as well.
 */
static const struct klass quick_classes[] = {
	LIN(1000, 10, 0.8, 0, 0.3, 0, 0, "quick"),
	LIN(1000, 10, 0.5, 0.01, 0, 0, 0, "quick"),
	KRN(1000, 10, 0.3, 0, 0.3, 0.05, 0, "quick"),
};

/* ---- output ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double mean_of(const double *v, unsigned n)
{
	double s = 0;

	for (unsigned i = 0; i < n; i++)
		s += v[i];
	return n ? s / n : 0;
}

/* 90th percentile (nearest rank); sorts @v */
static double p90_of(double *v, unsigned n)
{
	size_t k;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(0.9 * n);
	return v[k ? k - 1 : 0];
}

static double rate(unsigned x, unsigned n)
{
	return n ? (double)x / n : 0;
}

static void class_name(const struct klass *k, char *out, size_t len)
{
	if (k->file) {
		const char *base = strrchr(k->file, '/');

		snprintf(out, len, "file:%s V%u p1=%g", base ? base + 1 : k->file, k->vms, k->p1);
		return;
	}
	snprintf(out, len, "%s %zu V%u p1=%g p0=%g other=%g%s%s%s", kb_sim_shape_name(k->shape),
		 k->n, k->vms, k->p1, k->p0, k->other, k->boot > 0 ? " boot=0.05" : "",
		 k->broken > 0 ? " broken=0.05" : "", k->tag_every ? " releases" : "");
}

struct row {
	const struct job *j;
	double mean_wall, p90_wall;
};

static void print_table(FILE *f, const struct row *rows, size_t n, bool markdown)
{
	if (markdown)
		fprintf(f,
			"| class | strategy | trials | right | wrong | inconcl. | builds | VM-runs | wall h (mean) | wall h (p90) | calibrated (n) |\n"
			"|---|---|---|---|---|---|---|---|---|---|---|\n");
	else
		fprintf(f, "%-46s %-9s %6s %6s %6s %6s %7s %7s %6s %6s %s\n", "class", "strategy",
			"trials", "right", "wrong", "inconc", "builds", "runs", "wall", "p90",
			"calibrated");
	for (size_t i = 0; i < n; i++) {
		const struct job *j = rows[i].j;
		const struct stats *st = &j->st;
		char name[128], cal[32];

		class_name(j->k, name, sizeof(name));
		if (st->conf99)
			snprintf(cal, sizeof(cal), "%.3f (%u)", rate(st->conf99_right, st->conf99),
				 st->conf99);
		else
			snprintf(cal, sizeof(cal), "- (0)");
		if (markdown)
			fprintf(f,
				"| %s | %s | %u | %.3f | %.3f | %.3f | %.1f | %.1f | %.2f | %.2f | %s |\n",
				name, strategy_label(j->strategy), st->trials,
				rate(st->right, st->trials), rate(st->wrong, st->trials),
				rate(st->inconclusive + st->errors, st->trials),
				st->builds / st->trials, st->runs / st->trials, rows[i].mean_wall,
				rows[i].p90_wall, cal);
		else
			fprintf(f, "%-46s %-9s %6u %6.3f %6.3f %6.3f %7.1f %7.1f %6.2f %6.2f %s\n",
				name, strategy_label(j->strategy), st->trials,
				rate(st->right, st->trials), rate(st->wrong, st->trials),
				rate(st->inconclusive + st->errors, st->trials),
				st->builds / st->trials, st->runs / st->trials, rows[i].mean_wall,
				rows[i].p90_wall, cal);
	}
}

static int write_json(const char *path, const struct row *rows, size_t n)
{
	json_t *a = json_array();
	char *text;
	int r;

	for (size_t i = 0; i < n; i++) {
		const struct job *j = rows[i].j;
		const struct stats *st = &j->st;
		json_t *o = json_pack(
			"{s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:s,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f}",
			"shape", kb_sim_shape_name(j->k->shape), "range", (json_int_t)st->range,
			"vms", (json_int_t)j->k->vms, "p1", j->k->p1, "p0", j->k->p0, "other",
			j->k->other, "boot", j->k->boot, "broken", j->k->broken, "strategy",
			strategy_label(j->strategy), "trials", (json_int_t)st->trials, "right",
			rate(st->right, st->trials), "wrong", rate(st->wrong, st->trials),
			"inconclusive", rate(st->inconclusive + st->errors, st->trials),
			"mean_builds", st->builds / st->trials, "mean_runs", st->runs / st->trials,
			"mean_wall_h", rows[i].mean_wall, "p90_wall_h", rows[i].p90_wall);

		json_object_set_new(o, "calibrated",
				    st->conf99 ? json_real(rate(st->conf99_right, st->conf99)) :
						 json_null());
		json_object_set_new(o, "calibrated_n", json_integer(st->conf99));
		if (j->k->file)
			json_object_set_new(o, "file", json_string(j->k->file));
		json_array_append_new(a, o);
	}
	text = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	r = kb_write_file(path, text, strlen(text));
	free(text);
	return r;
}

/* Accuracy and wall time against p1 for the "p1" group, both strategies. */
static int write_svg(const char *path, const struct row *rows, size_t n)
{
	struct kb_buf b = KB_BUF_INIT;
	const double W = 360, H = 240, L = 50, T = 30, PW = 280, PH = 170;
	const char *color[2] = { "#1f77b4", "#d62728" };
	struct kb_buf dots = KB_BUF_INIT;
	int r;

	kb_buf_addf(
		&b,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n",
		2 * W, H + 40);
	kb_buf_addstr(&b, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
	for (int panel = 0; panel < 2; panel++) {
		double x0 = panel * W + L, ymax = panel ? opt_cap : 1.0;

		kb_buf_addf(&b, "<text x=\"%.0f\" y=\"18\">%s</text>\n", x0,
			    panel ? "wall time, mean hours (linear 1000, V=10)" :
				    "right answers (linear 1000, V=10)");
		kb_buf_addf(
			&b,
			"<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n",
			x0, T, PW, PH);
		for (int k = 0; k <= 4; k++) {
			double y = T + PH - PH * k / 4.0;

			kb_buf_addf(&b,
				    "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%g</text>\n",
				    x0 - 4, y + 4, ymax * k / 4.0);
		}
		for (int k = 0; k <= 10; k += 2)
			kb_buf_addf(
				&b,
				"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n",
				x0 + PW * k / 10.0, T + PH + 14, k / 10.0);
		kb_buf_addf(&b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">p1</text>\n",
			    x0 + PW / 2, T + PH + 28);
		for (int s = 0; s < 2; s++) {
			enum kb_strategy want = s ? KB_STRATEGY_REFERENCE : KB_STRATEGY_BAYES;
			bool first = true;

			kb_buf_addf(
				&b,
				"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
				color[s]);
			for (size_t i = n; i-- > 0;) {
				const struct job *j = rows[i].j;
				double v, x, y;

				if (strcmp(j->k->group, "p1") || j->strategy != want)
					continue;
				v = panel ? rows[i].mean_wall : rate(j->st.right, j->st.trials);
				x = x0 + PW * j->k->p1;
				y = T + PH - PH * KB_MIN(v, ymax) / ymax;
				kb_buf_addf(&b, "%s%.1f,%.1f", first ? "" : " ", x, y);
				kb_buf_addf(
					&dots,
					"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
					x, y, color[s]);
				first = false;
			}
			kb_buf_addstr(&b, "\"/>\n");
			kb_buf_add(&b, dots.buf, dots.len);
			kb_buf_reset(&dots);
			/* the legend under the plot, where no line goes */
			kb_buf_addf(&b, "<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">%s</text>\n",
				    x0 + 140 * s, T + PH + 46, color[s],
				    s ? "reference" : "default (bayes)");
		}
	}
	kb_buf_addstr(&b, "</svg>\n");
	r = kb_write_file(path, b.buf, b.len);
	kb_buf_release(&b);
	kb_buf_release(&dots);
	return r;
}

static int write_markdown(const char *path, const char *svg, const struct row *rows, size_t n,
			  const char *cmdline, const char *goals)
{
	struct kb_buf old = KB_BUF_INIT, b = KB_BUF_INIT;
	const char *kept = NULL, *base = strrchr(svg, '/');
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (kb_path_exists(path) && kb_read_file(path, &old) == 0)
		kept = strstr(old.buf, END_MARK);
	f = open_memstream(&text, &len);
	if (!f) {
		kb_buf_release(&old);
		return kb_error_set(-errno, "open_memstream: %s", strerror(errno));
	}
	fprintf(f,
		"# Strategy benchmark: default (bayes) vs reference\n\n"
		"Generated by `%s` (bench/strategy.c): the real engine on the simulated\n"
		"backend (lib/bisect/sim.c), both strategies on the same worlds.  Builds take\n"
		"6 min, a batch of up to V parallel runs 9 min, runs beyond %g h are cut (the\n"
		"trial counts as inconclusive with %g h of wall time).  30%% of commits build to\n"
		"their parent's binary.  Right/wrong/inconclusive are shares of the trials;\n"
		"builds and VM-runs are means per trial; \"calibrated\" is the share of right\n"
		"answers among those reported with confidence >= 0.99 (their number in\n"
		"brackets).  The classes and the simulator's model are in bench/strategy.c and\n"
		"lib/bisect/sim.h.  The default strategy has %u build slot%s beside the VMs\n"
		"(build.slots: it builds the next candidates while a commit is tested, the\n"
		"builds count in its column)%s; the reference builds one commit at a time\n"
		"between tests, as the reference system does.\n\n",
		cmdline, opt_cap, opt_cap, opt_slots, opt_slots == 1 ? "" : "s",
		opt_no_ahead ? ", without runs ahead of need" :
			       ", and starts runs of them on VMs a step leaves idle\n"
			       "(runs ahead of need, counted in its VM-runs)");
	print_table(f, rows, n, true);
	fprintf(f, "\n![accuracy and wall time against p1](%s)\n\n", base ? base + 1 : svg);
	fprintf(f, "### Goal check\n\n%s\n", goals);
	fputs(kept ? kept : END_MARK "\n", f);
	fclose(f);
	kb_buf_add(&b, text, len);
	free(text);
	r = kb_write_file(path, b.buf, b.len);
	kb_buf_release(&b);
	kb_buf_release(&old);
	return r;
}

/* ---- goals ------------------------------------------------------------- */

/* P(X >= k) for X ~ Binomial(n, p) */
static double binom_tail(unsigned k, unsigned n, double p)
{
	double sum = 0;

	if (k == 0)
		return 1;
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	for (unsigned x = k; x <= n; x++)
		sum += exp(lgamma(n + 1.0) - lgamma(x + 1.0) - lgamma(n - x + 1.0) + x * log(p) +
			   (n - x) * log1p(-p));
	return KB_MIN(sum, 1.0);
}

/* "bad/n <= goal" is contradicted by the data at the 0.1% level */
static bool rate_above(unsigned bad, unsigned n, double goal)
{
	return n && binom_tail(bad, n, goal) < 0.001;
}

/* z of the difference of two proportions (x/n - y/m), pooled standard error */
static double z_diff(unsigned x, unsigned n, unsigned y, unsigned m)
{
	double p = (double)(x + y) / (n + m), se = sqrt(p * (1 - p) * (1.0 / n + 1.0 / m));

	return se > 0 ? ((double)x / n - (double)y / m) / se : 0;
}

/*
 * The goals of issue 5, per class against the reference of the same worlds.
 * Rate goals (wrong <= 1%, right >= 99% / 90%, calibration >= 99%) fail
 * when the trials contradict them at the 0.1% level, so a strategy that
 * meets them does not fail by bad luck.  "Never below the reference" fails
 * when the default is below by more than 2 standard errors.  With @superior
 * (the --quick classes, chosen where the reference degrades) the default
 * must beat the reference by at least 3 standard errors: that cannot pass
 * by luck (about 0.1% if they were equal).  The wall-time goals need the
 * overlapping scheduler (docs/scheduler.md): they are reported, and only
 * count with @strict.
 */
static int check_goals(FILE *out, const struct row *rows, size_t n, bool superior, bool strict)
{
	int fails = 0, pending = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		const struct job *d = rows[i].j, *ref = rows[i + 1].j;
		const struct stats *a = &d->st, *b = &ref->st;
		unsigned na = a->trials, nb = b->trials;
		double z = z_diff(a->right, na, b->right, nb);
		char name[128];

		class_name(d->k, name, sizeof(name));
#define REPORT(counter, what, ...)                      \
	do {                                            \
		fprintf(out, "- %s: %s: ", what, name); \
		fprintf(out, __VA_ARGS__);              \
		fputc('\n', out);                       \
		counter++;                              \
	} while (0)
#define FAIL(...) REPORT(fails, "goal failed", __VA_ARGS__)
		if (d->k->broken > 0)
			continue; /* an untestable culprit has no right answer */
		if (rate_above(a->wrong, na, 0.01))
			FAIL("wrong %u of %u, above 1%%", a->wrong, na);
		if (d->k->p1 >= 0.3 && d->k->p0 == 0 && rate_above(na - a->right, na, 0.01))
			FAIL("right %u of %u, below 99%%", a->right, na);
		if (d->k->p1 >= 0.1 && d->k->p1 < 0.3 && d->k->p0 == 0 &&
		    rate_above(na - a->right, na, 0.10))
			FAIL("right %u of %u, below 90%%", a->right, na);
		if (z < -2)
			FAIL("right %.3f below the reference's %.3f (z = %.1f)", rate(a->right, na),
			     rate(b->right, nb), z);
		if (superior && z < 3)
			FAIL("right %.3f not clearly above the reference's %.3f (z = %.1f < 3)",
			     rate(a->right, na), rate(b->right, nb), z);
		if (a->conf99 && rate_above(a->conf99 - a->conf99_right, a->conf99, 0.01))
			FAIL("calibration: %u of %u answers with confidence >= 0.99 right",
			     a->conf99_right, a->conf99);
		if (d->k->p1 >= 0.5 && a->runs > b->runs)
			FAIL("%.1f VM-runs > reference %.1f", a->runs / na, b->runs / nb);
		if (d->k->p1 >= 0.5 && rows[i].mean_wall > 0.5 * rows[i + 1].mean_wall) {
			if (strict)
				FAIL("wall %.2f h > half the reference's %.2f h", rows[i].mean_wall,
				     rows[i + 1].mean_wall);
			else
				REPORT(pending, "not met (wall time; fails only with --strict)",
				       "wall %.2f h > half the reference's %.2f h",
				       rows[i].mean_wall, rows[i + 1].mean_wall);
		}
		if (d->k->p1 < 0.5 && rows[i].mean_wall > rows[i + 1].mean_wall) {
			if (strict)
				FAIL("wall %.2f h > the reference's %.2f h", rows[i].mean_wall,
				     rows[i + 1].mean_wall);
			else
				REPORT(pending, "not met (wall time; fails only with --strict)",
				       "wall %.2f h > the reference's %.2f h", rows[i].mean_wall,
				       rows[i + 1].mean_wall);
		}
#undef FAIL
#undef REPORT
	}
	fprintf(out, "\ngoals: %d failed, %d pending\n", fails, pending);
	return fails;
}

/* ---- main -------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-strategy [--trials N] [--seed S] [--jobs J] [--quick] [--only SUBSTR]\n"
		"                      [--revlist FILE]... [--json FILE] [--markdown FILE] [--svg FILE] [--check]\n"
		"                      [--strict] [--explain] [--trace] [--slots B] [--cap HOURS]\n"
		"                      [--no-runs-ahead]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trials", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "revlist", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'J' },
		{ "markdown", required_argument, NULL, 'm' },
		{ "svg", required_argument, NULL, 'g' },
		{ "check", no_argument, NULL, 'c' },
		{ "explain", no_argument, NULL, 'x' },
		{ "trace", no_argument, NULL, 'T' },
		{ "strict", no_argument, NULL, 'S' },
		{ "slots", required_argument, NULL, 'B' },
		{ "cap", required_argument, NULL, 'C' },
		{ "no-runs-ahead", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL, *md = NULL, *svg = NULL, *only = NULL;
	const char *files[8];
	struct kb_buf texts[8];
	size_t nfiles = 0, nk = 0, nj;
	bool quick = false, check = false, strict = false;
	struct klass *ks;
	struct job *jobs;
	struct row *rows;
	struct kb_buf cmd = KB_BUF_INIT;
	int c, fails = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt_trials = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			opt_seed = strtoull(optarg, NULL, 10);
			break;
		case 'j':
			opt_jobs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'q':
			quick = true;
			break;
		case 'o':
			only = optarg;
			break;
		case 'r':
			if (nfiles == KB_ARRAY_SIZE(files)) {
				fprintf(stderr, "bench-strategy: at most %zu --revlist files\n",
					KB_ARRAY_SIZE(files));
				return 2;
			}
			files[nfiles++] = optarg;
			break;
		case 'J':
			json = optarg;
			break;
		case 'm':
			md = optarg;
			break;
		case 'g':
			svg = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'T':
			opt_trace = opt_explain = true;
			break;
		case 'x':
			opt_explain = true;
			break;
		case 'S':
			strict = true;
			break;
		case 'B':
			opt_slots = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'C':
			opt_cap = strtod(optarg, NULL);
			break;
		case 'N':
			opt_no_ahead = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!opt_trials)
		opt_trials = quick ? 150 : 200;
	if (optind < argc || !opt_jobs || !opt_slots || !(opt_cap > 0) || (md && !svg)) {
		usage();
		return 2;
	}
	kb_buf_addstr(&cmd, "bench-strategy");
	for (int i = 1; i < argc; i++)
		kb_buf_addf(&cmd, " %s", argv[i]);

	{
		const struct klass *src = quick ? quick_classes : full_classes;
		size_t ns = quick ? KB_ARRAY_SIZE(quick_classes) : KB_ARRAY_SIZE(full_classes);

		ks = kb_xcalloc(ns + nfiles, sizeof(*ks));
		for (size_t i = 0; i < ns; i++) {
			char name[128];

			class_name(&src[i], name, sizeof(name));
			if (!only || strstr(name, only))
				ks[nk++] = src[i];
		}
	}
	for (size_t i = 0; i < nfiles; i++) {
		texts[i] = (struct kb_buf)KB_BUF_INIT;
		if (kb_read_file(files[i], &texts[i]) < 0) {
			fprintf(stderr, "bench-strategy: %s\n", kb_error_last());
			return 1;
		}
		ks[nk++] = (struct klass){ .shape = KB_SIM_FILE,
					   .vms = 10,
					   .p1 = 0.5,
					   .file = files[i],
					   .group = "file" };
	}
	nj = 2 * nk;
	jobs = kb_xcalloc(nj, sizeof(*jobs));
	rows = kb_xcalloc(nj, sizeof(*rows));
	for (size_t i = 0; i < nj; i++) {
		struct job *j = &jobs[i];

		j->k = &ks[i / 2];
		j->strategy = i % 2 ? KB_STRATEGY_REFERENCE : KB_STRATEGY_BAYES;
		j->trials = opt_trials;
		/*
		 * Same worlds for both strategies of a class, and for the class
		 * whatever else runs (--only reproduces a line of the table).
		 */
		{
			char name[128];
			uint64_t h = 1469598103934665603ULL;

			class_name(j->k, name, sizeof(name));
			for (const char *q = name; *q; q++)
				h = (h ^ (unsigned char)*q) * 1099511628211ULL;
			j->seed = trial_seed(opt_seed, (size_t)(h & 0xffffff), 0xffff);
		}
		if (j->k->file) {
			size_t f = (size_t)(j->k - ks) - (nk - nfiles);

			j->revlist = texts[f].buf;
			j->revlist_len = texts[f].len;
		}
	}
	for (size_t i = 0; i < nj; i += opt_jobs) {
		pthread_t th[16];
		size_t m = KB_MIN((size_t)KB_MIN(opt_jobs, 16u), nj - i);

		for (size_t k = 0; k < m; k++)
			if (pthread_create(&th[k], NULL, run_job, &jobs[i + k]))
				run_job(&jobs[i + k]), th[k] = 0;
		for (size_t k = 0; k < m; k++)
			if (th[k])
				pthread_join(th[k], NULL);
		for (size_t k = 0; k < m; k++) {
			struct job *j = &jobs[i + k];

			if (j->err < 0) {
				fprintf(stderr, "bench-strategy: %s\n", kb_error_last());
				return 1;
			}
			rows[i + k].j = j;
			rows[i + k].mean_wall = mean_of(j->st.wall, j->st.trials);
			rows[i + k].p90_wall = p90_of(j->st.wall, j->st.trials);
		}
		fprintf(stderr, "bench-strategy: %zu/%zu\r", KB_MIN(i + m, nj), nj);
	}
	fputc('\n', stderr);
	print_table(stdout, rows, nj, false);
	if (json && write_json(json, rows, nj) < 0) {
		fprintf(stderr, "bench-strategy: %s\n", kb_error_last());
		return 1;
	}
	if (svg && write_svg(svg, rows, nj) < 0) {
		fprintf(stderr, "bench-strategy: %s\n", kb_error_last());
		return 1;
	}
	{
		char *goals = NULL;
		size_t glen = 0;
		FILE *g = open_memstream(&goals, &glen);

		if (!g) {
			perror("bench-strategy: open_memstream");
			return 1;
		}
		fails = check_goals(g, rows, nj, quick, strict);
		fclose(g);
		if (check)
			fputs(goals, stdout);
		else
			fails = 0;
		if (md && write_markdown(md, svg, rows, nj, cmd.buf, goals) < 0) {
			fprintf(stderr, "bench-strategy: %s\n", kb_error_last());
			free(goals);
			return 1;
		}
		free(goals);
	}
	for (size_t i = 0; i < nj; i++)
		free(jobs[i].st.wall);
	for (size_t i = 0; i < nfiles; i++)
		kb_buf_release(&texts[i]);
	free(jobs);
	free(rows);
	free(ks);
	kb_buf_release(&cmd);
	return fails ? 1 : 0;
}
