/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error reporting for failures of kbisect itself (I/O, bad config, exec
 * failure).  Functions return 0 or a negative errno; kb_error_set() records a
 * one-line, thread-local message that the CLI prints.  Outcomes of the thing
 * under test (crash, boot failure, ...) are never errors: they are data.
 */
#ifndef KB_UTIL_ERROR_H
#define KB_UTIL_ERROR_H

#include "util/common.h"

/*
 * Record a message (printf format) and return @err so callers can write
 * "return kb_error_set(-ENOENT, "cannot open '%s'", path);".  The message
 * should name the problem and, where possible, the fix.
 */
int kb_error_set(int err, const char *fmt, ...) KB_PRINTF(2, 3);

/* Prefix the current message with "<prefix>: " and return @err. */
int kb_error_wrap(int err, const char *fmt, ...) KB_PRINTF(2, 3);

/* The last recorded message, or "" when none. */
const char *kb_error_last(void);

void kb_error_clear(void);

#endif
