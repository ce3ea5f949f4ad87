/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Common macros for libkbisect: cleanup attributes (systemd style), ownership
 * transfer, array sizes.  Every library source includes this first.
 */
#ifndef KB_UTIL_COMMON_H
#define KB_UTIL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

#define KB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KB_MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define KB_MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define KB_UNUSED	 __attribute__((unused))
#define KB_MUST_CHECK	 __attribute__((warn_unused_result))
#define KB_PRINTF(f, a)	 __attribute__((format(printf, f, a)))

/* Take ownership of a pointer out of a _cleanup_ variable. */
#define KB_TAKE_PTR(p)                 \
	({                             \
		typeof(p) _tmp_ = (p); \
		(p) = NULL;            \
		_tmp_;                 \
	})

#define KB_TAKE_FD(fd)              \
	({                          \
		int _tmpfd_ = (fd); \
		(fd) = -1;          \
		_tmpfd_;            \
	})

static inline void kb_freep(void *p)
{
	free(*(void **)p);
}

static inline void kb_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void kb_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(f)	 __attribute__((cleanup(f)))
#define _cleanup_free_	 _cleanup_(kb_freep)
#define _cleanup_close_	 _cleanup_(kb_closep)
#define _cleanup_fclose_ _cleanup_(kb_fclosep)

/* Allocation that cannot fail: OOM aborts (like git's xmalloc). */
void *kb_xmalloc(size_t n);
void *kb_xcalloc(size_t n, size_t size);
void *kb_xrealloc(void *p, size_t n);
char *kb_xstrdup(const char *s);
char *kb_xstrndup(const char *s, size_t n);
char *kb_xasprintf(const char *fmt, ...) KB_PRINTF(1, 2);

#endif
