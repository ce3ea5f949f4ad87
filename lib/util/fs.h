/* SPDX-License-Identifier: Apache-2.0 */
/* Small file-system helpers. */
#ifndef KB_UTIL_FS_H
#define KB_UTIL_FS_H

#include "util/buf.h"

/*
 * Read a whole file (or stdin for "-") into @out.  Returns 0 or -errno with
 * the error message set ("cannot read 'PATH': reason").
 */
int kb_read_file(const char *path, struct kb_buf *out) KB_MUST_CHECK;

/* Write @len bytes atomically (temp file + rename).  0 or -errno. */
int kb_write_file(const char *path, const void *data, size_t len) KB_MUST_CHECK;

/* mkdir -p.  0 or -errno. */
int kb_mkdir_p(const char *path, unsigned mode) KB_MUST_CHECK;

/* rm -rf; missing path is not an error.  0 or -errno. */
int kb_rm_rf(const char *path) KB_MUST_CHECK;

/*
 * Take an exclusive lock on DIR/lock (created if missing) without waiting.
 * Returns an O_CLOEXEC descriptor that holds the lock until closed (or the
 * process dies: a killed owner never leaves a stale lock), or -EBUSY when
 * another process holds it, or -errno.  The message names @what.
 */
int kb_lock_dir(const char *dir, const char *what) KB_MUST_CHECK;

bool kb_path_exists(const char *path);
bool kb_is_dir(const char *path);

#endif
