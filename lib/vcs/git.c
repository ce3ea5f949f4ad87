// SPDX-License-Identifier: Apache-2.0
/*
 * The git layer: runs git with argv arrays (lib/util/child) and parses
 * plumbing output.  See git.h for the contracts and docs/vcs.md for the
 * design.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

#define MAX_GIT_ARGS 24
#define DEFAULT_GLOB "v[0-9]*"
#define ERR_CAP	     4096

/*
 * Stable, non-interactive output: C locale (messages we may match), no
 * credential prompts, and no optional lock taking (so asking questions never
 * rewrites the user's index).
 */
static const char *const git_env[] = {
	"LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "GIT_PAGER=cat", NULL,
};

bool kb_git_is_hash(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return i == KB_HASH_HEX;
}

static int check_hash(const char *what, const char *h)
{
	if (!h || !kb_git_is_hash(h))
		return kb_error_set(-EINVAL, "%s '%s' is not a full commit hash", what,
				    h ? h : "(null)");
	return 0;
}

/* First line of git's stderr, for messages. */
static int first_line_len(const struct kb_buf *b)
{
	const char *nl = memchr(b->buf, '\n', b->len);
	size_t n = nl ? (size_t)(nl - b->buf) : b->len;

	return (int)KB_MIN(n, (size_t)300);
}

/*
 * Run "git [-C repo] args..." capturing stdout into @out (may be NULL).
 * Returns git's exit code (>= 0) or -errno when git could not be run.
 */
static int run_git_code(const char *repo, const char *const *args, struct kb_buf *out,
			struct kb_buf *err)
{
	const char *argv[MAX_GIT_ARGS + 4];
	struct kb_child c = { 0 };
	size_t n = 0;
	int r;

	argv[n++] = "git";
	if (repo) {
		argv[n++] = "-C";
		argv[n++] = repo;
	}
	for (size_t i = 0; args[i]; i++) {
		if (n >= MAX_GIT_ARGS + 3)
			return kb_error_set(-E2BIG, "too many git arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	c.argv = argv;
	c.env = git_env;
	c.out = out;
	c.err = err;
	r = kb_child_run(&c);
	if (r < 0)
		return r;
	switch (c.status) {
	case KB_CHILD_EXITED:
		return c.exit_code;
	case KB_CHILD_SIGNALED:
		return kb_error_set(-EIO, "git %s was killed by signal %d", args[0], c.sig);
	case KB_CHILD_TIMED_OUT:
		return kb_error_set(-ETIMEDOUT, "git %s timed out", args[0]);
	case KB_CHILD_EXEC_FAILED:
		break;
	}
	return kb_error_set(-c.err_no ? -c.err_no : -ENOENT, "cannot run git: %s",
			    strerror(c.err_no ? c.err_no : ENOENT));
}

/* Like run_git_code, but any exit code other than 0 is an error. */
static int run_git(const char *repo, const char *const *args, struct kb_buf *out)
{
	_cleanup_buf_ struct kb_buf err = KB_BUF_INIT;
	int r;

	err.cap = ERR_CAP;
	r = run_git_code(repo, args, out, &err);
	if (r < 0)
		return r;
	if (r > 0)
		return kb_error_set(-EIO, "git %s failed in '%s' (exit code %d)%s%.*s", args[0],
				    repo ? repo : ".", r, err.len ? ": " : "", first_line_len(&err),
				    err.buf);
	return 0;
}

/* run_git for commands about one commit: @hash must be a full hash. */
static int run_git_on(const char *repo, const char *hash, const char *const *args,
		      struct kb_buf *out)
{
	int r = check_hash("commit", hash);

	return r < 0 ? r : run_git(repo, args, out);
}

static int parse_hash_line(const struct kb_buf *b, char out[KB_HASH_HEX + 1])
{
	if (b->len < KB_HASH_HEX || (b->len > KB_HASH_HEX && b->buf[KB_HASH_HEX] != '\n'))
		return -EINVAL;
	memcpy(out, b->buf, KB_HASH_HEX);
	out[KB_HASH_HEX] = '\0';
	return kb_git_is_hash(out) ? 0 : -EINVAL;
}

int kb_git_rev_parse(const char *repo, const char *rev, char out[KB_HASH_HEX + 1])
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	_cleanup_buf_ struct kb_buf err = KB_BUF_INIT;
	_cleanup_free_ char *spec = NULL;
	const char *args[] = { "rev-parse", "--verify", "--quiet", "--end-of-options", NULL, NULL };
	int r;

	if (!rev || !*rev || strpbrk(rev, "\n\r"))
		return kb_error_set(-EINVAL, "invalid revision '%s'", rev ? rev : "");
	spec = kb_xasprintf("%s^{commit}", rev);
	args[4] = spec;
	err.cap = ERR_CAP;
	r = run_git_code(repo, args, &o, &err);
	if (r < 0)
		return r;
	/*
	 * --quiet silences unknown revisions and git says "error: ... expected
	 * commit type" for non-commits; "fatal:" is a broken repository.
	 */
	if (r > 0 && !strncmp(err.buf, "fatal:", 6))
		return kb_error_set(-EIO, "cannot resolve '%s' in '%s': %.*s", rev, repo,
				    first_line_len(&err), err.buf);
	if (r > 0)
		return kb_error_set(-ENOENT, "'%s' is not a commit in '%s'", rev, repo);
	if (parse_hash_line(&o, out) < 0)
		return kb_error_set(-EIO, "unexpected output of git rev-parse for '%s'", rev);
	return 0;
}

int kb_git_is_ancestor(const char *repo, const char *a, const char *b)
{
	_cleanup_buf_ struct kb_buf err = KB_BUF_INIT;
	const char *args[] = { "merge-base", "--is-ancestor", a, b, NULL };
	int r;

	if ((r = check_hash("commit", a)) < 0 || (r = check_hash("commit", b)) < 0)
		return r;
	err.cap = ERR_CAP;
	r = run_git_code(repo, args, NULL, &err);
	if (r < 0)
		return r;
	if (r == 0 || r == 1)
		return r == 0;
	return kb_error_set(-EIO, "git merge-base --is-ancestor %s %s failed in '%s': %.*s", a, b,
			    repo, first_line_len(&err), err.buf);
}

int kb_git_load_range(const char *repo, const char *bad, const char *const *goods, size_t ngoods,
		      struct kb_dag **ret)
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	_cleanup_free_ const char **args = NULL;
	size_t n = 0;
	int r;

	if ((r = check_hash("bad commit", bad)) < 0)
		return r;
	for (size_t i = 0; i < ngoods; i++)
		if ((r = check_hash("good commit", goods[i])) < 0)
			return r;
	args = kb_xcalloc(ngoods + 7, sizeof(*args));
	args[n++] = "rev-list";
	args[n++] = "--parents";
	args[n++] = "--timestamp";
	args[n++] = bad;
	args[n++] = "--not";
	for (size_t i = 0; i < ngoods; i++)
		args[n++] = goods[i];
	args[n] = NULL;
	if (n > MAX_GIT_ARGS) {
		/* Many good commits: pass them on stdin instead. */
		_cleanup_buf_ struct kb_buf in = KB_BUF_INIT;
		_cleanup_buf_ struct kb_buf err = KB_BUF_INIT;
		const char *argv[] = { "git",	    "-C",	   repo,      "rev-list",
				       "--parents", "--timestamp", "--stdin", NULL };
		struct kb_child c = { .argv = argv, .env = git_env, .out = &o, .err = &err };

		kb_buf_addf(&in, "%s\n", bad);
		for (size_t i = 0; i < ngoods; i++)
			kb_buf_addf(&in, "^%s\n", goods[i]);
		c.stdin_data = in.buf;
		c.stdin_len = in.len;
		err.cap = ERR_CAP;
		r = kb_child_run(&c);
		if (r < 0)
			return r;
		if (c.status != KB_CHILD_EXITED || c.exit_code != 0)
			return kb_error_set(-EIO, "git rev-list failed in '%s': %.*s", repo,
					    first_line_len(&err), err.buf);
	} else {
		r = run_git(repo, args, &o);
		if (r < 0)
			return r;
	}
	if (o.len == 0)
		return kb_error_set(-ENOENT, "no commits between the good commits and %s", bad);
	r = kb_dag_parse(o.buf, o.len, bad, ret);
	if (r < 0)
		return kb_error_wrap(r, "cannot load the range of %s", bad);
	return 0;
}

static void person_release(struct kb_git_person *p)
{
	free(p->name);
	free(p->email);
	p->name = p->email = NULL;
}

void kb_git_commit_release(struct kb_git_commit *c)
{
	if (!c)
		return;
	free(c->parents);
	person_release(&c->author);
	person_release(&c->committer);
	free(c->subject);
	free(c->body);
	for (size_t i = 0; i < c->ntrailers; i++) {
		free(c->trailers[i].key);
		free(c->trailers[i].value);
		free(c->trailers[i].name);
		free(c->trailers[i].email);
	}
	free(c->trailers);
	memset(c, 0, sizeof(*c));
}

static bool parse_i64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*ret = v;
	return true;
}

/* "Name <email>" into its parts; both NULL when there are no brackets. */
static void split_address(const char *v, char **ret_name, char **ret_email)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *ne = lt;

	*ret_name = *ret_email = NULL;
	if (!lt || !gt)
		return;
	while (ne > v && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	*ret_name = kb_xstrndup(v, (size_t)(ne - v));
	*ret_email = kb_xstrndup(lt + 1, (size_t)(gt - lt - 1));
}

static void parse_trailers(const char *text, struct kb_git_commit *c)
{
	const char *p = text;
	size_t alloc = 0;

	while (*p) {
		const char *eol = strchrnul(p, '\n'), *colon = memchr(p, ':', (size_t)(eol - p));
		struct kb_git_trailer t;

		if (colon && colon > p) {
			const char *v = colon + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			t.key = kb_xstrndup(p, (size_t)(colon - p));
			t.value = kb_xstrndup(v, (size_t)(eol - v));
			split_address(t.value, &t.name, &t.email);
			if (c->ntrailers == alloc) {
				alloc = alloc ? 2 * alloc : 8;
				c->trailers =
					kb_xrealloc(c->trailers, alloc * sizeof(*c->trailers));
			}
			c->trailers[c->ntrailers++] = t;
		}
		p = *eol ? eol + 1 : eol;
	}
}

enum {
	F_HASH,
	F_TREE,
	F_PARENTS,
	F_AN,
	F_AE,
	F_AT,
	F_CN,
	F_CE,
	F_CT,
	F_SUBJECT,
	F_TRAILERS,
	F_BODY,
	F_NR,
};

/* The fields of the enum above, NUL-separated; the raw message last. */
static const char commit_format[] =
	"--format=format:%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00"
	"%ct%x00%s%x00%(trailers:only,unfold)%x00%B";

int kb_git_commit_info(const char *repo, const char *hash, struct kb_git_commit *ret)
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	const char *args[] = {
		"log",	       "-1", "--no-walk", "--no-notes", "--no-show-signature",
		commit_format, hash, "--",	  NULL
	};
	struct kb_git_commit c = { 0 };
	const char *f[F_NR];
	const char *p;
	int r;

	r = run_git_on(repo, hash, args, &o);
	if (r < 0)
		return r;
	p = o.buf;
	for (int i = 0; i < F_NR; i++) {
		const char *z;

		f[i] = p;
		if (i == F_NR - 1)
			break;
		z = memchr(p, '\0', (size_t)(o.buf + o.len - p));
		if (!z)
			return kb_error_set(-EIO, "unexpected git log output for %s", hash);
		p = z + 1;
	}
	if (!kb_git_is_hash(f[F_HASH]) || !kb_git_is_hash(f[F_TREE]) ||
	    !parse_i64(f[F_AT], &c.author_date) || !parse_i64(f[F_CT], &c.committer_date))
		return kb_error_set(-EIO, "unexpected git log output for %s", hash);
	memcpy(c.hash, f[F_HASH], sizeof(c.hash));
	memcpy(c.tree, f[F_TREE], sizeof(c.tree));
	for (const char *q = f[F_PARENTS]; *q;) {
		size_t l = strcspn(q, " ");

		if (l != KB_HASH_HEX) {
			kb_git_commit_release(&c);
			return kb_error_set(-EIO, "unexpected parent list of %s", hash);
		}
		c.parents = kb_xrealloc(c.parents, (c.nparents + 1) * sizeof(*c.parents));
		memcpy(c.parents[c.nparents], q, KB_HASH_HEX);
		c.parents[c.nparents++][KB_HASH_HEX] = '\0';
		q += l;
		while (*q == ' ')
			q++;
	}
	c.author.name = kb_xstrdup(f[F_AN]);
	c.author.email = kb_xstrdup(f[F_AE]);
	c.committer.name = kb_xstrdup(f[F_CN]);
	c.committer.email = kb_xstrdup(f[F_CE]);
	c.subject = kb_xstrdup(f[F_SUBJECT]);
	c.body = kb_xstrndup(f[F_BODY], (size_t)(o.buf + o.len - f[F_BODY]));
	parse_trailers(f[F_TRAILERS], &c);
	*ret = c;
	return 0;
}

int kb_git_show_culprit(const char *repo, const char *hash, struct kb_buf *out)
{
	const char *args[] = { "show",
			       "--no-color",
			       "--pretty=medium",
			       "--no-decorate",
			       "--stat",
			       "--summary",
			       hash,
			       "--",
			       NULL };

	return run_git_on(repo, hash, args, out);
}

void kb_git_strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* Split lines into a NULL-terminated vector, dropping "-rc" names and @except. */
static char **tag_lines(const struct kb_buf *b, char *const *except, size_t *ret_n)
{
	char **v = kb_xcalloc(1, sizeof(*v));
	size_t n = 0;

	for (const char *p = b->buf; *p;) {
		const char *eol = strchrnul(p, '\n');
		char *name = kb_xstrndup(p, (size_t)(eol - p));
		bool skip = !*name || strstr(name, "-rc");

		for (size_t i = 0; except && except[i] && !skip; i++)
			skip = !strcmp(except[i], name);
		if (skip) {
			free(name);
		} else {
			v = kb_xrealloc(v, (n + 2) * sizeof(*v));
			v[n++] = name;
			v[n] = NULL;
		}
		p = *eol ? eol + 1 : eol;
	}
	*ret_n = n;
	return v;
}

static int tags_at(const char *repo, const char *hash, const char *glob, char ***ret, size_t *ret_n)
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	const char *args[] = { "tag", "--list", "--sort=-version:refname",  "--points-at",
			       hash,  "--",	glob ? glob : DEFAULT_GLOB, NULL };
	int r;

	r = run_git_on(repo, hash, args, &o);
	if (r < 0)
		return r;
	*ret = tag_lines(&o, NULL, ret_n);
	return 0;
}

int kb_git_release_tags(const char *repo, const char *hash, const char *glob, char ***ret,
			size_t *ret_n)
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	const char *args[] = { "tag", "--list", "--sort=-version:refname",  "--merged",
			       hash,  "--",	glob ? glob : DEFAULT_GLOB, NULL };
	char **at = NULL;
	size_t nat;
	int r;

	r = tags_at(repo, hash, glob, &at, &nat);
	if (r < 0)
		return r;
	r = run_git(repo, args, &o);
	if (r >= 0)
		*ret = tag_lines(&o, at, ret_n);
	kb_git_strv_free(at);
	return r < 0 ? r : 0;
}

int kb_git_release_tag_at(const char *repo, const char *hash, const char *glob, char **ret)
{
	char **at = NULL;
	size_t nat;
	int r;

	r = tags_at(repo, hash, glob, &at, &nat);
	if (r < 0)
		return r;
	*ret = nat ? kb_xstrdup(at[0]) : NULL;
	kb_git_strv_free(at);
	return 0;
}

/*
 * The private clone is made under a temporary name and renamed into place,
 * so a bisection killed during the clone (SIGKILL reaches git through
 * PDEATHSIG, which leaves no chance to clean up) finds either no clone or a
 * whole one when it starts again.  A leftover temporary is ours to delete.
 */
static int clone_private(const char *repo, const char *workdir, const char *path)
{
	_cleanup_free_ char *tmp = kb_xasprintf("%s.partial", path);
	const char *args[] = { "clone", "--quiet", "--shared", "--no-checkout",
			       "--",	repo,	   tmp,	       NULL };
	int r;

	r = kb_mkdir_p(workdir, 0755);
	if (r < 0)
		return r;
	r = kb_rm_rf(tmp);
	if (r < 0)
		return kb_error_wrap(r, "cannot remove the partial clone '%s'", tmp);
	r = run_git(NULL, args, NULL);
	if (r < 0)
		return kb_error_wrap(r, "cannot clone '%s' into '%s'", repo, tmp);
	if (rename(tmp, path) < 0)
		return kb_error_set(-errno, "cannot rename '%s' to '%s': %s", tmp, path,
				    strerror(errno));
	return 0;
}

/* nftw callback: remove git lock files ("*.lock"), leave the object store alone. */
static int remove_lock(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t n = strlen(fpath);

	(void)sb;
	if (type == FTW_D && !strcmp(fpath + ftw->base, "objects"))
		return FTW_SKIP_SUBTREE;
	if (type == FTW_F && n > 5 && !strcmp(fpath + n - 5, ".lock") && unlink(fpath) < 0 &&
	    errno != ENOENT)
		return -1;
	return FTW_CONTINUE;
}

/*
 * Bring an existing private clone up to date.  Whatever a killed bisection
 * left there is stale: nothing but kbisect runs git in the clone, and one
 * bisection owns a work directory (WORKDIR/lock, taken by the engine).
 */
static int update_private(const char *path)
{
	const char *head[] = { "rev-parse", "--verify", "--quiet", "HEAD^{commit}", NULL };
	const char *fetch[] = { "fetch", "--quiet", "--force", "--tags", "origin", NULL };
	_cleanup_free_ char *dotgit = kb_xasprintf("%s/.git", path);
	int r;

	/*
	 * A git killed with kbisect leaves its lock files (index.lock,
	 * HEAD.lock, refs/ and packed-refs locks) behind, and every later
	 * command that needs one fails.
	 */
	if (nftw(dotgit, remove_lock, 16, FTW_PHYS | FTW_ACTIONRETVAL) < 0)
		return kb_error_set(-errno, "cannot remove stale git locks in '%s': %s", dotgit,
				    strerror(errno));
	r = run_git(path, head, NULL);
	if (r >= 0)
		r = run_git(path, fetch, NULL);
	return r;
}

int kb_git_worktree_prepare(const char *repo, const char *workdir, char **ret_path)
{
	return kb_git_worktree_prepare_named(repo, workdir, "src", ret_path);
}

int kb_git_worktree_prepare_named(const char *repo, const char *workdir, const char *name,
				  char **ret_path)
{
	_cleanup_free_ char *path = kb_xasprintf("%s/%s", workdir, name);
	_cleanup_free_ char *dotgit = kb_xasprintf("%s/.git", path);
	int r;

	if (kb_is_dir(dotgit)) {
		if (update_private(path) >= 0)
			goto done;
		/*
		 * No valid HEAD (a clone cut short by an older kbisect that
		 * cloned in place) or a fetch that fails on a ref lock a
		 * killed fetch left: the clone is private and cheap to make
		 * again (--shared), so remake it rather than ask the user.
		 */
		r = kb_rm_rf(path);
		if (r < 0)
			return kb_error_wrap(r, "cannot remove the broken clone '%s'", path);
	} else if (kb_path_exists(path)) {
		return kb_error_set(-EEXIST, "'%s' exists but is not a git clone; remove it", path);
	}
	r = clone_private(repo, workdir, path);
	if (r < 0)
		return r;
done:
	*ret_path = KB_TAKE_PTR(path);
	return 0;
}

int kb_git_checkout(const char *path, const char *hash, unsigned flags)
{
	const char *co[] = { "checkout", "--quiet", "--force", "--detach", hash, "--", NULL };
	const char *clean[] = { "clean", "-ffdxq", NULL };
	int r;

	r = run_git_on(path, hash, co, NULL);
	if (r < 0)
		return r;
	if (flags & KB_GIT_CHECKOUT_CLEAN)
		return run_git(path, clean, NULL);
	return 0;
}

int kb_git_files_touched(const char *repo, const char *hash, char ***ret, size_t *ret_n)
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	const char *args[] = { "diff-tree",
			       "-r",
			       "-z",
			       "--name-only",
			       "--no-commit-id",
			       "--root",
			       "--diff-merges=first-parent",
			       hash,
			       "--",
			       NULL };
	char **v;
	size_t n = 0;
	int r;

	r = run_git_on(repo, hash, args, &o);
	if (r < 0)
		return r;
	v = kb_xcalloc(1, sizeof(*v));
	for (const char *p = o.buf; p < o.buf + o.len;) {
		size_t l = strnlen(p, (size_t)(o.buf + o.len - p));

		if (l) {
			v = kb_xrealloc(v, (n + 2) * sizeof(*v));
			v[n++] = kb_xstrndup(p, l);
			v[n] = NULL;
		}
		p += l + 1;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int kb_git_tree_hash(const char *repo, const char *hash, char out[KB_HASH_HEX + 1])
{
	_cleanup_buf_ struct kb_buf o = KB_BUF_INIT;
	_cleanup_free_ char *spec = NULL;
	const char *args[] = { "rev-parse", "--verify", "--quiet", NULL, NULL };
	int r;

	if ((r = check_hash("commit", hash)) < 0)
		return r;
	spec = kb_xasprintf("%s^{tree}", hash);
	args[3] = spec;
	r = run_git(repo, args, &o);
	if (r < 0)
		return r;
	if (parse_hash_line(&o, out) < 0)
		return kb_error_set(-EIO, "unexpected output of git rev-parse for %s", hash);
	return 0;
}
