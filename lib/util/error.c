// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>
#include <string.h>
#include "util/error.h"

static __thread char last_error[1024];

int kb_error_set(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

int kb_error_wrap(int err, const char *fmt, ...)
{
	char old[sizeof(last_error)];
	size_t n;
	va_list ap;

	memcpy(old, last_error, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	/* Append ": <previous message>" (or the errno text), truncating quietly. */
	n = strlen(last_error);
	if (n + 2 < sizeof(last_error)) {
		memcpy(last_error + n, ": ", 3);
		n += 2;
		const char *tail = old[0] ? old : strerror(err < 0 ? -err : err);
		size_t room = sizeof(last_error) - n - 1, tl = strlen(tail);

		if (tl > room)
			tl = room;
		memcpy(last_error + n, tail, tl);
		last_error[n + tl] = '\0';
	}
	return err;
}

const char *kb_error_last(void)
{
	return last_error;
}

void kb_error_clear(void)
{
	last_error[0] = '\0';
}
