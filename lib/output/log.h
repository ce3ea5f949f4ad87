/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The human bisection log in the reference (syzkaller) format, one helper
 * per kind of line (docs/reference-bisection.md §2.1).  Every helper
 * appends complete lines, each ending in '\n', to a kb_buf; the CLI writes
 * the buffer to stdout.  Keeping the exact strings here means readers of
 * syzbot logs can read ours, and the tests compare them with lines copied
 * from the reference logs.
 */
#ifndef KB_OUTPUT_LOG_H
#define KB_OUTPUT_LOG_H

#include "util/buf.h"

/* Any other line: printf format plus '\n'. */
void kb_log_line(struct kb_buf *b, const char *fmt, ...) KB_PRINTF(2, 3);

/* "bisecting cause commit starting from H" */
void kb_log_bisect_from(struct kb_buf *b, const char *hash);

/*
 * "testing commit H", or "testing commit H SUFFIX" when @suffix is not NULL
 * (the 2019 format has "with gcc (GCC) 8.1.0", today's the compiler type).
 */
void kb_log_testing_commit(struct kb_buf *b, const char *hash, const char *suffix);

/* "compiler: ID" (LINUX_COMPILER or the compiler's --version line) */
void kb_log_compiler(struct kb_buf *b, const char *id);

/* "kernel signature: SIG" */
void kb_log_kernel_signature(struct kb_buf *b, const char *sig);

/* "failed building H: CAUSE" (only the first line of @cause) */
void kb_log_build_failed(struct kb_buf *b, const char *hash, const char *cause);

/* "testing release TAG" */
void kb_log_testing_release(struct kb_buf *b, const char *tag);

/*
 * The run lines of one revision: "all runs: V" when every verdict string is
 * the same (also for a single run), else "run #i: V" for each.  Nothing
 * when @n is 0.  The verdict strings are "OK", "crashed: T", ...
 */
void kb_log_runs(struct kb_buf *b, const char *const *verdicts, size_t n);

struct kb_run_result;

/* kb_log_runs() over the reference wording of each result ("OK", "crashed: T", ...). */
void kb_log_run_results(struct kb_buf *b, const struct kb_run_result *runs, size_t n);

/* "# git bisect start BAD GOOD..." */
void kb_log_git_start(struct kb_buf *b, const char *bad, const char *const *good, size_t n_good);

/* "# git bisect TERM H", TERM being good, bad or skip */
void kb_log_git_step(struct kb_buf *b, const char *term, const char *hash);

/*
 * What git prints for the next candidate, then the blank line the reference
 * tracer adds:
 *   Bisecting: N revision[s] left to test after this (roughly K step[s])
 *   [H] SUBJECT
 *   <blank>
 * with git's own singular for exactly 1.
 */
void kb_log_bisecting(struct kb_buf *b, unsigned left, unsigned steps, const char *hash,
		      const char *subject);

/*
 * git's estimate of the remaining steps when @all candidates are left
 * (git bisect.c estimate_bisect_steps): about log2(all), one less when all
 * is much closer to the lower power of two.
 */
unsigned kb_bisect_estimate_steps(unsigned all);

/* "culprit signature: S1" and "parent  signature: S2" (two spaces) */
void kb_log_signatures(struct kb_buf *b, const char *culprit, const char *parent);

/* "revisions tested: N, total time: D (build: B, test: T)"; times in seconds */
void kb_log_stats(struct kb_buf *b, unsigned tested, double total, double build, double test);

/* "first bad commit: H SUBJECT" ("first good commit:" when @fix) */
void kb_log_first_commit(struct kb_buf *b, bool fix, const char *hash, const char *subject);

/* "bisection is inconclusive, the first bad commit could be any of:" + one hash per line */
void kb_log_inconclusive(struct kb_buf *b, const char *const *hashes, size_t n);

/* "recipients (to): [...]" and "recipients (cc): [...]", Go %q lists */
void kb_log_recipients(struct kb_buf *b, const char *const *to, size_t n_to, const char *const *cc,
		       size_t n_cc);

/*
 * "crash: TITLE", then the report text as it is, then the newline the
 * reference tracer appends (so a report ending in '\n' leaves a blank line).
 */
void kb_log_crash(struct kb_buf *b, const char *title, const char *report, size_t len);

#endif
