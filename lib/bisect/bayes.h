/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Posterior bisection over a commit DAG (docs/statistics.md has the model).
 *
 * Hypotheses: "commit k is the culprit" for every k in the range, and OUT
 * ("the good end is bad too": the crash predates the range).  Under k, a
 * commit j is bad iff k is an ancestor of j or k == j (written k <= j); under
 * OUT every commit in the range and the good end are bad.
 *
 * The good end is a pseudo-commit with index dag->n (KB_BAYES_GOOD_END()):
 * it can be observed, built and marked untestable like a real commit, and
 * hypothesis index dag->n is OUT.  Arrays of posteriors therefore have
 * dag->n + 1 entries.
 *
 * Observations: t target crashes out of r informative runs on a commit.
 * Other crashes, boot failures, infra errors and skips are not informative;
 * the caller drops them (and marks a commit untestable when nothing
 * informative can be had from it).  Per-run crash probabilities p1 (bad
 * commit) and p0 (target title on a good commit) are unknown and integrated
 * out under Beta priors, or fixed when configured.
 *
 * Thread safety: none; one object per bisection.  The DAG must outlive it.
 */
#ifndef KB_BISECT_BAYES_H
#define KB_BISECT_BAYES_H

#include "util/common.h"
#include "vcs/dag.h"

struct kb_bayes;

struct kb_bayes_params {
	/* Beta prior of p1, the crash rate of bad commits (Jeffreys: 0.5, 0.5) */
	double alpha1, beta1;
	/*
	 * Beta prior of p0, the target-crash rate of good commits (mean ~0.01).
	 * Keep it concentrated: with a vague prior, "good with a high p0" and
	 * "bad with a low p1" explain the same data.
	 */
	double alpha0, beta0;
	/* fixed rates instead of the priors when >= 0 (tests, known leak rates) */
	double p1_fixed, p0_fixed;
	double prior_out; /* prior of OUT, e.g. 0.02 */
	double min_weight; /* prior weights below this are raised to it (see set_prior) */
	double confidence; /* stop when the best hypothesis reaches this */
	double min_gain; /* bits: no test gaining more means "nothing can change the answer" */
	/* cost model of choose_next: a build, and one batch of up to @vms parallel runs */
	double cost_build, cost_batch;
	/*
	 * cost of one run on top of its batch (VM usage).  0: a step always
	 * fills whole batches; > 0: fewer runs than @vms (1, 2, 4, ...) are
	 * proposed when they buy almost the same information.
	 */
	double cost_run;
	unsigned vms; /* runs in one batch (parallel VMs), >= 1 */
	unsigned max_batches; /* most batches proposed in one step, >= 1 */
	/* calibration of the bad end before anything else */
	unsigned calib_runs; /* first test of the bad end (20, like the reference) */
	unsigned calib_max_runs; /* give up ("does not reproduce") after this many, 0 crashes */
	unsigned calib_min_crashes; /* keep calibrating (up to calib_max_runs) until this many */
	/* most runs a parent of the named commit is asked for (see choose_next) */
	unsigned confirm_max_runs;
	/*
	 * Target crashes and informative runs seen on commits outside the
	 * DAG that are known to be bad (the bad commit the user gave and the
	 * bad releases, once a release walk made a release the bad end).
	 * Every bad commit crashes at the same rate p1, so they are evidence
	 * about p1 like the bad end's own runs: they are added to the Beta
	 * prior of p1 and count toward calibration (calib_*).
	 */
	unsigned known_bad_crashes, known_bad_runs;
};

/*
 * Defaults: Jeffreys p1, p0 ~ Beta(1, 99), OUT 0.02, min_weight 1e-6,
 * confidence 0.99, min_gain 1e-6 bits, build 6 x batch, 10 VMs, up to 4
 * batches per step, calibration 20 runs (then batches up to 100 runs until
 * 3 target crashes), confirm_max_runs 200, no known bad runs outside the DAG.
 */
void kb_bayes_params_default(struct kb_bayes_params *p);

/* The pseudo-commit index of the good end (and of hypothesis OUT). */
#define KB_BAYES_GOOD_END(dag) ((dag)->n)

/*
 * Create the posterior for @dag (which must stay alive and unchanged) with
 * all prior weights 1.  Returns 0 or -EINVAL (bad params, empty DAG, parent
 * index not topological), message set.
 */
int kb_bayes_new(const struct kb_dag *dag, const struct kb_bayes_params *params,
		 struct kb_bayes **ret);
void kb_bayes_free(struct kb_bayes *b);

/*
 * An independent copy (same DAG) with the same evidence: the engine asks
 * a copy "what would you test next if this commit came out bad / good?"
 * to build that commit while the current one is tested.
 */
struct kb_bayes *kb_bayes_clone(const struct kb_bayes *b);

/*
 * Prior weight of hypothesis "j is the culprit" (relative; normalised to
 * 1 - prior_out).  The engine gives ~0 to commits whose binary equals their
 * parent's (noop).  Weights are floored at params.min_weight so a noop
 * commit still wins "if nothing else is left": once the evidence rules out
 * every other hypothesis by a factor above 1/min_weight, its mass rises.
 * -EINVAL for j > n or w < 0 / not finite.
 */
int kb_bayes_set_prior(struct kb_bayes *b, size_t j, double w);

/*
 * Declare that j1 and j2 (either may be the good end) built to the same
 * binary.  Their observations are pooled and they share build state.  The
 * class is bad under k iff k <= every member; for the usual case (a noop
 * commit and its parent) that is "k <= the oldest member".
 */
int kb_bayes_same_binary(struct kb_bayes *b, size_t j1, size_t j2);

/* Whether the build of j (or of any commit with the same binary) exists. */
int kb_bayes_set_built(struct kb_bayes *b, size_t j, bool built);

/*
 * Commits built ahead of need (speculative builds): when choose_next's
 * best pick is a commit to build, a hinted one is taken instead if its
 * information per cost (priced like any unbuilt commit) is at least 0.9 of
 * the best, so a pick made before an outcome is kept unless something is
 * clearly better after it.  Replaces the previous hints;
 * up to KB_BAYES_MAX_HINTS.  The engine sets the commits its speculation
 * proposed (whether or not a build slot ran them, so the path does not
 * depend on the slots) and clears them after each step.  -EINVAL for too
 * many or j > n.
 */
#define KB_BAYES_MAX_HINTS 8
int kb_bayes_set_hints(struct kb_bayes *b, const size_t *j, size_t n);

/*
 * j cannot give informative runs (build or boot failure, exit 125): never
 * propose it.  Its hypothesis keeps its mass.
 */
int kb_bayes_set_untestable(struct kb_bayes *b, size_t j, bool untestable);

/* Add @t target crashes out of @r informative runs on j (t <= r). Marks j built. */
int kb_bayes_observe(struct kb_bayes *b, size_t j, unsigned t, unsigned r);

/* Pooled counts of j's binary class. */
void kb_bayes_counts(struct kb_bayes *b, size_t j, unsigned *ret_t, unsigned *ret_r);

/*
 * Posterior P(k | data) for k = 0..n (n = OUT) into @out (n + 1 doubles).
 * Returns the posterior of OUT.
 */
double kb_bayes_posterior(struct kb_bayes *b, double *out);

/* P(k <= j) for one commit j (j = n: P(OUT)). */
double kb_bayes_mass_reachable(struct kb_bayes *b, size_t j);

/* The most probable hypothesis (n = OUT) and its posterior. */
void kb_bayes_best(struct kb_bayes *b, size_t *ret_j, double *ret_p);

/*
 * The smallest set of hypotheses with total mass >= @level, most probable
 * first, into @out (room for n + 1).  Returns its size.
 */
size_t kb_bayes_credible_set(struct kb_bayes *b, double level, size_t *out);

/*
 * Up to @k commits to test at the same time (k-ary search): for i = 1..k
 * the testable commit whose P(bad) is closest to i / (k + 1), one per
 * binary class, none already decided (P(bad) within 1e-3 of 0 or 1).  On a
 * chain they cut the posterior into k + 1 parts of equal mass.  Returns
 * how many were found (into @out, room for k).
 */
size_t kb_bayes_spread(struct kb_bayes *b, size_t k, size_t *out);

/* Posterior means of the crash rates (plug-in values used by choose_next). */
void kb_bayes_rates(struct kb_bayes *b, double *ret_p1, double *ret_p0);

enum kb_bayes_action {
	KB_BAYES_TEST, /* run ->runs runs on ->commit (build it first if needed) */
	KB_BAYES_FOUND, /* ->commit is the culprit with posterior ->p (n: OUT) */
	KB_BAYES_INCONCLUSIVE, /* no test can change the answer: report the credible set */
	KB_BAYES_NO_REPRO, /* the bad end did not crash in calib_max_runs runs */
};

enum kb_bayes_reason {
	KB_BAYES_R_CALIBRATE, /* learning p1 on the bad end */
	KB_BAYES_R_SEARCH, /* best expected information per cost */
	KB_BAYES_R_CONFIRM, /* evidence required before naming the culprit */
};

struct kb_bayes_choice {
	enum kb_bayes_action action;
	enum kb_bayes_reason reason; /* for TEST */
	size_t commit; /* TEST: what to test; FOUND: the culprit; else best */
	unsigned runs; /* TEST: informative runs wanted */
	double p; /* posterior of the best hypothesis */
	double gain; /* TEST: expected information, bits */
	double cost; /* TEST: cost in params units */
	bool confirmed; /* FOUND: confirmation evidence present (see below) */
};

/*
 * The next step.  In order:
 *  1. calibrate: the bad end gets calib_runs runs first, then batches until
 *     calib_min_crashes target crashes or calib_max_runs runs; 0 crashes by
 *     then is NO_REPRO.
 *  2. stop: if the best hypothesis k has posterior >= confidence, name it
 *     once confirmed: >= 1 target crash on k's binary class, and every
 *     parent of k in the range (the good end when k has none) has
 *     min(ln(1 - confidence) / ln(1 - p1), confirm_max_runs) runs, so that
 *     a bad parent would have shown a crash with probability >= confidence.
 *     A missing piece is requested as a CONFIRM test; if it is untestable
 *     the culprit is named with confirmed = false.
 *  3. search: maximise I(A_c, b) / cost over built classes (b = 1..max
 *     batches of vms runs, cost b * cost_batch) and unbuilt testable
 *     commits (cost_build more), where A_c = P(class c is bad) and the
 *     rates are those conditional on c bad / c good.
 *  4. if the pick would then have more runs than the bad end, the bad end
 *     gets a batch instead (CALIBRATE): p1 is learnt there.
 *  5. if no test gains min_gain bits: INCONCLUSIVE.
 * Returns 0 (the choice is data).
 */
int kb_bayes_choose_next(struct kb_bayes *b, struct kb_bayes_choice *ret);

/*
 * Expected information (bits) about the culprit from @runs runs on a commit
 * that is bad with probability @a, with per-run crash rates @p1 (bad) and
 * @p0 (good): H(a f1 + (1-a) f0) - a H(f1) - (1-a) H(f0), f_x = Bin(runs, p_x).
 */
double kb_bayes_info_gain(double a, unsigned runs, double p1, double p0);

/* max over a of kb_bayes_info_gain (channel capacity) and the maximising a. */
double kb_bayes_capacity(unsigned runs, double p1, double p0, double *ret_a);

#endif
