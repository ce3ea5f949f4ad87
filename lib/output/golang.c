// SPDX-License-Identifier: Apache-2.0
/*
 * Go's Duration.String() and strconv.Quote(), written from their documented
 * behaviour; tests/output compares against strings printed by Go.
 */
#include <math.h>
#include <string.h>
#include "output/golang.h"

#define NS_PER_SEC 1000000000ULL

/* "<int>[.<frac without trailing zeros>]": @v split at 10^@prec. */
static void add_fixed(struct kb_buf *b, uint64_t v, int prec)
{
	uint64_t unit = 1;
	char digits[9]; /* prec <= 9 */

	for (int i = 0; i < prec; i++)
		unit *= 10;
	kb_buf_addf(b, "%llu", (unsigned long long)(v / unit));
	if (!prec || !(v % unit))
		return;
	uint64_t frac = v % unit;
	for (int i = prec - 1; i >= 0; i--) {
		digits[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	size_t n = (size_t)prec;
	while (n && digits[n - 1] == '0')
		n--;
	kb_buf_addch(b, '.');
	kb_buf_add(b, digits, n);
}

void kb_go_duration(struct kb_buf *b, int64_t ns)
{
	/* negate in unsigned arithmetic so INT64_MIN works too */
	uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	if (ns < 0)
		kb_buf_addch(b, '-');
	if (u == 0) {
		kb_buf_addstr(b, "0s");
	} else if (u < 1000) {
		kb_buf_addf(b, "%lluns", (unsigned long long)u);
	} else if (u < 1000000) {
		add_fixed(b, u, 3);
		kb_buf_addstr(b, "\xc2\xb5s"); /* U+00B5 MICRO SIGN, as Go prints it */
	} else if (u < NS_PER_SEC) {
		add_fixed(b, u, 6);
		kb_buf_addstr(b, "ms");
	} else {
		uint64_t secs = u / NS_PER_SEC;
		uint64_t hours = secs / 3600;

		/* Go always prints the smaller units once a larger one is present */
		if (hours)
			kb_buf_addf(b, "%lluh", (unsigned long long)hours);
		if (secs >= 60)
			kb_buf_addf(b, "%llum", (unsigned long long)(secs / 60 % 60));
		add_fixed(b, secs % 60 * NS_PER_SEC + u % NS_PER_SEC, 9);
		kb_buf_addch(b, 's');
	}
}

void kb_go_duration_seconds(struct kb_buf *b, double seconds)
{
	double ns = round(seconds * 1e9);
	int64_t v;

	if (isnan(ns))
		v = 0;
	else if (ns >= 9.2e18)
		v = INT64_MAX;
	else if (ns <= -9.2e18)
		v = INT64_MIN;
	else
		v = (int64_t)ns;
	kb_go_duration(b, v);
}

/* Go's utf8.DecodeRune: 0 width (error) for anything not well-formed. */
static int decode_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if ((size_t)n > len)
		return 0;
	for (int i = 1; i < n; i++) {
		unsigned char d = s[i];
		if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = *cp << 6 | (d & 0x3f);
	}
	return n;
}

static bool in_ranges(uint32_t cp, const uint32_t (*r)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i][0] && cp <= r[i][1])
			return true;
	return false;
}

/* Approximation of Go's unicode.IsPrint for code points >= 0x80. */
static bool go_printable(uint32_t cp)
{
	static const uint32_t not_print[][2] = {
		{ 0x80, 0xa0 }, /* C1 controls, NO-BREAK SPACE */
		{ 0xad, 0xad }, /* soft hyphen */
		{ 0x600, 0x605 },      { 0x61c, 0x61c },     { 0x6dd, 0x6dd },
		{ 0x70f, 0x70f },      { 0x890, 0x891 },     { 0x8e2, 0x8e2 },
		{ 0x1680, 0x1680 },    { 0x180e, 0x180e },   { 0x2000, 0x200f },
		{ 0x2028, 0x202f },    { 0x205f, 0x2064 },   { 0x2066, 0x206f },
		{ 0x3000, 0x3000 },    { 0xd800, 0xf8ff },   { 0xfdd0, 0xfdef },
		{ 0xfeff, 0xfeff },    { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd },
		{ 0x110cd, 0x110cd },  { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a },  { 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
		{ 0xf0000, 0x10ffff },
	};

	if ((cp & 0xfffe) == 0xfffe) /* noncharacters U+xxFFFE, U+xxFFFF */
		return false;
	return !in_ranges(cp, not_print, KB_ARRAY_SIZE(not_print));
}

void kb_go_quote(struct kb_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	static const char hex[] = "0123456789abcdef";

	kb_buf_addch(b, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		uint32_t cp;
		int w;

		if (c < 0x80) {
			i++;
			if (c == '"' || c == '\\') {
				kb_buf_addch(b, '\\');
				kb_buf_addch(b, c);
			} else if (c >= 0x20 && c < 0x7f) {
				kb_buf_addch(b, c);
			} else {
				const char *esc = strchr("\aa\bb\ff\nn\rr\tt\vv", c);
				if (c && esc) {
					kb_buf_addch(b, '\\');
					kb_buf_addch(b, esc[1]);
				} else {
					kb_buf_addf(b, "\\x%c%c", hex[c >> 4], hex[c & 15]);
				}
			}
			continue;
		}
		w = decode_utf8(s + i, len - i, &cp);
		if (!w) {
			kb_buf_addf(b, "\\x%c%c", hex[c >> 4], hex[c & 15]);
			i++;
			continue;
		}
		if (go_printable(cp))
			kb_buf_add(b, s + i, (size_t)w);
		else if (cp < 0x10000)
			kb_buf_addf(b, "\\u%04x", (unsigned)cp);
		else
			kb_buf_addf(b, "\\U%08x", (unsigned)cp);
		i += (size_t)w;
	}
	kb_buf_addch(b, '"');
}

void kb_go_quote_list(struct kb_buf *b, const char *const *v, size_t n)
{
	kb_buf_addch(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kb_buf_addch(b, ' ');
		kb_go_quote(b, v[i], strlen(v[i]));
	}
	kb_buf_addch(b, ']');
}
