// SPDX-License-Identifier: Apache-2.0
/*
 * QEMU run classification from consoles saved from real boots of the e2e
 * kernels (tests/kernel/data/, raw QEMU stdout with CRs and SeaBIOS escape
 * sequences): a clean run, a run where the reproducer crashed the kernel, and
 * a kernel that panics in an initcall.  Variants cut from them stand for the
 * hangs and lost VMs.  Plus the console cleaner, the argv, and a QEMU binary
 * that cannot start.
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
#include "run/qemu.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

static struct kb_buf ok_log, crash_log, boot_log;
static bool raw_had_cr; /* the saved consoles are raw QEMU output */

static void load(const char *name, struct kb_buf *out)
{
	const char *src = getenv("KBISECT_SRCDIR");
	_cleanup_free_ char *path = kb_xasprintf("%s/tests/kernel/data/%s", src ? src : ".", name);
	struct kb_buf raw = KB_BUF_INIT;

	if (kb_read_file(path, &raw) < 0)
		fail_msg("%s", kb_error_last());
	if (memchr(raw.buf, '\r', raw.len))
		raw_had_cr = true;
	kb_qemu_clean_console(raw.buf, raw.len, out);
	kb_buf_release(&raw);
}

static int setup(void **state)
{
	(void)state;
	load("console-ok.log", &ok_log);
	load("console-crash.log", &crash_log);
	load("console-boot-panic.log", &boot_log);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kb_buf_release(&ok_log);
	kb_buf_release(&crash_log);
	kb_buf_release(&boot_log);
	return 0;
}

static void classify(const char *con, size_t len, enum kb_qemu_end end, enum kb_run_outcome want,
		     const char *want_title)
{
	struct kb_run_result r = { 0 };

	assert_int_equal(kb_qemu_classify(con, len, end, &r), 0);
	if (r.outcome != want)
		fail_msg("outcome %d, want %d (title %s)", r.outcome, want,
			 r.title ? r.title : "-");
	if (!want_title)
		assert_null(r.title);
	else if (!r.title || strncmp(r.title, want_title, strlen(want_title)))
		fail_msg("title '%s', want prefix '%s'", r.title ? r.title : "(null)", want_title);
	kb_run_result_clear(&r);
}

/* Length of @b up to (not including) the line holding @mark. */
static size_t cut_before(const struct kb_buf *b, const char *mark)
{
	const char *p = memmem(b->buf, b->len, mark, strlen(mark));

	assert_non_null(p);
	while (p > b->buf && p[-1] != '\n')
		p--;
	return (size_t)(p - b->buf);
}

static void test_clean_console(void **state)
{
	const char raw[] = "\x1b"
			   "c\x1b[?7l\x1b[2J\x1b[0mSeaBIOS\r\nLinux version 6.1\r\n\r\nok";
	struct kb_buf b = KB_BUF_INIT;

	(void)state;
	kb_qemu_clean_console(raw, sizeof(raw) - 1, &b);
	assert_int_equal(b.len, strlen("SeaBIOS\nLinux version 6.1\n\nok"));
	assert_memory_equal(b.buf, "SeaBIOS\nLinux version 6.1\n\nok", b.len);
	/* the saved logs really are raw: the cleaner had something to do */
	assert_true(raw_had_cr);
	assert_null(memchr(ok_log.buf, '\r', ok_log.len));
	assert_null(memchr(ok_log.buf, 0x1b, ok_log.len));
	kb_buf_release(&b);
}

static void test_real_consoles(void **state)
{
	(void)state;
	classify(ok_log.buf, ok_log.len, KB_QEMU_EXITED_OK, KB_RUN_OK, NULL);
	classify(
		crash_log.buf, crash_log.len, KB_QEMU_EXITED_OK, KB_RUN_CRASH,
		"BUG: unable to handle kernel NULL pointer dereference in prctl_get_child_subreaper");
	classify(boot_log.buf, boot_log.len, KB_QEMU_EXITED_OK, KB_RUN_BOOT_FAIL,
		 "kernel panic: kb_synth: self test failed");
}

static void test_hangs(void **state)
{
	size_t n;

	(void)state;
	/* the reproducer never finished and the console went quiet */
	n = cut_before(&ok_log, KB_MARK_REPRO_DONE);
	classify(ok_log.buf, n, KB_QEMU_TIMED_OUT, KB_RUN_CRASH, KB_QEMU_TITLE_NO_OUTPUT);
	/* ... or the VM went away without a crash report */
	classify(ok_log.buf, n, KB_QEMU_EXITED_OK, KB_RUN_CRASH, KB_QEMU_TITLE_LOST_CONNECTION);
	/* the same before boot finished is a boot failure */
	n = cut_before(&ok_log, KB_MARK_BOOT_DONE);
	classify(ok_log.buf, n, KB_QEMU_TIMED_OUT, KB_RUN_BOOT_FAIL, KB_QEMU_TITLE_NO_OUTPUT);
	classify(ok_log.buf, n, KB_QEMU_EXITED_ERROR, KB_RUN_BOOT_FAIL,
		 KB_QEMU_TITLE_LOST_CONNECTION);
}

static void test_crash_phases(void **state)
{
	struct kb_buf b = KB_BUF_INIT;
	size_t n;

	(void)state;
	/* the crash before the smoke test passed: basic kernel testing failed */
	n = cut_before(&crash_log, KB_MARK_SMOKE_OK);
	kb_buf_add(&b, crash_log.buf, n);
	{
		const char *rest = crash_log.buf + n;
		const char *start = memmem(rest, crash_log.len - n, KB_MARK_REPRO_START,
					   strlen(KB_MARK_REPRO_START));

		assert_non_null(start);
		kb_buf_add(&b, start, crash_log.len - (size_t)(start - crash_log.buf));
	}
	classify(
		b.buf, b.len, KB_QEMU_EXITED_OK, KB_RUN_TEST_FAIL,
		"BUG: unable to handle kernel NULL pointer dereference in prctl_get_child_subreaper");
	/* the smoke test itself failed */
	kb_buf_reset(&b);
	n = cut_before(&ok_log, KB_MARK_SMOKE_OK);
	kb_buf_add(&b, ok_log.buf, n);
	kb_buf_addstr(&b, KB_MARK_SMOKE_FAILED " cannot write /tmp\n");
	classify(b.buf, b.len, KB_QEMU_EXITED_OK, KB_RUN_TEST_FAIL,
		 "smoke test failed: cannot write /tmp");
	/* a crash wins over the reproducer's done marker (an oops without oops=panic) */
	kb_buf_reset(&b);
	kb_buf_add(&b, crash_log.buf, crash_log.len);
	kb_buf_addstr(&b, "\n" KB_MARK_REPRO_DONE " (exit 0)\n");
	classify(
		b.buf, b.len, KB_QEMU_EXITED_OK, KB_RUN_CRASH,
		"BUG: unable to handle kernel NULL pointer dereference in prctl_get_child_subreaper");
	kb_buf_release(&b);
}

static void test_infra(void **state)
{
	const char msg[] = "qemu-system-x86_64: -kernel /x: Could not open '/x': No such file\n";

	(void)state;
	classify(msg, strlen(msg), KB_QEMU_EXITED_ERROR, KB_RUN_INFRA,
		 "failed to start QEMU: qemu-system-x86_64: -kernel /x: Could not open");
	classify("", 0, KB_QEMU_NOT_STARTED, KB_RUN_INFRA, "failed to start QEMU: no output");
}

static void test_argv(void **state)
{
	struct kb_qemu_vm vm = { .arch = "x86_64",
				 .kernel = "/k/bzImage",
				 .initrd = "/k/ir.cpio",
				 .cmdline = "kbisect_mode=probe",
				 .mem_mb = 256,
				 .cpus = 2 };
	struct kb_buf all = KB_BUF_INIT;
	char **v = kb_qemu_argv(&vm);

	(void)state;
	for (char **p = v; *p; p++)
		kb_buf_addf(&all, "%s|", *p);
	assert_string_equal(all.buf,
			    "qemu-system-x86_64|-accel|tcg|-m|256|-smp|2|-nographic|-no-reboot|"
			    "-nic|none|-kernel|/k/bzImage|-initrd|/k/ir.cpio|-append|"
			    "console=ttyS0 oops=panic panic=-1 kbisect_mode=probe|");
	kb_qemu_argv_free(v);
	vm.accel = "kvm";
	vm.arch = "arm64";
	vm.cmdline = NULL;
	v = kb_qemu_argv(&vm);
	kb_buf_reset(&all);
	for (char **p = v; *p; p++)
		kb_buf_addf(&all, "%s|", *p);
	assert_non_null(strstr(all.buf, "qemu-system-aarch64|-M|virt|-cpu|host|-accel|kvm|"));
	assert_non_null(strstr(all.buf, "console=ttyAMA0 oops=panic panic=-1|"));
	kb_qemu_argv_free(v);
	kb_buf_release(&all);
}

/* A QEMU that does not exist: an infra result with a console file, not an error. */
static void test_run_missing_qemu(void **state)
{
	char dir[] = "/tmp/kbisect-qemu-XXXXXX";
	_cleanup_free_ char *con = NULL;
	struct kb_run_result r = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	con = kb_xasprintf("%s/console.log", dir);
	{
		struct kb_qemu_vm vm = { .qemu = "/nonexistent/qemu",
					 .kernel = "k",
					 .initrd = "i",
					 .timeout = 5,
					 .console_path = con };

		assert_int_equal(kb_qemu_run(&vm, &r), 0);
	}
	assert_int_equal(r.outcome, KB_RUN_INFRA);
	if (!strstr(r.title, "failed to start QEMU: cannot run /nonexistent/qemu"))
		fail_msg("title %s", r.title);
	assert_string_equal(r.console_path, con);
	assert_true(kb_path_exists(con));
	kb_run_result_clear(&r);
	assert_int_equal(kb_rm_rf(dir), 0);
}

/*
 * A guest that prints far more than the console cap (a printk loop): the run
 * still ends and is classified from the kept start, the console file is cut
 * near the cap and says so.
 */
static void test_console_cap(void **state)
{
	char dir[] = "/tmp/kbisect-qemu-XXXXXX";
	_cleanup_free_ char *con = NULL, *script = NULL, *text = NULL;
	struct kb_run_result r = { 0 };
	struct kb_buf b = KB_BUF_INIT;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	con = kb_xasprintf("%s/console.log", dir);
	script = kb_xasprintf("%s/flood-qemu", dir);
	text = kb_xasprintf(
		"#!/bin/sh\n"
		"echo '[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000078'\n"
		"echo '[    1.000001] RIP: 0010:prctl_get_child_subreaper+0x9/0x18'\n"
		"yes '[    1.000002] printk flood line that never stops' | head -c %u\n",
		(unsigned)KB_QEMU_CONSOLE_CAP + (8u << 20));
	assert_int_equal(kb_write_file(script, text, strlen(text)), 0);
	assert_int_equal(chmod(script, 0755), 0);
	{
		struct kb_qemu_vm vm = { .qemu = script,
					 .kernel = "k",
					 .initrd = "i",
					 .timeout = 60,
					 .console_path = con };

		assert_int_equal(kb_qemu_run(&vm, &r), 0);
	}
	assert_int_equal(r.outcome, KB_RUN_BOOT_FAIL);
	assert_non_null(strstr(r.title, "NULL pointer dereference"));
	assert_int_equal(stat(con, &st), 0);
	assert_true((size_t)st.st_size <= KB_QEMU_CONSOLE_CAP + 4096);
	assert_int_equal(kb_read_file(con, &b), 0);
	assert_non_null(strstr(b.buf + b.len - 200, "kbisect: console output cut at"));
	kb_buf_release(&b);
	kb_run_result_clear(&r);
	assert_int_equal(kb_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_console),
		cmocka_unit_test(test_real_consoles),
		cmocka_unit_test(test_hangs),
		cmocka_unit_test(test_crash_phases),
		cmocka_unit_test(test_infra),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_run_missing_qemu),
		cmocka_unit_test(test_console_cap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
