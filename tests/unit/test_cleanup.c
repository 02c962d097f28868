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
	char db[512], models[512], f1[600], f2[600], out[600];
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
	snprintf(out, sizeof(out), "%s/out.gguf", t_tmpdir());
	mkdir(models, 0700);
	touch(f1, 10);
	touch(f2, 10);
	touch(out, 10);
	CHECK_INT(store_open(&s, db, STORE_RW, 1000, &err), 0);
	if (!s)
		return;
	add(s, "a", f1, "2026-01-01T00:00:00Z", NULL, 0);
	add(s, "b", f2, "2026-01-02 00:00:00", NULL, 0);  /* seed-style time */
	add(s, "fresh", f1, "2026-03-01T00:00:00Z", NULL, 0);
	add(s, "pinned", f1, NULL, NULL, 1);
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
	test_stamp();
	return T_DONE();
}
