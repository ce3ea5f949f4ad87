/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference system's per-commit decision rules (syzkaller
 * pkg/bisect/bisect.go, bisectionDecision/postTestResult/updateFlaky, as
 * described in docs reference-bisection.md section 1.5), as pure functions.
 *
 * They serve two purposes: the "syzbot-compatible" search mode, whose
 * verdicts must match the reference exactly, and the baseline that the
 * statistical search (bayes.h) is measured against in the simulations.
 *
 * A run is classified by the caller into one of four classes:
 *   good  - ran to the end without a crash ("OK");
 *   bad   - crashed (any non-transient crash: the reference is binary);
 *   infra - our own failure (could not start the VM, ...);
 *   skip  - everything else: boot failure, smoke-test failure, ignored
 *           transient crash.  It is not counted explicitly: it is
 *           total - good - bad - infra.
 */
#ifndef KB_BISECT_VERDICT_H
#define KB_BISECT_VERDICT_H

#include "util/common.h"

enum kb_verdict {
	KB_VERDICT_GOOD,
	KB_VERDICT_BAD,
	KB_VERDICT_SKIP,
	KB_VERDICT_ABORT, /* infra errors dominate: abort the whole bisection */
};

/* Runs per commit of the reference: 10, or 20 on the first test / when flaky. */
#define KB_VERDICT_RUNS	      10
#define KB_VERDICT_RUNS_FLAKY 20

struct kb_verdict_counts {
	unsigned total; /* all runs of the commit */
	unsigned bad; /* runs that crashed */
	unsigned good; /* runs without a crash */
	unsigned infra; /* runs lost to infrastructure problems */
};

/* The thresholds the decision used; printed in "unable to determine the verdict" lines. */
struct kb_verdict_thresholds {
	unsigned skip; /* total - bad - good - infra */
	unsigned want_bad; /* max(2, (total - infra) / 6) */
	unsigned want_good; /* total / 2, or 3 * total / 4 when flaky */
	unsigned want_total; /* total / 2: good + bad needed for a bad verdict */
};

/*
 * The thresholds for @c.  Counts that do not add up (good + bad + infra >
 * total) are treated as total = good + bad + infra, so skip is never
 * negative.
 */
void kb_verdict_thresholds(const struct kb_verdict_counts *c, bool flaky,
			   struct kb_verdict_thresholds *ret);

/*
 * The verdict for one commit:
 *   GOOD  if bad == 0 and good >= want_good;
 *   BAD   if bad >= want_bad and good + bad >= want_total;
 *   ABORT if neither and infra > skip;
 *   SKIP  otherwise.
 * "9 OK + 1 crash" is SKIP: one crash is an outlier since 2024.
 */
enum kb_verdict kb_verdict_decide(const struct kb_verdict_counts *c, bool flaky);

/*
 * Runs to start on the next commit: 20 on the first test of the bisection
 * and whenever the reproducer is flaky, else 10; never more than @vms
 * (the VM pool size; 0 = no limit).
 */
unsigned kb_verdict_runs(bool first_test, bool flaky, unsigned vms);

/* bad / (bad + good), 0 when no run was valid. */
double kb_verdict_bad_ratio(const struct kb_verdict_counts *c);

/*
 * (1 - repro_chance)^good: the chance that a commit with @good clean runs is
 * in fact bad, logged by the reference as "false negative chance".
 */
double kb_verdict_false_negative(double repro_chance, unsigned good);

/*
 * Bisection-wide state of the reference: the flaky flag, the reproduction
 * chance estimate (it only ever decreases) and the accumulated confidence.
 */
struct kb_verdict_state {
	bool flaky;
	double repro_chance; /* estimate of P(crash | bad commit) */
	double confidence; /* product of (1 - false negative) over good verdicts */
};

/*
 * Start from the test of the known-bad start commit (its verdict must be
 * BAD): repro_chance = its bad ratio, confidence = 1, and the flaky rule is
 * applied to it like to any later bad verdict.
 */
void kb_verdict_state_init(struct kb_verdict_state *s, const struct kb_verdict_counts *start);

/*
 * Feed one bisection step (postTestResult): a BAD verdict sets flaky when
 * its ratio is below 0.5 and lowers repro_chance to
 * min(old, (old + ratio) / 2); a GOOD verdict multiplies the confidence by
 * 1 - false_negative(repro_chance, good).  SKIP and ABORT change nothing.
 * The reference posts only the steps of the git bisect loop: release-walk
 * and merge-base tests never reach it (a known gap, reference-bisection.md
 * section 4), so a compatible caller does the same.
 */
void kb_verdict_state_post(struct kb_verdict_state *s, enum kb_verdict v,
			   const struct kb_verdict_counts *c);

/* "good", "bad", "skip", "abort". */
const char *kb_verdict_name(enum kb_verdict v);

#endif
