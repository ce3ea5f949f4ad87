// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <string.h>
#include "util/buf.h"

char kb_buf_slopbuf[1];

void kb_buf_init(struct kb_buf *b, size_t hint)
{
	*b = (struct kb_buf)KB_BUF_INIT;
	if (hint)
		kb_buf_grow(b, hint);
}

void kb_buf_release(struct kb_buf *b)
{
	size_t cap = b->cap;

	if (b->alloc)
		free(b->buf);
	*b = (struct kb_buf)KB_BUF_INIT;
	b->cap = cap;
}

char *kb_buf_detach(struct kb_buf *b, size_t *len)
{
	char *p;

	kb_buf_grow(b, 0);
	p = b->buf;
	if (len)
		*len = b->len;
	*b = (struct kb_buf)KB_BUF_INIT;
	return p;
}

void kb_buf_grow(struct kb_buf *b, size_t extra)
{
	size_t want;

	if (b->len + extra + 1 < b->len)
		abort(); /* overflow */
	want = b->len + extra + 1;
	if (b->alloc && want <= b->alloc)
		return;
	if (!b->alloc) {
		size_t n = want < 64 ? 64 : want;

		b->buf = kb_xmalloc(n);
		b->buf[0] = '\0';
		b->alloc = n;
		return;
	}
	size_t n = b->alloc * 2;

	if (n < want)
		n = want;
	b->buf = kb_xrealloc(b->buf, n);
	b->alloc = n;
}

void kb_buf_reset(struct kb_buf *b)
{
	kb_buf_setlen(b, 0);
	b->truncated = false;
}

void kb_buf_setlen(struct kb_buf *b, size_t len)
{
	if (!b->alloc) {
		if (len)
			abort();
		return;
	}
	b->len = len;
	b->buf[len] = '\0';
}

void kb_buf_add(struct kb_buf *b, const void *data, size_t len)
{
	if (b->cap && b->len + len > b->cap) {
		b->truncated = true;
		len = b->cap > b->len ? b->cap - b->len : 0;
	}
	if (!len)
		return;
	kb_buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void kb_buf_addstr(struct kb_buf *b, const char *s)
{
	kb_buf_add(b, s, strlen(s));
}

void kb_buf_addch(struct kb_buf *b, int c)
{
	char ch = (char)c;

	kb_buf_add(b, &ch, 1);
}

void kb_buf_vaddf(struct kb_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		kb_buf_add(b, small, (size_t)n);
		return;
	}
	char *big = kb_xmalloc((size_t)n + 1);

	vsnprintf(big, (size_t)n + 1, fmt, ap);
	kb_buf_add(b, big, (size_t)n);
	free(big);
}

void kb_buf_addf(struct kb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void kb_buf_rtrim(struct kb_buf *b)
{
	while (b->len && isspace((unsigned char)b->buf[b->len - 1]))
		b->len--;
	if (b->alloc)
		b->buf[b->len] = '\0';
}
