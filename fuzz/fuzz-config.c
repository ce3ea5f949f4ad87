// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for kb_config_parse: the input is the JSON text of a config
 * file.  "repo" must name an existing directory, so relative paths resolve
 * against a temporary directory that holds one ("repo").  Invariants: a
 * failure leaves a one-line "config.json:..." message and no config; a
 * success has the documented defaults in range and a 64-hex-digit hash that
 * is stable when the same text is parsed again.
 */
#include <string.h>
#include <sys/stat.h>
#include "bisect/config.h"
#include "fuzz.h"
#include "util/error.h"
#include "util/fs.h"

static char *tmpdir;

static void remove_tmpdir(void)
{
	if (tmpdir && kb_rm_rf(tmpdir) < 0)
		fprintf(stderr, "fuzz-config: cannot remove %s\n", tmpdir);
	free(tmpdir);
}

static const char *dir(void)
{
	if (!tmpdir) {
		char tmpl[] = "/tmp/kb-fuzz-config-XXXXXX";
		char *repo;

		CHECK(mkdtemp(tmpl));
		tmpdir = kb_xstrdup(tmpl);
		repo = kb_xasprintf("%s/repo", tmpdir);
		CHECK(mkdir(repo, 0700) == 0);
		free(repo);
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kb_config *c = NULL, *c2 = NULL;
	const char *msg;
	int r;

	kb_error_clear();
	r = kb_config_parse((const char *)data, size, "config.json", dir(), &c);
	if (r < 0) {
		msg = kb_error_last();
		CHECK(c == NULL);
		CHECK(msg[0] && !strchr(msg, '\n'));
		CHECK(!strncmp(msg, "config.json", 11));
		return 0;
	}
	CHECK(r == 0 && c);
	CHECK(is_hex64(c->hash));
	CHECK(c->repo && c->repo[0] == '/' && c->bad && c->bad[0]);
	CHECK(c->path && c->dir && c->dir[0] == '/');
	/* kernels may leave the test to the linux section's reproducer */
	CHECK(c->test.backend &&
	      (kb_command_present(&c->test.command) || c->kind == KB_CONFIG_LINUX));
	CHECK(!c->test.command.shell || !c->test.command.argv);
	CHECK(c->test.runs >= 1 && c->test.parallel >= 1);
	CHECK(c->test.timeout > 0 && c->build.timeout > 0);
	CHECK(c->confidence > 0 && c->confidence < 1);
	CHECK(kb_strategy_name(c->strategy) != NULL);
	CHECK(c->kind == KB_CONFIG_LINUX || !c->linux_section);
	for (size_t i = 0; i < c->build.n_artifacts; i++)
		CHECK(c->build.artifacts[i]);
	CHECK(c->build.n_artifacts == 0 || !c->build.artifacts[c->build.n_artifacts]);

	/* the hash is a function of the text */
	CHECK(kb_config_parse((const char *)data, size, "config.json", dir(), &c2) == 0);
	CHECK(!strcmp(c->hash, c2->hash));
	kb_config_free(c2);
	kb_config_free(c);
	return 0;
}
