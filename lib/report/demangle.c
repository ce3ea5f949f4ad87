// SPDX-License-Identifier: Apache-2.0
/*
 * Small demanglers for stack-frame names (see demangle.h).
 *
 * Rust v0 ("_R"): paths, trait impls ("<T as Trait>::f"), generic
 * arguments, the common types and back-references.  C++ Itanium ("_Z"):
 * plain, nested ("N..E") and std:: names, constructors and destructors; the
 * parameter types are not printed.  Rust's legacy scheme is Itanium-shaped
 * and handled by the same code (hash dropped, "$LT$"-style escapes decoded).
 *
 * The input is untrusted (console output): recursion depth, output size
 * and back-reference direction are bounded so a crafted name cannot loop
 * or blow up.
 */
#include <ctype.h>
#include <string.h>
#include "report/demangle.h"
#include "util/buf.h"

#define MAX_DEPTH 64
#define MAX_OUT	  1024

struct dm {
	const char *s;
	size_t len, pos;
	int depth;
	bool err;
	bool in_type; /* generic args of a type print as "T<A>", of a value as "f::<A>" */
	struct kb_buf *out;
};

static int peek(struct dm *d)
{
	return d->pos < d->len ? (unsigned char)d->s[d->pos] : 0;
}

static bool eat(struct dm *d, char c)
{
	if (peek(d) == c) {
		d->pos++;
		return true;
	}
	return false;
}

static void emit(struct dm *d, const char *s, size_t n)
{
	if (d->out->len + n > MAX_OUT) {
		d->err = true;
		return;
	}
	/*
	 * Identifiers are copied from the input; NUL or control bytes there
	 * are no symbol name (and would cut or split the frame line).
	 */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			d->err = true;
			return;
		}
	}
	kb_buf_add(d->out, s, n);
}

static void emits(struct dm *d, const char *s)
{
	emit(d, s, strlen(s));
}

static bool enter(struct dm *d)
{
	if (d->err || ++d->depth > MAX_DEPTH) {
		d->err = true;
		return false;
	}
	return true;
}

static size_t decimal(struct dm *d)
{
	size_t v = 0;

	if (!isdigit(peek(d))) {
		d->err = true;
		return 0;
	}
	/* no leading zeros except "0" itself */
	if (peek(d) == '0') {
		d->pos++;
		return 0;
	}
	while (isdigit(peek(d))) {
		v = v * 10 + (size_t)(peek(d) - '0');
		d->pos++;
		if (v > d->len) {
			d->err = true;
			return 0;
		}
	}
	return v;
}

/* --- Rust v0 ------------------------------------------------------------------ */

/* Disambiguators are 64-bit hashes: the value may wrap (unsigned), harmless. */
static uint64_t base62(struct dm *d)
{
	uint64_t v = 0;

	if (eat(d, '_'))
		return 0;
	while (!d->err) {
		int c = peek(d);

		if (c == '_') {
			d->pos++;
			return v + 1;
		}
		if (isdigit(c))
			v = v * 62 + (uint64_t)(c - '0');
		else if (islower(c))
			v = v * 62 + (uint64_t)(c - 'a' + 10);
		else if (isupper(c))
			v = v * 62 + (uint64_t)(c - 'A' + 36);
		else
			d->err = true;
		d->pos++;
	}
	return 0;
}

static uint64_t disambiguator(struct dm *d)
{
	return eat(d, 's') ? base62(d) + 1 : 0;
}

static void ident(struct dm *d, const char **name, size_t *nlen)
{
	size_t n;

	disambiguator(d);
	if (peek(d) == 'u') {
		d->err = true; /* punycode: not decoded */
		return;
	}
	n = decimal(d);
	eat(d, '_');
	if (d->err || n > d->len - d->pos) {
		d->err = true;
		return;
	}
	*name = d->s + d->pos;
	*nlen = n;
	d->pos += n;
}

static void rust_path(struct dm *d);
static void rust_type(struct dm *d);

/* Follow a back-reference: parse @fn at an earlier position. */
static void backref(struct dm *d, void (*fn)(struct dm *))
{
	size_t at = d->pos - 1, target = (size_t)base62(d), save;

	/* positions count from after "_R"; only strictly backwards */
	target += 2;
	if (d->err || target >= at) {
		d->err = true;
		return;
	}
	save = d->pos;
	d->pos = target;
	fn(d);
	d->pos = save;
}

/* Items until 'E', separated by ", ", between @open and @close. */
static void seq(struct dm *d, const char *open, const char *close, void (*item)(struct dm *))
{
	bool first = true;

	emits(d, open);
	while (!d->err && !eat(d, 'E')) {
		if (d->pos >= d->len) {
			d->err = true;
			break;
		}
		if (!first)
			emits(d, ", ");
		first = false;
		item(d);
	}
	emits(d, close);
}

/* A constant (array length, const generic): its type, then hex digits. */
static void const_value(struct dm *d)
{
	rust_type(d);
	eat(d, 'n');
	while (isxdigit(peek(d)))
		d->pos++;
	eat(d, '_');
}

static void generic_arg(struct dm *d)
{
	if (eat(d, 'L')) {
		base62(d);
		emits(d, "'_");
	} else if (eat(d, 'K')) {
		if (eat(d, 'p'))
			emits(d, "_");
		else
			const_value(d);
	} else {
		rust_type(d);
	}
}

/* The path of an impl block: parsed but not shown ("<T as Trait>" is). */
static void skip_path(struct dm *d)
{
	struct kb_buf *save = d->out, skip = KB_BUF_INIT;

	disambiguator(d);
	d->out = &skip;
	rust_path(d);
	d->out = save;
	kb_buf_release(&skip);
}

static void rust_path(struct dm *d)
{
	const char *name = NULL;
	size_t nlen = 0;
	int c;

	if (!enter(d))
		return;
	c = peek(d);
	d->pos++;
	switch (c) {
	case 'C': /* crate root */
		ident(d, &name, &nlen);
		emit(d, name, nlen);
		break;
	case 'N': {
		int ns = peek(d);

		d->pos++;
		rust_path(d);
		ident(d, &name, &nlen);
		if (isupper(ns)) {
			/* closures and shims: "{closure#0}" */
			emits(d, "::{");
			emits(d, ns == 'C' ? "closure" : ns == 'S' ? "shim" : "?");
			if (nlen) {
				emits(d, ":");
				emit(d, name, nlen);
			}
			emits(d, "#0}");
		} else if (nlen) {
			emits(d, "::");
			emit(d, name, nlen);
		}
		break;
	}
	case 'M': /* inherent impl: <T> */
		skip_path(d);
		emits(d, "<");
		rust_type(d);
		emits(d, ">");
		break;
	case 'X': /* trait impl: <T as Trait> */
		skip_path(d);
		emits(d, "<");
		rust_type(d);
		emits(d, " as ");
		rust_path(d);
		emits(d, ">");
		break;
	case 'Y': /* trait definition: <T as Trait> */
		emits(d, "<");
		rust_type(d);
		emits(d, " as ");
		rust_path(d);
		emits(d, ">");
		break;
	case 'I':
		rust_path(d);
		if (!d->in_type)
			emits(d, "::");
		seq(d, "<", ">", generic_arg);
		break;
	case 'B':
		backref(d, rust_path);
		break;
	default:
		d->err = true;
	}
	d->depth--;
}

static const char *basic_type(int c)
{
	switch (c) {
	case 'a':
		return "i8";
	case 'b':
		return "bool";
	case 'c':
		return "char";
	case 'd':
		return "f64";
	case 'e':
		return "str";
	case 'f':
		return "f32";
	case 'h':
		return "u8";
	case 'i':
		return "isize";
	case 'j':
		return "usize";
	case 'l':
		return "i32";
	case 'm':
		return "u32";
	case 'n':
		return "i128";
	case 'o':
		return "u128";
	case 'p':
		return "_";
	case 's':
		return "i16";
	case 't':
		return "u16";
	case 'u':
		return "()";
	case 'v':
		return "...";
	case 'x':
		return "i64";
	case 'y':
		return "u64";
	case 'z':
		return "!";
	default:
		return NULL;
	}
}

static void rust_type(struct dm *d)
{
	int c = peek(d);
	const char *b = basic_type(c);

	if (!enter(d))
		return;
	if (b) {
		d->pos++;
		emits(d, b);
	} else if (c == 'R' || c == 'Q') {
		d->pos++;
		if (eat(d, 'L'))
			base62(d);
		emits(d, c == 'R' ? "&" : "&mut ");
		rust_type(d);
	} else if (c == 'P' || c == 'O') {
		d->pos++;
		emits(d, c == 'P' ? "*const " : "*mut ");
		rust_type(d);
	} else if (c == 'S') {
		d->pos++;
		emits(d, "[");
		rust_type(d);
		emits(d, "]");
	} else if (c == 'A') {
		d->pos++;
		emits(d, "[");
		rust_type(d);
		emits(d, "; _]");
		const_value(d);
	} else if (c == 'T') {
		d->pos++;
		seq(d, "(", ")", rust_type);
	} else if (c == 'B') {
		d->pos++;
		backref(d, rust_type);
	} else if (c && strchr("CNMXYI", c)) {
		bool save = d->in_type;

		d->in_type = true;
		rust_path(d);
		d->in_type = save;
	} else {
		d->err = true; /* fn pointers, dyn traits: not decoded */
	}
	d->depth--;
}

static char *rust_v0(const char *s, size_t len)
{
	struct kb_buf out = KB_BUF_INIT;
	struct dm d = { .s = s, .len = len, .pos = 2, .out = &out };

	/* optional encoding version */
	if (isdigit(peek(&d)))
		decimal(&d);
	rust_path(&d);
	/* an instantiating crate may follow; ignored */
	if (d.err || !out.len) {
		kb_buf_release(&out);
		return NULL;
	}
	return kb_buf_detach(&out, NULL);
}

/* --- C++ Itanium (and Rust legacy) --------------------------------------------- */

/* Rust legacy escapes inside identifiers: "$LT$" -> "<", ".." -> "::". */
static void emit_legacy(struct dm *d, const char *s, size_t n)
{
	static const struct {
		const char *esc, *to;
	} map[] = { { "$LT$", "<" },  { "$GT$", ">" },	{ "$RF$", "&" },  { "$BP$", "*" },
		    { "$C$", "," },   { "$u20$", " " }, { "$u27$", "'" }, { "$u5b$", "[" },
		    { "$u5d$", "]" }, { "$u7b$", "{" }, { "$u7d$", "}" }, { "$u7e$", "~" },
		    { "$SP$", "@" },  { "$u22$", "\"" } };
	size_t i = 0;

	if (n && s[0] == '_' && n > 1 && s[1] == '$') {
		s++;
		n--;
	}
	while (i < n) {
		bool done = false;

		if (s[i] == '$') {
			for (size_t k = 0; k < KB_ARRAY_SIZE(map); k++) {
				size_t l = strlen(map[k].esc);

				if (n - i >= l && !strncmp(s + i, map[k].esc, l)) {
					emits(d, map[k].to);
					i += l;
					done = true;
					break;
				}
			}
		} else if (s[i] == '.' && i + 1 < n && s[i + 1] == '.') {
			emits(d, "::");
			i += 2;
			done = true;
		}
		if (!done)
			emit(d, s + i++, 1);
	}
}

static bool rust_hash(const char *s, size_t n)
{
	if (n != 17 || s[0] != 'h')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* One unqualified name; @last is the enclosing class name (for ctors). */
static void cxx_unqualified(struct dm *d, const char **last, size_t *last_len, bool legacy)
{
	int c = peek(d);

	if (isdigit(c)) {
		size_t n = decimal(d);

		if (d->err || n > d->len - d->pos) {
			d->err = true;
			return;
		}
		if (!(legacy && rust_hash(d->s + d->pos, n))) {
			if (d->out->len)
				emits(d, "::");
			if (legacy)
				emit_legacy(d, d->s + d->pos, n);
			else
				emit(d, d->s + d->pos, n);
		}
		*last = d->s + d->pos;
		*last_len = n;
		d->pos += n;
	} else if ((c == 'C' || c == 'D') && *last) {
		/* "C1"/"D1": the byte after the letter is only read when it is there */
		if (d->pos + 1 >= d->len || !isdigit((unsigned char)d->s[d->pos + 1])) {
			d->err = true;
			return;
		}
		d->pos += 2;
		emits(d, "::");
		if (c == 'D')
			emits(d, "~");
		emit(d, *last, *last_len);
	} else {
		d->err = true; /* operators, templates, ...: not decoded */
	}
}

static char *itanium(const char *s, size_t len)
{
	struct kb_buf out = KB_BUF_INIT;
	struct dm d = { .s = s, .len = len, .pos = 2, .out = &out };
	const char *last = NULL;
	size_t last_len = 0;
	bool legacy = false;

	if (eat(&d, 'N')) {
		/* cv- and ref-qualifiers of member functions */
		while (peek(&d) == 'K' || peek(&d) == 'V' || peek(&d) == 'r' || peek(&d) == 'R' ||
		       peek(&d) == 'O')
			d.pos++;
		/* Rust legacy symbols end with a 17-char "h<hash>" component */
		legacy = memmem(s, len, "17h", 3) != NULL;
		if (d.pos + 1 < len && s[d.pos] == 'S' && s[d.pos + 1] == 't') {
			d.pos += 2;
			emits(&d, "std");
		}
		while (!d.err && !eat(&d, 'E')) {
			if (d.pos >= len) {
				d.err = true;
				break;
			}
			cxx_unqualified(&d, &last, &last_len, legacy);
		}
	} else {
		if (d.pos + 1 < len && s[d.pos] == 'S' && s[d.pos + 1] == 't') {
			d.pos += 2;
			emits(&d, "std");
		}
		cxx_unqualified(&d, &last, &last_len, false);
	}
	/* what follows (parameter types) is not printed */
	if (d.err || !out.len) {
		kb_buf_release(&out);
		return NULL;
	}
	return kb_buf_detach(&out, NULL);
}

char *kb_demangle(const char *name, size_t len)
{
	size_t base = len;
	char *r = NULL;

	if (len < 3 || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	/* compiler suffixes (".isra.0", ".cold") stay as they are */
	for (size_t i = 2; i < len; i++) {
		if (name[i] == '.' && !(i + 1 < len && name[i + 1] == '.')) {
			base = i;
			break;
		}
		if (name[i] == '.')
			i++;
	}
	/* a suffix is copied as it is: control bytes or NUL there make no symbol */
	for (size_t i = base; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return NULL;
	r = name[1] == 'Z' ? itanium(name, base) : rust_v0(name, base);
	if (r && base < len) {
		char *full = kb_xasprintf("%s%.*s", r, (int)(len - base), name + base);

		free(r);
		r = full;
	}
	return r;
}
