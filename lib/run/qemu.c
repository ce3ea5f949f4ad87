// SPDX-License-Identifier: Apache-2.0
/*
 * QEMU runs.  The VM's serial console is QEMU's stdout (-nographic), read
 * through a pipe by kb_child_run(), which also enforces the deadline on the
 * whole process group.  -no-reboot with panic=-1 makes a panicking kernel
 * end QEMU at once; oops=panic turns every oops into such a panic (the boot
 * option panic_on_oops does nothing in 6.1).
 */
#include "run/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "run/initramfs.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

#define DEFAULT_MEM_MB	512
#define DEFAULT_TIMEOUT 600.0

static bool is_arm64(const char *arch)
{
	return arch && !strcmp(arch, "arm64");
}

char **kb_qemu_argv(const struct kb_qemu_vm *vm)
{
	const char *accel = vm->accel ? vm->accel : "tcg";
	bool kvm = !strcmp(accel, "kvm");
	char **v = kb_xcalloc(32, sizeof(*v));
	size_t n = 0;

	if (is_arm64(vm->arch)) {
		v[n++] = kb_xstrdup(vm->qemu ? vm->qemu : "qemu-system-aarch64");
		v[n++] = kb_xstrdup("-M");
		v[n++] = kb_xstrdup("virt");
		v[n++] = kb_xstrdup("-cpu");
		v[n++] = kb_xstrdup(kvm ? "host" : "max");
	} else {
		v[n++] = kb_xstrdup(vm->qemu ? vm->qemu : "qemu-system-x86_64");
		if (kvm) {
			v[n++] = kb_xstrdup("-cpu");
			v[n++] = kb_xstrdup("host");
		}
	}
	v[n++] = kb_xstrdup("-accel");
	v[n++] = kb_xstrdup(accel);
	v[n++] = kb_xstrdup("-m");
	v[n++] = kb_xasprintf("%u", vm->mem_mb ? vm->mem_mb : DEFAULT_MEM_MB);
	v[n++] = kb_xstrdup("-smp");
	v[n++] = kb_xasprintf("%u", vm->cpus ? vm->cpus : 1);
	v[n++] = kb_xstrdup("-nographic");
	v[n++] = kb_xstrdup("-no-reboot");
	/* no network: the initramfs needs none and the NIC's option ROM costs boot time */
	v[n++] = kb_xstrdup("-nic");
	v[n++] = kb_xstrdup("none");
	v[n++] = kb_xstrdup("-kernel");
	v[n++] = kb_xstrdup(vm->kernel);
	v[n++] = kb_xstrdup("-initrd");
	v[n++] = kb_xstrdup(vm->initrd);
	v[n++] = kb_xstrdup("-append");
	v[n++] = kb_xasprintf("console=%s oops=panic panic=-1%s%s",
			      is_arm64(vm->arch) ? "ttyAMA0" : "ttyS0", vm->cmdline ? " " : "",
			      vm->cmdline ? vm->cmdline : "");
	v[n] = NULL;
	return v;
}

void kb_qemu_argv_free(char **argv)
{
	for (char **p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

void kb_qemu_clean_console(const char *raw, size_t len, struct kb_buf *out)
{
	size_t i = 0;

	kb_buf_grow(out, len);
	while (i < len) {
		unsigned char ch = (unsigned char)raw[i];

		if (ch == '\r') {
			i++;
		} else if (ch == 0x1b && i + 1 < len && raw[i + 1] == '[') {
			/* CSI: parameters and intermediates up to a final byte 0x40-0x7e */
			i += 2;
			while (i < len &&
			       !((unsigned char)raw[i] >= 0x40 && (unsigned char)raw[i] <= 0x7e))
				i++;
			i++;
		} else if (ch == 0x1b) {
			i += 2; /* ESC c (reset) and other two-byte sequences */
		} else {
			kb_buf_addch(out, ch);
			i++;
		}
	}
}

static const char *find_mark(const char *con, size_t len, const char *mark)
{
	return memmem(con, len, mark, strlen(mark));
}

/* The first non-empty line of @con, for an infra message. */
static char *first_line(const char *con, size_t len)
{
	const char *p = con, *end = con + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le > p)
			return kb_xstrndup(p, (size_t)KB_MIN(le - p, 200));
		p = le + 1;
	}
	return kb_xstrdup("no output");
}

int kb_qemu_classify(const char *con, size_t len, enum kb_qemu_end end, struct kb_run_result *res)
{
	const char *boot = find_mark(con, len, KB_MARK_BOOT_DONE);
	const char *smoke = find_mark(con, len, KB_MARK_SMOKE_OK);
	const char *bad_smoke = find_mark(con, len, KB_MARK_SMOKE_FAILED);
	struct kb_report **v = NULL;
	size_t n = 0;
	int r;

	free(res->title);
	res->title = NULL;
	if (end == KB_QEMU_NOT_STARTED ||
	    (end == KB_QEMU_EXITED_ERROR && !boot && !memmem(con, len, "Linux version", 13))) {
		_cleanup_free_ char *line = first_line(con, len);

		res->outcome = KB_RUN_INFRA;
		res->title = kb_xasprintf("failed to start QEMU: %s", line);
		return 0;
	}
	r = kb_report_parse_all(con, len, &v, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *at = con + v[i]->start;

		if (v[i]->suppressed || !v[i]->title)
			continue;
		res->title = kb_xstrdup(v[i]->title);
		if (!boot || at < boot)
			res->outcome = KB_RUN_BOOT_FAIL;
		else if (!smoke || at < smoke)
			res->outcome = KB_RUN_TEST_FAIL;
		else
			res->outcome = KB_RUN_CRASH;
		break;
	}
	kb_report_free_all(v, n);
	if (res->title)
		return 0;
	if (bad_smoke) {
		const char *why = bad_smoke + strlen(KB_MARK_SMOKE_FAILED);
		size_t wl = strcspn(why, "\n");

		while (wl && *why == ' ')
			why++, wl--;
		res->outcome = KB_RUN_TEST_FAIL;
		res->title = kb_xasprintf("smoke test failed: %.*s", (int)KB_MIN(wl, 200), why);
		return 0;
	}
	if (find_mark(con, len, KB_MARK_REPRO_DONE)) {
		res->outcome = KB_RUN_OK;
		return 0;
	}
	res->outcome = boot ? KB_RUN_CRASH : KB_RUN_BOOT_FAIL;
	res->title = kb_xstrdup(end == KB_QEMU_TIMED_OUT ? KB_QEMU_TITLE_NO_OUTPUT :
							   KB_QEMU_TITLE_LOST_CONNECTION);
	return 0;
}

int kb_qemu_run(const struct kb_qemu_vm *vm, struct kb_run_result *res)
{
	char **argv = kb_qemu_argv(vm);
	struct kb_buf raw = KB_BUF_INIT, con = KB_BUF_INIT;
	struct kb_child c = {
		.argv = (const char *const *)argv,
		.out = &raw,
		.merge_stderr = true,
		.timeout = vm->timeout > 0 ? vm->timeout : DEFAULT_TIMEOUT,
		.cancel = vm->cancel,
	};
	enum kb_qemu_end end;
	int r;

	/*
	 * A guest stuck in a printing loop must not eat the host's memory: keep
	 * the first KB_QEMU_CONSOLE_CAP bytes (the crash that matters comes
	 * first), the deadline ends the VM anyway.
	 */
	raw.cap = KB_QEMU_CONSOLE_CAP;
	memset(res, 0, sizeof(*res));
	res->exit_status = -1;
	if (!vm->console_path) {
		r = kb_error_set(-EINVAL, "qemu: no console file given");
		goto out;
	}
	r = kb_child_run(&c);
	if (r < 0)
		goto out;
	switch (c.status) {
	case KB_CHILD_EXITED:
		res->exit_status = c.exit_code;
		end = c.exit_code ? KB_QEMU_EXITED_ERROR : KB_QEMU_EXITED_OK;
		break;
	case KB_CHILD_SIGNALED:
		end = KB_QEMU_EXITED_ERROR;
		break;
	case KB_CHILD_TIMED_OUT:
		end = KB_QEMU_TIMED_OUT;
		break;
	case KB_CHILD_EXEC_FAILED:
	default:
		end = KB_QEMU_NOT_STARTED;
		kb_buf_addf(&raw, "cannot run %s: %s\n", argv[0], strerror(c.err_no));
		break;
	}
	res->seconds = c.seconds;
	if (raw.truncated) {
		raw.cap = 0;
		kb_buf_addf(&raw, "\nkbisect: console output cut at %u bytes\n",
			    (unsigned)KB_QEMU_CONSOLE_CAP);
	}
	kb_qemu_clean_console(raw.buf ? raw.buf : "", raw.len, &con);
	r = kb_write_file(vm->console_path, con.buf ? con.buf : "", con.len);
	if (r < 0)
		goto out;
	res->console_path = kb_xstrdup(vm->console_path);
	if (c.cancelled) {
		kb_run_result_set_cancelled(res);
		goto out;
	}
	/* a run whose power-off hung after the reproducer finished is still OK */
	r = kb_qemu_classify(con.buf ? con.buf : "", con.len, end, res);
out:
	if (r < 0)
		kb_run_result_clear(res);
	kb_qemu_argv_free(argv);
	kb_buf_release(&raw);
	kb_buf_release(&con);
	return r;
}

const char *kb_qemu_pick_accel(const struct kb_qemu_vm *vm, double timeout, char **ret_why)
{
	struct kb_qemu_vm probe = *vm;
	struct kb_run_result res = { 0 };
	struct kb_buf con = KB_BUF_INIT;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool ok = false;

	*ret_why = NULL;
	if (fd < 0) {
		*ret_why = kb_xasprintf("cannot open /dev/kvm: %s", strerror(errno));
		return "tcg";
	}
	close(fd);
	probe.accel = "kvm";
	probe.cmdline = "kbisect_mode=probe";
	probe.timeout = timeout;
	if (kb_qemu_run(&probe, &res) < 0) {
		*ret_why = kb_xasprintf("KVM probe failed: %s", kb_error_last());
		kb_error_clear();
		return "tcg";
	}
	if (kb_read_file(probe.console_path, &con) == 0)
		ok = find_mark(con.buf, con.len, KB_MARK_BOOT_DONE) != NULL;
	else
		kb_error_clear();
	if (!ok)
		*ret_why =
			kb_xasprintf("a probe boot under KVM did not finish (%s), see %s",
				     res.title ? res.title : "no boot marker", probe.console_path);
	kb_run_result_clear(&res);
	kb_buf_release(&con);
	return ok ? "kvm" : "tcg";
}
