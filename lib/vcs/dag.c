// SPDX-License-Identifier: Apache-2.0
/*
 * Parsing `git rev-list --parents [--timestamp]` output into struct kb_dag.
 *
 * The text lists every commit of the range once, children before parents in
 * git's default order (newest committer date first).  We keep that listing
 * order in ->listed and renumber the commits topologically, oldest first, so
 * that callers can compute weights in one forward pass.
 */
#include <errno.h>
#include <string.h>
#include "util/error.h"
#include "vcs/dag.h"

/* Limits that keep a corrupt or hostile input from exhausting memory. */
#define MAX_COMMITS (1u << 24)
#define MAX_PARENTS 4096

struct line {
	const char *hash; /* points into the text, KB_HASH_HEX chars */
	const char *parents; /* first parent token, or end of line */
	const char *end; /* end of line */
	int64_t date;
};

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* Length of the token at s (up to a space or end). */
static size_t token_len(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && *p != ' ')
		p++;
	return (size_t)(p - s);
}

static const char *skip_spaces(const char *s, const char *end)
{
	while (s < end && *s == ' ')
		s++;
	return s;
}

static bool parse_date(const char *s, size_t n, int64_t *ret)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

void kb_dag_free(struct kb_dag *d)
{
	if (!d)
		return;
	free(d->hash);
	free(d->par_off);
	free(d->par);
	free(d->nparents_total);
	free(d->listed);
	free(d->date);
	free(d->by_hash);
	free(d);
}

/* Find a line by full hash among lines sorted by hash; -1 if absent. */
static long find_line(const struct line *lines, const uint32_t *sorted, size_t n, const char *h)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(lines[sorted[mid]].hash, h, KB_HASH_HEX);

		if (c == 0)
			return (long)sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int cmp_line_hash(const void *a, const void *b, void *arg)
{
	const struct line *lines = arg;

	return memcmp(lines[*(const uint32_t *)a].hash, lines[*(const uint32_t *)b].hash,
		      KB_HASH_HEX);
}

static int split_lines(const char *text, size_t len, struct line **ret, size_t *ret_n,
		       bool *ret_dates)
{
	const char *p = text, *end = text + len;
	struct line *lines = NULL;
	size_t n = 0, alloc = 0;
	int dates = -1; /* unknown until the first line */

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		struct line l = { 0 };
		size_t tl;

		if (!eol)
			eol = end;
		q = skip_spaces(p, eol);
		if (q == eol) {
			p = eol + 1;
			continue;
		}
		tl = token_len(q, eol);
		if (dates < 0)
			dates = tl != KB_HASH_HEX;
		if (dates) {
			if (!parse_date(q, tl, &l.date))
				goto bad_line;
			q = skip_spaces(q + tl, eol);
			tl = token_len(q, eol);
		}
		if (tl != KB_HASH_HEX || !is_hex(q, tl))
			goto bad_line;
		l.hash = q;
		l.parents = skip_spaces(q + tl, eol);
		l.end = eol;
		if (n == MAX_COMMITS) {
			free(lines);
			return kb_error_set(-E2BIG, "rev-list output has more than %u commits",
					    MAX_COMMITS);
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			lines = kb_xrealloc(lines, alloc * sizeof(*lines));
		}
		lines[n++] = l;
		p = eol + 1;
		continue;
bad_line:
		free(lines);
		return kb_error_set(-EINVAL, "cannot parse rev-list line %zu: '%.*s'", n + 1,
				    (int)KB_MIN((size_t)(eol - p), (size_t)80), p);
	}
	*ret = lines;
	*ret_n = n;
	*ret_dates = dates > 0;
	return 0;
}

int kb_dag_parse(const char *text, size_t len, const char *bad_hash, struct kb_dag **ret)
{
	struct line *lines = NULL;
	uint32_t *sorted = NULL, *topo = NULL, *pos = NULL, *stack = NULL, *lpar_off = NULL;
	uint32_t *lpar = NULL, *nchild = NULL;
	size_t n = 0, npar = 0, npar_alloc = 0, ntopo = 0;
	bool dates = false;
	struct kb_dag *d = NULL;
	long bad_line;
	int r;

	r = split_lines(text, len, &lines, &n, &dates);
	if (r < 0)
		return r;
	if (n == 0) {
		free(lines);
		return kb_error_set(-EINVAL, "empty commit range");
	}

	sorted = kb_xmalloc(n * sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = (uint32_t)i;
	qsort_r(sorted, n, sizeof(*sorted), cmp_line_hash, lines);
	for (size_t i = 1; i < n; i++) {
		if (!memcmp(lines[sorted[i - 1]].hash, lines[sorted[i]].hash, KB_HASH_HEX)) {
			r = kb_error_set(-EINVAL, "commit %.40s listed twice in rev-list output",
					 lines[sorted[i]].hash);
			goto out;
		}
	}

	if (bad_hash) {
		if (strlen(bad_hash) != KB_HASH_HEX) {
			r = kb_error_set(-EINVAL, "bad commit '%s' is not a full hash", bad_hash);
			goto out;
		}
		bad_line = find_line(lines, sorted, n, bad_hash);
		if (bad_line < 0) {
			r = kb_error_set(-EINVAL, "bad commit %s is not in the range", bad_hash);
			goto out;
		}
	} else {
		bad_line = 0;
	}

	/* Parents of each line, as line numbers (in-range parents only). */
	lpar_off = kb_xmalloc((n + 1) * sizeof(*lpar_off));
	d = kb_xcalloc(1, sizeof(*d));
	d->nparents_total = kb_xcalloc(n, sizeof(uint32_t));
	nchild = kb_xcalloc(n, sizeof(*nchild));
	for (size_t i = 0; i < n; i++) {
		const char *q = lines[i].parents, *eol = lines[i].end;
		uint32_t total = 0;

		lpar_off[i] = (uint32_t)npar;
		while (q < eol) {
			size_t tl = token_len(q, eol);
			long pl;

			if (tl != KB_HASH_HEX || !is_hex(q, tl)) {
				r = kb_error_set(-EINVAL, "bad parent in rev-list line %zu", i + 1);
				goto out;
			}
			if (++total > MAX_PARENTS) {
				r = kb_error_set(-E2BIG, "commit %.40s has more than %u parents",
						 lines[i].hash, MAX_PARENTS);
				goto out;
			}
			pl = find_line(lines, sorted, n, q);
			if (pl >= 0) {
				if (npar == npar_alloc) {
					npar_alloc = npar_alloc ? 2 * npar_alloc : 256;
					lpar = kb_xrealloc(lpar, npar_alloc * sizeof(*lpar));
				}
				lpar[npar++] = (uint32_t)pl;
				nchild[pl]++;
			}
			q = skip_spaces(q + tl, eol);
		}
		d->nparents_total[i] = total; /* by line for now, permuted below */
	}
	lpar_off[n] = (uint32_t)npar;

	for (size_t i = 0; i < n; i++) {
		if (i != (size_t)bad_line && nchild[i] == 0) {
			r = kb_error_set(
				-EINVAL,
				"commit %.40s in the range is not an ancestor of the bad commit",
				lines[i].hash);
			goto out;
		}
	}

	/*
	 * Topological numbering by depth-first search from the oldest listed
	 * commit: a commit is numbered once all its in-range parents are.
	 * When the listing is already topological (the usual case) the result
	 * is just the reversed listing.  pos[line] = index, or UINT32_MAX while
	 * unnumbered; UINT32_MAX - 1 marks "on the stack" to detect cycles.
	 */
	pos = kb_xmalloc(n * sizeof(*pos));
	topo = kb_xmalloc(n * sizeof(*topo));
	stack = kb_xmalloc(n * sizeof(*stack));
	for (size_t i = 0; i < n; i++)
		pos[i] = UINT32_MAX;
	for (size_t k = n; k-- > 0;) {
		size_t sp = 0;

		if (pos[k] != UINT32_MAX)
			continue;
		stack[sp++] = (uint32_t)k;
		pos[k] = UINT32_MAX - 1;
		while (sp) {
			uint32_t c = stack[sp - 1];
			bool pushed = false;

			for (uint32_t j = lpar_off[c]; j < lpar_off[c + 1]; j++) {
				uint32_t p = lpar[j];

				if (pos[p] == UINT32_MAX - 1) {
					r = kb_error_set(-EINVAL, "cycle in commit graph at %.40s",
							 lines[p].hash);
					goto out;
				}
				if (pos[p] == UINT32_MAX) {
					pos[p] = UINT32_MAX - 1;
					stack[sp++] = p;
					pushed = true;
					break;
				}
			}
			if (pushed)
				continue;
			sp--;
			pos[c] = (uint32_t)ntopo;
			topo[ntopo++] = c;
		}
	}

	d->n = n;
	d->hash = kb_xmalloc(n * sizeof(*d->hash));
	d->par_off = kb_xmalloc((n + 1) * sizeof(*d->par_off));
	d->par = kb_xmalloc((npar ? npar : 1) * sizeof(*d->par));
	d->listed = kb_xmalloc(n * sizeof(*d->listed));
	d->by_hash = kb_xmalloc(n * sizeof(*d->by_hash));
	if (dates)
		d->date = kb_xmalloc(n * sizeof(*d->date));
	{
		uint32_t *total = d->nparents_total;
		size_t o = 0;

		d->nparents_total = kb_xmalloc(n * sizeof(uint32_t));
		for (size_t i = 0; i < n; i++) {
			uint32_t l = topo[i];

			memcpy(d->hash[i], lines[l].hash, KB_HASH_HEX);
			d->hash[i][KB_HASH_HEX] = '\0';
			d->nparents_total[i] = total[l];
			if (dates)
				d->date[i] = lines[l].date;
			d->par_off[i] = (uint32_t)o;
			for (uint32_t j = lpar_off[l]; j < lpar_off[l + 1]; j++)
				d->par[o++] = pos[lpar[j]];
		}
		d->par_off[n] = (uint32_t)o;
		free(total);
	}
	for (size_t k = 0; k < n; k++) {
		d->listed[k] = pos[k];
		d->by_hash[k] = pos[sorted[k]];
	}
	d->bad = pos[bad_line];
	*ret = KB_TAKE_PTR(d);
	r = 0;
out:
	kb_dag_free(d);
	free(lines);
	free(sorted);
	free(topo);
	free(pos);
	free(stack);
	free(lpar_off);
	free(lpar);
	free(nchild);
	return r;
}

long kb_dag_find(const struct kb_dag *d, const char *hex)
{
	size_t len = strlen(hex), lo = 0, hi = d->n;

	if (len < 4 || len > KB_HASH_HEX || !is_hex(hex, len))
		return -1;
	/* First hash >= hex; a unique prefix match must be it and not the next. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(d->hash[d->by_hash[mid]], hex, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->n || strncmp(d->hash[d->by_hash[lo]], hex, len) != 0)
		return -1;
	if (lo + 1 < d->n && strncmp(d->hash[d->by_hash[lo + 1]], hex, len) == 0)
		return -1;
	return (long)d->by_hash[lo];
}
