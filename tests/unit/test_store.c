/* Unit tests of store.c: migrations, inventory, usage, sessions, meta. */
#include "t.h"
#include "localmodel/store.h"

#include <sqlite3.h>
#include <sys/wait.h>

static void test_inventory(struct lm_store *s)
{
	struct lm_err err = { 0 };
	struct lm_model m = { 0 }, got;
	struct lm_model *list;
	size_t n;
	int64_t cnt, bytes;

	m.model = "org/repo:Q4_K_M";
	m.file_path = "/m/org/repo/x.gguf";
	m.repo_source = "org/repo";
	m.size_bytes = 1000;
	m.quantization = "Q4_K_M";
	m.first_seen = "2026-01-01T00:00:00Z";
	CHECK(store_model_upsert(s, &m, &err) == 0);
	CHECK(store_model_get(s, "org/repo:Q4_K_M", &got, &err) == 0);
	CHECK_STR(got.file_path, "/m/org/repo/x.gguf");
	CHECK_STR(got.source, "localmodel");
	CHECK_INT(got.parts, 1);
	store_model_release(&got);

	/* an update keeps first_seen */
	m.first_seen = NULL;
	m.size_bytes = 2000;
	CHECK(store_model_upsert(s, &m, &err) == 0);
	CHECK(store_model_get(s, "org/repo:Q4_K_M", &got, &err) == 0);
	CHECK_STR(got.first_seen, "2026-01-01T00:00:00Z");
	CHECK_INT(got.size_bytes, 2000);
	store_model_release(&got);

	CHECK_INT(store_model_get(s, "nope", &got, &err), LM_ENOTFOUND);
	CHECK(store_model_set_pinned(s, "org/repo:Q4_K_M", 1, &err) == 0);
	CHECK_INT(store_model_set_pinned(s, "nope", 1, &err), LM_ENOTFOUND);
	CHECK(store_model_list(s, &list, &n, &err) == 0);
	CHECK_INT(n, 1);
	CHECK_INT(list[0].pinned, 1);
	store_model_list_free(list, n);
	CHECK(store_model_totals(s, &cnt, &bytes, &err) == 0);
	CHECK_INT(cnt, 1);
	CHECK_INT(bytes, 2000);
}

static void test_usage(struct lm_store *s)
{
	struct lm_err err = { 0 };
	struct lm_usage u[2] = {
		{ "org/repo:Q4_K_M", "s1", "2026-02-01T00:00:00Z", 10, 5, 0, 100, 50, 0 },
		{ "org/repo:Q4_K_M", "s1", "2026-02-02T00:00:00Z", 20, 6, 3, 100, 60, 0 },
	};
	struct lm_model got;

	CHECK(store_usage_add(s, u, 2, &err) == 0);
	CHECK(store_model_get(s, "org/repo:Q4_K_M", &got, &err) == 0);
	CHECK_INT(got.total_requests, 2);
	CHECK_STR(got.last_used, "2026-02-02T00:00:00Z");
	store_model_release(&got);
}

static void test_sessions_meta(struct lm_store *s)
{
	struct lm_err err = { 0 };
	struct lm_session x = { 0 }, *list;
	size_t n;
	char *v;

	x.id = "s1";
	x.model = "org/repo:Q4_K_M";
	x.host = "127.0.0.1";
	x.port = 8080;
	x.supervisor_pid = 10;
	CHECK(store_session_add(s, &x, &err) == 0);
	CHECK(store_session_list_open(s, &list, &n, &err) == 0);
	CHECK_INT(n, 1);
	store_session_list_free(list, n);
	x.ended_at = "2026-02-03T00:00:00Z";
	x.end_reason = "stopped";
	CHECK(store_session_update(s, &x, &err) == 0);
	CHECK(store_session_list_open(s, &list, &n, &err) == 0);
	CHECK_INT(n, 0);
	store_session_list_free(list, n);

	CHECK(store_meta_get(s, "k", &v, &err) == 0 && v == NULL);
	CHECK(store_meta_set(s, "k", "1", &err) == 0);
	CHECK(store_meta_set(s, "k", "2", &err) == 0);
	CHECK(store_meta_get(s, "k", &v, &err) == 0);
	CHECK_STR(v, "2");
	free(v);
}

/* A database made by the seed (core tables, user_version 0) is migrated in
 * place and keeps its rows. */
static void test_seed_migration(void)
{
	char path[512];
	sqlite3 *db;
	struct lm_store *s;
	struct lm_err err = { 0 };
	struct lm_model got;

	snprintf(path, sizeof(path), "%s/seed.db", t_tmpdir());
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
		"CREATE TABLE model_inventory(model TEXT PRIMARY KEY, file_path TEXT,"
		" repo_source TEXT, size_bytes INTEGER, quantization TEXT, sha256 TEXT,"
		" first_seen TEXT, last_used TEXT, total_requests INTEGER DEFAULT 0);"
		"CREATE TABLE model_usage(id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT,"
		" session_id TEXT, timestamp TEXT, tokens_in INTEGER, tokens_out INTEGER,"
		" duration_ms REAL, tok_per_sec REAL);"
		"INSERT INTO model_inventory(model, size_bytes, first_seen) VALUES"
		" ('a/b:Q8_0', 42, '2025-01-01T00:00:00Z');",
		NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(store_open(&s, path, STORE_EXISTING, 1000, &err) == 0);
	CHECK(store_model_get(s, "a/b:Q8_0", &got, &err) == 0);
	CHECK_INT(got.size_bytes, 42);
	CHECK_INT(got.pinned, 0);
	store_model_release(&got);
	store_close(s);
	/* opening twice is idempotent */
	CHECK(store_open(&s, path, STORE_EXISTING, 1000, &err) == 0);
	store_close(s);
}

/* Aliases: another name of a row's file reads as the row, pins and counts
 * for it, and goes with it. */
static void test_aliases(void)
{
	char path[512];
	struct lm_store *s;
	struct lm_err err = { 0 };
	struct lm_model m = { 0 }, got, *list;
	struct lm_usage u = { 0 };
	size_t n;

	snprintf(path, sizeof(path), "%s/alias.db", t_tmpdir());
	CHECK(store_open(&s, path, STORE_RW, 1000, &err) == 0);
	m.model = "o/r:UD-Q4_K_XL";
	m.file_path = "/m/o/r/r-UD-Q4_K_XL.gguf";
	m.size_bytes = 5;
	CHECK_INT(store_model_upsert(s, &m, &err), 0);
	CHECK_INT(store_alias_add(s, "o/r:Q4_K_XL", "o/r:UD-Q4_K_XL", &err), 0);
	CHECK_INT(store_alias_add(s, "o/r:UD-Q4_K_XL", "o/r:UD-Q4_K_XL", &err), 0);
	/* a row cannot become an alias, nor can an alias point at nothing */
	CHECK_INT(store_alias_add(s, "o/r:UD-Q4_K_XL", "o/r:Q4_K_XL", &err), LM_ESTATE);
	CHECK_INT(store_alias_add(s, "x", "o/r:none", &err), LM_ESTATE);
	CHECK_INT(store_model_get(s, "o/r:Q4_K_XL", &got, &err), 0);
	CHECK_STR(got.file_path, "/m/o/r/r-UD-Q4_K_XL.gguf");
	CHECK_STR(got.alias_of, "o/r:UD-Q4_K_XL");
	store_model_release(&got);
	CHECK_INT(store_model_list(s, &list, &n, &err), 0);
	CHECK_INT(n, 2);
	store_model_list_free(list, n);
	int64_t count = 0, bytes = 0;
	CHECK_INT(store_model_totals(s, &count, &bytes, &err), 0);
	CHECK_INT(count, 1); /* one file, one model */
	CHECK_INT(store_model_set_pinned(s, "o/r:Q4_K_XL", 1, &err), 0);
	u.model = "o/r:Q4_K_XL";
	u.timestamp = "2026-03-01T00:00:00Z";
	CHECK_INT(store_usage_add(s, &u, 1, &err), 0);
	CHECK_INT(store_model_get(s, "o/r:UD-Q4_K_XL", &got, &err), 0);
	CHECK_INT(got.pinned, 1);
	CHECK_INT(got.total_requests, 1);
	CHECK_STR(got.last_used, "2026-03-01T00:00:00Z");
	CHECK(got.alias_of == NULL);
	store_model_release(&got);
	/* deleting an alias keeps the row; deleting the row takes the aliases */
	CHECK_INT(store_alias_add(s, "o/r:other", "o/r:UD-Q4_K_XL", &err), 0);
	CHECK_INT(store_model_delete(s, "o/r:other", &err), 0);
	CHECK_INT(store_model_get(s, "o/r:UD-Q4_K_XL", &got, &err), 0);
	store_model_release(&got);
	CHECK_INT(store_model_delete(s, "o/r:UD-Q4_K_XL", &err), 0);
	CHECK_INT(store_model_get(s, "o/r:Q4_K_XL", &got, &err), LM_ENOTFOUND);
	CHECK_INT(store_model_delete(s, "o/r:Q4_K_XL", &err), LM_ENOTFOUND);
	store_close(s);
}

/* A version 2 database with two rows for one file: migration 3 folds them
 * into one row and an alias, keeping the pin, the newest use and the
 * request count. */
static void test_fold_migration(void)
{
	char path[512];
	struct lm_store *s;
	struct lm_err err = { 0 };
	struct lm_model got;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/fold.db", t_tmpdir());
	CHECK(store_open(&s, path, STORE_RW, 1000, &err) == 0);
	store_close(s);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
		"DROP TABLE model_alias; PRAGMA user_version = 2;"
		"INSERT INTO model_inventory(model, file_path, first_seen, last_used, total_requests,"
		" pinned) VALUES ('o/r:UD-Q4_K_XL', '/m/f.gguf', '2026-01-01', '2026-02-01', 3, 0),"
		" ('o/r:Q4_K_XL', '/m/f.gguf', '2026-01-02', '2026-03-01', 4, 1),"
		" ('o/s:Q8_0', '/m/g.gguf', '2026-01-01', NULL, 0, 0);",
		NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(store_open(&s, path, STORE_EXISTING, 1000, &err) == 0);
	int64_t count = 0, bytes = 0;
	CHECK_INT(store_model_totals(s, &count, &bytes, &err), 0);
	CHECK_INT(count, 2);
	CHECK_INT(store_model_get(s, "o/r:UD-Q4_K_XL", &got, &err), 0);
	CHECK_INT(got.pinned, 1);
	CHECK_INT(got.total_requests, 7);
	CHECK_STR(got.last_used, "2026-03-01");
	CHECK(got.alias_of == NULL);
	store_model_release(&got);
	CHECK_INT(store_model_get(s, "o/r:Q4_K_XL", &got, &err), 0);
	CHECK_STR(got.alias_of, "o/r:UD-Q4_K_XL");
	store_model_release(&got);
	store_close(s);
}

/* Two processes writing at once: every row lands, nothing is corrupted. */
static void test_two_writers(void)
{
	char path[512];
	struct lm_store *s;
	struct lm_err err = { 0 };
	pid_t pid;
	int st = 0;

	snprintf(path, sizeof(path), "%s/two.db", t_tmpdir());
	CHECK(store_open(&s, path, STORE_RW, 5000, &err) == 0);
	store_close(s);
	pid = fork();
	if (pid == 0) {
		int bad = 0;
		if (store_open(&s, path, STORE_RW, 10000, &err))
			_exit(1);
		for (int i = 0; i < 200; i++) {
			struct lm_usage u = { "m", "child", "2026-01-01T00:00:00Z", 1, 1, 0, 1, 1, 0 };
			bad |= store_usage_add(s, &u, 1, &err) != 0;
		}
		store_close(s);
		_exit(bad);
	}
	CHECK(store_open(&s, path, STORE_RW, 10000, &err) == 0);
	for (int i = 0; i < 200; i++) {
		struct lm_usage u = { "m", "parent", "2026-01-01T00:00:00Z", 1, 1, 0, 1, 1, 0 };
		CHECK(store_usage_add(s, &u, 1, &err) == 0);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sqlite3_stmt *q;
	CHECK(sqlite3_prepare_v2(store_db(s), "SELECT COUNT(*) FROM model_usage", -1, &q, NULL) == 0);
	CHECK(sqlite3_step(q) == SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(q, 0), 400);
	sqlite3_finalize(q);
	store_close(s);
}

/* Several processes creating the same new database at once all open it
 * (switching to WAL can answer "locked" without the busy handler). */
static void test_concurrent_create(void)
{
	int failures = 0;

	for (int round = 0; round < 60; round++) {
		char path[512];
		pid_t pids[6];
		snprintf(path, sizeof(path), "%s/new-%d.db", t_tmpdir(), round);
		for (int i = 0; i < 6; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct lm_store *s;
				struct lm_err err;
				int rc = store_open(&s, path, STORE_RW, 5000, &err);
				if (rc == 0)
					store_close(s);
				_exit(rc ? 1 : 0);
			}
		}
		for (int i = 0; i < 6; i++) {
			int st = 0;
			waitpid(pids[i], &st, 0);
			failures += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
	CHECK_INT(failures, 0);
}

int main(void)
{
	char path[512];
	struct lm_store *s;
	struct lm_err err = { 0 };

	snprintf(path, sizeof(path), "%s/sub/dir/t.db", t_tmpdir());
	CHECK_INT(store_open(&s, path, STORE_EXISTING, 1000, &err), LM_ENOTFOUND);
	CHECK(store_open(&s, path, STORE_RW, 1000, &err) == 0);
	test_inventory(s);
	test_usage(s);
	test_sessions_meta(s);
	store_close(s);
	test_seed_migration();
	test_aliases();
	test_fold_migration();
	test_two_writers();
	test_concurrent_create();
	return T_DONE();
}
