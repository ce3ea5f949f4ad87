// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for kb_dag_parse (`git rev-list --parents` text).  The first
 * byte selects the bad hash (none, the first listed commit, the last one, or
 * a malformed one) and whether the rest is the text itself or a compact
 * graph description turned into rev-list text here: random bytes almost
 * never form 40-hex-digit hashes, so the second form is what reaches the
 * topological numbering.  On success the graph must be topological, every
 * hash must be found, and the listing order must be a permutation.
 */
#include <string.h>
#include "fuzz.h"
#include "util/buf.h"
#include "vcs/dag.h"

#define MAX_GEN 200

static void gen_hash(char out[KB_HASH_HEX + 1], unsigned i)
{
	uint32_t x = i * 2654435761u + 0x9e3779b9u;

	for (int k = 0; k < 5; k++) {
		snprintf(out + 8 * k, 9, "%08x", x);
		x = x * 1103515245u + 12345u;
	}
}

/*
 * Byte i describes commit i (listed newest first): bits 0-2 and 3-5 are
 * distances to up to two parents further down the list (0: none), bit 6
 * adds a parent outside the range, bit 7 a committer date.
 */
static void generate(const uint8_t *data, size_t size, struct kb_buf *out)
{
	size_t n = KB_MIN(size, (size_t)MAX_GEN);
	char h[KB_HASH_HEX + 1];

	for (size_t i = 0; i < n; i++) {
		unsigned b = data[i], d1 = b & 7, d2 = (b >> 3) & 7;

		if (b & 0x80)
			kb_buf_addf(out, "%zu ", 1700000000 - i);
		gen_hash(h, (unsigned)i);
		kb_buf_addstr(out, h);
		if (d1) {
			gen_hash(h, (unsigned)(i + d1));
			kb_buf_addf(out, " %s", h);
		}
		if (d2 && d2 != d1) {
			gen_hash(h, (unsigned)(i + d2));
			kb_buf_addf(out, " %s", h);
		}
		if (b & 0x40) {
			gen_hash(h, 100000u + (unsigned)i);
			kb_buf_addf(out, " %s", h);
		}
		kb_buf_addch(out, '\n');
	}
}

/* The hash at the start of the line at @s (after an optional date), or "". */
static void hash_at(const char *s, const char *end, char out[KB_HASH_HEX + 1])
{
	const char *sp = memchr(s, ' ', (size_t)(end - s));

	out[0] = '\0';
	if (sp && sp - s < KB_HASH_HEX && end - (sp + 1) >= KB_HASH_HEX)
		s = sp + 1;
	if (end - s >= KB_HASH_HEX) {
		memcpy(out, s, KB_HASH_HEX);
		out[KB_HASH_HEX] = '\0';
	}
}

static void check_dag(const struct kb_dag *d, const char *bad_hash)
{
	uint8_t *seen = calloc(d->n ? d->n : 1, 1);

	CHECK(seen);
	CHECK(d->n > 0 && d->bad < d->n);
	if (bad_hash)
		CHECK(!strcmp(d->hash[d->bad], bad_hash));
	CHECK(d->par_off[0] == 0);
	for (size_t i = 0; i < d->n; i++) {
		size_t np = d->par_off[i + 1] - d->par_off[i];

		CHECK(d->par_off[i] <= d->par_off[i + 1]);
		CHECK(np <= d->nparents_total[i]);
		for (uint32_t j = d->par_off[i]; j < d->par_off[i + 1]; j++)
			CHECK(d->par[j] < i); /* topological: parents first */
		CHECK(strlen(d->hash[i]) == KB_HASH_HEX);
		CHECK(kb_dag_find(d, d->hash[i]) == (long)i);
		CHECK(d->listed[i] < d->n && !seen[d->listed[i]]);
		seen[d->listed[i]] = 1;
		if (i)
			CHECK(strcmp(d->hash[d->by_hash[i - 1]], d->hash[d->by_hash[i]]) < 0);
	}
	/* the bad commit is the only sink: nobody in the range has it as parent */
	for (size_t j = 0; j < d->par_off[d->n]; j++)
		CHECK(d->par[j] != d->bad);
	free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_buf text = KB_BUF_INIT;
	char first[KB_HASH_HEX + 1], last[KB_HASH_HEX + 1];
	const char *bad = NULL;
	struct kb_dag *d = NULL;
	unsigned mode;
	int r;

	if (!size)
		return 0;
	mode = data[0];
	if (mode & 4)
		generate(data + 1, size - 1, &text);
	else
		kb_buf_add(&text, data + 1, size - 1);

	{
		const char *s = text.buf, *end = text.buf + text.len;
		const char *eol = memchr(s, '\n', text.len);
		const char *ls;

		hash_at(s, eol ? eol : end, first);
		/* start of the last non-empty line */
		while (end > s && end[-1] == '\n')
			end--;
		ls = end;
		while (ls > s && ls[-1] != '\n')
			ls--;
		hash_at(ls, end, last);
	}
	switch (mode & 3) {
	case 1:
		bad = first;
		break;
	case 2:
		bad = last;
		break;
	case 3:
		bad = "not-a-hash";
		break;
	}

	r = kb_dag_parse(text.buf, text.len, bad, &d);
	CHECK(r == 0 ? d != NULL : r < 0);
	if (r == 0) {
		CHECK(!bad || strlen(bad) == KB_HASH_HEX);
		check_dag(d, bad);
		kb_dag_free(d);
	}
	kb_buf_release(&text);
	return 0;
}
