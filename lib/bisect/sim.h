/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A simulated bisection world: a generated (or recorded) commit graph, a
 * culprit, and a backend whose builds and runs behave like a kernel with a
 * flaky reproducer.  The real engine runs on it unchanged (struct kb_vcs and
 * struct kb_backend of ops.h, virtual time), which is what the strategy
 * benchmark (bench/strategy.c) and tests/bisect/test-sim.c measure.
 *
 * The world of one scenario:
 *   - the range: every commit reachable from the bad end (the only sink) and
 *     not from the good end G, an extra root outside the range;
 *   - the culprit k, uniform over the commits whose binary differs from
 *     their parent's; commit j is bad iff k is an ancestor of j or k == j;
 *   - noop commits (share ->noop, single parent, never the culprit): their
 *     build has their parent's signature, so the engine can share runs;
 *   - broken ranges: commits that descend from a break but not from its fix
 *     do not build;
 *   - "old" commits (those not descending from a fix commit F, about ->other
 *     of the range, and G) crash with other titles at ->other_rate per run.
 *
 * Outcomes are a pure function of (seed, build signature, run index): no
 * state, so concurrent runs and replays see the same thing, and commits with
 * equal binaries give equal runs.  Per run, in order: boot failure
 * (->boot_fail), the target crash (p1 on bad commits, p0 on good ones), an
 * other crash (->other_rate on old commits), else OK.
 *
 * Time: a build reports ->build_seconds, every run ->run_seconds (the
 * engine's virtual time makes a batch of parallel runs cost one run).  With
 * ->max_seconds set the backend refuses work once the time it certainly
 * spent (builds + ceil(runs / vms) batches) exceeds it, so capped trials
 * stop early; kb_sim_exhausted() tells.
 *
 * Release tags (->tag_every) sit on G and on mainline commits, so the
 * engine's release walk (no good end in the config) can be simulated too.
 *
 * Thread safety: the backend's run may be called concurrently.
 */
#ifndef KB_BISECT_SIM_H
#define KB_BISECT_SIM_H

#include "bisect/config.h"
#include "bisect/ops.h"
#include "output/result.h"
#include "util/buf.h"
#include "vcs/dag.h"

enum kb_sim_shape {
	KB_SIM_LINEAR, /* one chain */
	KB_SIM_KERNEL, /* mainline of merges of long topic branches (median 12, tail to 100s) */
	KB_SIM_GITHUB, /* pull-request flow: short branches (1-5) merged near the tip */
	KB_SIM_FILE, /* recorded `git rev-list --parents` text (->revlist) */
};

#define KB_SIM_TARGET_TITLE "KASAN: slab-use-after-free Read in sim_target_func"

struct kb_sim_params {
	enum kb_sim_shape shape;
	size_t n; /* commits in the range (generated shapes) */
	const char *revlist; /* KB_SIM_FILE: newest first, the first line is the bad end */
	size_t revlist_len;
	uint64_t seed;
	long culprit; /* DAG index of the culprit, < 0: uniform */
	double p1, p0; /* target crash rate per run on bad / good commits */
	double other; /* share of the range (oldest part) with another crash */
	double other_rate; /* that crash's rate per run there */
	double boot_fail; /* probability of a boot failure per run */
	double noop; /* share of single-parent commits with their parent's binary */
	double broken; /* share of the range in ranges that do not build */
	unsigned broken_len; /* mean length of a broken range */
	double build_seconds, run_seconds;
	double max_seconds; /* refuse work beyond this much certain time, 0: never */
	unsigned vms; /* runs per batch, for that accounting */
	/*
	 * Release tags: G is "v1.0", and the first mainline (first-parent)
	 * commit at or after every @tag_every commits is "v1.1", "v1.2", ...
	 * 0: only G's tag.
	 */
	unsigned tag_every;
	/*
	 * Each build also sleeps this many real seconds (tests of the engine's
	 * threads: a speculative build is still running when the engine could
	 * cancel it; cancel_build ends the sleep).  0: builds return at once.
	 */
	double build_sleep;
	/*
	 * Each run sleeps this many real seconds (tests of runs ahead of
	 * need; cancel_runs ends the sleep: the run is INFRA "run cancelled").
	 */
	double run_sleep;
};

/* 1000 linear commits, p1 0.5, 30% noop, 6 min build, 9 min run, 10 VMs, no cap. */
void kb_sim_params_default(struct kb_sim_params *p);

struct kb_sim;

/* Generate the world.  0 or -EINVAL (bad params or rev-list text), message set. */
int kb_sim_new(const struct kb_sim_params *p, struct kb_sim **ret) KB_MUST_CHECK;
void kb_sim_free(struct kb_sim *s);

/* Tables over @s (which must outlive them); their close/ctx need no release. */
void kb_sim_backend(struct kb_sim *s, struct kb_backend *ret);
void kb_sim_vcs(struct kb_sim *s, struct kb_vcs *ret);

/* The whole range (owned by @s) and its `git rev-list --parents --timestamp` text. */
const struct kb_dag *kb_sim_dag(const struct kb_sim *s);
const char *kb_sim_revlist(const struct kb_sim *s, size_t *ret_len);

const char *kb_sim_bad(const struct kb_sim *s); /* full hash of the bad end */
const char *kb_sim_good(const struct kb_sim *s); /* full hash of G */
size_t kb_sim_culprit(const struct kb_sim *s); /* DAG index */
const char *kb_sim_culprit_hash(const struct kb_sim *s);

/* Truth about DAG index j. */
bool kb_sim_is_bad(const struct kb_sim *s, size_t j);
bool kb_sim_is_noop(const struct kb_sim *s, size_t j);
bool kb_sim_is_broken(const struct kb_sim *s, size_t j);
bool kb_sim_is_old(const struct kb_sim *s, size_t j);

/* Builds and runs the backend performed, and whether it refused work (cap). */
void kb_sim_counts(const struct kb_sim *s, unsigned *ret_builds, unsigned *ret_runs);
bool kb_sim_exhausted(const struct kb_sim *s);

/*
 * The outcome of run @run_idx of a build of DAG index j (SIZE_MAX: G),
 * exactly as the backend reports it (title owned by the caller).
 */
void kb_sim_outcome(const struct kb_sim *s, size_t j, unsigned run_idx, struct kb_run_result *ret);

/* How the engine is run on a world. */
struct kb_sim_trial {
	enum kb_strategy strategy;
	unsigned runs; /* config test.runs (bayes: most runs per step) */
	unsigned parallel; /* config test.parallel: VMs per batch */
	unsigned build_slots; /* build slots beside the VMs; 0: builds only between tests */
	double confidence; /* config confidence */
	const char *workdir; /* journal directory; NULL: the journal stays in memory */
	void (*emit)(void *ctx, const char *text, size_t len); /* the engine's log, or NULL */
	void *emit_ctx;
	void (*progress)(void *ctx, const char *line); /* the engine's progress lines, or NULL */
	void *progress_ctx;
	bool no_good; /* no "good" in the config: the engine walks the release tags */
	double max_seconds; /* the engine's time budget (kb_engine_params), 0: none */
	/*
	 * Run the engine as for a real backend (threads for runs and
	 * speculative builds, the machine's clock); tests use it to drive the
	 * threaded paths with the simulator's outcomes.
	 */
	bool real_clock;
	bool no_runs_ahead; /* config test.runs_ahead: false */
};

/*
 * One bisection of @s by the real engine (kb_engine_run with the simulated
 * vcs and backend, virtual time, good and bad ends given).  Returns what
 * kb_engine_run returned; *res is filled either way (kb_result_init'ed here,
 * kb_result_clear by the caller).  A run refused by the time cap makes the
 * engine fail with -ECANCELED (see kb_sim_exhausted).
 */
int kb_sim_run(struct kb_sim *s, const struct kb_sim_trial *t, struct kb_result *res);

/* Builds cut short by the backend's cancel_build (see build_sleep). */
unsigned kb_sim_cancels(struct kb_sim *s);
/* Runs cut short by the backend's cancel_runs (see run_sleep). */
unsigned kb_sim_run_cancels(struct kb_sim *s);

const char *kb_sim_shape_name(enum kb_sim_shape s);
/* 0 with *ret set, or -EINVAL for an unknown name (message set). */
int kb_sim_shape_parse(const char *name, enum kb_sim_shape *ret) KB_MUST_CHECK;

#endif
