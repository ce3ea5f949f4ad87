// SPDX-License-Identifier: Apache-2.0
/* Recipients from commit trailers; see recipients.h for the rules. */
#include <ctype.h>
#include <string.h>
#include "output/recipients.h"

void kb_recipients_clear(struct kb_recipients *r)
{
	for (size_t i = 0; i < r->n_to; i++)
		free(r->to[i]);
	for (size_t i = 0; i < r->n_cc; i++)
		free(r->cc[i]);
	free(r->to);
	free(r->cc);
	*r = (struct kb_recipients)KB_RECIPIENTS_INIT;
}

char *kb_address_parse(const char *text)
{
	const char *lt = strchr(text, '<');
	const char *s, *e;

	if (lt && strchr(lt, '>')) {
		s = lt + 1;
		e = strchr(s, '>');
	} else {
		/* the first word with an '@' */
		s = text;
		for (;;) {
			s += strspn(s, " \t\r\n,;\"");
			if (!*s)
				return NULL;
			e = s + strcspn(s, " \t\r\n,;\"");
			if (memchr(s, '@', (size_t)(e - s)))
				break;
			s = e;
		}
	}
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	const char *at = memchr(s, '@', (size_t)(e - s));
	/* one '@' with something on both sides and no blanks in between */
	if (!at || at == s || at + 1 == e || memchr(at + 1, '@', (size_t)(e - at - 1)))
		return NULL;
	for (const char *p = s; p < e; p++)
		if (isspace((unsigned char)*p) || *p == '<' || *p == '>')
			return NULL;
	char *addr = kb_xstrndup(s, (size_t)(e - s));
	for (char *p = addr; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return addr;
}

/* Index of @addr in sorted @v, or where it would go (*found false). */
static size_t find(char *const *v, size_t n, const char *addr, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid], addr);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void insert(char ***v, size_t *n, size_t *alloc, size_t at, char *addr)
{
	if (*n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 8;
		*v = kb_xrealloc(*v, *alloc * sizeof(**v));
	}
	memmove(*v + at + 1, *v + at, (*n - at) * sizeof(**v));
	(*v)[at] = addr;
	(*n)++;
}

bool kb_recipients_add(struct kb_recipients *r, const char *text, bool cc)
{
	char *addr = kb_address_parse(text);
	bool in_to, in_cc;
	size_t at_to, at_cc;

	if (!addr)
		return false;
	/* stable@ gets backports through its own process, not bisection mail */
	if (!strcmp(addr, "stable@vger.kernel.org")) {
		free(addr);
		return false;
	}
	at_to = find(r->to, r->n_to, addr, &in_to);
	at_cc = find(r->cc, r->n_cc, addr, &in_cc);
	if (in_to || (cc && in_cc)) {
		free(addr);
		return true;
	}
	if (cc) {
		insert(&r->cc, &r->n_cc, &r->alloc_cc, at_cc, addr);
		return true;
	}
	if (in_cc) {
		free(r->cc[at_cc]);
		memmove(r->cc + at_cc, r->cc + at_cc + 1, (r->n_cc - at_cc - 1) * sizeof(*r->cc));
		r->n_cc--;
	}
	insert(&r->to, &r->n_to, &r->alloc_to, at_to, addr);
	return true;
}

static bool has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !strncasecmp(s, prefix, n);
}

bool kb_trailer_is_recipient(const char *key, size_t len)
{
	static const char *const roles[] = { "reviewed-", "acked-", "tested-" };

	for (size_t i = 0; i < len; i++)
		if (!isalpha((unsigned char)key[i]) && key[i] != '-')
			return false;
	if (len == strlen("signed-off-by") && has_prefix_ci(key, len, "signed-off-by"))
		return true;
	for (size_t i = 0; i < KB_ARRAY_SIZE(roles); i++) {
		if (has_prefix_ci(key, len, roles[i]))
			return true;
		/* "<something>-and-reviewed-<something>", e.g. Co-developed-and-tested-by */
		for (size_t j = 1; j + 5 < len; j++) {
			if (!strncasecmp(key + j, "-and-", 5) &&
			    has_prefix_ci(key + j + 5, len - j - 5, roles[i]))
				return true;
		}
	}
	return false;
}

size_t kb_recipients_from_commit(struct kb_recipients *r, const char *author, const char *message)
{
	if (author)
		kb_recipients_add(r, author, false);
	for (const char *line = message; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line, *end = line + len;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon && colon > p && kb_trailer_is_recipient(p, (size_t)(colon - p))) {
			char *value = kb_xstrndup(colon + 1, (size_t)(end - colon - 1));
			kb_recipients_add(r, value, false);
			free(value);
		}
		line = eol ? eol + 1 : NULL;
	}
	return r->n_to;
}
