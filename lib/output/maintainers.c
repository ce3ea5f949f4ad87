// SPDX-License-Identifier: Apache-2.0
/*
 * MAINTAINERS parser and file matcher, after get_maintainer.pl's rules
 * (recipients.h).  The file is ~30k lines; entries are kept as arrays of
 * (tag, value) pairs and N:/K: regexes are compiled once at parse time.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <string.h>
#include "output/recipients.h"
#include "util/error.h"
#include "util/fs.h"

#define MAX_ENTRIES 100000

struct tag {
	char type; /* 'M', 'R', 'L', 'S', 'F', 'X', 'N', 'K' */
	char *value;
	pcre2_code *re; /* N and K */
};

struct entry {
	char *name;
	struct tag *tags;
	size_t n_tags;
	bool the_rest;
};

struct kb_maintainers {
	struct entry *e;
	size_t n, alloc;
};

static bool tag_used(char c)
{
	return strchr("MRLSFXNK", c) != NULL;
}

void kb_maintainers_free(struct kb_maintainers *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		for (size_t j = 0; j < m->e[i].n_tags; j++) {
			free(m->e[i].tags[j].value);
			pcre2_code_free(m->e[i].tags[j].re);
		}
		free(m->e[i].tags);
		free(m->e[i].name);
	}
	free(m->e);
	free(m);
}

static struct entry *new_entry(struct kb_maintainers *m, const char *name, size_t len)
{
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->e = kb_xrealloc(m->e, m->alloc * sizeof(*m->e));
	}
	struct entry *e = &m->e[m->n++];
	*e = (struct entry){ .name = kb_xstrndup(name, len) };
	e->the_rest = !strcmp(e->name, "THE REST");
	return e;
}

static int add_tag(struct entry *e, char type, const char *v, size_t len, const char *name,
		   unsigned lineno)
{
	struct tag t = { .type = type, .value = kb_xstrndup(v, len) };

	if (type == 'N' || type == 'K') {
		int code;
		PCRE2_SIZE off;
		/* get_maintainer.pl matches these with m/$value/x */
		t.re = pcre2_compile((PCRE2_SPTR)t.value, PCRE2_ZERO_TERMINATED, PCRE2_EXTENDED,
				     &code, &off, NULL);
		if (!t.re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(code, msg, sizeof(msg));
			int r = kb_error_set(-EINVAL, "%s:%u: bad %c: regex '%s': %s", name, lineno,
					     type, t.value, (const char *)msg);
			free(t.value);
			return r;
		}
	}
	e->tags = kb_xrealloc(e->tags, (e->n_tags + 1) * sizeof(*e->tags));
	e->tags[e->n_tags++] = t;
	return 0;
}

static int parse(const char *text, size_t len, const char *name, struct kb_maintainers **ret)
{
	struct kb_maintainers *m = kb_xcalloc(1, sizeof(*m));
	struct entry *cur = NULL;
	const char *title = NULL;
	size_t title_len = 0;
	unsigned lineno = 0;
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		size_t n = (size_t)(le - p);

		lineno++;
		if (n && le[-1] == '\r')
			n--;
		if (!n || strspn(p, " \t") >= n) {
			/* a blank line ends the paragraph */
			cur = NULL;
			title = NULL;
		} else if (n >= 2 && p[0] >= 'A' && p[0] <= 'Z' && p[1] == ':') {
			if (!cur) {
				if (m->n >= MAX_ENTRIES) {
					kb_maintainers_free(m);
					return kb_error_set(-E2BIG,
							    "MAINTAINERS: more than %d entries",
							    MAX_ENTRIES);
				}
				cur = new_entry(m, title ? title : "", title ? title_len : 0);
			}
			const char *v = p + 2, *ve = p + n;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (tag_used(p[0]) && v < ve) {
				int r = add_tag(cur, p[0], v, (size_t)(ve - v), name, lineno);
				if (r < 0) {
					kb_maintainers_free(m);
					return r;
				}
			}
		} else {
			/* a title; text lines of the introduction also land here */
			cur = NULL;
			title = p;
			title_len = n;
		}
		p = eol ? eol + 1 : end;
	}
	*ret = m;
	return 0;
}

int kb_maintainers_parse(const char *text, size_t len, struct kb_maintainers **ret)
{
	return parse(text, len, "MAINTAINERS", ret);
}

int kb_maintainers_load(const char *path, struct kb_maintainers **ret)
{
	struct kb_buf text = KB_BUF_INIT;
	int r = kb_read_file(path, &text);

	if (r >= 0)
		r = parse(text.buf, text.len, path, ret);
	kb_buf_release(&text);
	return r;
}

size_t kb_maintainers_count(const struct kb_maintainers *m)
{
	return m->n;
}

const char *kb_maintainers_name(const struct kb_maintainers *m, size_t i)
{
	return m->e[i].name;
}

/*
 * Does @pat (with * and ?) match a prefix of @s?  '*' takes any number of
 * characters, '/' included, so on a mismatch it is enough to let the last
 * '*' take one more character: earlier ones never need to.  That keeps the
 * match linear in practice where recursion on every '*' was exponential on
 * patterns with many of them (found by fuzz-maintainers).
 */
static bool glob_prefix(const char *pat, const char *s)
{
	const char *star = NULL, *star_s = NULL;

	for (;;) {
		if (!*pat)
			return true;
		if (*pat == '*') {
			star = ++pat;
			star_s = s;
			continue;
		}
		if (*s && (*pat == '?' || *pat == *s)) {
			pat++;
			s++;
			continue;
		}
		if (!star || !*star_s)
			return false;
		pat = star;
		s = ++star_s;
	}
}

static size_t count_slashes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

bool kb_maintainers_pattern_match(const char *pattern, const char *file)
{
	size_t len = strlen(pattern);

	if (!len)
		return false;
	/* a directory named without its '/': get_maintainer.pl adds it (-d check) */
	if (!strpbrk(pattern, "*?") && !strncmp(file, pattern, len) && file[len] == '/')
		return true;
	if (!glob_prefix(pattern, file))
		return false;
	return pattern[len - 1] == '/' || count_slashes(pattern) == count_slashes(file);
}

static bool re_match(pcre2_code *re, const char *s)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc;

	if (!md)
		return false;
	rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

bool kb_maintainers_entry_matches(const struct kb_maintainers *m, size_t i, const char *file,
				  const char *content)
{
	const struct entry *e = &m->e[i];
	bool hit = false;

	for (size_t j = 0; j < e->n_tags; j++) {
		const struct tag *t = &e->tags[j];
		if (t->type == 'X' && kb_maintainers_pattern_match(t->value, file))
			return false;
		if (hit)
			continue;
		if (t->type == 'F')
			hit = kb_maintainers_pattern_match(t->value, file);
		else if (t->type == 'N')
			hit = re_match(t->re, file);
		else if (t->type == 'K' && content)
			hit = re_match(t->re, content);
	}
	return hit;
}

static bool add_entry_recipients(const struct entry *e, struct kb_recipients *r)
{
	bool list = false;

	for (size_t j = 0; j < e->n_tags; j++) {
		const struct tag *t = &e->tags[j];
		if (t->type == 'M') {
			kb_recipients_add(r, t->value, false);
		} else if (t->type == 'R') {
			kb_recipients_add(r, t->value, true);
		} else if (t->type == 'L') {
			char *addr = kb_address_parse(t->value);
			if (addr) {
				list = true;
				kb_recipients_add(r, addr, !strcmp(addr, KB_LKML));
				free(addr);
			}
		}
	}
	return list;
}

size_t kb_maintainers_add_recipients(const struct kb_maintainers *m, const char *const *files,
				     size_t n_files, const char *content, struct kb_recipients *r)
{
	bool *hit = kb_xcalloc(m->n ? m->n : 1, sizeof(*hit));
	size_t matched = 0;
	bool list = false;

	for (size_t f = 0; f < n_files; f++) {
		bool specific = false;
		for (size_t i = 0; i < m->n; i++) {
			if (m->e[i].the_rest ||
			    !kb_maintainers_entry_matches(m, i, files[f], content))
				continue;
			hit[i] = true;
			specific = true;
		}
		if (specific)
			continue;
		/* only files nobody else covers fall back to THE REST */
		for (size_t i = 0; i < m->n; i++)
			if (m->e[i].the_rest &&
			    kb_maintainers_entry_matches(m, i, files[f], content))
				hit[i] = true;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (!hit[i])
			continue;
		matched++;
		list |= add_entry_recipients(&m->e[i], r);
	}
	if (list)
		kb_recipients_add(r, KB_LKML, true);
	free(hit);
	return matched;
}
