// SPDX-License-Identifier: Apache-2.0
/*
 * Which source file to blame for a symbolized report (crash-report spec §14).
 *
 * Walk the report top to bottom, taking the first "path/file.c:123" of each
 * line.  Files that are infrastructure (sanitizers, locking, scheduler,
 * allocators, headers, ...) and lines that only say where a lock was taken
 * are skipped; the first remaining file wins, refined by later files in a
 * deeper subdirectory of its directory.  When everything is ignored, the
 * very first file seen is the answer.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <ctype.h>
#include <string.h>
#include "report/report.h"

/* Kernel lines are short; longer ones (garbage) are not looked at. */
#define MAX_LINE 4096

static const char bad_line_re[] = "(hardirqs|softirqs)\\s+last\\s+(enabled|disabled)|,\\s+at:\\s+|"
				  "^\\s*#\\d+:|^Register r\\d+ information";

/* Files that are never the culprit (infrastructure the crash passes through). */
static const char *const ignored[] = {
	".*\\.h",
	"^lib/.*",
	"^virt/lib/.*",
	"^mm/kasan/.*",
	"^mm/kmsan/.*",
	"^kernel/kcov.c",
	"^mm/sl.b.c",
	"^mm/filemap.c",
	"^mm/folio-compat.c",
	"^mm/truncate.c",
	"^mm/memory.c",
	"^mm/percpu.*",
	"^mm/vmalloc.c",
	"^mm/page_alloc.c",
	"^mm/mempool.c",
	"^mm/util.c",
	"^kernel/rcu/.*",
	"^arch/.*/kernel/traps.c",
	"^arch/.*/kernel/unwind.*.c",
	"^arch/.*/mm/fault.c",
	"^arch/.*/mm/physaddr.c",
	"^arch/.*/kernel/stacktrace.c",
	"^arch/.*/kernel/apic/apic.c",
	"^arch/arm64/kernel/entry.*.c",
	"^arch/arm64/kernel/process\\.c",
	"^kernel/locking/.*",
	"^kernel/panic.c",
	"^kernel/printk/printk.*.c",
	"^kernel/softirq.c",
	"^kernel/kthread.c",
	"^kernel/sched/.*.c",
	"^kernel/stacktrace.c",
	"^kernel/time/timer.c",
	"^kernel/workqueue.c",
	"^net/core/dev.c",
	"^net/core/sock.c",
	"^net/core/skbuff.c",
	"^fs/proc/generic.c",
	"^trusty/",
	"^drivers/usb/core/urb.c",
	"^arch/.*/lib/crc.*",
};

/* Where an RCU stall report's interesting stack starts. */
static const char *const stall_starts[] = { "apic_timer_interrupt+0x", "el1h_64_irq+0x",
					    "Exception stack" };

struct guilty_re {
	pcre2_code *bad_line, *ignore;
	pcre2_match_data *md;
};

static pcre2_code *compile(const char *re)
{
	int err;
	PCRE2_SIZE off;

	return pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
}

static void guilty_re_free(struct guilty_re *g)
{
	pcre2_code_free(g->bad_line);
	pcre2_code_free(g->ignore);
	pcre2_match_data_free(g->md);
}

static int guilty_re_init(struct guilty_re *g)
{
	struct kb_buf alt = KB_BUF_INIT;

	for (size_t i = 0; i < KB_ARRAY_SIZE(ignored); i++)
		kb_buf_addf(&alt, "%s(?:%s)", i ? "|" : "", ignored[i]);
	g->bad_line = compile(bad_line_re);
	g->ignore = compile(alt.buf);
	kb_buf_release(&alt);
	g->md = pcre2_match_data_create(8, NULL);
	if (!g->bad_line || !g->ignore || !g->md) {
		guilty_re_free(g);
		return -1;
	}
	return 0;
}

static bool matches(struct guilty_re *g, pcre2_code *re, const char *s, size_t len)
{
	return pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, g->md, NULL) >= 0;
}

/* "a/b/c.c" is in a deeper subdirectory of the directory of "a/x.c". */
static bool deeper(const char *cur, const char *file)
{
	const char *slash = strrchr(cur, '/');
	size_t dl = slash ? (size_t)(slash + 1 - cur) : 0;

	return !strncmp(file, cur, dl) && strchr(file + dl, '/');
}

static bool path_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '/';
}

/*
 * The first "path/file.c:123" (or .h) of a line, as the spec's regex
 * ([a-zA-Z0-9_\-\./]*[a-zA-Z0-9_\-]+\.(c|h)):[0-9]+ finds it, in one pass:
 * the path is a whole run of path characters ending in ".c"/".h" right
 * before ":<digit>".  (The regex backtracks quadratically on long runs.)
 */
static bool find_file(const char *l, size_t len, size_t *start, size_t *end)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		if (path_char(l[i]))
			continue;
		if (l[i] == ':' && i + 1 < len && isdigit((unsigned char)l[i + 1]) &&
		    i - run >= 3 && l[i - 2] == '.' && (l[i - 1] == 'c' || l[i - 1] == 'h') &&
		    l[i - 3] != '.' && l[i - 3] != '/') {
			*start = run;
			*end = i;
			return true;
		}
		run = i + 1;
	}
	return false;
}

/* Lexically clean a path as the kernel's relative paths need it ("a/../b"). */
static void clean_path(char *path)
{
	char *parts[256];
	size_t n = 0, len = 0;
	char *save = NULL, *tok, *copy = kb_xstrdup(path);
	bool abs = path[0] == '/';

	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..") && n && strcmp(parts[n - 1], "..")) {
			n--;
			continue;
		}
		if (n < KB_ARRAY_SIZE(parts))
			parts[n++] = tok;
	}
	if (abs)
		path[len++] = '/';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);

		if (i)
			path[len++] = '/';
		memcpy(path + len, parts[i], l);
		len += l;
	}
	path[len] = '\0';
	free(copy);
}

static char *extract(struct guilty_re *g, const char *s, size_t len)
{
	char *fallback = NULL, *cur = NULL;
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t fs, fe;
		char *file;

		if (l > MAX_LINE || !find_file(p, l, &fs, &fe)) {
			p += l + 1;
			continue;
		}
		file = kb_xstrndup(p + fs, fe - fs);
		clean_path(file);
		if (!fallback)
			fallback = kb_xstrdup(file);
		if (matches(g, g->ignore, file, strlen(file)) || matches(g, g->bad_line, p, l)) {
			free(file);
		} else if (!cur || deeper(cur, file)) {
			free(cur);
			cur = file;
		} else {
			free(file);
		}
		p += l + 1;
	}
	if (cur) {
		free(fallback);
		return cur;
	}
	return fallback;
}

static const char *find(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle));
}

char *kb_report_guilty_file(const char *title, const char *report, size_t len)
{
	struct guilty_re g = { 0 };
	char *file = NULL;

	if (!report || guilty_re_init(&g) < 0)
		return NULL;
	if (title && strstr(title, "stall")) {
		for (size_t i = 0; i < KB_ARRAY_SIZE(stall_starts) && !file; i++) {
			const char *at = find(report, len, stall_starts[i]);

			if (at)
				file = extract(&g, at, len - (size_t)(at - report));
		}
	}
	if (!file)
		file = extract(&g, report, len);
	guilty_re_free(&g);
	return file;
}

char *kb_report_guilty(const struct kb_report *r)
{
	return kb_report_guilty_file(r->title, r->report + r->prefix_len,
				     r->report_len - r->prefix_len);
}
