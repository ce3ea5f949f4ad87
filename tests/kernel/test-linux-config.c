// SPDX-License-Identifier: Apache-2.0
/*
 * The "linux" config section: defaults, every kind of bad value, the machine
 * checks (bad .config, missing QEMU / busybox / reproducer), the compiler
 * table, and the required-options check on a .config text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bisect/config.h"
#include "bisect/linux_config.h"
#include "build/kernel.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

static char tmpdir[] = "/tmp/kbisect-lxcfg-XXXXXX";

static int setup(void **state)
{
	_cleanup_free_ char *repo = NULL, *kc = NULL, *bad = NULL;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	repo = kb_xasprintf("%s/repo", tmpdir);
	kc = kb_xasprintf("%s/kernel.config", tmpdir);
	bad = kb_xasprintf("%s/notaconfig", tmpdir);
	if (kb_mkdir_p(repo, 0755) < 0)
		return -1;
	if (kb_write_file(kc, "#\n# comment\n#\nCONFIG_64BIT=y\n# CONFIG_KASAN is not set\n", 54) <
	    0)
		return -1;
	return kb_write_file(bad, "{\"this\": \"is json\"}\n", 20);
}

static int teardown(void **state)
{
	(void)state;
	return kb_rm_rf(tmpdir);
}

/* Parse a config whose "linux" section is @section (JSON text) and @test the test object. */
static int parse(const char *section, const char *test, struct kb_config **cfg,
		 struct kb_linux_config **lc)
{
	_cleanup_free_ char *text = kb_xasprintf(
		"{\"kind\": \"linux\", \"repo\": \"repo\", \"bad\": \"HEAD\",\n"
		" \"test\": %s,\n \"linux\": %s}\n",
		test ? test : "{\"backend\": \"qemu\", \"command\": \"/repro\", \"parallel\": 3}",
		section);
	int r;

	*lc = NULL;
	r = kb_config_parse(text, strlen(text), "c.json", tmpdir, cfg);
	if (r < 0)
		return r;
	r = kb_linux_config_parse(*cfg, lc);
	return r;
}

static void expect_error(const char *section, const char *test, const char *msg)
{
	struct kb_config *cfg = NULL;
	struct kb_linux_config *lc = NULL;
	int r = parse(section, test, &cfg, &lc);

	if (r == 0) {
		fail_msg("accepted: %s", section);
	}
	assert_null(lc);
	if (!strstr(kb_error_last(), msg))
		fail_msg("section %s: error '%s' lacks '%s'", section, kb_error_last(), msg);
	kb_error_clear();
	kb_config_free(cfg);
}

static void test_defaults(void **state)
{
	struct kb_config *cfg;
	struct kb_linux_config *lc;
	_cleanup_free_ char *kc = kb_xasprintf("%s/kernel.config", tmpdir);

	(void)state;
	assert_int_equal(parse("{\"config\": \"kernel.config\"}", NULL, &cfg, &lc), 0);
	assert_string_equal(lc->kernel_config, kc); /* resolved against the config's dir */
	assert_string_equal(lc->arch, "x86_64");
	assert_string_equal(lc->accel, "auto");
	assert_string_equal(lc->busybox, "/bin/busybox");
	assert_int_equal(lc->vms, 3); /* test.parallel */
	assert_int_equal(lc->memory, KB_LINUX_DEFAULT_MEMORY);
	assert_int_equal(lc->cpus, 1);
	assert_true(lc->ccache);
	assert_null(lc->reproducer);
	assert_int_equal(lc->n_required, 0);
	assert_int_equal(lc->n_compilers, 0);
	assert_true(lc->reproducer_timeout == KB_LINUX_DEFAULT_REPRO_TIMEOUT);
	assert_string_equal(kb_linux_qemu_binary(lc), "qemu-system-x86_64");
	kb_linux_config_free(lc);
	kb_config_free(cfg);
}

static void test_all_keys(void **state)
{
	struct kb_config *cfg;
	struct kb_linux_config *lc;

	(void)state;
	assert_int_equal(
		parse("{\"config\": \"kernel.config\", \"arch\": \"arm64\", \"reproducer\": \"r.c\","
		      " \"reproducer_timeout\": 5.5, \"required_configs\": [\"KASAN\", \"CONFIG_HZ=250\"],"
		      " \"vms\": 4, \"memory\": 1024, \"cpus\": 2, \"accel\": \"tcg\","
		      " \"busybox\": \"/opt/bb\", \"build_dir\": \"/var/tmp/o\", \"ccache\": false,"
		      " \"ccache_dir\": \"cc\", \"jobs\": 8,"
		      " \"compilers\": [{\"since_tag\": \"v5.16\", \"cc\": \"gcc-12\"},"
		      "   {\"since_date\": \"2020-06-01\", \"cc\": \"gcc-10\", \"ld\": \"ld.bfd\"},"
		      "   {\"cc\": \"gcc-8\"}]}",
		      NULL, &cfg, &lc),
		0);
	assert_string_equal(lc->arch, "arm64");
	assert_string_equal(kb_linux_qemu_binary(lc), "qemu-system-aarch64");
	assert_true(lc->reproducer_is_c);
	assert_true(lc->reproducer_timeout == 5.5);
	assert_int_equal(lc->n_required, 2);
	assert_string_equal(lc->required[1], "CONFIG_HZ=250");
	assert_null(lc->required[2]);
	assert_int_equal(lc->vms, 4);
	assert_int_equal(lc->memory, 1024);
	assert_int_equal(lc->cpus, 2);
	assert_string_equal(lc->accel, "tcg");
	assert_string_equal(lc->busybox, "/opt/bb");
	assert_string_equal(lc->build_dir, "/var/tmp/o");
	assert_false(lc->ccache);
	assert_int_equal(lc->jobs, 8);
	assert_int_equal(lc->n_compilers, 3);
	assert_string_equal(lc->compilers[0].since_tag, "v5.16");
	assert_int_equal(lc->compilers[1].since_date, 1590969600); /* 2020-06-01 UTC */
	assert_string_equal(lc->compilers[1].ld, "ld.bfd");
	kb_linux_config_free(lc);
	kb_config_free(cfg);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{}", NULL, "missing key \"config\"");
	expect_error("{\"config\": \"k\", \"confg\": 1}", NULL, "unknown key \"confg\"");
	expect_error("{\"config\": 3}", NULL, "\"linux.config\" must be a non-empty string");
	expect_error("{\"config\": \"k\", \"arch\": \"mips\"}", NULL, "\"linux.arch\" must be");
	expect_error("{\"config\": \"k\", \"vms\": 0}", NULL, "\"linux.vms\" must be an integer");
	expect_error("{\"config\": \"k\", \"memory\": 1.5}", NULL, "\"linux.memory\"");
	expect_error("{\"config\": \"k\", \"accel\": \"hvf\"}", NULL, "\"linux.accel\" must be");
	expect_error("{\"config\": \"k\", \"ccache\": 1}", NULL, "must be true or false");
	expect_error("{\"config\": \"k\", \"reproducer_timeout\": 0}", NULL, "above 0");
	expect_error("{\"config\": \"k\", \"required_configs\": [\"kasan\"]}", NULL,
		     "option names");
	expect_error("{\"config\": \"k\", \"required_configs\": \"KASAN\"}", NULL, "array");
	expect_error("{\"config\": \"k\", \"compilers\": [{\"ld\": \"x\"}]}", NULL,
		     "\"linux.compilers[0]\" needs \"cc\"");
	expect_error(
		"{\"config\": \"k\", \"compilers\": [{\"cc\": \"x\", \"since_date\": \"June\"}]}",
		NULL, "YYYY-MM-DD");
	expect_error("{\"config\": \"k\", \"compilers\": [{\"cc\": \"x\", \"sinse_tag\": \"v1\"}]}",
		     NULL, "unknown key \"sinse_tag\"");
	/* a qemu run needs something to run in the guest */
	expect_error("{\"config\": \"k\"}", "{\"backend\": \"qemu\", \"command\": [\"/repro\"]}",
		     "needs \"linux.reproducer\"");
}

/* Parse @section, then run the machine checks: NULL @msg expects success. */
static void check_machine(const char *section, const char *msg)
{
	struct kb_config *cfg;
	struct kb_linux_config *lc;

	assert_int_equal(parse(section, NULL, &cfg, &lc), 0);
	if (!msg) {
		assert_int_equal(kb_linux_config_check(cfg, lc), 0);
	} else {
		assert_true(kb_linux_config_check(cfg, lc) < 0);
		if (!strstr(kb_error_last(), msg))
			fail_msg("error '%s' lacks '%s'", kb_error_last(), msg);
		kb_error_clear();
	}
	kb_linux_config_free(lc);
	kb_config_free(cfg);
}

static void test_checks(void **state)
{
	(void)state;
	check_machine("{\"config\": \"notaconfig\"}", "is not a kernel .config");
	check_machine("{\"config\": \"nope.config\"}", "nope.config");
	check_machine("{\"config\": \"kernel.config\", \"qemu\": \"no-such-qemu\"}",
		      "QEMU ('no-such-qemu') is not installed");
	/* /bin/true stands in for QEMU, /bin/sh for busybox */
	check_machine("{\"config\": \"kernel.config\", \"qemu\": \"/bin/true\","
		      " \"busybox\": \"/no/busybox\"}",
		      "no static busybox at '/no/busybox'");
	check_machine("{\"config\": \"kernel.config\", \"qemu\": \"/bin/true\","
		      " \"busybox\": \"/bin/sh\", \"reproducer\": \"gone.c\"}",
		      "\"linux.reproducer\": cannot read");
	check_machine("{\"config\": \"kernel.config\", \"qemu\": \"/bin/true\","
		      " \"busybox\": \"/bin/sh\"}",
		      NULL);
}

static const char *const *anc_tags;

static int fake_is_ancestor(void *ctx, const char *tag)
{
	(void)ctx;
	for (const char *const *t = anc_tags; *t; t++)
		if (!strcmp(*t, tag))
			return 1;
	return 0;
}

static int failing_is_ancestor(void *ctx, const char *tag)
{
	(void)ctx;
	(void)tag;
	return -EIO;
}

static void test_compiler_table(void **state)
{
	struct kb_config *cfg;
	struct kb_linux_config *lc;
	const struct kb_linux_compiler *c;
	int err;

	(void)state;
	assert_int_equal(parse("{\"config\": \"k\", \"compilers\": ["
			       "{\"since_tag\": \"v5.16\", \"cc\": \"gcc-12\"},"
			       "{\"since_tag\": \"v5.9\", \"cc\": \"gcc-10\"},"
			       "{\"since_date\": \"2017-01-01\", \"cc\": \"gcc-8\"}]}",
			       NULL, &cfg, &lc),
			 0);
	anc_tags = (const char *const[]){ "v5.9", "v5.16", NULL };
	c = kb_linux_pick_compiler(lc, fake_is_ancestor, NULL, 0, &err);
	assert_int_equal(err, 0);
	assert_string_equal(c->cc, "gcc-12");
	anc_tags = (const char *const[]){ "v5.9", NULL };
	c = kb_linux_pick_compiler(lc, fake_is_ancestor, NULL, 0, &err);
	assert_string_equal(c->cc, "gcc-10");
	anc_tags = (const char *const[]){ NULL };
	c = kb_linux_pick_compiler(lc, fake_is_ancestor, NULL, 1500000000, &err); /* 2017-07 */
	assert_string_equal(c->cc, "gcc-8");
	c = kb_linux_pick_compiler(lc, fake_is_ancestor, NULL, 1400000000, &err); /* 2014 */
	assert_null(c);
	assert_int_equal(err, 0);
	c = kb_linux_pick_compiler(lc, failing_is_ancestor, NULL, 0, &err);
	assert_null(c);
	assert_int_equal(err, -EIO);
	kb_linux_config_free(lc);
	kb_config_free(cfg);
}

/* Run a shell snippet in the git repository @dir (test fixture only). */
static void git_sh(const char *dir, const char *script)
{
	_cleanup_free_ char *cmd = kb_xasprintf(
		"cd '%s' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t "
		"GIT_COMMITTER_EMAIL=t@e && %s >/dev/null 2>&1",
		dir, script);

	assert_int_equal(system(cmd), 0);
}

static void head_hash(const char *dir, const char *rev, char out[41])
{
	_cleanup_free_ char *cmd = kb_xasprintf("git -C '%s' rev-parse '%s^{commit}'", dir, rev);
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	assert_non_null(fgets(out, 41, f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(strlen(out), 40);
}

/*
 * "since_tag" rows on a real repository: release tags are names, not
 * hashes, and annotated ones point at a tag object, not at the commit.
 */
static void test_tag_is_ancestor(void **state)
{
	_cleanup_free_ char *dir = kb_xasprintf("%s/tags", tmpdir);
	char c1[41], c2[41], c3[41];

	(void)state;
	assert_int_equal(kb_mkdir_p(dir, 0755), 0);
	git_sh(dir, "git init -q . && git commit -q --allow-empty -m one && "
		    "git tag -a -m 'Linux v1.1' v1.1 && git commit -q --allow-empty -m two && "
		    "git tag v1.2 && git commit -q --allow-empty -m three");
	head_hash(dir, "v1.1", c1);
	head_hash(dir, "v1.2", c2);
	head_hash(dir, "HEAD", c3);
	assert_int_equal(kb_linux_tag_is_ancestor(dir, "v1.1", c3), 1);
	assert_int_equal(kb_linux_tag_is_ancestor(dir, "v1.2", c3), 1);
	assert_int_equal(kb_linux_tag_is_ancestor(dir, "v1.1", c1), 1); /* the tagged commit */
	assert_int_equal(kb_linux_tag_is_ancestor(dir, "v1.2", c1), 0);
	assert_int_equal(kb_linux_tag_is_ancestor(dir, "v1.1", c2), 1);
	/* a tag the repository lacks matches nothing and is no error */
	assert_int_equal(kb_linux_tag_is_ancestor(dir, "v9.9", c3), 0);
	assert_string_equal(kb_error_last(), "");
	/* not a repository: an error, not a silent "no" */
	assert_true(kb_linux_tag_is_ancestor(tmpdir, "v1.1", c3) < 0);
	kb_error_clear();
}

static void test_required_options(void **state)
{
	const char *cfgtext = "CONFIG_64BIT=y\n"
			      "CONFIG_KASAN=y\n"
			      "CONFIG_EXT4_FS=m\n"
			      "CONFIG_HZ=250\n"
			      "CONFIG_KASAN_INLINE_X=y\n"
			      "# CONFIG_UBSAN is not set\n"
			      "CONFIG_LOCALVERSION=\"\"";
	size_t len = strlen(cfgtext);
	char *m;

	(void)state;
	assert_null(
		kb_kernel_config_missing(cfgtext, len,
					 (const char *const[]){ "KASAN", "CONFIG_EXT4_FS", "HZ=250",
								"UBSAN=n", "LOCALVERSION=\"\"" },
					 5));
	m = kb_kernel_config_missing(
		cfgtext, len,
		(const char *const[]){ "UBSAN", "KASAN_INLINE", "HZ=100", "KASAN=n", "64BIT" }, 5);
	assert_non_null(m);
	assert_string_equal(m, "CONFIG_UBSAN, CONFIG_KASAN_INLINE, CONFIG_HZ=100, CONFIG_KASAN=n");
	free(m);
}

static void test_arch_helpers(void **state)
{
	char *p;

	(void)state;
	assert_string_equal(kb_kernel_make_arch("x86_64"), "x86_64");
	assert_string_equal(kb_kernel_make_arch("amd64"), "x86_64");
	assert_string_equal(kb_kernel_make_arch("arm64"), "arm64");
	assert_null(kb_kernel_make_arch("riscv"));
	p = kb_kernel_image_path("/o", "x86_64");
	assert_string_equal(p, "/o/arch/x86/boot/bzImage");
	free(p);
	p = kb_kernel_image_path("/o", "arm64");
	assert_string_equal(p, "/o/arch/arm64/boot/Image");
	free(p);
}

static void test_compiler_id(void **state)
{
	_cleanup_free_ char *gen = kb_xasprintf("%s/o/include/generated", tmpdir);
	_cleanup_free_ char *h = kb_xasprintf("%s/compile.h", gen);
	_cleanup_free_ char *o = kb_xasprintf("%s/o", tmpdir);
	/* as Kbuild 6.1 writes it: tabs between name and value */
	const char text[] =
		"#define UTS_MACHINE\t\t\"x86_64\"\n"
		"#define LINUX_COMPILER_X\t\"no\"\n"
		"#define LINUX_COMPILER\t\t\"gcc (Debian 12.2.0-14) 12.2.0, GNU ld 2.40\"\n";
	char *id;

	(void)state;
	assert_null(kb_kernel_compiler_id(o)); /* nothing built yet */
	kb_error_clear();
	assert_int_equal(kb_mkdir_p(gen, 0755), 0);
	assert_int_equal(kb_write_file(h, text, strlen(text)), 0);
	id = kb_kernel_compiler_id(o);
	assert_non_null(id);
	assert_string_equal(id, "gcc (Debian 12.2.0-14) 12.2.0, GNU ld 2.40");
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_errors),		 cmocka_unit_test(test_checks),
		cmocka_unit_test(test_compiler_table),	 cmocka_unit_test(test_tag_is_ancestor),
		cmocka_unit_test(test_required_options), cmocka_unit_test(test_arch_helpers),
		cmocka_unit_test(test_compiler_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
