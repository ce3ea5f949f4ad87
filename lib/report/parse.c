// SPDX-License-Identifier: Apache-2.0
/*
 * The report parser driver (spec sections 2, 4, 5, 9, 10): console line
 * model, crash start, prefix/body assembly with the context filter and the
 * panic tail cut, title window, corruption, suppression and the flags.
 *
 * The input is never copied as a whole: the marker scan works in place and
 * only the lines of a report are copied (with '\r' removed).  A crash near
 * the start of a huge log would otherwise make the body the whole log, so the
 * body is capped (BODY_CAP); end tracking still covers the whole output.
 */
#include <errno.h>
#include <string.h>
#include "report/report-int.h"
#include "util/buf.h"
#include "util/error.h"

#define BODY_CAP    (8u << 20) /* report body bytes kept */
#define LINE_CAP    (256u << 10) /* bytes of one line copied into a report */
#define PREFIX_SCAN (1u << 20) /* how far back prefix lines are searched */

enum ctx_kind { CTX_RAW, CTX_CONSOLE, CTX_ID };

struct lctx {
	enum ctx_kind kind;
	const char *id; /* caller id "[T123]" / "[ C0]" within the line */
	size_t idlen;
	bool cpu;
};

/* "<N>"? "[ *digits.digits]" caller-id? " " at s[i]; see spec 2. */
static bool stamp_at(const char *s, size_t n, size_t i, struct lctx *c)
{
	size_t j = i, k;

	if (j < n && s[j] == '<') {
		for (k = j + 1; k < n && s[k] >= '0' && s[k] <= '9'; k++)
			;
		if (k > j + 1 && k < n && s[k] == '>')
			j = k + 1;
	}
	if (j >= n || s[j] != '[')
		return false;
	for (j++; j < n && s[j] == ' '; j++)
		;
	for (k = j; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		;
	if (k == j || k >= n || s[k] != '.')
		return false;
	for (j = ++k; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		;
	if (k == j || k >= n || s[k] != ']')
		return false;
	j = k + 1;
	if (j < n && s[j] == '[') {
		size_t id = j;

		for (k = j + 1; k < n && s[k] == ' '; k++)
			;
		if (k < n && (s[k] == 'C' || s[k] == 'T')) {
			bool cpu = s[k] == 'C';
			size_t d = ++k;

			for (; k < n && s[k] >= '0' && s[k] <= '9'; k++)
				;
			if (k > d && k + 1 < n && s[k] == ']' && s[k + 1] == ' ') {
				c->kind = CTX_ID;
				c->id = s + id;
				c->idlen = k + 1 - id;
				c->cpu = cpu;
				return true;
			}
		}
		return false;
	}
	if (j < n && s[j] == ' ') {
		c->kind = CTX_CONSOLE;
		return true;
	}
	return false;
}

static bool stamp_after_login(const char *s, size_t n, size_t base, struct lctx *c)
{
	static const char login[] = " login: ";
	size_t pos[16], np = 0;

	for (size_t i = base; i + 8 <= n && np < KB_ARRAY_SIZE(pos);) {
		const char *p = memmem(s + i, n - i, login, 8);

		if (!p)
			break;
		pos[np++] = (size_t)(p - s) + 8;
		i = (size_t)(p - s) + 1;
	}
	/* ".* login: " is greedy: the last occurrence is tried first. */
	while (np--)
		if (stamp_at(s, n, pos[np], c))
			return true;
	return stamp_at(s, n, base, c);
}

static void classify(const char *s, size_t n, struct lctx *c)
{
	static const char dropped[] = " printk messages dropped ** ";

	memset(c, 0, sizeof(*c));
	if (n >= 3 && !memcmp(s, "** ", 3)) {
		size_t k = 3;

		while (k < n && s[k] >= '0' && s[k] <= '9')
			k++;
		if (k > 3 && n - k >= sizeof(dropped) - 1 &&
		    !memcmp(s + k, dropped, sizeof(dropped) - 1) &&
		    stamp_after_login(s, n, k + sizeof(dropped) - 1, c))
			return;
	}
	if (!stamp_after_login(s, n, 0, c))
		c->kind = CTX_RAW;
}

static bool same_ctx(const struct lctx *a, const struct lctx *b)
{
	if (a->kind != b->kind)
		return false;
	return a->kind != CTX_ID || (a->idlen == b->idlen && !memcmp(a->id, b->id, a->idlen));
}

struct sline {
	struct lctx ctx;
	const char *text; /* stripped text (points into tmp) */
	size_t len;
	bool questionable;
};

/* Classify and strip one raw line; '\r' is removed into tmp. */
static void strip_line(const char *raw, size_t n, struct kb_buf *tmp, struct sline *sl)
{
	const char *s;

	kb_buf_reset(tmp);
	/* Kernel lines are short; only junk is this long, and only its head matters. */
	n = KB_MIN(n, (size_t)LINE_CAP);
	if (memchr(raw, '\r', n)) {
		for (size_t i = 0; i < n; i++)
			if (raw[i] != '\r')
				kb_buf_addch(tmp, raw[i]);
	} else {
		kb_buf_add(tmp, raw, n);
	}
	s = tmp->buf;
	n = tmp->len;
	classify(s, n, &sl->ctx);
	sl->text = s;
	sl->len = n;
	sl->questionable = false;
	if (sl->ctx.kind == CTX_RAW)
		return;
	const char *p = memmem(s, n, "] ", 2);

	if (p) {
		sl->len = n - (size_t)(p + 2 - s);
		sl->text = p + 2;
	}
	if (!memmem(sl->text, sl->len, "<EOI>", 5) &&
	    (memmem(sl->text, sl->len, " ? ", 3) ||
	     (sl->len >= 13 && !memcmp(sl->text + sl->len - 13, " (unreliable)", 13))))
		sl->questionable = true;
}

static bool contains(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* The line ending at le is followed by a "replaying" line: it was cut. */
static bool replay_cut(const char *out, size_t len, size_t le)
{
	static const char rep[] = "** replaying previous printk message **";
	const char *nl;
	size_t s, e;

	if (le >= len)
		return false;
	s = le + 1;
	nl = memchr(out + s, '\n', len - s);
	e = nl ? (size_t)(nl - out) : len;
	return memmem(out + s, e - s, rep, sizeof(rep) - 1) != NULL;
}

static int find_oops(const char *out, size_t len, size_t pos, size_t *ls, size_t *le)
{
	while (pos < len) {
		int m = kb_marker_find(out, len, pos, ls, le);

		if (m == KB_NO_MARKER)
			return m;
		if (!replay_cut(out, len, *le))
			return m;
		pos = *le + 1;
	}
	return KB_NO_MARKER;
}

bool kb_report_contains_crash(const char *out, size_t len)
{
	size_t ls, le;

	return kb_marker_find(out, len, 0, &ls, &le) != KB_NO_MARKER;
}

static const char *const not_new_report[] = {
	"invalid opcode: 0000",
	"Kernel panic - not syncing",
	"unregister_netdevice: waiting for",
	"PANIC: double fault",
	"Internal error:",
};
static const char *const info_with_stack[] = {
	"vmalloc: allocation failure:",
	"FAULT_INJECTION: forcing a failure",
	"FAULT_FLAG_ALLOW_RETRY missing",
};

static struct kb_re ts_re = { "\\[ *[0-9]+\\.[0-9]+\\]" };
static struct kb_re executor_re = { " Comm: syz\\.([0-9]+)\\.([0-9]+) " };
static struct kb_re frame_title_re = { ".* in ((?:<[a-zA-Z0-9_: ]+>)?[a-zA-Z0-9_:]+)" };
static struct kb_re suppressions[] = {
	{ "panic: failed to start executor binary" },
	{ "panic: executor failed: pthread_create failed" },
	{ "panic: failed to create temp dir" },
	{ "fatal error: unexpected signal during runtime execution" },
	{ "signal SIGBUS: bus error" },
	{ "SYZFAIL: SIGBUS" },
	{ "Out of memory: Kill process .* \\(syz-executor\\)" },
	{ "Out of memory: Kill process .* \\(sshd\\)" },
	{ "Killed process .* \\(syz-executor\\)" },
	{ "Killed process .* \\(sshd\\)" },
	{ "lowmemorykiller: Killing 'syz-executor'" },
	{ "lowmemorykiller: Killing 'sshd'" },
	{ "INIT: PANIC: segmentation violation!" },
	{ "\\*\\*\\* stack smashing detected \\*\\*\\*: terminated" },
	{ "fatal error: runtime: out of memory" },
	{ "fatal error: runtime: cannot allocate memory" },
	{ "fatal error: out of memory" },
	{ "fatal error: newosproc" },
	{ "panic: .*cannot allocate memory" },
};

void kb_parse_init(void)
{
	kb_re_compile(&ts_re);
	kb_re_compile(&executor_re);
	kb_re_compile(&frame_title_re);
	for (size_t i = 0; i < KB_ARRAY_SIZE(suppressions); i++)
		kb_re_compile(&suppressions[i]);
}

/*
 * Prefix lines (spec 4.2): the last max lines before ls with the oops
 * context, non-empty and not questionable.  Walks backwards, bounded.
 */
static void collect_prefix(const char *out, size_t pos, size_t ls, const struct lctx *c,
			   struct kb_buf *prefix)
{
	size_t max = c->kind == CTX_ID && !c->cpu ? 50 : 5;
	size_t *starts = kb_xcalloc(max, sizeof(*starts)), *lens = kb_xcalloc(max, sizeof(*lens));
	struct kb_buf tmp = KB_BUF_INIT;
	struct lctx want = *c;
	char idbuf[64];
	size_t n = 0, e = ls, limit = ls > pos + PREFIX_SCAN ? ls - PREFIX_SCAN : pos;

	/* The context id points into the oops line copy; keep our own. */
	if (want.kind == CTX_ID) {
		want.idlen = KB_MIN(want.idlen, sizeof(idbuf));
		memcpy(idbuf, want.id, want.idlen);
		want.id = idbuf;
	}
	while (e > limit && n < max) {
		/* out[e - 1] is the '\n' ending the line before e. */
		const char *nl = e - 1 > limit ? memrchr(out + limit, '\n', e - 1 - limit) : NULL;
		size_t s = nl ? (size_t)(nl - out) + 1 : limit;
		struct sline sl;

		strip_line(out + s, e - 1 - s, &tmp, &sl);
		if (same_ctx(&sl.ctx, &want) && sl.len && !sl.questionable) {
			starts[n] = s;
			lens[n] = e - 1 - s;
			n++;
		}
		e = s;
	}
	while (n--) {
		struct sline sl;

		strip_line(out + starts[n], lens[n], &tmp, &sl);
		kb_buf_add(prefix, sl.text, sl.len);
		kb_buf_addch(prefix, '\n');
	}
	kb_buf_release(&tmp);
	free(starts);
	free(lens);
}

struct body {
	struct kb_buf text;
	size_t window; /* title window length */
	size_t end; /* EndPos */
};

static void build_body(const char *out, size_t len, size_t ls, size_t le, const struct lctx *c,
		       struct body *b)
{
	struct kb_buf tmp = KB_BUF_INIT;
	size_t nm_ls = ls, nm_le = le; /* next marker line at or after the cursor */
	bool nm_valid = true, second = false, skip_text = false, nmi = false;
	bool window_always = c->kind == CTX_ID;
	size_t lines = 0, threshold = 22;
	size_t pos = ls;

	if (contains(out + ls, le - ls, "BUG: KMSAN:"))
		threshold = 16;
	b->end = le;
	while (pos < len) {
		const char *nl = memchr(out + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - out) : len;
		bool is_oops = pos == ls, is_marker = false;
		struct sline sl;

		if (b->text.len >= BODY_CAP)
			break;
		if (nm_valid && nm_ls < pos) {
			nm_valid = kb_marker_find(out, len, pos, &nm_ls, &nm_le) != KB_NO_MARKER;
		}
		if (nm_valid && nm_ls == pos && !replay_cut(out, len, end))
			is_marker = true;
		if (is_marker)
			b->end = end;
		if (!is_oops && !second) {
			if (is_marker) {
				bool benign = false;

				for (size_t i = 0; i < KB_ARRAY_SIZE(not_new_report); i++)
					benign |= contains(out + pos, end - pos, not_new_report[i]);
				second = !benign;
			}
			for (size_t i = 0; i < KB_ARRAY_SIZE(info_with_stack) && !second; i++)
				second = contains(out + pos, end - pos, info_with_stack[i]);
		}
		strip_line(out + pos, end - pos, &tmp, &sl);
		if (contains(sl.text, sl.len, "Sending NMI from CPU"))
			nmi = true;
		pos = end + 1;
		if (!is_oops &&
		    (sl.questionable ||
		     (!same_ctx(&sl.ctx, c) && !(nmi && sl.ctx.kind == CTX_ID && sl.ctx.cpu))))
			continue;
		lines++;
		bool drop = skip_text;

		/*
		 * The taint notice is dropped from the body, but never the oops
		 * line itself (interleaved output can put both on one line): a
		 * found crash always has report text.
		 */
		if (!is_oops &&
		    contains(sl.text, sl.len, "Disabling lock debugging due to kernel taint")) {
			drop = true;
		} else if (lines > threshold &&
			   (contains(sl.text, sl.len, "Kernel panic - not syncing") ||
			    contains(sl.text, sl.len,
				     "WARNING: possible circular locking dependency detected"))) {
			skip_text = true;
			drop = true;
		}
		if (drop)
			continue;
		kb_buf_add(&b->text, sl.text, sl.len);
		kb_buf_addch(&b->text, '\n');
		if (!second || window_always)
			b->window = b->text.len;
	}
	/* Past the cap only the end position is still tracked. */
	while (pos < len) {
		size_t s, e;

		if (kb_marker_find(out, len, pos, &s, &e) == KB_NO_MARKER)
			break;
		if (!replay_cut(out, len, e))
			b->end = e;
		pos = e + 1;
	}
	kb_buf_release(&tmp);
}

/* Spec 9.4: every stack start needs frames after it; some stack is needed. */
static const char *stack_check(const char *s, size_t n)
{
	bool any = false;
	struct lines {
		const char *p;
		size_t len;
	} *v = NULL;
	size_t nv = 0, alloc = 0;
	const char *reason = NULL;

	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t e = nl ? (size_t)(nl - s) : n;

		if (nv == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			v = kb_xrealloc(v, alloc * sizeof(*v));
		}
		v[nv].p = s + pos;
		v[nv++].len = e - pos;
		pos = e + 1;
	}
	/* Which stack-start kinds were seen: check each kind's first line only. */
	bool seen[16] = { 0 };

	for (size_t i = 0; i < nv && !reason; i++) {
		size_t kinds[16], nk = kb_stack_start_kind(v[i].p, v[i].len, kinds);

		for (size_t k = 0; k < nk && !reason; k++) {
			bool found = false;

			if (seen[kinds[k]])
				continue;
			seen[kinds[k]] = true;
			/*
			 * The body split at newlines from the start line on, counting
			 * the empty piece after the final newline, needs 4 pieces.
			 */
			if (nv - i + 1 < 4) {
				reason = "call trace is missed";
				break;
			}
			if (kinds[k] == KB_STACK_START_RISCV) {
				any = true;
				continue;
			}
			for (size_t j = i + 1; j < nv && j <= i + 15; j++) {
				if (j > i + 1 && kb_is_stack_start(v[j].p, v[j].len, NULL))
					break;
				if (contains(v[j].p, v[j].len, "(stack is not available)") ||
				    kb_is_frame_line(v[j].p, v[j].len)) {
					found = true;
					break;
				}
			}
			if (!found)
				reason = "no frames in a stack trace";
			else
				any = true;
		}
	}
	free(v);
	if (reason)
		return reason;
	return any ? NULL : "no stack trace in report";
}

static char *title_frame(const char *title)
{
	struct kb_re_match m;

	if (!kb_re_search(&frame_title_re, title, strlen(title), &m) || m.gs[1] == (size_t)-1)
		return kb_xstrdup("");
	return kb_xstrndup(title + m.gs[1], m.ge[1] - m.gs[1]);
}

int kb_report_parse(const char *out, size_t len, size_t pos, struct kb_report **ret)
{
	size_t ls, le;
	int marker;
	struct kb_buf tmp = KB_BUF_INIT, prefix = KB_BUF_INIT;
	struct body b = { .text = KB_BUF_INIT };
	struct kb_title t;
	struct sline oops;
	struct lctx c;
	struct kb_report *r;
	const char *reason;
	struct kb_re_match m;

	if (!ret)
		return kb_error_set(-EINVAL, "kb_report_parse: no result pointer");
	*ret = NULL;
	if (!out && len)
		return kb_error_set(-EINVAL, "kb_report_parse: no input");
	if (pos >= len)
		return 0;
	kb_re_init();
	marker = find_oops(out, len, pos, &ls, &le);
	if (marker == KB_NO_MARKER)
		return 0;

	strip_line(out + ls, le - ls, &tmp, &oops);
	c = oops.ctx;
	{
		/* Keep the oops context id stable while tmp is reused. */
		static _Thread_local char idbuf[64];

		if (c.kind == CTX_ID) {
			c.idlen = KB_MIN(c.idlen, sizeof(idbuf));
			memcpy(idbuf, c.id, c.idlen);
			c.id = idbuf;
		}
	}
	collect_prefix(out, pos, ls, &c, &prefix);
	build_body(out, len, ls, le, &c, &b);
	kb_title_extract(b.text.buf, b.window, marker, &t);

	r = kb_xcalloc(1, sizeof(*r));
	r->start = ls;
	r->skip = le;
	r->end = KB_MAX(b.end, le);
	r->title = kb_title_normalize(t.title);
	for (size_t i = 0; i < t.n_alt; i++) {
		char *a = kb_title_normalize(t.alt[i]);
		bool dup = !strcmp(a, r->title);

		for (size_t j = 0; j < r->n_alt && !dup; j++)
			dup = !strcmp(r->alt_titles[j], a);
		if (dup)
			free(a);
		else
			r->alt_titles[r->n_alt++] = a;
	}
	r->type = kb_xstrdup(kb_report_title_type(r->title));
	r->frame = title_frame(r->title);

	reason = t.corrupted;
	if (!reason && kb_re_match(&ts_re, t.title, strlen(t.title)))
		reason = "title contains a timestamp";
	if (!reason && !t.fallback && !t.nsc)
		reason = stack_check(b.text.buf, b.text.len);
	if (!reason && memmem(out + pos, len - pos, "serialport: VM disconnected.", 28))
		reason = "VM disconnected";
	r->corrupted = reason != NULL;
	r->corrupted_reason = kb_xstrdup(reason ? reason : "");

	for (size_t i = 0; i < KB_ARRAY_SIZE(suppressions) && !r->suppressed; i++)
		r->suppressed = kb_re_match(&suppressions[i], out + pos, len - pos);
	r->panicked = memmem(out + pos, len - pos, "Kernel panic - not syncing", 26) != NULL;
	if (kb_re_search(&executor_re, b.text.buf, b.text.len, &m))
		r->executor = kb_xasprintf("proc=%.*s, id=%.*s", (int)(m.ge[1] - m.gs[1]),
					   b.text.buf + m.gs[1], (int)(m.ge[2] - m.gs[2]),
					   b.text.buf + m.gs[2]);

	r->prefix_len = prefix.len;
	kb_buf_add(&prefix, b.text.buf, b.text.len);
	r->report = kb_buf_detach(&prefix, &r->report_len);

	kb_title_release(&t);
	kb_buf_release(&b.text);
	kb_buf_release(&tmp);
	*ret = r;
	return 1;
}

void kb_report_free(struct kb_report *r)
{
	if (!r)
		return;
	free(r->title);
	for (size_t i = 0; i < r->n_alt; i++)
		free(r->alt_titles[i]);
	free(r->type);
	free(r->frame);
	free(r->report);
	free(r->corrupted_reason);
	free(r->executor);
	free(r->guilty_file);
	free(r);
}

int kb_report_parse_all(const char *out, size_t len, struct kb_report ***ret, size_t *n)
{
	struct kb_report **v = NULL, *r;
	size_t nv = 0, pos = 0;
	int rc;

	*ret = NULL;
	*n = 0;
	while ((rc = kb_report_parse(out, len, pos, &r)) > 0) {
		v = kb_xrealloc(v, (nv + 1) * sizeof(*v));
		v[nv++] = r;
		if (r->skip < pos)
			break; /* cannot happen; guards the loop */
		pos = r->skip;
	}
	if (rc < 0) {
		kb_report_free_all(v, nv);
		return rc;
	}
	*ret = v;
	*n = nv;
	return 0;
}

void kb_report_free_all(struct kb_report **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kb_report_free(v[i]);
	free(v);
}
