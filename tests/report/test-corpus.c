// SPDX-License-Identifier: Apache-2.0
/*
 * Runs the parser over every case of $KBISECT_SHARED/testdata/crash-reports/
 * and checks what testdata/README.md describes.  Prints per-check pass
 * counts and fails below the agreed thresholds.  KB_CORPUS_VERBOSE=1 names
 * the failing files per check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <string.h>
#include "report/report.h"
#include "util/buf.h"
#include "util/fs.h"

enum check {
	C_DETECT,
	C_TITLE,
	C_ALT,
	C_TYPE,
	C_FRAME,
	C_EXECUTOR,
	C_CORRUPTED,
	C_SUPPRESSED,
	C_PANICKED,
	C_STARTEND,
	C_REPORT,
	C_SANITY,
	C_MAX
};
static const char *const check_names[C_MAX] = {
	"detection", "title",	   "alt",      "type",	    "frame",	   "executor",
	"corrupted", "suppressed", "panicked", "start/end", "report text", "sanity",
};
static const double thresholds[C_MAX] = {
	[C_DETECT] = 100, [C_TITLE] = 97,     [C_ALT] = 90,
	[C_TYPE] = 95,	  [C_CORRUPTED] = 95, [C_REPORT] = 90,
};

struct stats {
	unsigned pass[C_MAX], total[C_MAX];
	struct kb_buf failed[C_MAX];
};

struct tcase {
	char *title, *type, *frame, *executor, *start, *end;
	char *alts[32];
	size_t n_alt;
	bool corrupted, suppressed, panicked;
	const char *log;
	size_t log_len;
	const char *report; /* NULL when there is no REPORT section */
	size_t report_len;
};

static bool verbose;

static void record(struct stats *st, enum check c, bool ok, const char *name, const char *detail)
{
	st->total[c]++;
	if (ok) {
		st->pass[c]++;
		return;
	}
	kb_buf_addf(&st->failed[c], " %s", name);
	if (verbose && detail)
		printf("  %s %s: %s\n", check_names[c], name, detail);
}

static char *dup_value(const char *p, const char *e)
{
	while (p < e && *p == ' ')
		p++;
	return kb_xstrndup(p, (size_t)(e - p));
}

/* Split a case file (already '\r'-free) into header, log and report. */
static void parse_case(char *data, size_t len, struct tcase *tc)
{
	char *p = data, *end = data + len;

	memset(tc, 0, sizeof(*tc));
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;

		if (e == p) {
			p = e + 1;
			break;
		}
		if (*p != '#') {
			char *colon = memchr(p, ':', (size_t)(e - p));

			if (colon) {
				size_t kl = (size_t)(colon - p);
				char *v = dup_value(colon + 1, e);

				if (kl == 5 && !memcmp(p, "TITLE", 5))
					tc->title = v;
				else if (kl == 3 && !memcmp(p, "ALT", 3) && tc->n_alt < 32)
					tc->alts[tc->n_alt++] = v;
				else if (kl == 4 && !memcmp(p, "TYPE", 4))
					tc->type = v;
				else if (kl == 5 && !memcmp(p, "FRAME", 5))
					tc->frame = v;
				else if (kl == 8 && !memcmp(p, "EXECUTOR", 8))
					tc->executor = v;
				else if (kl == 5 && !memcmp(p, "START", 5))
					tc->start = v;
				else if (kl == 3 && !memcmp(p, "END", 3))
					tc->end = v;
				else {
					if (kl == 9 && !memcmp(p, "CORRUPTED", 9))
						tc->corrupted = v[0] == 'Y';
					else if (kl == 10 && !memcmp(p, "SUPPRESSED", 10))
						tc->suppressed = v[0] == 'Y';
					else if (kl == 8 && !memcmp(p, "PANICKED", 8))
						tc->panicked = v[0] == 'Y';
					free(v);
				}
			}
		}
		p = e + 1;
	}
	if (p > end)
		p = end;
	tc->log = p;
	tc->log_len = (size_t)(end - p);
	for (char *q = p; q < end;) {
		char *nl = memchr(q, '\n', (size_t)(end - q));

		if (!nl)
			break;
		if (nl + 1 < end && nl[1] == '\n' && (size_t)(end - (nl + 2)) >= 7 &&
		    !memcmp(nl + 2, "REPORT:", 7) && (nl + 9 == end || nl[9] == '\n')) {
			tc->log_len = (size_t)(nl + 2 - p);
			tc->report = nl + 9 < end ? nl + 10 : end;
			tc->report_len = (size_t)(end - tc->report);
			break;
		}
		q = nl + 1;
	}
	if (tc->title && !*tc->title) {
		free(tc->title);
		tc->title = NULL;
	}
}

static void free_case(struct tcase *tc)
{
	free(tc->title);
	free(tc->type);
	free(tc->frame);
	free(tc->executor);
	free(tc->start);
	free(tc->end);
	for (size_t i = 0; i < tc->n_alt; i++)
		free(tc->alts[i]);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool same_alts(struct tcase *tc, const struct kb_report *r)
{
	char *got[KB_REPORT_MAX_ALT];
	/* Expected ALT lines may repeat: compare as sets. */
	char *want[32];
	size_t nw = 0;

	qsort(tc->alts, tc->n_alt, sizeof(char *), cmpstr);
	for (size_t i = 0; i < tc->n_alt; i++)
		if (!nw || strcmp(want[nw - 1], tc->alts[i]))
			want[nw++] = tc->alts[i];
	memcpy(got, r->alt_titles, r->n_alt * sizeof(char *));
	qsort(got, r->n_alt, sizeof(char *), cmpstr);
	if (nw != r->n_alt)
		return false;
	for (size_t i = 0; i < nw; i++)
		if (strcmp(want[i], got[i]))
			return false;
	return true;
}

static void run_case(struct stats *st, const char *name, struct kb_buf *raw)
{
	struct kb_buf clean = KB_BUF_INIT;
	struct tcase tc;
	struct kb_report *r = NULL;
	bool crash, cc;
	char detail[512];
	int rc;

	for (size_t i = 0; i < raw->len; i++)
		if (raw->buf[i] != '\r')
			kb_buf_addch(&clean, raw->buf[i]);
	parse_case(clean.buf, clean.len, &tc);
	rc = kb_report_parse(tc.log, tc.log_len, 0, &r);
	crash = rc > 0;
	cc = kb_report_contains_crash(tc.log, tc.log_len);
	snprintf(detail, sizeof(detail), "want crash=%d got parse=%d contains=%d (%s)",
		 tc.title != NULL, rc, cc, r ? r->title : "-");
	record(st, C_DETECT, rc >= 0 && crash == (tc.title != NULL) && cc == crash, name, detail);
	if (!tc.title || !r)
		goto out;

	snprintf(detail, sizeof(detail), "want '%s' got '%s'", tc.title, r->title);
	record(st, C_TITLE, !strcmp(tc.title, r->title), name, detail);
	{
		struct kb_buf d = KB_BUF_INIT;

		for (size_t i = 0; i < r->n_alt; i++)
			kb_buf_addf(&d, "[%s] ", r->alt_titles[i]);
		record(st, C_ALT, same_alts(&tc, r), name, d.buf);
		kb_buf_release(&d);
	}
	snprintf(detail, sizeof(detail), "want '%s' got '%s' (%s)", tc.type ? tc.type : "", r->type,
		 r->title);
	record(st, C_TYPE, !strcmp(tc.type ? tc.type : "", r->type), name, detail);
	if (tc.frame) {
		snprintf(detail, sizeof(detail), "want '%s' got '%s'", tc.frame, r->frame);
		record(st, C_FRAME, !strcmp(tc.frame, r->frame), name, detail);
	}
	if (tc.executor) {
		snprintf(detail, sizeof(detail), "want '%s' got '%s'", tc.executor,
			 r->executor ? r->executor : "(none)");
		record(st, C_EXECUTOR, r->executor && !strcmp(tc.executor, r->executor), name,
		       detail);
	}
	snprintf(detail, sizeof(detail), "want %d got %d (%s) %s", tc.corrupted, r->corrupted,
		 r->corrupted_reason, r->title);
	record(st, C_CORRUPTED, tc.corrupted == r->corrupted, name, detail);
	record(st, C_SUPPRESSED, tc.suppressed == r->suppressed, name, NULL);
	record(st, C_PANICKED, tc.panicked == r->panicked, name, NULL);
	if (tc.start) {
		const char *s = memmem(tc.log, tc.log_len, tc.start, strlen(tc.start));
		const char *endtext = tc.end ? tc.end : tc.start;
		const char *e = memmem(tc.log, tc.log_len, endtext, strlen(endtext));
		bool ok = s && e && r->start == (size_t)(s - tc.log) &&
			  r->end == (size_t)(e - tc.log) + strlen(endtext);

		snprintf(detail, sizeof(detail), "start %zu end %zu", r->start, r->end);
		record(st, C_STARTEND, ok, name, detail);
	}
	if (tc.report) {
		bool ok = r->report_len == tc.report_len &&
			  !memcmp(r->report, tc.report, tc.report_len);

		record(st, C_REPORT, ok, name, r->report);
	}
	{
		struct kb_report *r2 = NULL, *r3 = NULL;
		bool ok = r->start < r->end && r->end <= tc.log_len && r->start < r->skip &&
			  r->skip <= r->end && r->report_len > 0;

		if (kb_report_parse(tc.log, tc.log_len, r->start, &r2) <= 0 ||
		    strcmp(r2->title, r->title) || r2->start != r->start)
			ok = false;
		if (kb_report_parse(tc.log, tc.log_len, r->end, &r3) > 0 &&
		    !strcmp(r3->title, r->title))
			ok = false;
		kb_report_free(r2);
		kb_report_free(r3);
		record(st, C_SANITY, ok, name, "invariants");
	}
out:
	kb_report_free(r);
	free_case(&tc);
	kb_buf_release(&clean);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void test_corpus(void **state)
{
	const char *shared = getenv("KBISECT_SHARED");
	char *dir;
	DIR *d;
	struct dirent *de;
	struct stats st = { 0 };
	bool ok = true;

	(void)state;
	verbose = getenv("KB_CORPUS_VERBOSE") && !strcmp(getenv("KB_CORPUS_VERBOSE"), "1");
	if (!shared)
		skip();
	dir = kb_xasprintf("%s/testdata/crash-reports", shared);
	d = opendir(dir);
	assert_non_null(d);
	for (int i = 0; i < C_MAX; i++)
		kb_buf_init(&st.failed[i], 0);
	while ((de = readdir(d))) {
		struct kb_buf data = KB_BUF_INIT;
		char *path;

		if (!all_digits(de->d_name))
			continue;
		path = kb_xasprintf("%s/%s", dir, de->d_name);
		assert_int_equal(kb_read_file(path, &data), 0);
		run_case(&st, de->d_name, &data);
		kb_buf_release(&data);
		free(path);
	}
	closedir(d);
	for (int i = 0; i < C_MAX; i++) {
		double pct = st.total[i] ? 100.0 * st.pass[i] / st.total[i] : 100.0;

		printf("%s: %u/%u (%.1f%%)\n", check_names[i], st.pass[i], st.total[i], pct);
		if (verbose && st.failed[i].len)
			printf("  failing:%s\n", st.failed[i].buf);
		if (pct + 1e-9 < thresholds[i]) {
			printf("  below threshold %.0f%%\n", thresholds[i]);
			ok = false;
		}
		kb_buf_release(&st.failed[i]);
	}
	assert_true(st.total[C_DETECT] > 0);
	free(dir);
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
