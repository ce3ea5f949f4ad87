/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go's text formats that the reference bisection log uses: the
 * time.Duration.String() form of durations ("3h34m58.069124664s", "500ms",
 * "1.5µs", "0s") and fmt's %q of strings and of []string
 * (["a@b" "c@d"]).  Existing log readers parse these, so they must match
 * Go byte for byte.
 */
#ifndef KB_OUTPUT_GOLANG_H
#define KB_OUTPUT_GOLANG_H

#include "util/buf.h"

/* Append @ns nanoseconds as Go's Duration.String(). */
void kb_go_duration(struct kb_buf *b, int64_t ns);

/*
 * Append @seconds as Go's Duration.String(), rounded to the nearest
 * nanosecond (values beyond +-292 years saturate, as Go's int64 would wrap).
 */
void kb_go_duration_seconds(struct kb_buf *b, double seconds);

/*
 * Append Go's strconv.Quote() of @len bytes at @s: double quotes, \" and
 * \\, \a \b \f \n \r \t \v, \xHH for other control bytes and invalid UTF-8,
 * \uHHHH / \UHHHHHHHH for code points Go does not consider printable.
 * Printable non-ASCII is kept as UTF-8.  Go's printability comes from the
 * full Unicode tables; we classify controls, separators, format characters,
 * private use and noncharacters, and treat other (also unassigned) code
 * points as printable.
 */
void kb_go_quote(struct kb_buf *b, const char *s, size_t len);

/* Append fmt.Sprintf("%q", v) of a []string: ["a" "b"], [] when empty. */
void kb_go_quote_list(struct kb_buf *b, const char *const *v, size_t n);

#endif
