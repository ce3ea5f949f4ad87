// SPDX-License-Identifier: Apache-2.0
/*
 * Test driver: runs a whole bisection with lib/vcs/git + lib/bisect/gitbisect
 * against a table of verdicts, printing what `git bisect run` prints on the
 * same repository (minus its "running ..." lines), so that the shell test
 * can compare the two byte for byte.
 *
 * usage: gitbisect-run REPO VERDICTS BAD GOOD...
 * VERDICTS has one "<hash> good|bad|skip" line per commit of the range;
 * "-" as VERDICTS prints the ranking of `git rev-list --bisect-all` instead.
 */
#include <errno.h>
#include <string.h>
#include "bisect/gitbisect.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

static int load_verdicts(const char *path, const struct kb_dag *d, uint8_t *v)
{
	_cleanup_buf_ struct kb_buf b = KB_BUF_INIT;
	int r = kb_read_file(path, &b);

	if (r < 0)
		return r;
	for (char *p = b.buf; *p;) {
		char *eol = strchrnul(p, '\n'), *sp = memchr(p, ' ', (size_t)(eol - p));
		long i;

		if (sp) {
			*sp = '\0';
			i = kb_dag_find(d, p);
			if (i >= 0) {
				if (!strncmp(sp + 1, "good", 4))
					v[i] = KB_GB_GOOD;
				else if (!strncmp(sp + 1, "bad", 3))
					v[i] = KB_GB_BAD;
				else
					v[i] = KB_GB_SKIP;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	for (size_t i = 0; i < d->n; i++)
		if (!v[i])
			return kb_error_set(-EINVAL, "no verdict for %s", d->hash[i]);
	return 0;
}

static int run(int argc, char **argv, struct kb_buf *out)
{
	char bad[KB_HASH_HEX + 1];
	char(*goods)[KB_HASH_HEX + 1] = NULL;
	const char **goodp = NULL;
	struct kb_dag *d = NULL;
	uint8_t *verdict = NULL, *marks = NULL;
	const char *repo = argv[1];
	size_t ngood = (size_t)argc - 4;
	int r;

	r = kb_git_rev_parse(repo, argv[3], bad);
	if (r < 0)
		return r;
	goods = kb_xcalloc(ngood, sizeof(*goods));
	goodp = kb_xcalloc(ngood, sizeof(*goodp));
	for (size_t i = 0; i < ngood; i++) {
		r = kb_git_rev_parse(repo, argv[4 + i], goods[i]);
		if (r < 0)
			goto out;
		goodp[i] = goods[i];
	}
	r = kb_git_load_range(repo, bad, goodp, ngood, &d);
	if (r < 0)
		goto out;
	verdict = kb_xcalloc(d->n, 1);
	marks = kb_xcalloc(d->n, 1);
	if (!strcmp(argv[2], "-")) {
		struct kb_gitbisect_rank *rank;
		size_t n;

		kb_gitbisect_rank_all(d, marks, &rank, &n);
		for (size_t i = 0; i < n; i++)
			kb_buf_addf(out, "%s (dist=%u)\n", d->hash[rank[i].commit],
				    rank[i].distance);
		free(rank);
		goto out;
	}
	r = load_verdicts(argv[2], d, verdict);
	if (r < 0)
		goto out;
	for (size_t step = 0; step <= d->n + 1; step++) {
		struct kb_gitbisect_step s;
		struct kb_git_commit c;

		r = kb_gitbisect_next(d, marks, &s);
		if (r < 0)
			goto out;
		kb_gitbisect_format(d, &s, out);
		if (s.state == KB_GB_ONLY_SKIPPED) {
			kb_gitbisect_step_release(&s);
			goto out;
		}
		if (s.state == KB_GB_FOUND) {
			r = kb_git_show_culprit(repo, d->hash[s.commit], out);
			goto out;
		}
		r = kb_git_commit_info(repo, d->hash[s.commit], &c);
		if (r < 0)
			goto out;
		kb_buf_addf(out, "[%s] %s\n", c.hash, c.subject);
		kb_git_commit_release(&c);
		if (marks[s.commit]) {
			r = kb_error_set(-EINVAL, "commit %s proposed twice", d->hash[s.commit]);
			goto out;
		}
		marks[s.commit] = verdict[s.commit];
	}
	r = kb_error_set(-ELOOP, "bisection did not end");
out:
	free(goods);
	free(goodp);
	free(verdict);
	free(marks);
	kb_dag_free(d);
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_buf_ struct kb_buf out = KB_BUF_INIT;
	int r;

	if (argc < 5) {
		fprintf(stderr, "usage: gitbisect-run REPO VERDICTS BAD GOOD...\n");
		return 2;
	}
	r = run(argc, argv, &out);
	fwrite(out.buf, 1, out.len, stdout);
	if (r < 0) {
		fprintf(stderr, "gitbisect-run: %s\n", kb_error_last());
		return 1;
	}
	return 0;
}
