/* cleanup: stale model selection, safe deletion, the nudge's summary. */
#include "localmodel/cleanup.h"
#include "localmodel/os.h"
#include "localmodel/paths.h"
#include "localmodel/store.h"
#include "localmodel/otherstores.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DELETING_SUFFIX ".lm-deleting"
#define JOURNAL_LOCK ".lm-deleting.lock"

/* Compared as times, so "2026-01-02 03:04:05" (seed scripts) and ISO both work;
 * never used and never seen counts as stale. */
#define STALE_WHERE \
	" COALESCE(julianday(COALESCE(last_used, first_seen)), 0) < julianday(?1)"

static const char stale_sql[] =
	"SELECT model, file_path, COALESCE(source, 'localmodel'), first_seen, last_used,"
	" COALESCE(size_bytes, 0), COALESCE(parts, 1), COALESCE(pinned, 0)"
	" FROM model_inventory WHERE" STALE_WHERE
	" ORDER BY COALESCE(last_used, first_seen, ''), model";

const char *cleanup_verdict_name(enum cleanup_verdict v)
{
	switch (v) {
	case CLEANUP_DELETE:
		return "stale";
	case CLEANUP_PINNED:
		return "pinned";
	case CLEANUP_IN_USE:
		return "in use";
	case CLEANUP_OUTSIDE:
		return "outside models dir";
	case CLEANUP_EXTERNAL:
		return "other store";
	case CLEANUP_BROKEN:
		return "broken";
	case CLEANUP_SHARED:
		return "shared file";
	}
	return "?";
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? lm_xstrdup((const char *)t) : NULL;
}

/* 1 when path (a real path) is strictly inside dir (a real path). */
static int path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && path[n] == '/' && path[n + 1] != '\0';
}

/* 1 when the real path of path is inside the real path of dir. A missing
 * file is judged by the real path of its folder. */
static int real_inside(const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX], tmp[PATH_MAX];

	if (!path || !realpath(dir, rd))
		return 0;
	if (realpath(path, rp))
		return path_inside(rp, rd);
	lm_strlcpy(tmp, path, sizeof(tmp));
	char *slash = strrchr(tmp, '/');
	if (!slash || !slash[1] || !strcmp(slash + 1, "..") || !strcmp(slash + 1, "."))
		return 0;
	*slash = '\0';
	if (!realpath(tmp[0] ? tmp : "/", rp))
		return 0;
	return !strcmp(rp, rd) || path_inside(rp, rd);
}

char **cleanup_parts(const char *file_path, size_t *n)
{
	char **v;
	const char *of = NULL, *p;
	size_t len = strlen(file_path);
	long total = 0;

	/* "<prefix>-NNNNN-of-MMMMM.gguf" */
	for (p = strstr(file_path, "-of-"); p; p = strstr(p + 1, "-of-"))
		of = p;
	if (of && of - file_path >= 6 && of[-6] == '-' && file_path + len - of == 4 + 5 + 5 &&
	    lm_ends_with_ci(file_path, ".gguf")) {
		char num[6];
		int ok = 1;
		for (int i = 0; i < 5; i++)
			ok &= of[-5 + i] >= '0' && of[-5 + i] <= '9' && of[4 + i] >= '0' &&
			      of[4 + i] <= '9';
		memcpy(num, of + 4, 5);
		num[5] = '\0';
		if (ok && lm_parse_long(num, 1, 99999, &total) == 0 && total > 1) {
			size_t pre = (size_t)(of - 6 - file_path);
			v = lm_xcalloc((size_t)total, sizeof(*v));
			for (long i = 0; i < total; i++)
				v[i] = lm_asprintf("%.*s-%05ld-of-%05ld%s", (int)pre, file_path,
						   i + 1, total, file_path + len - 5);
			*n = (size_t)total;
			return v;
		}
	}
	v = lm_xcalloc(1, sizeof(*v));
	v[0] = lm_xstrdup(file_path);
	*n = 1;
	return v;
}

static void parts_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* 1 when pid names a live process (ours or another user's); a zombie is
 * dead. */
static int pid_alive(int pid)
{
	if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
		return 0;
	return !os_proc_is_zombie((pid_t)pid);
}

int cleanup_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!a || !b)
		return 0;
	if (!strcmp(a, b))
		return 1;
	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* 1 when the open session's model (a name, or a path) is the file. */
static int session_uses(struct lm_store *s, const char *smodel, const char *model,
			const char *file_path)
{
	struct lm_model row;
	int same = 0;

	if (!strcmp(smodel, "all") || (model && !strcmp(smodel, model)))
		return 1;
	if (!file_path)
		return 0;
	if (cleanup_same_file(smodel, file_path))
		return 1;
	if (store_model_get(s, smodel, &row, NULL) == LM_OK) {
		same = cleanup_same_file(row.file_path, file_path);
		store_model_release(&row);
	}
	return same;
}

int cleanup_in_use(struct lm_store *s, const char *model, const char *file_path, int *in_use,
		   struct lm_err *err)
{
	struct lm_session *open = NULL;
	size_t n = 0;
	int rc;

	*in_use = 0;
	if ((rc = store_session_list_open(s, &open, &n, err)))
		return rc;
	for (size_t i = 0; i < n && !*in_use; i++) {
		const char *m = open[i].model;
		/* a router ("all") may load any model: every model counts as used */
		if (!m || !session_uses(s, m, model, file_path))
			continue;
		*in_use = pid_alive(open[i].supervisor_pid) || pid_alive(open[i].child_pid);
	}
	store_session_list_free(open, n);
	return LM_OK;
}

int cleanup_file_rows(struct lm_store *s, const char *file_path, struct lm_model **out,
		      size_t *n, struct lm_err *err)
{
	struct lm_model *all = NULL;
	size_t cnt = 0, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!file_path)
		return LM_OK;
	if ((rc = store_model_list(s, &all, &cnt, err)))
		return rc;
	for (size_t i = 0; i < cnt; i++) {
		if (cleanup_same_file(all[i].file_path, file_path)) {
			struct lm_model tmp = all[k];
			all[k++] = all[i];
			all[i] = tmp;
		}
	}
	for (size_t i = k; i < cnt; i++)
		store_model_release(&all[i]);
	if (k == 0) {
		free(all);
		return LM_OK;
	}
	*out = all;
	*n = k;
	return LM_OK;
}

int cleanup_row_check(const char *models_dir, const char *file_path, char *why, size_t size)
{
	size_t n;
	char **v;
	int verdict = CLEANUP_DELETE;

	if (!file_path) {
		snprintf(why, size, "no file path recorded");
		return CLEANUP_OUTSIDE;
	}
	v = cleanup_parts(file_path, &n);
	for (size_t i = 0; i < n && verdict == CLEANUP_DELETE; i++) {
		struct stat sb;
		if (!real_inside(v[i], models_dir)) {
			snprintf(why, size, "files outside '%s'", models_dir);
			verdict = CLEANUP_OUTSIDE;
		} else if (lstat(v[i], &sb) != 0) {
			continue; /* a part already gone */
		} else if (S_ISLNK(sb.st_mode)) {
			snprintf(why, size, "'%s' is a symbolic link", v[i]);
			verdict = CLEANUP_BROKEN;
		} else if (S_ISDIR(sb.st_mode)) {
			snprintf(why, size, "'%s' is a directory", v[i]);
			verdict = CLEANUP_BROKEN;
		} else if (!S_ISREG(sb.st_mode)) {
			snprintf(why, size, "'%s' is not a regular file", v[i]);
			verdict = CLEANUP_BROKEN;
		}
	}
	parts_free(v, n);
	return verdict;
}

static int is_hub_layout(const char *path)
{
	return path && strstr(path, "/models--") && strstr(path, "/snapshots/");
}

/* Bytes on disk of every part (symbolic links followed), for rows that
 * recorded no size. */
static int64_t parts_size(const char *file_path)
{
	size_t n;
	char **v = cleanup_parts(file_path, &n);
	int64_t total = 0;
	struct stat sb;

	for (size_t i = 0; i < n; i++)
		if (stat(v[i], &sb) == 0 && S_ISREG(sb.st_mode))
			total += (int64_t)sb.st_size;
	parts_free(v, n);
	return total;
}

/* The verdict for one stale item (before the in-use check). */
static void judge(struct cleanup_item *it, int pinned, const char *models_dir,
		  int include_external)
{
	const char *src = it->source;

	it->verdict = CLEANUP_DELETE;
	if (pinned) {
		it->verdict = CLEANUP_PINNED;
		snprintf(it->note, sizeof(it->note), "pinned ('localmodel models unpin' to allow)");
	} else if (!it->file_path) {
		it->verdict = CLEANUP_OUTSIDE;
		snprintf(it->note, sizeof(it->note), "no file path recorded");
	} else if (!strcmp(src, "localmodel")) {
		it->verdict = (enum cleanup_verdict)cleanup_row_check(models_dir, it->file_path,
								      it->note, sizeof(it->note));
	} else if (!include_external) {
		it->verdict = CLEANUP_EXTERNAL;
		snprintf(it->note, sizeof(it->note), "in %s (--include-external to remove)", src);
	} else if (!strcmp(src, "ollama")) {
		it->verdict = CLEANUP_EXTERNAL;
		snprintf(it->note, sizeof(it->note), "run 'ollama rm %s'", it->model);
	} else if (!strcmp(src, "hf-cache") || !strcmp(src, "llama-cache")) {
		if (!is_hub_layout(it->file_path)) {
			it->verdict = CLEANUP_EXTERNAL;
			snprintf(it->note, sizeof(it->note), "not in a hub cache layout");
		}
	} else if (strcmp(src, "lmstudio")) {
		it->verdict = CLEANUP_EXTERNAL;
		snprintf(it->note, sizeof(it->note), "not downloaded by localmodel (%s)", src);
	}
	if (it->verdict == CLEANUP_DELETE && strcmp(src, "localmodel") &&
	    !lm_ends_with_ci(it->file_path, ".gguf")) {
		it->verdict = CLEANUP_EXTERNAL;
		snprintf(it->note, sizeof(it->note), "not a .gguf file in %s", src);
	}
}

/* Newest usage row of a model name, as a time; 0 when none. */
static time_t usage_last(sqlite3 *db, const char *model)
{
	sqlite3_stmt *st;
	time_t t = 0;

	if (sqlite3_prepare_v2(db, "SELECT MAX(timestamp) FROM model_usage WHERE model = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    lm_time_parse((const char *)sqlite3_column_text(st, 0), &t) != 0)
		t = 0;
	sqlite3_finalize(st);
	return t;
}

static int item_cmp(const void *a, const void *b)
{
	const struct cleanup_item *x = a, *y = b;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return strcmp(x->model, y->model);
}

/* Models of other stores that are not in the inventory but that localmodel
 * served: stale when their newest usage row is older than cutoff. Models it
 * never served are left out, since how other tools use them is unknown. */
static void add_external(struct lm_store *s, time_t cutoff, struct cleanup_item **v,
			 size_t *cnt, size_t *cap)
{
	struct lm_model *list = NULL;
	struct lm_err err = { 0 };
	size_t n = 0;

	if (stores_scan(STORES_ALL, &list, &n, &err))
		return;
	for (size_t i = 0; i < n; i++) {
		struct lm_model known;
		time_t last;
		if (store_model_get(s, list[i].model, &known, NULL) == LM_OK) {
			store_model_release(&known);
			continue;
		}
		last = usage_last(store_db(s), list[i].model);
		if (!last || last >= cutoff)
			continue;
		if (*cnt == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*v = lm_xrealloc(*v, *cap * sizeof(**v));
		}
		struct cleanup_item *it = &(*v)[(*cnt)++];
		char iso[32];
		memset(it, 0, sizeof(*it));
		it->model = lm_xstrdup(list[i].model);
		it->file_path = list[i].file_path ? lm_xstrdup(list[i].file_path) : NULL;
		it->source = lm_xstrdup(list[i].source ? list[i].source : "path");
		lm_time_iso(last, iso, sizeof(iso));
		it->last_used = lm_xstrdup(iso);
		it->last = last;
		it->size_bytes = list[i].size_bytes;
		it->parts = list[i].parts;
		judge(it, 0, "", 1);
	}
	store_model_list_free(list, n);
}

/* The file of it may have other rows (another spelling of the same
 * quant): it is kept when one of them is pinned or used since cutoff. */
static int judge_shared(struct lm_store *s, struct cleanup_item *it, time_t cutoff,
			struct lm_err *err)
{
	struct lm_model *rows;
	size_t n;
	int rc = cleanup_file_rows(s, it->file_path, &rows, &n, err);

	for (size_t i = 0; !rc && i < n && it->verdict == CLEANUP_DELETE; i++) {
		time_t last = 0;
		if (!strcmp(rows[i].model, it->model))
			continue;
		if (rows[i].pinned) {
			it->verdict = CLEANUP_PINNED;
			snprintf(it->note, sizeof(it->note), "same file as pinned '%s'",
				 rows[i].model);
		} else if ((!lm_time_parse(rows[i].last_used, &last) ||
			    !lm_time_parse(rows[i].first_seen, &last)) && last >= cutoff) {
			it->verdict = CLEANUP_SHARED;
			snprintf(it->note, sizeof(it->note), "same file as '%s', used recently",
				 rows[i].model);
		}
	}
	store_model_list_free(rows, n);
	return rc;
}

int cleanup_stale(struct lm_store *s, const char *models_dir, time_t cutoff,
		  int include_external, struct cleanup_item **out, size_t *n,
		  struct lm_err *err)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	struct cleanup_item *v = NULL;
	size_t cnt = 0, cap = 0;
	char iso[32];
	int rc;

	*out = NULL;
	*n = 0;
	lm_time_iso(cutoff, iso, sizeof(iso));
	if (sqlite3_prepare_v2(db, stale_sql, -1, &st, NULL) != SQLITE_OK)
		return lm_err_set(err, LM_EFAIL, "database: stale models: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, iso, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = lm_xrealloc(v, cap * sizeof(*v));
		}
		struct cleanup_item *it = &v[cnt++];
		memset(it, 0, sizeof(*it));
		it->model = dup_col(st, 0);
		it->file_path = dup_col(st, 1);
		it->source = dup_col(st, 2);
		it->first_seen = dup_col(st, 3);
		it->last_used = dup_col(st, 4);
		it->size_bytes = sqlite3_column_int64(st, 5);
		it->parts = sqlite3_column_int(st, 6);
		if (lm_time_parse(it->last_used, &it->last) && lm_time_parse(it->first_seen, &it->last))
			it->last = 0;
		judge(it, sqlite3_column_int(st, 7), models_dir, include_external);
		if (it->size_bytes <= 0 && it->file_path)
			it->size_bytes = parts_size(it->file_path);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cleanup_items_free(v, cnt);
		return lm_err_set(err, LM_EFAIL, "database: stale models: %s", sqlite3_errmsg(db));
	}
	if (include_external) {
		add_external(s, cutoff, &v, &cnt, &cap);
		if (cnt > 1)
			qsort(v, cnt, sizeof(*v), item_cmp);
	}
	for (size_t i = 0; i < cnt; i++) {
		int busy = 0;
		if (v[i].verdict == CLEANUP_DELETE && !strcmp(v[i].source, "localmodel") &&
		    (rc = judge_shared(s, &v[i], cutoff, err))) {
			cleanup_items_free(v, cnt);
			return rc;
		}
		if (v[i].verdict != CLEANUP_DELETE)
			continue;
		if ((rc = cleanup_in_use(s, v[i].model, v[i].file_path, &busy, err))) {
			cleanup_items_free(v, cnt);
			return rc;
		}
		if (busy) {
			v[i].verdict = CLEANUP_IN_USE;
			snprintf(v[i].note, sizeof(v[i].note), "a running server uses it");
		}
	}
	*out = v;
	*n = cnt;
	return LM_OK;
}

void cleanup_items_free(struct cleanup_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].model);
		free(items[i].file_path);
		free(items[i].source);
		free(items[i].first_seen);
		free(items[i].last_used);
	}
	free(items);
}

/* Remove empty folders from dir upwards, stopping at (and keeping) top. */
static void prune_dirs(const char *dir, const char *top)
{
	char d[PATH_MAX], rtop[PATH_MAX], rd[PATH_MAX];

	if (!realpath(top, rtop))
		return;
	lm_strlcpy(d, dir, sizeof(d));
	for (int depth = 0; depth < 64; depth++) {
		if (!realpath(d, rd) || !path_inside(rd, rtop) || rmdir(rd) != 0)
			return;
		char *slash = strrchr(d, '/');
		if (!slash || slash == d)
			return;
		*slash = '\0';
	}
}

static void dir_of(const char *path, char *buf, size_t size)
{
	lm_strlcpy(buf, path, size);
	char *slash = strrchr(buf, '/');
	if (slash && slash != buf)
		*slash = '\0';
}

/* Refuse when the model, or another row of its file, became pinned, or a
 * server took it. rows: the rows of its file (may be empty). The file may
 * already be renamed aside: names and the recorded path still match. */
static int still_deletable(struct lm_store *s, const struct cleanup_item *it,
			   const struct lm_model *rows, size_t nrows, struct lm_err *err)
{
	struct lm_model m;
	int busy = 0, rc;

	rc = store_model_get(s, it->model, &m, err);
	if (rc == LM_OK) {
		int pinned = m.pinned;
		store_model_release(&m);
		if (pinned)
			return lm_err_set(err, LM_ESTATE, "'%s' is pinned", it->model);
	} else if (rc != LM_ENOTFOUND) {
		return rc;
	}
	if ((rc = cleanup_in_use(s, it->model, it->file_path, &busy, err)))
		return rc;
	for (size_t i = 0; i < nrows && !busy; i++) {
		if (strcmp(rows[i].model, it->model) &&
		    store_model_get(s, rows[i].model, &m, NULL) == LM_OK) {
			int pinned = m.pinned;
			store_model_release(&m);
			if (pinned)
				return lm_err_set(err, LM_ESTATE, "'%s' shares its file with pinned '%s'",
						  it->model, rows[i].model);
		}
		if ((rc = cleanup_in_use(s, rows[i].model, rows[i].file_path, &busy, err)))
			return rc;
	}
	if (busy)
		return lm_err_set(err, LM_ESTATE, "'%s' is used by a running server", it->model);
	return LM_OK;
}

/* The deletion lock in the models folder: held while files are renamed
 * aside; recovery runs only when it can take it. -1 when it cannot be
 * opened (no folder, read-only). */
static int journal_lock(const char *models_dir, int wait)
{
	char path[PATH_MAX];
	int fd;

	if (paths_join(path, sizeof(path), models_dir, JOURNAL_LOCK) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR && wait)
			continue;
		close(fd);
		return -1;
	}
	return fd;
}

static void journal_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int cleanup_lock(const char *models_dir)
{
	return journal_lock(models_dir, 1);
}

void cleanup_unlock(int fd)
{
	journal_unlock(fd);
}

/* Delete the rows of one file in one transaction. */
static int delete_rows(struct lm_store *s, const char *model, const struct lm_model *rows,
		       size_t n, struct lm_err *err)
{
	int rc = store_begin(s, err);

	if (rc)
		return rc;
	rc = store_model_delete(s, model, err);
	if (rc == LM_ENOTFOUND)
		rc = LM_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!strcmp(rows[i].model, model))
			continue;
		rc = store_model_delete(s, rows[i].model, err);
		if (rc == LM_ENOTFOUND)
			rc = LM_OK;
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s, err);
}

/* LOCALMODEL_TEST_DELETE_PAUSE_US=N sleeps N microseconds between the
 * steps of a deletion, so that a test can kill it at any of them. */
static void test_pause(void)
{
	const char *v = getenv("LOCALMODEL_TEST_DELETE_PAUSE_US");
	long us;

	if (v && lm_parse_long(v, 1, 1000000, &us) == 0)
		usleep((useconds_t)us);
}

/* Rename-aside, re-check, drop the rows, unlink: localmodel's own files.
 * A kill at any point leaves either the files (some maybe renamed aside)
 * with their rows, which cleanup_recover renames back, or no rows and
 * renamed files, which it unlinks. */
static int remove_owned(struct lm_store *s, const char *models_dir,
			const struct cleanup_item *it, uint64_t *freed, struct lm_err *err)
{
	size_t n, nrows = 0;
	char **v = cleanup_parts(it->file_path, &n);
	char **aside = lm_xcalloc(n, sizeof(*aside));
	int64_t *sizes = lm_xcalloc(n, sizeof(*sizes));
	struct lm_model *rows = NULL;
	char dir[PATH_MAX], why[256];
	struct stat sb;
	int rc = LM_OK, lock = journal_lock(models_dir, 1);

	if (cleanup_row_check(models_dir, it->file_path, why, sizeof(why)) != CLEANUP_DELETE) {
		rc = lm_err_set(err, LM_EFAIL, "refusing to delete '%s': %s", it->model, why);
		goto out;
	}
	if ((rc = cleanup_file_rows(s, it->file_path, &rows, &nrows, err)) ||
	    (rc = still_deletable(s, it, rows, nrows, err)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (lstat(v[i], &sb) != 0)
			continue; /* a part already gone */
		if (!S_ISREG(sb.st_mode) || !real_inside(v[i], models_dir)) {
			rc = lm_err_set(err, LM_EFAIL, "refusing to delete '%s': not a file inside"
					" '%s'", v[i], models_dir);
			goto undo;
		}
		aside[i] = lm_asprintf("%s" DELETING_SUFFIX, v[i]);
		if (rename(v[i], aside[i]) != 0) {
			rc = lm_err_set(err, LM_EFAIL, "cannot delete '%s': %s", v[i],
					strerror(errno));
			free(aside[i]);
			aside[i] = NULL;
			goto undo;
		}
		sizes[i] = (int64_t)sb.st_size;
		test_pause();
	}
	/* a server may have started on it between the check and the renames */
	if ((rc = still_deletable(s, it, rows, nrows, err)))
		goto undo;
	/* the rows go before the files: a database that cannot be written
	 * (locked, full) must not leave a row pointing at nothing */
	if ((rc = delete_rows(s, it->model, rows, nrows, err)))
		goto undo;
	test_pause();
	for (size_t i = 0; i < n; i++) {
		if (aside[i] && unlink(aside[i]) == 0)
			*freed += (uint64_t)sizes[i];
		test_pause();
	}
	dir_of(it->file_path, dir, sizeof(dir));
	prune_dirs(dir, models_dir);
	goto out;
undo:
	for (size_t i = 0; i < n; i++)
		if (aside[i])
			rename(aside[i], v[i]);
out:
	journal_unlock(lock);
	for (size_t i = 0; i < n; i++)
		free(aside[i]);
	free(aside);
	free(sizes);
	store_model_list_free(rows, nrows);
	parts_free(v, n);
	return rc;
}

/* 1 when a and b name the same place: equal strings, or the same real
 * folder and the same last component (the file may not exist). */
static int same_spot(const char *a, const char *b)
{
	char da[PATH_MAX], db[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
	const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');

	if (!strcmp(a, b))
		return 1;
	if (!ba || !bb || strcmp(ba, bb))
		return 0;
	dir_of(a, da, sizeof(da));
	dir_of(b, db, sizeof(db));
	return realpath(da, ra) && realpath(db, rb) && !strcmp(ra, rb);
}

/* 1 when a row of the inventory names orig (any part of it). */
static int row_names(const struct lm_model *rows, size_t n, const char *orig)
{
	for (size_t i = 0; i < n; i++) {
		size_t np;
		char **v;
		int hit = 0;
		if (!rows[i].file_path)
			continue;
		v = cleanup_parts(rows[i].file_path, &np);
		for (size_t k = 0; k < np && !hit; k++)
			hit = same_spot(v[k], orig);
		parts_free(v, np);
		if (hit)
			return 1;
	}
	return 0;
}

/* Finish or undo one "<file>.lm-deleting" left by an interrupted deletion. */
static void recover_one(const char *aside, const struct lm_model *rows, size_t n,
			const char *models_dir, int *fixed)
{
	char orig[PATH_MAX], dir[PATH_MAX];
	size_t len = strlen(aside) - strlen(DELETING_SUFFIX);

	if (len >= sizeof(orig))
		return;
	memcpy(orig, aside, len);
	orig[len] = '\0';
	if (row_names(rows, n, orig) && !paths_exists(orig)) {
		if (rename(aside, orig) == 0)
			(*fixed)++;
		return;
	}
	if (unlink(aside) == 0) {
		(*fixed)++;
		dir_of(orig, dir, sizeof(dir));
		prune_dirs(dir, models_dir);
	}
}

/* Every regular file under dir (16 levels at most, links not followed)
 * whose name is longer than suffix and ends with it, into *found. */
static void find_suffixed(const char *dir, const char *suffix, int depth, char ***found,
			  size_t *nf)
{
	DIR *d;
	struct dirent *e;

	if (depth > 16 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    paths_join(p, sizeof(p), dir, e->d_name) < 0 || lstat(p, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			find_suffixed(p, suffix, depth + 1, found, nf);
		} else if (S_ISREG(sb.st_mode) && lm_ends_with(e->d_name, suffix) &&
			   strlen(e->d_name) > strlen(suffix)) {
			*found = lm_xrealloc(*found, (*nf + 1) * sizeof(**found));
			(*found)[(*nf)++] = lm_xstrdup(p);
		}
	}
	closedir(d);
}

static void recover_walk(const char *dir, const struct lm_model *rows, size_t n,
			 const char *models_dir, int *fixed)
{
	char **found = NULL;
	size_t nf = 0;

	find_suffixed(dir, DELETING_SUFFIX, 0, &found, &nf);
	for (size_t i = 0; i < nf; i++) {
		recover_one(found[i], rows, n, models_dir, fixed);
		free(found[i]);
	}
	free(found);
}

int cleanup_recover(struct lm_store *s, const char *models_dir, int *fixed, struct lm_err *err)
{
	struct lm_model *rows = NULL;
	size_t n = 0;
	int lock, rc;

	*fixed = 0;
	if (!paths_exists(models_dir))
		return LM_OK;
	/* held by a deletion under way, or a read-only folder: nothing to do */
	if ((lock = journal_lock(models_dir, 0)) < 0)
		return LM_OK;
	if ((rc = store_model_list(s, &rows, &n, err)) == LM_OK)
		recover_walk(models_dir, rows, n, models_dir, fixed);
	store_model_list_free(rows, n);
	journal_unlock(lock);
	return rc;
}

/* 1 when a symlink under dir (recursively) resolves to target. */
static int links_to(const char *dir, const char *target, int depth)
{
	DIR *d;
	struct dirent *e;
	int found = 0;

	if (depth > 16 || !(d = opendir(dir)))
		return 0;
	while (!found && (e = readdir(d))) {
		char p[PATH_MAX], rp[PATH_MAX];
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (paths_join(p, sizeof(p), dir, e->d_name) < 0 || lstat(p, &sb) != 0)
			continue;
		if (S_ISLNK(sb.st_mode))
			found = realpath(p, rp) && !strcmp(rp, target);
		else if (S_ISDIR(sb.st_mode))
			found = links_to(p, target, depth + 1);
	}
	closedir(d);
	return found;
}

/* HF hub cache layout: unlink the snapshot entry, then its blob when no
 * other snapshot links to it. */
static int remove_hub_file(const char *path, uint64_t *freed, struct lm_err *err)
{
	char repo[PATH_MAX], snaps[PATH_MAX], blobs[PATH_MAX], rblobs[PATH_MAX], blob[PATH_MAX];
	const char *sn = strstr(path, "/snapshots/");
	struct stat sb, bb;
	int is_link;

	if (!sn || (size_t)(sn - path) >= sizeof(repo))
		return lm_err_set(err, LM_EFAIL, "refusing to delete '%s': not a hub cache file",
				  path);
	if (lstat(path, &sb) != 0)
		return LM_OK;
	memcpy(repo, path, (size_t)(sn - path));
	repo[sn - path] = '\0';
	if (paths_join(snaps, sizeof(snaps), repo, "snapshots") < 0 ||
	    paths_join(blobs, sizeof(blobs), repo, "blobs") < 0)
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", path);
	is_link = S_ISLNK(sb.st_mode);
	if (is_link && (!realpath(path, blob) || !realpath(blobs, rblobs) ||
			!path_inside(blob, rblobs)))
		return lm_err_set(err, LM_EFAIL, "refusing to delete '%s': it does not point into"
				  " '%s'", path, blobs);
	if (unlink(path) != 0)
		return lm_err_set(err, LM_EFAIL, "cannot delete '%s': %s", path, strerror(errno));
	if (!is_link) {
		*freed += S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	} else if (!links_to(snaps, blob, 0) && stat(blob, &bb) == 0 && unlink(blob) == 0) {
		*freed += (uint64_t)bb.st_size;
	}
	char dir[PATH_MAX];
	dir_of(path, dir, sizeof(dir));
	prune_dirs(dir, snaps);
	return LM_OK;
}

/* Another tool's store, by that store's rules (see cleanup.h). */
static int remove_external(struct lm_store *s, const struct cleanup_item *it, uint64_t *freed,
			   struct lm_err *err)
{
	size_t n;
	char **v = cleanup_parts(it->file_path, &n);
	int hub = strcmp(it->source, "lmstudio") != 0;
	int rc;

	if ((rc = still_deletable(s, it, NULL, 0, err)))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		struct stat sb;
		if (hub) {
			rc = remove_hub_file(v[i], freed, err);
		} else if (lstat(v[i], &sb) == 0) {
			if (unlink(v[i]) != 0)
				rc = lm_err_set(err, LM_EFAIL, "cannot delete '%s': %s", v[i],
						strerror(errno));
			else
				*freed += S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
		}
	}
	if (!rc && !hub) {
		/* models/<publisher>/<repo>/file: drop <repo> and <publisher> when empty */
		char dir[PATH_MAX], top[PATH_MAX];
		dir_of(it->file_path, dir, sizeof(dir));
		dir_of(dir, top, sizeof(top));
		dir_of(top, top, sizeof(top));
		prune_dirs(dir, top);
	}
out:
	parts_free(v, n);
	return rc;
}

int cleanup_remove(struct lm_store *s, const char *models_dir, const struct cleanup_item *it,
		   uint64_t *freed, struct lm_err *err)
{
	int rc;

	*freed = 0;
	if (it->verdict != CLEANUP_DELETE)
		return lm_err_set(err, LM_ESTATE, "'%s' is kept: %s", it->model, it->note);
	if (!s && !it->partial)
		return lm_err_set(err, LM_EFAIL, "no database");
	if (it->partial)
		return cleanup_partial_remove(models_dir, it->file_path, freed, err);
	if (!strcmp(it->source, "localmodel"))
		return remove_owned(s, models_dir, it, freed, err);
	if ((rc = remove_external(s, it, freed, err)))
		return rc;
	rc = store_model_delete(s, it->model, err);
	return rc == LM_ENOTFOUND ? LM_OK : rc;
}

/* ---- partial downloads ------------------------------------------------ */

#define PART_SUFFIX ".part"

/* Bytes so far and final size from "<part>.state" (written by the
 * downloader: "size N" and one "got CHUNK BYTES" line per chunk). */
static void partial_state(const char *part, int64_t *have, int64_t *total)
{
	char *state = lm_asprintf("%s.state", part), *buf = NULL, *line, *save = NULL;
	size_t len;
	int64_t got = 0;

	if (lm_read_file(state, 4u << 20, &buf, &len, NULL) == LM_OK &&
	    !strncmp(buf, "localmodel-partial 1\n", 21)) {
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long a, b;
			if (sscanf(line, "size %llu", &a) == 1)
				*total = (int64_t)a;
			else if (sscanf(line, "got %llu %llu", &a, &b) == 2)
				got += (int64_t)b;
		}
		*have = got;
	}
	free(buf);
	free(state);
}

/* 1 when a pull holds the lock of the final file of part. */
static int partial_active(const char *part)
{
	char *lock = lm_asprintf("%.*s.lock", (int)(strlen(part) - strlen(PART_SUFFIX)), part);
	int fd = open(lock, O_RDONLY | O_CLOEXEC), busy = 0;

	if (fd >= 0) {
		busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
		close(fd);
	}
	free(lock);
	return busy;
}

static void partial_add(const char *models_dir, const char *path, const struct stat *sb,
			struct cleanup_partial **v, size_t *n)
{
	struct cleanup_partial *p;
	size_t ml = strlen(models_dir);

	*v = lm_xrealloc(*v, (*n + 1) * sizeof(**v));
	p = &(*v)[(*n)++];
	memset(p, 0, sizeof(*p));
	p->path = lm_xstrdup(path);
	p->name = lm_asprintf("%.*s", (int)(strlen(path) - ml - 1 - strlen(PART_SUFFIX)),
			      path + ml + 1);
	p->disk = (int64_t)sb->st_blocks * 512;
	p->have = p->disk < (int64_t)sb->st_size ? p->disk : (int64_t)sb->st_size;
	p->mtime = sb->st_mtime;
	partial_state(path, &p->have, &p->total);
	p->active = partial_active(path);
}

static void partials_walk(const char *models_dir, struct cleanup_partial **v, size_t *n)
{
	char **found = NULL;
	size_t nf = 0;

	find_suffixed(models_dir, PART_SUFFIX, 0, &found, &nf);
	for (size_t i = 0; i < nf; i++) {
		struct stat sb;
		if (lstat(found[i], &sb) == 0 && S_ISREG(sb.st_mode))
			partial_add(models_dir, found[i], &sb, v, n);
		free(found[i]);
	}
	free(found);
}

static int partial_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cleanup_partial *)a)->name,
		      ((const struct cleanup_partial *)b)->name);
}

int cleanup_partials(const char *models_dir, struct cleanup_partial **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	partials_walk(models_dir, out, n);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), partial_cmp);
	return LM_OK;
}

void cleanup_partials_free(struct cleanup_partial *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].name);
	}
	free(v);
}

void cleanup_partial_items(const char *models_dir, struct cleanup_item **items, size_t *n)
{
	struct cleanup_partial *v;
	size_t np;

	cleanup_partials(models_dir, &v, &np);
	if (np)
		*items = lm_xrealloc(*items, (*n + np) * sizeof(**items));
	for (size_t i = 0; i < np; i++) {
		struct cleanup_item *it = &(*items)[(*n)++];
		char iso[32];
		memset(it, 0, sizeof(*it));
		it->model = lm_xstrdup(v[i].name);
		it->file_path = lm_xstrdup(v[i].path);
		it->source = lm_xstrdup("partial");
		lm_time_iso(v[i].mtime, iso, sizeof(iso));
		it->first_seen = lm_xstrdup(iso);
		it->last = v[i].mtime;
		it->size_bytes = v[i].disk;
		it->total_bytes = v[i].total;
		it->parts = 1;
		it->partial = 1;
		if (v[i].active) {
			it->verdict = CLEANUP_IN_USE;
			snprintf(it->note, sizeof(it->note), "a pull is downloading it");
		} else {
			snprintf(it->note, sizeof(it->note), "partial download: %lld of %lld bytes",
				 (long long)v[i].have, (long long)v[i].total);
		}
	}
	cleanup_partials_free(v, np);
}

int cleanup_partial_remove(const char *models_dir, const char *part_path, uint64_t *freed,
			   struct lm_err *err)
{
	size_t len = strlen(part_path);
	char *lock, *state;
	struct stat sb;
	int fd, rc = LM_OK;

	*freed = 0;
	if (!lm_ends_with(part_path, PART_SUFFIX) || lstat(part_path, &sb) != 0 ||
	    !S_ISREG(sb.st_mode) || !real_inside(part_path, models_dir))
		return lm_err_set(err, LM_ENOTFOUND, "no partial download '%s'", part_path);
	lock = lm_asprintf("%.*s.lock", (int)(len - strlen(PART_SUFFIX)), part_path);
	state = lm_asprintf("%s.state", part_path);
	/* the pull's own lock: held while it downloads */
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot lock '%s': %s", lock, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = lm_err_set(err, LM_ESTATE, "'%s' is being downloaded by a running pull",
				part_path);
		goto out;
	}
	if (unlink(part_path) != 0) {
		rc = lm_err_set(err, LM_EFAIL, "cannot delete '%s': %s", part_path,
				strerror(errno));
		goto out;
	}
	*freed = (uint64_t)sb.st_blocks * 512;
	unlink(state);
	unlink(lock);
	{
		char dir[PATH_MAX];
		dir_of(part_path, dir, sizeof(dir));
		prune_dirs(dir, models_dir);
	}
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(state);
	return rc;
}

/* ---- the nudge ------------------------------------------------------ */

int cleanup_nudge_query(const char *db_path, time_t cutoff, int64_t *count, int64_t *bytes)
{
	/* the seed's schema has neither pinned nor source: then all count */
	static const char *const sql[] = {
		"SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM model_inventory WHERE"
		" COALESCE(pinned, 0) = 0 AND COALESCE(source, 'localmodel') = 'localmodel'"
		" AND" STALE_WHERE,
		"SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM model_inventory WHERE"
		STALE_WHERE,
	};
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char iso[32];
	int rc = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 0);
	if (sqlite3_prepare_v2(db, sql[0], -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql[1], -1, &st, NULL) != SQLITE_OK)
		goto out;
	lm_time_iso(cutoff, iso, sizeof(iso));
	sqlite3_bind_text(st, 1, iso, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*bytes = sqlite3_column_int64(st, 1);
		rc = 0;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int cleanup_nudge_due(const char *stamp_path, time_t now)
{
	char buf[32];
	long last;
	ssize_t n;
	int fd = open(stamp_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (lm_parse_long(buf, 0, 0x7fffffffL, &last) != 0)
		return 1;
	/* a stamp in the future (clock set back) does not silence it forever */
	return (time_t)last > now || now - (time_t)last >= 86400;
}

int cleanup_nudge_mark(const char *stamp_path, time_t now, struct lm_err *err)
{
	char dir[PATH_MAX], buf[32];
	int rc;

	dir_of(stamp_path, dir, sizeof(dir));
	if ((rc = paths_ensure_dir(dir, err)))
		return rc;
	snprintf(buf, sizeof(buf), "%lld\n", (long long)now);
	return lm_write_file_atomic(stamp_path, buf, strlen(buf), 0600, err);
}
