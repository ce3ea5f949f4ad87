// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the console-log parser and the report extras: the input
 * is console output.  Beyond "no crash, no sanitizer report", it checks the
 * invariants callers rely on (offsets inside the input, titles present,
 * cheap detector agreeing with the parser, symbolization without a binary
 * adding no lines).
 */
#include <string.h>
#include "fuzz.h"
#include "report/report.h"
#include "report/symbolize.h"

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* The extras on one piece of text (an extracted report or the raw input). */
static void extras(const char *title, const char *text, size_t len)
{
	static const char *const arches[] = { "amd64", "arm64", "arm" };
	struct kb_buf out = KB_BUF_INIT;
	char *file;

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		int r;

		kb_buf_reset(&out);
		r = kb_report_decompile(text, len, arches[i], &out);
		CHECK(r == 0 || r == 1);
		CHECK(r == 1 ? strstr(out.buf, "Code disassembly (best guess)") != NULL :
			       out.len == 0);
	}
	file = kb_report_guilty_file(title, text, len);
	CHECK(!file || (*file && !strchr(file, '\n')));
	free(file);
	kb_buf_reset(&out);
	CHECK(kb_symbolize_text(NULL, text, len, &out) == 0);
	/* without a binary, lines are rewritten, never added or dropped */
	CHECK(count_lines(out.buf, out.len) == count_lines(text, len));
	kb_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	bool crashed = kb_report_contains_crash(in, size);
	struct kb_report **v = NULL;
	size_t n = 0, prev_skip = 0;
	int r = kb_report_parse_all(in, size, &v, &n);

	CHECK(r >= 0);
	/* the parser finds nothing the cheap detector misses */
	CHECK(!n || crashed);
	for (size_t i = 0; i < n; i++) {
		const struct kb_report *rep = v[i];

		CHECK(rep->title && rep->title[0]);
		CHECK(!strchr(rep->title, '\n'));
		CHECK(rep->type && rep->frame && rep->corrupted_reason);
		CHECK(kb_report_title_type(rep->title) != NULL);
		CHECK(rep->n_alt <= KB_REPORT_MAX_ALT);
		for (size_t k = 0; k < rep->n_alt; k++)
			CHECK(rep->alt_titles[k] && rep->alt_titles[k][0]);
		CHECK(rep->start < rep->end && rep->end <= size);
		CHECK(rep->start < rep->skip && rep->skip <= rep->end);
		CHECK(rep->start >= prev_skip);
		CHECK(rep->report && rep->report_len && rep->report[rep->report_len] == '\0');
		/* the prefix is whole lines, and the oops line follows it */
		CHECK(rep->prefix_len < rep->report_len);
		CHECK(!rep->prefix_len || rep->report[rep->prefix_len - 1] == '\n');
		CHECK(rep->corrupted == (rep->corrupted_reason[0] != '\0'));
		prev_skip = rep->skip;
		extras(rep->title, rep->report, rep->report_len);
	}
	kb_report_free_all(v, n);
	extras("", in, size);
	return 0;
}
