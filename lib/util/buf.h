/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffer in the spirit of git's strbuf: ->buf is never NULL and
 * always NUL-terminated, so it can be passed to C string functions, yet it may
 * hold NUL bytes (console logs do).  An optional cap bounds memory for
 * untrusted input: appends beyond it are dropped and ->truncated is set.
 */
#ifndef KB_UTIL_BUF_H
#define KB_UTIL_BUF_H

#include <stdarg.h>
#include "util/common.h"

struct kb_buf {
	char *buf; /* data, NUL-terminated; kb_buf_slopbuf when empty */
	size_t len; /* bytes used, not counting the terminating NUL */
	size_t alloc; /* bytes allocated; 0 while buf points at the slop buffer */
	size_t cap; /* maximum len, 0 = unlimited */
	bool truncated; /* an append was cut at cap */
};

extern char kb_buf_slopbuf[];
#define KB_BUF_INIT                   \
	{                             \
		.buf = kb_buf_slopbuf \
	}

void kb_buf_init(struct kb_buf *b, size_t hint);
void kb_buf_release(struct kb_buf *b);
/* Hand the data out (caller frees) and reset @b to empty. */
char *kb_buf_detach(struct kb_buf *b, size_t *len);
void kb_buf_grow(struct kb_buf *b, size_t extra);
void kb_buf_reset(struct kb_buf *b);
void kb_buf_setlen(struct kb_buf *b, size_t len);
void kb_buf_add(struct kb_buf *b, const void *data, size_t len);
void kb_buf_addstr(struct kb_buf *b, const char *s);
void kb_buf_addch(struct kb_buf *b, int c);
void kb_buf_addf(struct kb_buf *b, const char *fmt, ...) KB_PRINTF(2, 3);
void kb_buf_vaddf(struct kb_buf *b, const char *fmt, va_list ap) KB_PRINTF(2, 0);
/* Remove trailing whitespace. */
void kb_buf_rtrim(struct kb_buf *b);

static inline void kb_buf_cleanup(struct kb_buf *b)
{
	kb_buf_release(b);
}
#define _cleanup_buf_ _cleanup_(kb_buf_cleanup)

#endif
