/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The QEMU test backend: boot a kernel with kbisect's initramfs
 * (run/initramfs.h) in a VM, serial console to a file, and classify the run
 * from the console (QEMU exits 0 after a panic and after a clean power-off
 * alike).  Every QEMU process runs in its own process group under a
 * deadline, so no VM outlives its run.
 */
#ifndef KB_RUN_QEMU_H
#define KB_RUN_QEMU_H

#include "run/run.h"
#include "util/buf.h"

/* Console bytes of one run kept in memory (and in the console file). */
#define KB_QEMU_CONSOLE_CAP (64u << 20)

/* Titles of hangs, as the crash parser names their types. */
#define KB_QEMU_TITLE_NO_OUTPUT	      "no output from test machine"
#define KB_QEMU_TITLE_LOST_CONNECTION "lost connection to test machine"

struct kb_qemu_vm {
	const char *qemu; /* binary; NULL: qemu-system-x86_64 / qemu-system-aarch64 by arch */
	const char *arch; /* "x86_64" or "arm64" */
	const char *accel; /* "kvm" or "tcg"; NULL: "tcg" */
	const char *kernel; /* bzImage / Image */
	const char *initrd; /* cpio archive */
	const char *cmdline; /* extra kernel command line words, or NULL */
	unsigned mem_mb; /* 0: 512 */
	unsigned cpus; /* 0: 1 */
	double timeout; /* seconds for the whole VM life; 0: 600 */
	const char *console_path; /* the cleaned console goes here (required) */
	/* set by another thread: stop the VM (INFRA, KB_RUN_CANCELLED); NULL: never */
	const atomic_bool *cancel;
};

/* The argv of @vm (NULL-terminated, malloc'ed strings; kb_qemu_argv_free). */
char **kb_qemu_argv(const struct kb_qemu_vm *vm);
void kb_qemu_argv_free(char **argv);

/*
 * Boot @vm once and classify the run (see kb_qemu_classify).  Returns 0 with
 * *res filled (console_path set) or -errno when kbisect itself failed.
 */
int kb_qemu_run(const struct kb_qemu_vm *vm, struct kb_run_result *res) KB_MUST_CHECK;

/* How a QEMU process ended, for kb_qemu_classify(). */
enum kb_qemu_end {
	KB_QEMU_EXITED_OK, /* exit code 0: power-off or panic with -no-reboot */
	KB_QEMU_EXITED_ERROR, /* non-zero exit code or killed by a signal not from us */
	KB_QEMU_TIMED_OUT, /* we killed it at the deadline */
	KB_QEMU_NOT_STARTED, /* exec failed */
};

/*
 * Classify a run from its cleaned console (@con, @len bytes) and how QEMU
 * ended.  First match wins:
 *   NOT_STARTED, or an error exit before the kernel printed anything
 *                                            INFRA "failed to start QEMU: <line>"
 *   a crash (crash parser) before KB_MARK_BOOT_DONE     BOOT_FAIL with its title
 *   a crash before KB_MARK_SMOKE_OK                     TEST_FAIL with its title
 *   a crash later                                       CRASH with its title
 *   KB_MARK_SMOKE_FAILED                                TEST_FAIL "smoke test failed: ..."
 *   KB_MARK_REPRO_DONE                                  OK
 *   timed out                                   "no output from test machine"
 *   otherwise (the VM went away)                "lost connection to test machine"
 * The last two are BOOT_FAIL before KB_MARK_BOOT_DONE, else CRASH.
 * Fills res->outcome and res->title; returns 0 or -errno (parser failure).
 */
int kb_qemu_classify(const char *con, size_t len, enum kb_qemu_end end,
		     struct kb_run_result *res) KB_MUST_CHECK;

/*
 * Console bytes as the parser wants them: CRs and terminal escape sequences
 * (SeaBIOS clears the screen) removed.  Appends to @out.
 */
void kb_qemu_clean_console(const char *raw, size_t len, struct kb_buf *out);

/*
 * Choose the accelerator by trying it: "kvm" when /dev/kvm opens and a probe
 * boot of @kernel + @initrd (kbisect_mode=probe) reaches KB_MARK_BOOT_DONE
 * under KVM within @timeout seconds, else "tcg".  *ret_why says why KVM was
 * not taken (malloc'ed, NULL when it was).  Returns the static name.
 */
const char *kb_qemu_pick_accel(const struct kb_qemu_vm *vm, double timeout, char **ret_why);

#endif
