// SPDX-License-Identifier: Apache-2.0
/*
 * Validation of the "linux" config section.  The generic parser keeps the
 * section as JSON; the rules for its keys live here, next to the backend
 * that uses them, so the two change together.
 */
#include "bisect/linux_config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build/kernel.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

static const char *const linux_keys[] = {
	"config",
	"arch",
	"reproducer",
	"reproducer_timeout",
	"required_configs",
	"vms",
	"memory",
	"cpus",
	"accel",
	"qemu",
	"busybox",
	"build_dir",
	"ccache",
	"ccache_dir",
	"jobs",
	"compilers",
	NULL,
};
static const char *const compiler_keys[] = { "since_tag", "since_date", "cc", "ld", NULL };

struct px {
	const struct kb_config *cfg;
};

static int bad(const struct px *x, const char *key, const char *what)
{
	return kb_error_set(-EINVAL, "%s: \"linux.%s\" %s", x->cfg->path, key, what);
}

static int check_keys(const struct px *x, json_t *obj, const char *prefix, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		bool ok = false;

		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (!ok)
			return kb_error_set(-EINVAL, "%s: unknown key \"%s\" in \"linux%s\"",
					    x->cfg->path, key, prefix);
	}
	return 0;
}

/* Optional string; *out untouched when absent. */
static int get_str(const struct px *x, json_t *obj, const char *key, const char *name, char **out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(x, name, "must be a non-empty string");
	free(*out);
	*out = kb_xstrdup(json_string_value(v));
	return 0;
}

static int get_path(const struct px *x, json_t *obj, const char *key, char **out)
{
	_cleanup_free_ char *s = NULL;
	int r = get_str(x, obj, key, key, &s);

	if (r == 0 && s) {
		free(*out);
		*out = kb_config_resolve(x->cfg, s);
	}
	return r;
}

static int get_uint(const struct px *x, json_t *obj, const char *key, unsigned lo, unsigned hi,
		    unsigned *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!v)
		return 0;
	n = json_is_integer(v) ? json_integer_value(v) : -1;
	if (!json_is_integer(v) || n < lo || n > hi) {
		_cleanup_free_ char *what =
			kb_xasprintf("must be an integer between %u and %u", lo, hi);

		return bad(x, key, what);
	}
	*out = (unsigned)n;
	return 0;
}

static int get_seconds(const struct px *x, json_t *obj, const char *key, double *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) <= 0)
		return bad(x, key, "must be a number of seconds above 0");
	*out = json_number_value(v);
	return 0;
}

static int get_bool(const struct px *x, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(x, key, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

static bool valid_option(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

	return n > 0 && (s[n] == 0 || (s[n] == '=' && s[n + 1]));
}

static int get_required(const struct px *x, json_t *obj, struct kb_linux_config *lc)
{
	json_t *v = json_object_get(obj, "required_configs"), *e;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return bad(x, "required_configs", "must be an array of option names");
	lc->required = kb_xcalloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || !valid_option(json_string_value(e)))
			return bad(
				x, "required_configs",
				"entries must be option names like \"KASAN\" or \"CONFIG_HZ=250\"");
		lc->required[lc->n_required++] = kb_xstrdup(json_string_value(e));
	}
	return 0;
}

/* "YYYY-MM-DD" (UTC midnight) to seconds since the epoch; -1 when malformed. */
static int64_t parse_date(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);

	if (!end || *end)
		return -1;
	return (int64_t)timegm(&tm);
}

static int get_compilers(const struct px *x, json_t *obj, struct kb_linux_config *lc)
{
	json_t *v = json_object_get(obj, "compilers"), *e;
	size_t i;
	int r;

	if (!v)
		return 0;
	if (!json_is_array(v))
		return bad(x, "compilers", "must be an array of objects");
	lc->compilers = kb_xcalloc(json_array_size(v) + 1, sizeof(*lc->compilers));
	json_array_foreach(v, i, e)
	{
		struct kb_linux_compiler *c = &lc->compilers[lc->n_compilers++];
		_cleanup_free_ char *name = kb_xasprintf("compilers[%zu]", i);
		_cleanup_free_ char *date = NULL;

		if (!json_is_object(e))
			return bad(x, name, "must be an object");
		if ((r = check_keys(x, e, ".compilers[]", compiler_keys)) < 0 ||
		    (r = get_str(x, e, "since_tag", name, &c->since_tag)) < 0 ||
		    (r = get_str(x, e, "since_date", name, &date)) < 0 ||
		    (r = get_str(x, e, "cc", name, &c->cc)) < 0 ||
		    (r = get_str(x, e, "ld", name, &c->ld)) < 0)
			return r;
		if (!c->cc)
			return bad(x, name, "needs \"cc\"");
		if (c->since_tag && date)
			return bad(x, name, "takes \"since_tag\" or \"since_date\", not both");
		if (date) {
			c->since_date = parse_date(date);
			if (c->since_date <= 0)
				return bad(x, name, "\"since_date\" must be YYYY-MM-DD");
		}
	}
	return 0;
}

int kb_linux_config_parse(const struct kb_config *cfg, struct kb_linux_config **ret)
{
	struct px x = { .cfg = cfg };
	json_t *s = cfg->linux_section;
	struct kb_linux_config *lc;
	int r;

	if (!s)
		return kb_error_set(-EINVAL, "%s: \"kind\": \"linux\" needs a \"linux\" section",
				    cfg->path);
	lc = kb_xcalloc(1, sizeof(*lc));
	lc->arch = kb_xstrdup(KB_LINUX_DEFAULT_ARCH);
	lc->reproducer_timeout = KB_LINUX_DEFAULT_REPRO_TIMEOUT;
	lc->vms = cfg->test.parallel;
	lc->memory = KB_LINUX_DEFAULT_MEMORY;
	lc->cpus = KB_LINUX_DEFAULT_CPUS;
	lc->accel = kb_xstrdup(KB_LINUX_DEFAULT_ACCEL);
	lc->busybox = kb_xstrdup(KB_LINUX_DEFAULT_BUSYBOX);
	lc->ccache = true;
	lc->build_timeout = cfg->build.timeout;
	if ((r = check_keys(&x, s, "", linux_keys)) < 0 ||
	    (r = get_path(&x, s, "config", &lc->kernel_config)) < 0 ||
	    (r = get_str(&x, s, "arch", "arch", &lc->arch)) < 0 ||
	    (r = get_path(&x, s, "reproducer", &lc->reproducer)) < 0 ||
	    (r = get_seconds(&x, s, "reproducer_timeout", &lc->reproducer_timeout)) < 0 ||
	    (r = get_required(&x, s, lc)) < 0 ||
	    (r = get_uint(&x, s, "vms", 1, 64, &lc->vms)) < 0 ||
	    (r = get_uint(&x, s, "memory", 64, 1u << 20, &lc->memory)) < 0 ||
	    (r = get_uint(&x, s, "cpus", 1, 256, &lc->cpus)) < 0 ||
	    (r = get_str(&x, s, "accel", "accel", &lc->accel)) < 0 ||
	    (r = get_str(&x, s, "qemu", "qemu", &lc->qemu)) < 0 ||
	    (r = get_path(&x, s, "busybox", &lc->busybox)) < 0 ||
	    (r = get_path(&x, s, "build_dir", &lc->build_dir)) < 0 ||
	    (r = get_bool(&x, s, "ccache", &lc->ccache)) < 0 ||
	    (r = get_path(&x, s, "ccache_dir", &lc->ccache_dir)) < 0 ||
	    (r = get_uint(&x, s, "jobs", 0, 1024, &lc->jobs)) < 0 ||
	    (r = get_compilers(&x, s, lc)) < 0)
		goto fail;
	if (!lc->kernel_config) {
		r = kb_error_set(-EINVAL,
				 "%s: missing key \"config\" in \"linux\" (the kernel .config)",
				 cfg->path);
		goto fail;
	}
	if (!kb_kernel_make_arch(lc->arch)) {
		r = bad(&x, "arch", "must be \"x86_64\" or \"arm64\"");
		goto fail;
	}
	if (strcmp(lc->accel, "auto") && strcmp(lc->accel, "kvm") && strcmp(lc->accel, "tcg")) {
		r = bad(&x, "accel", "must be \"auto\", \"kvm\" or \"tcg\"");
		goto fail;
	}
	if (lc->reproducer) {
		size_t n = strlen(lc->reproducer);

		lc->reproducer_is_c = n > 2 && !strcmp(lc->reproducer + n - 2, ".c");
	} else if (!cfg->test.command.shell && strcmp(cfg->test.backend, "local")) {
		r = kb_error_set(
			-EINVAL,
			"%s: the qemu backend needs \"linux.reproducer\" or a \"test.command\" string (run in the guest)",
			cfg->path);
		goto fail;
	}
	*ret = lc;
	return 0;
fail:
	kb_linux_config_free(lc);
	return r;
}

void kb_linux_config_free(struct kb_linux_config *lc)
{
	if (!lc)
		return;
	free(lc->kernel_config);
	free(lc->arch);
	free(lc->reproducer);
	for (size_t i = 0; i < lc->n_required; i++)
		free(lc->required[i]);
	free(lc->required);
	free(lc->accel);
	free(lc->qemu);
	free(lc->busybox);
	free(lc->build_dir);
	free(lc->ccache_dir);
	for (size_t i = 0; i < lc->n_compilers; i++) {
		free(lc->compilers[i].since_tag);
		free(lc->compilers[i].cc);
		free(lc->compilers[i].ld);
	}
	free(lc->compilers);
	free(lc);
}

const char *kb_linux_qemu_binary(const struct kb_linux_config *lc)
{
	if (lc->qemu)
		return lc->qemu;
	return strcmp(lc->arch, "arm64") ? "qemu-system-x86_64" : "qemu-system-aarch64";
}

/* Is @prog runnable: a path that is executable, or a name found in PATH? */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	while (path && *path) {
		size_t n = strcspn(path, ":");
		_cleanup_free_ char *full = kb_xasprintf("%.*s/%s", (int)n, n ? path : ".", prog);

		if (access(full, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

int kb_linux_config_check(const struct kb_config *cfg, const struct kb_linux_config *lc)
{
	struct kb_buf text = KB_BUF_INIT;
	bool looks_ok;
	int r;

	r = kb_read_file(lc->kernel_config, &text);
	if (r < 0)
		return kb_error_wrap(r, "%s: \"linux.config\"", cfg->path);
	/* a .config has CONFIG_ lines and nothing but comments otherwise */
	looks_ok = memmem(text.buf, text.len, "\nCONFIG_", 8) || !strncmp(text.buf, "CONFIG_", 7);
	for (const char *p = text.buf; looks_ok && p < text.buf + text.len;) {
		const char *nl = memchr(p, '\n', text.len - (size_t)(p - text.buf));
		const char *le = nl ? nl : text.buf + text.len;

		if (le > p && *p != '#' && strncmp(p, "CONFIG_", 7))
			looks_ok = false;
		p = le + 1;
	}
	kb_buf_release(&text);
	if (!looks_ok)
		return kb_error_set(-EINVAL, "%s: \"linux.config\": '%s' is not a kernel .config",
				    cfg->path, lc->kernel_config);
	if (strcmp(cfg->test.backend, "qemu"))
		return 0;
	if (!in_path(kb_linux_qemu_binary(lc)))
		return kb_error_set(
			-ENOENT,
			"%s: QEMU ('%s') is not installed (scripts/install-deps.sh kernel)",
			cfg->path, kb_linux_qemu_binary(lc));
	if (access(lc->busybox, R_OK) < 0)
		return kb_error_set(
			-ENOENT,
			"%s: \"linux.busybox\": no static busybox at '%s' (install busybox-static)",
			cfg->path, lc->busybox);
	if (lc->reproducer && access(lc->reproducer, R_OK) < 0)
		return kb_error_set(-errno, "%s: \"linux.reproducer\": cannot read '%s': %s",
				    cfg->path, lc->reproducer, strerror(errno));
	return 0;
}

const struct kb_linux_compiler *kb_linux_pick_compiler(const struct kb_linux_config *lc,
						       int (*is_ancestor)(void *ctx,
									  const char *tag),
						       void *ctx, int64_t date, int *err)
{
	*err = 0;
	for (size_t i = 0; i < lc->n_compilers; i++) {
		const struct kb_linux_compiler *c = &lc->compilers[i];

		if (c->since_tag) {
			int r = is_ancestor(ctx, c->since_tag);

			if (r < 0) {
				*err = r;
				return NULL;
			}
			if (r)
				return c;
		} else if (c->since_date) {
			if (date >= c->since_date)
				return c;
		} else {
			return c; /* no condition: matches everything */
		}
	}
	return NULL;
}

int kb_linux_tag_is_ancestor(const char *repo, const char *tag, const char *commit)
{
	char hash[KB_HASH_HEX + 1];
	int r = kb_git_rev_parse(repo, tag, hash);

	/* a tag this repository lacks is simply not an ancestor */
	if (r == -ENOENT) {
		kb_error_clear();
		return 0;
	}
	if (r < 0)
		return r;
	return kb_git_is_ancestor(repo, hash, commit);
}
