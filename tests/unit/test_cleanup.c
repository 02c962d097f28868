/* test_cleanup: split parts, stale selection and verdicts, the in-use check
 * (live, dead and zombie pids), the nudge's query and stamp. */
#include "localmodel/cleanup.h"
#include "localmodel/store.h"
#include "t.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void test_parts(void)
{
	size_t n = 0;
	char **v = cleanup_parts("/m/org/r/x-Q4_K_M-00001-of-00003.gguf", &n);

	CHECK_INT(n, 3);
	CHECK_STR(v[0], "/m/org/r/x-Q4_K_M-00001-of-00003.gguf");
	CHECK_STR(v[2], "/m/org/r/x-Q4_K_M-00003-of-00003.gguf");
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	static const char *single[] = {
		"/m/x.gguf", "/m/x-00001-of-00001.gguf", "/m/x-0001-of-00003.gguf",
		"/m/x-00001-of-00003.bin", "/m/x00001-of-00003.gguf", "-of-", "", NULL,
	};
	for (int i = 0; single[i]; i++) {
		v = cleanup_parts(single[i], &n);
		CHECK_INT(n, 1);
		CHECK_STR(v[0], single[i]);
		free(v[0]);
		free(v);
	}
	v = cleanup_parts("/m/x-00002-OF-00002.GGUF", &n);
	CHECK_INT(n, 1); /* "-of-" is lower case in llama.cpp's names */
	free(v[0]);
	free(v);
}

static void touch(const char *path, int bytes)
{
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < bytes; i++)
		fputc('x', f);
	if (f)
		fclose(f);
}

static void add(struct lm_store *s, const char *name, const char *path, const char *last,
		const char *source, int pinned)
{
	struct lm_model m = { 0 };
	struct lm_err err = { 0 };

	m.model = (char *)name;
	m.file_path = (char *)path;
	m.size_bytes = 10;
	m.first_seen = "2025-01-01T00:00:00Z";
	m.last_used = (char *)last;
	m.source = (char *)source;
	m.pinned = pinned;
	CHECK_INT(store_model_upsert(s, &m, &err), 0);
}

static const struct cleanup_item *find(const struct cleanup_item *v, size_t n, const char *m)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].model, m))
			return &v[i];
	return NULL;
}

static void test_stale_and_in_use(void)
{
	char db[512], models[512], f1[600], f2[600], f3[600], f4[600], out[600];
	struct lm_store *s = NULL;
	struct lm_err err = { 0 };
	struct cleanup_item *v = NULL;
	size_t n = 0;
	time_t cutoff = 1772150400; /* 2026-02-27 */
	pid_t live, zombie;
	int busy;

	snprintf(db, sizeof(db), "%s/c.db", t_tmpdir());
	snprintf(models, sizeof(models), "%s/models", t_tmpdir());
	snprintf(f1, sizeof(f1), "%s/a.gguf", models);
	snprintf(f2, sizeof(f2), "%s/b.gguf", models);
	snprintf(f3, sizeof(f3), "%s/fresh.gguf", models);
	snprintf(f4, sizeof(f4), "%s/pinned.gguf", models);
	snprintf(out, sizeof(out), "%s/out.gguf", t_tmpdir());
	mkdir(models, 0700);
	touch(f1, 10);
	touch(f2, 10);
	touch(f3, 10);
	touch(f4, 10);
	touch(out, 10);
	CHECK_INT(store_open(&s, db, STORE_RW, 1000, &err), 0);
	if (!s)
		return;
	add(s, "a", f1, "2026-01-01T00:00:00Z", NULL, 0);
	add(s, "b", f2, "2026-01-02 00:00:00", NULL, 0);  /* seed-style time */
	add(s, "fresh", f3, "2026-03-01T00:00:00Z", NULL, 0);
	add(s, "pinned", f4, NULL, NULL, 1);
	add(s, "outside", out, NULL, NULL, 0);
	add(s, "ollama", "/x/blobs/sha256-1", NULL, "ollama", 0);
	add(s, "hub", "/x/models--o--r/snapshots/c/x.gguf", NULL, "hf-cache", 0);

	live = fork();
	if (live == 0) {
		pause();
		_exit(0);
	}
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	usleep(100000); /* let it die; not reaped yet: a zombie */
	char sql[512];
	snprintf(sql, sizeof(sql), "INSERT INTO sessions(id, model, supervisor_pid) VALUES"
		 " ('s1', 'a', %d), ('s2', 'b', %d)", (int)live, (int)zombie);
	CHECK_INT(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);

	CHECK_INT(cleanup_stale(s, models, cutoff, 0, &v, &n, &err), 0);
	CHECK_INT(n, 6);
	CHECK(find(v, n, "fresh") == NULL);
	CHECK(find(v, n, "a") && find(v, n, "a")->verdict == CLEANUP_IN_USE);
	CHECK(find(v, n, "b") && find(v, n, "b")->verdict == CLEANUP_DELETE);
	CHECK(find(v, n, "pinned") && find(v, n, "pinned")->verdict == CLEANUP_PINNED);
	CHECK(find(v, n, "outside") && find(v, n, "outside")->verdict == CLEANUP_OUTSIDE);
	CHECK(find(v, n, "ollama") && find(v, n, "ollama")->verdict == CLEANUP_EXTERNAL);
	CHECK(find(v, n, "hub") && find(v, n, "hub")->verdict == CLEANUP_EXTERNAL);
	CHECK_STR(v[0].model, "hub"); /* never used, seen 2025: oldest first */
	cleanup_items_free(v, n);

	CHECK_INT(cleanup_stale(s, models, cutoff, 1, &v, &n, &err), 0);
	CHECK(find(v, n, "hub") && find(v, n, "hub")->verdict == CLEANUP_DELETE);
	CHECK(find(v, n, "ollama") && strstr(find(v, n, "ollama")->note, "ollama rm ollama"));
	/* removing an in-use model is refused, and nothing is touched */
	uint64_t freed = 1;
	const struct cleanup_item *b = find(v, n, "b");
	struct cleanup_item a_copy = *find(v, n, "a");
	a_copy.verdict = CLEANUP_DELETE;
	CHECK_INT(cleanup_remove(s, models, &a_copy, &freed, &err), LM_ESTATE);
	CHECK(access(f1, F_OK) == 0);
	CHECK_INT(cleanup_remove(s, models, b, &freed, &err), 0);
	CHECK_INT(freed, 10);
	CHECK(access(f2, F_OK) != 0);
	cleanup_items_free(v, n);

	CHECK_INT(cleanup_in_use(s, "a", NULL, &busy, &err), 0);
	CHECK_INT(busy, 1);
	kill(live, SIGKILL);
	waitpid(live, NULL, 0);
	waitpid(zombie, NULL, 0);
	CHECK_INT(cleanup_in_use(s, "a", NULL, &busy, &err), 0);
	CHECK_INT(busy, 0);

	/* the nudge's view: unpinned localmodel models only */
	int64_t count = -1, bytes = -1;
	store_close(s);
	CHECK_INT(cleanup_nudge_query(db, cutoff, &count, &bytes), 0);
	CHECK_INT(count, 2); /* a, outside (b is gone) */
	CHECK_INT(bytes, 20);
	CHECK_INT(cleanup_nudge_query("/nonexistent/x.db", cutoff, &count, &bytes), -1);
}

/* One file, several rows: pin, freshness and use of any row protect it;
 * a deletion drops every row; rows that point at a directory or a link
 * inside the models folder are broken and never acted on. */
static void test_one_file_identity(void)
{
	char db[512], models[512], f[600], hard[600], dir[600], lnk[600];
	struct lm_store *s = NULL;
	struct lm_err err = { 0 };
	struct cleanup_item *v = NULL;
	size_t n = 0;
	time_t cutoff = 1772150400; /* 2026-02-27 */
	int busy = 0;
	uint64_t freed = 0;
	pid_t live;

	snprintf(db, sizeof(db), "%s/id.db", t_tmpdir());
	snprintf(models, sizeof(models), "%s/idmodels", t_tmpdir());
	snprintf(f, sizeof(f), "%s/one.gguf", models);
	snprintf(hard, sizeof(hard), "%s/other-spelling.gguf", models);
	snprintf(dir, sizeof(dir), "%s/org", models);
	snprintf(lnk, sizeof(lnk), "%s/link.gguf", models);
	mkdir(models, 0700);
	mkdir(dir, 0700);
	touch(f, 10);
	CHECK_INT(link(f, hard), 0);
	CHECK_INT(symlink(f, lnk), 0);
	CHECK_INT(store_open(&s, db, STORE_RW, 1000, &err), 0);
	if (!s)
		return;
	add(s, "org/r:UD-Q4_K_XL", f, NULL, NULL, 1);
	add(s, "org/r:Q4_K_XL", f, NULL, NULL, 0);
	add(s, "org/r:hard", hard, NULL, NULL, 0);
	add(s, "dir", dir, NULL, NULL, 0);
	add(s, "link", lnk, NULL, NULL, 0);
	CHECK_INT(cleanup_same_file(f, hard), 1);
	CHECK_INT(cleanup_same_file(f, dir), 0);
	CHECK_INT(cleanup_stale(s, models, cutoff, 0, &v, &n, &err), 0);
	CHECK(find(v, n, "org/r:Q4_K_XL") && find(v, n, "org/r:Q4_K_XL")->verdict == CLEANUP_PINNED);
	CHECK(find(v, n, "org/r:hard") && find(v, n, "org/r:hard")->verdict == CLEANUP_PINNED);
	CHECK(find(v, n, "dir") && find(v, n, "dir")->verdict == CLEANUP_BROKEN);
	CHECK(find(v, n, "link") && find(v, n, "link")->verdict == CLEANUP_BROKEN);
	/* forced through anyway: refused, nothing moved */
	struct cleanup_item it = *find(v, n, "dir");
	it.verdict = CLEANUP_DELETE;
	CHECK_INT(cleanup_remove(s, models, &it, &freed, &err), LM_EFAIL);
	CHECK(access(dir, F_OK) == 0);
	it = *find(v, n, "org/r:Q4_K_XL");
	it.verdict = CLEANUP_DELETE;
	CHECK_INT(cleanup_remove(s, models, &it, &freed, &err), LM_ESTATE);
	CHECK(access(f, F_OK) == 0);
	cleanup_items_free(v, n);

	/* served under one name: the other names of the file are in use */
	CHECK_INT(store_model_set_pinned(s, "org/r:UD-Q4_K_XL", 0, &err), 0);
	live = fork();
	if (live == 0) {
		pause();
		_exit(0);
	}
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT INTO sessions(id, model, supervisor_pid) VALUES"
		 " ('s9', 'org/r:UD-Q4_K_XL', %d)", (int)live);
	CHECK_INT(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(cleanup_in_use(s, "org/r:hard", hard, &busy, &err), 0);
	CHECK_INT(busy, 1);
	CHECK_INT(cleanup_stale(s, models, cutoff, 0, &v, &n, &err), 0);
	CHECK(find(v, n, "org/r:Q4_K_XL") && find(v, n, "org/r:Q4_K_XL")->verdict == CLEANUP_IN_USE);
	cleanup_items_free(v, n);
	kill(live, SIGKILL);
	waitpid(live, NULL, 0);

	/* nobody uses it any more: one deletion removes the file and all rows */
	CHECK_INT(cleanup_stale(s, models, cutoff, 0, &v, &n, &err), 0);
	it = *find(v, n, "org/r:Q4_K_XL");
	CHECK_INT(it.verdict, CLEANUP_DELETE);
	CHECK_INT(cleanup_remove(s, models, &it, &freed, &err), 0);
	CHECK(access(f, F_OK) != 0);
	struct lm_model m;
	CHECK_INT(store_model_get(s, "org/r:UD-Q4_K_XL", &m, NULL), LM_ENOTFOUND);
	CHECK_INT(store_model_get(s, "org/r:hard", &m, NULL), LM_ENOTFOUND);
	cleanup_items_free(v, n);
	store_close(s);
}

/* Files renamed aside by a killed deletion: back when the row exists,
 * unlinked when it does not. */
static void test_recover(void)
{
	char db[512], models[512], kept[600], gone[600], p[700];
	struct lm_store *s = NULL;
	struct lm_err err = { 0 };
	int fixed = 0;

	snprintf(db, sizeof(db), "%s/rc.db", t_tmpdir());
	snprintf(models, sizeof(models), "%s/rcmodels", t_tmpdir());
	snprintf(kept, sizeof(kept), "%s/kept.gguf", models);
	snprintf(gone, sizeof(gone), "%s/gone.gguf", models);
	mkdir(models, 0700);
	snprintf(p, sizeof(p), "%s.lm-deleting", kept);
	touch(p, 10);
	snprintf(p, sizeof(p), "%s.lm-deleting", gone);
	touch(p, 10);
	CHECK_INT(store_open(&s, db, STORE_RW, 1000, &err), 0);
	if (!s)
		return;
	add(s, "kept", kept, NULL, NULL, 0);
	CHECK_INT(cleanup_recover(s, models, &fixed, &err), 0);
	CHECK_INT(fixed, 2);
	CHECK(access(kept, F_OK) == 0);
	CHECK(access(p, F_OK) != 0);
	snprintf(p, sizeof(p), "%s.lm-deleting", kept);
	CHECK(access(p, F_OK) != 0);
	store_close(s);
}

/* Partial downloads: found with their state, removed with it. */
static void test_partials(void)
{
	char models[512], part[600], state[600];
	struct cleanup_partial *v = NULL;
	struct lm_err err = { 0 };
	size_t n = 0;
	uint64_t freed = 0;
	FILE *f;

	snprintf(models, sizeof(models), "%s/ptmodels", t_tmpdir());
	snprintf(part, sizeof(part), "%s/org/r/x.gguf.part", models);
	snprintf(state, sizeof(state), "%s.state", part);
	mkdir(models, 0700);
	snprintf(state, sizeof(state), "%s/org", models);
	mkdir(state, 0700);
	snprintf(state, sizeof(state), "%s/org/r", models);
	mkdir(state, 0700);
	snprintf(state, sizeof(state), "%s.state", part);
	touch(part, 4096);
	f = fopen(state, "w");
	if (f) {
		fputs("localmodel-partial 1\nsize 10000\nchunk 5000\nsha256 -\ngot 0 3000\n", f);
		fclose(f);
	}
	CHECK_INT(cleanup_partials(models, &v, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].name, "org/r/x.gguf");
		CHECK_INT(v[0].have, 3000);
		CHECK_INT(v[0].total, 10000);
		CHECK_INT(v[0].active, 0);
	}
	cleanup_partials_free(v, n);
	CHECK_INT(cleanup_partial_remove(models, part, &freed, &err), 0);
	CHECK(access(part, F_OK) != 0);
	CHECK(access(state, F_OK) != 0);
	CHECK_INT(cleanup_partial_remove(models, part, &freed, &err), LM_ENOTFOUND);
}

static void test_stamp(void)
{
	char path[512];
	struct lm_err err = { 0 };

	snprintf(path, sizeof(path), "%s/state/sub/nudge-stamp", t_tmpdir());
	CHECK_INT(cleanup_nudge_due(path, 1000000), 1);
	CHECK_INT(cleanup_nudge_mark(path, 1000000, &err), 0);
	CHECK_INT(cleanup_nudge_due(path, 1000000), 0);
	CHECK_INT(cleanup_nudge_due(path, 1000000 + 86399), 0);
	CHECK_INT(cleanup_nudge_due(path, 1000000 + 86400), 1);
	CHECK_INT(cleanup_nudge_due(path, 999999), 1);
}

int main(void)
{
	test_parts();
	test_stale_and_in_use();
	test_one_file_identity();
	test_recover();
	test_partials();
	test_stamp();
	return T_DONE();
}
