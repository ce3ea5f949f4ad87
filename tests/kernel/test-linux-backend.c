// SPDX-License-Identifier: Apache-2.0
/*
 * kb_linux_backend_new(): the errors that must come before any long work
 * (wrong test backend, bad .config, QEMU missing, a reproducer that does
 * not compile), and a good reproducer compiled into the initramfs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bisect/config.h"
#include "bisect/linux_backend.h"
#include "util/buf.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

static char tmpdir[] = "/tmp/kbisect-lxbe-XXXXXX";

static int setup(void **state)
{
	_cleanup_free_ char *kc = NULL, *bad = NULL, *good = NULL, *repo = NULL;
	const char *badsrc = "int main(void) { return undeclared_thing; }\n";
	const char *goodsrc = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	kc = kb_xasprintf("%s/kernel.config", tmpdir);
	bad = kb_xasprintf("%s/bad.c", tmpdir);
	good = kb_xasprintf("%s/good.c", tmpdir);
	repo = kb_xasprintf("%s/repo", tmpdir);
	if (kb_write_file(kc, "CONFIG_64BIT=y\n", 15) < 0 ||
	    kb_write_file(bad, badsrc, strlen(badsrc)) < 0 ||
	    kb_write_file(good, goodsrc, strlen(goodsrc)) < 0 || kb_mkdir_p(repo, 0755) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return kb_rm_rf(tmpdir);
}

/* kb_linux_backend_new() on a config with @test and @linux; returns its result. */
static int try_new(const char *test, const char *linux_section, const char *workname)
{
	_cleanup_free_ char *text = kb_xasprintf(
		"{\"kind\": \"linux\", \"repo\": \"repo\", \"bad\": \"HEAD\", \"test\": %s,"
		" \"linux\": %s}",
		test, linux_section);
	_cleanup_free_ char *work = kb_xasprintf("%s/%s", tmpdir, workname);
	struct kb_config *cfg;
	struct kb_backend be = { 0 };
	int r;

	assert_int_equal(kb_config_parse(text, strlen(text), "c.json", tmpdir, &cfg), 0);
	assert_int_equal(kb_mkdir_p(work, 0755), 0);
	r = kb_linux_backend_new(cfg, work, &be);
	if (r == 0)
		be.close(be.ctx);
	kb_config_free(cfg);
	return r;
}

#define QEMU_TEST "{\"backend\": \"qemu\", \"command\": \"/repro\"}"

static void expect_fail(const char *test, const char *linux_section, const char *msg)
{
	assert_true(try_new(test, linux_section, "w") < 0);
	if (!strstr(kb_error_last(), msg))
		fail_msg("error '%s' lacks '%s'", kb_error_last(), msg);
	kb_error_clear();
}

static void test_early_errors(void **state)
{
	(void)state;
	expect_fail("{\"command\": \"true\"}", "{\"config\": \"kernel.config\"}",
		    "set \"test.backend\": \"qemu\"");
	expect_fail(QEMU_TEST, "{\"config\": \"good.c\"}", "is not a kernel .config");
	expect_fail(QEMU_TEST, "{\"config\": \"kernel.config\", \"qemu\": \"no-qemu-here\"}",
		    "QEMU ('no-qemu-here') is not installed");
	/* /bin/true stands in for QEMU and /bin/sh for busybox: nothing boots here */
	expect_fail(
		QEMU_TEST,
		"{\"config\": \"kernel.config\", \"qemu\": \"/bin/true\", \"busybox\": \"/bin/sh\","
		" \"reproducer\": \"bad.c\"}",
		"does not compile");
	assert_true(try_new(QEMU_TEST,
			    "{\"config\": \"kernel.config\", \"qemu\": \"/bin/true\","
			    " \"busybox\": \"/bin/sh\", \"reproducer\": \"bad.c\"}",
			    "w") < 0);
	/* the message quotes the compiler's own first error */
	assert_non_null(strstr(kb_error_last(), "undeclared_thing"));
	kb_error_clear();
}

/* A good reproducer is compiled statically and lands in the initramfs. */
static void test_reproducer_compiled(void **state)
{
	_cleanup_free_ char *bin = kb_xasprintf("%s/w2/repro", tmpdir);
	_cleanup_free_ char *ir = kb_xasprintf("%s/w2/initramfs.cpio", tmpdir);
	const char *file_argv[] = { "file", bin, NULL };
	struct kb_buf out = KB_BUF_INIT;
	int r;

	(void)state;
	/* the repo is no git repository: preparing the clone fails after the checks */
	r = try_new(
		QEMU_TEST,
		"{\"config\": \"kernel.config\", \"qemu\": \"/bin/true\", \"busybox\": \"/bin/sh\","
		" \"reproducer\": \"good.c\"}",
		"w2");
	(void)r;
	kb_error_clear();
	assert_true(kb_path_exists(bin));
	assert_true(kb_path_exists(ir));
	if (kb_child_capture(file_argv, NULL, &out) == 0)
		assert_non_null(strstr(out.buf, "statically linked"));
	kb_error_clear();
	kb_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_early_errors),
		cmocka_unit_test(test_reproducer_compiled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
