// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "bisect/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "../testutil.h"

static int setup(void **state)
{
	(void)state;
	if (kb_test_tmpdir_setup(state) < 0)
		return -1;
	char *repo = kb_xasprintf("%s/repo", tmpdir);
	int r = mkdir(repo, 0755);
	free(repo);
	return r;
}

static int teardown(void **state)
{
	(void)state;
	return kb_test_tmpdir_teardown(state);
}

/* Parse @text as "config.json" with paths relative to tmpdir. */
static struct kb_config *parse_ok(const char *text)
{
	struct kb_config *c = NULL;
	int r = kb_config_parse(text, strlen(text), "config.json", tmpdir, &c);

	if (r < 0)
		fail_msg("unexpected error: %s", kb_error_last());
	return c;
}

static void expect_error(const char *text, const char *msg)
{
	struct kb_config *c = NULL;
	int r;

	kb_error_clear();
	r = kb_config_parse(text, strlen(text), "config.json", tmpdir, &c);
	assert_int_equal(r, -EINVAL);
	assert_null(c);
	assert_string_equal(kb_error_last(), msg);
}

#define MIN_PREFIX "{\"repo\": \"repo\", \"bad\": \"HEAD\", "

static void test_defaults(void **state)
{
	(void)state;
	struct kb_config *c = parse_ok(MIN_PREFIX "\"test\": {\"command\": \"./t.sh\"}}");
	char *repo = kb_xasprintf("%s/repo", tmpdir);
	char *real = realpath(repo, NULL);

	assert_non_null(c);
	assert_int_equal(c->kind, KB_CONFIG_GENERIC);
	assert_string_equal(c->repo, real);
	assert_string_equal(c->bad, "HEAD");
	assert_null(c->good);
	assert_null(c->title);
	assert_string_equal(c->release_tags, "v[0-9]*");
	assert_false(kb_command_present(&c->build.command));
	assert_int_equal(c->build.n_artifacts, 0);
	assert_true(c->build.timeout == 3600.0);
	assert_int_equal(c->build.slots, 1);
	assert_string_equal(c->test.backend, "local");
	assert_string_equal(c->test.command.shell, "./t.sh");
	assert_null(c->test.command.argv);
	assert_int_equal(c->test.runs, 10);
	assert_int_equal(c->test.parallel, 1);
	assert_true(c->test.timeout == 600.0);
	assert_true(c->test.runs_ahead);
	assert_int_equal(c->strategy, KB_STRATEGY_BAYES);
	assert_true(c->confidence == 0.99);
	assert_true(c->time_budget == 0); /* none */
	assert_null(c->linux_section);
	assert_int_equal(strlen(c->hash), 64);
	assert_int_equal(strspn(c->hash, "0123456789abcdef"), 64);
	free(repo);
	free(real);
	kb_config_free(c);
}

static void test_full_and_argv(void **state)
{
	(void)state;
	const char *text =
		"{\n"
		"  \"kind\": \"generic\",\n"
		"  \"repo\": \"repo\",\n"
		"  \"bad\": \"v2\",\n"
		"  \"good\": \"v1\",\n"
		"  \"release_tags\": \"rel-*\",\n"
		"  \"title\": \"KASAN: use-after-free in foo\",\n"
		"  \"build\": {\"command\": [\"make\", \"-j2\", \"\"],\n"
		"            \"artifacts\": [\"out/bin\", \"vmlinux\"], \"timeout\": 10.5,\n"
		"            \"slots\": 3},\n"
		"  \"test\": {\"backend\": \"local\", \"command\": [\"./run\", \"--x\"],\n"
		"           \"runs\": 20, \"parallel\": 2, \"timeout\": 60, \"runs_ahead\": false},\n"
		"  \"strategy\": \"reference\",\n"
		"  \"confidence\": 0.5,\n"
		"  \"time_budget\": 43200\n"
		"}\n";
	struct kb_config *c = parse_ok(text);

	assert_non_null(c);
	assert_string_equal(c->good, "v1");
	assert_string_equal(c->release_tags, "rel-*");
	assert_string_equal(c->title, "KASAN: use-after-free in foo");
	assert_null(c->build.command.shell);
	assert_int_equal(c->build.command.argc, 3);
	assert_string_equal(c->build.command.argv[0], "make");
	assert_string_equal(c->build.command.argv[1], "-j2");
	assert_string_equal(c->build.command.argv[2], "");
	assert_null(c->build.command.argv[3]);
	assert_int_equal(c->build.n_artifacts, 2);
	assert_string_equal(c->build.artifacts[1], "vmlinux");
	assert_null(c->build.artifacts[2]);
	assert_true(c->build.timeout == 10.5);
	assert_int_equal(c->build.slots, 3);
	assert_int_equal(c->test.command.argc, 2);
	assert_string_equal(c->test.command.argv[1], "--x");
	assert_int_equal(c->test.runs, 20);
	assert_int_equal(c->test.parallel, 2);
	assert_true(c->test.timeout == 60.0);
	assert_false(c->test.runs_ahead);
	assert_int_equal(c->strategy, KB_STRATEGY_REFERENCE);
	assert_true(c->confidence == 0.5);
	assert_true(c->time_budget == 43200.0);
	kb_config_free(c);
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error("{\n"
		     "\t\"repo\": \"repo\",\n"
		     "\t\"bad\": \"HEAD\",\n"
		     "\t\"test\": {\n"
		     "\t\t\"command\": \"true\",\n"
		     "\t\t\"runs\": 3,\n"
		     "\t\t\"parallel\": 1, \"runz\": 20\n"
		     "\t}\n"
		     "}\n",
		     "config.json:7:18: unknown key \"runz\" in \"test\"; did you mean \"runs\"?");
	expect_error("{\"repo\": \"repo\", \"frobnicate\": 1}",
		     "config.json:1:18: unknown key \"frobnicate\"");
	expect_error("{\"bda\": \"x\"}",
		     "config.json:1:2: unknown key \"bda\"; did you mean \"bad\"?");
	expect_error(
		"{\"build\": {\"comand\": \"make\"}}",
		"config.json:1:12: unknown key \"comand\" in \"build\"; did you mean \"command\"?");
	/* a key that is only valid for another kind says so */
	expect_error(MIN_PREFIX "\"linux\": {}}",
		     "config.json:1:33: key \"linux\" needs \"kind\": \"linux\"");
	/* escapes in keys are decoded as jansson decodes them */
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"r\\u0075ns\": 0}}",
		     "config.json:1:71: \"test.runs\" must be between 1 and 1000");
	expect_error("{\"a\\\"b\\ud83d\\ude00\\n\": 1, \"x\\/y\": 2}",
		     "config.json:1:2: unknown key \"a\"b\xf0\x9f\x98\x80\\n\"");
	/* a deep value elsewhere does not shift the positions after it */
	{
		struct kb_buf t = KB_BUF_INIT;
		kb_buf_addstr(&t, "{\"kind\": \"linux\", \"linux\": {\"deep\": ");
		for (int i = 0; i < 100; i++)
			kb_buf_addstr(&t, "[{\"k\": \"]\"}, ");
		kb_buf_addstr(&t, "0");
		for (int i = 0; i < 100; i++)
			kb_buf_addstr(&t, "]");
		kb_buf_addstr(&t, "},\n \"bad\": 1}");
		expect_error(t.buf, "config.json:2:9: \"bad\" must be a string");
		kb_buf_release(&t);
	}
	/* non-ASCII before the key: columns count characters, not bytes */
	expect_error("{\"title\": \"\xc3\xa9\xc3\xa9\", \"x\": 1}",
		     "config.json:1:17: unknown key \"x\"");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_error("{\n  \"repo\": \"repo\",\n  \"bad\": 42\n}",
		     "config.json:3:10: \"bad\" must be a string");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"runs\": 2.5}}",
		     "config.json:1:66: \"test.runs\" must be an integer");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"parallel\": \"2\"}}",
		     "config.json:1:70: \"test.parallel\" must be an integer");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"runs_ahead\": 1}}",
		     "config.json:1:72: \"test.runs_ahead\" must be true or false");
	expect_error(MIN_PREFIX "\"test\": {\"command\": 7}}",
		     "config.json:1:53: \"test.command\" must be a string or an array of strings");
	expect_error(MIN_PREFIX "\"test\": {\"command\": [\"a\", 1]}}",
		     "config.json:1:59: \"test.command[1]\" must be a string");
	expect_error(MIN_PREFIX "\"test\": []}", "config.json:1:41: \"test\" must be an object");
	expect_error(MIN_PREFIX "\"build\": {\"command\": \"m\", \"artifacts\": \"a\"}, "
				"\"test\": {\"command\": \"x\"}}",
		     "config.json:1:72: \"build.artifacts\" must be an array of strings");
	expect_error(MIN_PREFIX "\"confidence\": \"high\"}",
		     "config.json:1:47: \"confidence\" must be a number");
	expect_error(MIN_PREFIX "\"build\": {\"command\": \"m\", \"timeout\": \"1h\"}}",
		     "config.json:1:70: \"build.timeout\" must be a number (seconds)");
	expect_error("[1, 2]", "config.json:1:1: the config must be a JSON object");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"runs\": 0}}",
		     "config.json:1:66: \"test.runs\" must be between 1 and 1000");
	expect_error(MIN_PREFIX "\"build\": {\"command\": \"m\", \"slots\": 65}, "
				"\"test\": {\"command\": \"x\"}}",
		     "config.json:1:68: \"build.slots\" must be between 0 and 64");
	expect_error(MIN_PREFIX "\"build\": {\"command\": \"m\", \"slots\": -1}, "
				"\"test\": {\"command\": \"x\"}}",
		     "config.json:1:68: \"build.slots\" must be between 0 and 64");
	/* only kernels may leave out the build command (the "linux" section builds) */
	expect_error(MIN_PREFIX "\"build\": {\"slots\": 2}, \"test\": {\"command\": \"x\"}}",
		     "config.json:1:42: missing key \"command\" in \"build\"");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"parallel\": 0}}",
		     "config.json:1:70: \"test.parallel\" must be between 1 and 256");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\"}, \"time_budget\": -1}",
		     "config.json:1:74: \"time_budget\" must be > 0 seconds");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"timeout\": 0}}",
		     "config.json:1:69: \"test.timeout\" must be > 0 seconds");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"timeout\": -5}}",
		     "config.json:1:69: \"test.timeout\" must be > 0 seconds");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\"}, \"confidence\": 1}",
		     "config.json:1:73: \"confidence\" must be at least 0.5 and below 1");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\"}, \"confidence\": 0.49}",
		     "config.json:1:73: \"confidence\" must be at least 0.5 and below 1");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\"}, \"strategy\": \"fast\"}",
		     "config.json:1:71: \"strategy\" must be \"bayes\" or \"reference\"");
	expect_error(MIN_PREFIX "\"kind\": \"bsd\"}",
		     "config.json:1:41: \"kind\" must be \"generic\" or \"linux\"");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"\"}}",
		     "config.json:1:53: \"test.command\" must not be empty");
	expect_error(MIN_PREFIX "\"test\": {\"command\": []}}",
		     "config.json:1:53: \"test.command\" must not be an empty array");
	expect_error(MIN_PREFIX "\"test\": {\"command\": [\"\", \"a\"]}}",
		     "config.json:1:54: \"test.command[0]\" (the program) must not be empty");
	expect_error(MIN_PREFIX "\"test\": {\"command\": \"x\", \"backend\": \"qemu\"}}",
		     "config.json:1:69: \"test.backend\" must be \"local\"");
	expect_error(
		MIN_PREFIX "\"build\": {\"command\": \"m\", \"artifacts\": [\"ok\", \"../x\"]}}",
		"config.json:1:79: \"build.artifacts[1]\" must be a path inside the work tree");

	char *real = realpath(tmpdir, NULL);
	char *want = kb_xasprintf("config.json:1:10: \"repo\": '%s/nope' is not a directory", real);
	expect_error("{\"repo\": \"nope\", \"bad\": \"HEAD\", \"test\": {\"command\": \"x\"}}",
		     want);
	free(want);
	free(real);
}

static void test_missing_and_syntax(void **state)
{
	(void)state;
	expect_error("{\"repo\": \"repo\"}", "config.json:1:1: missing key \"bad\"");
	expect_error(MIN_PREFIX "\"build\": {}}",
		     "config.json:1:42: missing key \"command\" in \"build\"");
	expect_error(MIN_PREFIX "\"build\": {\"command\": \"m\"}}",
		     "config.json:1:1: missing key \"test\"");
	expect_error(MIN_PREFIX "\"test\": {\"runs\": 1}}",
		     "config.json:1:41: missing key \"command\" in \"test\"");
	/* syntax errors come from jansson, with its line and column */
	expect_error("{\n  \"bad\": \"x\",\n}", "config.json:3:1: string or '}' expected near '}'");
	expect_error("{\"bad\": \"x\", \"bad\": \"y\"}",
		     "config.json:1:18: duplicate object key near '\"bad\"'");
	expect_error("", "config.json:1:1: '[' or '{' expected near end of file");
}

static void test_linux_kind(void **state)
{
	(void)state;
	struct kb_config *c =
		parse_ok(MIN_PREFIX "\"kind\": \"linux\", "
				    "\"linux\": {\"config\": \"x.config\", \"n\": [1]}, "
				    "\"build\": {\"slots\": 2}, "
				    "\"test\": {\"backend\": \"qemu\", \"command\": \"x\"}}");

	assert_non_null(c);
	assert_int_equal(c->kind, KB_CONFIG_LINUX);
	/* kernels need no build command: "build" may only set the slots */
	assert_int_equal(c->build.slots, 2);
	assert_false(kb_command_present(&c->build.command));
	assert_string_equal(c->test.backend, "qemu");
	assert_non_null(c->linux_section);
	assert_string_equal(json_string_value(json_object_get(c->linux_section, "config")),
			    "x.config");
	kb_config_free(c);
	/* 0 slots: no build beside the tests */
	c = parse_ok(MIN_PREFIX "\"build\": {\"command\": \"m\", \"slots\": 0}, "
				"\"test\": {\"command\": \"x\"}}");
	assert_int_equal(c->build.slots, 0);
	kb_config_free(c);
	expect_error(MIN_PREFIX "\"kind\": \"linux\", \"linux\": 3}",
		     "config.json:1:59: \"linux\" must be an object");
}

static void test_hash(void **state)
{
	(void)state;
	struct kb_config *a = parse_ok(MIN_PREFIX "\"test\": {\"command\": \"x\"}}");
	/* same meaning: other order, whitespace, explicit defaults */
	struct kb_config *b =
		parse_ok("{ \"test\": {\"runs\": 10, \"command\": \"x\", \"runs_ahead\": true},\n"
			 "  \"bad\": \"HEAD\", \"repo\": \"./repo\", \"confidence\": 0.99 }");
	struct kb_config *c = parse_ok(MIN_PREFIX "\"test\": {\"command\": \"x\", \"runs\": 11}}");
	struct kb_config *d = parse_ok(MIN_PREFIX "\"test\": {\"command\": [\"x\"]}}");
	struct kb_config *e =
		parse_ok(MIN_PREFIX "\"test\": {\"command\": \"x\", \"runs_ahead\": false}}");

	assert_string_equal(a->hash, b->hash);
	assert_string_not_equal(a->hash, c->hash);
	/* a shell string and a one-word argv run differently, so they differ */
	assert_string_not_equal(a->hash, d->hash);
	assert_string_not_equal(a->hash, e->hash);
	kb_config_free(e);

	json_t *j = kb_config_to_json(a);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "test"), "runs")),
			 10);
	assert_string_equal(json_string_value(json_object_get(j, "strategy")), "bayes");
	json_decref(j);
	kb_config_free(a);
	kb_config_free(b);
	kb_config_free(c);
	kb_config_free(d);
}

static void test_load_file(void **state)
{
	(void)state;
	char *path = kb_xasprintf("%s/repo/sub.json", tmpdir);
	const char *text = "{\"repo\": \"..\", \"bad\": \"HEAD\",\n \"test\": {\"command\": \"x\", "
			   "\"runs\": -1}}";
	struct kb_config *c = NULL;

	assert_int_equal(kb_write_file(path, text, strlen(text)), 0);
	assert_int_equal(kb_config_load(path, &c), -EINVAL);
	char *want = kb_xasprintf("%s:2:35: \"test.runs\" must be between 1 and 1000", path);
	assert_string_equal(kb_error_last(), want);
	free(want);

	/* relative "repo" resolves against the file's directory, not the cwd */
	text = "{\"repo\": \"..\", \"bad\": \"HEAD\", \"test\": {\"command\": \"x\"}}";
	assert_int_equal(kb_write_file(path, text, strlen(text)), 0);
	assert_int_equal(kb_config_load(path, &c), 0);
	char *real = realpath(tmpdir, NULL);
	assert_string_equal(c->repo, real);
	char *res = kb_config_resolve(c, "x/y");
	char *want2 = kb_xasprintf("%s/repo/x/y", real);
	assert_string_equal(res, want2);
	free(res);
	free(want2);
	free(real);
	kb_config_free(c);

	char *missing = kb_xasprintf("%s/none.json", tmpdir);
	assert_true(kb_config_load(missing, &c) < 0);
	assert_non_null(strstr(kb_error_last(), "none.json"));
	free(missing);
	free(path);
}

static void test_strategy_names(void **state)
{
	enum kb_strategy s = KB_STRATEGY_BAYES;

	(void)state;
	assert_int_equal(kb_strategy_parse("reference", &s), 0);
	assert_int_equal(s, KB_STRATEGY_REFERENCE);
	assert_string_equal(kb_strategy_name(s), "reference");
	assert_int_equal(kb_strategy_parse("bayes", &s), 0);
	assert_string_equal(kb_strategy_name(s), "bayes");
	assert_int_equal(kb_strategy_parse("Bayes", &s), -EINVAL);
	assert_string_equal(kb_error_last(), "unknown strategy 'Bayes'; use bayes or reference");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_full_and_argv),
		cmocka_unit_test(test_unknown_keys), cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_values),   cmocka_unit_test(test_missing_and_syntax),
		cmocka_unit_test(test_linux_kind),   cmocka_unit_test(test_hash),
		cmocka_unit_test(test_load_file),    cmocka_unit_test(test_strategy_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
