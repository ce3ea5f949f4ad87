// SPDX-License-Identifier: Apache-2.0
/* Go formats: expected strings are what Go 1.x prints for the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include "output/golang.h"

static void check_duration(int64_t ns, const char *want)
{
	struct kb_buf b = KB_BUF_INIT;

	kb_go_duration(&b, ns);
	assert_string_equal(b.buf, want);
	kb_buf_release(&b);
}

static void test_duration(void **state)
{
	const int64_t us = 1000, ms = 1000 * us, s = 1000 * ms, min = 60 * s, h = 60 * min;

	(void)state;
	/* the table of Go's time_test.go TestDurationString, plus a few more */
	check_duration(0, "0s");
	check_duration(1, "1ns");
	check_duration(1100, "1.1\xc2\xb5s");
	check_duration(1500, "1.5µs");
	check_duration(2200 * us, "2.2ms");
	check_duration(500 * ms, "500ms");
	check_duration(3300 * ms, "3.3s");
	check_duration(4 * min + 5 * s, "4m5s");
	check_duration(4 * min + 5001 * ms, "4m5.001s");
	check_duration(5 * h + 6 * min + 7001 * ms, "5h6m7.001s");
	check_duration(8 * min + 1, "8m0.000000001s");
	check_duration(INT64_MAX, "2562047h47m16.854775807s");
	check_duration(INT64_MIN, "-2562047h47m16.854775808s");
	check_duration(-1, "-1ns");
	check_duration(-1500 * ms, "-1.5s");
	check_duration(h, "1h0m0s");
	check_duration(min, "1m0s");
	check_duration(s, "1s");
	check_duration(999999999, "999.999999ms");
	check_duration(100 * h + 1, "100h0m0.000000001s");
	/* durations of the reference logs */
	check_duration(3 * h + 34 * min + 58 * s + 69124664, "3h34m58.069124664s");
	check_duration(1 * h + 31 * min + 5 * s + 463136765, "1h31m5.463136765s");
	check_duration(2 * h + 2 * min + 13 * s + 404001075, "2h2m13.404001075s");
	check_duration(4 * h + 5 * min + 40 * s + 404848943, "4h5m40.404848943s");
}

static void check_seconds(double sec, const char *want)
{
	struct kb_buf b = KB_BUF_INIT;

	kb_go_duration_seconds(&b, sec);
	assert_string_equal(b.buf, want);
	kb_buf_release(&b);
}

static void test_duration_seconds(void **state)
{
	(void)state;
	check_seconds(0, "0s");
	check_seconds(0.5, "500ms");
	check_seconds(1.5e-6, "1.5µs");
	check_seconds(12898.069124664, "3h34m58.069124664s");
	check_seconds(5465.463136765, "1h31m5.463136765s");
	check_seconds(-90, "-1m30s");
	check_seconds(1e300, "2562047h47m16.854775807s");
	check_seconds(-1e300, "-2562047h47m16.854775808s");
}

static void check_quote(const char *in, size_t len, const char *want)
{
	struct kb_buf b = KB_BUF_INIT;

	kb_go_quote(&b, in, len);
	assert_string_equal(b.buf, want);
	kb_buf_release(&b);
}

#define Q(in, want) check_quote(in, sizeof(in) - 1, want)

static void test_quote(void **state)
{
	(void)state;
	/* expectations are Go's strconv.Quote outputs */
	Q("", "\"\"");
	Q("axboe@kernel.dk", "\"axboe@kernel.dk\"");
	Q("\"a\\b\"", "\"\\\"a\\\\b\\\"\"");
	Q("'", "\"'\"");
	Q("\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\"");
	Q("\x00\x01\x1f\x7f", "\"\\x00\\x01\\x1f\\x7f\"");
	Q("h\xc3\xa9llo", "\"h\xc3\xa9llo\"");
	Q("\xe2\x98\xba", "\"\xe2\x98\xba\""); /* ☺ */
	Q("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* emoji: printable */
	Q("\xff", "\"\\xff\"");
	Q("\xff\xe2\x98\xba", "\"\\xff\xe2\x98\xba\"");
	Q("\xc3", "\"\\xc3\""); /* truncated sequence */
	Q("\xe2\x82", "\"\\xe2\\x82\""); /* truncated: each byte escaped */
	Q("\xc0\x80", "\"\\xc0\\x80\""); /* overlong NUL */
	Q("\xed\xa0\x80", "\"\\xed\\xa0\\x80\""); /* surrogate */
	Q("\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""); /* beyond U+10FFFF */
	Q("\xc2\x85", "\"\\u0085\""); /* C1 control */
	Q("\xc2\xa0", "\"\\u00a0\""); /* no-break space */
	Q("\xc2\xad", "\"\\u00ad\""); /* soft hyphen */
	Q("\xe2\x80\x8b", "\"\\u200b\""); /* zero-width space */
	Q("\xe2\x80\xa8", "\"\\u2028\"");
	Q("\xef\xbb\xbf", "\"\\ufeff\"");
	Q("\xef\xbf\xbf", "\"\\uffff\"");
	Q("\xef\xbf\xbd", "\"\xef\xbf\xbd\""); /* U+FFFD itself is printable */
	Q("\xf3\xa0\x80\x81", "\"\\U000e0001\"");
	Q("\xf3\xb0\x80\x80", "\"\\U000f0000\""); /* private use */
}

static void test_quote_list(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *v[] = { "a@b", "c\"d@e" };

	(void)state;
	kb_go_quote_list(&b, v, 0);
	assert_string_equal(b.buf, "[]");
	kb_buf_reset(&b);
	kb_go_quote_list(&b, v, 1);
	assert_string_equal(b.buf, "[\"a@b\"]");
	kb_buf_reset(&b);
	kb_go_quote_list(&b, v, 2);
	assert_string_equal(b.buf, "[\"a@b\" \"c\\\"d@e\"]");
	kb_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_seconds),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
