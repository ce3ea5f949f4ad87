// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "build/build.h"
#include "build/signature.h"
#include "util/error.h"
#include "util/fs.h"
#include "../testutil.h"

static void put(const char *rel, const char *content)
{
	char *p = kb_xasprintf("%s/%s", wt, rel);

	assert_int_equal(kb_write_file(p, content, strlen(content)), 0);
	free(p);
}

static void read_log(const struct kb_build_result *r, struct kb_buf *b)
{
	assert_non_null(r->log_path);
	kb_buf_reset(b);
	assert_int_equal(kb_read_file(r->log_path, b), 0);
}

static void test_build_ok(void **state)
{
	const char *arts[] = { "out/image" };
	struct kb_build_step step = {
		.shell_cmd = "echo \"building $KBISECT_COMMIT in $KBISECT_WORKTREE ($EXTRA)\";"
			     " mkdir -p out && echo image-$KBISECT_COMMIT > out/image",
		.env = (const char *const[]){ "EXTRA=yes", "KBISECT_COMMIT=spoofed", NULL },
		.artifacts = arts,
		.n_artifacts = 1,
		.timeout = 60,
		.log_dir = logs,
	};
	struct kb_build_result r;
	struct kb_buf log = KB_BUF_INIT;
	char *want, *img = kb_xasprintf("%s/out/image", wt);
	char *gen = kb_xasprintf("%s/include/generated", wt);
	char sig[65];

	(void)state;
	assert_int_equal(kb_build_run(&step, wt, "c0ffee", &r), 0);
	assert_int_equal(r.status, KB_BUILD_OK);
	assert_null(r.error_lines);
	assert_null(r.compiler);
	assert_int_equal(kb_signature_elf(img, sig), 0);
	assert_string_equal(r.signature, sig);
	assert_true(r.seconds >= 0 && r.seconds < 60);
	read_log(&r, &log);
	want = kb_xasprintf("building c0ffee in %s (yes)\n", wt);
	assert_non_null(strstr(log.buf, want));
	assert_non_null(strstr(r.log_path, "/work/logs/build-c0ffee.log"));
	kb_build_result_clear(&r);

	/* another commit: other artifact, other signature; a kernel compile.h is read */
	assert_int_equal(kb_mkdir_p(gen, 0755), 0);
	put("include/generated/compile.h",
	    "#define UTS_MACHINE \"x86_64\"\n"
	    "#define LINUX_COMPILER \"gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils) 2.40\"\n");
	assert_int_equal(kb_build_run(&step, wt, "beef", &r), 0);
	assert_int_equal(r.status, KB_BUILD_OK);
	assert_string_not_equal(r.signature, sig);
	assert_string_equal(r.compiler,
			    "gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils) 2.40");
	kb_build_result_clear(&r);
	assert_null(r.compiler);
	assert_int_equal(r.signature[0], 0);

	/* Kbuild itself writes a tab between the name and the value */
	put("include/generated/compile.h",
	    "#define LINUX_COMPILER_X \"no\"\n#define LINUX_COMPILER\t\"gcc (GCC) 10.2.1\"\n");
	{
		char *id = kb_build_compiler_id(wt);

		assert_non_null(id);
		assert_string_equal(id, "gcc (GCC) 10.2.1");
		free(id);
	}

	/* argv form, no artifacts: no signature */
	step = (struct kb_build_step){ .argv = (const char *const[]){ "true", NULL },
				       .log_dir = logs };
	assert_int_equal(kb_build_run(&step, wt, "abc", &r), 0);
	assert_int_equal(r.status, KB_BUILD_OK);
	assert_string_equal(r.signature, "");
	kb_build_result_clear(&r);
	free(want);
	free(img);
	free(gen);
	kb_buf_release(&log);
}

static void test_build_failed(void **state)
{
	char *script = kb_xasprintf(
		"echo '  CC      kernel/fork.o'\n"
		"echo '%s/kernel/fork.c:12:5: error: unknown type name foo' >&2\n"
		"echo 'make[2]: *** [scripts/Makefile.build:250: kernel/fork.o] Error 1'\n"
		"echo '%s/kernel/fork.c:12:5: error: unknown type name foo' >&2\n"
		"echo 'ld: mm/x.o: undefined reference to `bar'\"'\"\n"
		"echo 'make: *** [Makefile:1234: vmlinux] Error 2'\n"
		"exit 2\n",
		wt, wt);
	struct kb_build_step step = { .shell_cmd = script, .log_dir = logs, .timeout = 60 };
	struct kb_build_result r;
	struct kb_buf log = KB_BUF_INIT;

	(void)state;
	assert_int_equal(kb_build_run(&step, wt, "bad1", &r), 0);
	assert_int_equal(r.status, KB_BUILD_FAILED);
	/* compiler/linker lines in order, deduplicated, worktree path removed, no make noise */
	assert_string_equal(r.error_lines, "kernel/fork.c:12:5: error: unknown type name foo\n"
					   "ld: mm/x.o: undefined reference to `bar'");
	read_log(&r, &log);
	assert_non_null(strstr(log.buf, "CC      kernel/fork.o"));
	assert_non_null(strstr(log.buf, "exit code 2"));
	kb_build_result_clear(&r);

	/* only make's summary: that is what we get */
	step.shell_cmd = "echo 'make: *** [Makefile:1: all] Error 1'; echo junk; exit 2";
	assert_int_equal(kb_build_run(&step, wt, "bad2", &r), 0);
	assert_int_equal(r.status, KB_BUILD_FAILED);
	assert_string_equal(r.error_lines, "make: *** [Makefile:1: all] Error 1");
	kb_build_result_clear(&r);

	/* nothing recognisable: the last lines */
	step.shell_cmd = "echo one; echo; echo two; exit 1";
	assert_int_equal(kb_build_run(&step, wt, "bad3", &r), 0);
	assert_int_equal(r.status, KB_BUILD_FAILED);
	assert_non_null(strstr(r.error_lines, "one\ntwo"));
	kb_build_result_clear(&r);

	/* a silent failure still says why */
	step.shell_cmd = "exit 3";
	assert_int_equal(kb_build_run(&step, wt, "bad4", &r), 0);
	assert_int_equal(r.status, KB_BUILD_FAILED);
	assert_non_null(strstr(r.error_lines, "exit code 3"));
	kb_build_result_clear(&r);
	free(script);
	kb_buf_release(&log);
}

/* A real compiler error from gcc. */
static void test_build_gcc_error(void **state)
{
	struct kb_build_step step = { .shell_cmd = "gcc -c -o broken.o broken.c",
				      .log_dir = logs,
				      .timeout = 120 };
	struct kb_build_result r;

	(void)state;
	put("broken.c", "int f(void) { return undeclared_thing; }\n");
	assert_int_equal(kb_build_run(&step, wt, "gccerr", &r), 0);
	assert_int_equal(r.status, KB_BUILD_FAILED);
	assert_non_null(r.error_lines);
	assert_non_null(strstr(r.error_lines, "broken.c:1:"));
	assert_non_null(strstr(r.error_lines, "error:"));
	assert_non_null(strstr(r.error_lines, "undeclared_thing"));
	kb_build_result_clear(&r);
}

static void test_build_infra(void **state)
{
	struct kb_build_step step = { .shell_cmd = "echo started; sleep 30",
				      .log_dir = logs,
				      .timeout = 0.3 };
	struct kb_build_result r;

	(void)state;
	assert_int_equal(kb_build_run(&step, wt, "slow", &r), 0);
	assert_int_equal(r.status, KB_BUILD_INFRA);
	assert_non_null(strstr(r.error_lines, "timed out after 0.3s"));
	assert_true(r.seconds < 10);
	kb_build_result_clear(&r);

	/* cancelled (a speculative build nobody needs any more): INFRA, not a failed commit */
	{
		atomic_bool stop = true;
		struct kb_buf log = KB_BUF_INIT;

		step = (struct kb_build_step){ .shell_cmd = "sleep 30",
					       .log_dir = logs,
					       .cancel = &stop };
		assert_int_equal(kb_build_run(&step, wt, "cancelled", &r), 0);
		assert_int_equal(r.status, KB_BUILD_INFRA);
		assert_string_equal(r.error_lines, "build cancelled");
		assert_true(r.seconds < 5);
		read_log(&r, &log);
		assert_non_null(strstr(log.buf, "build cancelled after"));
		kb_buf_release(&log);
		kb_build_result_clear(&r);
	}

	step = (struct kb_build_step){ .shell_cmd = "echo cc1: Killed; exit 137", .log_dir = logs };
	assert_int_equal(kb_build_run(&step, wt, "oom", &r), 0);
	assert_int_equal(r.status, KB_BUILD_INFRA);
	assert_non_null(strstr(r.error_lines, "137"));
	kb_build_result_clear(&r);

	step.shell_cmd = "kill -KILL $$";
	assert_int_equal(kb_build_run(&step, wt, "killed", &r), 0);
	assert_int_equal(r.status, KB_BUILD_INFRA);
	assert_non_null(strstr(r.error_lines, "signal 9"));
	kb_build_result_clear(&r);

	step = (struct kb_build_step){
		.argv = (const char *const[]){ "kbisect-no-such-make", NULL },
		.log_dir = logs,
	};
	assert_int_equal(kb_build_run(&step, wt, "noexec", &r), 0);
	assert_int_equal(r.status, KB_BUILD_INFRA);
	assert_non_null(strstr(r.error_lines, "kbisect-no-such-make"));
	kb_build_result_clear(&r);

	/* a worktree that does not exist */
	step = (struct kb_build_step){ .shell_cmd = "true", .log_dir = logs };
	assert_int_equal(kb_build_run(&step, "/nonexistent/wt", "nowt", &r), 0);
	assert_int_equal(r.status, KB_BUILD_INFRA);
	assert_string_equal(r.error_lines,
			    "cannot run build command: no worktree '/nonexistent/wt'");
	kb_build_result_clear(&r);

	/* the log cannot be written: kbisect's own failure */
	step.log_dir = "/proc/kbisect-cannot-mkdir";
	assert_true(kb_build_run(&step, wt, "nolog", &r) < 0);
	assert_null(r.log_path);
}

static void test_build_missing_artifact(void **state)
{
	const char *arts[] = { "vmlinux" };
	struct kb_build_step step = {
		.shell_cmd = "true", .artifacts = arts, .n_artifacts = 1, .log_dir = logs
	};
	struct kb_build_result r;

	(void)state;
	assert_int_equal(kb_build_run(&step, wt, "noart", &r), 0);
	assert_int_equal(r.status, KB_BUILD_FAILED);
	assert_non_null(strstr(r.error_lines, "'vmlinux' not found"));
	assert_string_equal(r.signature, "");
	kb_build_result_clear(&r);
}

static void test_error_lines(void **state)
{
	struct kb_buf log = KB_BUF_INIT;
	char *s;
	size_t n = 0;

	(void)state;
	assert_null(kb_build_error_lines("", 0, NULL));
	assert_null(kb_build_error_lines("\n  \n", 4, NULL));
	for (int i = 0; i < 30; i++)
		kb_buf_addf(&log, "f%d.c:1:1: error: e%d\n", i, i);
	kb_buf_addf(&log, "f0.c:1:1: error: e0\n");
	s = kb_build_error_lines(log.buf, log.len, NULL);
	assert_non_null(s);
	for (const char *p = s; (p = strchr(p, '\n')); p++)
		n++;
	assert_int_equal(n + 1, KB_BUILD_MAX_ERROR_LINES);
	assert_int_equal(strncmp(s, "f0.c:1:1: error: e0\nf1.c", 24), 0);
	assert_non_null(strstr(s, "f19.c"));
	assert_null(strstr(s, "f20.c"));
	free(s);

	/* No rule to make target beats make's "***" noise; fatal error counts */
	kb_buf_reset(&log);
	kb_buf_addstr(&log, "make[1]: *** No rule to make target 'x.o'.  Stop.\n"
			    "a.c:1:10: fatal error: y.h: No such file or directory\n"
			    "collect2: error: ld returned 1 exit status\n");
	s = kb_build_error_lines(log.buf, log.len, "/w");
	assert_string_equal(s, "make[1]: *** No rule to make target 'x.o'.  Stop.\n"
			       "a.c:1:10: fatal error: y.h: No such file or directory");
	free(s);
	kb_buf_release(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_ok),
		cmocka_unit_test(test_build_failed),
		cmocka_unit_test(test_build_gcc_error),
		cmocka_unit_test(test_build_infra),
		cmocka_unit_test(test_build_missing_artifact),
		cmocka_unit_test(test_error_lines),
	};

	return cmocka_run_group_tests(tests, kb_test_worktree_setup, kb_test_worktree_teardown);
}
