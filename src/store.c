/* store: SQLite inventory, usage, sessions and meta, with migrations. */
#include "localmodel/store.h"
#include "localmodel/paths.h"

#include <errno.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct lm_store {
	sqlite3 *db;
	char *path;
	int readonly; /* opened read-only: the file or its folder is not writable */
};

/* The exit code for the last error: a full disk is a resource problem, also
 * when SQLite reports it as an I/O error (growing its WAL index). */
static int db_code(struct lm_store *s)
{
	int ec = sqlite3_errcode(s->db) & 0xff;
	int sys = sqlite3_system_errno(s->db);

	if (ec == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
		return LM_ERESOURCE;
	return LM_EFAIL;
}

static int db_fail(struct lm_store *s, struct lm_err *err, const char *what)
{
	if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_READONLY)
		return lm_err_set(err, LM_EFAIL, "database: %s: '%s' is read-only (a read-only"
				  " home?)", what, s->path ? s->path : "?");
	return lm_err_set(err, db_code(s), "database: %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(struct lm_store *s, const char *sql, struct lm_err *err)
{
	char *msg = NULL;
	int rc = LM_OK;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		rc = lm_err_set(err, db_code(s), "database: %s", msg ? msg : "error");
		sqlite3_free(msg);
	}
	return rc;
}

/* Migration 1: the seed-compatible core tables (kept as they were). */
static const char m1[] =
	"CREATE TABLE IF NOT EXISTS model_inventory("
	" model TEXT PRIMARY KEY, file_path TEXT, repo_source TEXT,"
	" size_bytes INTEGER DEFAULT 0, quantization TEXT, sha256 TEXT,"
	" first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS model_usage("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, session_id TEXT,"
	" timestamp TEXT NOT NULL, tokens_in INTEGER DEFAULT 0, tokens_out INTEGER DEFAULT 0,"
	" duration_ms REAL DEFAULT 0, tok_per_sec REAL DEFAULT 0);";

/* Migration 2: columns and tables localmodel adds (all with defaults). */
static const char *const m2_columns[][2] = {
	{ "model_inventory", "commit_sha TEXT DEFAULT NULL" },
	{ "model_inventory", "source TEXT DEFAULT 'localmodel'" },
	{ "model_inventory", "pinned INTEGER DEFAULT 0" },
	{ "model_inventory", "parts INTEGER DEFAULT 1" },
	{ "model_inventory", "arch TEXT DEFAULT NULL" },
	{ "model_inventory", "params INTEGER DEFAULT 0" },
	{ "model_inventory", "ctx_train INTEGER DEFAULT 0" },
	{ "model_usage", "tokens_cached INTEGER DEFAULT 0" },
};
static const char m2_tables[] =
	"CREATE INDEX IF NOT EXISTS model_usage_model_ts ON model_usage(model, timestamp);"
	"CREATE INDEX IF NOT EXISTS model_usage_ts ON model_usage(timestamp);"
	"CREATE TABLE IF NOT EXISTS sessions("
	" id TEXT PRIMARY KEY, model TEXT, host TEXT, port INTEGER, started_at TEXT,"
	" ended_at TEXT, supervisor_pid INTEGER DEFAULT 0, child_pid INTEGER DEFAULT 0,"
	" restarts INTEGER DEFAULT 0, end_reason TEXT, runtime TEXT);"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);";

static int has_column(struct lm_store *s, const char *table, const char *col)
{
	sqlite3_stmt *st;
	int found = 0;
	size_t cl = strcspn(col, " ");

	if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info(?)", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *n = (const char *)sqlite3_column_text(st, 0);
		if (n && strlen(n) == cl && !strncmp(n, col, cl))
			found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* Migration 3: other names of a model's file (another spelling of its
 * quant) are aliases, not rows; rows that already share a path are folded
 * into the oldest one, keeping the newest use, the sum of requests and any
 * pin. */
static const char m3[] =
	"CREATE TABLE IF NOT EXISTS model_alias(alias TEXT PRIMARY KEY, model TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS model_alias_model ON model_alias(model);"
	"CREATE TEMP TABLE fold AS SELECT d.model AS alias, c.model AS model"
	" FROM model_inventory d JOIN model_inventory c ON c.file_path = d.file_path"
	" AND c.rowid = (SELECT MIN(rowid) FROM model_inventory x WHERE x.file_path = d.file_path)"
	" WHERE d.file_path IS NOT NULL AND d.rowid != c.rowid;"
	"UPDATE model_inventory SET"
	" pinned = (SELECT MAX(COALESCE(x.pinned, 0)) FROM model_inventory x"
	"  WHERE x.file_path = model_inventory.file_path),"
	" total_requests = (SELECT SUM(COALESCE(x.total_requests, 0)) FROM model_inventory x"
	"  WHERE x.file_path = model_inventory.file_path),"
	" last_used = (SELECT MAX(x.last_used) FROM model_inventory x"
	"  WHERE x.file_path = model_inventory.file_path)"
	" WHERE model IN (SELECT model FROM fold);"
	"INSERT OR REPLACE INTO model_alias(alias, model) SELECT alias, model FROM fold;"
	"DELETE FROM model_inventory WHERE model IN (SELECT alias FROM fold);"
	"DROP TABLE fold;";

static int migrate2(struct lm_store *s, struct lm_err *err)
{
	for (size_t i = 0; i < sizeof(m2_columns) / sizeof(m2_columns[0]); i++) {
		if (has_column(s, m2_columns[i][0], m2_columns[i][1]))
			continue;
		char *sql = lm_asprintf("ALTER TABLE %s ADD COLUMN %s", m2_columns[i][0],
					m2_columns[i][1]);
		int rc = exec(s, sql, err);
		free(sql);
		if (rc)
			return rc;
	}
	return exec(s, m2_tables, err);
}

/* Migration 4: usage rows say whether they are one request or tokens
 * reconciled from llama-server's counters. */
static int migrate4(struct lm_store *s, struct lm_err *err)
{
	int rc;

	if (!has_column(s, "model_usage", "kind") &&
	    (rc = exec(s, "ALTER TABLE model_usage ADD COLUMN kind TEXT DEFAULT 'request'", err)))
		return rc;
	return exec(s, "CREATE INDEX IF NOT EXISTS model_usage_reconciled ON model_usage(timestamp)"
		       " WHERE kind = 'reconciled'", err);
}

/* Migration 5: what the memory guard did (unloaded, stopped) and why. */
static const char m5[] =
	"CREATE TABLE IF NOT EXISTS guard_actions("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, session_id TEXT,"
	" port INTEGER, model TEXT, action TEXT NOT NULL, reason TEXT,"
	" swap_used_bytes INTEGER DEFAULT 0, pressure REAL);"
	"CREATE INDEX IF NOT EXISTS guard_actions_at ON guard_actions(at);";

static int user_version(struct lm_store *s, int *v, struct lm_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return db_fail(s, err, "user_version");
	int rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? LM_OK : db_fail(s, err, "user_version");
}

static int migrate(struct lm_store *s, struct lm_err *err)
{
	int v, rc;

	if ((rc = user_version(s, &v, err)))
		return rc;
	if (v >= STORE_SCHEMA_VERSION)
		return LM_OK;
	if ((rc = exec(s, "BEGIN IMMEDIATE", err)))
		return rc;
	/* re-read under the write lock: another process may have migrated */
	if ((rc = user_version(s, &v, err)))
		goto fail;
	if (v < 1 && (rc = exec(s, m1, err)))
		goto fail;
	if (v < 2 && (rc = migrate2(s, err)))
		goto fail;
	if (v < 3 && (rc = exec(s, m3, err)))
		goto fail;
	if (v < 4 && (rc = migrate4(s, err)))
		goto fail;
	if (v < 5 && (rc = exec(s, m5, err)))
		goto fail;
	if (v < STORE_SCHEMA_VERSION) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		if ((rc = exec(s, sql, err)))
			goto fail;
	}
	return exec(s, "COMMIT", err);
fail:
	exec(s, "ROLLBACK", NULL);
	return rc;
}

static int is_busy(struct lm_store *s)
{
	int ec = sqlite3_errcode(s->db) & 0xff;
	return ec == SQLITE_BUSY || ec == SQLITE_LOCKED;
}

/* WAL mode and migrations. Switching a new database to WAL while other
 * processes open it too can answer SQLITE_BUSY at once, without the busy
 * handler: retry for up to busy_ms, as the handler would. */
static int setup(struct lm_store *s, int busy_ms, struct lm_err *err)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int waited = 0, rc;

	for (;;) {
		/* WAL lets readers (status, the nudge) run while a supervisor writes */
		rc = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			     " PRAGMA foreign_keys=ON", err);
		if (rc == LM_OK)
			rc = migrate(s, err);
		if (rc == LM_OK || !is_busy(s) || waited >= busy_ms)
			return rc;
		nanosleep(&pause, NULL);
		waited += 10;
	}
}

/* 1 when path, or the folder holding it, cannot be written (a read-only
 * mount, a snapshot, another user's files). SQLite needs the folder too,
 * for its WAL and shared-memory files. */
static int not_writable(const char *path)
{
	char dir[PATH_MAX];

	lm_strlcpy(dir, path, sizeof(dir));
	return access(path, W_OK) != 0 || access(dirname(dir), W_OK) != 0;
}

/* "file:" URI of path that reads it as immutable: no locks, no WAL files
 * created (the folder is read-only, so nobody can be writing it). */
static char *immutable_uri(const char *path)
{
	size_t n = strlen(path);
	char *uri = lm_xmalloc(n * 3 + 32), *o = uri;

	o += sprintf(o, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			o += sprintf(o, "%%%02X", (unsigned char)*p);
		else
			*o++ = *p;
	}
	strcpy(o, "?immutable=1");
	return uri;
}

/* Read-only: plainly when SQLite can share the WAL index, else immutable.
 * No migration can run: an older schema is an error. */
static int open_readonly(struct lm_store *s, const char *path, int busy_ms, struct lm_err *err)
{
	int v = 0, rc;

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
	    SQLITE_OK) {
		sqlite3_busy_timeout(s->db, busy_ms);
		if (user_version(s, &v, NULL) == LM_OK)
			goto opened;
	}
	sqlite3_close(s->db);
	s->db = NULL;
	char *uri = immutable_uri(path);
	rc = sqlite3_open_v2(uri, &s->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK || (rc = user_version(s, &v, err)) != LM_OK)
		return lm_err_set(err, LM_EFAIL, "cannot read database '%s': %s", path,
				  s->db ? sqlite3_errmsg(s->db) : "out of memory");
opened:
	sqlite3_extended_result_codes(s->db, 1);
	if (v < STORE_SCHEMA_VERSION)
		return lm_err_set(err, LM_EFAIL, "database '%s' needs an upgrade, but it is"
				  " read-only", path);
	s->readonly = 1;
	return LM_OK;
}

int store_open(struct lm_store **out, const char *path, enum store_mode mode, int busy_ms,
	       struct lm_err *err)
{
	struct lm_store *s;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc;

	*out = NULL;
	if (mode == STORE_EXISTING) {
		if (!paths_exists(path))
			return lm_err_set(err, LM_ENOTFOUND, "no database at '%s'", path);
	} else {
		char dir[PATH_MAX];
		lm_strlcpy(dir, path, sizeof(dir));
		if ((rc = paths_ensure_dir(dirname(dir), err)))
			return rc;
		lm_strlcpy(dir, path, sizeof(dir));
		if (access(dirname(dir), W_OK) != 0 || (paths_exists(path) && access(path, W_OK) != 0))
			return lm_err_set(err, LM_EFAIL, "cannot write the database '%s': %s (a"
					  " read-only home?)", path, strerror(errno));
		flags |= SQLITE_OPEN_CREATE;
	}
	s = lm_xcalloc(1, sizeof(*s));
	s->path = lm_xstrdup(path);
	if (mode == STORE_EXISTING && not_writable(path)) {
		if ((rc = open_readonly(s, path, busy_ms, err)))
			goto fail;
		*out = s;
		return LM_OK;
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		rc = lm_err_set(err, LM_EFAIL, "cannot open database '%s': %s", path,
				s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	sqlite3_extended_result_codes(s->db, 1);
	if (mode == STORE_RW)
		chmod(path, 0600);
	if ((rc = setup(s, busy_ms, err)))
		goto fail;
	*out = s;
	return LM_OK;
fail:
	sqlite3_close(s->db);
	free(s->path);
	free(s);
	return rc;
}

int store_readonly(struct lm_store *s)
{
	return s && s->readonly;
}

void store_set_busy_timeout(struct lm_store *s, int ms)
{
	if (s && s->db)
		sqlite3_busy_timeout(s->db, ms);
}

void store_close(struct lm_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

void store_close_lazy(struct lm_store *s)
{
	if (s)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	store_close(s);
}

struct sqlite3 *store_db(struct lm_store *s)
{
	return s->db;
}

int store_begin(struct lm_store *s, struct lm_err *err)
{
	return exec(s, "BEGIN IMMEDIATE", err);
}

int store_commit(struct lm_store *s, struct lm_err *err)
{
	return exec(s, "COMMIT", err);
}

void store_rollback(struct lm_store *s)
{
	exec(s, "ROLLBACK", NULL);
}

/* ---- helpers --------------------------------------------------------- */

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? lm_xstrdup((const char *)t) : NULL;
}

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int prepare(struct lm_store *s, const char *sql, sqlite3_stmt **st, struct lm_err *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	return LM_OK;
}

/* Step a statement that returns no rows, then finalize it. */
static int step_done(struct lm_store *s, sqlite3_stmt *st, struct lm_err *err, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = rc == SQLITE_DONE ? LM_OK : db_fail(s, err, what);
	sqlite3_finalize(st);
	return ret;
}

/* ---- model_inventory ------------------------------------------------- */

#define MODEL_COLS                                                                   \
	"model, file_path, repo_source, size_bytes, quantization, sha256, first_seen," \
	" last_used, total_requests, commit_sha, source, pinned, parts, arch, params, ctx_train"

/* Rows and aliases alike: an alias reads as its model's row under the
 * alias's name, with alias_of set. */
#define MODEL_VIEW                                                                    \
	"(SELECT " MODEL_COLS ", NULL AS alias_of FROM model_inventory UNION ALL"       \
	" SELECT a.alias, i.file_path, i.repo_source, i.size_bytes, i.quantization,"     \
	" i.sha256, i.first_seen, i.last_used, i.total_requests, i.commit_sha, i.source," \
	" i.pinned, i.parts, i.arch, i.params, i.ctx_train, i.model"                     \
	" FROM model_alias a JOIN model_inventory i ON i.model = a.model)"

/* The row name behind a name that may be an alias (SQL, name bound at ?N). */
#define CANONICAL(n) "COALESCE((SELECT model FROM model_alias WHERE alias = " n "), " n ")"

void store_model_release(struct lm_model *m)
{
	if (!m)
		return;
	free(m->model);
	free(m->file_path);
	free(m->repo_source);
	free(m->quantization);
	free(m->sha256);
	free(m->first_seen);
	free(m->last_used);
	free(m->commit_sha);
	free(m->source);
	free(m->arch);
	free(m->alias_of);
	memset(m, 0, sizeof(*m));
}

void store_model_list_free(struct lm_model *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_model_release(&list[i]);
	free(list);
}

static void model_from_row(sqlite3_stmt *st, struct lm_model *m)
{
	m->model = col_str(st, 0);
	m->file_path = col_str(st, 1);
	m->repo_source = col_str(st, 2);
	m->size_bytes = sqlite3_column_int64(st, 3);
	m->quantization = col_str(st, 4);
	m->sha256 = col_str(st, 5);
	m->first_seen = col_str(st, 6);
	m->last_used = col_str(st, 7);
	m->total_requests = sqlite3_column_int64(st, 8);
	m->commit_sha = col_str(st, 9);
	m->source = col_str(st, 10);
	m->pinned = sqlite3_column_int(st, 11);
	m->parts = sqlite3_column_int(st, 12);
	m->arch = col_str(st, 13);
	m->params = sqlite3_column_int64(st, 14);
	m->ctx_train = sqlite3_column_int64(st, 15);
	m->alias_of = col_str(st, 16);
}

int store_model_upsert(struct lm_store *s, const struct lm_model *m, struct lm_err *err)
{
	static const char sql[] =
		"INSERT INTO model_inventory(" MODEL_COLS ") VALUES"
		" (?1,?2,?3,?4,?5,?6,COALESCE(?7,strftime('%Y-%m-%dT%H:%M:%SZ','now')),?8,?9,?10,"
		"  COALESCE(?11,'localmodel'),?12,?13,?14,?15,?16)"
		" ON CONFLICT(model) DO UPDATE SET file_path=excluded.file_path,"
		" repo_source=excluded.repo_source, size_bytes=excluded.size_bytes,"
		" quantization=excluded.quantization, sha256=excluded.sha256,"
		" first_seen=COALESCE(?7, model_inventory.first_seen),"
		" last_used=COALESCE(?8, model_inventory.last_used),"
		" total_requests=MAX(?9, model_inventory.total_requests),"
		" commit_sha=COALESCE(?10, model_inventory.commit_sha),"
		" source=COALESCE(?11, model_inventory.source),"
		" pinned=MAX(?12, model_inventory.pinned), parts=excluded.parts,"
		" arch=COALESCE(?14, model_inventory.arch),"
		" params=MAX(?15, model_inventory.params),"
		" ctx_train=MAX(?16, model_inventory.ctx_train)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, sql, &st, err)))
		return rc;
	bind_str(st, 1, m->model);
	bind_str(st, 2, m->file_path);
	bind_str(st, 3, m->repo_source);
	sqlite3_bind_int64(st, 4, m->size_bytes);
	bind_str(st, 5, m->quantization);
	bind_str(st, 6, m->sha256);
	bind_str(st, 7, m->first_seen);
	bind_str(st, 8, m->last_used);
	sqlite3_bind_int64(st, 9, m->total_requests);
	bind_str(st, 10, m->commit_sha);
	bind_str(st, 11, m->source);
	sqlite3_bind_int(st, 12, m->pinned);
	sqlite3_bind_int(st, 13, m->parts > 0 ? m->parts : 1);
	bind_str(st, 14, m->arch);
	sqlite3_bind_int64(st, 15, m->params);
	sqlite3_bind_int64(st, 16, m->ctx_train);
	return step_done(s, st, err, "save model");
}

int store_model_get(struct lm_store *s, const char *name, struct lm_model *out,
		    struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(s, "SELECT " MODEL_COLS ", alias_of FROM " MODEL_VIEW " WHERE model = ?",
			  &st, err)))
		return rc;
	bind_str(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		model_from_row(st, out);
		rc = LM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = lm_err_set(err, LM_ENOTFOUND, "no model '%s' in the inventory", name);
	} else {
		rc = db_fail(s, err, "read model");
	}
	sqlite3_finalize(st);
	return rc;
}

int store_model_list(struct lm_store *s, struct lm_model **out, size_t *n, struct lm_err *err)
{
	sqlite3_stmt *st;
	struct lm_model *list = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, "SELECT " MODEL_COLS ", alias_of FROM " MODEL_VIEW " ORDER BY model",
			  &st, err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			list = lm_xrealloc(list, cap * sizeof(*list));
		}
		memset(&list[cnt], 0, sizeof(list[cnt]));
		model_from_row(st, &list[cnt++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_model_list_free(list, cnt);
		return db_fail(s, err, "list models");
	}
	*out = list;
	*n = cnt;
	return LM_OK;
}

int store_model_delete(struct lm_store *s, const char *name, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc, changed;

	if ((rc = prepare(s, "DELETE FROM model_inventory WHERE model = ?", &st, err)))
		return rc;
	bind_str(st, 1, name);
	if ((rc = step_done(s, st, err, "delete model")))
		return rc;
	changed = sqlite3_changes(s->db);
	/* an alias, or the aliases of the row just deleted */
	if ((rc = prepare(s, "DELETE FROM model_alias WHERE alias = ?1 OR model = ?1", &st, err)))
		return rc;
	bind_str(st, 1, name);
	if ((rc = step_done(s, st, err, "delete model")))
		return rc;
	if (changed == 0 && sqlite3_changes(s->db) == 0)
		return lm_err_set(err, LM_ENOTFOUND, "no model '%s' in the inventory", name);
	return LM_OK;
}

int store_alias_add(struct lm_store *s, const char *alias, const char *model,
		    struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (!strcmp(alias, model))
		return LM_OK;
	if ((rc = prepare(s, "INSERT INTO model_alias(alias, model) SELECT ?1, ?2"
			     " WHERE NOT EXISTS (SELECT 1 FROM model_inventory WHERE model = ?1)"
			     " AND EXISTS (SELECT 1 FROM model_inventory WHERE model = ?2)"
			     " ON CONFLICT(alias) DO UPDATE SET model = ?2", &st, err)))
		return rc;
	bind_str(st, 1, alias);
	bind_str(st, 2, model);
	if ((rc = step_done(s, st, err, "add alias")))
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return lm_err_set(err, LM_ESTATE, "cannot make '%s' an alias of '%s'", alias, model);
	return LM_OK;
}

int store_model_set_pinned(struct lm_store *s, const char *name, int pinned, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, "UPDATE model_inventory SET pinned = ?1 WHERE model = " CANONICAL("?2"),
			  &st, err)))
		return rc;
	sqlite3_bind_int(st, 1, pinned ? 1 : 0);
	bind_str(st, 2, name);
	if ((rc = step_done(s, st, err, "pin model")))
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return lm_err_set(err, LM_ENOTFOUND, "no model '%s' in the inventory", name);
	return LM_OK;
}

int store_model_totals(struct lm_store *s, int64_t *count, int64_t *bytes, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, "SELECT COUNT(*), COALESCE(SUM(size_bytes),0) FROM model_inventory",
			  &st, err)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*bytes = sqlite3_column_int64(st, 1);
		rc = LM_OK;
	} else {
		rc = db_fail(s, err, "count models");
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- model_usage ----------------------------------------------------- */

int store_session_usage(struct lm_store *s, const char *session, int64_t *requests,
			int64_t *tokens_in, int64_t *tokens_out, struct lm_err *err)
{
	/* a read-only database of an older schema has no kind column */
	static const char *const sql[] = {
		"SELECT coalesce(sum(kind IS NOT 'reconciled'),0), coalesce(sum(tokens_in),0),"
		" coalesce(sum(tokens_out),0) FROM model_usage WHERE session_id = ?",
		"SELECT count(*), coalesce(sum(tokens_in),0), coalesce(sum(tokens_out),0)"
		" FROM model_usage WHERE session_id = ?",
	};
	sqlite3_stmt *st = NULL;
	int rc;

	for (int i = 0; i < 2 && !st; i++)
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			st = NULL;
	if (!st)
		return db_fail(s, err, "session usage");
	bind_str(st, 1, session);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*requests = sqlite3_column_int64(st, 0);
		*tokens_in = sqlite3_column_int64(st, 1);
		*tokens_out = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? LM_OK : db_fail(s, err, "session usage");
}

int store_usage_add(struct lm_store *s, const struct lm_usage *rows, size_t n,
		    struct lm_err *err)
{
	static const char ins[] =
		"INSERT INTO model_usage(model, session_id, timestamp, tokens_in, tokens_out,"
		" duration_ms, tok_per_sec, tokens_cached, kind) VALUES (?,?,?,?,?,?,?,?,?)";
	static const char upd[] =
		"UPDATE model_inventory SET total_requests = total_requests + ?3,"
		" last_used = CASE WHEN last_used IS NULL OR last_used < ?2 THEN ?2 ELSE last_used END"
		" WHERE model = " CANONICAL("?1");
	sqlite3_stmt *a = NULL, *b = NULL;
	int rc;

	if (n == 0)
		return LM_OK;
	if ((rc = store_begin(s, err)))
		return rc;
	if ((rc = prepare(s, ins, &a, err)) || (rc = prepare(s, upd, &b, err)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct lm_usage *u = &rows[i];
		sqlite3_reset(a);
		bind_str(a, 1, u->model);
		bind_str(a, 2, u->session_id);
		bind_str(a, 3, u->timestamp);
		sqlite3_bind_int64(a, 4, u->tokens_in);
		sqlite3_bind_int64(a, 5, u->tokens_out);
		sqlite3_bind_double(a, 6, u->duration_ms);
		sqlite3_bind_double(a, 7, u->tok_per_sec);
		sqlite3_bind_int64(a, 8, u->tokens_cached);
		bind_str(a, 9, u->reconciled ? "reconciled" : "request");
		if (sqlite3_step(a) != SQLITE_DONE) {
			rc = db_fail(s, err, "add usage");
			goto fail;
		}
		sqlite3_reset(b);
		bind_str(b, 1, u->model);
		bind_str(b, 2, u->timestamp);
		sqlite3_bind_int(b, 3, u->reconciled ? 0 : 1);
		if (sqlite3_step(b) != SQLITE_DONE) {
			rc = db_fail(s, err, "update inventory");
			goto fail;
		}
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return store_commit(s, err);
fail:
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	store_rollback(s);
	return rc;
}

/* ---- sessions -------------------------------------------------------- */

#define SESSION_COLS \
	"id, model, host, port, started_at, ended_at, supervisor_pid, child_pid, restarts," \
	" end_reason, runtime"

void store_session_release(struct lm_session *x)
{
	if (!x)
		return;
	free(x->id);
	free(x->model);
	free(x->host);
	free(x->started_at);
	free(x->ended_at);
	free(x->end_reason);
	free(x->runtime);
	memset(x, 0, sizeof(*x));
}

void store_session_list_free(struct lm_session *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_session_release(&list[i]);
	free(list);
}

static void session_from_row(sqlite3_stmt *st, struct lm_session *x)
{
	x->id = col_str(st, 0);
	x->model = col_str(st, 1);
	x->host = col_str(st, 2);
	x->port = sqlite3_column_int(st, 3);
	x->started_at = col_str(st, 4);
	x->ended_at = col_str(st, 5);
	x->supervisor_pid = sqlite3_column_int(st, 6);
	x->child_pid = sqlite3_column_int(st, 7);
	x->restarts = sqlite3_column_int(st, 8);
	x->end_reason = col_str(st, 9);
	x->runtime = col_str(st, 10);
}

int store_session_add(struct lm_store *s, const struct lm_session *x, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, "INSERT INTO sessions(" SESSION_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			  &st, err)))
		return rc;
	bind_str(st, 1, x->id);
	bind_str(st, 2, x->model);
	bind_str(st, 3, x->host);
	sqlite3_bind_int(st, 4, x->port);
	bind_str(st, 5, x->started_at);
	bind_str(st, 6, x->ended_at);
	sqlite3_bind_int(st, 7, x->supervisor_pid);
	sqlite3_bind_int(st, 8, x->child_pid);
	sqlite3_bind_int(st, 9, x->restarts);
	bind_str(st, 10, x->end_reason);
	bind_str(st, 11, x->runtime);
	return step_done(s, st, err, "add session");
}

int store_session_update(struct lm_store *s, const struct lm_session *x, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, "UPDATE sessions SET supervisor_pid=?2, child_pid=?3, restarts=?4,"
			     " ended_at=?5, end_reason=?6 WHERE id=?1", &st, err)))
		return rc;
	bind_str(st, 1, x->id);
	sqlite3_bind_int(st, 2, x->supervisor_pid);
	sqlite3_bind_int(st, 3, x->child_pid);
	sqlite3_bind_int(st, 4, x->restarts);
	bind_str(st, 5, x->ended_at);
	bind_str(st, 6, x->end_reason);
	return step_done(s, st, err, "update session");
}

int store_session_get(struct lm_store *s, const char *id, struct lm_session *out,
		      struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prepare(s, "SELECT " SESSION_COLS " FROM sessions WHERE id = ?", &st, err)))
		return rc;
	bind_str(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		session_from_row(st, out);
		rc = LM_OK;
	} else if (rc == SQLITE_DONE) {
		rc = lm_err_set(err, LM_ENOTFOUND, "no session '%s'", id);
	} else {
		rc = db_fail(s, err, "read session");
	}
	sqlite3_finalize(st);
	return rc;
}

int store_session_list_open(struct lm_store *s, struct lm_session **out, size_t *n,
			    struct lm_err *err)
{
	sqlite3_stmt *st;
	struct lm_session *list = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(s, "SELECT " SESSION_COLS " FROM sessions WHERE ended_at IS NULL"
			     " ORDER BY port", &st, err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			list = lm_xrealloc(list, cap * sizeof(*list));
		}
		memset(&list[cnt], 0, sizeof(list[cnt]));
		session_from_row(st, &list[cnt++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_session_list_free(list, cnt);
		return db_fail(s, err, "list sessions");
	}
	*out = list;
	*n = cnt;
	return LM_OK;
}

/* ---- meta ------------------------------------------------------------ */

int store_meta_get(struct lm_store *s, const char *key, char **out, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = prepare(s, "SELECT value FROM meta WHERE key = ?", &st, err)))
		return rc;
	bind_str(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = col_str(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? LM_OK : db_fail(s, err, "read meta");
}

int store_meta_set(struct lm_store *s, const char *key, const char *value, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, "INSERT INTO meta(key, value) VALUES (?1, ?2)"
			     " ON CONFLICT(key) DO UPDATE SET value = ?2", &st, err)))
		return rc;
	bind_str(st, 1, key);
	bind_str(st, 2, value);
	return step_done(s, st, err, "write meta");
}

/* ---- guard actions ---------------------------------------------------- */

int store_guard_add(struct lm_store *s, const struct lm_guard_row *g, struct lm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(s, "INSERT INTO guard_actions(at, session_id, port, model, action, reason,"
			     " swap_used_bytes, pressure) VALUES (?,?,?,?,?,?,?,?)", &st, err)))
		return rc;
	bind_str(st, 1, g->at);
	bind_str(st, 2, g->session_id);
	sqlite3_bind_int(st, 3, g->port);
	bind_str(st, 4, g->model);
	bind_str(st, 5, g->action);
	bind_str(st, 6, g->reason);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)g->swap_used);
	if (g->pressure < 0)
		sqlite3_bind_null(st, 8);
	else
		sqlite3_bind_double(st, 8, g->pressure);
	return step_done(s, st, err, "add guard action");
}
