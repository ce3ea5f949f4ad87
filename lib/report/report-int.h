/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the crash-report parser shared between its source files.
 * Not part of the public API (see report.h).
 */
#ifndef KB_REPORT_INT_H
#define KB_REPORT_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "report/report.h"

/*
 * A regex given as source text in a static table.  All of them are compiled
 * once, on first use, by kb_re_init() (pthread_once), and never freed.
 */
struct kb_re {
	const char *src;
	pcre2_code *code;
};

#define RE(s) (&(struct kb_re){ .src = (s) })

/* Maximum capture groups we look at (plus group 0). */
#define KB_RE_MAX_GROUPS 8

struct kb_re_match {
	size_t start, end; /* group 0 */
	int ngroups; /* captured groups (1..) that exist */
	size_t gs[KB_RE_MAX_GROUPS + 1]; /* group starts; (size_t)-1 = unset */
	size_t ge[KB_RE_MAX_GROUPS + 1];
};

void kb_re_init(void);
/* Compile one regex (placeholders expanded); used by kb_re_init() only. */
void kb_re_compile(struct kb_re *re);
/* Unanchored search in s[0..len); true on a match, *m (may be NULL) filled. */
bool kb_re_search(const struct kb_re *re, const char *s, size_t len, struct kb_re_match *m);
static inline bool kb_re_match(const struct kb_re *re, const char *s, size_t len)
{
	return kb_re_search(re, s, len, NULL);
}

/* Marker table and scan (markers.c). */
#define KB_NO_MARKER (-1)
struct kb_marker {
	const char *header;
	size_t hlen;
	struct kb_re *const *supp; /* line suppressions, NULL-terminated */
};
extern const struct kb_marker kb_markers[];
extern const size_t kb_n_markers;
void kb_markers_init(void);
/* Index of the first marker that matches the line, or KB_NO_MARKER. */
int kb_marker_match_line(const char *line, size_t len);
/*
 * Find the first line in out[pos..len) that matches a marker.  Returns the
 * marker index and sets *ls and *le to the line bounds (le at the '\n' or len),
 * or KB_NO_MARKER.
 */
int kb_marker_find(const char *out, size_t len, size_t pos, size_t *ls, size_t *le);

/* Formats and titles (formats.c). */
struct kb_title {
	char *title; /* raw (not normalized) */
	char *alt[KB_REPORT_MAX_ALT];
	size_t n_alt;
	const char *corrupted; /* reason or NULL */
	bool nsc; /* no stack-trace corruption check */
	bool fallback; /* no format matched */
};
void kb_formats_init(void);
void kb_title_extract(const char *w, size_t wlen, int marker, struct kb_title *t);
void kb_title_release(struct kb_title *t);

/* Stack-start regexes, frame-line regexes (formats.c, used by the corruption check). */
bool kb_is_stack_start(const char *line, size_t len, bool *riscv);
bool kb_is_frame_line(const char *line, size_t len);
/* Indices of all stack-start regexes matching the line; the RISC-V one is 8. */
size_t kb_stack_start_kind(const char *line, size_t len, size_t *kinds);
#define KB_STACK_START_RISCV 8

/* Normalization and types (normalize.c). */
char *kb_title_normalize(const char *s);
void kb_normalize_init(void);

/* Parser tables (parse.c). */
void kb_parse_init(void);

#endif
