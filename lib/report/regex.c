// SPDX-License-Identifier: Apache-2.0
/*
 * PCRE2 glue for the report tables.  Patterns are written in the RE2 dialect
 * of the specification; the differences that matter are handled here: "$"
 * means end of text (PCRE2_DOLLAR_ENDONLY), newlines are "\n" only, and the
 * {{ADDR}}-style placeholders are expanded before compiling.  Input is bytes,
 * so no UTF mode.
 */
#include <pthread.h>
#include <string.h>
#include "report/report-int.h"
#include "util/buf.h"

static const struct {
	const char *name;
	const char *text;
} placeholders[] = {
	{ "{{ADDR}}", "0x[0-9a-f]+" },
	{ "{{PC}}", "\\[\\<?(?:0x)?[0-9a-f]+\\>?\\]" },
	{ "{{FUNC}}", "([a-zA-Z0-9_]+)(?:\\.|\\+)" },
	{ "{{SRC}}", "([a-zA-Z0-9-_/.]+\\.[a-z]+:[0-9]+)" },
	{ "{{TASK}}", "[\\s\\S]{0,100}?" },
};

void kb_re_compile(struct kb_re *re)
{
	struct kb_buf b = KB_BUF_INIT;
	const char *s = re->src;
	pcre2_compile_context *cc;
	PCRE2_SIZE erroff;
	int err;

	if (re->code)
		return;
	while (*s) {
		size_t i;

		for (i = 0; i < KB_ARRAY_SIZE(placeholders); i++) {
			size_t n = strlen(placeholders[i].name);

			if (!strncmp(s, placeholders[i].name, n)) {
				kb_buf_addstr(&b, placeholders[i].text);
				s += n;
				break;
			}
		}
		if (i == KB_ARRAY_SIZE(placeholders))
			kb_buf_addch(&b, *s++);
	}
	cc = pcre2_compile_context_create(NULL);
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	re->code = pcre2_compile((PCRE2_SPTR)b.buf, b.len, PCRE2_DOLLAR_ENDONLY, &err, &erroff, cc);
	pcre2_compile_context_free(cc);
	if (!re->code) {
		/* A broken table entry is a programming error, not an input problem. */
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "kbisect: bad report regex '%s' at %zu: %s\n", b.buf,
			(size_t)erroff, (char *)msg);
		abort();
	}
	pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	kb_buf_release(&b);
}

/*
 * Match data and JIT stack are per thread, created on first use; the few
 * hundred bytes per thread are never freed, like the compiled tables.
 */
struct re_tls {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *p)
{
	struct re_tls *t = p;

	pcre2_match_data_free(t->md);
	pcre2_match_context_free(t->mc);
	pcre2_jit_stack_free(t->js);
	free(t);
}

static void tls_init(void)
{
	pthread_key_create(&tls_key, tls_free);
}

static struct re_tls *get_tls(void)
{
	struct re_tls *t;

	pthread_once(&tls_once, tls_init);
	t = pthread_getspecific(tls_key);
	if (t)
		return t;
	t = kb_xcalloc(1, sizeof(*t));
	t->md = pcre2_match_data_create(KB_RE_MAX_GROUPS + 8, NULL);
	t->mc = pcre2_match_context_create(NULL);
	t->js = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, NULL);
	if (!t->md || !t->mc || !t->js)
		abort();
	pcre2_jit_stack_assign(t->mc, NULL, t->js);
	pcre2_set_match_limit(t->mc, 50 * 1000 * 1000);
	pthread_setspecific(tls_key, t);
	return t;
}

bool kb_re_search(const struct kb_re *re, const char *s, size_t len, struct kb_re_match *m)
{
	struct re_tls *t = get_tls();
	PCRE2_SIZE *ov;
	int rc, i;

	kb_re_init();
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, t->md, t->mc);
	if (rc < 0)
		return false;
	if (!m)
		return true;
	ov = pcre2_get_ovector_pointer(t->md);
	m->start = ov[0];
	m->end = ov[1];
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &m->ngroups);
	if (m->ngroups > KB_RE_MAX_GROUPS)
		m->ngroups = KB_RE_MAX_GROUPS;
	for (i = 1; i <= m->ngroups; i++) {
		if (i < rc && ov[2 * i] != PCRE2_UNSET) {
			m->gs[i] = ov[2 * i];
			m->ge[i] = ov[2 * i + 1];
		} else {
			m->gs[i] = m->ge[i] = (size_t)-1;
		}
	}
	return true;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_all(void)
{
	kb_markers_init();
	kb_formats_init();
	kb_normalize_init();
	kb_parse_init();
}

void kb_re_init(void)
{
	pthread_once(&init_once, init_all);
}
