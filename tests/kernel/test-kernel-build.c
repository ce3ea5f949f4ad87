// SPDX-License-Identifier: Apache-2.0
/*
 * kb_kernel_build() against a stand-in kernel tree: a Makefile with the two
 * targets kbisect calls (olddefconfig, bzImage) that records what it was
 * given.  Checks the make arguments and the reproducibility environment,
 * the required-options skip (before the image is built), a compile error as
 * a failed build with its error line, the compiler line, and one O=
 * directory per toolchain (kb_kernel_out_dir).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "build/kernel.h"
#include "build/signature.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

static char tmpdir[] = "/tmp/kbisect-kbuild-XXXXXX";
static char *src, *out, *cfg, *logs;

/* olddefconfig drops CONFIG_DROPPED (as a Kconfig change would); bzImage fails when broken.c
 * exists. */
static const char makefile[] =
	"olddefconfig:\n"
	"\tsed -i 's/^CONFIG_DROPPED=y/# CONFIG_DROPPED is not set/' $(O)/.config\n"
	"\techo \"args: O=$(O) ARCH=$(ARCH)\" > $(O)/olddefconfig.ran\n"
	"bzImage:\n"
	"\t@if [ -f broken.c ]; then echo \"broken.c:3:5: error: expected ';' before 'return'\"; "
	"exit 2; fi\n"
	"\tmkdir -p $(O)/include/generated $(O)/arch/x86/boot\n"
	"\tprintf '#define LINUX_COMPILER\\t\\t\"%s fake\"\\n' '$(CC)' > "
	"$(O)/include/generated/compile.h\n"
	"\tprintf 'kernel ts=%s user=%s host=%s version=%s localversion=[%s] arch=%s\\n' "
	"\"$$KBUILD_BUILD_TIMESTAMP\" \"$$KBUILD_BUILD_USER\" \"$$KBUILD_BUILD_HOST\" "
	"\"$$KBUILD_BUILD_VERSION\" \"$${LOCALVERSION-unset}\" '$(ARCH)' > $(O)/vmlinux\n"
	"\tcp $(O)/vmlinux $(O)/arch/x86/boot/bzImage\n";

static int setup(void **state)
{
	const char *config = "CONFIG_64BIT=y\nCONFIG_DROPPED=y\nCONFIG_KASAN=y\n";
	_cleanup_free_ char *mk = NULL;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	src = kb_xasprintf("%s/src", tmpdir);
	out = kb_xasprintf("%s/out", tmpdir);
	cfg = kb_xasprintf("%s/kernel.config", tmpdir);
	logs = kb_xasprintf("%s/logs", tmpdir);
	mk = kb_xasprintf("%s/Makefile", src);
	if (kb_mkdir_p(src, 0755) < 0 || kb_write_file(mk, makefile, strlen(makefile)) < 0 ||
	    kb_write_file(cfg, config, strlen(config)) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(src);
	free(out);
	free(cfg);
	free(logs);
	return kb_rm_rf(tmpdir);
}

static struct kb_kernel_build params(const char *const *required, size_t n)
{
	return (struct kb_kernel_build){
		.src = src,
		.out = out,
		.config = cfg,
		.arch = "x86_64",
		.required = required,
		.n_required = n,
		.jobs = 1,
		.timeout = 60,
		.log_dir = logs,
	};
}

static void test_good_build(void **state)
{
	const char *req[] = { "KASAN", "64BIT" };
	struct kb_kernel_build b = params(req, 2);
	struct kb_build_result res;
	_cleanup_free_ char *vmlinux = kb_xasprintf("%s/vmlinux", out);
	_cleanup_free_ char *ran = kb_xasprintf("%s/olddefconfig.ran", out);
	struct kb_buf text = KB_BUF_INIT;
	char sig[65];

	(void)state;
	assert_int_equal(kb_kernel_build(&b, "c0ffee", &res), 0);
	assert_int_equal(res.status, KB_BUILD_OK);
	assert_non_null(res.compiler);
	assert_string_equal(res.compiler, "gcc fake");
	assert_int_equal(kb_read_file(vmlinux, &text), 0);
	/* fixed build identity; LOCALVERSION set but empty */
	assert_non_null(strstr(text.buf, "ts=" KB_KERNEL_BUILD_TIMESTAMP " user=kbisect "
					 "host=kbisect version=1 localversion=[] arch=x86_64"));
	assert_int_equal(kb_signature_elf(vmlinux, sig), 0);
	assert_string_equal(res.signature, sig);
	kb_buf_reset(&text);
	assert_int_equal(kb_read_file(ran, &text), 0);
	assert_non_null(strstr(text.buf, "ARCH=x86_64"));
	kb_buf_release(&text);
	kb_build_result_clear(&res);
	/* a second build of the same tree: the same signature */
	assert_int_equal(kb_kernel_build(&b, "c0ffee", &res), 0);
	assert_int_equal(res.status, KB_BUILD_OK);
	assert_string_equal(res.signature, sig);
	kb_build_result_clear(&res);
}

static void test_required_option_dropped(void **state)
{
	const char *req[] = { "KASAN", "DROPPED" };
	struct kb_kernel_build b = params(req, 2);
	struct kb_build_result res;
	_cleanup_free_ char *vmlinux = kb_xasprintf("%s/vmlinux", out);

	(void)state;
	assert_int_equal(kb_rm_rf(out), 0);
	assert_int_equal(kb_kernel_build(&b, "dead", &res), 0);
	assert_int_equal(res.status, KB_BUILD_FAILED);
	assert_string_equal(
		res.error_lines,
		"kernel config lacks required option CONFIG_DROPPED after olddefconfig");
	/* no image was built for a commit that cannot be tested */
	assert_false(kb_path_exists(vmlinux));
	kb_build_result_clear(&res);
}

static void test_compile_error(void **state)
{
	struct kb_kernel_build b = params(NULL, 0);
	_cleanup_free_ char *broken = kb_xasprintf("%s/broken.c", src);
	struct kb_build_result res;

	(void)state;
	assert_int_equal(kb_write_file(broken, "x", 1), 0);
	assert_int_equal(kb_kernel_build(&b, "bad1", &res), 0);
	assert_int_equal(res.status, KB_BUILD_FAILED);
	assert_non_null(res.error_lines);
	if (strncmp(res.error_lines, "broken.c:3:5: error: expected ';'", 33))
		fail_msg("error lines: %s", res.error_lines);
	assert_non_null(res.log_path);
	assert_non_null(strstr(res.log_path, "build-bad1.log"));
	kb_build_result_clear(&res);
	assert_int_equal(unlink(broken), 0);
}

static void test_bad_arch(void **state)
{
	struct kb_kernel_build b = params(NULL, 0);
	struct kb_build_result res;

	(void)state;
	b.arch = "mips";
	assert_int_equal(kb_kernel_build(&b, "x", &res), -EINVAL);
	assert_non_null(strstr(kb_error_last(), "mips"));
	kb_error_clear();
}

static void test_out_dir(void **state)
{
	static const struct {
		const char *cc, *ld, *want;
	} cases[] = {
		{ NULL, NULL, "/b/gcc" },
		{ "gcc", NULL, "/b/gcc" },
		{ "clang-14", NULL, "/b/clang-14" },
		{ "clang-14", "ld.lld-14", "/b/clang-14+ld.lld-14" },
		{ "/opt/gcc 8/bin/gcc", NULL, "/b/opt_gcc_8_bin_gcc" },
		{ "..", "/", "/b/.._+_" },
		{ "", NULL, "/b/_" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *d = kb_kernel_out_dir("/b", cases[i].cc, cases[i].ld);

		assert_string_equal(d, cases[i].want);
	}
}

/* Two toolchains build into their own O= and each keeps its compiler line. */
static void test_one_out_dir_per_compiler(void **state)
{
	struct kb_kernel_build b = params(NULL, 0);
	_cleanup_free_ char *gcc_out = kb_kernel_out_dir(out, NULL, NULL);
	_cleanup_free_ char *clang_out = kb_kernel_out_dir(out, "clang-14", NULL);
	_cleanup_free_ char *id = NULL;
	struct kb_build_result res;

	(void)state;
	b.out = gcc_out;
	assert_int_equal(kb_kernel_build(&b, "c1", &res), 0);
	assert_int_equal(res.status, KB_BUILD_OK);
	assert_string_equal(res.compiler, "gcc fake");
	kb_build_result_clear(&res);
	b.out = clang_out;
	b.cc = "clang-14";
	assert_int_equal(kb_kernel_build(&b, "c2", &res), 0);
	assert_int_equal(res.status, KB_BUILD_OK);
	assert_string_equal(res.compiler, "clang-14 fake");
	kb_build_result_clear(&res);
	/* the clang build did not touch the gcc tree */
	id = kb_kernel_compiler_id(gcc_out);
	assert_non_null(id);
	assert_string_equal(id, "gcc fake");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_build),
		cmocka_unit_test(test_required_option_dropped),
		cmocka_unit_test(test_compile_error),
		cmocka_unit_test(test_bad_arch),
		cmocka_unit_test(test_out_dir),
		cmocka_unit_test(test_one_out_dir_per_compiler),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
