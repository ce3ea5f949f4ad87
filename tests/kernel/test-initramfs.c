// SPDX-License-Identifier: Apache-2.0
/*
 * The initramfs writer: the archive is read back with an independent newc
 * reader (below) and its entries compared with what the guest needs.  When
 * the cpio tool is installed, it must list the same entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "run/initramfs.h"
#include "util/buf.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

static char tmpdir[] = "/tmp/kbisect-initramfs-XXXXXX";
static char *busybox, *repro, *script;

struct ent {
	char name[64];
	unsigned mode, rmaj, rmin;
	const char *data;
	size_t len;
};

static unsigned hex8(const char *p)
{
	char tmp[9];

	memcpy(tmp, p, 8);
	tmp[8] = 0;
	return (unsigned)strtoul(tmp, NULL, 16);
}

/* Parse a newc archive; returns the entry count (trailer excluded) or -1. */
static int parse_newc(const char *a, size_t len, struct ent *out, int max)
{
	size_t off = 0;
	int n = 0;

	while (off + 110 <= len) {
		const char *h = a + off;
		unsigned namesize, filesize;

		if (memcmp(h, "070701", 6))
			return -1;
		namesize = hex8(h + 6 + 11 * 8);
		filesize = hex8(h + 6 + 6 * 8);
		if (off + 110 + namesize > len || h[110 + namesize - 1])
			return -1;
		if (!strcmp(h + 110, "TRAILER!!!"))
			return (off + 110 + namesize + 3) / 4 * 4 == len ? n : -1;
		if (n == max)
			return -1;
		snprintf(out[n].name, sizeof(out[n].name), "%s", h + 110);
		out[n].mode = hex8(h + 6 + 1 * 8);
		out[n].rmaj = hex8(h + 6 + 9 * 8);
		out[n].rmin = hex8(h + 6 + 10 * 8);
		off = (off + 110 + namesize + 3) / 4 * 4;
		out[n].data = a + off;
		out[n].len = filesize;
		off = (off + filesize + 3) / 4 * 4;
		n++;
	}
	return -1;
}

static const struct ent *find(const struct ent *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	busybox = kb_xasprintf("%s/busybox", tmpdir);
	repro = kb_xasprintf("%s/repro", tmpdir);
	script = kb_xasprintf("%s/repro.sh", tmpdir);
	/* odd sizes exercise the 4-byte padding */
	if (kb_write_file(busybox, "BUSYBOX-ELF", 11) < 0 || kb_write_file(repro, "RPR", 3) < 0 ||
	    kb_write_file(script, "echo hi\n", 8) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(busybox);
	free(repro);
	free(script);
	return kb_rm_rf(tmpdir);
}

static void test_entries(void **state)
{
	struct kb_initramfs ir = { .busybox = busybox, .repro_bin = repro, .repro_timeout = 30 };
	struct kb_buf b = KB_BUF_INIT;
	struct ent v[64];
	const struct ent *e;
	int n;

	(void)state;
	assert_int_equal(kb_initramfs_build(&ir, &b), 0);
	n = parse_newc(b.buf, b.len, v, 64);
	assert_true(n > 0);
	/* the console node: without it init has no stdout */
	e = find(v, n, "dev/console");
	assert_non_null(e);
	assert_true(S_ISCHR(e->mode));
	assert_int_equal(e->rmaj, 5);
	assert_int_equal(e->rmin, 1);
	e = find(v, n, "dev/null");
	assert_non_null(e);
	assert_int_equal(e->rmaj, 1);
	assert_int_equal(e->rmin, 3);
	for (const char *const *d =
		     (const char *const[]){ "dev", "bin", "proc", "sys", "tmp", NULL };
	     *d; d++) {
		e = find(v, n, *d);
		assert_non_null(e);
		assert_true(S_ISDIR(e->mode));
	}
	e = find(v, n, "bin/busybox");
	assert_non_null(e);
	assert_true(S_ISREG(e->mode) && (e->mode & 0111));
	assert_int_equal(e->len, 11);
	assert_memory_equal(e->data, "BUSYBOX-ELF", 11);
	e = find(v, n, "bin/sh");
	assert_non_null(e);
	assert_true(S_ISLNK(e->mode));
	assert_int_equal(e->len, 7);
	assert_memory_equal(e->data, "busybox", 7);
	e = find(v, n, "repro");
	assert_non_null(e);
	assert_int_equal(e->len, 3);
	assert_memory_equal(e->data, "RPR", 3);
	assert_null(find(v, n, "repro.sh"));
	e = find(v, n, "init");
	assert_non_null(e);
	assert_true(e->mode & 0111);
	{
		char *init = kb_xstrndup(e->data, e->len);

		assert_non_null(strstr(init, "#!/bin/sh\n"));
		assert_non_null(strstr(init, "timeout -s KILL 30 /repro\n"));
		/* markers in order: boot, smoke, reproducer start, done */
		assert_true(strstr(init, KB_MARK_BOOT_DONE) < strstr(init, KB_MARK_SMOKE_OK));
		assert_true(strstr(init, KB_MARK_SMOKE_OK) < strstr(init, KB_MARK_REPRO_START));
		assert_true(strstr(init, KB_MARK_REPRO_START) < strstr(init, KB_MARK_REPRO_DONE));
		assert_non_null(strstr(init, "mount -t proc proc /proc"));
		assert_non_null(strstr(init, "poweroff -f"));
		free(init);
	}
	kb_buf_release(&b);
}

static void test_script_and_determinism(void **state)
{
	struct kb_initramfs ir = { .busybox = busybox, .repro_script = script };
	struct kb_buf a = KB_BUF_INIT, b = KB_BUF_INIT;
	struct ent v[64];
	const struct ent *e;
	char *init;
	int n;

	(void)state;
	assert_int_equal(kb_initramfs_build(&ir, &a), 0);
	assert_int_equal(kb_initramfs_build(&ir, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.buf, b.buf, a.len);
	n = parse_newc(a.buf, a.len, v, 64);
	assert_true(n > 0);
	assert_null(find(v, n, "repro"));
	e = find(v, n, "repro.sh");
	assert_non_null(e);
	assert_memory_equal(e->data, "echo hi\n", 8);
	init = kb_initramfs_init_script(&ir);
	assert_non_null(strstr(init, "\n/bin/sh /repro.sh\n"));
	assert_null(strstr(init, "timeout -s KILL"));
	free(init);
	kb_buf_release(&a);
	kb_buf_release(&b);
}

static void test_missing_busybox(void **state)
{
	_cleanup_free_ char *nope = kb_xasprintf("%s/nope", tmpdir);
	struct kb_initramfs ir = { .busybox = nope };
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	assert_true(kb_initramfs_build(&ir, &b) < 0);
	assert_non_null(strstr(kb_error_last(), "nope"));
	kb_error_clear();
	kb_buf_release(&b);
}

/* GNU cpio, when installed, must read our archive and list the same names. */
static void test_gnu_cpio_reads_it(void **state)
{
	struct kb_initramfs ir = { .busybox = busybox, .repro_bin = repro };
	_cleanup_free_ char *path = kb_xasprintf("%s/ir.cpio", tmpdir);
	const char *argv[] = { "cpio", "-t", "-F", path, "--quiet", NULL };
	struct kb_buf out = KB_BUF_INIT;
	struct kb_child c = { .argv = argv, .out = &out };

	(void)state;
	assert_int_equal(kb_initramfs_write(&ir, path), 0);
	assert_int_equal(kb_child_run(&c), 0);
	if (c.status == KB_CHILD_EXEC_FAILED) {
		kb_buf_release(&out);
		skip();
	}
	assert_int_equal(c.status, KB_CHILD_EXITED);
	assert_int_equal(c.exit_code, 0);
	assert_non_null(strstr(out.buf, "dev/console\n"));
	assert_non_null(strstr(out.buf, "bin/busybox\n"));
	assert_non_null(strstr(out.buf, "\ninit\n"));
	assert_non_null(strstr(out.buf, "\nrepro\n"));
	kb_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_script_and_determinism),
		cmocka_unit_test(test_missing_busybox),
		cmocka_unit_test(test_gnu_cpio_reads_it),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
