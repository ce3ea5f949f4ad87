// SPDX-License-Identifier: Apache-2.0
/*
 * initramfs writer.  The "newc" cpio format is a 110-byte ASCII header
 * ("070701" and 13 eight-digit hex fields), the NUL-terminated name padded
 * to 4 bytes, then the data padded to 4 bytes; the archive ends with an
 * entry named "TRAILER!!!".  The kernel unpacks it into its rootfs, device
 * nodes included, so no root privileges are needed to make one.
 */
#include "run/initramfs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/fs.h"

struct cpio {
	struct kb_buf *out;
	unsigned ino;
};

static void pad4(struct kb_buf *b)
{
	while (b->len % 4)
		kb_buf_addch(b, 0);
}

static void entry(struct cpio *c, const char *name, unsigned mode, unsigned rmaj, unsigned rmin,
		  const void *data, size_t len)
{
	/* fixed fields only: no timestamps or owners, so equal inputs give equal archives */
	kb_buf_addf(c->out, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X", ++c->ino,
		    mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)len, 0u, 0u, rmaj, rmin,
		    strlen(name) + 1, 0u);
	kb_buf_add(c->out, name, strlen(name) + 1);
	pad4(c->out);
	if (len)
		kb_buf_add(c->out, data, len);
	pad4(c->out);
}

static void dir(struct cpio *c, const char *name)
{
	entry(c, name, S_IFDIR | 0755, 0, 0, NULL, 0);
}

static int file_from(struct cpio *c, const char *name, const char *path)
{
	struct kb_buf b = KB_BUF_INIT;
	int r = kb_read_file(path, &b);

	if (r == 0)
		entry(c, name, S_IFREG | 0755, 0, 0, b.buf, b.len);
	kb_buf_release(&b);
	return r;
}

char *kb_initramfs_init_script(const struct kb_initramfs *ir)
{
	struct kb_buf s = KB_BUF_INIT;
	const char *run = ir->repro_bin	   ? "/repro" :
			  ir->repro_script ? "/bin/sh /repro.sh" :
					     "true";

	kb_buf_addstr(
		&s,
		"#!/bin/sh\n"
		"# kbisect guest init (lib/run/initramfs.c)\n"
		"/bin/busybox --install -s /bin\n"
		"export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
		"mount -t proc proc /proc\n"
		"mount -t sysfs sysfs /sys\n"
		"mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
		"mount -t tmpfs tmpfs /tmp 2>/dev/null\n"
		"mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null\n"
		"mount -t configfs configfs /sys/kernel/config 2>/dev/null\n"
		"echo '" KB_MARK_BOOT_DONE "'\n"
		"if [ \"$kbisect_mode\" = probe ]; then poweroff -f; fi\n"
		"smoke() {\n"
		"\techo kbisect >/tmp/smoke || { echo 'cannot write /tmp'; return 1; }\n"
		"\t[ \"$(cat /tmp/smoke)\" = kbisect ] || { echo 'file content lost'; return 1; }\n"
		"\t[ -r /proc/self/stat ] || { echo 'no /proc/self'; return 1; }\n"
		"\tls / | grep -q '^proc$' || { echo 'pipe or exec broken'; return 1; }\n"
		"}\n"
		"if why=$(smoke); then\n"
		"\techo '" KB_MARK_SMOKE_OK "'\n"
		"else\n"
		"\techo \"" KB_MARK_SMOKE_FAILED " $why\"\n"
		"\tpoweroff -f\n"
		"fi\n"
		"cd /tmp\n"
		"echo '" KB_MARK_REPRO_START "'\n");
	if (ir->repro_timeout)
		kb_buf_addf(&s, "timeout -s KILL %u %s\n", ir->repro_timeout, run);
	else
		kb_buf_addf(&s, "%s\n", run);
	kb_buf_addstr(&s, "echo \"" KB_MARK_REPRO_DONE " (exit $?)\"\n"
			  "poweroff -f\n");
	return kb_buf_detach(&s, NULL);
}

int kb_initramfs_build(const struct kb_initramfs *ir, struct kb_buf *out)
{
	static const char *const dirs[] = {
		"dev",	"bin", "sbin", "usr",  "usr/bin", "usr/sbin",
		"proc", "sys", "tmp",  "root", "etc",
	};
	struct cpio c = { .out = out };
	_cleanup_free_ char *init = kb_initramfs_init_script(ir);
	int r;

	if (!ir->busybox)
		return kb_error_set(-EINVAL, "initramfs: no busybox binary given");
	for (size_t i = 0; i < KB_ARRAY_SIZE(dirs); i++)
		dir(&c, dirs[i]);
	/* without /dev/console init has no stdout (devtmpfs comes later) */
	entry(&c, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	entry(&c, "dev/null", S_IFCHR | 0666, 1, 3, NULL, 0);
	r = file_from(&c, "bin/busybox", ir->busybox);
	if (r < 0)
		return r;
	entry(&c, "bin/sh", S_IFLNK | 0777, 0, 0, "busybox", strlen("busybox"));
	entry(&c, "init", S_IFREG | 0755, 0, 0, init, strlen(init));
	if (ir->repro_bin)
		r = file_from(&c, "repro", ir->repro_bin);
	else if (ir->repro_script)
		r = file_from(&c, "repro.sh", ir->repro_script);
	if (r < 0)
		return r;
	c.ino = 0;
	entry(&c, "TRAILER!!!", 0, 0, 0, NULL, 0);
	return 0;
}

int kb_initramfs_write(const struct kb_initramfs *ir, const char *path)
{
	struct kb_buf b = KB_BUF_INIT;
	int r = kb_initramfs_build(ir, &b);

	if (r == 0)
		r = kb_write_file(path, b.buf, b.len);
	kb_buf_release(&b);
	return r;
}
