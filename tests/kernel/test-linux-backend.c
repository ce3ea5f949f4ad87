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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bisect/config.h"
#include "bisect/linux_backend.h"
#include "util/buf.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

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

struct run_arg {
	struct kb_backend *be;
	const char *commit, *sig;
	unsigned idx;
	struct kb_run_result res;
	int r;
};

static void *run_thread(void *p)
{
	struct run_arg *a = p;

	a->r = a->be->run(a->be->ctx, a->commit, a->sig, a->idx, &a->res);
	return NULL;
}

/*
 * Runs through the backend with a stand-in QEMU (fake-qemu.sh printing the
 * saved consoles): outcomes, console files, the KVM probe falling back to
 * TCG, at most "vms" VMs at once, and cancel_runs stopping running VMs and
 * runs still waiting for one.
 */
static void test_runs(void **state)
{
	const char *srcdir = getenv("KBISECT_SRCDIR");
	_cleanup_free_ char *repo = kb_xasprintf("%s/gitrepo", tmpdir);
	_cleanup_free_ char *work = kb_xasprintf("%s/w3", tmpdir);
	_cleanup_free_ char *file = kb_xasprintf("%s/gitrepo/f", tmpdir);
	_cleanup_free_ char *vmlog = kb_xasprintf("%s/vms.log", tmpdir);
	const char *sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	_cleanup_free_ char *imgdir = NULL, *img = NULL, *text = NULL, *accel = NULL;
	const char *init[] = { "git", "init", "-q", repo, NULL };
	const char *add[] = { "git", "-C", repo, "add", "f", NULL };
	const char *ci[] = { "git",    "-C",  repo,  "-c", "user.name=T", "-c", "user.email=t@t",
			     "commit", "-qm", "one", NULL };
	struct kb_buf o = KB_BUF_INIT, log = KB_BUF_INIT;
	struct run_arg args[4];
	pthread_t th[4];
	struct kb_config *cfg;
	struct kb_backend be = { 0 };
	char head[41];
	int cur = 0, max = 0;

	(void)state;
	assert_non_null(srcdir);
	assert_int_equal(kb_child_capture(init, NULL, &o), 0);
	assert_int_equal(kb_write_file(file, "x\n", 2), 0);
	assert_int_equal(kb_child_capture(add, NULL, &o), 0);
	assert_int_equal(kb_child_capture(ci, NULL, &o), 0);
	assert_int_equal(kb_git_rev_parse(repo, "HEAD", head), 0);
	text = kb_xasprintf(
		"{\"kind\": \"linux\", \"repo\": \"gitrepo\", \"bad\": \"HEAD\","
		" \"test\": {\"backend\": \"qemu\", \"command\": \"/repro\", \"parallel\": 4,"
		" \"timeout\": 60},"
		" \"linux\": {\"config\": \"kernel.config\", \"busybox\": \"/bin/sh\", \"vms\": 2,"
		" \"qemu\": \"%s/tests/kernel/fake-qemu.sh\"}}",
		srcdir);
	assert_int_equal(kb_config_parse(text, strlen(text), "c.json", tmpdir, &cfg), 0);
	assert_int_equal(kb_mkdir_p(work, 0755), 0);
	assert_int_equal(kb_linux_backend_new(cfg, work, &be), 0);
	/* an image as a build would have left it */
	imgdir = kb_xasprintf("%s/images/%s", work, sig);
	img = kb_xasprintf("%s/image", imgdir);
	assert_int_equal(kb_mkdir_p(imgdir, 0755), 0);
	assert_int_equal(kb_write_file(img, "bzImage", 7), 0);
	setenv("FAKE_QEMU_LOG", vmlog, 1);

	setenv("FAKE_QEMU_MODE", "ok", 1);
	args[0] = (struct run_arg){ .be = &be, .commit = head, .sig = sig, .idx = 0 };
	run_thread(&args[0]);
	assert_int_equal(args[0].r, 0);
	assert_int_equal(args[0].res.outcome, KB_RUN_OK);
	assert_true(kb_path_exists(args[0].res.console_path));
	assert_non_null(strstr(args[0].res.console_path, "/logs/run-"));
	kb_run_result_clear(&args[0].res);
	/* the probe under "kvm" failed (or there is no /dev/kvm), so the runs used TCG */
	accel = kb_xasprintf("%s/logs/accel.txt", work);
	assert_int_equal(kb_read_file(accel, &log), 0);
	assert_int_equal(strncmp(log.buf, "tcg", 3), 0);
	kb_buf_reset(&log);
	assert_int_equal(unlink(vmlog), 0);

	setenv("FAKE_QEMU_MODE", "crash", 1);
	for (unsigned i = 0; i < 4; i++) {
		args[i] = (struct run_arg){ .be = &be, .commit = head, .sig = sig, .idx = i + 1 };
		assert_int_equal(pthread_create(&th[i], NULL, run_thread, &args[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].r, 0);
		assert_int_equal(args[i].res.outcome, KB_RUN_CRASH);
		assert_string_equal(args[i].res.title,
				    "BUG: unable to handle kernel NULL pointer dereference in "
				    "prctl_get_child_subreaper");
		kb_run_result_clear(&args[i].res);
	}
	assert_int_equal(kb_read_file(vmlog, &log), 0);
	for (size_t i = 0; i < log.len; i++) {
		cur += log.buf[i] == '+' ? 1 : log.buf[i] == '-' ? -1 : 0;
		max = cur > max ? cur : max;
	}
	assert_int_equal(cur, 0);
	if (max > 2)
		fail_msg("%d VMs at once with \"vms\": 2", max);
	assert_true(max >= 1);

	/*
	 * cancel_runs: three runs of 20 s VMs on 2 VMs, two boot and one waits;
	 * cancelling the commit's runs stops both VMs at once, and the waiting
	 * run never boots.  All three are INFRA "run cancelled".
	 */
	setenv("FAKE_QEMU_SLEEP", "20", 1);
	assert_int_equal(unlink(vmlog), 0);
	for (unsigned i = 0; i < 3; i++) {
		args[i] = (struct run_arg){ .be = &be, .commit = head, .sig = sig, .idx = 10 + i };
		assert_int_equal(pthread_create(&th[i], NULL, run_thread, &args[i]), 0);
	}
	for (int tries = 0; tries < 1000; tries++) { /* until both VMs run */
		kb_buf_reset(&log);
		if (kb_read_file(vmlog, &log) == 0 && log.len >= 4)
			break;
		kb_error_clear();
		usleep(10000);
	}
	assert_int_equal(log.len, 4); /* "+\n+\n" */
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		be.cancel_runs(be.ctx, head);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(pthread_join(th[i], NULL), 0);
			assert_int_equal(args[i].r, 0);
			assert_int_equal(args[i].res.outcome, KB_RUN_INFRA);
			assert_string_equal(args[i].res.title, KB_RUN_CANCELLED);
			kb_run_result_clear(&args[i].res);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_true(t1.tv_sec - t0.tv_sec < 10);
	}
	kb_buf_reset(&log);
	assert_int_equal(kb_read_file(vmlog, &log), 0);
	assert_int_equal(log.len, 4); /* the waiting run did not boot */
	unsetenv("FAKE_QEMU_SLEEP");
	be.close(be.ctx);
	kb_config_free(cfg);
	kb_buf_release(&log);
	kb_buf_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_early_errors),
		cmocka_unit_test(test_reproducer_compiled),
		cmocka_unit_test(test_runs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
