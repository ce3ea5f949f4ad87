// SPDX-License-Identifier: Apache-2.0
/*
 * The bisection engine (see engine.h).  One bisection is one struct engine:
 * the commits tested so far with their build and runs, the run sets shared
 * by commits whose builds have the same signature, the search state of the
 * chosen strategy, and the log being written.
 *
 * Resume works by deterministic replay: every build and run is looked up in
 * the journal before it is started, and both strategies choose their next
 * step from the evidence alone, so a second invocation walks the same path
 * over journaled results in seconds and continues where the first stopped.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bisect/bayes.h"
#include "bisect/engine.h"
#include "bisect/gitbisect.h"
#include "bisect/journal.h"
#include "bisect/linux_backend.h"
#include "bisect/local_backend.h"
#include "bisect/verdict.h"
#include "output/log.h"
#include "output/recipients.h"
#include "report/report.h"
#include "util/error.h"
#include "util/fs.h"
#include "vcs/git.h"

/* Safety net: a bisection never runs more steps than this. */
#define MAX_STEPS 400
/* At most this many distinct crash titles make up the bisected crash. */
#define MAX_TARGETS 3
/* Build slots the machine model tracks, and speculative builds in flight. */
#define MAX_SLOTS    8
#define MAX_PREFETCH 16
/*
 * Test several commits at once only with this many build slots: with two,
 * one commit per step plus speculative builds of both next ones is faster
 * (bench-strategy: 9 min per bit against 9.5 for a 3-way split).
 */
#define KARY_MIN_SLOTS 3

/* How one run counts as evidence. */
enum run_class {
	RC_TARGET, /* the crash being bisected */
	RC_OK, /* ran to the end, no crash */
	RC_OTHER, /* another crash: not evidence about this bug */
	RC_NONE, /* boot failure, skip, infra: no information */
};

/* The runs of one build signature: commits with equal binaries share them. */
struct runset {
	char sig[65];
	bool loaded; /* journaled runs were read */
	size_t used; /* runs [0, used) are evidence in this bisection; the rest are journaled
		      * runs not asked for yet (replay must see exactly what the first pass saw) */
	size_t charged; /* runs [0, charged) are in the accounted time already */
	/*
	 * Runs started ahead of need on idle VMs (run_ahead): runs
	 * [ahead_from, ahead_to) end at ahead_end on the model's timeline.
	 */
	size_t ahead_from, ahead_to;
	double ahead_end;
	struct kb_run_result *runs;
	size_t n, alloc;
};

struct tested {
	char hash[KB_HASH_HEX + 1];
	long dag; /* index in the DAG, -1 outside it */
	bool built; /* ->build is known (journal or backend) */
	struct kb_build_result build;
	size_t runset; /* index into engine.runsets when built OK */
	bool counted; /* counted in revisions_tested */
};

struct engine {
	const struct kb_engine_params *p;
	/* what speculation proposed for the next step (kb_bayes_set_hints) */
	char hint[KB_BAYES_MAX_HINTS][KB_HASH_HEX + 1];
	size_t nhint;
	const struct kb_config *cfg;
	struct kb_backend *be;
	struct kb_vcs *vcs;
	struct kb_vcs own_vcs;
	struct kb_backend own_backend;
	bool own_be;
	int lock_fd; /* holds the work directory's lock; -1 when none */
	struct kb_journal *jr;
	char build_key[65], run_key[65];
	char *repo; /* the user's repository (read only) */
	struct kb_result *res;
	struct kb_buf log;

	struct tested *t;
	size_t nt, alloc_t;
	struct runset *rs;
	size_t nrs, alloc_rs;

	char bad[KB_HASH_HEX + 1]; /* the bad end of the search */
	char good[KB_HASH_HEX + 1]; /* the good end ("" while unknown) */
	char *good_tag; /* release tag of the good end, or NULL */
	struct kb_dag *dag;

	char *targets[MAX_TARGETS]; /* titles of the crash being bisected */
	size_t ntargets;

	double t0;
	double build_s, test_s; /* accounted time */
	bool first_test;

	/*
	 * The machine model: build slots and VMs on one timeline, in seconds
	 * since the start.  vnow is when the VMs are next free; slot_free[i]
	 * when build slot i is.  A simulator's wall time is vnow; a real
	 * bisection measures its clock and uses the model for what it
	 * replayed from the journal.
	 */
	double vnow;
	unsigned slots; /* builds that may overlap tests: min(config, backend) */
	double slot_free[MAX_SLOTS];
	struct prefetch *pf[MAX_PREFETCH]; /* speculative builds not consumed yet */
	size_t npf;
	unsigned pf_started, pf_used, pf_cancelled; /* speculative builds: res->speculative_* */
	struct ahead *ahead[MAX_PREFETCH]; /* real runs ahead of need not collected yet */
	size_t nahead;
	unsigned ahead_started, ahead_used, ahead_cancelled; /* runs ahead: res->runs_ahead* */
	bool replayed; /* builds or runs were taken from the journal: the model covers their time */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void flush_log(struct engine *e)
{
	if (e->log.len && e->p->emit)
		e->p->emit(e->p->emit_ctx, e->log.buf, e->log.len);
	kb_buf_reset(&e->log);
}

static void progress(struct engine *e, const char *fmt, ...) KB_PRINTF(2, 3);
static void progress(struct engine *e, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!e->p->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->p->progress(e->p->progress_ctx, line);
}

/*
 * Journal keys.  A build depends on the commit and the build section of the
 * config; a run on the build's signature, the build section (artifacts) and
 * the test section.  Bad/good/strategy are not part of either, so a later
 * bisection of the same repository with the same commands reuses results.
 */
static void compute_keys(struct engine *e)
{
	json_t *cfg = kb_config_to_json(e->cfg);
	json_t *build = json_object_get(cfg, "build");
	json_t *test = json_object_get(cfg, "test");
	json_t *kind = json_object_get(cfg, "kind");
	json_t *lx = json_object_get(cfg, "linux");
	json_t *b, *r;
	char *sb, *sr;

	/*
	 * How many builds or runs go at once changes no result: keep those
	 * knobs out of the keys, so the cache survives tuning them.
	 */
	json_object_del(build, "slots");
	json_object_del(test, "runs");
	json_object_del(test, "parallel");
	json_object_del(test, "runs_ahead");
	b = json_pack("{s:O?,s:O?,s:O?}", "kind", kind, "build", build, "linux", lx);
	r = json_pack("{s:O?,s:O?}", "build", b, "test", test);
	sb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	sr = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);

	kb_journal_key((const char *const[]){ sb }, 1, e->build_key);
	kb_journal_key((const char *const[]){ sr }, 1, e->run_key);
	free(sb);
	free(sr);
	json_decref(b);
	json_decref(r);
	json_decref(cfg);
}

static struct tested *find_tested(struct engine *e, const char *hash)
{
	for (size_t i = 0; i < e->nt; i++)
		if (!strcmp(e->t[i].hash, hash))
			return &e->t[i];
	return NULL;
}

static struct tested *get_tested(struct engine *e, const char *hash)
{
	struct tested *t = find_tested(e, hash);

	if (t)
		return t;
	if (e->nt == e->alloc_t) {
		e->alloc_t = e->alloc_t ? 2 * e->alloc_t : 32;
		e->t = kb_xrealloc(e->t, e->alloc_t * sizeof(*e->t));
	}
	t = &e->t[e->nt++];
	memset(t, 0, sizeof(*t));
	snprintf(t->hash, sizeof(t->hash), "%s", hash);
	t->dag = e->dag ? kb_dag_find(e->dag, hash) : -1;
	return t;
}

static size_t get_runset(struct engine *e, const char *sig)
{
	for (size_t i = 0; i < e->nrs; i++)
		if (!strcmp(e->rs[i].sig, sig))
			return i;
	if (e->nrs == e->alloc_rs) {
		e->alloc_rs = e->alloc_rs ? 2 * e->alloc_rs : 32;
		e->rs = kb_xrealloc(e->rs, e->alloc_rs * sizeof(*e->rs));
	}
	memset(&e->rs[e->nrs], 0, sizeof(e->rs[0]));
	snprintf(e->rs[e->nrs].sig, sizeof(e->rs[0].sig), "%s", sig);
	return e->nrs++;
}

static void runset_add(struct runset *rs, struct kb_run_result *r)
{
	if (rs->n == rs->alloc) {
		rs->alloc = rs->alloc ? 2 * rs->alloc : 16;
		rs->runs = kb_xrealloc(rs->runs, rs->alloc * sizeof(*rs->runs));
	}
	rs->runs[rs->n++] = *r;
	memset(r, 0, sizeof(*r));
}

static char *subject_of(struct engine *e, const char *hash)
{
	struct kb_git_commit c = { 0 };
	char *s;

	if (e->vcs->commit_info(e->vcs->ctx, hash, &c) < 0)
		return kb_xstrdup("");
	s = kb_xstrdup(c.subject ? c.subject : "");
	kb_git_commit_release(&c);
	return s;
}

/* ---- run classification ------------------------------------------------ */

static bool is_target_title(struct engine *e, const char *title)
{
	if (!title)
		return false;
	for (size_t i = 0; i < e->ntargets; i++)
		if (!strcmp(e->targets[i], title))
			return true;
	return false;
}

static enum run_class classify(struct engine *e, const struct kb_run_result *r)
{
	switch (r->outcome) {
	case KB_RUN_OK:
		return RC_OK;
	case KB_RUN_CRASH:
		return is_target_title(e, r->title) ? RC_TARGET : RC_OTHER;
	case KB_RUN_BOOT_FAIL:
	case KB_RUN_TEST_FAIL:
		/* The bisected bug crashing at boot is still the bisected bug. */
		return is_target_title(e, r->title) ? RC_TARGET : RC_NONE;
	case KB_RUN_SKIP:
	case KB_RUN_INFRA:
		break;
	}
	return RC_NONE;
}

/*
 * The bisected crash: the configured title, or the most frequent crash
 * titles of the bad end covering at least 2/3 of its crashes (at most 3),
 * like the reference's representative-crash rule.
 */
static void learn_targets(struct engine *e, const struct runset *rs)
{
	const char *titles[64];
	unsigned counts[64];
	size_t n = 0, total = 0;

	if (e->cfg->title) {
		e->targets[0] = kb_xstrdup(e->cfg->title);
		e->ntargets = 1;
		return;
	}
	for (size_t i = 0; i < rs->used; i++) {
		const struct kb_run_result *r = &rs->runs[i];
		size_t j;

		if (r->outcome != KB_RUN_CRASH || !r->title)
			continue;
		total++;
		for (j = 0; j < n; j++)
			if (!strcmp(titles[j], r->title))
				break;
		if (j == n) {
			if (n == KB_ARRAY_SIZE(titles))
				continue;
			titles[n] = r->title;
			counts[n++] = 0;
		}
		counts[j]++;
	}
	size_t covered = 0;

	while (e->ntargets < MAX_TARGETS && covered * 3 < total * 2) {
		size_t best = n;

		for (size_t j = 0; j < n; j++)
			if (counts[j] && (best == n || counts[j] > counts[best]))
				best = j;
		if (best == n)
			break;
		e->targets[e->ntargets++] = kb_xstrdup(titles[best]);
		covered += counts[best];
		counts[best] = 0;
	}
}

/* ---- building and running ---------------------------------------------- */

/*
 * A build started before the strategy asked for it: the commit the search
 * would test next if the commit under test came out bad, or good.  It runs
 * on a build slot while the VMs test (a thread for a real backend; at once
 * for a simulator, whose answer does not depend on time) and is handed to
 * the strategy only when that commit is chosen, so the path of a bisection
 * never depends on how fast builds were: a resumed one replays it exactly.
 */
struct prefetch {
	struct engine *e;
	char hash[KB_HASH_HEX + 1];
	struct kb_build_result res;
	int err;
	double start, end; /* on the model's timeline; end is known once done */
	double est_end; /* a real build: the end the slot was given at its start */
	size_t slot;
	pthread_t th;
	bool threaded, joined;
	atomic_bool done; /* the thread's build returned */
};

static void *prefetch_thread(void *arg)
{
	struct prefetch *f = arg;

	f->err = f->e->be->build(f->e->be->ctx, f->hash, &f->res);
	atomic_store(&f->done, true);
	return NULL;
}

/* The build slot free first, and when. */
static size_t first_free_slot(const struct engine *e)
{
	size_t best = 0;

	for (size_t i = 1; i < KB_MAX(e->slots, 1u); i++)
		if (e->slot_free[i] < e->slot_free[best])
			best = i;
	return best;
}

static struct prefetch *find_prefetch(struct engine *e, const char *hash)
{
	for (size_t i = 0; i < e->npf; i++)
		if (!strcmp(e->pf[i]->hash, hash))
			return e->pf[i];
	return NULL;
}

static void prefetch_wait(struct engine *e, struct prefetch *f)
{
	if (f->joined)
		return;
	if (f->threaded)
		pthread_join(f->th, NULL);
	f->joined = true;
	/* the model: the build took its reported time from its start */
	f->end = f->start + (f->err < 0 ? 0 : f->res.seconds);
	/*
	 * A real build held its slot until an estimated end; when nothing
	 * was queued on the slot after it, the slot is free at its real end
	 * (earlier or later), or the estimates of short builds add up.
	 */
	if (f->threaded && e->slot_free[f->slot] == f->est_end)
		e->slot_free[f->slot] = f->end;
	else
		e->slot_free[f->slot] = KB_MAX(e->slot_free[f->slot], f->end);
}

/* Start building @hash ahead of need, if a slot model and room allow. */
static void prefetch(struct engine *e, const char *hash)
{
	struct kb_build_result jb = { 0 };
	struct prefetch *f;
	size_t s;
	int r;

	if (!e->slots || e->npf >= MAX_PREFETCH || find_prefetch(e, hash))
		return;
	{
		struct tested *t = find_tested(e, hash);

		if (t && t->built)
			return;
	}
	/* journaled (a resumed bisection, or the cache): nothing to build */
	r = kb_journal_get_build(e->jr, hash, e->build_key, &jb);
	kb_build_result_clear(&jb);
	if (r != 0)
		return;
	f = kb_xcalloc(1, sizeof(*f));
	f->e = e;
	snprintf(f->hash, sizeof(f->hash), "%s", hash);
	s = first_free_slot(e);
	f->slot = s;
	f->start = KB_MAX(e->vnow, e->slot_free[s]);
	e->pf[e->npf++] = f;
	e->pf_started++;
	progress(e, "building %.12s ahead of need", hash);
	if (!e->p->virtual_time && !pthread_create(&f->th, NULL, prefetch_thread, f)) {
		f->threaded = true;
		/* the slot is busy until the build ends; assume its usual length */
		f->est_end = f->start + e->build_s / KB_MAX(e->res->builds, 1u);
		e->slot_free[s] = f->est_end;
		return;
	}
	prefetch_thread(f);
	prefetch_wait(e, f);
}

/*
 * A build that ran in this bisection: count it, and journal it unless it
 * failed for reasons outside the commit (a later run retries those).
 */
static int record_build(struct engine *e, const char *hash, const struct kb_build_result *b)
{
	e->res->builds++;
	e->build_s += b->seconds;
	if (b->status == KB_BUILD_INFRA)
		return 0;
	return kb_journal_put_build(e->jr, hash, e->build_key, b);
}

static void prefetch_drop(struct engine *e, struct prefetch *f);

/*
 * Speculative builds nobody asked for: they cost a build each (counted)
 * and their results go to the journal, where a later bisection of the
 * same repository finds them.  A real build still running is waited for:
 * backends cannot cancel a build yet.
 */
static void prefetch_finish(struct engine *e)
{
	while (e->npf) {
		struct prefetch *f = e->pf[0];

		prefetch_wait(e, f);
		if (f->err >= 0 && record_build(e, f->hash, &f->res) < 0)
			progress(e, "cannot journal the build of %.12s: %s", f->hash,
				 kb_error_last());
		prefetch_drop(e, f);
	}
}

static void prefetch_drop(struct engine *e, struct prefetch *f)
{
	for (size_t i = 0; i < e->npf; i++)
		if (e->pf[i] == f) {
			e->pf[i] = e->pf[--e->npf];
			break;
		}
	kb_build_result_clear(&f->res);
	free(f);
}

/*
 * Stop a speculative build that became useless, if it is still running at
 * the model's present (vnow; for a real build: its thread has not returned,
 * and the backend can cancel): its slot is free from now on instead of when
 * the build would have ended.  Returns true when @f was cancelled (and
 * freed, its result thrown away: nothing of it is journaled).  A build
 * already over is kept: it goes to the journal at the end like any unused
 * one.  Only the last build queued on a slot is cancelled in the model (the
 * ones queued after it keep their times).
 */
static bool prefetch_cancel(struct engine *e, struct prefetch *f)
{
	if (f->threaded && !f->joined) {
		/* a real build on its thread: ask the backend to stop it */
		if (atomic_load(&f->done) || !e->be->cancel_build)
			return false;
		e->be->cancel_build(e->be->ctx, f->hash);
		prefetch_wait(e, f);
		/* it ended before the cancel reached it: an ordinary finished build */
		if (f->err >= 0 && f->res.status != KB_BUILD_INFRA)
			return false;
	} else if (!f->joined || f->end <= e->vnow || e->slot_free[f->slot] != f->end) {
		return false;
	}
	e->slot_free[f->slot] = KB_MAX(e->vnow, f->start);
	e->pf_cancelled++;
	progress(e, "dropping the build of %.12s: no longer needed", f->hash);
	prefetch_drop(e, f);
	return true;
}

/*
 * After an outcome: speculative builds of commits whose side is decided
 * (P(bad) below 1e-3 or above 1 - 1e-3 in @b, so testing them cannot change
 * the answer; with @b NULL, every one: a release walk that found its good
 * end needs none of the older releases, and one that did not needs only
 * the next older release, @keep) and that are not the commit chosen next
 * (@keep, or NULL) are cancelled while they still run.  Only the
 * timeline changes, never the path: the strategy never saw these builds.
 */
static bool useless(struct engine *e, struct kb_bayes *b, const char *hash, const char *keep)
{
	long j = b ? kb_dag_find(e->dag, hash) : -1;
	double a = !b ? 0 : j < 0 ? 0.5 : kb_bayes_mass_reachable(b, (size_t)j);

	return !(keep && !strcmp(hash, keep)) && !(a > 1e-3 && a < 1 - 1e-3);
}

static void prefetch_cancel_useless(struct engine *e, struct kb_bayes *b, const char *keep)
{
	for (size_t i = 0; i < e->npf;) {
		struct prefetch *f = e->pf[i];

		if (!useless(e, b, f->hash, keep) || !prefetch_cancel(e, f))
			i++;
	}
}

/*
 * The build of @t: from a speculative build, the journal, or the backend
 * now.  On the model's timeline a build asked for now waits for a free slot
 * and the VMs wait for it; a speculative one only for what is left of it.
 */
static int build_now(struct engine *e, struct tested *t)
{
	struct prefetch *f = find_prefetch(e, t->hash);
	int r;

	if (t->built)
		return 0;
	if (f) {
		prefetch_wait(e, f);
		r = f->err;
		if (r < 0) {
			prefetch_drop(e, f);
			return r;
		}
		t->build = f->res;
		memset(&f->res, 0, sizeof(f->res));
		e->vnow = KB_MAX(e->vnow, f->end);
		e->pf_used++;
		prefetch_drop(e, f);
		r = record_build(e, t->hash, &t->build);
		if (r < 0)
			return r;
		goto built;
	}
	r = kb_journal_get_build(e->jr, t->hash, e->build_key, &t->build);
	if (r < 0)
		return r;
	if (r == 0 || t->build.status == KB_BUILD_INFRA) {
		size_t s = first_free_slot(e);

		kb_build_result_clear(&t->build);
		progress(e, "building %.12s", t->hash);
		r = e->be->build(e->be->ctx, t->hash, &t->build);
		if (r < 0)
			return r;
		e->vnow = KB_MAX(e->vnow, e->slot_free[s]) + t->build.seconds;
		e->slot_free[s] = e->vnow;
		r = record_build(e, t->hash, &t->build);
		if (r < 0)
			return r;
	} else {
		e->res->builds++;
		e->build_s += t->build.seconds;
		e->vnow += t->build.seconds;
		e->replayed = true;
	}
built:
	t->built = true;
	if (t->build.status == KB_BUILD_OK)
		t->runset = get_runset(e, t->build.signature);
	return 0;
}

static int ensure_built(struct engine *e, struct tested *t)
{
	int r = build_now(e, t);

	/* tests of it come next: before the builds ahead of need start */
	if (r == 0 && t->build.status == KB_BUILD_OK && e->be->use_build)
		e->be->use_build(e->be->ctx, t->hash);
	return r;
}

struct run_job {
	struct engine *e;
	char hash[KB_HASH_HEX + 1];
	char sig[65];
	size_t rs; /* index into e->rs, which may grow while the run goes on */
	unsigned idx;
	struct kb_run_result res;
	int err;
	pthread_t th;
	atomic_bool done; /* the run returned */
};

static void run_job_init(struct run_job *j, struct engine *e, const char *hash, size_t rs,
			 unsigned idx)
{
	memset(j, 0, sizeof(*j));
	j->e = e;
	snprintf(j->hash, sizeof(j->hash), "%s", hash);
	snprintf(j->sig, sizeof(j->sig), "%s", e->rs[rs].sig);
	j->rs = rs;
	j->idx = idx;
	atomic_init(&j->done, false);
}

static void *run_thread(void *arg)
{
	struct run_job *j = arg;

	j->err = j->e->be->run(j->e->be->ctx, j->hash, j->sig, j->idx, &j->res);
	atomic_store(&j->done, true);
	return NULL;
}

/* How many of @n jobs have not returned yet. */
static unsigned jobs_running(const struct run_job *jobs, unsigned n)
{
	unsigned going = 0;

	for (unsigned i = 0; i < n; i++)
		going += !atomic_load(&jobs[i].done);
	return going;
}

/* Journal a finished run; an infrastructure failure is no result (it is run again). */
static int journal_run(struct engine *e, const char *hash, const char *sig, unsigned idx,
		       const struct kb_run_result *res)
{
	if (res->outcome == KB_RUN_INFRA)
		return 0;
	return kb_journal_put_run(e->jr, hash, sig, e->run_key, idx, res);
}

static int cmp_journal_run(const void *a, const void *b)
{
	const struct kb_journal_run *x = a, *y = b;

	return x->run_idx < y->run_idx ? -1 : x->run_idx > y->run_idx ? 1 : 0;
}

/*
 * Journaled runs of a signature (this bisection's, after a resume, or an
 * earlier bisection's with the same commands): the contiguous prefix of run
 * indices is taken over, in order.
 */
static int load_runs(struct engine *e, struct runset *rs)
{
	struct kb_journal_run *jr = NULL;
	size_t n = 0;
	int r;

	rs->loaded = true;
	r = kb_journal_get_runs(e->jr, NULL, rs->sig, e->run_key, &jr, &n);
	if (r < 0)
		return r;
	if (n) /* qsort(NULL, 0) is undefined */
		qsort(jr, n, sizeof(*jr), cmp_journal_run);
	for (size_t i = 0; i < n; i++) {
		if (jr[i].run_idx < rs->n)
			continue; /* the same run index journaled by another commit */
		if (jr[i].run_idx != rs->n || jr[i].res.outcome == KB_RUN_INFRA)
			break;
		runset_add(rs, &jr[i].res);
	}
	kb_journal_runs_free(jr, n);
	return 0;
}

/* ---- runs ahead of need ------------------------------------------------ */

/*
 * A step often leaves VMs idle: at p1 = 1 one run decides a commit, and the
 * other VMs wait for the batch to end.  Meanwhile the build slots finish
 * the commits the search would test next after either outcome (prefetch).
 * Such a commit gets, as soon as its build is done, as many runs as the
 * step under way took, on VMs that step leaves idle; when the search then
 * picks it, its step waits only for what is left of them instead of a
 * whole batch.
 *
 * The runs are the next run indices of its signature, journaled like any
 * other, and become evidence only when the strategy asks for that many
 * runs on it, exactly like journaled runs after a resume: the path of a
 * bisection never depends on which runs were started early, or when.  The
 * runs of the commit the outcome did not pick are VM time spent for
 * nothing; they count in the VM-runs.
 *
 * A real backend runs them on threads that outlive the step (struct
 * ahead; collected when the commit is tested, or at the end); a simulated
 * one at once, at the time the model gives them (runset.ahead_*).
 */
struct ahead {
	size_t rs;
	unsigned n;
	struct run_job *jobs;
	bool cancelled; /* the backend was asked to stop them */
};

static bool ahead_allowed(const struct engine *e)
{
	return e->npf && e->cfg->test.runs_ahead && e->cfg->test.parallel > 1;
}

/* Real runs ahead still going. */
static unsigned ahead_running(const struct engine *e)
{
	unsigned n = 0;

	for (size_t a = 0; a < e->nahead; a++)
		n += jobs_running(e->ahead[a]->jobs, e->ahead[a]->n);
	return n;
}

/* Simulated runs ahead still going at @at on the model's timeline. */
static unsigned ahead_in_flight(const struct engine *e, double at)
{
	unsigned n = 0;

	for (size_t i = 0; i < e->nrs; i++)
		if (e->rs[i].ahead_end > at)
			n += (unsigned)(e->rs[i].ahead_to - e->rs[i].ahead_from);
	return n;
}

/*
 * The run set of speculative build @f, loaded from the journal, if runs
 * ahead make sense for it: it built, and nothing beyond the runs in use
 * exists or is under way.  SIZE_MAX otherwise.
 */
static size_t ahead_runset(struct engine *e, struct prefetch *f)
{
	struct runset *rs;
	size_t ri;

	if (f->err < 0 || f->res.status != KB_BUILD_OK || !f->res.signature[0])
		return SIZE_MAX;
	ri = get_runset(e, f->res.signature);
	rs = &e->rs[ri];
	if (!rs->loaded && load_runs(e, rs) < 0)
		return SIZE_MAX;
	if (rs->n > rs->used)
		return SIZE_MAX;
	for (size_t a = 0; a < e->nahead; a++)
		if (e->ahead[a]->rs == ri)
			return SIZE_MAX;
	return ri;
}

/*
 * Real backend: start @k runs of every speculative build that is done, as
 * long as @busy VMs of the step's batch, the runs ahead already going and
 * these fit in test.parallel.
 */
static void start_ahead(struct engine *e, unsigned busy, unsigned k)
{
	unsigned par = e->cfg->test.parallel;

	for (size_t i = 0; i < e->npf && e->nahead < MAX_PREFETCH; i++) {
		struct prefetch *f = e->pf[i];
		struct ahead *ah;
		size_t ri;

		if (!f->joined && !atomic_load(&f->done))
			continue;
		if (busy + ahead_running(e) + k > par)
			return;
		ri = ahead_runset(e, f);
		if (ri == SIZE_MAX)
			continue;
		ah = kb_xcalloc(1, sizeof(*ah));
		ah->rs = ri;
		ah->n = k;
		ah->jobs = kb_xcalloc(k, sizeof(*ah->jobs));
		progress(e, "starting %u runs of %.12s ahead of need", k, f->hash);
		for (unsigned m = 0; m < k; m++) {
			struct run_job *j = &ah->jobs[m];

			run_job_init(j, e, f->hash, ri, (unsigned)e->rs[ri].n + m);
			if (pthread_create(&j->th, NULL, run_thread, j)) {
				j->th = 0;
				j->err = -EAGAIN; /* lost: the step that needs it runs it */
				atomic_store(&j->done, true);
			}
		}
		e->nahead++;
		e->ahead[e->nahead - 1] = ah;
		e->res->runs += k;
		e->ahead_started += k;
	}
}

static void pause_briefly(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
}

/*
 * Real backend: while the runs ahead of run set @ri, which the step under
 * way takes (@step runs), finish, builds that end start theirs.
 */
static void wait_ahead_of(struct engine *e, size_t ri, unsigned step)
{
	for (;;) {
		unsigned going = 0;

		for (size_t a = 0; a < e->nahead; a++)
			if (e->ahead[a]->rs == ri)
				going += jobs_running(e->ahead[a]->jobs, e->ahead[a]->n);
		if (!going)
			return;
		start_ahead(e, 0, step);
		pause_briefly();
	}
}

/*
 * Real backend: wait for the runs ahead of run set @ri (all of them with
 * SIZE_MAX) and make them its next runs, journaled; the first failed one
 * ends them (run indices stay contiguous).
 */
static int collect_ahead(struct engine *e, size_t ri)
{
	int r = 0;

	for (size_t a = 0; a < e->nahead;) {
		struct ahead *ah = e->ahead[a];
		struct runset *rs = &e->rs[ah->rs];
		bool keep = true;

		if (ri != SIZE_MAX && ah->rs != ri) {
			a++;
			continue;
		}
		for (unsigned i = 0; i < ah->n; i++)
			if (ah->jobs[i].th)
				pthread_join(ah->jobs[i].th, NULL);
		rs->ahead_from = rs->n;
		for (unsigned i = 0; i < ah->n; i++) {
			struct run_job *j = &ah->jobs[i];
			bool stopped =
				ah->cancelled && j->err >= 0 && kb_run_result_is_cancelled(&j->res);

			/* a cancelled run is not a run (like a cancelled build) */
			if (stopped) {
				e->res->runs--;
				e->ahead_cancelled++;
			}
			keep = keep && !stopped && j->err >= 0 && j->idx == rs->n;
			if (!keep) {
				if (j->err >= 0)
					kb_run_result_clear(&j->res);
				continue;
			}
			if (!r)
				r = journal_run(e, j->hash, j->sig, j->idx, &j->res);
			runset_add(rs, &j->res);
		}
		rs->ahead_to = rs->n;
		rs->charged = KB_MAX(rs->charged, rs->n);
		free(ah->jobs);
		free(ah);
		e->ahead[a] = e->ahead[--e->nahead];
	}
	return r;
}

/*
 * Real backend: after an outcome, stop the runs ahead of commits whose side
 * is decided (as prefetch_cancel_useless() does for builds), and with @b
 * NULL every one but @keep's (the end of the bisection).  They return soon
 * as cancelled runs, which collect_ahead() drops.  A simulator's runs ahead
 * are over the moment they start and are never cancelled.
 */
static void ahead_cancel_useless(struct engine *e, struct kb_bayes *b, const char *keep)
{
	if (!e->nahead || !e->be->cancel_runs)
		return;
	for (size_t a = 0; a < e->nahead; a++) {
		struct ahead *ah = e->ahead[a];

		if (ah->cancelled || !jobs_running(ah->jobs, ah->n) ||
		    !useless(e, b, ah->jobs[0].hash, keep))
			continue;
		progress(e, "stopping the runs of %.12s: no longer needed", ah->jobs[0].hash);
		e->be->cancel_runs(e->be->ctx, ah->jobs[0].hash);
		ah->cancelled = true;
	}
}

/* Builds and runs ahead of need that became useless (see both). */
static void drop_useless(struct engine *e, struct kb_bayes *b, const char *keep)
{
	prefetch_cancel_useless(e, b, keep);
	ahead_cancel_useless(e, b, keep);
}

/*
 * Simulated backend: when the step that took runs [@from, @until) on the
 * model's timeline ends, give @k runs to every speculative build done
 * before @until, from the end of its build on, if VMs are idle then: @busy
 * of them ran the step's last batch.
 */
static int run_ahead_virtual(struct engine *e, double from, double until, unsigned busy, unsigned k)
{
	unsigned par = e->cfg->test.parallel;
	struct prefetch *pf[MAX_PREFETCH];
	size_t npf = e->npf;

	memcpy(pf, e->pf, npf * sizeof(*pf));
	/* in the order their builds end: earlier ones take the idle VMs first */
	for (size_t i = 1; i < npf; i++)
		for (size_t m = i; m > 0 && pf[m]->end < pf[m - 1]->end; m--) {
			struct prefetch *x = pf[m];

			pf[m] = pf[m - 1];
			pf[m - 1] = x;
		}
	for (size_t i = 0; i < npf; i++) {
		struct prefetch *f = pf[i];
		double at = KB_MAX(from, f->end), longest = 0;
		struct runset *rs;
		size_t ri;

		if (!f->joined || f->end >= until || busy + ahead_in_flight(e, at) + k > par)
			continue;
		ri = ahead_runset(e, f);
		if (ri == SIZE_MAX)
			continue;
		rs = &e->rs[ri];
		rs->ahead_from = rs->n;
		progress(e, "starting %u runs of %.12s ahead of need", k, f->hash);
		for (unsigned m = 0; m < k; m++) {
			struct kb_run_result res = { 0 };
			int r = e->be->run(e->be->ctx, f->hash, rs->sig, (unsigned)rs->n, &res);

			if (r < 0)
				return r;
			e->res->runs++;
			e->ahead_started++;
			r = journal_run(e, f->hash, rs->sig, (unsigned)rs->n, &res);
			if (r < 0) {
				kb_run_result_clear(&res);
				return r;
			}
			longest = KB_MAX(longest, res.seconds);
			runset_add(rs, &res);
		}
		rs->ahead_to = rs->n;
		rs->ahead_end = at + longest;
		rs->charged = rs->n;
	}
	return 0;
}

/* Runs wanted on one run set, for ensure_runs_multi(). */
struct run_want {
	struct tested *t;
	unsigned want;
};

/*
 * Make sure runs [0, want) of each commit's signature exist: journaled ones
 * and runs started ahead are reused, missing ones run in batches of up to
 * cfg.test.parallel that mix the commits (k-ary search tests several at
 * once), each journaled as soon as its batch finishes.  Afterwards runs
 * [0, want) are in use.  VMs a batch leaves idle run speculative builds
 * ahead of need.
 */
static int ensure_runs_multi(struct engine *e, const struct run_want *w, size_t nw)
{
	unsigned par = e->cfg->test.parallel ? e->cfg->test.parallel : 1;
	size_t sets[MAX_SLOTS + 1], used[MAX_SLOTS + 1]; /* indices into e->rs */
	unsigned want[MAX_SLOTS + 1], step, last_batch = 0;
	size_t ns = 0;
	double start = e->vnow, end;
	bool ahead = ahead_allowed(e);
	int r;

	/* commits that turned out to share a binary share one run set */
	for (size_t i = 0; i < nw && ns < KB_ARRAY_SIZE(sets); i++) {
		size_t k = 0;

		while (k < ns && sets[k] != w[i].t->runset)
			k++;
		if (k == ns) {
			sets[ns] = w[i].t->runset;
			want[ns++] = 0;
		}
		want[k] = KB_MAX(want[k], w[i].want);
	}
	if (!ns)
		return 0;
	/* runs this step adds to its (first) commit: what a commit ahead gets */
	step = want[0] > e->rs[sets[0]].used ? want[0] - (unsigned)e->rs[sets[0]].used : 0;
	for (size_t k = 0; k < ns; k++) {
		struct runset *rs = &e->rs[sets[k]];

		if (!rs->loaded) {
			r = load_runs(e, rs);
			if (r < 0)
				return r;
		}
		if (ahead && !e->p->virtual_time && step)
			wait_ahead_of(e, sets[k], step);
		r = collect_ahead(e, sets[k]);
		if (r < 0)
			return r;
		rs = &e->rs[sets[k]];
		used[k] = rs->used;
		/* Journaled runs taken into use now count as test time of this bisection. */
		for (size_t i = KB_MAX(rs->used, rs->charged); i < KB_MIN(rs->n, (size_t)want[k]);
		     i++) {
			e->test_s += rs->runs[i].seconds / par;
			e->vnow += rs->runs[i].seconds / par;
			e->replayed = true;
		}
		rs->charged = KB_MAX(rs->charged, KB_MIN(rs->n, (size_t)want[k]));
	}
	for (;;) {
		struct run_job jobs[64];
		unsigned batch = 0, cap = KB_MIN(par, (unsigned)KB_ARRAY_SIZE(jobs));
		double t0 = now_mono(), longest = 0;
		bool more = true, wait_ahead;

		/* one run per commit in turn, so each gets its share of the VMs */
		while (batch < cap && more) {
			more = false;
			for (size_t k = 0; k < ns && batch < cap; k++) {
				unsigned queued = 0;
				const char *hash = w[0].t->hash;

				for (unsigned i = 0; i < batch; i++)
					queued += jobs[i].rs == sets[k];
				if (e->rs[sets[k]].n + queued >= want[k])
					continue;
				/* a run belongs to a commit of its run set: any of them will do */
				for (size_t m = 0; m < nw; m++)
					if (w[m].t->runset == sets[k]) {
						hash = w[m].t->hash;
						break;
					}
				run_job_init(&jobs[batch++], e, hash, sets[k],
					     (unsigned)(e->rs[sets[k]].n + queued));
				more = true;
			}
		}
		if (!batch)
			break;
		last_batch = batch;
		progress(e, "testing %.12s%s: %u runs", jobs[0].hash, ns > 1 ? " and others" : "",
			 batch);
		/* while the batch runs, finished speculative builds start runs ahead */
		wait_ahead = ahead && !e->p->virtual_time && step && batch + step <= par;
		for (unsigned i = 0; i < batch; i++) {
			/* a simulated backend answers at once: threads would only cost */
			if ((batch == 1 && !wait_ahead) || e->p->virtual_time ||
			    pthread_create(&jobs[i].th, NULL, run_thread, &jobs[i])) {
				run_thread(&jobs[i]);
				jobs[i].th = 0;
			}
		}
		while (wait_ahead) {
			bool all = !jobs_running(jobs, batch);

			start_ahead(e, batch, step);
			if (all)
				break;
			pause_briefly();
		}
		for (unsigned i = 0; i < batch; i++)
			if (jobs[i].th)
				pthread_join(jobs[i].th, NULL);
		r = 0;
		for (unsigned i = 0; i < batch; i++) {
			int jr;

			if (jobs[i].err < 0 && !r)
				r = jobs[i].err;
			if (jobs[i].err < 0)
				continue;
			if (jobs[i].res.seconds > longest)
				longest = jobs[i].res.seconds;
			jr = journal_run(e, jobs[i].hash, jobs[i].sig, jobs[i].idx, &jobs[i].res);
			if (jr < 0 && !r)
				r = jr;
		}
		/* Keep the finished runs in order; infra runs stay in memory only. */
		for (unsigned i = 0; i < batch; i++) {
			if (jobs[i].err < 0)
				continue;
			e->res->runs++;
			runset_add(&e->rs[jobs[i].rs], &jobs[i].res);
		}
		if (r < 0)
			return r;
		{
			double took = e->p->virtual_time ? longest : now_mono() - t0;

			e->test_s += took;
			e->vnow += took;
		}
		for (size_t k = 0; k < ns; k++)
			e->rs[sets[k]].charged = e->rs[sets[k]].n;
	}
	/* runs started ahead that this step takes: it ends when they do */
	end = e->vnow;
	for (size_t k = 0; k < ns; k++) {
		struct runset *rs = &e->rs[sets[k]];
		size_t lo = KB_MAX(used[k], rs->ahead_from);
		size_t hi = KB_MIN((size_t)want[k], rs->ahead_to);

		if (lo >= hi)
			continue;
		e->ahead_used += (unsigned)(hi - lo);
		end = KB_MAX(end, rs->ahead_end);
	}
	e->test_s += end - e->vnow;
	e->vnow = end;
	for (size_t k = 0; k < ns; k++)
		e->rs[sets[k]].used = KB_MAX(e->rs[sets[k]].used, (size_t)want[k]);
	if (ahead && e->p->virtual_time && step)
		return run_ahead_virtual(e, start, end, last_batch, step);
	return 0;
}

static int ensure_runs(struct engine *e, struct tested *t, unsigned want)
{
	struct run_want w = { .t = t, .want = want };

	return ensure_runs_multi(e, &w, 1);
}

/* Counts of runs [from, to) of a run set, by class. */
struct counts {
	unsigned target, ok, other, none, infra, crash, total;
};

static void count_runs(struct engine *e, const struct runset *rs, size_t from, size_t to,
		       struct counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = from; i < to; i++) {
		const struct kb_run_result *r = &rs->runs[i];

		c->total++;
		if (r->outcome == KB_RUN_CRASH)
			c->crash++;
		if (r->outcome == KB_RUN_INFRA)
			c->infra++;
		switch (classify(e, r)) {
		case RC_TARGET:
			c->target++;
			break;
		case RC_OK:
			c->ok++;
			break;
		case RC_OTHER:
			c->other++;
			break;
		case RC_NONE:
			c->none++;
			break;
		}
	}
}

/* Record the test in the machine-readable result. */
static struct kb_result_commit *result_commit(struct engine *e, struct tested *t,
					      enum kb_commit_role role, const char *tag)
{
	struct kb_result_commit *c = kb_result_add_commit(e->res, t->hash, role);

	c->subject = subject_of(e, t->hash);
	if (tag)
		c->tag = kb_xstrdup(tag);
	c->build.status = t->build.status;
	snprintf(c->build.signature, sizeof(c->build.signature), "%s", t->build.signature);
	if (t->build.compiler)
		c->build.compiler = kb_xstrdup(t->build.compiler);
	if (t->build.error_lines)
		c->build.error_lines = kb_xstrdup(t->build.error_lines);
	if (t->build.log_path)
		c->build.log_path = kb_xstrdup(t->build.log_path);
	c->build.seconds = t->build.seconds;
	return c;
}

static const char *signature_label(struct engine *e)
{
	return e->cfg->kind == KB_CONFIG_LINUX ? "kernel signature" : "build signature";
}

/*
 * Test @hash with @want runs in total on its signature: build (or reuse),
 * print the reference lines, run what is missing.  *ret_c gets the counts of
 * the runs printed now (all runs of the signature up to @want).  Returns 0,
 * 1 when the build failed (the commit is untestable), or -errno.
 */
static int test_commit(struct engine *e, const char *hash, unsigned want, enum kb_commit_role role,
		       const char *tag, struct counts *ret_c, struct kb_result_commit **ret_rc)
{
	struct tested *t = get_tested(e, hash);
	struct kb_result_commit *rc;
	bool retest;
	size_t shown;
	int r;

	progress(e, "testing %.12s", hash);
	kb_log_testing_commit(&e->log, hash, NULL);
	flush_log(e);
	r = ensure_built(e, t);
	if (r < 0)
		return r;
	if (t->build.status != KB_BUILD_OK) {
		_cleanup_free_ char *cause = NULL;

		if (t->build.status == KB_BUILD_INFRA)
			return kb_error_set(
				-EIO, "building %s failed for reasons outside the commit: %s", hash,
				t->build.error_lines ? t->build.error_lines : "unknown");
		cause = kb_xstrdup(t->build.error_lines ? t->build.error_lines : "build failed");
		kb_log_build_failed(&e->log, hash, cause);
		flush_log(e);
		rc = result_commit(e, t, role, tag);
		rc->verdict = KB_COMMIT_SKIP;
		memset(ret_c, 0, sizeof(*ret_c));
		if (ret_rc)
			*ret_rc = rc;
		return 1;
	}
	if (t->build.compiler)
		kb_log_compiler(&e->log, t->build.compiler);
	if (t->build.signature[0])
		kb_log_line(&e->log, "%s: %s", signature_label(e), t->build.signature);
	/* Commits with the same binary share their runs: say so once. */
	for (size_t i = 0; i < e->nt; i++) {
		struct tested *o = &e->t[i];

		if (o != t && o->built && o->build.status == KB_BUILD_OK &&
		    !strcmp(o->build.signature, t->build.signature) && e->rs[t->runset].used) {
			kb_log_line(&e->log, "same %s as commit %s: reusing its %zu runs",
				    signature_label(e), o->hash, e->rs[t->runset].used);
			break;
		}
	}
	flush_log(e);
	retest = t->counted;
	if (!t->counted) {
		t->counted = true;
		e->res->revisions_tested++;
	}
	shown = retest ? KB_MIN(e->rs[t->runset].used, (size_t)want) : 0;
	r = ensure_runs(e, t, want);
	if (r < 0)
		return r;
	{
		struct runset *rs = &e->rs[t->runset];

		/*
		 * The first test of a commit prints all runs it stands on, as the
		 * reference does; more runs on a commit tested before print only
		 * the new ones, with their run numbers.
		 */
		if (retest) {
			for (size_t i = shown; i < KB_MIN(rs->n, (size_t)want); i++) {
				_cleanup_free_ char *d = kb_run_result_describe(&rs->runs[i]);

				kb_log_line(&e->log, "run #%zu: %s", i, d);
			}
		} else {
			kb_log_run_results(&e->log, rs->runs, KB_MIN(rs->n, (size_t)want));
		}
		flush_log(e);
		count_runs(e, rs, 0, KB_MIN(rs->n, (size_t)want), ret_c);
		rc = result_commit(e, t, role, tag);
		for (size_t i = 0; i < KB_MIN(rs->n, (size_t)want); i++)
			kb_result_commit_add_run(rc, &rs->runs[i]);
	}
	if (ret_rc)
		*ret_rc = rc;
	return 0;
}

/* ---- reference strategy ------------------------------------------------ */

static enum kb_verdict reference_verdict(const struct counts *c, bool flaky,
					 struct kb_verdict_counts *vc)
{
	vc->total = c->total;
	vc->bad = c->crash; /* the reference counts any crash as bad */
	vc->good = c->ok;
	vc->infra = c->infra;
	return kb_verdict_decide(vc, flaky);
}

static enum kb_commit_verdict commit_verdict(enum kb_verdict v)
{
	switch (v) {
	case KB_VERDICT_GOOD:
		return KB_COMMIT_GOOD;
	case KB_VERDICT_BAD:
		return KB_COMMIT_BAD;
	case KB_VERDICT_SKIP:
		return KB_COMMIT_SKIP;
	case KB_VERDICT_ABORT:
		break;
	}
	return KB_COMMIT_INFRA;
}

/* Test with the reference's number of runs and its verdict rule. */
static int reference_test(struct engine *e, struct kb_verdict_state *vs, const char *hash,
			  enum kb_commit_role role, const char *tag, enum kb_verdict *ret)
{
	unsigned runs = kb_verdict_runs(e->first_test, vs->flaky, 0);
	struct kb_verdict_counts vc;
	struct kb_result_commit *rc = NULL;
	struct counts c;
	int r;

	e->first_test = false;
	r = test_commit(e, hash, runs, role, tag, &c, &rc);
	if (r < 0)
		return r;
	if (r == 1) {
		*ret = KB_VERDICT_SKIP;
		return 0;
	}
	*ret = reference_verdict(&c, vs->flaky, &vc);
	rc->verdict = commit_verdict(*ret);
	if (*ret == KB_VERDICT_ABORT)
		return kb_error_set(-EIO,
				    "testing %s: %u of %u runs failed for infrastructure reasons",
				    hash, c.infra, c.total);
	return 0;
}

/* ---- shared steps ------------------------------------------------------ */

static void finish_culprit(struct engine *e, const char *hash, double confidence);

/*
 * The time this bisection has taken: the model's (the simulator's clock), or
 * the machine's clock, and after a resume at least the model's, which counts
 * what was replayed from the journal at the time it took the first time.
 * Without a replay the clock alone: the model only estimates where a real
 * build queued behind another starts.
 */
static double spent_seconds(const struct engine *e)
{
	if (e->p->virtual_time)
		return e->vnow;
	return e->replayed ? KB_MAX(now_mono() - e->t0, e->vnow) : now_mono() - e->t0;
}

/*
 * Whether the time budget (params->max_seconds) is spent.  Checked before
 * each search step, like the reference's 12 h timeout: a step that starts
 * in time finishes.
 */
static bool over_budget(const struct engine *e)
{
	return e->p->max_seconds > 0 && spent_seconds(e) >= e->p->max_seconds;
}

static char *budget_message(const struct engine *e)
{
	if (e->p->max_seconds < 3600)
		return kb_xasprintf("time budget of %g s spent before the search converged",
				    e->p->max_seconds);
	return kb_xasprintf("time budget of %.1f h spent before the search converged",
			    e->p->max_seconds / 3600);
}

/*
 * Release walk (no good end configured): release tags older than the bad
 * end, newest first; the first good one ends it.  @test decides one tag.
 * Returns 0 with e->good set, 1 when the oldest tag is bad (or only
 * errors), -errno on failure.
 */
typedef int (*decide_fn)(struct engine *e, void *ctx, const char *hash, const char *tag,
			 enum kb_commit_verdict *ret);

static int release_walk(struct engine *e, decide_fn decide, void *ctx, bool speculate)
{
	char **tags = NULL;
	size_t ntags = 0;
	bool any_bad = false;
	int r;

	r = e->vcs->release_tags(e->vcs->ctx, e->bad, e->cfg->release_tags, &tags, &ntags);
	if (r < 0)
		return r;
	if (!ntags) {
		kb_git_strv_free(tags);
		return kb_error_set(
			-EINVAL,
			"no \"good\" commit and no release tag matching '%s' before %s; set \"good\" in the config",
			e->cfg->release_tags, e->bad);
	}
	for (size_t i = 0; i < ntags; i++) {
		char hash[KB_HASH_HEX + 1], next[KB_HASH_HEX + 1] = "";
		enum kb_commit_verdict v;

		r = e->vcs->rev_parse(e->vcs->ctx, tags[i], hash);
		if (r < 0)
			break;
		/*
		 * The next older release is tested next if this one is bad:
		 * build it while this one is tested (after this one's build,
		 * which the slot model orders first).
		 */
		if (speculate && i + 1 < ntags) {
			prefetch(e, hash);
			if (e->vcs->rev_parse(e->vcs->ctx, tags[i + 1], next) == 0)
				prefetch(e, next);
			else
				next[0] = '\0';
		}
		kb_log_testing_release(&e->log, tags[i]);
		r = decide(e, ctx, hash, tags[i], &v);
		if (r < 0)
			break;
		if (v == KB_COMMIT_GOOD) {
			/*
			 * the next older release, built ahead, is not needed
			 * now; the first search step proposed during this
			 * release's runs (the last hint) is, with its runs ahead
			 */
			drop_useless(e, NULL, e->nhint ? e->hint[e->nhint - 1] : NULL);
			snprintf(e->good, sizeof(e->good), "%s", hash);
			e->good_tag = kb_xstrdup(tags[i]);
			break;
		}
		if (v == KB_COMMIT_BAD) {
			snprintf(e->bad, sizeof(e->bad), "%s", hash);
			any_bad = true;
		}
		/*
		 * Not the good end after all (it crashed or could not be
		 * tested after a clean first batch): the first search step
		 * proposed between it and the bad end is in no range now.
		 * Drop the proposal and stop its build if it still runs;
		 * only the next older release's build is still wanted.
		 */
		e->nhint = 0;
		drop_useless(e, NULL, next[0] ? next : NULL);
	}
	kb_git_strv_free(tags);
	if (r < 0)
		return r;
	if (!e->good[0]) {
		if (any_bad) {
			e->res->verdict = KB_RESULT_OLDEST_RELEASE_BAD;
		} else {
			e->res->verdict = KB_RESULT_ERROR;
			e->res->error =
				kb_xstrdup("oldest tested release had build, boot or test errors");
		}
		return 1;
	}
	return 0;
}

static int load_dag(struct engine *e)
{
	const char *goods[1] = { e->good };
	int r;

	kb_dag_free(e->dag);
	e->dag = NULL;
	r = e->vcs->load_range(e->vcs->ctx, e->bad, goods, 1, &e->dag);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e->nt; i++)
		e->t[i].dag = kb_dag_find(e->dag, e->t[i].hash);
	return 0;
}

/* ---- reference strategy main loop -------------------------------------- */

static int ref_decide(struct engine *e, void *ctx, const char *hash, const char *tag,
		      enum kb_commit_verdict *ret)
{
	enum kb_verdict v;
	int r = reference_test(e, ctx, hash, KB_ROLE_RELEASE, tag, &v);

	if (r < 0)
		return r;
	*ret = commit_verdict(v);
	return 0;
}

static void log_bisecting(struct engine *e, const struct kb_gitbisect_step *s)
{
	_cleanup_free_ char *subj = NULL;

	if (s->state != KB_GB_NEXT)
		return;
	subj = subject_of(e, e->dag->hash[s->commit]);
	kb_log_bisecting(&e->log, (unsigned)s->left, (unsigned)s->steps, e->dag->hash[s->commit],
			 subj);
}

static int run_reference(struct engine *e)
{
	struct kb_verdict_state vs = { 0 };
	struct kb_verdict_counts start;
	struct kb_gitbisect_step step = { 0 };
	enum kb_verdict v;
	uint8_t *marks = NULL;
	struct counts c;
	int r;

	e->first_test = true;
	r = reference_test(e, &vs, e->bad, KB_ROLE_START, NULL, &v);
	if (r < 0)
		return r;
	{
		struct tested *t = find_tested(e, e->bad);

		if (t->build.status == KB_BUILD_OK) {
			count_runs(e, &e->rs[t->runset], 0, e->rs[t->runset].used, &c);
			learn_targets(e, &e->rs[t->runset]);
		} else {
			memset(&c, 0, sizeof(c));
		}
	}
	if (v != KB_VERDICT_BAD) {
		e->res->verdict = KB_RESULT_NOT_REPRODUCIBLE;
		e->res->error =
			kb_xasprintf("the bad commit %s does not crash: %u runs, %u crashes",
				     e->bad, c.total, c.crash);
		return 0;
	}
	reference_verdict(&c, false, &start);
	kb_verdict_state_init(&vs, &start);
	if (!e->good[0]) {
		r = release_walk(e, ref_decide, &vs, false);
		if (r)
			return r < 0 ? r : 0;
	}
	r = load_dag(e);
	if (r < 0)
		return r;
	{
		const char *goods[1] = { e->good_tag ? e->good_tag : e->good };

		kb_log_git_start(&e->log, e->bad, goods, 1);
	}
	marks = kb_xcalloc(e->dag->n, 1);
	marks[e->dag->bad] = KB_GB_BAD;
	for (unsigned n = 0; n < MAX_STEPS; n++) {
		kb_gitbisect_step_release(&step);
		r = kb_gitbisect_next(e->dag, marks, &step);
		if (r < 0)
			goto out;
		if (step.state != KB_GB_NEXT || over_budget(e))
			break;
		log_bisecting(e, &step);
		flush_log(e);
		r = reference_test(e, &vs, e->dag->hash[step.commit], KB_ROLE_BISECT, NULL, &v);
		if (r < 0)
			goto out;
		{
			struct tested *t = find_tested(e, e->dag->hash[step.commit]);
			struct kb_verdict_counts vc;

			if (t->build.status == KB_BUILD_OK) {
				count_runs(e, &e->rs[t->runset], 0, e->rs[t->runset].used, &c);
				reference_verdict(&c, vs.flaky, &vc);
				kb_verdict_state_post(&vs, v, &vc);
			}
		}
		marks[step.commit] = v == KB_VERDICT_GOOD ? KB_GB_GOOD :
				     v == KB_VERDICT_BAD  ? KB_GB_BAD :
							    KB_GB_SKIP;
		kb_log_git_step(&e->log, kb_verdict_name(v), e->dag->hash[step.commit]);
	}
	if (step.state == KB_GB_FOUND) {
		kb_gitbisect_format(e->dag, &step, &e->log);
		if (e->vcs->show_culprit(e->vcs->ctx, e->dag->hash[step.commit], &e->log) < 0)
			kb_log_line(&e->log, "(commit details unavailable: %s)", kb_error_last());
		finish_culprit(e, e->dag->hash[step.commit], vs.confidence);
	} else if (step.state == KB_GB_ONLY_SKIPPED) {
		kb_gitbisect_format(e->dag, &step, &e->log);
		e->res->verdict = KB_RESULT_INCONCLUSIVE;
		for (size_t i = 0; i < step.nmaybe; i++)
			kb_result_add_candidate(e->res, e->dag->hash[step.maybe[i]],
						1.0 / (double)step.nmaybe);
		e->res->confidence = vs.confidence;
	} else {
		e->res->verdict = KB_RESULT_INCONCLUSIVE;
		e->res->error =
			over_budget(e) ? budget_message(e) : kb_xstrdup("step limit reached");
	}
	r = 0;
out:
	kb_gitbisect_step_release(&step);
	free(marks);
	return r;
}

/* ---- bayes strategy ---------------------------------------------------- */

struct bayes_ctx {
	unsigned cap; /* most clean runs a release is asked for */
	const struct kb_bayes_params *bp; /* of the search that follows the walk */
};

/* In the bisection range (the good end included). */
static bool in_range(struct engine *e, const struct tested *t)
{
	return kb_dag_find(e->dag, t->hash) >= 0 || !strcmp(t->hash, e->good);
}

/*
 * Target crashes and informative (target or clean) runs on the tested
 * commits known to be bad, i.e. that showed the target crash, each binary
 * once.  @outside_dag: only those outside the bisection range (the bad
 * commit given and newer bad releases, once a release walk moved the bad
 * end); the posterior sees the others itself.
 */
static void known_bad_counts(struct engine *e, bool outside_dag, unsigned *ret_t, unsigned *ret_r)
{
	*ret_t = *ret_r = 0;
	for (size_t i = 0; i < e->nt; i++) {
		struct tested *t = &e->t[i];
		struct counts c;
		bool dup = false;

		if (!t->built || t->build.status != KB_BUILD_OK)
			continue;
		if (outside_dag && in_range(e, t))
			continue;
		/*
		 * Each binary once; with @outside_dag not at all when a commit in
		 * the range shares it (the posterior has those runs).
		 */
		for (size_t k = 0; k < e->nt && !dup; k++)
			dup = k != i && e->t[k].built && e->t[k].build.status == KB_BUILD_OK &&
			      e->t[k].runset == t->runset &&
			      (k < i || (outside_dag && in_range(e, &e->t[k])));
		if (dup)
			continue;
		count_runs(e, &e->rs[t->runset], 0, e->rs[t->runset].used, &c);
		if (!c.target)
			continue;
		*ret_t += c.target;
		*ret_r += c.target + c.ok;
	}
}

/*
 * A commit speculation expects to test next: built ahead when there are
 * build slots, and a hint to the next choice either way (so the path is
 * the same with any number of slots).
 */
static void propose(struct engine *e, const char *hash)
{
	for (size_t i = 0; i < e->nhint; i++)
		if (!strcmp(e->hint[i], hash))
			return;
	if (e->nhint == KB_BAYES_MAX_HINTS) /* the oldest goes */
		memmove(e->hint[0], e->hint[1], --e->nhint * sizeof(e->hint[0]));
	snprintf(e->hint[e->nhint++], sizeof(e->hint[0]), "%s", hash);
	prefetch(e, hash);
}

/*
 * Choose with the proposals as hints; a search or confirmation step uses
 * them up (calibration runs on the bad end leave the next search step as
 * it was).
 */
static void choose_next_hinted(struct engine *e, struct kb_bayes *b, struct kb_bayes_choice *ch)
{
	size_t j[KB_BAYES_MAX_HINTS], n = 0;

	for (size_t i = 0; i < e->nhint; i++) {
		long k = kb_dag_find(e->dag, e->hint[i]);

		if (k >= 0)
			j[n++] = (size_t)k;
	}
	kb_bayes_set_hints(b, j, n);
	kb_bayes_choose_next(b, ch);
	kb_bayes_set_hints(b, NULL, 0);
	if (ch->action != KB_BAYES_TEST || ch->reason != KB_BAYES_R_CALIBRATE)
		e->nhint = 0;
}

/*
 * The first search step in @dag (good end @good), from a posterior told
 * the bad end showed @t target crashes in @r runs and the good end @ok
 * clean runs: build it ahead.
 */
static void speculate_first_in(struct engine *e, const struct kb_dag *dag, const char *good,
			       const struct kb_bayes_params *bp, unsigned t, unsigned r,
			       unsigned ok)
{
	struct kb_bayes *c = NULL;
	struct kb_bayes_choice ch;

	if (kb_bayes_new(dag, bp, &c) < 0)
		return;
	kb_bayes_observe(c, dag->bad, t, r);
	if (ok)
		kb_bayes_observe(c, KB_BAYES_GOOD_END(dag), 0, ok);
	kb_bayes_choose_next(c, &ch);
	if (ch.action == KB_BAYES_TEST)
		propose(e, ch.commit == KB_BAYES_GOOD_END(dag) ? good : dag->hash[ch.commit]);
	kb_bayes_free(c);
}

/*
 * With both ends known, the first search step, built during the bad end's
 * runs (assumed to end the calibration).
 */
static void speculate_first(struct engine *e, const struct kb_bayes_params *bp)
{
	unsigned t = KB_MAX(bp->calib_min_crashes, 1u);

	speculate_first_in(e, e->dag, e->good, bp, t, KB_MAX(t, bp->calib_runs), 0);
}

/*
 * A release that showed no crash in its first batch is probably the good
 * end: while it gets the rest of its runs, build the first search step
 * between it and the bad end (6 min of the wall time otherwise).  The
 * posterior that will choose it sees the runs of every commit known bad,
 * @kt target crashes in @kr runs (the bad end's or counted as known bad),
 * and the release's @ok clean runs.
 */
static void speculate_after_release(struct engine *e, const char *release, unsigned kt, unsigned kr,
				    unsigned ok, const struct kb_bayes_params *bp)
{
	const char *goods[1] = { release };
	struct kb_dag *dag = NULL;

	if (e->vcs->load_range(e->vcs->ctx, e->bad, goods, 1, &dag) < 0)
		return;
	if (dag->n)
		speculate_first_in(e, dag, release, bp, kt, kr, ok);
	kb_dag_free(dag);
}

/*
 * Clean runs that make a release good: the smallest n with
 * P(n clean runs | the release is bad) <= 1%, averaged over what the
 * @crashes and @clean runs of the commits known bad say about p1
 * (Beta(1/2 + crashes, 1/2 + clean)):
 * E[(1 - p1)^n] = prod_{i<n} (b + i) / (a + b + i).  A point estimate from
 * the few runs the bad end has had called bad releases good (bench-strategy,
 * releases with other crashes: 6.5% inconclusive when it was used with
 * one-batch steps).
 */
static unsigned clean_runs_needed(unsigned crashes, unsigned clean, unsigned cap)
{
	double a = 0.5 + crashes, b = 0.5 + clean, tail = 1;

	for (unsigned n = 0; n < cap; n++) {
		if (tail <= 0.01)
			return KB_MAX(n, 1u);
		tail *= (b + n) / (a + b + n);
	}
	return cap;
}

static int bayes_decide(struct engine *e, void *ctx, const char *hash, const char *tag,
			enum kb_commit_verdict *ret)
{
	struct bayes_ctx *bc = ctx;
	unsigned step = e->cfg->test.parallel ? e->cfg->test.parallel : 1, want = step;
	struct kb_result_commit *rc = NULL;
	struct counts c;
	unsigned kt, kr, need;
	bool speculated = false;
	int r;

	/* p1 from every commit known bad so far: the bad end and newer bad releases */
	known_bad_counts(e, false, &kt, &kr);
	need = clean_runs_needed(kt, kr - kt, bc->cap);
	for (;;) {
		r = test_commit(e, hash, want, KB_ROLE_RELEASE, tag, &c, &rc);
		if (r < 0)
			return r;
		if (r == 1) {
			*ret = KB_COMMIT_SKIP;
			return 0;
		}
		if (c.target) {
			*ret = KB_COMMIT_BAD;
			break;
		}
		if (c.ok >= need) {
			*ret = KB_COMMIT_GOOD;
			break;
		}
		/*
		 * Mostly untestable runs (boot failures, other crashes): give
		 * up on this tag.  Clean runs come slower there, not never.
		 */
		if (c.ok + c.target == 0 || (c.total >= 4 * step && 2 * c.ok < c.total) ||
		    c.total >= 2 * need + 4 * step) {
			*ret = KB_COMMIT_SKIP;
			break;
		}
		if (!c.target && !speculated) {
			speculated = true;
			/* the release has no target crash: kt, kr still hold */
			speculate_after_release(e, hash, kt, kr, c.ok, bc->bp);
		}
		want += step;
	}
	rc->verdict = *ret;
	return 0;
}

static size_t bayes_index(struct engine *e, const char *hash)
{
	long i = kb_dag_find(e->dag, hash);

	return i < 0 ? KB_BAYES_GOOD_END(e->dag) : (size_t)i;
}

static const char *bayes_hash(struct engine *e, size_t j)
{
	return j == KB_BAYES_GOOD_END(e->dag) ? e->good : e->dag->hash[j];
}

/* Set @bit in mark[] for @j and its ancestors in the range (none for the good end). */
static void mark_ancestors(const struct kb_dag *d, size_t j, uint8_t *mark, uint8_t bit)
{
	if (j >= d->n)
		return;
	mark[j] |= bit;
	/* parents come before their children: one sweep down from j */
	for (size_t i = j + 1; i-- > 0;)
		if (mark[i] & bit)
			for (uint32_t k = d->par_off[i]; k < d->par_off[i + 1]; k++)
				mark[d->par[k]] |= bit;
}

/*
 * Commits with equal binaries behave alike, so a culprit that is an
 * ancestor of one of them and not of the other is impossible: its prior
 * goes to ~0 (floored, it still wins if nothing else is left).  For a
 * commit and its parent that is the commit itself (a noop commit is not the
 * culprit); for a commit with the good end's binary, all its ancestors; for
 * equal binaries on two branches, both branches down to their fork.
 */
static void rule_out_split(struct engine *e, struct kb_bayes *b, size_t j1, size_t j2)
{
	uint8_t *mark = kb_xcalloc(e->dag->n, 1);

	mark_ancestors(e->dag, j1, mark, 1);
	mark_ancestors(e->dag, j2, mark, 2);
	for (size_t k = 0; k < e->dag->n; k++)
		if (mark[k] == 1 || mark[k] == 2)
			kb_bayes_set_prior(b, k, 0);
	free(mark);
}

/* Tell the posterior about a commit's build (equal binaries, noop commits). */
static void bayes_note_build(struct engine *e, struct kb_bayes *b, struct tested *t)
{
	size_t j = bayes_index(e, t->hash);

	if (t->build.status != KB_BUILD_OK) {
		kb_bayes_set_untestable(b, j, true);
		return;
	}
	kb_bayes_set_built(b, j, true);
	for (size_t i = 0; i < e->nt; i++) {
		struct tested *o = &e->t[i];
		size_t oj;

		if (o == t || !o->built || o->build.status != KB_BUILD_OK ||
		    strcmp(o->build.signature, t->build.signature))
			continue;
		oj = bayes_index(e, o->hash);
		if (oj == j)
			continue;
		kb_bayes_same_binary(b, j, oj);
		rule_out_split(e, b, j, oj);
	}
}

static void bayes_observe_tested(struct engine *e, struct kb_bayes *b, struct tested *t)
{
	struct counts c;
	unsigned have_t, have_r;
	size_t j = bayes_index(e, t->hash);

	if (!t->built || t->build.status != KB_BUILD_OK)
		return;
	count_runs(e, &e->rs[t->runset], 0, e->rs[t->runset].used, &c);
	kb_bayes_counts(b, j, &have_t, &have_r);
	/* The posterior pools by binary: only add what it has not seen yet. */
	if (c.target + c.ok > have_r && c.target >= have_t)
		kb_bayes_observe(b, j, c.target - have_t, c.target + c.ok - have_r);
	if (c.total >= 2 * (e->cfg->test.runs ? e->cfg->test.runs : 10) && c.target + c.ok == 0)
		kb_bayes_set_untestable(b, j, true);
}

/*
 * While commit @j gets @runs more runs, build what the search would test
 * next after either outcome: a copy of the posterior is told "@j crashed
 * as a bad commit would" or "@j stayed clean", and asked for its next
 * step.  The likelier outcome's commit is started first.  Nothing the
 * copies learn reaches the real posterior.
 */
static void speculate(struct engine *e, struct kb_bayes *b, size_t j, unsigned runs)
{
	double a = kb_bayes_mass_reachable(b, j), p1, p0;
	unsigned crashes;
	bool bad_first = a >= 0.5;

	if (!runs)
		return;
	kb_bayes_rates(b, &p1, &p0);
	crashes = (unsigned)lround(p1 * runs);
	crashes = KB_MIN(KB_MAX(crashes, 1u), runs);
	for (int k = 0; k < 2; k++) {
		bool bad = k == 0 ? bad_first : !bad_first;
		struct kb_bayes *c = kb_bayes_clone(b);
		struct kb_bayes_choice ch;

		kb_bayes_observe(c, j, bad ? crashes : 0, runs);
		kb_bayes_choose_next(c, &ch);
		if (ch.action == KB_BAYES_TEST)
			propose(e, bayes_hash(e, ch.commit));
		kb_bayes_free(c);
	}
}

/* git's "Bisecting:" block introduces a new commit, not more runs on one. */
static void log_bisecting_once(struct engine *e, struct kb_bayes *b, const char *hash)
{
	if (!find_tested(e, hash) || !find_tested(e, hash)->counted) {
		size_t *set = kb_xcalloc(e->dag->n + 1, sizeof(*set));
		size_t ns = kb_bayes_credible_set(b, e->cfg->confidence, set);
		_cleanup_free_ char *subj = subject_of(e, hash);
		unsigned left = ns > 1 ? (unsigned)(ns - 1) : 0;

		kb_log_bisecting(&e->log, left, kb_bisect_estimate_steps(left + 1), hash, subj);
		free(set);
	}
	flush_log(e);
}

/* "# git bisect good|bad|skip H" after a commit's block, and its verdict in the result. */
static void log_git_step(struct engine *e, struct kb_bayes *b, size_t j, const char *hash,
			 bool skip)
{
	double a = kb_bayes_mass_reachable(b, j);

	kb_log_git_step(&e->log, skip ? "skip" : a >= 0.5 ? "bad" : "good", hash);
	e->res->commits[e->res->n_commits - 1].verdict = skip	  ? KB_COMMIT_SKIP :
							 a >= 0.5 ? KB_COMMIT_BAD :
								    KB_COMMIT_GOOD;
}

/*
 * How many commits to test at once (k-ary search): as many as there are
 * build slots, as long as each still gets enough of the VMs to tell bad
 * from good: a bad commit shows no crash in its share of the runs with
 * probability at most 0.1%.  1 means one commit per step (with speculative
 * builds of the next one instead): a 2-way split (9.5 min per bit at 6-min
 * builds and 9-min batches) is slower than that (9 min).
 */
static size_t kary_width(struct engine *e, struct kb_bayes *b)
{
	unsigned par = e->cfg->test.parallel ? e->cfg->test.parallel : 1;
	double p1, p0;
	size_t k;

	if (e->slots < KARY_MIN_SLOTS)
		return 1;
	kb_bayes_rates(b, &p1, &p0);
	for (k = KB_MIN((size_t)e->slots, (size_t)par); k >= KARY_MIN_SLOTS; k--)
		if (pow(1 - p1, (double)(par / k)) <= 0.001)
			return k;
	return 1;
}

/*
 * One k-ary step: build the commits of @set side by side on the build
 * slots, test them in shared batches (the VMs split between them), then
 * print one block per commit as for a single step.
 */
static int test_set(struct engine *e, struct kb_bayes *b, const size_t *set, size_t ns)
{
	unsigned par = e->cfg->test.parallel ? e->cfg->test.parallel : 1;
	struct run_want w[MAX_SLOTS];
	struct tested *t[MAX_SLOTS];
	size_t nw = 0;
	int r;

	for (size_t i = 0; i < ns; i++)
		prefetch(e, bayes_hash(e, set[i]));
	for (size_t i = 0; i < ns; i++) {
		t[i] = get_tested(e, bayes_hash(e, set[i]));
		r = ensure_built(e, t[i]);
		if (r < 0)
			return r;
		bayes_note_build(e, b, t[i]); /* a failed build makes it untestable */
		if (t[i]->build.status != KB_BUILD_OK)
			continue;
		w[nw].t = t[i];
		w[nw++].want = (unsigned)e->rs[t[i]->runset].used + KB_MAX(par / (unsigned)ns, 1u);
	}
	r = ensure_runs_multi(e, w, nw);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ns; i++)
		bayes_observe_tested(e, b, t[i]);
	for (size_t i = 0, k = 0; i < ns; i++) {
		const char *hash = bayes_hash(e, set[i]);
		unsigned want = 0;
		struct counts c;

		if (k < nw && w[k].t == t[i])
			want = w[k++].want;
		log_bisecting_once(e, b, hash);
		r = test_commit(e, hash, want, KB_ROLE_BISECT, NULL, &c, NULL);
		if (r < 0)
			return r;
		log_git_step(e, b, set[i], hash, r == 1);
	}
	return 0;
}

static int run_bayes(struct engine *e)
{
	struct kb_bayes_params bp;
	struct kb_bayes *b = NULL;
	struct bayes_ctx bc = { 0 };
	struct counts c;
	unsigned runs = e->cfg->test.runs ? e->cfg->test.runs : 10;
	unsigned par = e->cfg->test.parallel ? e->cfg->test.parallel : 1;
	double *post = NULL;
	int r;

	kb_bayes_params_default(&bp);
	/*
	 * Prices are fixed, not measured: prices from wall time made two
	 * bisections of the same repository take different paths, and an e2e
	 * outcome depend on machine load.  A build costs one batch (6 and 9
	 * min in the reference's logs, and the next commit is usually built
	 * during the current one's runs).  The parameters' default of 6
	 * batches kept re-testing built commits where moving on paid more:
	 * bench-strategy, p1 = 0.3: 3.07 -> 2.73 h; p1 = 0.1: 7.48 -> 6.82 h;
	 * p1 = 0.1 with p0 = 0.01: right 0.67 -> 0.74; p1 >= 0.5 unchanged.
	 */
	bp.cost_build = bp.cost_batch;
	bp.confidence = e->cfg->confidence;
	bp.vms = par;
	bp.max_batches = KB_MAX(1u, (runs + par - 1) / par);
	bp.calib_runs = par; /* what the engine gave the bad end first */
	bp.calib_max_runs = 4 * runs;
	/*
	 * A run costs 1% of a batch on top of the batch: steps take fewer runs
	 * than the VMs when they add little information (one run decides a
	 * commit at p1 = 1; ten do at p1 = 0.5 with 20 VMs).  Against a step
	 * of a build and a batch (2 batches) that weighs what 3% did against
	 * the 7 of 6-batch builds: 3% with 1-batch builds took steps of 3 runs
	 * at p1 = 0.8 (a miss in 0.8% of bad commits) and cost wall time
	 * there (1.94 -> 2.05 h) and at V = 20 (1.96 -> 2.15 h).
	 */
	bp.cost_run = 0.01 * bp.cost_batch;
	/*
	 * With both ends known, the first search step is known before the bad
	 * end's runs end: build it meanwhile (and hint it to the first
	 * choice, also without build slots: the path does not depend on them).
	 */
	if (e->good[0]) {
		struct tested *t = get_tested(e, e->bad);

		r = load_dag(e);
		if (r < 0)
			return r;
		r = ensure_built(e, t);
		if (r < 0)
			return r;
		if (t->build.status == KB_BUILD_OK)
			speculate_first(e, &bp);
	} else if (e->slots) {
		/* no good end: the walk starts at the newest release, known now */
		struct tested *t = get_tested(e, e->bad);
		char **tags = NULL, hash[KB_HASH_HEX + 1];
		size_t ntags = 0;

		r = ensure_built(e, t);
		if (r < 0)
			return r;
		if (t->build.status == KB_BUILD_OK &&
		    e->vcs->release_tags(e->vcs->ctx, e->bad, e->cfg->release_tags, &tags,
					 &ntags) == 0 &&
		    ntags && e->vcs->rev_parse(e->vcs->ctx, tags[0], hash) == 0)
			prefetch(e, hash);
		kb_git_strv_free(tags);
	}
	/*
	 * Calibrate on the bad end: learn the crash and its rate.  One batch
	 * first; the posterior asks for more (CALIBRATE) while it has seen
	 * too few crashes to know the rate.
	 */
	{
		unsigned want = par;
		struct kb_result_commit *rc = NULL;
		struct tested *t;

		for (;;) {
			r = test_commit(e, e->bad, want, KB_ROLE_START, NULL, &c, &rc);
			if (r < 0)
				return r;
			if (r == 1) {
				e->res->verdict = KB_RESULT_NOT_REPRODUCIBLE;
				e->res->error =
					kb_xasprintf("the bad commit %s does not build", e->bad);
				return 0;
			}
			t = find_tested(e, e->bad);
			if (!e->ntargets)
				learn_targets(e, &e->rs[t->runset]);
			count_runs(e, &e->rs[t->runset], 0, e->rs[t->runset].used, &c);
			if (c.target >= 2 || want >= 4 * runs)
				break;
			want += par;
		}
		rc->verdict = c.target ? KB_COMMIT_BAD : KB_COMMIT_SKIP;
		if (!c.target) {
			e->res->verdict = KB_RESULT_NOT_REPRODUCIBLE;
			if (e->cfg->title)
				e->res->error = kb_xasprintf(
					"the bad commit %s does not crash with '%s': %u runs, %u crashes with other titles",
					e->bad, e->cfg->title, c.total, c.crash);
			else
				e->res->error = kb_xasprintf(
					"the bad commit %s does not crash: %u runs, %u OK", e->bad,
					c.total, c.ok);
			return 0;
		}
		bc.cap = 8 * runs;
		bc.bp = &bp;
	}
	if (!e->good[0]) {
		r = release_walk(e, bayes_decide, &bc, true);
		if (r)
			return r < 0 ? r : 0;
	}
	/* the range is known now (the walk's), unless loaded above with the good end given */
	r = e->dag ? 0 : load_dag(e);
	if (r < 0)
		return r;
	known_bad_counts(e, true, &bp.known_bad_crashes, &bp.known_bad_runs);
	r = kb_bayes_new(e->dag, &bp, &b);
	if (r < 0)
		return r;
	post = kb_xcalloc(e->dag->n + 1, sizeof(*post));
	{
		const char *goods[1] = { e->good_tag ? e->good_tag : e->good };

		kb_log_git_start(&e->log, e->bad, goods, 1);
	}
	/* Everything already known (bad end, the good release, resumed runs). */
	for (size_t i = 0; i < e->nt; i++) {
		size_t j = bayes_index(e, e->t[i].hash);

		if (j == KB_BAYES_GOOD_END(e->dag) && strcmp(e->t[i].hash, e->good))
			continue; /* a release outside the range */
		if (!e->t[i].built)
			continue;
		bayes_note_build(e, b, &e->t[i]);
		bayes_observe_tested(e, b, &e->t[i]);
	}
	for (unsigned n = 0; n < MAX_STEPS; n++) {
		struct kb_bayes_choice ch;
		struct tested *t;
		const char *hash;
		unsigned want;

		choose_next_hinted(e, b, &ch);
		if (ch.action == KB_BAYES_TEST && over_budget(e))
			ch.action = KB_BAYES_INCONCLUSIVE; /* report the credible set */
		if (ch.action != KB_BAYES_TEST) {
			double best;
			size_t bj;

			kb_bayes_best(b, &bj, &best);
			kb_bayes_posterior(b, post);
			if (ch.action == KB_BAYES_FOUND && ch.commit < e->dag->n) {
				kb_log_line(&e->log, "%s is the first bad commit",
					    e->dag->hash[ch.commit]);
				if (e->vcs->show_culprit(e->vcs->ctx, e->dag->hash[ch.commit],
							 &e->log) < 0)
					kb_log_line(&e->log, "(commit details unavailable: %s)",
						    kb_error_last());
				finish_culprit(e, e->dag->hash[ch.commit], ch.p);
			} else if (ch.action == KB_BAYES_NO_REPRO) {
				e->res->verdict = KB_RESULT_NOT_REPRODUCIBLE;
				e->res->error = kb_xasprintf(
					"the bad commit %s does not crash reliably enough to bisect",
					e->bad);
			} else {
				size_t *set = kb_xcalloc(e->dag->n + 1, sizeof(*set));
				size_t ns = kb_bayes_credible_set(b, 0.9, set);

				e->res->verdict = ch.action == KB_BAYES_FOUND && e->good_tag ?
							  KB_RESULT_OLDEST_RELEASE_BAD :
							  KB_RESULT_INCONCLUSIVE;
				if (ch.action == KB_BAYES_FOUND)
					e->res->error = kb_xasprintf(
						"the good end %s crashes too (probability %.3f)",
						e->good, ch.p);
				else if (over_budget(e))
					e->res->error = budget_message(e);
				for (size_t i = 0; i < ns; i++)
					if (set[i] < e->dag->n)
						kb_result_add_candidate(
							e->res, e->dag->hash[set[i]], post[set[i]]);
				e->res->confidence = best;
				/*
				 * The summary lists the candidates; only say here
				 * why there is no culprit when the mass sits on the
				 * good end (otherwise the list would be empty).
				 */
				if (e->res->error)
					kb_log_line(&e->log, "%s", e->res->error);
				free(set);
			}
			break;
		}
		if (ch.reason == KB_BAYES_R_SEARCH) {
			size_t set[MAX_SLOTS], ns = kary_width(e, b);

			ns = ns > 1 ? kb_bayes_spread(b, ns, set) : 0;
			if (ns > 1) {
				r = test_set(e, b, set, ns);
				if (r < 0)
					goto out;
				continue;
			}
		}
		hash = bayes_hash(e, ch.commit);
		drop_useless(e, b, hash);
		log_bisecting_once(e, b, hash);
		t = get_tested(e, hash);
		want = ch.runs ? ch.runs : par;
		if (t->built && t->build.status == KB_BUILD_OK)
			want += (unsigned)e->rs[t->runset].used;
		/* Build it (or take its speculative build), then start the next ones. */
		r = ensure_built(e, t);
		if (r < 0)
			goto out;
		if (t->build.status == KB_BUILD_OK) {
			bayes_note_build(e, b, t);
			speculate(e, b, ch.commit, ch.runs ? ch.runs : par);
		}
		r = test_commit(e, hash, want,
				ch.reason == KB_BAYES_R_CONFIRM ? KB_ROLE_VERIFY : KB_ROLE_BISECT,
				NULL, &c, NULL);
		if (r < 0)
			goto out;
		bayes_note_build(e, b, t);
		bayes_observe_tested(e, b, t);
		log_git_step(e, b, ch.commit, hash, r == 1);
	}
	r = 0;
out:
	free(post);
	kb_bayes_free(b);
	return r;
}

/* ---- the end ----------------------------------------------------------- */

/* The report text of the culprit's first target crash (re-parsed from its console). */
static void culprit_report(struct engine *e, struct tested *t)
{
	struct runset *rs;

	if (!t || !t->built || t->build.status != KB_BUILD_OK)
		return;
	rs = &e->rs[t->runset];
	for (size_t i = 0; i < rs->used; i++) {
		struct kb_run_result *r = &rs->runs[i];
		struct kb_buf con = KB_BUF_INIT;
		struct kb_report **v = NULL;
		size_t n = 0;

		if (classify(e, r) != RC_TARGET || !r->console_path)
			continue;
		if (kb_read_file(r->console_path, &con) == 0 &&
		    kb_report_parse_all(con.buf, con.len, &v, &n) >= 0) {
			for (size_t k = 0; k < n && !e->res->report; k++) {
				if (!is_target_title(e, v[k]->title))
					continue;
				e->res->title = kb_xstrdup(v[k]->title);
				e->res->report = kb_xstrndup(v[k]->report, v[k]->report_len);
			}
		}
		kb_report_free_all(v, n);
		kb_buf_release(&con);
		if (e->res->report)
			return;
		if (!e->res->title && r->title)
			e->res->title = kb_xstrdup(r->title);
	}
}

/*
 * Kernel recipients: the MAINTAINERS entries (of the culprit's own tree)
 * covering the files it touches add maintainers and lists to To, reviewers
 * and LKML to Cc.  Missing pieces just leave the commit's own recipients.
 */
static void add_maintainers(struct engine *e, const char *hash)
{
	struct kb_buf text = KB_BUF_INIT;
	struct kb_maintainers *m = NULL;
	char **files = NULL;
	size_t n = 0;

	if (!e->vcs->read_file || !e->vcs->files_touched)
		return;
	if (e->vcs->read_file(e->vcs->ctx, hash, "MAINTAINERS", &text) == 1 &&
	    kb_maintainers_parse(text.buf, text.len, &m) == 0 &&
	    e->vcs->files_touched(e->vcs->ctx, hash, &files, &n) == 0)
		kb_maintainers_add_recipients(m, (const char *const *)files, n, NULL,
					      &e->res->recipients);
	kb_error_clear();
	kb_git_strv_free(files);
	kb_maintainers_free(m);
	kb_buf_release(&text);
}

static void finish_culprit(struct engine *e, const char *hash, double confidence)
{
	struct kb_git_commit c = { 0 };
	struct tested *t = find_tested(e, hash);
	_cleanup_free_ char *tag = NULL;
	_cleanup_free_ char *author = NULL;

	e->res->verdict = KB_RESULT_CULPRIT;
	e->res->culprit = kb_xstrdup(hash);
	e->res->confidence = confidence;
	kb_result_add_candidate(e->res, hash, confidence);
	if (e->vcs->commit_info(e->vcs->ctx, hash, &c) == 0) {
		e->res->culprit_subject = kb_xstrdup(c.subject ? c.subject : "");
		e->res->flags.merge = c.nparents > 1;
		author = kb_xasprintf("%s <%s>", c.author.name ? c.author.name : "",
				      c.author.email ? c.author.email : "");
		kb_recipients_from_commit(&e->res->recipients, author, c.body ? c.body : "");
		if (e->cfg->kind == KB_CONFIG_LINUX)
			add_maintainers(e, hash);
		/* Noop check: the parent's build signature against the culprit's. */
		if (c.nparents == 1 && t && t->build.status == KB_BUILD_OK &&
		    t->build.signature[0]) {
			struct tested *pt = find_tested(e, c.parents[0]);

			if (!pt || !pt->built) {
				kb_log_line(&e->log, "parent commit %s wasn't tested",
					    c.parents[0]);
				pt = get_tested(e, c.parents[0]);
				if (ensure_built(e, pt) < 0)
					pt = NULL;
			}
			if (pt && pt->built && pt->build.status == KB_BUILD_OK) {
				kb_log_signatures(&e->log, t->build.signature, pt->build.signature);
				e->res->flags.noop =
					!strcmp(t->build.signature, pt->build.signature);
			}
		}
	}
	if (e->vcs->release_tag_at(e->vcs->ctx, hash, e->cfg->release_tags, &tag) == 0 && tag)
		e->res->flags.release = true;
	kb_git_commit_release(&c);
	culprit_report(e, t);
}

/* ---- setup ------------------------------------------------------------- */

static int resolve_revs(struct engine *e)
{
	int r;

	r = e->vcs->rev_parse(e->vcs->ctx, e->cfg->bad, e->bad);
	if (r < 0)
		return kb_error_wrap(r, "config \"bad\"");
	if (e->cfg->good) {
		r = e->vcs->rev_parse(e->vcs->ctx, e->cfg->good, e->good);
		if (r < 0)
			return kb_error_wrap(r, "config \"good\"");
		if (!strcmp(e->good, e->bad))
			return kb_error_set(-EINVAL, "\"good\" and \"bad\" are the same commit %s",
					    e->bad);
		r = e->vcs->is_ancestor(e->vcs->ctx, e->good, e->bad);
		if (r < 0)
			return r;
		if (r == 0)
			return kb_error_set(
				-EINVAL,
				"good commit %s is not an ancestor of bad commit %s; pick a \"good\" commit that \"bad\" contains",
				e->cfg->good, e->cfg->bad);
	}
	return 0;
}

int kb_engine_run(const struct kb_engine_params *p, struct kb_result *res)
{
	struct engine e = { .p = p, .cfg = p->cfg, .res = res, .log = KB_BUF_INIT, .lock_fd = -1 };
	_cleanup_free_ char *jpath = NULL;
	int r;

	e.t0 = now_mono();
	e.repo = kb_xstrdup(p->cfg->repo);
	compute_keys(&e);
	res->config_hash = kb_xstrdup(p->cfg->hash);
	if (p->vcs) {
		e.vcs = p->vcs;
	} else {
		kb_vcs_git_init(&e.own_vcs, e.repo);
		e.vcs = &e.own_vcs;
	}
	if (!p->vcs && !kb_is_dir(e.repo)) {
		r = kb_error_set(-ENOENT, "repository '%s' does not exist; fix \"repo\" in %s",
				 e.repo, p->cfg->path);
		goto out;
	}
	r = resolve_revs(&e);
	if (r < 0)
		goto out;
	r = p->memory_journal ? 0 : kb_mkdir_p(p->workdir, 0755);
	if (r < 0)
		goto out;
	/*
	 * Two bisections in one work directory would share the clone, the
	 * build tree and the journal; the second one stops before it writes.
	 */
	if (!p->memory_journal) {
		r = kb_lock_dir(p->workdir, "work directory");
		if (r < 0)
			goto out;
		e.lock_fd = r;
	}
	jpath = p->memory_journal ? kb_xstrdup(":memory:") :
				    kb_xasprintf("%s/journal.sqlite", p->workdir);
	r = kb_journal_open(jpath, &e.jr);
	if (r < 0)
		goto out;
	if (p->backend) {
		e.be = p->backend;
	} else {
		r = p->cfg->kind == KB_CONFIG_LINUX ?
			    kb_linux_backend_new(p->cfg, p->workdir, &e.own_backend) :
			    kb_local_backend_new(p->cfg, p->workdir, &e.own_backend);
		if (r < 0)
			goto out;
		e.be = &e.own_backend;
		e.own_be = true;
	}
	e.slots = KB_MIN(KB_MIN(p->cfg->build.slots, e.be->build_slots), (unsigned)MAX_SLOTS);
	kb_log_bisect_from(&e.log, e.bad);
	flush_log(&e);
	r = p->strategy == KB_STRATEGY_REFERENCE ? run_reference(&e) : run_bayes(&e);
out:
	/*
	 * runs ahead still going are not needed any more: stop them (a backend
	 * that cannot waits for them), journal those that ended before
	 */
	ahead_cancel_useless(&e, NULL, NULL);
	if (collect_ahead(&e, SIZE_MAX) < 0)
		progress(&e, "cannot journal runs ahead: %s", kb_error_last());
	if (r < 0 && r != -EIO && !e.nt) {
		/* Bad input before anything ran: no log, just the error. */
	} else {
		if (r < 0) {
			res->verdict = KB_RESULT_ERROR;
			free(res->error);
			res->error = kb_xstrdup(kb_error_last());
		}
		if (e.ntargets && !res->title)
			res->title = kb_xstrdup(e.targets[0]);
		res->speculative_builds = e.pf_started;
		res->speculative_used = e.pf_used;
		res->speculative_cancelled = e.pf_cancelled;
		res->runs_ahead = e.ahead_started;
		res->runs_ahead_used = e.ahead_used;
		res->runs_ahead_cancelled = e.ahead_cancelled;
		res->build_seconds = e.build_s;
		res->test_seconds = e.test_s;
		res->total_seconds = spent_seconds(&e);
		kb_log_summary(&e.log, res);
		flush_log(&e);
	}
	prefetch_finish(&e);
	if (e.own_be && e.own_backend.close)
		e.own_backend.close(e.own_backend.ctx);
	kb_journal_close(e.jr);
	if (e.lock_fd >= 0)
		close(e.lock_fd);
	if (e.vcs == &e.own_vcs)
		kb_vcs_git_release(&e.own_vcs);
	for (size_t i = 0; i < e.nt; i++)
		kb_build_result_clear(&e.t[i].build);
	free(e.t);
	for (size_t i = 0; i < e.nrs; i++) {
		for (size_t k = 0; k < e.rs[i].n; k++)
			kb_run_result_clear(&e.rs[i].runs[k]);
		free(e.rs[i].runs);
	}
	free(e.rs);
	for (size_t i = 0; i < e.ntargets; i++)
		free(e.targets[i]);
	free(e.good_tag);
	free(e.repo);
	kb_dag_free(e.dag);
	kb_buf_release(&e.log);
	return r;
}
