/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bisection engine: from a config to a culprit.
 *
 * It tests the bad end, finds a good end (the config's, or by walking
 * release tags back), then searches the commit graph with one of two
 * strategies: "reference" (git bisect with the reference system's fixed
 * verdict rules) or "bayes" (a posterior over the culprit, runs spent where
 * they pay, crashes with other titles kept out of the evidence).  Every build
 * and run result goes into the journal the moment it finishes, so running
 * the same bisection again replays what finished and continues.
 *
 * The log (reference format) is handed to an emit callback line by line;
 * the machine-readable result is a struct kb_result.  Nothing here prints.
 */
#ifndef KB_BISECT_ENGINE_H
#define KB_BISECT_ENGINE_H

#include "bisect/config.h"
#include "bisect/ops.h"
#include "output/result.h"

struct kb_engine_params {
	const struct kb_config *cfg;
	const char *workdir; /* journal, private clone and logs live here */
	enum kb_strategy strategy; /* usually cfg->strategy, the CLI may override */
	/*
	 * Backend and clock.  NULL backend: the real one for cfg (private git
	 * clone, build command, local test command).  A simulator passes its
	 * own backend and sets virtual_time: the engine then accounts time from
	 * the seconds the backend reports instead of its clock.
	 */
	struct kb_backend *backend;
	struct kb_vcs *vcs; /* NULL: git on cfg->repo */
	bool virtual_time;
	/*
	 * Keep the journal in memory and leave workdir alone (simulations run
	 * thousands of throw-away bisections); nothing is resumable then.
	 */
	bool memory_journal;
	/*
	 * Time budget in seconds (accounted time: virtual with virtual_time),
	 * 0 = none.  Checked before each search step; when spent, the result
	 * is INCONCLUSIVE with the candidates so far and ->error says so.
	 */
	double max_seconds;
	/* Log output: @text is one or more complete lines. */
	void (*emit)(void *ctx, const char *text, size_t len);
	void *emit_ctx;
	/* Optional one-line progress (for a terminal status line). */
	void (*progress)(void *ctx, const char *line);
	void *progress_ctx;
};

/*
 * Exit status classes of a finished or failed bisection, for the CLI.
 *   0              finished: see res->verdict (culprit, inconclusive, ...)
 *   -EINVAL etc.   bad input (config, revisions, repository): message set,
 *                  nothing was tested or everything tested is journaled
 *   -EIO           infrastructure failure: res->verdict is ERROR, what
 *                  finished is journaled and a re-run resumes
 */
int kb_engine_run(const struct kb_engine_params *p, struct kb_result *res) KB_MUST_CHECK;

#endif
