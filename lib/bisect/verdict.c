// SPDX-License-Identifier: Apache-2.0
/*
 * Reference verdict rules.  Everything here is integer arithmetic exactly as
 * the reference does it (Go int division), so that a "syzbot-compatible"
 * run reaches the same verdicts on the same counts.
 */
#include <math.h>
#include "bisect/verdict.h"

void kb_verdict_thresholds(const struct kb_verdict_counts *c, bool flaky,
			   struct kb_verdict_thresholds *ret)
{
	unsigned counted = c->bad + c->good + c->infra;
	unsigned total = KB_MAX(c->total, counted);
	unsigned valid = total - c->infra;

	ret->skip = total - counted;
	/* 10 runs need 2 crashes, 20 runs need 3: one crash is an outlier */
	ret->want_bad = KB_MAX(2u, valid / 6);
	/* a flaky reproducer needs many clean runs before "good" is believable */
	ret->want_good = flaky ? total * 3 / 4 : total / 2;
	/* a commit whose runs mostly failed to boot is not bad, it is broken */
	ret->want_total = total / 2;
}

enum kb_verdict kb_verdict_decide(const struct kb_verdict_counts *c, bool flaky)
{
	struct kb_verdict_thresholds t;

	kb_verdict_thresholds(c, flaky, &t);
	if (c->bad == 0 && c->good >= t.want_good)
		return KB_VERDICT_GOOD;
	if (c->bad >= t.want_bad && c->good + c->bad >= t.want_total)
		return KB_VERDICT_BAD;
	if (c->infra > t.skip)
		return KB_VERDICT_ABORT;
	return KB_VERDICT_SKIP;
}

unsigned kb_verdict_runs(bool first_test, bool flaky, unsigned vms)
{
	unsigned n = (first_test || flaky) ? KB_VERDICT_RUNS_FLAKY : KB_VERDICT_RUNS;

	return vms ? KB_MIN(n, vms) : n;
}

double kb_verdict_bad_ratio(const struct kb_verdict_counts *c)
{
	unsigned valid = c->bad + c->good;

	return valid ? (double)c->bad / valid : 0.0;
}

double kb_verdict_false_negative(double repro_chance, unsigned good)
{
	return pow(1.0 - repro_chance, good);
}

void kb_verdict_state_init(struct kb_verdict_state *s, const struct kb_verdict_counts *start)
{
	s->repro_chance = kb_verdict_bad_ratio(start);
	s->flaky = s->repro_chance < 0.5;
	s->confidence = 1.0;
}

void kb_verdict_state_post(struct kb_verdict_state *s, enum kb_verdict v,
			   const struct kb_verdict_counts *c)
{
	double ratio;

	switch (v) {
	case KB_VERDICT_BAD:
		ratio = kb_verdict_bad_ratio(c);
		if (ratio < 0.5)
			s->flaky = true;
		/* the estimate only goes down: a lucky run must not inflate it */
		s->repro_chance = KB_MIN(s->repro_chance, (s->repro_chance + ratio) / 2);
		break;
	case KB_VERDICT_GOOD:
		s->confidence *= 1.0 - kb_verdict_false_negative(s->repro_chance, c->good);
		break;
	case KB_VERDICT_SKIP:
	case KB_VERDICT_ABORT:
		break;
	}
}

const char *kb_verdict_name(enum kb_verdict v)
{
	switch (v) {
	case KB_VERDICT_GOOD:
		return "good";
	case KB_VERDICT_BAD:
		return "bad";
	case KB_VERDICT_SKIP:
		return "skip";
	case KB_VERDICT_ABORT:
		return "abort";
	}
	return "?";
}
