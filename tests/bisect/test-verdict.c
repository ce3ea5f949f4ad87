// SPDX-License-Identifier: Apache-2.0
/*
 * Table-driven tests of the reference verdict rules: the cases the reference
 * itself tests (TestBisectVerdict) plus the boundaries of each threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include "bisect/verdict.h"

struct verdict_case {
	const char *name;
	unsigned good, bad, infra, skip;
	bool flaky;
	enum kb_verdict want;
};

static const struct verdict_case verdict_cases[] = {
	/* the reference's own table */
	{ "9 OK + 1 crash is an outlier", 9, 1, 0, 0, false, KB_VERDICT_SKIP },
	{ "1 bad + 8 infra + 1 skip aborts", 0, 1, 8, 1, false, KB_VERDICT_ABORT },
	{ "4 good + 2 bad + 2 infra + 2 skip", 4, 2, 2, 2, false, KB_VERDICT_BAD },
	{ "2 good + 2 bad + 3 infra + 3 skip", 2, 2, 3, 3, false, KB_VERDICT_SKIP },
	/* good needs no crash and half the runs clean (3/4 when flaky) */
	{ "10 OK", 10, 0, 0, 0, false, KB_VERDICT_GOOD },
	{ "5 OK + 5 skip", 5, 0, 0, 5, false, KB_VERDICT_GOOD },
	{ "4 OK + 6 skip", 4, 0, 0, 6, false, KB_VERDICT_SKIP },
	{ "15 OK + 5 skip, flaky", 15, 0, 0, 5, true, KB_VERDICT_GOOD },
	{ "14 OK + 6 skip, flaky", 14, 0, 0, 6, true, KB_VERDICT_SKIP },
	{ "14 OK + 6 skip, not flaky", 14, 0, 0, 6, false, KB_VERDICT_GOOD },
	{ "7 OK + 3 skip, flaky (wants 7)", 7, 0, 0, 3, true, KB_VERDICT_GOOD },
	{ "6 OK + 4 skip, flaky", 6, 0, 0, 4, true, KB_VERDICT_SKIP },
	/* bad: max(2, valid/6) crashes and half the runs valid */
	{ "8 OK + 2 crashes", 8, 2, 0, 0, false, KB_VERDICT_BAD },
	{ "10 crashes", 0, 10, 0, 0, false, KB_VERDICT_BAD },
	{ "18 OK + 2 crashes of 20", 18, 2, 0, 0, false, KB_VERDICT_SKIP },
	{ "17 OK + 3 crashes of 20", 17, 3, 0, 0, false, KB_VERDICT_BAD },
	{ "2 crashes + 8 skip", 0, 2, 0, 8, false, KB_VERDICT_SKIP },
	{ "2 crashes + 3 OK + 5 skip", 3, 2, 0, 5, false, KB_VERDICT_BAD },
	{ "1 crash + 19 OK", 19, 1, 0, 0, true, KB_VERDICT_SKIP },
	/* infra: want_bad is computed on runs that were not infra */
	{ "2 crashes + 6 infra + 2 OK", 2, 2, 6, 0, false, KB_VERDICT_ABORT },
	{ "3 crashes + 3 OK + 4 infra", 3, 3, 4, 0, false, KB_VERDICT_BAD },
	{ "10 infra", 0, 0, 10, 0, false, KB_VERDICT_ABORT },
	{ "5 infra + 5 skip", 0, 0, 5, 5, false, KB_VERDICT_SKIP },
	{ "no runs at all", 0, 0, 0, 0, false, KB_VERDICT_GOOD },
};

static void test_decide_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(verdict_cases); i++) {
		const struct verdict_case *vc = &verdict_cases[i];
		struct kb_verdict_counts c = {
			.total = vc->good + vc->bad + vc->infra + vc->skip,
			.bad = vc->bad,
			.good = vc->good,
			.infra = vc->infra,
		};
		enum kb_verdict got = kb_verdict_decide(&c, vc->flaky);

		if (got != vc->want)
			fail_msg("%s: got %s, want %s", vc->name, kb_verdict_name(got),
				 kb_verdict_name(vc->want));
	}
}

static void test_thresholds(void **state)
{
	struct kb_verdict_counts c = { .total = 20, .bad = 3, .good = 10, .infra = 2 };
	struct kb_verdict_thresholds t;

	(void)state;
	kb_verdict_thresholds(&c, false, &t);
	assert_int_equal(t.skip, 5);
	assert_int_equal(t.want_bad, 3); /* (20 - 2) / 6 */
	assert_int_equal(t.want_good, 10);
	assert_int_equal(t.want_total, 10);
	kb_verdict_thresholds(&c, true, &t);
	assert_int_equal(t.want_good, 15);

	/* inconsistent counts do not underflow skip */
	c = (struct kb_verdict_counts){ .total = 3, .bad = 2, .good = 2, .infra = 1 };
	kb_verdict_thresholds(&c, false, &t);
	assert_int_equal(t.skip, 0);
	assert_int_equal(t.want_total, 2);
}

static void test_runs(void **state)
{
	(void)state;
	assert_int_equal(kb_verdict_runs(true, false, 0), 20);
	assert_int_equal(kb_verdict_runs(false, false, 0), 10);
	assert_int_equal(kb_verdict_runs(false, true, 0), 20);
	assert_int_equal(kb_verdict_runs(true, true, 0), 20);
	assert_int_equal(kb_verdict_runs(true, false, 8), 8);
	assert_int_equal(kb_verdict_runs(false, false, 30), 10);
}

static void test_state(void **state)
{
	struct kb_verdict_state s;
	struct kb_verdict_counts start = { .total = 20, .bad = 16, .good = 4 };
	struct kb_verdict_counts bad = { .total = 10, .bad = 4, .good = 6 };
	struct kb_verdict_counts good = { .total = 10, .good = 10 };
	struct kb_verdict_counts skip = { .total = 10, .bad = 1, .good = 9 };
	double conf;

	(void)state;
	kb_verdict_state_init(&s, &start);
	assert_false(s.flaky);
	assert_float_equal(s.repro_chance, 0.8, 1e-12);
	assert_float_equal(s.confidence, 1.0, 1e-12);

	/* good: confidence *= 1 - (1 - 0.8)^10 */
	kb_verdict_state_post(&s, KB_VERDICT_GOOD, &good);
	conf = 1.0 - pow(0.2, 10);
	assert_float_equal(s.confidence, conf, 1e-15);
	assert_float_equal(kb_verdict_false_negative(0.8, 10), pow(0.2, 10), 1e-18);

	/* bad with ratio 0.4: flaky, repro chance min(0.8, 0.6) = 0.6 */
	kb_verdict_state_post(&s, KB_VERDICT_BAD, &bad);
	assert_true(s.flaky);
	assert_float_equal(s.repro_chance, 0.6, 1e-12);
	assert_float_equal(s.confidence, conf, 1e-15);

	/* a bad verdict with a higher ratio never raises the estimate */
	bad = (struct kb_verdict_counts){ .total = 20, .bad = 20 };
	kb_verdict_state_post(&s, KB_VERDICT_BAD, &bad);
	assert_float_equal(s.repro_chance, 0.6, 1e-12);
	assert_true(s.flaky);

	/* skip changes nothing */
	kb_verdict_state_post(&s, KB_VERDICT_SKIP, &skip);
	assert_float_equal(s.repro_chance, 0.6, 1e-12);
	assert_float_equal(s.confidence, conf, 1e-15);

	/* good with 15 clean runs at 0.6 */
	good = (struct kb_verdict_counts){ .total = 20, .good = 15, .infra = 5 };
	kb_verdict_state_post(&s, KB_VERDICT_GOOD, &good);
	assert_float_equal(s.confidence, conf * (1.0 - pow(0.4, 15)), 1e-15);

	/* a start commit that crashes in fewer than half of its runs is flaky at once */
	start = (struct kb_verdict_counts){ .total = 20, .bad = 6, .good = 14 };
	kb_verdict_state_init(&s, &start);
	assert_true(s.flaky);
	assert_float_equal(s.repro_chance, 0.3, 1e-12);
}

static void test_ratio_and_names(void **state)
{
	struct kb_verdict_counts none = { .total = 10, .infra = 10 };
	struct kb_verdict_counts some = { .total = 10, .bad = 1, .good = 3, .infra = 6 };

	(void)state;
	assert_float_equal(kb_verdict_bad_ratio(&none), 0.0, 0);
	assert_float_equal(kb_verdict_bad_ratio(&some), 0.25, 1e-12);
	assert_string_equal(kb_verdict_name(KB_VERDICT_GOOD), "good");
	assert_string_equal(kb_verdict_name(KB_VERDICT_BAD), "bad");
	assert_string_equal(kb_verdict_name(KB_VERDICT_SKIP), "skip");
	assert_string_equal(kb_verdict_name(KB_VERDICT_ABORT), "abort");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_table),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_ratio_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
