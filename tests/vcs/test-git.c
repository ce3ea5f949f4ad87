// SPDX-License-Identifier: Apache-2.0
/*
 * Tests of lib/vcs/git.c on real temporary repositories made here, with
 * fixed identities and dates so that every answer is deterministic.
 */
#include <errno.h>
#include <stdarg.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"
#include "../testutil.h"

static char repo[256];
static int tick = 1600000000;

static const char *fixed_env[] = {
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=A U Thor",
	"GIT_AUTHOR_EMAIL=author@example.org",
	"GIT_COMMITTER_NAME=C O Mitter",
	"GIT_COMMITTER_EMAIL=committer@example.org",
	"LC_ALL=C",
	NULL, /* GIT_AUTHOR_DATE */
	NULL, /* GIT_COMMITTER_DATE */
	NULL,
};

/* Run git in @dir (NULL: repo) with the fixed environment; must succeed. */
static void git_in(const char *dir, struct kb_buf *out, ...)
{
	const char *argv[32] = { "git" };
	char ad[64], cd[64];
	struct kb_child c = { 0 };
	va_list ap;
	size_t n = 1;

	va_start(ap, out);
	while ((argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	snprintf(ad, sizeof(ad), "GIT_AUTHOR_DATE=@%d +0200", tick);
	snprintf(cd, sizeof(cd), "GIT_COMMITTER_DATE=@%d +0000", tick + 5);
	fixed_env[6] = ad;
	fixed_env[7] = cd;
	c.argv = argv;
	c.env = fixed_env;
	c.dir = dir ? dir : repo;
	c.out = out;
	assert_int_equal(kb_child_run(&c), 0);
	if (c.status != KB_CHILD_EXITED || c.exit_code != 0)
		fail_msg("git %s failed", argv[1]);
}

#define GIT(...) git_in(NULL, NULL, __VA_ARGS__, NULL)

static void write_file(const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", repo, name);
	assert_int_equal(kb_write_file(path, text, strlen(text)), 0);
}

static void commit(const char *file, const char *msg)
{
	write_file(file, msg);
	GIT("add", file);
	GIT("commit", "-q", "-m", msg);
	tick += 60;
}

static void head(char out[KB_HASH_HEX + 1], const char *rev)
{
	assert_int_equal(kb_git_rev_parse(repo, rev, out), 0);
}

/*
 *   c1 - c2 - c3 ------- m - c6      (main)
 *          \            /
 *           c4 ----- c5              (side)
 * Tags: v1.0 on c1, v1.1-rc1 and v1.9 on c2, v1.10 on c3, v2.0 on m, foo on c2.
 */
static int setup(void **state)
{
	(void)state;
	assert_int_equal(kb_test_tmpdir_setup(state), 0);
	snprintf(repo, sizeof(repo), "%s/repo", tmpdir);
	assert_int_equal(kb_mkdir_p(repo, 0755), 0);
	GIT("init", "-q", "-b", "main");
	commit("a", "c1");
	GIT("tag", "v1.0");
	commit("b", "c2");
	GIT("tag", "-a", "-m", "rc", "v1.1-rc1");
	GIT("tag", "-a", "-m", "release", "v1.9");
	GIT("tag", "foo");
	commit("c", "c3");
	GIT("tag", "v1.10");
	GIT("checkout", "-q", "-b", "side", "HEAD~1");
	commit("d", "c4");
	commit("e", "c5");
	GIT("checkout", "-q", "main");
	GIT("merge", "-q", "--no-ff", "-m",
	    "Merge side\n\nFixes: 123456789abc (\"c4\")\nReported-by: Rep Orter <rep@example.org>\n"
	    "Signed-off-by: A U Thor <author@example.org>\nAcked-by: nobody",
	    "side");
	tick += 60;
	GIT("tag", "v2.0");
	commit("f", "c6\n\nLonger body\nof c6.");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(kb_test_tmpdir_teardown(state), 0);
	return 0;
}

static void test_rev_parse(void **state)
{
	char h[KB_HASH_HEX + 1], h2[KB_HASH_HEX + 1];

	(void)state;
	head(h, "HEAD");
	assert_true(kb_git_is_hash(h));
	head(h2, "main");
	assert_string_equal(h, h2);
	/* An annotated tag resolves to its commit, not the tag object. */
	head(h, "v1.9");
	head(h2, "v1.1-rc1");
	assert_string_equal(h, h2);
	head(h2, "HEAD~3");
	assert_string_equal(h, h2);

	assert_int_equal(kb_git_rev_parse(repo, "no-such-rev", h), -ENOENT);
	assert_non_null(strstr(kb_error_last(), "'no-such-rev'"));
	/* Not an option, and a tree is not a commit. */
	assert_int_equal(kb_git_rev_parse(repo, "--all", h), -ENOENT);
	assert_int_equal(kb_git_rev_parse(repo, "HEAD^{tree}", h), -ENOENT);
	assert_int_equal(kb_git_rev_parse(repo, "", h), -EINVAL);
	assert_int_equal(kb_git_rev_parse(repo, "HEAD\nmain", h), -EINVAL);
}

static void test_is_ancestor(void **state)
{
	char c1[KB_HASH_HEX + 1], c5[KB_HASH_HEX + 1], c3[KB_HASH_HEX + 1];

	(void)state;
	head(c1, "v1.0");
	head(c3, "v1.10");
	head(c5, "side");
	assert_int_equal(kb_git_is_ancestor(repo, c1, c5), 1);
	assert_int_equal(kb_git_is_ancestor(repo, c5, c1), 0);
	assert_int_equal(kb_git_is_ancestor(repo, c3, c5), 0);
	assert_int_equal(kb_git_is_ancestor(repo, c3, c3), 1);
	assert_int_equal(kb_git_is_ancestor(repo, "HEAD", c3), -EINVAL);
}

static void test_load_range(void **state)
{
	char bad[KB_HASH_HEX + 1], good[KB_HASH_HEX + 1], c3[KB_HASH_HEX + 1];
	const char *goods[2] = { good, c3 };
	struct kb_dag *d = NULL;
	long m;

	(void)state;
	head(bad, "HEAD");
	head(good, "v1.0");
	head(c3, "v1.10");
	assert_int_equal(kb_git_load_range(repo, bad, goods, 1, &d), 0);
	/* c2 c3 c4 c5 m c6 */
	assert_int_equal(d->n, 6);
	assert_string_equal(d->hash[d->bad], bad);
	assert_non_null(d->date);
	m = kb_dag_find(d, d->hash[d->par[d->par_off[d->bad]]]);
	assert_int_equal(d->par_off[m + 1] - d->par_off[m], 2); /* the merge */
	kb_dag_free(d);

	/* Two goods: c1 and c3 leave c4 c5 m c6. */
	assert_int_equal(kb_git_load_range(repo, bad, goods, 2, &d), 0);
	assert_int_equal(d->n, 4);
	kb_dag_free(d);

	/* Many goods go through --stdin; the same range comes out. */
	{
		const char *many[40];

		for (size_t i = 0; i < KB_ARRAY_SIZE(many); i++)
			many[i] = i % 2 ? good : c3;
		assert_int_equal(kb_git_load_range(repo, bad, many, KB_ARRAY_SIZE(many), &d), 0);
		assert_int_equal(d->n, 4);
		assert_string_equal(d->hash[d->bad], bad);
		kb_dag_free(d);
	}

	/* Empty range, and a non-hash. */
	assert_int_equal(kb_git_load_range(repo, good, (const char *[]){ bad }, 1, &d), -ENOENT);
	assert_int_equal(kb_git_load_range(repo, "HEAD", goods, 1, &d), -EINVAL);
}

static void test_commit_info(void **state)
{
	char h[KB_HASH_HEX + 1], p1[KB_HASH_HEX + 1], p2[KB_HASH_HEX + 1];
	struct kb_git_commit c;

	(void)state;
	head(h, "v2.0");
	head(p1, "v1.10");
	head(p2, "side");
	assert_int_equal(kb_git_commit_info(repo, h, &c), 0);
	assert_string_equal(c.hash, h);
	assert_true(kb_git_is_hash(c.tree));
	assert_int_equal(c.nparents, 2);
	assert_string_equal(c.parents[0], p1);
	assert_string_equal(c.parents[1], p2);
	assert_string_equal(c.author.name, "A U Thor");
	assert_string_equal(c.author.email, "author@example.org");
	assert_string_equal(c.committer.name, "C O Mitter");
	assert_int_equal(c.committer_date, c.author_date + 5);
	assert_string_equal(c.subject, "Merge side");
	assert_non_null(strstr(c.body, "Reported-by: Rep Orter <rep@example.org>\n"));
	assert_int_equal(c.ntrailers, 4);
	assert_string_equal(c.trailers[0].key, "Fixes");
	assert_null(c.trailers[0].email);
	assert_string_equal(c.trailers[1].key, "Reported-by");
	assert_string_equal(c.trailers[1].name, "Rep Orter");
	assert_string_equal(c.trailers[1].email, "rep@example.org");
	assert_string_equal(c.trailers[2].key, "Signed-off-by");
	assert_string_equal(c.trailers[2].email, "author@example.org");
	assert_string_equal(c.trailers[3].value, "nobody");
	kb_git_commit_release(&c);

	head(h, "v1.0");
	assert_int_equal(kb_git_commit_info(repo, h, &c), 0);
	assert_int_equal(c.nparents, 0);
	assert_int_equal(c.ntrailers, 0);
	assert_string_equal(c.body, "c1\n");
	assert_int_equal(c.author_date, 1600000000);
	kb_git_commit_release(&c);
}

static void test_show_culprit(void **state)
{
	char h[KB_HASH_HEX + 1];
	struct kb_buf out = KB_BUF_INIT;
	char *expect_head;

	(void)state;
	head(h, "HEAD");
	assert_int_equal(kb_git_show_culprit(repo, h, &out), 0);
	expect_head = kb_xasprintf("commit %s\nAuthor: A U Thor <author@example.org>\nDate:   ", h);
	assert_memory_equal(out.buf, expect_head, strlen(expect_head));
	assert_non_null(strstr(
		out.buf, " +0200\n\n    c6\n    \n    Longer body\n    of c6.\n\n f | 4 ++++\n"));
	assert_non_null(
		strstr(out.buf, " 1 file changed, 4 insertions(+)\n create mode 100644 f\n"));
	free(expect_head);
	kb_buf_release(&out);
}

static void assert_strv(char **v, size_t n, const char *const *expect)
{
	size_t i;

	for (i = 0; expect[i]; i++) {
		assert_true(i < n);
		assert_string_equal(v[i], expect[i]);
	}
	assert_int_equal(i, n);
	assert_null(v[n]);
}

static void test_release_tags(void **state)
{
	char h[KB_HASH_HEX + 1];
	char **v = NULL, *t = NULL;
	size_t n;

	(void)state;
	head(h, "v2.0");
	/* Not v2.0 itself, not the -rc, not "foo"; v1.10 sorts above v1.9. */
	assert_int_equal(kb_git_release_tags(repo, h, NULL, &v, &n), 0);
	assert_strv(v, n, (const char *[]){ "v1.10", "v1.9", "v1.0", NULL });
	kb_git_strv_free(v);

	head(h, "side");
	assert_int_equal(kb_git_release_tags(repo, h, NULL, &v, &n), 0);
	assert_strv(v, n, (const char *[]){ "v1.9", "v1.0", NULL });
	kb_git_strv_free(v);

	assert_int_equal(kb_git_release_tags(repo, h, "f*", &v, &n), 0);
	assert_strv(v, n, (const char *[]){ "foo", NULL });
	kb_git_strv_free(v);

	head(h, "v1.9");
	assert_int_equal(kb_git_release_tag_at(repo, h, NULL, &t), 0);
	assert_string_equal(t, "v1.9");
	free(t);
	head(h, "HEAD");
	assert_int_equal(kb_git_release_tag_at(repo, h, NULL, &t), 0);
	assert_null(t);
}

static void test_files_and_tree(void **state)
{
	char h[KB_HASH_HEX + 1], t1[KB_HASH_HEX + 1], t2[KB_HASH_HEX + 1];
	char **v;
	size_t n;

	(void)state;
	head(h, "side");
	assert_int_equal(kb_git_files_touched(repo, h, &v, &n), 0);
	assert_strv(v, n, (const char *[]){ "e", NULL });
	kb_git_strv_free(v);
	/* A merge: what it brings to its first parent. */
	head(h, "v2.0");
	assert_int_equal(kb_git_files_touched(repo, h, &v, &n), 0);
	assert_strv(v, n, (const char *[]){ "d", "e", NULL });
	kb_git_strv_free(v);
	/* The root commit: everything. */
	head(h, "v1.0");
	assert_int_equal(kb_git_files_touched(repo, h, &v, &n), 0);
	assert_strv(v, n, (const char *[]){ "a", NULL });
	kb_git_strv_free(v);

	/* Same tree for a commit and an empty commit on top of it. */
	head(h, "HEAD");
	assert_int_equal(kb_git_tree_hash(repo, h, t1), 0);
	GIT("commit", "-q", "--allow-empty", "-m", "empty");
	head(h, "HEAD");
	assert_int_equal(kb_git_tree_hash(repo, h, t2), 0);
	assert_string_equal(t1, t2);
	head(h, "HEAD~1");
	assert_int_equal(kb_git_tree_hash(repo, h, t2), 0);
	assert_string_equal(t1, t2);
	head(h, "v1.0");
	assert_int_equal(kb_git_tree_hash(repo, h, t2), 0);
	assert_string_not_equal(t1, t2);
	GIT("reset", "-q", "--hard", "HEAD~1");
}

static void test_worktree(void **state)
{
	_cleanup_buf_ struct kb_buf before = KB_BUF_INIT;
	_cleanup_buf_ struct kb_buf after = KB_BUF_INIT;
	char workdir[512], junk[600], tracked[600], c1[KB_HASH_HEX + 1], h[KB_HASH_HEX + 1];
	char *path = NULL, *path2 = NULL;

	(void)state;
	snprintf(workdir, sizeof(workdir), "%s/work", tmpdir);
	git_in(NULL, &before, "status", "--porcelain=v2", "--branch", NULL);
	assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path), 0);
	head(c1, "v1.0");
	assert_int_equal(kb_git_checkout(path, c1, 0), 0);
	snprintf(tracked, sizeof(tracked), "%s/b", path);
	assert_false(kb_path_exists(tracked)); /* c1 has only "a" */
	assert_int_equal(kb_git_rev_parse(path, "HEAD", h), 0);
	assert_string_equal(h, c1);

	/* Build junk survives a plain checkout and goes with CLEAN. */
	snprintf(junk, sizeof(junk), "%s/junk.o", path);
	assert_int_equal(kb_write_file(junk, "x", 1), 0);
	head(h, "HEAD");
	assert_int_equal(kb_git_checkout(path, h, 0), 0);
	assert_true(kb_path_exists(junk));
	assert_true(kb_path_exists(tracked));
	/* A modified tracked file is reset by the forced checkout. */
	assert_int_equal(kb_write_file(tracked, "dirty", 5), 0);
	assert_int_equal(kb_git_checkout(path, h, KB_GIT_CHECKOUT_CLEAN), 0);
	assert_false(kb_path_exists(junk));
	{
		_cleanup_buf_ struct kb_buf b = KB_BUF_INIT;

		assert_int_equal(kb_read_file(tracked, &b), 0);
		assert_string_equal(b.buf, "c2");
	}

	/* The user's checkout is untouched. */
	git_in(NULL, &after, "status", "--porcelain=v2", "--branch", NULL);
	assert_string_equal(before.buf, after.buf);

	/* A new commit in the user's repo reaches the reused clone. */
	commit("g", "c7");
	head(h, "HEAD");
	assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path2), 0);
	assert_string_equal(path, path2);
	assert_int_equal(kb_git_checkout(path2, h, 0), 0);
	GIT("reset", "-q", "--hard", "HEAD~1");

	/* A non-hash is refused before git runs. */
	assert_int_equal(kb_git_checkout(path, "main", 0), -EINVAL);
	free(path);
	free(path2);

	/* A directory in the way that is not a clone is an error. */
	snprintf(workdir, sizeof(workdir), "%s/work2/src", tmpdir);
	assert_int_equal(kb_mkdir_p(workdir, 0755), 0);
	snprintf(workdir, sizeof(workdir), "%s/work2", tmpdir);
	assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path), -EEXIST);
}

/*
 * What a bisection killed by SIGKILL leaves in its work directory: a clone
 * cut short, a stale index lock, a half-made temporary.  The next start
 * makes a working clone of each without the user's help.
 */
static void test_worktree_killed(void **state)
{
	char workdir[2048], p[4096], h[KB_HASH_HEX + 1];
	char *path = NULL;

	(void)state;
	head(h, "HEAD");
	snprintf(workdir, sizeof(workdir), "%s/work-killed", tmpdir);

	/* A clone cut short in place: .git without HEAD or objects. */
	snprintf(p, sizeof(p), "%s/src/.git/objects", workdir);
	assert_int_equal(kb_mkdir_p(p, 0755), 0);
	assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path), 0);
	assert_int_equal(kb_git_checkout(path, h, 0), 0);
	free(path);

	/* A checkout killed while it held the index lock, or HEAD's (CI saw both). */
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/src/.git/%s", workdir, i ? "HEAD.lock" : "index.lock");
		assert_int_equal(kb_write_file(p, "", 0), 0);
		assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path), 0);
		assert_false(kb_path_exists(p));
		assert_int_equal(kb_git_checkout(path, h, 0), 0);
		free(path);
	}

	/* A fetch killed while it held a ref lock: the clone is remade. */
	snprintf(p, sizeof(p), "%s/src/.git/refs/remotes/origin/main.lock", workdir);
	assert_int_equal(kb_write_file(p, "", 0), 0);
	commit("killed", "c8"); /* gives the fetch something to update */
	head(h, "HEAD");
	assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path), 0);
	assert_int_equal(kb_git_checkout(path, h, 0), 0);
	free(path);
	GIT("reset", "-q", "--hard", "HEAD~1");

	/* A temporary clone left by a kill before its rename. */
	assert_int_equal(kb_rm_rf(workdir), 0);
	snprintf(p, sizeof(p), "%s/src.partial/.git", workdir);
	assert_int_equal(kb_mkdir_p(p, 0755), 0);
	assert_int_equal(kb_git_worktree_prepare(repo, workdir, &path), 0);
	snprintf(p, sizeof(p), "%s/src.partial", workdir);
	assert_false(kb_path_exists(p));
	head(h, "HEAD");
	assert_int_equal(kb_git_checkout(path, h, 0), 0);
	free(path);
}

static void test_not_a_repo(void **state)
{
	char h[KB_HASH_HEX + 1];

	(void)state;
	assert_int_equal(kb_git_rev_parse(tmpdir, "HEAD", h), -EIO);
	assert_non_null(strstr(kb_error_last(), "not a git repository"));
	assert_int_equal(kb_git_tree_hash(tmpdir, "0123456789012345678901234567890123456789", h),
			 -EIO);
	assert_non_null(strstr(kb_error_last(), "git rev-parse failed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rev_parse),	cmocka_unit_test(test_is_ancestor),
		cmocka_unit_test(test_load_range),	cmocka_unit_test(test_commit_info),
		cmocka_unit_test(test_show_culprit),	cmocka_unit_test(test_release_tags),
		cmocka_unit_test(test_files_and_tree),	cmocka_unit_test(test_worktree),
		cmocka_unit_test(test_worktree_killed), cmocka_unit_test(test_not_a_repo),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
