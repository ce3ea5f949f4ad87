// SPDX-License-Identifier: Apache-2.0
/* struct kb_vcs over the real git layer (vcs/git.h): plain forwarding. */
#include <errno.h>
#include "bisect/ops.h"
#include "util/child.h"
#include "util/error.h"
#include "vcs/git.h"

static int g_rev_parse(void *ctx, const char *rev, char out[41])
{
	return kb_git_rev_parse(ctx, rev, out);
}

static int g_is_ancestor(void *ctx, const char *a, const char *b)
{
	return kb_git_is_ancestor(ctx, a, b);
}

static int g_load_range(void *ctx, const char *bad, const char *const *goods, size_t ngoods,
			struct kb_dag **ret)
{
	return kb_git_load_range(ctx, bad, goods, ngoods, ret);
}

static int g_commit_info(void *ctx, const char *hash, struct kb_git_commit *ret)
{
	return kb_git_commit_info(ctx, hash, ret);
}

static int g_show_culprit(void *ctx, const char *hash, struct kb_buf *out)
{
	return kb_git_show_culprit(ctx, hash, out);
}

static int g_release_tags(void *ctx, const char *hash, const char *glob, char ***ret, size_t *n)
{
	return kb_git_release_tags(ctx, hash, glob, ret, n);
}

static int g_release_tag_at(void *ctx, const char *hash, const char *glob, char **ret)
{
	return kb_git_release_tag_at(ctx, hash, glob, ret);
}

static int g_files_touched(void *ctx, const char *hash, char ***ret, size_t *n)
{
	return kb_git_files_touched(ctx, hash, ret, n);
}

static int g_read_file(void *ctx, const char *hash, const char *path, struct kb_buf *out)
{
	_cleanup_free_ char *spec = NULL;
	struct kb_child c = { 0 };
	int r;

	if (!kb_git_is_hash(hash))
		return kb_error_set(-EINVAL, "'%s' is not a full commit hash", hash);
	spec = kb_xasprintf("%s:%s", hash, path);
	c.argv = (const char *const[]){ "git", "-C", ctx, "cat-file", "blob", spec, NULL };
	c.out = out;
	r = kb_child_run(&c);
	if (r < 0)
		return r;
	if (c.status != KB_CHILD_EXITED || c.exit_code) {
		kb_buf_reset(out);
		return 0; /* no such file at that commit */
	}
	return 1;
}

void kb_vcs_git_init(struct kb_vcs *v, const char *repo)
{
	*v = (struct kb_vcs){
		.ctx = kb_xstrdup(repo),
		.rev_parse = g_rev_parse,
		.is_ancestor = g_is_ancestor,
		.load_range = g_load_range,
		.commit_info = g_commit_info,
		.show_culprit = g_show_culprit,
		.release_tags = g_release_tags,
		.release_tag_at = g_release_tag_at,
		.files_touched = g_files_touched,
		.read_file = g_read_file,
	};
}

void kb_vcs_git_release(struct kb_vcs *v)
{
	free(v->ctx);
	v->ctx = NULL;
}
