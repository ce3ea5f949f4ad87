/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bisection config: one JSON file (docs/config.md) parsed with jansson
 * into struct kb_config.  Unknown keys and wrong types are errors that name
 * the file, line and column of the offending key or value, in the form
 * compilers use ("config.json:7:12: unknown key ...").  Everything optional
 * gets its documented default here, so the engine never looks at JSON.
 *
 * Extension: "kind" selects the flavour.  "generic" (default) knows only the
 * keys below; "linux" additionally accepts a "linux" object that is kept
 * as-is (->linux_section) for the kernel builder to validate later.
 */
#ifndef KB_BISECT_CONFIG_H
#define KB_BISECT_CONFIG_H

#include <jansson.h>
#include "util/buf.h"

enum kb_config_kind {
	KB_CONFIG_GENERIC,
	KB_CONFIG_LINUX,
};

enum kb_strategy {
	KB_STRATEGY_BAYES, /* statistical search (default) */
	KB_STRATEGY_REFERENCE, /* syzkaller-compatible git bisect with fixed thresholds */
};

/* Defaults of optional keys (documented in docs/config.md). */
#define KB_CONFIG_DEFAULT_RELEASE_TAGS	"v[0-9]*"
#define KB_CONFIG_DEFAULT_BUILD_TIMEOUT 3600.0
#define KB_CONFIG_DEFAULT_BUILD_SLOTS	1
#define KB_CONFIG_DEFAULT_TEST_BACKEND	"local"
#define KB_CONFIG_DEFAULT_TEST_RUNS	10
#define KB_CONFIG_DEFAULT_TEST_PARALLEL 1
#define KB_CONFIG_DEFAULT_TEST_TIMEOUT	600.0
#define KB_CONFIG_DEFAULT_CONFIDENCE	0.99

/*
 * A user command, in one of two forms: a string run by "/bin/sh -c" (the
 * user's own text, so a shell is fine), or an argv array exec'd directly.
 * Exactly one of ->shell and ->argv is set when the command is present.
 */
struct kb_command {
	char *shell; /* string form, or NULL */
	char **argv; /* array form, NULL-terminated, or NULL */
	size_t argc; /* entries in ->argv */
};

static inline bool kb_command_present(const struct kb_command *c)
{
	return c->shell || c->argv;
}

struct kb_config {
	char *path; /* the file as named by the caller (used in messages) */
	char *dir; /* absolute directory of the file; relative paths resolve here */
	enum kb_config_kind kind; /* "kind" */
	char *repo; /* "repo", absolute */
	char *bad; /* "bad": a revision known to crash */
	char *good; /* "good": a revision known not to crash, or NULL */
	char *release_tags; /* "release_tags": glob of tags for the release walk */
	char *title; /* "title": the crash title to bisect, or NULL (any crash) */

	struct {
		struct kb_command command; /* absent: nothing to build */
		char **artifacts; /* paths relative to the work tree, NULL-terminated */
		size_t n_artifacts;
		double timeout; /* seconds */
		/*
		 * builds at the same time, also while tests run (the engine
		 * builds the next candidates during a test); the backend may
		 * allow fewer (the local backend: none during a test)
		 */
		unsigned slots;
	} build;

	struct {
		char *backend; /* "local" */
		struct kb_command command; /* required */
		unsigned runs; /* runs per revision (maximum for "bayes") */
		unsigned parallel; /* runs at the same time */
		/*
		 * runs of commits built ahead of need on VMs a step leaves
		 * idle (docs/scheduler.md); default true
		 */
		bool runs_ahead;
		double timeout; /* seconds per run */
	} test;

	enum kb_strategy strategy;
	double confidence; /* stop when the culprit's posterior reaches this */
	/*
	 * "time_budget": seconds of wall time after which no new search step
	 * starts (the result is inconclusive with the candidates), 0: none
	 */
	double time_budget;

	json_t *linux_section; /* "linux" object (kind linux), unvalidated; or NULL */
	char hash[65]; /* sha256 hex of the canonical effective config */
};

/*
 * Read and validate @path.  Returns 0 with *ret set (free with
 * kb_config_free()) or -errno with a "FILE:LINE:COL: what" message set.
 * The repo must be an existing directory; whether it is a git repository is
 * left to the engine.
 */
int kb_config_load(const char *path, struct kb_config **ret) KB_MUST_CHECK;

/*
 * Same on text already in memory: @name is used in messages, relative
 * paths resolve against @dir (NULL: the current directory).
 */
int kb_config_parse(const char *text, size_t len, const char *name, const char *dir,
		    struct kb_config **ret) KB_MUST_CHECK;

void kb_config_free(struct kb_config *c);

/*
 * The effective config (defaults filled in, paths resolved) as a new JSON
 * object.  Dumped compact with sorted keys it is the input of ->hash.
 */
json_t *kb_config_to_json(const struct kb_config *c);

/* Resolve @path against the config's directory (absolute paths are kept). */
char *kb_config_resolve(const struct kb_config *c, const char *path);

const char *kb_strategy_name(enum kb_strategy s);
/* 0 with *ret set, or -EINVAL (message set) for an unknown name. */
int kb_strategy_parse(const char *name, enum kb_strategy *ret) KB_MUST_CHECK;

#endif
