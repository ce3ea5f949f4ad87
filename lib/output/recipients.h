/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who to tell about a culprit commit (docs/reference-bisection.md §1.9):
 * the author and the people on its Signed-off-by, Reviewed-*, Acked-*,
 * Tested-* and *-and-reviewed/acked/tested-* trailers go to To.  Cc: and
 * Reported-by trailers are left out on purpose (syzkaller #1441), so is
 * stable@vger.kernel.org.  For Linux trees, the MAINTAINERS file adds the
 * maintainers and lists of the touched files to To, reviewers and LKML to Cc.
 *
 * Unlike the reference, the lists never hold duplicates: an address is
 * stored lower-cased once, and an address in To is never also in Cc.  Both
 * lists are kept sorted in byte order (Go's sort.Strings), ready for
 * kb_log_recipients().
 */
#ifndef KB_OUTPUT_RECIPIENTS_H
#define KB_OUTPUT_RECIPIENTS_H

#include "util/common.h"

#define KB_LKML "linux-kernel@vger.kernel.org"

struct kb_recipients {
	char **to; /* sorted, unique, lower-case */
	size_t n_to, alloc_to;
	char **cc; /* sorted, unique, lower-case, disjoint from ->to */
	size_t n_cc, alloc_cc;
};

#define KB_RECIPIENTS_INIT \
	{                  \
		0          \
	}

void kb_recipients_clear(struct kb_recipients *r);

/*
 * The address in @text ("Name <a@B.org>", "a@b.org", "a@b.org (comment)"),
 * lower-cased, as a new string; NULL when there is no address.
 */
char *kb_address_parse(const char *text);

/*
 * Add the address in @text to To (@cc false) or Cc.  Adding to To moves an
 * address out of Cc; adding to Cc an address already in To does nothing.
 * Returns false when nothing usable was found or the address is excluded
 * (stable@vger.kernel.org).
 */
bool kb_recipients_add(struct kb_recipients *r, const char *text, bool cc);

/* Whether a trailer key ("Acked-by", "Co-developed-and-tested-by") names a recipient. */
bool kb_trailer_is_recipient(const char *key, size_t len);

/*
 * Add @author ("Name <email>", may be NULL) and every recipient trailer of
 * the commit @message (leading indentation, as in `git log`, is allowed).
 * Returns the number of addresses in To afterwards.
 */
size_t kb_recipients_from_commit(struct kb_recipients *r, const char *author, const char *message);

/*
 * The Linux MAINTAINERS file.  An entry is a paragraph: a title line and
 * "X:\tvalue" lines.  Used tags: M (maintainer), R (reviewer), L (list),
 * S (status), F/X (file globs included/excluded), N (file-name regex),
 * K (content regex).  Others (T, W, Q, B, C, P) are ignored, as is text
 * without tags (the file's introduction).
 *
 * F/X matching follows get_maintainer.pl: the pattern must match a prefix of
 * the path, '*' matches any characters (also '/'), '?' one character; a
 * pattern ending in '/' matches everything below; any other pattern must
 * have as many '/' as the path (so "*.c" after "dir/" does not match "dir/sub/x.c").
 * A literal pattern naming a directory without the trailing '/' also
 * matches below it.  The entry "THE REST" is only used for files no other
 * entry matches.
 */
struct kb_maintainers;

/* 0 or -errno (a bad N:/K: regex: message names the line). */
int kb_maintainers_parse(const char *text, size_t len, struct kb_maintainers **ret) KB_MUST_CHECK;
/* Read and parse the file at @path.  0 or -errno (message names the file). */
int kb_maintainers_load(const char *path, struct kb_maintainers **ret) KB_MUST_CHECK;
void kb_maintainers_free(struct kb_maintainers *m);

size_t kb_maintainers_count(const struct kb_maintainers *m);
/* Title of entry @i ("IO_URING"). */
const char *kb_maintainers_name(const struct kb_maintainers *m, size_t i);
/*
 * Whether entry @i covers @file: an F or N matches and no X does, or a K
 * regex matches @content (the patch text; NULL: K is not used).
 */
bool kb_maintainers_entry_matches(const struct kb_maintainers *m, size_t i, const char *file,
				  const char *content);

/* The F/X glob rule above, exposed for tests. */
bool kb_maintainers_pattern_match(const char *pattern, const char *file);

/*
 * Add the recipients of every entry covering one of @files: M to To, L to
 * To (LKML to Cc), R to Cc; LKML is added to Cc whenever a list was found.
 * Returns the number of matched entries.
 */
size_t kb_maintainers_add_recipients(const struct kb_maintainers *m, const char *const *files,
				     size_t n_files, const char *content, struct kb_recipients *r);

#endif
