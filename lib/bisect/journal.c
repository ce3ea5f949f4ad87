// SPDX-License-Identifier: Apache-2.0
/*
 * The results journal on SQLite.
 *
 * Durability: WAL with synchronous=FULL.  Every result is its own
 * transaction and is on disk when the put call returns; with WAL, FULL costs
 * one fsync of the log per commit, and a result costs minutes (a kernel
 * build, a VM boot), so the fsync is free in comparison.  NORMAL would
 * survive a crash of kbisect too, but could lose the last results on a power
 * loss or a kernel panic of the host; the host running a kernel bisection is
 * the one kind of machine where that is likely.
 *
 * Outcomes are stored by name, not by enum value, so reordering an enum
 * cannot silently change the meaning of an old journal.
 */
#include "bisect/journal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "util/error.h"
#include "util/sha256.h"

/* "kbis": marks the file as ours (PRAGMA application_id). */
#define KB_JOURNAL_APP_ID 0x6b626973

struct kb_journal {
	sqlite3 *db;
	char *path;
	pthread_mutex_t lock;
};

static const char *const schema_v1[] = {
	"CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
	"CREATE TABLE builds(commit_id TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,"
	" signature TEXT NOT NULL, compiler TEXT, error_lines TEXT, log_path TEXT,"
	" seconds REAL NOT NULL, finished REAL NOT NULL, PRIMARY KEY(commit_id, key))",
	"CREATE TABLE runs(commit_id TEXT NOT NULL, signature TEXT NOT NULL, key TEXT NOT NULL,"
	" run_idx INTEGER NOT NULL, outcome TEXT NOT NULL, title TEXT, console_path TEXT,"
	" exit_status INTEGER NOT NULL, seconds REAL NOT NULL, finished REAL NOT NULL,"
	" PRIMARY KEY(commit_id, key, run_idx))",
	"CREATE INDEX runs_by_signature ON runs(signature, key)",
};

static const char *const build_status_names[] = {
	[KB_BUILD_OK] = "OK",
	[KB_BUILD_FAILED] = "FAILED",
	[KB_BUILD_INFRA] = "INFRA",
};

static const char *const run_outcome_names[] = {
	[KB_RUN_OK] = "OK",
	[KB_RUN_CRASH] = "CRASH",
	[KB_RUN_BOOT_FAIL] = "BOOT_FAIL",
	[KB_RUN_TEST_FAIL] = "TEST_FAIL",
	[KB_RUN_SKIP] = "SKIP",
	[KB_RUN_INFRA] = "INFRA",
};

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

/*
 * The stored name of enum value @v (@what: "build status"), or NULL with
 * the message set for a value the table does not know.
 */
static const char *enum_name(const struct kb_journal *j, const char *const *names, size_t n, int v,
			     const char *what)
{
	if ((unsigned)v >= n || !names[v]) {
		kb_error_set(-EINVAL, "journal '%s': invalid %s %d", j->path, what, v);
		return NULL;
	}
	return names[v];
}

/*
 * The enum value named in column @c, or -EINVAL (message set, mentioning
 * @commit when not NULL) for a name this kbisect does not know.
 */
static int column_enum(const struct kb_journal *j, sqlite3_stmt *st, int c,
		       const char *const *names, size_t n, const char *what, const char *commit)
{
	const char *name = (const char *)sqlite3_column_text(st, c);
	int v = name_index(names, n, name);

	if (v < 0)
		return kb_error_set(
			-EINVAL, "journal '%s': unknown %s '%s'%s%s: is it from a newer kbisect?",
			j->path, what, name ? name : "", commit ? " for " : "",
			commit ? commit : "");
	return v;
}

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int db_error(struct kb_journal *j, int rc, const char *what)
{
	return kb_error_set(sqlite_errno(rc), "journal '%s': %s: %s", j->path, what,
			    j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
}

static int exec_sql(struct kb_journal *j, const char *sql)
{
	int rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_error(j, rc, sql);
}

/* The @n integers of a one-row query; one statement reads one snapshot. */
static int query_ints(struct kb_journal *j, const char *sql, long long *val, int n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			for (int i = 0; i < n; i++)
				val[i] = sqlite3_column_int64(st, i);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int create_schema(struct kb_journal *j)
{
	long long version = 0;
	int rc, ret;

	/* IMMEDIATE: two processes opening a new journal do not both create it */
	ret = exec_sql(j, "BEGIN IMMEDIATE");
	if (ret < 0)
		return ret;
	rc = query_ints(j, "PRAGMA user_version", &version, 1);
	if (rc != SQLITE_OK) {
		ret = db_error(j, rc, "reading the schema version");
		goto rollback;
	}
	if (version == 0) {
		for (size_t i = 0; i < KB_ARRAY_SIZE(schema_v1); i++) {
			ret = exec_sql(j, schema_v1[i]);
			if (ret < 0)
				goto rollback;
		}
		_cleanup_free_ char *pragmas =
			kb_xasprintf("PRAGMA application_id = %d; PRAGMA user_version = %d",
				     KB_JOURNAL_APP_ID, KB_JOURNAL_SCHEMA);
		ret = exec_sql(j, pragmas);
		if (ret < 0)
			goto rollback;
	}
	return exec_sql(j, "COMMIT");
rollback:
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

/*
 * Switch to WAL (a property of the file, so only its creator really does it).
 * SQLite does not call the busy handler for this switch when another
 * connection holds a lock, since waiting could dead-lock; retry ourselves.
 * journal_mode answers with the mode in effect; a file system that refuses
 * WAL leaves the rollback journal, which is slower but just as safe.
 */
static int set_wal(struct kb_journal *j)
{
	int rc = SQLITE_OK;

	for (int tries = 0; tries < 300; tries++) {
		rc = sqlite3_exec(j->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		usleep(100 * 1000);
	}
	return rc == SQLITE_OK ? 0 : db_error(j, rc, "switching to WAL");
}

static int check_and_setup(struct kb_journal *j)
{
	long long v[3] = { 0, 0, 0 };
	long long app_id, version, tables;
	int rc, ret;

	sqlite3_busy_timeout(j->db, 30000);
	/*
	 * The first read of the header tells a foreign file from a journal.
	 * All three values come from one snapshot: another process may be
	 * creating the schema right now.
	 */
	rc = query_ints(j,
			"SELECT (SELECT application_id FROM pragma_application_id),"
			" (SELECT user_version FROM pragma_user_version),"
			" (SELECT count(*) FROM sqlite_master)",
			v, 3);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return kb_error_set(-EINVAL,
				    "journal '%s' is not a kbisect journal (not an SQLite "
				    "database): move it away or use another workdir",
				    j->path);
	if (rc != SQLITE_OK)
		return db_error(j, rc, "reading the header");
	app_id = v[0];
	version = v[1];
	tables = v[2];
	if (app_id != KB_JOURNAL_APP_ID && (app_id != 0 || tables > 0))
		return kb_error_set(-EINVAL,
				    "journal '%s' is not a kbisect journal (another program's "
				    "database): move it away or use another workdir",
				    j->path);
	if (version > KB_JOURNAL_SCHEMA)
		return kb_error_set(-EPROTONOSUPPORT,
				    "journal '%s' is from a newer kbisect (schema %lld, this "
				    "kbisect knows %d): upgrade kbisect or use another workdir",
				    j->path, version, KB_JOURNAL_SCHEMA);

	ret = set_wal(j);
	if (ret < 0)
		return ret;
	ret = exec_sql(j, "PRAGMA synchronous = FULL");
	if (ret < 0)
		return ret;
	return create_schema(j);
}

int kb_journal_open(const char *path, struct kb_journal **ret)
{
	struct kb_journal *j = kb_xcalloc(1, sizeof(*j));
	int rc, r;

	*ret = NULL;
	j->path = kb_xstrdup(path);
	pthread_mutex_init(&j->lock, NULL);
	rc = sqlite3_open_v2(path, &j->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = kb_error_set(sqlite_errno(rc), "cannot open journal '%s': %s", path,
				 j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
		kb_journal_close(j);
		return r;
	}
	sqlite3_extended_result_codes(j->db, 1);
	r = check_and_setup(j);
	if (r < 0) {
		kb_journal_close(j);
		return r;
	}
	*ret = j;
	return 0;
}

void kb_journal_close(struct kb_journal *j)
{
	if (!j)
		return;
	/* close_v2: a leaked statement must not keep the file open */
	sqlite3_close_v2(j->db);
	pthread_mutex_destroy(&j->lock);
	free(j->path);
	free(j);
}

const char *kb_journal_path(const struct kb_journal *j)
{
	return j->path;
}

void kb_journal_key(const char *const *fields, size_t n, char out[65])
{
	struct kb_sha256 s;

	kb_sha256_init(&s);
	for (size_t i = 0; i < n; i++) {
		const char *f = fields[i] ? fields[i] : "";

		/* the NUL keeps ("ab", "c") apart from ("a", "bc") */
		kb_sha256_update(&s, f, strlen(f) + 1);
	}
	kb_sha256_final_hex(&s, out);
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? kb_xstrdup((const char *)s) : NULL;
}

/* Prepare @sql under the lock; on failure the lock is released again. */
static int prepare_locked(struct kb_journal *j, const char *sql, sqlite3_stmt **st)
{
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = sqlite3_prepare_v2(j->db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		int r = db_error(j, rc, "preparing a statement");

		pthread_mutex_unlock(&j->lock);
		return r;
	}
	return 0;
}

/* Run a statement that returns no rows, finalize it and release the lock. */
static int step_done_unlock(struct kb_journal *j, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), r = 0;

	if (rc != SQLITE_DONE)
		r = db_error(j, rc, what);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return r;
}

int kb_journal_put_build(struct kb_journal *j, const char *commit, const char *key,
			 const struct kb_build_result *r)
{
	const char *status = enum_name(j, build_status_names, KB_ARRAY_SIZE(build_status_names),
				       (int)r->status, "build status");
	sqlite3_stmt *st;
	int ret;

	if (!status)
		return -EINVAL;
	ret = prepare_locked(j,
			     "INSERT OR REPLACE INTO builds(commit_id, key, status, signature,"
			     " compiler, error_lines, log_path, seconds, finished)"
			     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, commit);
	bind_text(st, 2, key);
	bind_text(st, 3, status);
	bind_text(st, 4, r->signature);
	bind_text(st, 5, r->compiler);
	bind_text(st, 6, r->error_lines);
	bind_text(st, 7, r->log_path);
	sqlite3_bind_double(st, 8, r->seconds);
	sqlite3_bind_double(st, 9, wall_now());
	return step_done_unlock(j, st, "recording a build");
}

int kb_journal_get_build(struct kb_journal *j, const char *commit, const char *key,
			 struct kb_build_result *r)
{
	sqlite3_stmt *st;
	int ret, rc, status;

	memset(r, 0, sizeof(*r));
	ret = prepare_locked(j,
			     "SELECT status, signature, compiler, error_lines, log_path, seconds"
			     " FROM builds WHERE commit_id = ? AND key = ?",
			     &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, commit);
	bind_text(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *sig = (const char *)sqlite3_column_text(st, 1);

		status = column_enum(j, st, 0, build_status_names,
				     KB_ARRAY_SIZE(build_status_names), "build status", commit);
		if (status < 0) {
			ret = status;
		} else {
			r->status = (enum kb_build_status)status;
			snprintf(r->signature, sizeof(r->signature), "%s", sig ? sig : "");
			r->compiler = column_dup(st, 2);
			r->error_lines = column_dup(st, 3);
			r->log_path = column_dup(st, 4);
			r->seconds = sqlite3_column_double(st, 5);
			ret = 1;
		}
	} else if (rc != SQLITE_DONE) {
		ret = db_error(j, rc, "looking up a build");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return ret;
}

/* Columns @c..@c+4 (outcome, title, console_path, exit_status, seconds) into *r. */
static int row_to_run(struct kb_journal *j, sqlite3_stmt *st, int c, struct kb_run_result *r)
{
	int outcome = column_enum(j, st, c, run_outcome_names, KB_ARRAY_SIZE(run_outcome_names),
				  "run outcome", NULL);

	if (outcome < 0)
		return outcome;
	r->outcome = (enum kb_run_outcome)outcome;
	r->title = column_dup(st, c + 1);
	r->console_path = column_dup(st, c + 2);
	r->exit_status = sqlite3_column_int(st, c + 3);
	r->seconds = sqlite3_column_double(st, c + 4);
	return 0;
}

int kb_journal_put_run(struct kb_journal *j, const char *commit, const char *signature,
		       const char *key, unsigned run_idx, const struct kb_run_result *r)
{
	const char *outcome = enum_name(j, run_outcome_names, KB_ARRAY_SIZE(run_outcome_names),
					(int)r->outcome, "run outcome");
	sqlite3_stmt *st;
	int ret;

	if (!outcome)
		return -EINVAL;
	ret = prepare_locked(j,
			     "INSERT OR REPLACE INTO runs(commit_id, signature, key, run_idx,"
			     " outcome, title, console_path, exit_status, seconds, finished)"
			     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, commit);
	bind_text(st, 2, signature ? signature : "");
	bind_text(st, 3, key);
	sqlite3_bind_int64(st, 4, run_idx);
	bind_text(st, 5, outcome);
	bind_text(st, 6, r->title);
	bind_text(st, 7, r->console_path);
	sqlite3_bind_int(st, 8, r->exit_status);
	sqlite3_bind_double(st, 9, r->seconds);
	sqlite3_bind_double(st, 10, wall_now());
	return step_done_unlock(j, st, "recording a run");
}

void kb_journal_runs_free(struct kb_journal_run *runs, size_t n)
{
	for (size_t i = 0; runs && i < n; i++) {
		free(runs[i].commit);
		free(runs[i].signature);
		kb_run_result_clear(&runs[i].res);
	}
	free(runs);
}

int kb_journal_get_runs(struct kb_journal *j, const char *commit, const char *signature,
			const char *key, struct kb_journal_run **runs, size_t *n)
{
	struct kb_journal_run *v = NULL;
	size_t cnt = 0, alloc = 0;
	sqlite3_stmt *st;
	int ret = 0, rc;

	*runs = NULL;
	*n = 0;
	if (!commit && !signature)
		return kb_error_set(-EINVAL, "journal lookup of runs needs a commit or signature");
	ret = prepare_locked(j,
			     "SELECT commit_id, signature, run_idx, outcome, title, console_path,"
			     " exit_status, seconds FROM runs"
			     " WHERE key = ?1 AND (?2 IS NULL OR commit_id = ?2)"
			     " AND (?3 IS NULL OR signature = ?3)"
			     " ORDER BY commit_id, run_idx",
			     &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, key);
	bind_text(st, 2, commit);
	bind_text(st, 3, signature);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct kb_journal_run *e;

		if (cnt == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			v = kb_xrealloc(v, alloc * sizeof(*v));
		}
		e = &v[cnt++];
		memset(e, 0, sizeof(*e));
		e->commit = column_dup(st, 0);
		e->signature = column_dup(st, 1);
		e->run_idx = (unsigned)sqlite3_column_int64(st, 2);
		ret = row_to_run(j, st, 3, &e->res);
		if (ret < 0)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_error(j, rc, "looking up runs");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	if (ret < 0) {
		kb_journal_runs_free(v, cnt);
		return ret;
	}
	*runs = v;
	*n = cnt;
	return 0;
}

int kb_journal_get_run(struct kb_journal *j, const char *signature, const char *key,
		       unsigned run_idx, struct kb_run_result *r)
{
	sqlite3_stmt *st;
	int ret, rc;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	if (!signature || !*signature)
		return kb_error_set(-EINVAL, "journal lookup of a run needs a signature");
	ret = prepare_locked(j,
			     "SELECT outcome, title, console_path, exit_status, seconds FROM runs"
			     " WHERE signature = ? AND key = ? AND run_idx = ?"
			     " ORDER BY finished DESC, rowid DESC LIMIT 1",
			     &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, signature);
	bind_text(st, 2, key);
	sqlite3_bind_int64(st, 3, run_idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = row_to_run(j, st, 0, r);
		if (ret == 0)
			ret = 1;
		else
			kb_run_result_clear(r);
	} else if (rc != SQLITE_DONE) {
		ret = db_error(j, rc, "looking up a run");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return ret;
}

int kb_journal_set_meta(struct kb_journal *j, const char *name, const char *value)
{
	sqlite3_stmt *st;
	int ret;

	ret = prepare_locked(j, "INSERT OR REPLACE INTO meta(name, value) VALUES(?, ?)", &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, name);
	bind_text(st, 2, value ? value : "");
	return step_done_unlock(j, st, "recording the bisection state");
}

int kb_journal_get_meta(struct kb_journal *j, const char *name, char **value)
{
	sqlite3_stmt *st;
	int ret, rc;

	*value = NULL;
	ret = prepare_locked(j, "SELECT value FROM meta WHERE name = ?", &st);
	if (ret < 0)
		return ret;
	bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = column_dup(st, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = db_error(j, rc, "reading the bisection state");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&j->lock);
	return ret;
}
