// SPDX-License-Identifier: Apache-2.0
/*
 * Code: disassembly: the testdata/decompile pairs, unit cases for the Code:
 * line decoder, and a comparison of the capstone listing with GNU objdump
 * over every x86 Code: line of the corpus (skipped when objdump is missing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include "report/decompile.h"
#include "report/report.h"
#include "util/child.h"
#include "util/fs.h"

static const char *shared(void)
{
	const char *s = getenv("KBISECT_SHARED");

	return s ? s : "../shared";
}

/* Is @report (a decompile .in file) a HANG report?  Needs the parser. */
static int hang_report(const struct kb_buf *in)
{
	struct kb_report **v = NULL;
	size_t n = 0;
	int r = -1;

	if (kb_report_parse_all(in->buf, in->len, &v, &n) < 0 || !n)
		return -1; /* parser missing or found nothing */
	r = !strncmp(v[0]->type ? v[0]->type : "", "HANG", 4);
	kb_report_free_all(v, n);
	return r;
}

static void test_pairs(void **state)
{
	static const char *const arches[] = { "amd64", "arm64", "arm" };
	int ok = 0, total = 0, needs_parser = 0;

	(void)state;
	for (size_t a = 0; a < KB_ARRAY_SIZE(arches); a++) {
		for (int i = 0; i < 10; i++) {
			char *in_path = kb_xasprintf("%s/testdata/decompile/%s/%d.in", shared(),
						     arches[a], i);
			char *out_path = kb_xasprintf("%s/testdata/decompile/%s/%d.out", shared(),
						      arches[a], i);
			struct kb_buf in = KB_BUF_INIT, want = KB_BUF_INIT, got = KB_BUF_INIT;

			if (kb_path_exists(in_path)) {
				int hang;

				assert_int_equal(kb_read_file(in_path, &in), 0);
				assert_int_equal(kb_read_file(out_path, &want), 0);
				hang = hang_report(&in);
				kb_buf_add(&got, in.buf, in.len);
				/* the pipeline skips the disassembly of HANG reports */
				if (hang != 1)
					kb_report_decompile(in.buf, in.len, arches[a], &got);
				total++;
				if (got.len == want.len && !memcmp(got.buf, want.buf, got.len)) {
					ok++;
				} else if (hang == -1) {
					needs_parser++;
					printf("decompile %s/%d: differs, parser needed to know the type\n",
					       arches[a], i);
				} else {
					printf("decompile %s/%d: MISMATCH\n%s\n", arches[a], i,
					       got.buf + KB_MIN(in.len, got.len));
				}
			}
			kb_buf_release(&in);
			kb_buf_release(&want);
			kb_buf_release(&got);
			free(in_path);
			free(out_path);
		}
	}
	printf("decompile pairs: %d/%d match (%d need the parser)\n", ok, total, needs_parser);
	assert_int_equal(total, 8);
	assert_int_equal(ok + needs_parser, total);
}

#define PC(s, ...) kb_disasm_parse_code(s, strlen(s), __VA_ARGS__)

static void test_parse_code(void **state)
{
	uint8_t b[64];
	size_t n, trap, w;
	const char *thumb = "4770 f8d3 (3000) 2b00";

	(void)state;
	assert_int_equal(PC("48 89 <c0> 90", b, sizeof(b), &n, &trap, &w), 0);
	assert_int_equal(n, 4);
	assert_int_equal(trap, 2);
	assert_int_equal(w, 1);
	assert_int_equal(b[2], 0xc0);
	/* wider tokens are little-endian numbers */
	assert_int_equal(PC(thumb, b, sizeof(b), &n, &trap, &w), 0);
	assert_int_equal(n, 8);
	assert_int_equal(trap, 4);
	assert_int_equal(w, 2);
	assert_int_equal(b[0], 0x70);
	assert_int_equal(b[1], 0x47);
	assert_int_equal(b[4], 0x00);
	assert_int_equal(b[5], 0x30);
	/* no trap marker, two markers, odd token, mixed widths */
	assert_int_equal(PC("48 89 c0", b, sizeof(b), &n, &trap, &w), -EINVAL);
	assert_int_equal(PC("<48> <89>", b, sizeof(b), &n, &trap, &w), -EINVAL);
	assert_int_equal(PC("48 8 <c0>", b, sizeof(b), &n, &trap, &w), -EINVAL);
	assert_int_equal(PC("4889 <c0>", b, sizeof(b), &n, &trap, &w), -EINVAL);
	assert_int_equal(PC("48  <c0>", b, sizeof(b), &n, &trap, &w), -EINVAL);
	assert_int_equal(PC("zz <c0>", b, sizeof(b), &n, &trap, &w), -EINVAL);
}

static void decompile_str(const char *report, const char *arch, struct kb_buf *out, int want)
{
	kb_buf_reset(out);
	assert_int_equal(kb_report_decompile(report, strlen(report), arch, out), want);
}

static void test_decompile_rules(void **state)
{
	struct kb_buf out = KB_BUF_INIT;

	(void)state;
	/* user-space RIP: skipped; the kernel line after it is used */
	decompile_str("RIP: 0033:0x4665d9\nCode: 48 89 <c0> 90\n"
		      "RIP: 0010:foo+0x1/0x2\nCode: 31 d2 <48> f7 f5 c3\n",
		      "amd64", &out, 1);
	assert_non_null(strstr(out.buf, "Code disassembly (best guess):\n"));
	assert_non_null(strstr(
		out.buf, "*  2:\t48 f7 f5             \tdiv    %rbp <-- trapping instruction\n"));
	assert_null(strstr(out.buf, "%rax,%rax"));
	/* ud2 trap: nothing */
	decompile_str("Code: 90 90 <0f> 0b 90\n", "amd64", &out, 0);
	assert_int_equal(out.len, 0);
	/* arm64 BUG trap brk #0x800: nothing */
	decompile_str("Code: d503201f (d4210000)\n", "arm64", &out, 0);
	/* a cut is needed when the first bytes are the tail of an instruction */
	decompile_str("Code: b8 00 00 <00> 00 90\n", "amd64", &out, 1);
	assert_non_null(strstr(out.buf, "Code disassembly (best guess), 1 bytes skipped:\n"));
	assert_non_null(strstr(out.buf, "*  2:\t00 00                \tadd    %al,(%rax) <--"));
	/* not a Code: line / not decodable */
	decompile_str("Code: Unable to access opcode bytes at RIP 0xffffffffffffffd6.\n", "amd64",
		      &out, 0);
	decompile_str("Code: 48 89 c0\n", "amd64", &out, 0);
	decompile_str("Code: 48 89 <c0>\n", "mips", &out, 0);
	/* thumb: 2-byte tokens on arm */
	decompile_str("Code: 2300 4770 (6818) 4770\n", "arm", &out, 1);
	assert_non_null(
		strstr(out.buf, "*  4:\t6818      \tldr\tr0, [r3, #0] <-- trapping instruction\n"));
	kb_buf_release(&out);
}

static void listing_is(const uint8_t *b, size_t n, enum kb_disasm_arch arch, const char *want)
{
	struct kb_buf out = KB_BUF_INIT;
	struct kb_disasm_info info;

	assert_int_equal(kb_disasm_listing(b, n, arch, SIZE_MAX, &out, &info), 0);
	assert_string_equal(out.buf, want);
	kb_buf_release(&out);
}

/*
 * Listings of GNU objdump 2.40 (x86-64, aarch64, arm, thumb) for a few
 * bytes each, checked without objdump: the dialect rules stay covered where
 * the cross binutils are not installed.
 */
static void test_objdump_dialect(void **state)
{
	static const uint8_t x86[] = { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00,
				       0x00, 0x00, 0xf3, 0xc3, 0x48, 0x0f, 0x84 };
	static const uint8_t a64[] = { 0xc1, 0x02, 0x00, 0x54, 0xe0, 0x17, 0x9f, 0x9a,
				       0x55, 0x00, 0x80, 0x52, 0xfd, 0x7b, 0xc2, 0xa8 };
	static const uint8_t a32[] = { 0x0f, 0x00, 0xa0, 0xe8, 0xfc, 0x00,
				       0x00, 0x3a, 0xff, 0x34, 0xc4, 0xe3 };
	static const uint8_t t32[] = { 0x02, 0x4b, 0x38, 0xbf, 0x01, 0x22 };

	(void)state;
	listing_is(x86, sizeof(x86), KB_DISASM_AMD64,
		   "   0:\t66 2e 0f 1f 84 00 00 \tcs nopw 0x0(%rax,%rax,1)\n"
		   "   7:\t00 00 00\n"
		   "   a:\tf3 c3                \trepz ret\n"
		   "   c:\t48                   \trex.W\n"
		   "   d:\t0f                   \t.byte 0xf\n"
		   "   e:\t84                   \t.byte 0x84\n");
	listing_is(a64, sizeof(a64), KB_DISASM_ARM64,
		   "   0:\t540002c1 \tb.ne\t0x58  // b.any\n"
		   "   4:\t9a9f17e0 \tcset\tx0, eq\t// eq = none\n"
		   "   8:\t52800055 \tmov\tw21, #0x2                   \t// #2\n"
		   "   c:\ta8c27bfd \tldp\tx29, x30, [sp], #32\n");
	listing_is(a32, sizeof(a32), KB_DISASM_ARM,
		   "   0:\te8a0000f \tstmia\tr0!, {r0, r1, r2, r3}\n"
		   "   4:\t3a0000fc \tbcc\t0x3fc\n"
		   "   8:\te3c434ff \tbic\tr3, r4, #-16777216\t@ 0xff000000\n");
	listing_is(t32, sizeof(t32), KB_DISASM_THUMB,
		   "   0:\t4b02      \tldr\tr3, [pc, #8]\t@ (0xc)\n"
		   "   2:\tbf38      \tit\tcc\n"
		   "   4:\t2201      \tmovcc\tr2, #1\n");
}

/* The bisection log in reference-logs ends with a block made by objdump. */
static void test_reference_log(void **state)
{
	char *path = kb_xasprintf("%s/reference-logs/io_uring_register.log", shared());
	struct kb_buf log = KB_BUF_INIT, out = KB_BUF_INIT;
	const char *trailer;

	(void)state;
	assert_int_equal(kb_read_file(path, &log), 0);
	trailer = strstr(log.buf, "----------------\nCode disassembly");
	assert_non_null(trailer);
	assert_int_equal(kb_report_decompile(log.buf, (size_t)(trailer - log.buf), "amd64", &out),
			 1);
	assert_true(out.len > 200);
	assert_int_equal(memcmp(out.buf, trailer, out.len), 0);
	kb_buf_release(&out);
	kb_buf_release(&log);
	free(path);
}

/* --- comparison with GNU objdump ------------------------------------------------ */

struct cmp_stats {
	int codes, codes_equal, lines, lines_equal, shown;
};

/* objdump (and its -m options) for each architecture. */
static const char *const objdump_args[][4] = {
	[KB_DISASM_AMD64] = { "objdump", "-mi386", "-Mx86-64", "amd64" },
	[KB_DISASM_ARM64] = { "aarch64-linux-gnu-objdump", "-maarch64", NULL, "arm64" },
	[KB_DISASM_ARM] = { "arm-linux-gnueabi-objdump", "-marm", NULL, "arm" },
	[KB_DISASM_THUMB] = { "arm-linux-gnueabi-objdump", "-marm", "-Mforce-thumb", "thumb" },
};

/* objdump's listing lines for @n bytes (after the "<.data>:" line). */
static int objdump_listing(const uint8_t *b, size_t n, enum kb_disasm_arch arch, const char *tmp,
			   struct kb_buf *out)
{
	const char *argv[] = {
		objdump_args[arch][0], "-b", "binary", "-D", objdump_args[arch][1], tmp,
		objdump_args[arch][2], NULL
	};
	struct kb_buf raw = KB_BUF_INIT;
	const char *p;
	int r;

	if (kb_write_file(tmp, b, n) < 0)
		return -1;
	r = kb_child_capture(argv, NULL, &raw);
	p = strstr(raw.buf, "<.data>:\n");
	if (r == 0 && p)
		kb_buf_addstr(out, p + strlen("<.data>:\n"));
	kb_buf_release(&raw);
	return r == 0 && p ? 0 : -1;
}

static size_t next_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t l = nl ? (size_t)(nl - *p) : (size_t)(end - *p);

	return l;
}

static bool line_in(const struct kb_buf *listing, const char *l, size_t len)
{
	const char *p = listing->buf, *end = listing->buf + listing->len;

	while (p < end) {
		size_t pl = next_line(&p, end);

		while (pl && p[pl - 1] == ' ')
			pl--;
		if (pl == len && !memcmp(p, l, len))
			return true;
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
	}
	return false;
}

static void compare_one(const uint8_t *b, size_t n, enum kb_disasm_arch arch, const char *tmp,
			struct cmp_stats *st)
{
	struct kb_buf mine = KB_BUF_INIT, theirs = KB_BUF_INIT;
	struct kb_disasm_info info;
	const char *p, *q, *pe, *qe;
	bool all = true;

	if (objdump_listing(b, n, arch, tmp, &theirs) < 0) {
		kb_buf_release(&theirs);
		return;
	}
	assert_int_equal(kb_disasm_listing(b, n, arch, SIZE_MAX, &mine, &info), 0);
	p = mine.buf;
	pe = mine.buf + mine.len;
	q = theirs.buf;
	qe = theirs.buf + theirs.len;
	while (q < qe) {
		size_t ql = next_line(&q, qe), pl = p < pe ? next_line(&p, pe) : 0;
		size_t qt = ql;

		if (ql == 0) {
			q++;
			continue;
		}
		/* objdump leaves a space after wrapped bytes; reports carry none */
		while (qt && q[qt - 1] == ' ')
			qt--;
		st->lines++;
		/* compare by content, so one odd instruction does not shift the rest */
		if (line_in(&mine, q, qt)) {
			st->lines_equal++;
		} else {
			all = false;
			if (st->shown++ < 40)
				printf("objdump: %.*s\ncapstone:%.*s\n", (int)ql, q, (int)pl, p);
		}
		q += ql + 1;
		p += p < pe ? pl + 1 : 0;
	}
	st->codes++;
	st->codes_equal += all;
	kb_buf_release(&mine);
	kb_buf_release(&theirs);
}

static void scan_file(const char *path, const char *tmp, struct kb_buf *seen,
		      struct cmp_stats st[4])
{
	struct kb_buf in = KB_BUF_INIT;
	const char *p, *end;

	if (kb_read_file(path, &in) < 0)
		return;
	p = in.buf;
	end = in.buf + in.len;
	while (p < end) {
		size_t l = next_line(&p, end);
		const char *c = memmem(p, l, "Code: ", 6);
		uint8_t b[512];
		size_t n, trap, w;

		if (c) {
			size_t cl = l - (size_t)(c + 6 - p);
			char *key = kb_xstrndup(c + 6, cl);

			/* one comparison per distinct line */
			if (!strstr(seen->buf, key) &&
			    kb_disasm_parse_code(c + 6, cl, b, sizeof(b), &n, &trap, &w) == 0) {
				/* 4-byte words: arm64 when the registers say so */
				enum kb_disasm_arch arch =
					w == 1 ? KB_DISASM_AMD64 :
					w == 2 ? KB_DISASM_THUMB :
					strstr(path, "/arm64/") ||
							memmem(in.buf, in.len, " x29", 4) ||
							memmem(in.buf, in.len, "el1h_64", 7) ||
							memmem(in.buf, in.len, "el0t_64", 7) ?
						 KB_DISASM_ARM64 :
						 KB_DISASM_ARM;

				kb_buf_addf(seen, "%s\n", key);
				compare_one(b, n, arch, tmp, &st[arch]);
			}
			free(key);
		}
		p += l + 1;
	}
	kb_buf_release(&in);
}

static void test_objdump_corpus(void **state)
{
	static const char *const dirs[] = { "crash-reports", "guilty", "decompile/amd64",
					    "decompile/arm64", "decompile/arm" };
	const char *argv[] = { "objdump", "--version", NULL };
	struct kb_buf ver = KB_BUF_INIT, seen = KB_BUF_INIT;
	struct cmp_stats st[4] = { 0 };
	char tmp[] = "/tmp/kb-objdump-XXXXXX";
	int fd;

	(void)state;
	if (kb_child_capture(argv, NULL, &ver) != 0) {
		kb_buf_release(&ver);
		skip();
	}
	kb_buf_release(&ver);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	for (size_t d = 0; d < KB_ARRAY_SIZE(dirs); d++) {
		char *dir = kb_xasprintf("%s/testdata/%s", shared(), dirs[d]);
		struct dirent **names;
		int cnt = scandir(dir, &names, NULL, alphasort);

		for (int i = 0; i < cnt; i++) {
			if (names[i]->d_name[0] != '.') {
				char *path = kb_xasprintf("%s/%s", dir, names[i]->d_name);

				scan_file(path, tmp, &seen, st);
				free(path);
			}
			free(names[i]);
		}
		if (cnt >= 0)
			free(names);
		free(dir);
	}
	unlink(tmp);
	kb_buf_release(&seen);
	for (int a = 0; a < 4; a++) {
		const struct cmp_stats *s = &st[a];

		if (!s->codes) {
			printf("objdump vs capstone, %s: no comparison (no %s or no Code: line)\n",
			       objdump_args[a][3], objdump_args[a][0]);
			continue;
		}
		printf("objdump vs capstone, %s: %d/%d Code: lines identical (%.1f%%), %d/%d "
		       "listing lines identical (%.2f%%)\n",
		       objdump_args[a][3], s->codes_equal, s->codes,
		       100.0 * s->codes_equal / s->codes, s->lines_equal, s->lines,
		       100.0 * s->lines_equal / s->lines);
		/* regression guard: a little under the rate measured when this was written */
		assert_true(s->lines_equal * 1000 >= s->lines * 995);
	}
	assert_true(st[KB_DISASM_AMD64].codes > 100);
}

/* --- compiled code of every architecture, objdump vs capstone ------------------------ */

/* Self-contained C (no headers) compiled for each target with clang. */
static const char snippet_c[] =
	"struct node { struct node *next; long key; unsigned char flags; short s; };\n"
	"extern void ext(int);\n"
	"long sum_list(struct node *n) { long s = 0; for (; n; n = n->next)\n"
	"  if (n->flags & 4) s += n->key * 3; else s -= n->s; return s; }\n"
	"int classify(int c) { switch (c) { case 0: return 10; case 1: return 22;\n"
	"  case 2: return -7; case 5: return 99; case 9: return 1000; default: return c * 17; } }\n"
	"unsigned long hash(const unsigned char *p, unsigned long len) {\n"
	"  unsigned long h = 1469598103934665603UL;\n"
	"  while (len--) { h ^= *p++; h *= 1099511628211UL; } return h; }\n"
	"void copy_rev(char *d, const char *s, int n) { for (int i = 0; i < n; i++) d[i] = s[n-1-i]; }\n"
	"int find_max(const int *a, int n) { int m = a[0];\n"
	"  for (int i = 1; i < n; i++) m = a[i] > m ? a[i] : m; return m; }\n"
	"long divmod(long a, long b, long *r) { *r = a % b; return a / b; }\n"
	"unsigned bits(unsigned x) { unsigned c = 0; while (x) { c += x & 1; x >>= 1; } return c; }\n"
	"void calls(int x) { if (x > 3) ext(x); else if (x < -100) ext(-x); ext(x << 3); }\n"
	"int bitfield(unsigned v) { return ((v >> 7) & 0x3f) | ((v & 0xff000000u) >> 20); }\n"
	"long long big(long long x) { return x * 0x123456789abLL + 0x7fff0000ffffLL; }\n"
	"int cond(int a, int b) { if (a < b && a != 0) return a - b; return a > 100 ? 7 : -1; }\n"
	"void fill(int *a, int n, int v) { for (int i = 0; i < n; i++) a[i] = v + i * 4; }\n";

struct target {
	const char *name, *clang_target, *clang_mode, *objdump, *march, *mopt, *objcopy;
	enum kb_disasm_arch arch;
};

static int run_quiet(const char *const *argv, const char *dir)
{
	struct kb_buf out = KB_BUF_INIT;
	int r = kb_child_capture(argv, dir, &out);

	kb_buf_release(&out);
	return r;
}

static void test_objdump_compiled(void **state)
{
	static const struct target targets[] = {
		{ "amd64", "x86_64-linux-gnu", NULL, "objdump", "-mi386", "-Mx86-64", "objcopy",
		  KB_DISASM_AMD64 },
		{ "arm64", "aarch64-linux-gnu", NULL, "aarch64-linux-gnu-objdump", "-maarch64",
		  NULL, "aarch64-linux-gnu-objcopy", KB_DISASM_ARM64 },
		{ "arm", "armv7a-linux-gnueabi", "-marm", "arm-linux-gnueabi-objdump", "-marm",
		  NULL, "arm-linux-gnueabi-objcopy", KB_DISASM_ARM },
		{ "thumb", "armv7a-linux-gnueabi", "-mthumb", "arm-linux-gnueabi-objdump", "-marm",
		  "-Mforce-thumb", "arm-linux-gnueabi-objcopy", KB_DISASM_THUMB },
	};
	char dir[] = "/tmp/kb-disasm-XXXXXX";
	char *src, *bin;
	int tested = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	src = kb_xasprintf("%s/s.c", dir);
	bin = kb_xasprintf("%s/s.bin", dir);
	assert_int_equal(kb_write_file(src, snippet_c, strlen(snippet_c)), 0);
	for (size_t t = 0; t < KB_ARRAY_SIZE(targets); t++) {
		const struct target *tg = &targets[t];
		const char *ver[] = { tg->objdump, "--version", NULL };
		int lines = 0, equal = 0;

		if (run_quiet(ver, dir) != 0) {
			printf("compiled %s: %s not installed, skipped\n", tg->name, tg->objdump);
			continue;
		}
		for (int opt = 0; opt < 2; opt++) {
			char target[64];
			const char *cc[] = { "clang",
					     target,
					     opt ? "-O2" : "-O0",
					     "-ffreestanding",
					     "-c",
					     "s.c",
					     "-o",
					     "s.o",
					     tg->clang_mode,
					     NULL };
			/* the binutils objcopy of the target, else LLVM's (any target) */
			const char *oc[] = { tg->objcopy, "-O",	   "binary", "--only-section=.text",
					     "s.o",	  "s.bin", NULL };
			const char *loc[] = {
				"llvm-objcopy", "-O",	 "binary", "--only-section=.text",
				"s.o",		"s.bin", NULL
			};
			const char *od[] = { tg->objdump, "-b", "binary", "-D",
					     tg->march,	  bin,	tg->mopt, NULL };
			struct kb_buf code = KB_BUF_INIT, theirs = KB_BUF_INIT, mine = KB_BUF_INIT;
			struct kb_disasm_info info;
			const char *p, *end;

			snprintf(target, sizeof(target), "--target=%s", tg->clang_target);
			if (run_quiet(cc, dir) != 0 ||
			    (run_quiet(oc, dir) != 0 && run_quiet(loc, dir) != 0)) {
				printf("compiled %s: clang or objcopy failed, skipped\n", tg->name);
				break;
			}
			assert_int_equal(kb_read_file(bin, &code), 0);
			assert_int_equal(kb_child_capture(od, dir, &theirs), 0);
			assert_int_equal(kb_disasm_listing((const uint8_t *)code.buf, code.len,
							   tg->arch, SIZE_MAX, &mine, &info),
					 0);
			p = strstr(theirs.buf, "<.data>:\n");
			assert_non_null(p);
			p += strlen("<.data>:\n");
			end = theirs.buf + theirs.len;
			while (p < end) {
				size_t l = next_line(&p, end), lt = l;

				while (lt && p[lt - 1] == ' ')
					lt--;
				if (lt) {
					lines++;
					if (line_in(&mine, p, lt))
						equal++;
					else if (lines - equal <= 3)
						printf("compiled %s: objdump '%.*s'\n", tg->name,
						       (int)lt, p);
				}
				p += l + 1;
			}
			kb_buf_release(&code);
			kb_buf_release(&theirs);
			kb_buf_release(&mine);
		}
		if (!lines)
			continue;
		tested++;
		printf("compiled %s (clang -O0 and -O2): %d/%d listing lines identical to objdump "
		       "(%.2f%%)\n",
		       tg->name, equal, lines, 100.0 * equal / lines);
		/* regression guard, a little under the rate measured when written */
		assert_true(equal * 100 >= lines * 99);
	}
	free(src);
	free(bin);
	assert_int_equal(kb_rm_rf(dir), 0);
	if (!tested)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_code),	 cmocka_unit_test(test_decompile_rules),
		cmocka_unit_test(test_objdump_dialect),	 cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_reference_log),	 cmocka_unit_test(test_objdump_corpus),
		cmocka_unit_test(test_objdump_compiled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
