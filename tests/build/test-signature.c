// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "build/signature.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "../testutil.h"

static const char prog_a[] = "/* version one */\n"
			     "static int f(int x) { return x * 3 + 1; }\n"
			     "int main(int argc, char **argv) { (void)argv; return f(argc); }\n";
static const char prog_comment[] =
	"/* a different comment, same code */\n"
	"static int f(int x) { return x * 3 + 1; }\n"
	"int main(int argc, char **argv) { (void)argv; return f(argc); }\n";
static const char prog_changed[] =
	"/* version one */\n"
	"static int f(int x) { return x * 5 + 1; }\n"
	"int main(int argc, char **argv) { (void)argv; return f(argc); }\n";

/* Compile @src into tmpdir/@out with extra gcc flags; returns the path. */
static char *compile(const char *name, const char *src, const char *flags)
{
	char *c = kb_xasprintf("%s/%s.c", tmpdir, name);
	char *o = kb_xasprintf("%s/%s", tmpdir, name);
	char *cmd = kb_xasprintf("gcc -O2 %s -o '%s' '%s'", flags, o, c);
	struct kb_buf err = KB_BUF_INIT;
	struct kb_child ch = { .shell_cmd = cmd, .err = &err, .timeout = 120 };

	assert_int_equal(kb_write_file(c, src, strlen(src)), 0);
	assert_int_equal(kb_child_run(&ch), 0);
	if (ch.status != KB_CHILD_EXITED || ch.exit_code != 0)
		fail_msg("gcc failed: %s", err.buf);
	kb_buf_release(&err);
	free(cmd);
	free(c);
	return o;
}

static void sig_of(const char *path, char out[65])
{
	assert_int_equal(kb_signature_elf(path, out), 0);
	assert_int_equal(strlen(out), 64);
}

static void test_elf_signature(void **state)
{
	char sa[65], sg[65], sc[65], sx[65], raw_a[65], raw_g[65];
	char *a = compile("a", prog_a, "-Wl,--build-id=0x1111");
	char *g = compile("g", prog_a, "-g -Wl,--build-id=0x2222");
	char *c = compile("c", prog_comment, "-Wl,--build-id=0x3333");
	char *x = compile("x", prog_changed, "-Wl,--build-id=0x1111");
	struct kb_buf ba = KB_BUF_INIT, bg = KB_BUF_INIT;
	char *copy = kb_xasprintf("%s/raw-a", tmpdir), *copyg = kb_xasprintf("%s/raw-g", tmpdir);

	(void)state;
	sig_of(a, sa);
	sig_of(g, sg);
	sig_of(c, sc);
	sig_of(x, sx);
	/* debug info and build ids are ignored, comments do not matter */
	assert_string_equal(sa, sg);
	assert_string_equal(sa, sc);
	/* a code change is seen */
	assert_string_not_equal(sa, sx);

	/* the files themselves differ, so a plain content hash would differ */
	assert_int_equal(kb_read_file(a, &ba), 0);
	assert_int_equal(kb_read_file(g, &bg), 0);
	assert_true(ba.len != bg.len || memcmp(ba.buf, bg.buf, ba.len));
	/* with the ELF magic broken, the content hash is used */
	ba.buf[1] = 'X';
	bg.buf[1] = 'X';
	assert_int_equal(kb_write_file(copy, ba.buf, ba.len), 0);
	assert_int_equal(kb_write_file(copyg, bg.buf, bg.len), 0);
	sig_of(copy, raw_a);
	sig_of(copyg, raw_g);
	assert_string_not_equal(raw_a, raw_g);
	assert_string_not_equal(raw_a, sa);

	kb_buf_release(&ba);
	kb_buf_release(&bg);
	free(a);
	free(g);
	free(c);
	free(x);
	free(copy);
	free(copyg);
}

static void test_plain_file(void **state)
{
	char *p = kb_xasprintf("%s/abc", tmpdir), *e = kb_xasprintf("%s/empty", tmpdir);
	char s[65];

	(void)state;
	/* FIPS 180-2 test vectors for "abc" and "" */
	assert_int_equal(kb_write_file(p, "abc", 3), 0);
	sig_of(p, s);
	assert_string_equal(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(kb_write_file(e, "", 0), 0);
	sig_of(e, s);
	assert_string_equal(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	assert_int_equal(kb_signature_elf("/nonexistent/vmlinux", s), -ENOENT);
	assert_non_null(strstr(kb_error_last(), "/nonexistent/vmlinux"));
	free(p);
	free(e);
}

static void test_artifacts(void **state)
{
	char *a = compile("art", prog_a, "");
	char *p = kb_xasprintf("%s/cfg", tmpdir);
	const char *one[] = { "art" };
	const char *two[] = { "art", "cfg" };
	const char *rev[] = { "cfg", "art" };
	const char *missing[] = { "art", "bzImage" };
	char s1[65], s2[65], s3[65], se[65], s4[65];

	(void)state;
	assert_int_equal(kb_write_file(p, "CONFIG_X=y\n", 11), 0);
	/* one artifact: exactly its own signature */
	assert_int_equal(kb_signature_artifacts(tmpdir, one, 1, s1), 0);
	sig_of(a, se);
	assert_string_equal(s1, se);
	/* absolute paths work without a dir */
	one[0] = a;
	assert_int_equal(kb_signature_artifacts(NULL, one, 1, s4), 0);
	assert_string_equal(s4, se);

	assert_int_equal(kb_signature_artifacts(tmpdir, two, 2, s2), 0);
	assert_int_equal(kb_signature_artifacts(tmpdir, rev, 2, s3), 0);
	assert_int_equal(strlen(s2), 64);
	assert_string_not_equal(s2, s1);
	assert_string_not_equal(s2, s3);
	/* a config change changes the combined signature */
	assert_int_equal(kb_write_file(p, "CONFIG_X=n\n", 11), 0);
	assert_int_equal(kb_signature_artifacts(tmpdir, two, 2, s4), 0);
	assert_string_not_equal(s2, s4);

	assert_int_equal(kb_signature_artifacts(tmpdir, missing, 2, s4), -ENOENT);
	assert_non_null(strstr(kb_error_last(), "'bzImage' not found"));
	assert_int_equal(kb_signature_artifacts(tmpdir, missing, 0, s4), -EINVAL);
	free(a);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_signature),
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_artifacts),
	};

	return cmocka_run_group_tests(tests, kb_test_tmpdir_setup, kb_test_tmpdir_teardown);
}
