// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel backend ("kind": "linux").  One private clone is checked out at one
 * commit at a time and built out of tree into a persistent O= directory per
 * toolchain (kb_kernel_out_dir), so consecutive commits built with the same
 * compiler rebuild incrementally (kb_kernel_build).  After a
 * good build the image and vmlinux are copied to images/<signature>/, so
 * runs of any commit built before boot without a rebuild, and a crash is
 * symbolized against the vmlinux of the commit that produced it.
 *
 * Runs boot QEMU VMs (kb_qemu_run) with the initramfs made once at the
 * start; at most "vms" of them at a time.  The accelerator is decided by a
 * probe boot the first time a kernel exists ("accel": "auto").
 *
 * Everything that can be checked before the first build is checked in
 * kb_linux_backend_new(): the config section, the kernel .config, QEMU,
 * busybox, and that the reproducer compiles.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "bisect/linux_backend.h"
#include "bisect/linux_config.h"
#include "build/build.h"
#include "build/kernel.h"
#include "report/report.h"
#include "report/symbolize.h"
#include "run/initramfs.h"
#include "run/qemu.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

/* A KVM probe boot must finish within this (a TCG boot takes about a second). */
#define KVM_PROBE_TIMEOUT 30.0

struct linux_be {
	const struct kb_config *cfg;
	struct kb_linux_config *lc;
	char *tree; /* the private clone */
	char *logdir;
	char *outdir; /* build_dir: O= is outdir/<compiler> (kb_kernel_out_dir) */
	char *imgdir; /* images/<signature>/{image,vmlinux} */
	char *initrd;
	char *repro_bin; /* compiled reproducer, or NULL */
	char current[KB_HASH_HEX + 1]; /* commit checked out and built in ->tree */
	pthread_mutex_t lock; /* checkout + build */
	/* the build in progress, and whether the engine asked to stop it */
	pthread_mutex_t cancel_lock;
	char building[KB_HASH_HEX + 1];
	atomic_bool cancel;
	pthread_mutex_t accel_lock; /* the accelerator choice */
	const char *accel; /* NULL until chosen */
	char *accel_why;

	pthread_mutex_t vm_lock;
	pthread_cond_t vm_cond;
	unsigned vms_free;
	struct kb_run_tickets runs; /* runs going on or waiting for a VM, for cancel_runs */
};

static int tag_is_ancestor(void *ctx, const char *tag)
{
	const char *const *a = ctx; /* { tree, commit } */

	return kb_linux_tag_is_ancestor(a[0], tag, a[1]);
}

/* Copy @src to @dst (atomically), for the per-signature image store. */
static int copy_file(const char *src, const char *dst)
{
	struct kb_buf b = KB_BUF_INIT;
	int r = kb_read_file(src, &b);

	if (r == 0)
		r = kb_write_file(dst, b.buf ? b.buf : "", b.len);
	kb_buf_release(&b);
	return r;
}

static char *img_path(struct linux_be *lb, const char *sig, const char *name)
{
	return kb_xasprintf("%s/%s/%s", lb->imgdir, sig, name);
}

static int do_build(struct linux_be *lb, const char *commit, struct kb_build_result *res)
{
	const struct kb_linux_config *lc = lb->lc;
	const struct kb_linux_compiler *comp;
	const char *anc[] = { lb->tree, commit };
	struct kb_git_commit ci = { 0 };
	_cleanup_free_ char *out = NULL;
	int r, err;

	memset(res, 0, sizeof(*res));
	lb->current[0] = '\0';
	r = kb_git_checkout(lb->tree, commit, 0);
	if (r < 0)
		return r;
	if (lc->n_compilers) {
		r = kb_git_commit_info(lb->tree, commit, &ci);
		if (r < 0)
			return r;
	}
	comp = kb_linux_pick_compiler(lc, tag_is_ancestor, anc, ci.committer_date, &err);
	kb_git_commit_release(&ci);
	if (err < 0)
		return err;
	/* one O= per toolchain: a switch would recompile everything both ways */
	out = kb_kernel_out_dir(lb->outdir, comp ? comp->cc : NULL, comp ? comp->ld : NULL);
	{
		struct kb_kernel_build b = {
			.src = lb->tree,
			.out = out,
			.config = lc->kernel_config,
			.arch = lc->arch,
			.cc = comp ? comp->cc : NULL,
			.ld = comp ? comp->ld : NULL,
			.ccache = lc->ccache,
			.ccache_dir = lc->ccache_dir,
			.required = (const char *const *)lc->required,
			.n_required = lc->n_required,
			.jobs = lc->jobs,
			.timeout = lc->build_timeout,
			.log_dir = lb->logdir,
			.cancel = &lb->cancel,
		};

		r = kb_kernel_build(&b, commit, res);
	}
	if (r < 0 || res->status != KB_BUILD_OK)
		return r;
	{
		_cleanup_free_ char *dir = kb_xasprintf("%s/%s", lb->imgdir, res->signature);
		_cleanup_free_ char *image = kb_kernel_image_path(out, lc->arch);
		_cleanup_free_ char *vmlinux = kb_xasprintf("%s/vmlinux", out);
		_cleanup_free_ char *dimage = img_path(lb, res->signature, "image");
		_cleanup_free_ char *dvmlinux = img_path(lb, res->signature, "vmlinux");

		if (!kb_path_exists(image)) {
			/* make said yes but there is nothing to boot */
			res->status = KB_BUILD_FAILED;
			free(res->error_lines);
			res->error_lines = kb_xasprintf("the build made no kernel image %s", image);
			return 0;
		}
		r = kb_mkdir_p(dir, 0755);
		if (r == 0)
			r = copy_file(image, dimage);
		if (r == 0)
			r = copy_file(vmlinux, dvmlinux);
		if (r < 0) {
			kb_build_result_clear(res);
			return r;
		}
	}
	snprintf(lb->current, sizeof(lb->current), "%s", commit);
	return 0;
}

static int lx_build(void *ctx, const char *commit, struct kb_build_result *res)
{
	struct linux_be *lb = ctx;
	int r;

	pthread_mutex_lock(&lb->lock);
	pthread_mutex_lock(&lb->cancel_lock);
	snprintf(lb->building, sizeof(lb->building), "%s", commit);
	pthread_mutex_unlock(&lb->cancel_lock);
	r = do_build(lb, commit, res);
	/* a cancel that came too late must not stop the next build */
	pthread_mutex_lock(&lb->cancel_lock);
	lb->building[0] = 0;
	atomic_store(&lb->cancel, false);
	pthread_mutex_unlock(&lb->cancel_lock);
	pthread_mutex_unlock(&lb->lock);
	return r;
}

static void lx_cancel_build(void *ctx, const char *commit)
{
	struct linux_be *lb = ctx;

	pthread_mutex_lock(&lb->cancel_lock);
	if (!strcmp(lb->building, commit))
		atomic_store(&lb->cancel, true);
	pthread_mutex_unlock(&lb->cancel_lock);
}

/* The image of @sig exists, rebuilding @commit if it does not (after a resume). */
static int ensure_image(struct linux_be *lb, const char *commit, const char *sig)
{
	_cleanup_free_ char *image = img_path(lb, sig, "image");
	struct kb_build_result b;
	int r = 0;

	if (kb_path_exists(image))
		return 0;
	r = do_build(lb, commit, &b);
	if (r == 0 && (b.status != KB_BUILD_OK || strcmp(b.signature, sig)))
		r = kb_error_set(
			-EIO,
			"rebuilding %s gave %s, not the signature %s it had before: the build is not reproducible",
			commit, b.status == KB_BUILD_OK ? b.signature : "a failed build", sig);
	kb_build_result_clear(&b);
	return r;
}

/* Decide the accelerator once, by a probe boot of the first image. */
static void pick_accel(struct linux_be *lb, const char *sig)
{
	_cleanup_free_ char *image = img_path(lb, sig, "image");
	_cleanup_free_ char *con = kb_xasprintf("%s/kvm-probe.log", lb->logdir);
	struct kb_qemu_vm vm = {
		.qemu = kb_linux_qemu_binary(lb->lc),
		.arch = lb->lc->arch,
		.kernel = image,
		.initrd = lb->initrd,
		.mem_mb = lb->lc->memory,
		.cpus = lb->lc->cpus,
		.console_path = con,
	};

	if (lb->accel)
		return;
	if (strcmp(lb->lc->accel, "auto")) {
		lb->accel = !strcmp(lb->lc->accel, "kvm") ? "kvm" : "tcg";
		return;
	}
	lb->accel = kb_qemu_pick_accel(&vm, KVM_PROBE_TIMEOUT, &lb->accel_why);
	{
		_cleanup_free_ char *note = kb_xasprintf("%s/accel.txt", lb->logdir);
		_cleanup_free_ char *text =
			kb_xasprintf("%s%s%s\n", lb->accel, lb->accel_why ? ": " : "",
				     lb->accel_why ? lb->accel_why : "");

		if (kb_write_file(note, text, strlen(text)) < 0)
			kb_error_clear();
	}
}

/*
 * Append @dis (the disassembly block) to @out after the first "Code: " line
 * of @text, each line with that line's console prefix ("[    0.99] "), so
 * the report parser keeps the block inside the report when the engine
 * parses the console again.  Returns false when @text has no such line.
 */
static bool add_with_disassembly(struct kb_buf *out, const char *text, size_t len,
				 const struct kb_buf *dis)
{
	const char *code = memmem(text, len, "Code: ", 6), *bol, *eol;

	if (!code || !dis->len)
		return false;
	for (bol = code; bol > text && bol[-1] != '\n'; bol--)
		;
	eol = memchr(code, '\n', len - (size_t)(code - text));
	eol = eol ? eol + 1 : text + len;
	kb_buf_add(out, text, (size_t)(eol - text));
	if (eol == text + len)
		kb_buf_addch(out, '\n');
	for (const char *p = dis->buf; p < dis->buf + dis->len;) {
		const char *nl = memchr(p, '\n', dis->len - (size_t)(p - dis->buf));
		size_t n = nl ? (size_t)(nl - p) : dis->len - (size_t)(p - dis->buf);

		/* the block's own separator line is not report text */
		if (n && strspn(p, "-") != n) {
			kb_buf_add(out, bol, (size_t)(code - bol));
			kb_buf_add(out, p, n);
			kb_buf_addch(out, '\n');
		}
		p += n + 1;
	}
	kb_buf_add(out, eol, (size_t)(text + len - eol));
	return true;
}

/*
 * Rewrite the console of a crashed run so that its report is symbolized
 * against @vmlinux (file:line, inlined frames) and carries the code
 * disassembly after its first "Code:" line; the console as QEMU printed it
 * is kept next to it as *.raw.  Failures only leave the console as it was:
 * the run result does not depend on them.
 */
static void symbolize_console(struct linux_be *lb, const char *console, const char *vmlinux)
{
	struct kb_buf con = KB_BUF_INIT, sym = KB_BUF_INIT, out = KB_BUF_INIT, dis = KB_BUF_INIT;
	struct kb_symbolizer *s = NULL;
	struct kb_report *rep = NULL;
	_cleanup_free_ char *raw = kb_xasprintf("%s.raw", console);

	if (kb_read_file(console, &con) < 0 || kb_report_parse(con.buf, con.len, 0, &rep) <= 0)
		goto out;
	if (kb_symbolizer_open(vmlinux, lb->tree, &s) < 0)
		goto out;
	/* the report's lines symbolized, the rest of the console as it was */
	kb_buf_add(&sym, con.buf, rep->start);
	kb_symbolize_text(s, con.buf + rep->start, rep->end - rep->start, &sym);
	if (sym.len && sym.buf[sym.len - 1] != '\n' && rep->end < con.len &&
	    con.buf[rep->end] != '\n')
		kb_buf_addch(&sym, '\n');
	kb_buf_add(&sym, con.buf + rep->end, con.len - rep->end);
	kb_report_decompile(rep->report, rep->report_len,
			    strcmp(lb->lc->arch, "arm64") ? "amd64" : "arm64", &dis);
	/* the block goes into the report's own region, after its first Code: line */
	if (!add_with_disassembly(&out, sym.buf + rep->start, sym.len - rep->start, &dis))
		kb_buf_add(&out, sym.buf + rep->start, sym.len - rep->start);
	if (kb_write_file(raw, con.buf, con.len) == 0) {
		struct kb_buf all = KB_BUF_INIT;

		kb_buf_add(&all, sym.buf, rep->start);
		kb_buf_add(&all, out.buf, out.len);
		(void)!kb_write_file(console, all.buf, all.len);
		kb_buf_release(&all);
	}
out:
	kb_error_clear();
	kb_symbolizer_free(s);
	kb_report_free(rep);
	kb_buf_release(&con);
	kb_buf_release(&sym);
	kb_buf_release(&out);
	kb_buf_release(&dis);
}

static int lx_run(void *ctx, const char *commit, const char *sig, unsigned idx,
		  struct kb_run_result *res)
{
	struct linux_be *lb = ctx;
	_cleanup_free_ char *image = img_path(lb, sig, "image");
	_cleanup_free_ char *vmlinux = img_path(lb, sig, "vmlinux");
	_cleanup_free_ char *con = kb_xasprintf("%s/run-%s-%u.log", lb->logdir, commit, idx);
	struct kb_run_ticket ticket;
	int r;

	/*
	 * The image of a signature is complete before its build result is
	 * handed out, so a run needs the build lock only when it must rebuild
	 * (a resume after the images were removed).  It must not wait for a
	 * speculative build of another commit that holds the lock for minutes.
	 */
	if (!kb_path_exists(image)) {
		pthread_mutex_lock(&lb->lock);
		r = ensure_image(lb, commit, sig);
		pthread_mutex_unlock(&lb->lock);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&lb->accel_lock);
	pick_accel(lb, sig);
	pthread_mutex_unlock(&lb->accel_lock);

	kb_run_ticket_take(&lb->runs, &ticket, commit);
	pthread_mutex_lock(&lb->vm_lock);
	while (!lb->vms_free && !atomic_load(&ticket.cancel))
		pthread_cond_wait(&lb->vm_cond, &lb->vm_lock);
	if (atomic_load(&ticket.cancel)) {
		/* cancelled while it waited for a VM: it never boots */
		pthread_mutex_unlock(&lb->vm_lock);
		kb_run_ticket_drop(&lb->runs, &ticket);
		memset(res, 0, sizeof(*res));
		res->exit_status = -1;
		kb_run_result_set_cancelled(res);
		return 0;
	}
	lb->vms_free--;
	pthread_mutex_unlock(&lb->vm_lock);
	{
		struct kb_qemu_vm vm = {
			.qemu = kb_linux_qemu_binary(lb->lc),
			.arch = lb->lc->arch,
			.accel = lb->accel,
			.kernel = image,
			.initrd = lb->initrd,
			.mem_mb = lb->lc->memory,
			.cpus = lb->lc->cpus,
			.timeout = lb->cfg->test.timeout,
			.console_path = con,
			.cancel = &ticket.cancel,
		};

		r = kb_qemu_run(&vm, res);
	}
	kb_run_ticket_drop(&lb->runs, &ticket);
	pthread_mutex_lock(&lb->vm_lock);
	lb->vms_free++;
	pthread_cond_broadcast(&lb->vm_cond);
	pthread_mutex_unlock(&lb->vm_lock);
	if (r == 0 && res->console_path &&
	    (res->outcome == KB_RUN_CRASH || res->outcome == KB_RUN_BOOT_FAIL ||
	     res->outcome == KB_RUN_TEST_FAIL))
		symbolize_console(lb, res->console_path, vmlinux);
	return r;
}

static void lx_cancel_runs(void *ctx, const char *commit)
{
	struct linux_be *lb = ctx;

	/* under vm_lock: a run between its check and its wait sees the wake-up */
	pthread_mutex_lock(&lb->vm_lock);
	if (kb_run_tickets_cancel(&lb->runs, commit))
		pthread_cond_broadcast(&lb->vm_cond);
	pthread_mutex_unlock(&lb->vm_lock);
}

static void lx_close(void *ctx)
{
	struct linux_be *lb = ctx;

	if (!lb)
		return;
	pthread_mutex_destroy(&lb->lock);
	pthread_mutex_destroy(&lb->vm_lock);
	pthread_mutex_destroy(&lb->accel_lock);
	pthread_mutex_destroy(&lb->cancel_lock);
	pthread_cond_destroy(&lb->vm_cond);
	kb_run_tickets_destroy(&lb->runs);
	kb_linux_config_free(lb->lc);
	free(lb->tree);
	free(lb->logdir);
	free(lb->outdir);
	free(lb->imgdir);
	free(lb->initrd);
	free(lb->repro_bin);
	free(lb->accel_why);
	free(lb);
}

/* Compile the C reproducer statically for the guest; a failure names the first error. */
static int compile_repro(struct linux_be *lb, const char *workdir)
{
	const char *cc = strcmp(lb->lc->arch, "arm64") ? "gcc" : "aarch64-linux-gnu-gcc";
	_cleanup_free_ char *out = kb_xasprintf("%s/repro", workdir);
	const char *argv[] = {
		cc, "-static", "-O2", "-pthread", "-o", out, lb->lc->reproducer, NULL
	};
	struct kb_buf err = KB_BUF_INIT;
	struct kb_child c = { .argv = argv, .out = &err, .merge_stderr = true, .timeout = 300 };
	int r = kb_child_run(&c);

	if (r < 0)
		goto out;
	if (c.status != KB_CHILD_EXITED || c.exit_code) {
		_cleanup_free_ char *lines =
			kb_build_error_lines(err.buf ? err.buf : "", err.len, NULL);
		size_t n = lines ? strcspn(lines, "\n") : 0;

		r = kb_error_set(-EINVAL,
				 "%s: the reproducer %s does not compile (%s -static): %.*s",
				 lb->cfg->path, lb->lc->reproducer, cc, (int)n,
				 lines ? lines : strerror(c.err_no));
		goto out;
	}
	lb->repro_bin = KB_TAKE_PTR(out);
out:
	kb_buf_release(&err);
	return r;
}

static int make_initramfs(struct linux_be *lb, const char *workdir)
{
	_cleanup_free_ char *script = NULL;
	struct kb_initramfs ir = {
		.busybox = lb->lc->busybox,
		.repro_bin = lb->repro_bin,
		.repro_timeout = (unsigned)(lb->lc->reproducer_timeout + 0.5),
	};
	int r;

	if (!lb->repro_bin && lb->lc->reproducer) {
		ir.repro_script = lb->lc->reproducer;
	} else if (!lb->repro_bin) {
		/* the test command string is the guest's reproducer script */
		script = kb_xasprintf("%s/repro.sh", workdir);
		r = kb_write_file(script, lb->cfg->test.command.shell,
				  strlen(lb->cfg->test.command.shell));
		if (r < 0)
			return r;
		ir.repro_script = script;
	}
	lb->initrd = kb_xasprintf("%s/initramfs.cpio", workdir);
	return kb_initramfs_write(&ir, lb->initrd);
}

int kb_linux_backend_new(const struct kb_config *cfg, const char *workdir, struct kb_backend *be)
{
	struct linux_be *lb;
	int r;

	if (strcmp(cfg->test.backend, "qemu"))
		return kb_error_set(
			-ENOTSUP,
			"%s: \"kind\": \"linux\" runs its tests in QEMU: set \"test.backend\": \"qemu\"",
			cfg->path);
	lb = kb_xcalloc(1, sizeof(*lb));
	lb->cfg = cfg;
	pthread_mutex_init(&lb->lock, NULL);
	pthread_mutex_init(&lb->vm_lock, NULL);
	pthread_mutex_init(&lb->accel_lock, NULL);
	pthread_mutex_init(&lb->cancel_lock, NULL);
	pthread_cond_init(&lb->vm_cond, NULL);
	kb_run_tickets_init(&lb->runs);
	r = kb_linux_config_parse(cfg, &lb->lc);
	if (r < 0)
		goto fail;
	lb->vms_free = lb->lc->vms;
	r = kb_linux_config_check(cfg, lb->lc);
	if (r < 0)
		goto fail;
	lb->logdir = kb_xasprintf("%s/logs", workdir);
	lb->imgdir = kb_xasprintf("%s/images", workdir);
	lb->outdir = lb->lc->build_dir ? kb_xstrdup(lb->lc->build_dir) :
					 kb_xasprintf("%s/kernel-build", workdir);
	if ((r = kb_mkdir_p(lb->logdir, 0755)) < 0 || (r = kb_mkdir_p(lb->imgdir, 0755)) < 0)
		goto fail;
	if (lb->lc->reproducer && lb->lc->reproducer_is_c && (r = compile_repro(lb, workdir)) < 0)
		goto fail;
	if ((r = make_initramfs(lb, workdir)) < 0)
		goto fail;
	r = kb_git_worktree_prepare(cfg->repo, workdir, &lb->tree);
	if (r < 0)
		goto fail;
	/*
	 * Runs boot images copied out of the build, so one build (the tree and
	 * O= are single) can go on while VMs run.
	 */
	*be = (struct kb_backend){
		.ctx = lb,
		.build = lx_build,
		.run = lx_run,
		.close = lx_close,
		.cancel_build = lx_cancel_build,
		.cancel_runs = lx_cancel_runs,
		.build_slots = 1,
	};
	return 0;
fail:
	lx_close(lb);
	return r;
}
