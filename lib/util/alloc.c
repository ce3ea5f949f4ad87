// SPDX-License-Identifier: Apache-2.0
/* Allocation wrappers: on OOM there is nothing sensible to do but abort. */
#include <stdarg.h>
#include <string.h>
#include "util/common.h"

static void *oom(size_t n)
{
	fprintf(stderr, "kbisect: out of memory (%zu bytes)\n", n);
	abort();
}

void *kb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	return p ? p : oom(n);
}

void *kb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	return p ? p : oom(n * size);
}

void *kb_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	return q ? q : oom(n);
}

char *kb_xstrdup(const char *s)
{
	return kb_xstrndup(s, strlen(s));
}

char *kb_xstrndup(const char *s, size_t n)
{
	char *p = kb_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom(0);
	return p;
}
