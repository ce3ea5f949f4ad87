// SPDX-License-Identifier: Apache-2.0
/*
 * Symbolization: demangling, build-id stripping and the testdata/symbolize
 * case without a binary; with a binary, frames of a small program compiled
 * here (gcc -g -O2, static inline functions) checked against addr2line -fi.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "report/demangle.h"
#include "report/report.h"
#include "report/symbolize.h"
#include "util/child.h"
#include "util/error.h"
#include "util/fs.h"

static const char *shared(void)
{
	const char *s = getenv("KBISECT_SHARED");

	return s ? s : "../shared";
}

static void dm(const char *in, const char *want)
{
	char *got = kb_demangle(in, strlen(in));

	if (!want) {
		assert_null(got);
	} else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static void test_demangle(void **state)
{
	(void)state;
	dm("_Z8fakeNameiii", "fakeName");
	dm("_ZN3foo3barEv", "foo::bar");
	dm("_ZNK3foo3barEv", "foo::bar");
	dm("_ZNSt6vectorC2Ev", "std::vector::vector");
	dm("_ZN3FooD1Ev", "Foo::~Foo");
	dm("_Z3fooi.isra.0", "foo.isra.0");
	dm("_RNvXCsktjF9JQNZ8U_5rnullNtB2_13NullBlkModuleNtCs43vyB533jt3_6kernel13InPlaceModule4init",
	   "<rnull::NullBlkModule as kernel::InPlaceModule>::init");
	dm("_RNvCs1234_7mycrate3foo", "mycrate::foo");
	dm("_RNvMNtCs1_4core3ptrINtB2_7NonNullhE3new", "<core::ptr::NonNull<u8>>::new");
	dm("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", "core::ptr::drop_in_place");
	dm("_ZN5alloc3vec12Vec$LT$T$GT$4push17h0123456789abcdefE", "alloc::vec::Vec<T>::push");
	/* not mangled, or not decodable: NULL, the caller keeps the name */
	dm("foo", NULL);
	/* control bytes inside an identifier: not a symbol name (found by fuzz-demangle) */
	dm("_Z3a\nbv", NULL);
	dm("_RNvCs1_3a\001b3foo", NULL);
	assert_null(kb_demangle("_Z3a\0bv", 7));
	dm("_Z3fooi.isra\001", NULL);
	/*
	 * a constructor/destructor letter at the very end: the byte after it
	 * was read (an exact-size copy lets ASan see that)
	 */
	for (int i = 0; i < 2; i++) {
		char *name = kb_xmalloc(8);

		memcpy(name, i ? "_ZN3FooC" : "_ZN3FooD", 8);
		assert_null(kb_demangle(name, 8));
		free(name);
	}
	assert_null(kb_demangle("_Z3fooi.i\0", 10));
	dm("_Z", NULL);
	dm("_ZN3foo", NULL);
	dm("_Z99foo", NULL);
	dm("_RB0_", NULL);
	dm("_RNvB0_3foo", NULL);
	dm("_RNvCs_3fo", NULL);
}

static void sym_text(const char *in, const char *want)
{
	struct kb_buf out = KB_BUF_INIT;

	assert_int_equal(kb_symbolize_text(NULL, in, strlen(in), &out), 0);
	assert_string_equal(out.buf, want);
	kb_buf_release(&out);
}

static void test_no_binary(void **state)
{
	(void)state;
	sym_text(" foo+0x1/0x2\n", " foo+0x1/0x2\n");
	sym_text("plain text\nno frame", "plain text\nno frame");
	sym_text(" _Z8fakeNameiii+0x49a/0x1a10\n", " fakeName+0x49a/0x1a10\n");
	sym_text(" nf_hook+0x10/0x20 [nf_tables 0123456789abcdef0123456789abcdef01234567]\n",
		 " nf_hook+0x10/0x20 [nf_tables]\n");
	sym_text(" x+0x10/0x20 [mod]\n", " x+0x10/0x20 [mod]\n");
	sym_text("RIP: 0010:_ZN3foo3barEv+0x5/0x10 arch/x.c:1\n",
		 "RIP: 0010:foo::bar+0x5/0x10 arch/x.c:1\n");
	sym_text(" [<ffffffff81000000>] _Z3bazv+0x1/0x2\n", " [<ffffffff81000000>] baz+0x1/0x2\n");
}

/* testdata/symbolize: parse the log, symbolize without a binary, compare REPORT. */
static void test_symbolize_corpus(void **state)
{
	char *dir = kb_xasprintf("%s/testdata/symbolize", shared());
	DIR *dh = opendir(dir);
	struct dirent *de;
	int total = 0, ok = 0;

	(void)state;
	assert_non_null(dh);
	while ((de = readdir(dh))) {
		char *path;
		struct kb_buf in = KB_BUF_INIT;
		const char *log, *rep;
		struct kb_report *r = NULL;

		if (!de->d_name[0] || strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		path = kb_xasprintf("%s/%s", dir, de->d_name);
		assert_int_equal(kb_read_file(path, &in), 0);
		log = strstr(in.buf, "\n\n");
		assert_non_null(log);
		log += 2;
		rep = strstr(log, "\nREPORT:\n");
		assert_non_null(rep);
		total++;
		assert_int_equal(kb_report_parse(log, (size_t)(rep + 1 - log), 0, &r), 1);
		assert_int_equal(kb_report_symbolize(r, NULL, NULL), 0);
		if (!strcmp(r->report, rep + strlen("\nREPORT:\n")))
			ok++;
		else
			printf("symbolize/%s: report differs:\n%s\n", de->d_name, r->report);
		kb_report_free(r);
		kb_buf_release(&in);
		free(path);
	}
	closedir(dh);
	free(dir);
	printf("symbolize (no binary): %d/%d reports match\n", ok, total);
	assert_true(total >= 1);
	assert_int_equal(ok, total);
}

/* --- with a binary ------------------------------------------------------------- */

static const char prog_c[] = "#include <stdio.h>\n"
			     "#include <stdlib.h>\n"
			     "\n"
			     "static inline __attribute__((always_inline)) int leaf(int x)\n"
			     "{\n"
			     "\tif (x > 1000)\n"
			     "\t\tabort();\n"
			     "\treturn x * 7 + 3;\n"
			     "}\n"
			     "\n"
			     "static inline __attribute__((always_inline)) int mid(int x)\n"
			     "{\n"
			     "\treturn leaf(x + 1) ^ printf(\"%d\\n\", x);\n"
			     "}\n"
			     "\n"
			     "__attribute__((noinline)) int outer(int x)\n"
			     "{\n"
			     "\tint s = 0;\n"
			     "\n"
			     "\tfor (int i = 0; i < x; i++)\n"
			     "\t\ts += mid(i);\n"
			     "\treturn s;\n"
			     "}\n"
			     "\n"
			     "static __attribute__((noinline)) int helper(int x)\n"
			     "{\n"
			     "\treturn x * 3 + 1;\n"
			     "}\n"
			     "\n"
			     "int use1(int x)\n"
			     "{\n"
			     "\treturn helper(x);\n"
			     "}\n"
			     "\n"
			     "int use2(int x);\n"
			     "\n"
			     "int main(int argc, char **argv)\n"
			     "{\n"
			     "\t(void)argv;\n"
			     "\treturn outer(argc) + use1(argc) + use2(argc);\n"
			     "}\n";

/* A second static "helper" of another size: the printed size picks the symbol. */
static const char prog2_c[] = "static __attribute__((noinline)) int helper(int x)\n"
			      "{\n"
			      "\tint s = 0;\n"
			      "\n"
			      "\tfor (int i = 0; i < x; i++)\n"
			      "\t\ts += (x ^ (i * 7)) % 13;\n"
			      "\treturn s;\n"
			      "}\n"
			      "\n"
			      "int use2(int x)\n"
			      "{\n"
			      "\treturn helper(x);\n"
			      "}\n";

struct nm_sym {
	char name[64];
	uint64_t addr, size;
};

/* Text symbols of `nm -n`, with the kallsyms-style size (distance to the next). */
static size_t read_nm(const char *dir, struct nm_sym *v, size_t cap)
{
	const char *argv[] = { "nm", "-n", "prog", NULL };
	struct kb_buf out = KB_BUF_INIT;
	size_t n = 0;
	char *line, *save = NULL;

	assert_int_equal(kb_child_capture(argv, dir, &out), 0);
	for (line = strtok_r(out.buf, "\n", &save); line && n < cap;
	     line = strtok_r(NULL, "\n", &save)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);

		if (end == line || strlen(end) < 4 || (end[1] != 'T' && end[1] != 't'))
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", end + 3);
		v[n].addr = addr;
		n++;
	}
	for (size_t i = 0; i + 1 < n; i++)
		v[i].size = v[i + 1].addr - v[i].addr;
	kb_buf_release(&out);
	return n;
}

/* What addr2line -fi says for @pc, in the frame format the symbolizer writes. */
static void oracle(const char *dir, uint64_t pc, const char *frame_text, const char *prefix,
		   struct kb_buf *want)
{
	char addr[32], *save = NULL, *fn, *loc;
	const char *argv[] = { "addr2line", "-f", "-i", "-e", "prog", addr, NULL };
	struct kb_buf out = KB_BUF_INIT;
	struct kb_buf frames = KB_BUF_INIT;
	size_t dl = strlen(dir);
	int count = 0;

	snprintf(addr, sizeof(addr), "0x%" PRIx64, pc);
	assert_int_equal(kb_child_capture(argv, dir, &out), 0);
	for (fn = strtok_r(out.buf, "\n", &save); fn; fn = strtok_r(NULL, "\n", &save)) {
		char *colon, *sp;

		loc = strtok_r(NULL, "\n", &save);
		assert_non_null(loc);
		if (!strncmp(loc, dir, dl) && loc[dl] == '/')
			loc += dl + 1;
		sp = strchr(loc, ' '); /* " (discriminator N)" */
		if (sp)
			*sp = '\0';
		colon = strrchr(loc, ':');
		if (strstr(fn, "??") || strstr(loc, "??") || !colon)
			continue;
		if (count++)
			kb_buf_addstr(&frames, " [inline]\n");
		kb_buf_addf(&frames, "%s%s\t%s", prefix, fn, loc);
	}
	/* the last (real) frame keeps the original func+off/size text */
	if (count) {
		char *tab = strrchr(frames.buf, '\t');
		char *last_nl = strrchr(frames.buf, '\n');
		size_t keep = last_nl ? (size_t)(last_nl + 1 - frames.buf) : 0;
		char *loc_copy = kb_xstrdup(tab + 1);

		kb_buf_setlen(&frames, keep);
		kb_buf_addf(&frames, "%s%s %s\n", prefix, frame_text, loc_copy);
		free(loc_copy);
		for (char *t = frames.buf; (t = strchr(t, '\t')); t++)
			*t = ' ';
	}
	kb_buf_add(want, frames.buf, frames.len);
	kb_buf_release(&frames);
	kb_buf_release(&out);
}

static void test_with_binary(void **state)
{
	char dir[] = "/tmp/kb-symbolize-XXXXXX";
	const char *cc[] = {
		"gcc", "-g", "-O2", "-no-pie", "-o", "prog", "prog.c", "prog2.c", NULL
	};
	struct nm_sym syms[512];
	const struct nm_sym *outer = NULL;
	struct kb_symbolizer *s = NULL;
	struct kb_buf scratch = KB_BUF_INIT;
	char *src, *src2, *bin;
	size_t n, helpers = 0;
	int checked = 0, equal = 0, with_inline = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	src = kb_xasprintf("%s/prog.c", dir);
	bin = kb_xasprintf("%s/prog", dir);
	assert_int_equal(kb_write_file(src, prog_c, strlen(prog_c)), 0);
	src2 = kb_xasprintf("%s/prog2.c", dir);
	assert_int_equal(kb_write_file(src2, prog2_c, strlen(prog2_c)), 0);
	if (kb_child_capture(cc, dir, &scratch) != 0) {
		kb_buf_release(&scratch);
		assert_int_equal(kb_rm_rf(dir), 0);
		skip();
	}
	n = read_nm(dir, syms, KB_ARRAY_SIZE(syms));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(syms[i].name, "outer"))
			outer = &syms[i];
	assert_non_null(outer);
	assert_true(outer->size > 8);
	assert_int_equal(kb_symbolizer_open(bin, dir, &s), 0);
	for (uint64_t off = 1; off < outer->size; off++) {
		for (int rip = 0; rip < 2; rip++) {
			const char *prefix = rip ? "RIP: 0010:" : " ";
			char frame_text[64], *line;
			struct kb_buf want = KB_BUF_INIT, got = KB_BUF_INIT;

			snprintf(frame_text, sizeof(frame_text), "outer+0x%" PRIx64 "/0x%" PRIx64,
				 off, outer->size);
			line = kb_xasprintf("%s%s\n", prefix, frame_text);
			/* return addresses point after the call: PC - 1, except on RIP lines */
			oracle(dir, outer->addr + off - (rip ? 0 : 1), frame_text, prefix, &want);
			assert_int_equal(kb_symbolize_text(s, line, strlen(line), &got), 0);
			checked++;
			if (!strcmp(got.buf, want.buf))
				equal++;
			else if (checked - equal <= 5)
				printf("symbolize %s: want\n%sgot\n%s", line, want.buf, got.buf);
			if (strstr(got.buf, "leaf prog.c:") && strstr(got.buf, "mid prog.c:") &&
			    strstr(got.buf, " [inline]\n"))
				with_inline++;
			kb_buf_release(&want);
			kb_buf_release(&got);
			free(line);
		}
	}
	printf("symbolize (binary): %d/%d frames equal to addr2line -fi, %d with leaf+mid "
	       "inlined\n",
	       equal, checked, with_inline);
	assert_int_equal(equal, checked);
	assert_true(with_inline > 0);
	/* two local symbols called helper: the one with the printed size is used */
	for (size_t i = 0; i < n; i++) {
		struct kb_buf want = KB_BUF_INIT, got = KB_BUF_INIT;
		char frame_text[64], *line;

		if (strcmp(syms[i].name, "helper") || syms[i].size < 4)
			continue;
		helpers++;
		snprintf(frame_text, sizeof(frame_text), "helper+0x2/0x%" PRIx64, syms[i].size);
		line = kb_xasprintf(" %s\n", frame_text);
		oracle(dir, syms[i].addr + 1, frame_text, " ", &want);
		assert_int_equal(kb_symbolize_text(s, line, strlen(line), &got), 0);
		assert_string_equal(got.buf, want.buf);
		kb_buf_release(&want);
		kb_buf_release(&got);
		free(line);
	}
	assert_int_equal(helpers, 2);
	/* unknown symbols and module frames pass through */
	kb_buf_reset(&scratch);
	kb_symbolize_text(s, " nosuchfn+0x1/0x2\n x+0x1/0x2 [m 12ab]\n", 38, &scratch);
	assert_string_equal(scratch.buf, " nosuchfn+0x1/0x2\n x+0x1/0x2 [m]\n");
	kb_symbolizer_free(s);
	/* a missing binary is an error with a message */
	assert_int_equal(kb_symbolizer_open("/nonexistent/vmlinux", NULL, &s), -ENOENT);
	assert_non_null(strstr(kb_error_last(), "/nonexistent/vmlinux"));
	kb_buf_release(&scratch);
	free(src);
	free(src2);
	free(bin);
	assert_int_equal(kb_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_no_binary),
		cmocka_unit_test(test_symbolize_corpus),
		cmocka_unit_test(test_with_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
