/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The initramfs kbisect boots its kernels with: busybox-static, an /init
 * script and the reproducer, as an uncompressed "newc" cpio archive written
 * directly (no root, no mknod: device nodes are archive entries).
 *
 * /init mounts proc, sysfs, devtmpfs, tmpfs, debugfs and configfs (those the
 * kernel lacks are skipped), prints KB_MARK_BOOT_DONE, runs a smoke test
 * (KB_MARK_SMOKE_OK or KB_MARK_SMOKE_FAILED), runs the reproducer under a
 * time limit (KB_MARK_REPRO_START, then KB_MARK_REPRO_DONE) and powers off.
 * With "kbisect_mode=probe" on the kernel command line it powers off right
 * after KB_MARK_BOOT_DONE (the accelerator probe).
 */
#ifndef KB_RUN_INITRAMFS_H
#define KB_RUN_INITRAMFS_H

#include "util/buf.h"

#define KB_MARK_BOOT_DONE    "kbisect-guest: boot done"
#define KB_MARK_SMOKE_OK     "kbisect-guest: smoke test ok"
#define KB_MARK_SMOKE_FAILED "kbisect-guest: smoke test failed:"
#define KB_MARK_REPRO_START  "kbisect-guest: reproducer start"
#define KB_MARK_REPRO_DONE   "kbisect-guest: reproducer done"

struct kb_initramfs {
	const char *busybox; /* a static busybox binary (/bin/busybox in Debian's busybox-static) */
	const char *repro_bin; /* static reproducer binary, or NULL */
	const char *repro_script; /* or a shell script run by busybox sh */
	unsigned repro_timeout; /* seconds the reproducer may run in the guest; 0: no limit */
};

/* The /init script for @ir (malloc'ed). */
char *kb_initramfs_init_script(const struct kb_initramfs *ir);

/*
 * Append the cpio archive for @ir to @out.  Returns 0 or -errno (message
 * set) when an input file cannot be read.
 */
int kb_initramfs_build(const struct kb_initramfs *ir, struct kb_buf *out) KB_MUST_CHECK;

/* Same, written to @path (replaced atomically). */
int kb_initramfs_write(const struct kb_initramfs *ir, const char *path) KB_MUST_CHECK;

#endif
