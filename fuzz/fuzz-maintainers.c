// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the MAINTAINERS parser and recipient lookup: the input is
 * a MAINTAINERS file.  For a few paths (also ones the F: globs of the seeds
 * name) the recipients are collected; the lists must stay sorted, unique,
 * lower-case and disjoint, the entry count must bound the matches, and
 * without a match there is no one to tell.
 */
#include <ctype.h>
#include <string.h>
#include "fuzz.h"
#include "output/recipients.h"
#include "util/buf.h"

static void check_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		CHECK(v[i] && v[i][0] && strchr(v[i], '@'));
		for (const char *p = v[i]; *p; p++)
			CHECK(!isupper((unsigned char)*p));
		if (i)
			CHECK(strcmp(v[i - 1], v[i]) < 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "io_uring/io_uring.c", "fs/ext4/inode.c",
					     "net/core/dev.c",	    "MAINTAINERS",
					     "drivers/net/x.c",	    "include/linux/a.h" };
	struct kb_maintainers *m = NULL;
	struct kb_buf text = KB_BUF_INIT;
	size_t count;

	/* the parser takes a length, but N:/K: regexes see C strings: keep a NUL after */
	kb_buf_add(&text, data, size);
	if (kb_maintainers_parse(text.buf, text.len, &m) < 0) {
		CHECK(m == NULL);
		kb_buf_release(&text);
		return 0;
	}
	count = kb_maintainers_count(m);
	for (size_t i = 0; i < count; i++)
		CHECK(kb_maintainers_name(m, i) != NULL);
	for (size_t k = 0; k <= KB_ARRAY_SIZE(files); k++) {
		struct kb_recipients r = KB_RECIPIENTS_INIT;
		/* k == size: all files at once, with the input as patch content */
		size_t n = k < KB_ARRAY_SIZE(files) ? 1 : KB_ARRAY_SIZE(files);
		const char *const *f = k < KB_ARRAY_SIZE(files) ? &files[k] : files;
		size_t matched =
			kb_maintainers_add_recipients(m, f, n, n > 1 ? text.buf : NULL, &r);

		CHECK(matched <= count);
		check_list(r.to, r.n_to);
		check_list(r.cc, r.n_cc);
		for (size_t i = 0; i < r.n_cc; i++)
			for (size_t j = 0; j < r.n_to; j++)
				CHECK(strcmp(r.cc[i], r.to[j]) != 0);
		/* addresses come only from matched entries */
		CHECK(matched || (!r.n_to && !r.n_cc));
		kb_recipients_clear(&r);
	}
	kb_maintainers_free(m);
	kb_buf_release(&text);
	return 0;
}
