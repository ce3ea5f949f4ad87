// SPDX-License-Identifier: Apache-2.0
/*
 * The generic build step.  The user's command owns the build (make, kernel
 * config, ...); we only run it with a deadline, keep its log, tell a broken
 * commit (non-zero exit) apart from a broken machine (timeout, OOM kill), and
 * sign the artifacts so equal builds can be recognised.
 */
#include "build/build.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "build/signature.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

/* Only the end of a huge log is searched for the root cause. */
#define LOG_TAIL_BYTES (8u << 20)
/* Root-cause lines longer than this are cut (a line of a minified file...). */
#define MAX_LINE_LEN 400
/* Lines shown when nothing in the log looks like an error. */
#define FALLBACK_LINES 5
/* Prefix of the lines kbisect itself writes into a build log. */
#define LOG_NOTE "# kbisect: "

void kb_build_result_clear(struct kb_build_result *r)
{
	free(r->compiler);
	free(r->error_lines);
	free(r->log_path);
	memset(r, 0, sizeof(*r));
}

enum tier {
	TIER_NONE,
	TIER_WEAK, /* make's summary of a failure: only when nothing better exists */
	TIER_STRONG, /* the compiler's or linker's own words */
};

/* First match wins, so specific patterns come before the generic ones. */
static const struct {
	const char *pat;
	enum tier tier;
} error_patterns[] = {
	{ "No rule to make target", TIER_STRONG },
	{ "collect2: error:", TIER_WEAK },
	{ "final link failed", TIER_WEAK },
	{ "] Error ", TIER_WEAK },
	{ "make: *** ", TIER_WEAK },
	{ "fatal error", TIER_STRONG },
	{ "error:", TIER_STRONG },
	{ "Error:", TIER_STRONG },
	{ "ERROR:", TIER_STRONG },
	{ "undefined reference", TIER_STRONG },
	{ "undefined symbol", TIER_STRONG },
	{ "multiple definition of", TIER_STRONG },
	{ "internal compiler error", TIER_STRONG },
	{ "Segmentation fault", TIER_STRONG },
	{ "cannot find -l", TIER_STRONG },
	{ "command not found", TIER_STRONG },
	{ ": not found", TIER_STRONG },
	{ "Permission denied", TIER_STRONG },
	{ "Error ", TIER_WEAK },
};

static enum tier line_tier(const char *s, size_t len)
{
	for (size_t i = 0; i < KB_ARRAY_SIZE(error_patterns); i++)
		if (memmem(s, len, error_patterns[i].pat, strlen(error_patterns[i].pat)))
			return error_patterns[i].tier;
	return TIER_NONE;
}

/* One cleaned-up line: trimmed, worktree prefix removed, NULs dropped, cut. */
static char *clean_line(const char *s, size_t len, const char *strip)
{
	struct kb_buf b = KB_BUF_INIT;
	size_t sl = strip ? strlen(strip) : 0;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len && b.len < MAX_LINE_LEN;) {
		if (sl && len - i > sl && !memcmp(s + i, strip, sl) && s[i + sl] == '/') {
			i += sl + 1;
			continue;
		}
		if (s[i])
			kb_buf_addch(&b, s[i]);
		i++;
	}
	return kb_buf_detach(&b, NULL);
}

struct line_set {
	char *v[KB_BUILD_MAX_ERROR_LINES];
	size_t n;
};

static void set_add(struct line_set *set, char *line)
{
	if (!*line || set->n == KB_BUILD_MAX_ERROR_LINES) {
		free(line);
		return;
	}
	for (size_t i = 0; i < set->n; i++) {
		if (!strcmp(set->v[i], line)) {
			free(line);
			return;
		}
	}
	set->v[set->n++] = line;
}

static char *set_join(struct line_set *set)
{
	struct kb_buf b = KB_BUF_INIT;

	for (size_t i = 0; i < set->n; i++) {
		kb_buf_addf(&b, "%s%s", i ? "\n" : "", set->v[i]);
		free(set->v[i]);
	}
	set->n = 0;
	return b.len ? kb_buf_detach(&b, NULL) : (kb_buf_release(&b), NULL);
}

char *kb_build_error_lines(const char *log, size_t len, const char *strip)
{
	struct line_set strong = { 0 }, weak = { 0 }, tail = { 0 };
	const char *ls[FALLBACK_LINES];
	size_t ll[FALLBACK_LINES], nlast = 0;
	const char *p = log, *end = log + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		enum tier t = line_tier(p, n);

		/* our own notes in the log quote the command, which may look like errors */
		if (n >= strlen(LOG_NOTE) && !memcmp(p, LOG_NOTE, strlen(LOG_NOTE))) {
			p += n + 1;
			continue;
		}

		if (t == TIER_STRONG)
			set_add(&strong, clean_line(p, n, strip));
		else if (t == TIER_WEAK)
			set_add(&weak, clean_line(p, n, strip));
		/* a ring of the last non-blank lines, for the fallback */
		for (size_t i = 0; i < n; i++) {
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') {
				ls[nlast % FALLBACK_LINES] = p;
				ll[nlast % FALLBACK_LINES] = n;
				nlast++;
				break;
			}
		}
		p += n + 1;
	}
	if (strong.n) {
		free(set_join(&weak));
		return set_join(&strong);
	}
	if (weak.n)
		return set_join(&weak);
	for (size_t i = nlast > FALLBACK_LINES ? nlast - FALLBACK_LINES : 0; i < nlast; i++)
		set_add(&tail, clean_line(ls[i % FALLBACK_LINES], ll[i % FALLBACK_LINES], strip));
	return set_join(&tail);
}

char *kb_build_compiler_id(const char *worktree)
{
	_cleanup_free_ char *path = kb_xasprintf("%s/include/generated/compile.h", worktree);
	struct kb_buf b = KB_BUF_INIT;
	/* Kbuild separates name and value with a tab, older trees with a space. */
	const char *def = "#define LINUX_COMPILER";
	char *res = NULL, *p, *q;

	if (kb_read_file(path, &b) < 0) {
		kb_error_clear();
		goto out;
	}
	for (p = strstr(b.buf, def); p && p[strlen(def)] != ' ' && p[strlen(def)] != '\t';
	     p = strstr(p + 1, def))
		;
	if (!p)
		goto out;
	p = strchr(p + strlen(def), '"');
	if (!p)
		goto out;
	q = strchr(p + 1, '\n');
	if (q)
		*q = 0;
	q = strrchr(p + 1, '"');
	if (q)
		res = kb_xstrndup(p + 1, (size_t)(q - p - 1));
out:
	kb_buf_release(&b);
	return res;
}

/* The last LOG_TAIL_BYTES of @path, starting at a line boundary. */
static int read_log_tail(const char *path, struct kb_buf *out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	off_t off = 0;
	char chunk[65536];

	if (fd < 0 || fstat(fd, &st) < 0)
		return kb_error_set(-errno, "cannot read build log '%s': %s", path,
				    strerror(errno));
	if (st.st_size > (off_t)LOG_TAIL_BYTES)
		off = st.st_size - (off_t)LOG_TAIL_BYTES;
	for (;;) {
		ssize_t r = pread(fd, chunk, sizeof(chunk), off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kb_error_set(-errno, "cannot read build log '%s': %s", path,
					    strerror(errno));
		if (r == 0)
			break;
		kb_buf_add(out, chunk, (size_t)r);
		off += r;
	}
	if (st.st_size > (off_t)LOG_TAIL_BYTES) {
		char *nl = memchr(out->buf, '\n', out->len);

		if (nl) {
			size_t skip = (size_t)(nl + 1 - out->buf);

			memmove(out->buf, nl + 1, out->len - skip);
			kb_buf_setlen(out, out->len - skip);
		}
	}
	return 0;
}

static int log_note(const char *path, const char *fmt, ...) KB_PRINTF(2, 3);

/* Our own lines in the build log, marked so they are not mistaken for make's. */
static int log_note(const char *path, const char *fmt, ...)
{
	struct kb_buf b = KB_BUF_INIT;
	va_list ap;
	int fd, ret = 0;

	va_start(ap, fmt);
	kb_buf_addstr(&b, LOG_NOTE);
	kb_buf_vaddf(&b, fmt, ap);
	kb_buf_addch(&b, '\n');
	va_end(ap);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b.buf, b.len) != (ssize_t)b.len)
		ret = kb_error_set(-errno, "cannot write build log '%s': %s", path,
				   strerror(errno));
	if (fd >= 0)
		close(fd);
	kb_buf_release(&b);
	return ret;
}

static const char **build_env(const struct kb_build_step *step, const char *worktree,
			      const char *commit)
{
	size_t n = 0, k = 0;
	const char **env;

	for (const char *const *e = step->env; e && *e; e++)
		n++;
	env = kb_xcalloc(n + 3, sizeof(*env));
	for (; k < n; k++)
		env[k] = step->env[k];
	/* ours come last so they win over a user entry of the same name */
	env[k++] = kb_xasprintf("KBISECT_COMMIT=%s", commit);
	env[k++] = kb_xasprintf("KBISECT_WORKTREE=%s", worktree);
	return env;
}

static void free_env(const char **env, const struct kb_build_step *step)
{
	size_t n = 0;

	for (const char *const *e = step->env; e && *e; e++)
		n++;
	free((char *)env[n]);
	free((char *)env[n + 1]);
	free(env);
}

/* Set status and cause; the cause line is followed by the log's own root cause. */
static void set_failure(struct kb_build_result *res, enum kb_build_status st, const char *cause,
			const char *worktree)
{
	struct kb_buf log = KB_BUF_INIT, lines = KB_BUF_INIT;
	_cleanup_free_ char *found = NULL;

	res->status = st;
	if (cause)
		kb_buf_addstr(&lines, cause);
	if (read_log_tail(res->log_path, &log) == 0)
		found = kb_build_error_lines(log.buf, log.len, worktree);
	else
		kb_error_clear();
	if (found && cause) {
		/* the cause takes one of the KB_BUILD_MAX_ERROR_LINES slots */
		char *p = found;

		for (int i = 1; p && i < KB_BUILD_MAX_ERROR_LINES; i++)
			p = strchr(p + 1, '\n');
		if (p)
			*p = 0;
	}
	if (found)
		kb_buf_addf(&lines, "%s%s", lines.len ? "\n" : "", found);
	free(res->error_lines);
	res->error_lines = lines.len ? kb_buf_detach(&lines, NULL) : NULL;
	kb_buf_release(&lines);
	kb_buf_release(&log);
}

int kb_build_run(const struct kb_build_step *step, const char *worktree, const char *commit,
		 struct kb_build_result *res)
{
	const char **env = NULL;
	struct kb_child c = { 0 };
	_cleanup_free_ char *cause = NULL;
	const char *cmd;
	char sig[65];
	int ret, fd;

	memset(res, 0, sizeof(*res));
	if (!step->shell_cmd && !(step->argv && step->argv[0]))
		return kb_error_set(-EINVAL, "no build command configured");
	if (!step->log_dir)
		return kb_error_set(-EINVAL, "no directory for build logs configured");
	ret = kb_mkdir_p(step->log_dir, 0755);
	if (ret < 0)
		return ret;
	res->log_path = kb_xasprintf("%s/build-%s.log", step->log_dir, commit);
	/* a retried build starts a fresh log */
	fd = open(res->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = kb_error_set(-errno, "cannot create build log '%s': %s", res->log_path,
				   strerror(errno));
		goto fail;
	}
	close(fd);
	cmd = step->shell_cmd ? step->shell_cmd : step->argv[0];
	/* one note line: the first line of a multi-line script */
	ret = log_note(res->log_path, "building %s in %s: %.*s%s", commit, worktree,
		       (int)strcspn(cmd, "\n"), cmd, strchr(cmd, '\n') ? " ..." : "");
	if (ret < 0)
		goto fail;

	env = build_env(step, worktree, commit);
	c = (struct kb_child){
		.argv = step->argv,
		.shell_cmd = step->shell_cmd,
		.env = env,
		.dir = worktree,
		.out_path = res->log_path,
		.merge_stderr = true,
		.timeout = step->timeout,
		.cancel = step->cancel,
	};
	ret = kb_child_run(&c);
	free_env(env, step);
	if (ret < 0)
		goto fail;
	res->seconds = c.seconds;

	switch (c.status) {
	case KB_CHILD_EXITED:
		ret = log_note(res->log_path, "exit code %d after %.1fs", c.exit_code, c.seconds);
		if (ret < 0)
			goto fail;
		if (c.exit_code == 137) {
			set_failure(res, KB_BUILD_INFRA,
				    "build killed (exit code 137): out of memory?", worktree);
			return 0;
		}
		if (c.exit_code != 0) {
			cause = kb_xasprintf("build failed with exit code %d", c.exit_code);
			set_failure(res, KB_BUILD_FAILED, NULL, worktree);
			if (!res->error_lines)
				res->error_lines = KB_TAKE_PTR(cause);
			return 0;
		}
		break;
	case KB_CHILD_SIGNALED:
		cause = kb_xasprintf("build killed by signal %d (%s)%s", c.sig, strsignal(c.sig),
				     c.sig == SIGKILL ? ": out of memory?" : "");
		set_failure(res, KB_BUILD_INFRA, cause, worktree);
		return 0;
	case KB_CHILD_TIMED_OUT:
		if (c.cancelled)
			cause = kb_xstrdup("build cancelled");
		else
			cause = kb_xasprintf("build timed out after %gs", step->timeout);
		/* the log says why it ends here (the result is never journaled) */
		if (log_note(res->log_path, "%s after %.1fs", cause, c.seconds) < 0)
			kb_error_clear();
		set_failure(res, KB_BUILD_INFRA, cause, worktree);
		return 0;
	case KB_CHILD_EXEC_FAILED:
		if (!kb_is_dir(worktree))
			cause = kb_xasprintf("cannot run build command: no worktree '%s'",
					     worktree);
		else
			cause = kb_xasprintf("cannot run build command '%s' in '%s': %s",
					     step->shell_cmd ? "/bin/sh" : step->argv[0], worktree,
					     strerror(c.err_no));
		res->status = KB_BUILD_INFRA;
		res->error_lines = KB_TAKE_PTR(cause);
		return 0;
	}

	res->status = KB_BUILD_OK;
	res->compiler = kb_build_compiler_id(worktree);
	if (step->n_artifacts) {
		ret = kb_signature_artifacts(worktree, step->artifacts, step->n_artifacts, sig);
		if (ret == -ENOENT || ret == -EINVAL) {
			/* the build "succeeded" without producing a usable artifact */
			res->status = KB_BUILD_FAILED;
			res->error_lines = kb_xstrdup(kb_error_last());
			kb_error_clear();
			return 0;
		}
		if (ret < 0)
			goto fail;
		memcpy(res->signature, sig, sizeof(sig));
	}
	return 0;

fail:
	kb_build_result_clear(res);
	return ret;
}
