// SPDX-License-Identifier: Apache-2.0
/*
 * Reference-format log lines.  The format strings are the facts recorded in
 * docs/reference-bisection.md §2.1 and in the two reference logs; nothing
 * here decides anything, it only spells.
 */
#include <stdarg.h>
#include <string.h>
#include "output/golang.h"
#include "output/log.h"
#include "run/run.h"

void kb_log_line(struct kb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_buf_vaddf(b, fmt, ap);
	va_end(ap);
	kb_buf_addch(b, '\n');
}

void kb_log_bisect_from(struct kb_buf *b, const char *hash)
{
	kb_log_line(b, "bisecting cause commit starting from %s", hash);
}

void kb_log_testing_commit(struct kb_buf *b, const char *hash, const char *suffix)
{
	if (suffix)
		kb_log_line(b, "testing commit %s %s", hash, suffix);
	else
		kb_log_line(b, "testing commit %s", hash);
}

void kb_log_compiler(struct kb_buf *b, const char *id)
{
	kb_log_line(b, "compiler: %s", id);
}

void kb_log_kernel_signature(struct kb_buf *b, const char *sig)
{
	kb_log_line(b, "kernel signature: %s", sig);
}

void kb_log_build_failed(struct kb_buf *b, const char *hash, const char *cause)
{
	/* one log line per event: a multi-line cause would look like other lines */
	int n = (int)strcspn(cause, "\n");

	kb_log_line(b, "failed building %s: %.*s", hash, n, cause);
}

void kb_log_testing_release(struct kb_buf *b, const char *tag)
{
	kb_log_line(b, "testing release %s", tag);
}

void kb_log_runs(struct kb_buf *b, const char *const *verdicts, size_t n)
{
	bool same = true;

	if (!n)
		return;
	for (size_t i = 1; i < n && same; i++)
		same = !strcmp(verdicts[i], verdicts[0]);
	if (same) {
		kb_log_line(b, "all runs: %s", verdicts[0]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		kb_log_line(b, "run #%zu: %s", i, verdicts[i]);
}

void kb_log_run_results(struct kb_buf *b, const struct kb_run_result *runs, size_t n)
{
	char **v = kb_xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = kb_run_result_describe(&runs[i]);
	kb_log_runs(b, (const char *const *)v, n);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kb_log_git_start(struct kb_buf *b, const char *bad, const char *const *good, size_t n_good)
{
	kb_buf_addf(b, "# git bisect start %s", bad);
	for (size_t i = 0; i < n_good; i++)
		kb_buf_addf(b, " %s", good[i]);
	kb_buf_addch(b, '\n');
}

void kb_log_git_step(struct kb_buf *b, const char *term, const char *hash)
{
	kb_log_line(b, "# git bisect %s %s", term, hash);
}

void kb_log_bisecting(struct kb_buf *b, unsigned left, unsigned steps, const char *hash,
		      const char *subject)
{
	/* git uses ngettext: singular only for exactly one, "0 revisions" */
	kb_log_line(b, "Bisecting: %u revision%s left to test after this (roughly %u step%s)", left,
		    left == 1 ? "" : "s", steps, steps == 1 ? "" : "s");
	kb_log_line(b, "[%s] %s", hash, subject);
	kb_buf_addch(b, '\n');
}

unsigned kb_bisect_estimate_steps(unsigned all)
{
	unsigned n = 0, e, x;

	if (all < 3)
		return 0;
	while ((all >> (n + 1)) != 0)
		n++; /* n = floor(log2(all)) */
	e = 1U << n;
	x = all - e;
	return e < 3 * x ? n : n - 1;
}

void kb_log_signatures(struct kb_buf *b, const char *culprit, const char *parent)
{
	kb_log_line(b, "culprit signature: %s", culprit);
	kb_log_line(b, "parent  signature: %s", parent);
}

void kb_log_stats(struct kb_buf *b, unsigned tested, double total, double build, double test)
{
	kb_buf_addf(b, "revisions tested: %u, total time: ", tested);
	kb_go_duration_seconds(b, total);
	kb_buf_addstr(b, " (build: ");
	kb_go_duration_seconds(b, build);
	kb_buf_addstr(b, ", test: ");
	kb_go_duration_seconds(b, test);
	kb_buf_addstr(b, ")\n");
}

void kb_log_first_commit(struct kb_buf *b, bool fix, const char *hash, const char *subject)
{
	kb_log_line(b, "first %s commit: %s %s", fix ? "good" : "bad", hash, subject);
}

void kb_log_inconclusive(struct kb_buf *b, const char *const *hashes, size_t n)
{
	kb_log_line(b, "bisection is inconclusive, the first bad commit could be any of:");
	for (size_t i = 0; i < n; i++)
		kb_log_line(b, "%s", hashes[i]);
}

void kb_log_recipients(struct kb_buf *b, const char *const *to, size_t n_to, const char *const *cc,
		       size_t n_cc)
{
	kb_buf_addstr(b, "recipients (to): ");
	kb_go_quote_list(b, to, n_to);
	kb_buf_addstr(b, "\nrecipients (cc): ");
	kb_go_quote_list(b, cc, n_cc);
	kb_buf_addch(b, '\n');
}

void kb_log_crash(struct kb_buf *b, const char *title, const char *report, size_t len)
{
	kb_log_line(b, "crash: %s", title);
	kb_buf_add(b, report, len);
	kb_buf_addch(b, '\n');
}
