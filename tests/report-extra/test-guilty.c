// SPDX-License-Identifier: Apache-2.0
/*
 * Guilty file: every testdata/guilty case (parse, then blame) and the
 * guilty_raw case (blame the given title + report), plus unit cases for the
 * individual rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <string.h>
#include "report/report.h"
#include "util/fs.h"

static const char *shared(void)
{
	const char *s = getenv("KBISECT_SHARED");

	return s ? s : "../shared";
}

/* Header value of @key ("FILE", "TITLE") or NULL; *body = text after the blank line. */
static char *header(const char *buf, const char *key, const char **body)
{
	const char *p = buf;
	char *val = NULL;
	size_t kl = strlen(key);

	*body = NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l == 0) {
			*body = nl ? nl + 1 : p;
			break;
		}
		if (l > kl + 1 && !strncmp(p, key, kl) && p[kl] == ':' && !val)
			val = kb_xstrndup(p + kl + 2, l - kl - 2);
		p += l + (nl ? 1 : 0);
	}
	return val;
}

static int digits_only(const struct dirent *d)
{
	return d->d_name[0] && strspn(d->d_name, "0123456789") == strlen(d->d_name);
}

static void test_guilty_corpus(void **state)
{
	char *dir = kb_xasprintf("%s/testdata/guilty", shared());
	struct dirent **names;
	int cnt = scandir(dir, &names, digits_only, alphasort), ok = 0, parsed = 0;

	(void)state;
	assert_true(cnt > 0);
	for (int i = 0; i < cnt; i++) {
		char *path = kb_xasprintf("%s/%s", dir, names[i]->d_name);
		struct kb_buf in = KB_BUF_INIT;
		struct kb_report *r = NULL;
		const char *body, *report, *title = "";
		char *want, *got;
		size_t blen, rlen;

		assert_int_equal(kb_read_file(path, &in), 0);
		want = header(in.buf, "FILE", &body);
		assert_non_null(want);
		assert_non_null(body);
		blen = in.len - (size_t)(body - in.buf);
		report = body;
		rlen = blen;
		if (kb_report_parse(body, blen, 0, &r) == 1) {
			parsed++;
			title = r->title;
			/* the parsed report, when it is a suffix of the input */
			if (r->report_len <= blen &&
			    !memcmp(body + blen - r->report_len, r->report, r->report_len)) {
				/*
				 * without the context lines before the oops line;
				 * these inputs have no timestamps, so the text at
				 * ->prefix_len is the oops line of the input
				 */
				const char *ol = body + r->start, *ole = strchr(ol, '\n');
				size_t oll = ole ? (size_t)(ole - ol) : strlen(ol);

				assert_true(r->prefix_len + oll <= r->report_len);
				assert_memory_equal(r->report + r->prefix_len, ol, oll);
				assert_true(!r->prefix_len || r->report[r->prefix_len - 1] == '\n');
				report = r->report + r->prefix_len;
				rlen = r->report_len - r->prefix_len;
			}
		}
		got = report == body ? kb_report_guilty_file(title, report, rlen) :
				       kb_report_guilty(r);
		if ((got && !strcmp(got, want)) || (!got && !*want))
			ok++;
		else
			printf("guilty/%s: want %s got %s\n", names[i]->d_name, want,
			       got ? got : "(none)");
		free(got);
		free(want);
		kb_report_free(r);
		kb_buf_release(&in);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	printf("guilty: %d/%d correct (%d parsed as crashes)\n", ok, cnt, parsed);
	assert_int_equal(cnt, 68);
	assert_int_equal(ok, cnt);
}

static void test_guilty_raw(void **state)
{
	char *dir = kb_xasprintf("%s/testdata/guilty_raw", shared());
	struct dirent **names;
	int cnt = scandir(dir, &names, digits_only, alphasort), ok = 0;

	(void)state;
	assert_true(cnt > 0);
	for (int i = 0; i < cnt; i++) {
		char *path = kb_xasprintf("%s/%s", dir, names[i]->d_name);
		struct kb_buf in = KB_BUF_INIT;
		const char *body, *body2;
		char *want, *title, *got;

		assert_int_equal(kb_read_file(path, &in), 0);
		want = header(in.buf, "FILE", &body);
		title = header(in.buf, "TITLE", &body2);
		assert_non_null(want);
		assert_non_null(title);
		got = kb_report_guilty_file(title, body, in.len - (size_t)(body - in.buf));
		if (got && !strcmp(got, want))
			ok++;
		else
			printf("guilty_raw/%s: want %s got %s\n", names[i]->d_name, want,
			       got ? got : "(none)");
		free(got);
		free(want);
		free(title);
		kb_buf_release(&in);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	printf("guilty_raw: %d/%d correct\n", ok, cnt);
	assert_int_equal(ok, cnt);
}

static void expect(const char *title, const char *report, const char *want)
{
	char *got = kb_report_guilty_file(title, report, strlen(report));

	if (!want) {
		assert_null(got);
	} else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static void test_guilty_rules(void **state)
{
	(void)state;
	expect("t", "no files here\n", NULL);
	/* ignored files are skipped, the first kept one wins */
	expect("t",
	       "kasan_report+0x1/0x2 mm/kasan/report.c:10\n"
	       " foo+0x1/0x2 include/linux/list.h:5 [inline]\n"
	       " bar+0x1/0x2 fs/ext4/inode.c:7\n"
	       " baz+0x1/0x2 fs/namei.c:7\n",
	       "fs/ext4/inode.c");
	/* all ignored: the first file seen */
	expect("t", "a mm/kasan/report.c:10\nb lib/list_debug.c:3\n", "mm/kasan/report.c");
	/* a deeper subdirectory of the current file's directory refines it */
	expect("t", "a net/ipv6/ip6_output.c:1\nb net/ipv6/netfilter/nf_x.c:2\nc net/core/x.c:3\n",
	       "net/ipv6/netfilter/nf_x.c");
	expect("t", "a net/ipv6/ip6_output.c:1\nb net/ipv4/netfilter/nf_x.c:2\n",
	       "net/ipv6/ip6_output.c");
	/* paths are cleaned */
	expect("t", " f+0x1/0x2 arch/x86/kvm/../../../virt/kvm/./eventfd.c:3\n",
	       "virt/kvm/eventfd.c");
	/* lock-location lines do not count */
	expect("t",
	       "#0: ffff (&sb->s_type->i_mutex_key), at: inode_lock include/linux/fs.h:1 [inline]\n"
	       "hardirqs last  enabled at (1): [<ffff>] foo fs/aio.c:3\n"
	       " x+0x1/0x2 fs/splice.c:9\n",
	       "fs/splice.c");
	/* RCU stalls: the interrupted stack first */
	expect("INFO: rcu detected stall in sys_foo",
	       " rcu_dump+0x1/0x2 fs/first.c:1\n"
	       " apic_timer_interrupt+0x1/0x2 arch/x86/entry/entry_64.S:1\n"
	       " sys_foo+0x1/0x2 fs/second.c:2\n",
	       "fs/second.c");
	expect("WARNING in foo",
	       " rcu_dump+0x1/0x2 fs/first.c:1\n"
	       " apic_timer_interrupt+0x1/0x2 arch/x86/entry/entry_64.S:1\n"
	       " sys_foo+0x1/0x2 fs/second.c:2\n",
	       "fs/first.c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guilty_rules),
		cmocka_unit_test(test_guilty_raw),
		cmocka_unit_test(test_guilty_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
