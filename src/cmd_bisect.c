// SPDX-License-Identifier: Apache-2.0
/* kbisect bisect: config in, reference-format log on stdout, JSON result on request. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "bisect/config.h"
#include "bisect/engine.h"
#include "cli.h"
#include "output/result.h"
#include "util/error.h"
#include "util/fs.h"

static const char bisect_usage[] =
	"usage: kbisect bisect CONFIG.json [--workdir DIR] [--json OUT] [--strategy bayes|reference]\n";

static void emit_stdout(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	fwrite(text, 1, len, stdout);
	fflush(stdout);
}

/* A status line on stderr, only when it is a terminal. */
static void progress_tty(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

static int exit_code(const struct kb_result *res)
{
	switch (res->verdict) {
	case KB_RESULT_CULPRIT:
		return KB_EXIT_OK;
	case KB_RESULT_INCONCLUSIVE:
	case KB_RESULT_OLDEST_RELEASE_BAD:
		return KB_EXIT_NONE;
	case KB_RESULT_NOT_REPRODUCIBLE:
		return KB_EXIT_USAGE;
	case KB_RESULT_ERROR:
		break;
	}
	return KB_EXIT_INFRA;
}

int cmd_bisect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workdir", required_argument, NULL, 'w' },
		{ "json", required_argument, NULL, 'j' },
		{ "strategy", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *workdir = NULL, *json_out = NULL, *strategy = NULL;
	struct kb_config *cfg = NULL;
	struct kb_engine_params p = { 0 };
	struct kb_result res;
	_cleanup_free_ char *wd = NULL;
	int c, r, rc;

	while ((c = getopt_long(argc, argv, "w:j:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			workdir = optarg;
			break;
		case 'j':
			json_out = optarg;
			break;
		case 's':
			strategy = optarg;
			break;
		case 'h':
			fputs(bisect_usage, stdout);
			return KB_EXIT_OK;
		default:
			fputs(bisect_usage, stderr);
			return KB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "kbisect bisect: expected one CONFIG.json\n%s", bisect_usage);
		return KB_EXIT_USAGE;
	}
	if (kb_config_load(argv[optind], &cfg) < 0) {
		fprintf(stderr, "kbisect bisect: %s\n", kb_error_last());
		return KB_EXIT_USAGE;
	}
	p.cfg = cfg;
	p.strategy = cfg->strategy;
	p.max_seconds = cfg->time_budget;
	if (strategy && kb_strategy_parse(strategy, &p.strategy) < 0) {
		fprintf(stderr, "kbisect bisect: --strategy: %s\n", kb_error_last());
		kb_config_free(cfg);
		return KB_EXIT_USAGE;
	}
	if (workdir) {
		char cwd[PATH_MAX];

		wd = workdir[0] == '/' || !getcwd(cwd, sizeof(cwd)) ?
			     kb_xstrdup(workdir) :
			     kb_xasprintf("%s/%s", cwd, workdir);
	} else {
		wd = kb_xasprintf("%s/kbisect-work", cfg->dir);
	}
	p.workdir = wd;
	p.emit = emit_stdout;
	if (isatty(2))
		p.progress = progress_tty;
	kb_result_init(&res);
	r = kb_engine_run(&p, &res);
	if (p.progress)
		fputs("\r\033[K", stderr);
	if (r < 0 && r != -EIO) {
		fprintf(stderr, "kbisect bisect: %s\n", kb_error_last());
		rc = KB_EXIT_USAGE;
	} else {
		rc = exit_code(&res);
		if (rc == KB_EXIT_USAGE || rc == KB_EXIT_INFRA)
			fprintf(stderr, "kbisect bisect: %s\n",
				res.error ? res.error : kb_error_last());
	}
	if (json_out && (r >= 0 || r == -EIO)) {
		struct kb_buf js = KB_BUF_INIT;

		if (kb_result_write_json(&res, &js) < 0 ||
		    kb_write_file(json_out, js.buf, js.len) < 0) {
			fprintf(stderr, "kbisect bisect: cannot write --json '%s': %s\n", json_out,
				kb_error_last());
			if (rc == KB_EXIT_OK)
				rc = KB_EXIT_USAGE;
		}
		kb_buf_release(&js);
	}
	kb_result_clear(&res);
	kb_config_free(cfg);
	return rc;
}
