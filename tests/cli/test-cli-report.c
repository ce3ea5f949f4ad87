// SPDX-License-Identifier: Apache-2.0
/*
 * The built `kbisect report` command, run as a user would: exit codes,
 * title on the first line, --json keys, --all, stdin, error messages.
 * The binary is argv[1] (meson passes kbisect_exe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <string.h>
#include "util/child.h"
#include "util/fs.h"
#include "../testutil.h"

static const char *exe;

struct corpus_case {
	char *title; /* expected TITLE */
	char *log; /* path of the log written to tmpdir */
	size_t len;
};

static struct corpus_case crashes[5];
static char *clean_log;

static const char *shared(void)
{
	const char *s = getenv("KBISECT_SHARED");

	return s ? s : "../shared";
}

struct run {
	int code;
	struct kb_buf out, err;
};

static void run(struct run *r, const char *stdin_data, const char *a1, const char *a2,
		const char *a3, const char *a4)
{
	const char *argv[] = { exe, "report", a1, a2, a3, a4, NULL };
	struct kb_child c = { 0 };

	memset(r, 0, sizeof(*r));
	r->out = (struct kb_buf)KB_BUF_INIT;
	r->err = (struct kb_buf)KB_BUF_INIT;
	c.argv = argv;
	c.out = &r->out;
	c.err = &r->err;
	c.stdin_data = stdin_data;
	c.stdin_len = stdin_data ? strlen(stdin_data) : 0;
	c.timeout = 60;
	assert_int_equal(kb_child_run(&c), 0);
	assert_int_equal(c.status, KB_CHILD_EXITED);
	r->code = c.exit_code;
}

static void run_release(struct run *r)
{
	kb_buf_release(&r->out);
	kb_buf_release(&r->err);
}

/* Header value (after "KEY: ") of a corpus file, or NULL. */
static char *header(const char *buf, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = buf; *p && *p != '\n'; p = strchr(p, '\n') + 1) {
		const char *nl = strchr(p, '\n');

		if (!nl)
			break;
		if (!strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ')
			return kb_xstrndup(p + kl + 2, (size_t)(nl - p) - kl - 2);
	}
	return NULL;
}

static int digits(const struct dirent *d)
{
	return d->d_name[0] && strspn(d->d_name, "0123456789") == strlen(d->d_name);
}

/* Pick crash logs (simple, uncorrupted) and a clean one from the corpus. */
static int setup(void **state)
{
	char *dir = kb_xasprintf("%s/testdata/crash-reports", shared());
	struct dirent **names;
	int n = scandir(dir, &names, digits, alphasort);
	size_t nc = 0;

	(void)state;
	if (kb_test_tmpdir_setup(state) < 0 || n <= 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char *path = kb_xasprintf("%s/%s", dir, names[i]->d_name);
		struct kb_buf in = KB_BUF_INIT;
		char *title = NULL, *corrupted = NULL, *log_path;
		const char *log, *rep;

		if (kb_read_file(path, &in) == 0 && memchr(in.buf, '\0', in.len) == NULL &&
		    (log = strstr(in.buf, "\n\n"))) {
			log += 2;
			rep = strstr(log, "\n\nREPORT:\n");
			title = header(in.buf, "TITLE");
			corrupted = header(in.buf, "CORRUPTED");
			if (title && *title && !corrupted && nc < KB_ARRAY_SIZE(crashes) &&
			    !strstr(in.buf, "\nALT:") && !strstr(in.buf, "SUPPRESSED")) {
				size_t len = rep ? (size_t)(rep + 1 - log) : strlen(log);

				log_path = kb_xasprintf("%s/crash%zu.log", tmpdir, nc);
				assert_int_equal(kb_write_file(log_path, log, len), 0);
				crashes[nc++] = (struct corpus_case){ .title = title,
								      .log = log_path,
								      .len = len };
				title = NULL;
			} else if (!title && !clean_log) {
				clean_log = kb_xasprintf("%s/clean.log", tmpdir);
				assert_int_equal(kb_write_file(clean_log, log, strlen(log)), 0);
			}
		}
		free(title);
		free(corrupted);
		kb_buf_release(&in);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	return nc == KB_ARRAY_SIZE(crashes) && clean_log ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(crashes); i++) {
		free(crashes[i].title);
		free(crashes[i].log);
	}
	free(clean_log);
	return kb_test_tmpdir_teardown(state);
}

static void test_crash_title(void **state)
{
	(void)state;
	for (size_t i = 0; i < KB_ARRAY_SIZE(crashes); i++) {
		struct run r;
		char *first;

		run(&r, NULL, crashes[i].log, NULL, NULL, NULL);
		assert_int_equal(r.code, 0);
		first = kb_xstrndup(r.out.buf, strcspn(r.out.buf, "\n"));
		if (strcmp(first, crashes[i].title))
			printf("%s: want title '%s', got '%s'\n", crashes[i].log, crashes[i].title,
			       first);
		assert_string_equal(first, crashes[i].title);
		/* the report text follows the title */
		assert_true(r.out.len > strlen(first) + 10);
		free(first);
		run_release(&r);
	}
}

static void test_clean_and_errors(void **state)
{
	struct run r;
	char *missing = kb_xasprintf("%s/no-such-console.log", tmpdir);

	(void)state;
	run(&r, NULL, clean_log, NULL, NULL, NULL);
	assert_int_equal(r.code, 1);
	assert_int_equal(r.out.len, 0);
	run_release(&r);

	/* missing file: exit 2, one line naming the file */
	run(&r, NULL, missing, NULL, NULL, NULL);
	assert_int_equal(r.code, 2);
	assert_int_equal(r.out.len, 0);
	assert_non_null(strstr(r.err.buf, missing));
	assert_int_equal(strchr(r.err.buf, '\n') - r.err.buf, (long)r.err.len - 1);
	run_release(&r);

	run(&r, NULL, "--no-such-option", NULL, NULL, NULL);
	assert_int_equal(r.code, 2);
	run_release(&r);
	free(missing);
}

static const char *const keys[] = {
	"crashed",	    "title",	  "alt_titles", "type",	 "frame", "corrupted",
	"corrupted_reason", "suppressed", "panicked",	"start", "end",	  "report"
};

/* @title: expected title or NULL; @len: length of the input log. */
static void check_object(json_t *o, const char *title, size_t len)
{
	for (size_t k = 0; k < KB_ARRAY_SIZE(keys); k++) {
		if (!json_object_get(o, keys[k]))
			printf("--json: key '%s' missing\n", keys[k]);
		assert_non_null(json_object_get(o, keys[k]));
	}
	assert_true(json_is_true(json_object_get(o, "crashed")));
	assert_true(json_is_array(json_object_get(o, "alt_titles")));
	assert_true(json_is_boolean(json_object_get(o, "corrupted")));
	assert_true(json_is_string(json_object_get(o, "report")));
	assert_true(json_string_length(json_object_get(o, "report")) > 0);
	assert_true(json_integer_value(json_object_get(o, "start")) <
		    json_integer_value(json_object_get(o, "end")));
	if (title)
		assert_string_equal(json_string_value(json_object_get(o, "title")), title);
	assert_true(json_integer_value(json_object_get(o, "end")) <= (json_int_t)len);
}

static void test_json(void **state)
{
	struct run r;
	json_error_t err;
	json_t *o;

	(void)state;
	run(&r, NULL, "--json", crashes[0].log, NULL, NULL);
	assert_int_equal(r.code, 0);
	o = json_loads(r.out.buf, 0, &err);
	assert_non_null(o);
	assert_true(json_is_object(o));
	check_object(o, crashes[0].title, crashes[0].len);
	json_decref(o);
	run_release(&r);

	run(&r, NULL, "--json", clean_log, NULL, NULL);
	assert_int_equal(r.code, 1);
	o = json_loads(r.out.buf, 0, &err);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "crashed")));
	json_decref(o);
	run_release(&r);
}

static void test_all(void **state)
{
	struct kb_buf both = KB_BUF_INIT;
	char *path = kb_xasprintf("%s/two.log", tmpdir);
	json_error_t err;
	json_t *a;
	struct run r;
	json_int_t prev = -1;

	(void)state;
	assert_int_equal(kb_read_file(crashes[0].log, &both), 0);
	{
		struct kb_buf second = KB_BUF_INIT;

		assert_int_equal(kb_read_file(crashes[1].log, &second), 0);
		kb_buf_add(&both, second.buf, second.len);
		kb_buf_release(&second);
	}
	assert_int_equal(kb_write_file(path, both.buf, both.len), 0);
	run(&r, NULL, "--json", "--all", path, NULL);
	assert_int_equal(r.code, 0);
	a = json_loads(r.out.buf, 0, &err);
	assert_non_null(a);
	assert_true(json_is_array(a));
	assert_true(json_array_size(a) >= 2);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i);

		check_object(o, i == 0 ? crashes[0].title : NULL, both.len);
		assert_true(json_integer_value(json_object_get(o, "start")) > prev);
		prev = json_integer_value(json_object_get(o, "start"));
	}
	json_decref(a);
	run_release(&r);

	/* without --all: one object, the first crash */
	run(&r, NULL, "--json", path, NULL, NULL);
	assert_int_equal(r.code, 0);
	a = json_loads(r.out.buf, 0, &err);
	assert_non_null(a);
	assert_true(json_is_object(a));
	check_object(a, crashes[0].title, both.len);
	json_decref(a);
	run_release(&r);
	kb_buf_release(&both);
	free(path);
}

static void test_stdin(void **state)
{
	struct kb_buf in = KB_BUF_INIT;
	struct run r;

	(void)state;
	assert_int_equal(kb_read_file(crashes[2].log, &in), 0);
	run(&r, in.buf, "-", NULL, NULL, NULL);
	assert_int_equal(r.code, 0);
	assert_int_equal(strncmp(r.out.buf, crashes[2].title, strlen(crashes[2].title)), 0);
	assert_int_equal(r.out.buf[strlen(crashes[2].title)], '\n');
	run_release(&r);
	run(&r, "nothing to see here\n", "-", NULL, NULL, NULL);
	assert_int_equal(r.code, 1);
	run_release(&r);
	kb_buf_release(&in);
}

/* A report with a decodable Code: line gets the disassembly trailer. */
static void test_disassembly(void **state)
{
	char *path = kb_xasprintf("%s/testdata/decompile/amd64/4.in", shared());
	struct run r;

	(void)state;
	run(&r, NULL, path, NULL, NULL, NULL);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out.buf, "Code disassembly (best guess):\n"));
	assert_non_null(strstr(r.out.buf, "div    %rbp <-- trapping instruction\n"));
	run_release(&r);
	free(path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_title), cmocka_unit_test(test_clean_and_errors),
		cmocka_unit_test(test_json),	    cmocka_unit_test(test_all),
		cmocka_unit_test(test_stdin),	    cmocka_unit_test(test_disassembly),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: test-cli-report PATH-TO-KBISECT\n");
		return 2;
	}
	exe = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
