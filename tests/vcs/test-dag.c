// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of lib/vcs/dag.c (rev-list parsing, lookup) and of the pure
 * parts of lib/bisect/gitbisect.c on hand-made graphs.  Whole-run equality
 * with git is tested by t-gitbisect-vs-git.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "bisect/gitbisect.h"
#include "util/error.h"
#include "vcs/dag.h"

/* Fake hashes: "h" + the letter repeated, e.g. H('a') = "aaaa...". */
static char hashes[26][KB_HASH_HEX + 1];

static const char *H(char c)
{
	char *h = hashes[c - 'a'];

	memset(h, c, KB_HASH_HEX);
	h[KB_HASH_HEX] = '\0';
	return h;
}

/*
 * Build rev-list text from "x:pq y:q ..." (commit x with parents p, q).
 * Letters outside 'a'..'f' are valid hex; the tests use a-f only, with
 * '0'-'9' available for outside parents.
 */
static char *revlist(const char *spec, bool dates)
{
	struct kb_buf b = KB_BUF_INIT;
	int t = 1000;

	for (const char *p = spec; *p;) {
		if (dates)
			kb_buf_addf(&b, "%d ", t--);
		kb_buf_addstr(&b, H(p[0]));
		p += 2;
		while (*p && *p != ' ') {
			kb_buf_addch(&b, ' ');
			kb_buf_addstr(&b, *p >= 'a' ? H(*p) :
						      "0123456789012345678901234567890123456789");
			p++;
		}
		kb_buf_addch(&b, '\n');
		while (*p == ' ')
			p++;
	}
	return kb_buf_detach(&b, NULL);
}

static struct kb_dag *parse(const char *spec, bool dates, const char *bad)
{
	char *text = revlist(spec, dates);
	struct kb_dag *d = NULL;
	int r = kb_dag_parse(text, strlen(text), bad, &d);

	free(text);
	if (r < 0)
		fail_msg("parse '%s': %s", spec, kb_error_last());
	return d;
}

static int parse_err(const char *text, const char *bad)
{
	struct kb_dag *d = NULL;
	int r = kb_dag_parse(text, strlen(text), bad, &d);

	assert_null(d);
	return r;
}

static void assert_topological(const struct kb_dag *d)
{
	for (size_t i = 0; i < d->n; i++)
		for (uint32_t j = d->par_off[i]; j < d->par_off[i + 1]; j++)
			assert_true(d->par[j] < i);
}

static long idx(const struct kb_dag *d, char c)
{
	long i = kb_dag_find(d, H(c));

	assert_true(i >= 0);
	return i;
}

static void test_parse_linear(void **state)
{
	/* f -> e -> d; d's parent is outside the range. */
	struct kb_dag *d = parse("f:e e:d d:0", false, NULL);

	(void)state;
	assert_int_equal(d->n, 3);
	assert_topological(d);
	assert_int_equal(d->bad, idx(d, 'f'));
	assert_null(d->date);
	assert_int_equal(d->par_off[idx(d, 'd') + 1] - d->par_off[idx(d, 'd')], 0);
	assert_int_equal(d->nparents_total[idx(d, 'd')], 1);
	assert_int_equal(d->nparents_total[idx(d, 'f')], 1);
	/* Listing order survives the renumbering. */
	assert_int_equal(d->listed[0], idx(d, 'f'));
	assert_int_equal(d->listed[1], idx(d, 'e'));
	assert_int_equal(d->listed[2], idx(d, 'd'));
	kb_dag_free(d);
}

static void test_parse_merge_not_topological_listing(void **state)
{
	/*
	 * Equal dates can make git list a parent before one of its children:
	 * here b (parent of c) is listed before c.  Indices must still be
	 * topological, and the listing kept as given.
	 */
	struct kb_dag *d = parse("f:ec e:b b:a c:b a:0", true, NULL);

	(void)state;
	assert_int_equal(d->n, 5);
	assert_topological(d);
	assert_non_null(d->date);
	assert_int_equal(d->date[idx(d, 'f')], 1000);
	assert_int_equal(d->date[idx(d, 'a')], 996);
	assert_int_equal(d->listed[2], idx(d, 'b'));
	assert_int_equal(d->listed[3], idx(d, 'c'));
	/* Parent order is git's: f's first parent is e. */
	assert_int_equal(d->par[d->par_off[idx(d, 'f')]], idx(d, 'e'));
	assert_int_equal(d->par[d->par_off[idx(d, 'f')] + 1], idx(d, 'c'));
	assert_int_equal(d->nparents_total[idx(d, 'f')], 2);
	kb_dag_free(d);
}

static void test_find(void **state)
{
	struct kb_dag *d = parse("f:e e:d d:0", false, H('f'));
	char pre[8];

	(void)state;
	memcpy(pre, H('e'), 5);
	pre[5] = '\0';
	assert_int_equal(kb_dag_find(d, pre), idx(d, 'e'));
	assert_int_equal(kb_dag_find(d, "eee"), -1); /* too short */
	assert_int_equal(kb_dag_find(d, "abcd"), -1); /* absent */
	assert_int_equal(kb_dag_find(d, "zzzz"), -1); /* not hex */
	kb_dag_free(d);

	/* Two hashes sharing a prefix: the prefix is ambiguous. */
	{
		const char *text =
			"1111aaaa00000000000000000000000000000000 1111bbbb00000000000000000000000000000000\n"
			"1111bbbb00000000000000000000000000000000\n";
		struct kb_dag *e = NULL;

		assert_int_equal(kb_dag_parse(text, strlen(text), NULL, &e), 0);
		assert_int_equal(kb_dag_find(e, "1111"), -1);
		assert_true(kb_dag_find(e, "1111a") >= 0);
		assert_true(kb_dag_find(e, "1111b") >= 0);
		kb_dag_free(e);
	}
}

static void test_parse_errors(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(parse_err("", NULL), -EINVAL);
	assert_int_equal(parse_err("nothex\n", NULL), -EINVAL);
	assert_int_equal(parse_err("aaaa\n", NULL), -EINVAL);
	/* Listed twice. */
	text = revlist("f:e e:0 e:0", false);
	assert_int_equal(parse_err(text, NULL), -EINVAL);
	free(text);
	/* Bad commit not in the range. */
	text = revlist("f:e e:0", false);
	assert_int_equal(parse_err(text, H('a')), -EINVAL);
	assert_int_equal(parse_err(text, "abc"), -EINVAL);
	free(text);
	/* Two sinks: c is not an ancestor of the bad commit. */
	text = revlist("f:e e:0 c:e", false);
	assert_int_equal(parse_err(text, NULL), -EINVAL);
	assert_non_null(strstr(kb_error_last(), "not an ancestor"));
	free(text);
	/* Cycle. */
	text = revlist("f:e e:d d:e", false);
	assert_int_equal(parse_err(text, NULL), -EINVAL);
	free(text);
	/* Timestamps on some lines only. */
	{
		struct kb_buf b = KB_BUF_INIT;

		kb_buf_addf(&b, "100 %s %s\n%s\n", H('f'), H('e'), H('e'));
		assert_int_equal(parse_err(b.buf, NULL), -EINVAL);
		kb_buf_release(&b);
	}
}

/* Build marks from "x=g y=b z=s" over dag @d. */
static uint8_t *marks_of(const struct kb_dag *d, const char *spec)
{
	uint8_t *m = kb_xcalloc(d->n, 1);

	for (const char *p = spec; strlen(p) >= 3; p += p[3] ? 4 : 3)
		m[idx(d, p[0])] = p[2] == 'g' ? KB_GB_GOOD : p[2] == 'b' ? KB_GB_BAD : KB_GB_SKIP;
	return m;
}

static void test_candidates(void **state)
{
	/*
	 *   a - b - c - f (bad, merge of c and e)
	 *        \- d - e
	 */
	struct kb_dag *d = parse("f:ce e:d d:b c:b b:a a:0", false, NULL);
	uint8_t *m = marks_of(d, "d=g");
	bool *cand = kb_xcalloc(d->n, sizeof(*cand));
	uint32_t bad;

	(void)state;
	bad = kb_gitbisect_candidates(d, m, cand);
	assert_int_equal(bad, idx(d, 'f'));
	/* d good removes d, b, a; c, e, f remain. */
	assert_false(cand[idx(d, 'a')]);
	assert_false(cand[idx(d, 'b')]);
	assert_false(cand[idx(d, 'd')]);
	assert_true(cand[idx(d, 'c')]);
	assert_true(cand[idx(d, 'e')]);
	assert_true(cand[idx(d, 'f')]);
	free(m);

	/* A tested bad moves the bad end. */
	m = marks_of(d, "e=b");
	bad = kb_gitbisect_candidates(d, m, cand);
	assert_int_equal(bad, idx(d, 'e'));
	assert_false(cand[idx(d, 'c')]);
	assert_false(cand[idx(d, 'f')]);
	assert_true(cand[idx(d, 'a')]);
	free(m);
	free(cand);
	kb_dag_free(d);
}

static void test_next_linear(void **state)
{
	/* e (bad) > d > c > b > a; all 5 candidates. */
	struct kb_dag *d = parse("e:d d:c c:b b:a a:0", false, NULL);
	uint8_t *m = kb_xcalloc(d->n, 1);
	struct kb_gitbisect_step s;
	struct kb_buf out = KB_BUF_INIT;

	(void)state;
	assert_int_equal(kb_gitbisect_next(d, m, &s), 0);
	assert_int_equal(s.state, KB_GB_NEXT);
	assert_int_equal(s.all, 5);
	/*
	 * Weights 2 and 3 are both "halfway" of 5; git settles weights from
	 * the root up, so b (weight 2) stops the search before c.
	 */
	assert_int_equal(s.commit, idx(d, 'b'));
	assert_int_equal(s.reaches, 2);
	assert_int_equal(s.left, 2);
	kb_gitbisect_format(d, &s, &out);
	assert_string_equal(out.buf,
			    "Bisecting: 2 revisions left to test after this (roughly 1 step)\n");
	kb_gitbisect_step_release(&s);

	/* Everything below e good: e is the first bad commit. */
	m[idx(d, 'd')] = KB_GB_GOOD;
	assert_int_equal(kb_gitbisect_next(d, m, &s), 0);
	assert_int_equal(s.state, KB_GB_FOUND);
	assert_int_equal(s.commit, idx(d, 'e'));
	kb_buf_reset(&out);
	kb_gitbisect_format(d, &s, &out);
	assert_non_null(strstr(out.buf, " is the first bad commit\n"));
	assert_memory_equal(out.buf, H('e'), KB_HASH_HEX);
	kb_gitbisect_step_release(&s);

	/* The bad end marked good is an error, not a result. */
	m[idx(d, 'e')] = KB_GB_GOOD;
	assert_int_equal(kb_gitbisect_next(d, m, &s), -EINVAL);
	kb_buf_release(&out);
	free(m);
	kb_dag_free(d);
}

static void test_only_skipped(void **state)
{
	/* c (bad) > b > a; a good, b skipped: b or c. */
	struct kb_dag *d = parse("c:b b:a a:0", false, NULL);
	uint8_t *m = marks_of(d, "a=g b=s");
	struct kb_gitbisect_step s;
	struct kb_buf out = KB_BUF_INIT;

	(void)state;
	assert_int_equal(kb_gitbisect_next(d, m, &s), 0);
	assert_int_equal(s.state, KB_GB_ONLY_SKIPPED);
	assert_int_equal(s.nmaybe, 2);
	assert_int_equal(s.maybe[0], idx(d, 'b'));
	assert_int_equal(s.maybe[1], idx(d, 'c'));
	kb_gitbisect_format(d, &s, &out);
	assert_non_null(strstr(out.buf, "There are only 'skip'ped commits left to test.\n"));
	assert_non_null(strstr(out.buf, "We cannot bisect more!\n"));
	kb_gitbisect_step_release(&s);

	/* The bad end itself skipped: all candidates listed, no crash. */
	m[idx(d, 'c')] = KB_GB_SKIP;
	assert_int_equal(kb_gitbisect_next(d, m, &s), 0);
	assert_int_equal(s.state, KB_GB_ONLY_SKIPPED);
	assert_int_equal(s.nmaybe, 2);
	assert_int_equal(s.maybe[0], idx(d, 'b'));
	assert_int_equal(s.maybe[1], idx(d, 'c'));
	kb_gitbisect_step_release(&s);
	kb_buf_release(&out);
	free(m);
	kb_dag_free(d);
}

static void test_rank_all(void **state)
{
	struct kb_dag *d = parse("f:ce e:d d:b c:b b:a a:0", false, NULL);
	uint8_t *m = kb_xcalloc(d->n, 1);
	struct kb_gitbisect_rank *r;
	size_t n;

	(void)state;
	kb_gitbisect_rank_all(d, m, &r, &n);
	assert_int_equal(n, 6);
	/* Weights: a1 b2 c3 d3 e4 f6; distances to 6: 1 2 3 3 2 0. */
	assert_int_equal(r[0].commit, idx(d, 'c')); /* dist 3, hash "ccc" < "ddd" */
	assert_int_equal(r[1].commit, idx(d, 'd'));
	assert_int_equal(r[0].distance, 3);
	assert_int_equal(r[2].commit, idx(d, 'b')); /* dist 2: b < e */
	assert_int_equal(r[3].commit, idx(d, 'e'));
	assert_int_equal(r[3].weight, 4);
	assert_int_equal(r[5].commit, idx(d, 'f'));
	assert_int_equal(r[5].weight, 6);
	free(r);
	free(m);
	kb_dag_free(d);
}

static void test_estimate_steps(void **state)
{
	(void)state;
	/* Small values seen from git: 2 -> 0, 4 and 5 -> 1. */
	assert_int_equal(kb_gitbisect_estimate_steps(1), 0);
	assert_int_equal(kb_gitbisect_estimate_steps(2), 0);
	assert_int_equal(kb_gitbisect_estimate_steps(4), 1);
	assert_int_equal(kb_gitbisect_estimate_steps(5), 1);
	/* About log2: never decreasing, and within one of floor(log2(n)). */
	for (size_t n = 3, prev = 0; n < 100000; n += n / 7 + 1) {
		int s = kb_gitbisect_estimate_steps(n);
		int l = 0;

		for (size_t v = n; v > 1; v >>= 1)
			l++;
		assert_true((size_t)s >= prev);
		assert_true(s == l || s == l - 1);
		prev = (size_t)s;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_linear),
		cmocka_unit_test(test_parse_merge_not_topological_listing),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_next_linear),
		cmocka_unit_test(test_only_skipped),
		cmocka_unit_test(test_rank_all),
		cmocka_unit_test(test_estimate_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
