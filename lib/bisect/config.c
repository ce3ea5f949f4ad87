// SPDX-License-Identifier: Apache-2.0
/*
 * Bisection config parser.  jansson does the JSON; it does not remember
 * where a value was in the text, so after a successful load we walk the
 * (now known to be valid) text once more and record the line and column of
 * every key and value by path ("test.runs", "build.artifacts[1]").  Error
 * messages then point at the exact spot, like a compiler's.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "bisect/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

#define MAX_RUNS	1000
#define MAX_PARALLEL	256
#define MAX_BUILD_SLOTS 64
#define MAX_ARGV	4096

/* ---- positions of keys and values in the text ---- */

struct pos {
	char *path;
	int key_line, key_col; /* 0 for the root and array elements */
	int val_line, val_col;
};

struct scanner {
	const char *p, *end;
	int line, col; /* of the next character, 1-based */
	struct pos *pos;
	size_t n, alloc;
};

static void sc_advance(struct scanner *s)
{
	unsigned char c = (unsigned char)*s->p++;

	if (c == '\n') {
		s->line++;
		s->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		/* count characters, not UTF-8 continuation bytes (as jansson does) */
		s->col++;
	}
}

static void sc_ws(struct scanner *s)
{
	while (s->p < s->end && strchr(" \t\r\n", *s->p) && *s->p)
		sc_advance(s);
}

static struct pos *sc_add(struct scanner *s, const char *path)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 32;
		s->pos = kb_xrealloc(s->pos, s->alloc * sizeof(*s->pos));
	}
	struct pos *p = &s->pos[s->n++];
	*p = (struct pos){ .path = kb_xstrdup(path) };
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Four hex digits at @p (already checked by jansson), or -1. */
static long hex4(const char *p, const char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static void add_utf8(struct kb_buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		kb_buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		kb_buf_addch(b, (int)(0xc0 | cp >> 6));
		kb_buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		kb_buf_addch(b, (int)(0xe0 | cp >> 12));
		kb_buf_addch(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		kb_buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		kb_buf_addch(b, (int)(0xf0 | cp >> 18));
		kb_buf_addch(b, (int)(0x80 | (cp >> 12 & 0x3f)));
		kb_buf_addch(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		kb_buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * Read a string token and decode it into @out (NULL: just skip it), so that
 * a key written as "\u0072uns" is found under "runs" as jansson sees it.
 */
static void sc_string(struct scanner *s, struct kb_buf *out)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

	sc_advance(s); /* opening quote */
	while (s->p < s->end && *s->p != '"') {
		if (*s->p != '\\' || s->p + 1 >= s->end) {
			if (out)
				kb_buf_addch(out, *s->p);
			sc_advance(s);
			continue;
		}
		sc_advance(s);
		const char *e = strchr(esc_in, *s->p);
		if (*s->p == 'u') {
			long cp = hex4(s->p + 1, s->end), lo;
			for (int i = 0; i < 5 && s->p < s->end; i++)
				sc_advance(s);
			/* a surrogate pair is two escapes */
			if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 6 && s->p[0] == '\\' &&
			    s->p[1] == 'u' && (lo = hex4(s->p + 2, s->end)) >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				for (int i = 0; i < 6; i++)
					sc_advance(s);
			}
			if (out && cp >= 0)
				add_utf8(out, (unsigned long)cp);
			continue;
		}
		if (out && e && *e)
			kb_buf_addch(out, esc_out[e - esc_in]);
		sc_advance(s);
	}
	if (s->p < s->end)
		sc_advance(s); /* closing quote */
}

/* Skip a value nested too deep to be of interest, without recursion. */
static void sc_skip(struct scanner *s)
{
	int depth = 0;

	do {
		if (*s->p == '"') {
			sc_string(s, NULL);
			continue;
		}
		if (*s->p == '{' || *s->p == '[')
			depth++;
		else if (*s->p == '}' || *s->p == ']')
			depth--;
		sc_advance(s);
	} while (s->p < s->end && depth > 0);
}

static void sc_value(struct scanner *s, const char *path, struct pos *slot, int depth)
{
	sc_ws(s);
	if (s->p >= s->end)
		return;
	slot->val_line = s->line;
	slot->val_col = s->col;
	/* nothing we report on is this deep; bound our own recursion */
	if (depth > 32 && (*s->p == '{' || *s->p == '[')) {
		sc_skip(s);
		return;
	}
	if (*s->p == '{' || *s->p == '[') {
		bool obj = *s->p == '{';
		char close = obj ? '}' : ']';
		size_t idx = 0;

		sc_advance(s);
		for (;;) {
			struct kb_buf child = KB_BUF_INIT;
			struct pos *cp;
			int kl = 0, kc = 0;

			sc_ws(s);
			if (s->p >= s->end || *s->p == close) {
				kb_buf_release(&child);
				break;
			}
			if (obj) {
				struct kb_buf key = KB_BUF_INIT;
				kl = s->line;
				kc = s->col;
				sc_string(s, &key);
				sc_ws(s);
				if (s->p < s->end && *s->p == ':')
					sc_advance(s);
				kb_buf_addf(&child, "%s%s%s", path, *path ? "." : "", key.buf);
				kb_buf_release(&key);
			} else {
				kb_buf_addf(&child, "%s[%zu]", path, idx++);
			}
			cp = sc_add(s, child.buf);
			cp->key_line = kl;
			cp->key_col = kc;
			/* sc_value may grow (move) the array: fill a copy, store it after */
			struct pos tmp = *cp;
			size_t at = (size_t)(cp - s->pos);
			sc_value(s, child.buf, &tmp, depth + 1);
			s->pos[at] = tmp;
			kb_buf_release(&child);
			sc_ws(s);
			if (s->p < s->end && *s->p == ',')
				sc_advance(s);
			else
				break;
		}
		sc_ws(s);
		if (s->p < s->end)
			sc_advance(s);
	} else if (*s->p == '"') {
		sc_string(s, NULL);
	} else {
		while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
			sc_advance(s);
	}
}

/* ---- parse context and error helpers ---- */

struct ctx {
	const char *name;
	struct scanner sc;
	struct kb_config *cfg;
};

static const struct pos *find_pos(const struct ctx *x, const char *path)
{
	for (size_t i = 0; i < x->sc.n; i++)
		if (!strcmp(x->sc.pos[i].path, path))
			return &x->sc.pos[i];
	return NULL;
}

/*
 * Keys and values quoted in messages come from the file: a decoded "\n" or
 * other control character would break the one-line message, so show it
 * escaped, as JSON would write it.
 */
static void escape_controls(struct kb_buf *msg)
{
	_cleanup_buf_ struct kb_buf out = KB_BUF_INIT;
	size_t i;

	for (i = 0; i < msg->len; i++)
		if ((unsigned char)msg->buf[i] < 0x20 || msg->buf[i] == 0x7f)
			break;
	if (i == msg->len)
		return;
	for (i = 0; i < msg->len; i++) {
		unsigned char c = (unsigned char)msg->buf[i];

		if (c == '\n')
			kb_buf_addstr(&out, "\\n");
		else if (c == '\t')
			kb_buf_addstr(&out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			kb_buf_addf(&out, "\\u%04x", c);
		else
			kb_buf_addch(&out, (char)c);
	}
	kb_buf_reset(msg);
	kb_buf_add(msg, out.buf, out.len);
}

/* Set "NAME:LINE:COL: msg" at the key (@at_key) or value of @path. */
static int KB_PRINTF(4, 5)
	err_at(const struct ctx *x, const char *path, bool at_key, const char *fmt, ...)
{
	const struct pos *p = find_pos(x, path);
	_cleanup_buf_ struct kb_buf msg = KB_BUF_INIT;
	va_list ap;
	int line = 0, col = 0;

	if (p) {
		line = at_key && p->key_line ? p->key_line : p->val_line;
		col = at_key && p->key_line ? p->key_col : p->val_col;
	}
	va_start(ap, fmt);
	kb_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	escape_controls(&msg);
	if (line > 0)
		return kb_error_set(-EINVAL, "%s:%d:%d: %s", x->name, line, col, msg.buf);
	return kb_error_set(-EINVAL, "%s: %s", x->name, msg.buf);
}

static char *child_path(const char *section, const char *key)
{
	return *section ? kb_xasprintf("%s.%s", section, key) : kb_xstrdup(key);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			best = KB_MIN(best, up + 1);
			best = KB_MIN(best, row[j - 1] + 1);
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Every key of @obj must be in @allowed (NULL-terminated). */
static int check_keys(const struct ctx *x, json_t *obj, const char *section,
		      const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		const char *best = NULL;
		size_t best_d = SIZE_MAX;
		bool ok = false;

		for (size_t i = 0; allowed[i]; i++) {
			size_t d = edit_distance(key, allowed[i]);
			if (d == 0) {
				ok = true;
				break;
			}
			if (d < best_d) {
				best_d = d;
				best = allowed[i];
			}
		}
		if (ok)
			continue;

		_cleanup_free_ char *path = child_path(section, key);
		_cleanup_buf_ struct kb_buf msg = KB_BUF_INIT;

		if (!*section && !strcmp(key, "linux")) {
			return err_at(x, path, true, "key \"linux\" needs \"kind\": \"linux\"");
		}
		kb_buf_addf(&msg, "unknown key \"%s\"", key);
		if (*section)
			kb_buf_addf(&msg, " in \"%s\"", section);
		/* suggest only plausible typos, not any key at all */
		if (best && best_d <= 2 && best_d < strlen(key))
			kb_buf_addf(&msg, "; did you mean \"%s\"?", best);
		return err_at(x, path, true, "%s", msg.buf);
	}
	return 0;
}

static int missing(const struct ctx *x, const char *section, const char *key)
{
	if (*section)
		return err_at(x, section, false, "missing key \"%s\" in \"%s\"", key, section);
	return err_at(x, "", false, "missing key \"%s\"", key);
}

/* Optional string; *out untouched when absent. */
static int get_string(const struct ctx *x, json_t *obj, const char *section, const char *key,
		      bool required, char **out)
{
	json_t *v = json_object_get(obj, key);
	_cleanup_free_ char *path = child_path(section, key);

	if (!v)
		return required ? missing(x, section, key) : 0;
	if (!json_is_string(v))
		return err_at(x, path, false, "\"%s\" must be a string", path);
	if (!json_string_length(v))
		return err_at(x, path, false, "\"%s\" must not be empty", path);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_at(x, path, false, "\"%s\" must not contain NUL", path);
	free(*out);
	*out = kb_xstrdup(json_string_value(v));
	return 0;
}

static int get_uint(const struct ctx *x, json_t *obj, const char *section, const char *key,
		    unsigned min, unsigned max, unsigned *out)
{
	json_t *v = json_object_get(obj, key);
	_cleanup_free_ char *path = child_path(section, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return err_at(x, path, false, "\"%s\" must be an integer", path);
	json_int_t i = json_integer_value(v);
	if (i < (json_int_t)min || i > (json_int_t)max)
		return err_at(x, path, false, "\"%s\" must be between %u and %u", path, min, max);
	*out = (unsigned)i;
	return 0;
}

static int get_bool(const struct ctx *x, json_t *obj, const char *section, const char *key,
		    bool *out)
{
	json_t *v = json_object_get(obj, key);
	_cleanup_free_ char *path = child_path(section, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return err_at(x, path, false, "\"%s\" must be true or false", path);
	*out = json_is_true(v);
	return 0;
}

static int get_seconds(const struct ctx *x, json_t *obj, const char *section, const char *key,
		       double *out)
{
	json_t *v = json_object_get(obj, key);
	_cleanup_free_ char *path = child_path(section, key);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return err_at(x, path, false, "\"%s\" must be a number (seconds)", path);
	double d = json_number_value(v);
	if (!(d > 0) || d > 1e9)
		return err_at(x, path, false, "\"%s\" must be > 0 seconds", path);
	*out = d;
	return 0;
}

static int get_command(const struct ctx *x, json_t *obj, const char *section, bool required,
		       struct kb_command *out)
{
	json_t *v = json_object_get(obj, "command");
	_cleanup_free_ char *path = child_path(section, "command");

	if (!v)
		return required ? missing(x, section, "command") : 0;
	if (json_is_string(v)) {
		char *s = NULL;
		int r = get_string(x, obj, section, "command", true, &s);
		if (r < 0)
			return r;
		out->shell = s;
		return 0;
	}
	if (!json_is_array(v))
		return err_at(x, path, false, "\"%s\" must be a string or an array of strings",
			      path);
	size_t n = json_array_size(v);
	if (!n)
		return err_at(x, path, false, "\"%s\" must not be an empty array", path);
	if (n > MAX_ARGV)
		return err_at(x, path, false, "\"%s\" has more than %d arguments", path, MAX_ARGV);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		_cleanup_free_ char *ep = kb_xasprintf("%s[%zu]", path, i);
		if (!json_is_string(e))
			return err_at(x, ep, false, "\"%s\" must be a string", ep);
		if (strlen(json_string_value(e)) != json_string_length(e))
			return err_at(x, ep, false, "\"%s\" must not contain NUL", ep);
		if (i == 0 && !json_string_length(e))
			return err_at(x, ep, false, "\"%s\" (the program) must not be empty", ep);
	}
	out->argv = kb_xcalloc(n + 1, sizeof(char *));
	out->argc = n;
	for (size_t i = 0; i < n; i++)
		out->argv[i] = kb_xstrdup(json_string_value(json_array_get(v, i)));
	return 0;
}

static int get_artifacts(const struct ctx *x, json_t *obj, struct kb_config *c)
{
	json_t *v = json_object_get(obj, "artifacts");

	if (!v)
		return 0;
	if (!json_is_array(v))
		return err_at(x, "build.artifacts", false,
			      "\"build.artifacts\" must be an array of strings");
	size_t n = json_array_size(v);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		_cleanup_free_ char *ep = kb_xasprintf("build.artifacts[%zu]", i);
		if (!json_is_string(e))
			return err_at(x, ep, false, "\"%s\" must be a string", ep);
		const char *s = json_string_value(e);
		if (!*s || strlen(s) != json_string_length(e))
			return err_at(x, ep, false, "\"%s\" must be a non-empty path", ep);
		/* artifacts live in the work tree: an escape from it is a config bug */
		if (*s == '/' || !strcmp(s, "..") || !strncmp(s, "../", 3) || strstr(s, "/../"))
			return err_at(x, ep, false, "\"%s\" must be a path inside the work tree",
				      ep);
	}
	c->build.artifacts = kb_xcalloc(n + 1, sizeof(char *));
	c->build.n_artifacts = n;
	for (size_t i = 0; i < n; i++)
		c->build.artifacts[i] = kb_xstrdup(json_string_value(json_array_get(v, i)));
	return 0;
}

static int get_object(const struct ctx *x, json_t *root, const char *key, json_t **out)
{
	json_t *v = json_object_get(root, key);

	*out = v;
	if (v && !json_is_object(v))
		return err_at(x, key, false, "\"%s\" must be an object", key);
	return 0;
}

/* ---- the schema ---- */

static const char *const top_keys[] = { "kind",		"repo",	      "bad",	     "good",
					"release_tags", "title",      "build",	     "test",
					"strategy",	"confidence", "time_budget", NULL };
static const char *const top_keys_linux[] = {
	"kind", "repo",	    "bad",	  "good",	 "release_tags", "title", "build",
	"test", "strategy", "confidence", "time_budget", "linux",	 NULL
};
static const char *const build_keys[] = { "command", "artifacts", "timeout", "slots", NULL };
static const char *const test_keys[] = { "backend", "command",	  "runs", "parallel",
					 "timeout", "runs_ahead", NULL };

const char *kb_strategy_name(enum kb_strategy s)
{
	return s == KB_STRATEGY_REFERENCE ? "reference" : "bayes";
}

int kb_strategy_parse(const char *name, enum kb_strategy *ret)
{
	if (!strcmp(name, "bayes"))
		*ret = KB_STRATEGY_BAYES;
	else if (!strcmp(name, "reference"))
		*ret = KB_STRATEGY_REFERENCE;
	else
		return kb_error_set(-EINVAL, "unknown strategy '%s'; use bayes or reference", name);
	return 0;
}

char *kb_config_resolve(const struct kb_config *c, const char *path)
{
	if (path[0] == '/')
		return kb_xstrdup(path);
	if (!strcmp(c->dir, "/"))
		return kb_xasprintf("/%s", path);
	return kb_xasprintf("%s/%s", c->dir, path);
}

static int parse_kind(const struct ctx *x, json_t *root, struct kb_config *c)
{
	_cleanup_free_ char *kind = NULL;
	int r = get_string(x, root, "", "kind", false, &kind);

	if (r < 0)
		return r;
	if (!kind || !strcmp(kind, "generic"))
		c->kind = KB_CONFIG_GENERIC;
	else if (!strcmp(kind, "linux"))
		c->kind = KB_CONFIG_LINUX;
	else
		return err_at(x, "kind", false, "\"kind\" must be \"generic\" or \"linux\"");
	return 0;
}

static int parse_build(const struct ctx *x, json_t *build, struct kb_config *c)
{
	int r;

	if (!build)
		return 0;
	/* kernels are built by the "linux" section; "build" may only set slots */
	if ((r = get_command(x, build, "build", c->kind != KB_CONFIG_LINUX, &c->build.command)) <
		    0 ||
	    (r = get_artifacts(x, build, c)) < 0 ||
	    (r = get_seconds(x, build, "build", "timeout", &c->build.timeout)) < 0 ||
	    (r = get_uint(x, build, "build", "slots", 0, MAX_BUILD_SLOTS, &c->build.slots)) < 0)
		return r;
	return 0;
}

static int parse_test(const struct ctx *x, json_t *test, struct kb_config *c)
{
	int r;

	if (!test)
		return missing(x, "", "test");
	if ((r = get_string(x, test, "test", "backend", false, &c->test.backend)) < 0 ||
	    /* kernels: the reproducer in the "linux" section can stand in for it */
	    (r = get_command(x, test, "test", c->kind != KB_CONFIG_LINUX, &c->test.command)) < 0 ||
	    (r = get_uint(x, test, "test", "runs", 1, MAX_RUNS, &c->test.runs)) < 0 ||
	    (r = get_uint(x, test, "test", "parallel", 1, MAX_PARALLEL, &c->test.parallel)) < 0 ||
	    (r = get_seconds(x, test, "test", "timeout", &c->test.timeout)) < 0 ||
	    (r = get_bool(x, test, "test", "runs_ahead", &c->test.runs_ahead)) < 0)
		return r;
	/* a VM backend only makes sense for kernels */
	if (strcmp(c->test.backend, "local") != 0 &&
	    (c->kind != KB_CONFIG_LINUX || strcmp(c->test.backend, "qemu") != 0))
		return err_at(x, "test.backend", false, "\"test.backend\" must be %s",
			      c->kind == KB_CONFIG_LINUX ? "\"local\" or \"qemu\"" : "\"local\"");
	return 0;
}

static int parse_repo(const struct ctx *x, json_t *root, struct kb_config *c)
{
	_cleanup_free_ char *repo = NULL;
	int r = get_string(x, root, "", "repo", true, &repo);

	if (r < 0 || !repo)
		return r < 0 ? r : missing(x, "", "repo");
	_cleanup_free_ char *joined = kb_config_resolve(c, repo);
	char *real = realpath(joined, NULL);
	if (!real || !kb_is_dir(real)) {
		free(real);
		return err_at(x, "repo", false, "\"repo\": '%s' is not a directory", joined);
	}
	c->repo = real;
	return 0;
}

static int parse_root(const struct ctx *x, json_t *root, struct kb_config *c)
{
	json_t *build, *test, *v;
	_cleanup_free_ char *strategy = NULL;
	int r;

	if ((r = parse_kind(x, root, c)) < 0)
		return r;
	if ((r = check_keys(x, root, "", c->kind == KB_CONFIG_LINUX ? top_keys_linux : top_keys)) <
	    0)
		return r;
	if ((r = get_object(x, root, "build", &build)) < 0 ||
	    (r = get_object(x, root, "test", &test)) < 0)
		return r;
	/* typos anywhere first: a misspelled key also looks like a missing one */
	if ((build && (r = check_keys(x, build, "build", build_keys)) < 0) ||
	    (test && (r = check_keys(x, test, "test", test_keys)) < 0))
		return r;
	if ((r = get_string(x, root, "", "bad", true, &c->bad)) < 0 ||
	    (r = get_string(x, root, "", "good", false, &c->good)) < 0 ||
	    (r = get_string(x, root, "", "release_tags", false, &c->release_tags)) < 0 ||
	    (r = get_string(x, root, "", "title", false, &c->title)) < 0 ||
	    (r = get_string(x, root, "", "strategy", false, &strategy)) < 0)
		return r;
	if (strategy && kb_strategy_parse(strategy, &c->strategy) < 0)
		return err_at(x, "strategy", false,
			      "\"strategy\" must be \"bayes\" or \"reference\"");
	v = json_object_get(root, "confidence");
	if (v) {
		if (!json_is_number(v))
			return err_at(x, "confidence", false, "\"confidence\" must be a number");
		c->confidence = json_number_value(v);
		if (!(c->confidence >= 0.5 && c->confidence < 1))
			return err_at(x, "confidence", false,
				      "\"confidence\" must be at least 0.5 and below 1");
	}
	if ((r = get_seconds(x, root, "", "time_budget", &c->time_budget)) < 0)
		return r;
	v = json_object_get(root, "linux");
	if (v) {
		if (!json_is_object(v))
			return err_at(x, "linux", false, "\"linux\" must be an object");
		c->linux_section = json_incref(v);
	}
	if ((r = parse_build(x, build, c)) < 0 || (r = parse_test(x, test, c)) < 0)
		return r;
	/* the file system last: a typo elsewhere is reported first */
	return parse_repo(x, root, c);
}

/* ---- canonical form and hash ---- */

static json_t *command_json(const struct kb_command *cmd)
{
	if (cmd->shell)
		return json_string(cmd->shell);
	if (!cmd->argv)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < cmd->argc; i++)
		json_array_append_new(a, json_string(cmd->argv[i]));
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *kb_config_to_json(const struct kb_config *c)
{
	json_t *o = json_object(), *build = json_object(), *test = json_object();
	json_t *arts = json_array();

	json_object_set_new(o, "kind",
			    json_string(c->kind == KB_CONFIG_LINUX ? "linux" : "generic"));
	json_object_set_new(o, "repo", str_or_null(c->repo));
	json_object_set_new(o, "bad", str_or_null(c->bad));
	json_object_set_new(o, "good", str_or_null(c->good));
	json_object_set_new(o, "release_tags", str_or_null(c->release_tags));
	json_object_set_new(o, "title", str_or_null(c->title));
	for (size_t i = 0; i < c->build.n_artifacts; i++)
		json_array_append_new(arts, json_string(c->build.artifacts[i]));
	json_object_set_new(build, "command", command_json(&c->build.command));
	json_object_set_new(build, "artifacts", arts);
	json_object_set_new(build, "timeout", json_real(c->build.timeout));
	json_object_set_new(build, "slots", json_integer(c->build.slots));
	json_object_set_new(o, "build", build);
	json_object_set_new(test, "backend", str_or_null(c->test.backend));
	json_object_set_new(test, "command", command_json(&c->test.command));
	json_object_set_new(test, "runs", json_integer(c->test.runs));
	json_object_set_new(test, "parallel", json_integer(c->test.parallel));
	json_object_set_new(test, "timeout", json_real(c->test.timeout));
	/* only when off: the hash of every config written before it stays */
	if (!c->test.runs_ahead)
		json_object_set_new(test, "runs_ahead", json_false());
	json_object_set_new(o, "test", test);
	json_object_set_new(o, "strategy", json_string(kb_strategy_name(c->strategy)));
	json_object_set_new(o, "confidence", json_real(c->confidence));
	if (c->time_budget > 0)
		json_object_set_new(o, "time_budget", json_real(c->time_budget));
	if (c->linux_section)
		json_object_set(o, "linux", c->linux_section);
	return o;
}

static int config_hash(struct kb_config *c)
{
	json_t *j = kb_config_to_json(c);
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	if (!text)
		return kb_error_set(-ENOMEM, "cannot hash the config");
	kb_sha256_hex(text, strlen(text), c->hash);
	return 0;
}

/* ---- entry points ---- */

static void command_clear(struct kb_command *cmd)
{
	free(cmd->shell);
	for (size_t i = 0; cmd->argv && i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
}

void kb_config_free(struct kb_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->dir);
	free(c->repo);
	free(c->bad);
	free(c->good);
	free(c->release_tags);
	free(c->title);
	command_clear(&c->build.command);
	for (size_t i = 0; i < c->build.n_artifacts; i++)
		free(c->build.artifacts[i]);
	free(c->build.artifacts);
	free(c->test.backend);
	command_clear(&c->test.command);
	json_decref(c->linux_section);
	free(c);
}

static void config_defaults(struct kb_config *c)
{
	c->kind = KB_CONFIG_GENERIC;
	c->release_tags = kb_xstrdup(KB_CONFIG_DEFAULT_RELEASE_TAGS);
	c->build.timeout = KB_CONFIG_DEFAULT_BUILD_TIMEOUT;
	c->build.slots = KB_CONFIG_DEFAULT_BUILD_SLOTS;
	c->test.backend = kb_xstrdup(KB_CONFIG_DEFAULT_TEST_BACKEND);
	c->test.runs = KB_CONFIG_DEFAULT_TEST_RUNS;
	c->test.parallel = KB_CONFIG_DEFAULT_TEST_PARALLEL;
	c->test.runs_ahead = true;
	c->test.timeout = KB_CONFIG_DEFAULT_TEST_TIMEOUT;
	c->strategy = KB_STRATEGY_BAYES;
	c->confidence = KB_CONFIG_DEFAULT_CONFIDENCE;
}

int kb_config_parse(const char *text, size_t len, const char *name, const char *dir,
		    struct kb_config **ret)
{
	struct ctx x = { .name = name };
	struct kb_config *c;
	json_error_t jerr;
	json_t *root;
	int r;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		_cleanup_buf_ struct kb_buf msg = KB_BUF_INIT;

		/* jansson quotes the offending token, which may span lines */
		kb_buf_addstr(&msg, jerr.text);
		escape_controls(&msg);
		if (jerr.line > 0)
			return kb_error_set(-EINVAL, "%s:%d:%d: %s", name, jerr.line,
					    KB_MAX(jerr.column, 1), msg.buf);
		return kb_error_set(-EINVAL, "%s: %s", name, msg.buf);
	}

	x.sc = (struct scanner){ .p = text, .end = text + len, .line = 1, .col = 1 };
	struct pos *rootpos = sc_add(&x.sc, "");
	struct pos tmp = *rootpos;
	sc_value(&x.sc, "", &tmp, 0);
	x.sc.pos[0] = tmp;

	c = kb_xcalloc(1, sizeof(*c));
	c->path = kb_xstrdup(name);
	if (dir) {
		c->dir = realpath(dir, NULL);
		if (!c->dir)
			c->dir = kb_xstrdup(dir);
	} else {
		c->dir = getcwd(NULL, 0);
		if (!c->dir)
			c->dir = kb_xstrdup(".");
	}
	config_defaults(c);

	if (!json_is_object(root))
		r = err_at(&x, "", false, "the config must be a JSON object");
	else
		r = parse_root(&x, root, c);
	if (r >= 0)
		r = config_hash(c);

	json_decref(root);
	for (size_t i = 0; i < x.sc.n; i++)
		free(x.sc.pos[i].path);
	free(x.sc.pos);
	if (r < 0) {
		kb_config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int kb_config_load(const char *path, struct kb_config **ret)
{
	_cleanup_buf_ struct kb_buf text = KB_BUF_INIT;
	_cleanup_free_ char *dir = kb_xstrdup(path);
	char *slash = strrchr(dir, '/');
	int r;

	r = kb_read_file(path, &text);
	if (r < 0)
		return r;
	if (!slash) {
		free(dir);
		dir = kb_xstrdup(".");
	} else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return kb_config_parse(text.buf, text.len, path, dir, ret);
}
