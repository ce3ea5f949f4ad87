// SPDX-License-Identifier: Apache-2.0
/*
 * Kbuild kernel builds.  Two make runs per commit: olddefconfig (the user's
 * .config adapted to this commit's Kconfig), then the image.  Both go
 * through kb_build_run(), which already tells a broken commit from a broken
 * machine and extracts the root-cause lines; this file only adds what is
 * kernel-specific: the make arguments, the required-options check between
 * the two runs, the compiler line from the O= directory and the vmlinux
 * signature.
 */
#include "build/kernel.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "util/error.h"
#include "util/fs.h"

static const struct {
	const char *name; /* as users write it */
	const char *karch; /* ARCH= */
	const char *image; /* relative to O= */
} arches[] = {
	{ "x86_64", "x86_64", "arch/x86/boot/bzImage" },
	{ "amd64", "x86_64", "arch/x86/boot/bzImage" },
	{ "arm64", "arm64", "arch/arm64/boot/Image" },
};

static int arch_index(const char *arch)
{
	for (size_t i = 0; arch && i < KB_ARRAY_SIZE(arches); i++)
		if (!strcmp(arches[i].name, arch))
			return (int)i;
	return -1;
}

const char *kb_kernel_make_arch(const char *arch)
{
	int i = arch_index(arch);

	return i < 0 ? NULL : arches[i].karch;
}

char *kb_kernel_image_path(const char *out, const char *arch)
{
	int i = arch_index(arch);

	return i < 0 ? NULL : kb_xasprintf("%s/%s", out, arches[i].image);
}

/* Append @name to @b as one safe path component (see kb_kernel_out_dir()). */
static void add_component(struct kb_buf *b, const char *name)
{
	size_t start = b->len;

	for (const char *p = name + strspn(name, "/"); *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || strchr("._+-", *p);

		kb_buf_addch(b, ok ? *p : '_');
	}
	/* "", "." and ".." would not name a directory of its own */
	if (b->len == start || strspn(b->buf + start, ".") == b->len - start)
		kb_buf_addch(b, '_');
}

char *kb_kernel_out_dir(const char *build_dir, const char *cc, const char *ld)
{
	struct kb_buf b = KB_BUF_INIT;

	kb_buf_addf(&b, "%s/", build_dir);
	add_component(&b, cc ? cc : "gcc");
	if (ld) {
		kb_buf_addch(&b, '+');
		add_component(&b, ld);
	}
	return kb_buf_detach(&b, NULL);
}

/* The value of CONFIG_@name (@nlen bytes) in @text: "y", "m", "\"str\"", ... or NULL. */
static char *config_value(const char *text, size_t len, const char *name, size_t nlen)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) > 7 + nlen && !memcmp(p, "CONFIG_", 7) &&
		    !memcmp(p + 7, name, nlen) && p[7 + nlen] == '=')
			return kb_xstrndup(p + 8 + nlen, (size_t)(le - p - 8 - (ptrdiff_t)nlen));
		p = le + 1;
	}
	return NULL;
}

char *kb_kernel_config_missing(const char *text, size_t len, const char *const *required, size_t n)
{
	struct kb_buf miss = KB_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		const char *opt = required[i], *eq;
		_cleanup_free_ char *val = NULL;
		size_t nlen;
		bool ok;

		if (!strncmp(opt, "CONFIG_", 7))
			opt += 7;
		eq = strchr(opt, '=');
		nlen = eq ? (size_t)(eq - opt) : strlen(opt);
		val = config_value(text, len, opt, nlen);
		if (!eq)
			ok = val && (!strcmp(val, "y") || !strcmp(val, "m"));
		else if (!strcmp(eq + 1, "n"))
			ok = !val; /* "# CONFIG_X is not set" or absent */
		else
			ok = val && !strcmp(val, eq + 1);
		if (!ok)
			kb_buf_addf(&miss, "%sCONFIG_%s", miss.len ? ", " : "", opt);
	}
	return miss.len ? kb_buf_detach(&miss, NULL) : NULL;
}

/* The fixed parts of every make call: argv[0..k) and the environment. */
struct make_call {
	const char *argv[16];
	size_t argc;
	const char *env[10];
	char *owned[8];
	size_t nowned;
};

static const char *own(struct make_call *m, char *s)
{
	m->owned[m->nowned++] = s;
	return s;
}

static void make_call_init(struct make_call *m, const struct kb_kernel_build *b)
{
	const char *cc = b->cc ? b->cc : "gcc";
	size_t e = 0;
	long cpus;

	memset(m, 0, sizeof(*m));
	m->argv[m->argc++] = "make";
	m->argv[m->argc++] = own(m, kb_xasprintf("O=%s", b->out));
	m->argv[m->argc++] = own(m, kb_xasprintf("ARCH=%s", kb_kernel_make_arch(b->arch)));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	m->argv[m->argc++] =
		own(m, kb_xasprintf("-j%u", b->jobs ? b->jobs : (unsigned)(cpus > 0 ? cpus : 1)));
	m->argv[m->argc++] = own(m, kb_xasprintf("CC=%s%s", b->ccache ? "ccache " : "", cc));
	if (b->ld)
		m->argv[m->argc++] = own(m, kb_xasprintf("LD=%s", b->ld));
	/*
	 * Reproducibility: nothing of the date, the machine or the tree's git
	 * state may reach the binary.  LOCALVERSION set (even empty) keeps
	 * setlocalversion from appending "+" on commits that are not tagged.
	 */
	m->env[e++] = "KBUILD_BUILD_TIMESTAMP=" KB_KERNEL_BUILD_TIMESTAMP;
	m->env[e++] = "KBUILD_BUILD_USER=kbisect";
	m->env[e++] = "KBUILD_BUILD_HOST=kbisect";
	m->env[e++] = "KBUILD_BUILD_VERSION=1";
	m->env[e++] = "LOCALVERSION=";
	m->env[e++] = "LANG=C";
	m->env[e++] = "LC_ALL=C";
	if (b->ccache_dir)
		m->env[e++] = own(m, kb_xasprintf("CCACHE_DIR=%s", b->ccache_dir));
	m->env[e] = NULL;
}

static void make_call_release(struct make_call *m)
{
	for (size_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	m->nowned = 0;
}

/*
 * LINUX_COMPILER from O=/include/generated/compile.h.  Kbuild separates name
 * and value with tabs, which kb_build_compiler_id() (it expects one space)
 * does not accept, so the kernel build reads it itself.
 */
char *kb_kernel_compiler_id(const char *out)
{
	_cleanup_free_ char *path = kb_xasprintf("%s/include/generated/compile.h", out);
	struct kb_buf b = KB_BUF_INIT;
	char *res = NULL;
	const char *p, *q;

	if (kb_read_file(path, &b) < 0) {
		kb_error_clear();
		goto out;
	}
	for (p = b.buf; (p = strstr(p, "#define LINUX_COMPILER")); p++) {
		p += strlen("#define LINUX_COMPILER");
		if (*p != ' ' && *p != '\t')
			continue;
		p += strspn(p, " \t");
		q = *p == '"' ? strchr(p + 1, '"') : NULL;
		if (q)
			res = kb_xstrndup(p + 1, (size_t)(q - p - 1));
		break;
	}
out:
	kb_buf_release(&b);
	return res;
}

/* Copy the user's config into O= (every commit starts from it, not from the last result). */
static int install_config(const struct kb_kernel_build *b)
{
	struct kb_buf cfg = KB_BUF_INIT;
	_cleanup_free_ char *dst = kb_xasprintf("%s/.config", b->out);
	struct kb_buf old = KB_BUF_INIT;
	int r;

	r = kb_mkdir_p(b->out, 0755);
	if (r == 0)
		r = kb_read_file(b->config, &cfg);
	if (r == 0) {
		/*
		 * Kbuild rebuilds what depends on a changed option only, but
		 * an unchanged file keeps its mtime and saves the syncconfig.
		 */
		if (kb_read_file(dst, &old) < 0)
			kb_error_clear();
		if (old.len != cfg.len || memcmp(old.buf, cfg.buf, cfg.len))
			r = kb_write_file(dst, cfg.buf, cfg.len);
	}
	kb_buf_release(&old);
	kb_buf_release(&cfg);
	return r;
}

int kb_kernel_build(const struct kb_kernel_build *b, const char *commit,
		    struct kb_build_result *res)
{
	_cleanup_free_ char *cfg_logs = NULL, *vmlinux = NULL, *dotconfig = NULL;
	struct kb_build_result cfgres = { 0 };
	struct kb_buf text = KB_BUF_INIT;
	struct make_call m;
	double seconds;
	int r;

	memset(res, 0, sizeof(*res));
	if (!kb_kernel_make_arch(b->arch))
		return kb_error_set(-EINVAL, "unsupported kernel architecture '%s'",
				    b->arch ? b->arch : "(none)");
	r = install_config(b);
	if (r < 0)
		return r;
	make_call_init(&m, b);

	/* 1: olddefconfig, its own log so the build log stays the compiler's */
	cfg_logs = kb_xasprintf("%s/config", b->log_dir);
	m.argv[m.argc] = "olddefconfig";
	m.argv[m.argc + 1] = NULL;
	{
		struct kb_build_step step = {
			.argv = m.argv,
			.env = m.env,
			.timeout = b->timeout,
			.log_dir = cfg_logs,
			.cancel = b->cancel,
		};

		r = kb_build_run(&step, b->src, commit, &cfgres);
	}
	if (r < 0)
		goto out;
	seconds = cfgres.seconds;
	if (cfgres.status != KB_BUILD_OK) {
		*res = cfgres;
		memset(&cfgres, 0, sizeof(cfgres));
		goto out;
	}

	/* 2: the options the bisection needs must still be there */
	dotconfig = kb_xasprintf("%s/.config", b->out);
	if (b->n_required) {
		_cleanup_free_ char *missing = NULL;

		r = kb_read_file(dotconfig, &text);
		if (r < 0)
			goto out;
		missing = kb_kernel_config_missing(text.buf, text.len, b->required, b->n_required);
		if (missing) {
			res->status = KB_BUILD_FAILED;
			res->error_lines = kb_xasprintf(
				"kernel config lacks required option%s %s after olddefconfig",
				strchr(missing, ',') ? "s" : "", missing);
			res->log_path = KB_TAKE_PTR(cfgres.log_path);
			res->seconds = seconds;
			goto out;
		}
	}

	/* 3: the image (vmlinux comes with it) */
	vmlinux = kb_xasprintf("%s/vmlinux", b->out);
	m.argv[m.argc] = strcmp(kb_kernel_make_arch(b->arch), "arm64") ? "bzImage" : "Image";
	m.argv[m.argc + 1] = NULL;
	{
		const char *arts[] = { vmlinux };
		struct kb_build_step step = {
			.argv = m.argv,
			.env = m.env,
			.artifacts = arts,
			.n_artifacts = 1,
			.timeout = b->timeout,
			.log_dir = b->log_dir,
			.cancel = b->cancel,
		};

		r = kb_build_run(&step, b->src, commit, res);
	}
	if (r < 0)
		goto out;
	res->seconds += seconds;
	if (res->status == KB_BUILD_OK) {
		free(res->compiler);
		res->compiler = kb_kernel_compiler_id(b->out);
	}
out:
	kb_build_result_clear(&cfgres);
	kb_buf_release(&text);
	make_call_release(&m);
	return r;
}
