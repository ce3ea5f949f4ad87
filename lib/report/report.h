/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linux kernel console output -> crash report.
 *
 * The behaviour follows docs/report.md (derived from the crash-report
 * specification in ../shared/docs/crash-report-spec.md): oops markers find the
 * start of a crash, the report text is the crash lines with console prefixes
 * removed, the title is normalized so that two runs of the same bug give the
 * same title.
 *
 * Input is bytes, not text: NUL and non-UTF-8 bytes are allowed anywhere.
 */
#ifndef KB_REPORT_REPORT_H
#define KB_REPORT_REPORT_H

#include "util/buf.h"

#define KB_REPORT_MAX_ALT 16

struct kb_report {
	char *title; /* normalized title, never NULL in a result */
	char *alt_titles[KB_REPORT_MAX_ALT];
	size_t n_alt;
	char *type; /* e.g. "KASAN-USE-AFTER-FREE-READ"; "" = unknown */
	char *frame; /* guilty function, "" when the title has no " in " */
	char *report; /* extracted report text (NUL-terminated) */
	size_t report_len;
	/*
	 * Bytes of ->report before the oops line: the context lines of the
	 * same console context (spec §4.2 "prefix").  The oops line and the
	 * body start at ->report + ->prefix_len.
	 */
	size_t prefix_len;
	size_t start; /* byte offset of the first crash line */
	size_t end; /* byte offset just past the last oops-marker line */
	size_t skip; /* where the search for the next crash resumes */
	bool corrupted;
	char *corrupted_reason; /* "" when not corrupted */
	bool suppressed;
	bool panicked;
	char *executor; /* "proc=P, id=E" or NULL */
	char *guilty_file; /* set by kb_report_guilty_file(), else NULL */
};

void kb_report_free(struct kb_report *r);

/* Cheap yes/no: does @len bytes of console output contain a crash? */
bool kb_report_contains_crash(const char *out, size_t len);

/*
 * Parse the first crash at or after byte @pos.  Returns 1 and *ret (caller
 * frees with kb_report_free) when a crash was found, 0 when none, -errno on
 * an internal error.  Offsets in the result are relative to @out.
 */
int kb_report_parse(const char *out, size_t len, size_t pos, struct kb_report **ret);

/*
 * All crashes, in order (each search resumes at the previous one's skip
 * position).  *ret is an array of *n pointers; free with kb_report_free_all.
 */
int kb_report_parse_all(const char *out, size_t len, struct kb_report ***ret, size_t *n);
void kb_report_free_all(struct kb_report **v, size_t n);

/*
 * Type (category) of a normalized title, as in the spec's table; "" for
 * unknown.  Returned string is static.
 */
const char *kb_report_title_type(const char *title);

/*
 * Blame a source file for a symbolized report (frames carry file:line).
 * Returns a malloc'ed path or NULL.
 */
char *kb_report_guilty_file(const char *title, const char *report, size_t len);

/* The same for a parsed report: its text without the prefix lines (spec §14). */
char *kb_report_guilty(const struct kb_report *r);

/*
 * Append a "Code disassembly (best guess):" block for the first decodable
 * "Code:" line of @report to @out (nothing when none decodes).  @arch is
 * "amd64", "arm64" or "arm".  Returns 1 when a block was added, 0 when not.
 */
int kb_report_decompile(const char *report, size_t len, const char *arch, struct kb_buf *out);

#endif
