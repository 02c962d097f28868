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
#include <sys/stat.h>
#include <unistd.h>

#define DELETING_SUFFIX ".lm-deleting"

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
		if (!m || (strcmp(m, model) && strcmp(m, "all") &&
			   (!file_path || strcmp(m, file_path))))
			continue;
		*in_use = pid_alive(open[i].supervisor_pid) || pid_alive(open[i].child_pid);
	}
	store_session_list_free(open, n);
	return LM_OK;
}

/* Every existing part inside models_dir? 1 yes, 0 no. */
static int parts_inside(const struct cleanup_item *it, const char *models_dir)
{
	size_t n;
	char **v = cleanup_parts(it->file_path, &n);
	int ok = 1;

	for (size_t i = 0; i < n && ok; i++)
		ok = real_inside(v[i], models_dir);
	parts_free(v, n);
	return ok;
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
		if (!parts_inside(it, models_dir)) {
			it->verdict = CLEANUP_OUTSIDE;
			snprintf(it->note, sizeof(it->note), "files outside '%s'", models_dir);
		}
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

/* Refuse when the model became pinned or a server took it. */
static int still_deletable(struct lm_store *s, const struct cleanup_item *it,
			   struct lm_err *err)
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
	if (busy)
		return lm_err_set(err, LM_ESTATE, "'%s' is used by a running server", it->model);
	return LM_OK;
}

/* Rename-aside, re-check, unlink: localmodel's own files. */
static int remove_owned(struct lm_store *s, const char *models_dir,
			const struct cleanup_item *it, uint64_t *freed, struct lm_err *err)
{
	size_t n;
	char **v = cleanup_parts(it->file_path, &n);
	char **aside = lm_xcalloc(n, sizeof(*aside));
	int64_t *sizes = lm_xcalloc(n, sizeof(*sizes));
	char dir[PATH_MAX];
	struct stat sb;
	int rc = LM_OK;

	for (size_t i = 0; i < n; i++) {
		if (lstat(v[i], &sb) != 0)
			continue; /* a part already gone */
		if (!real_inside(v[i], models_dir)) {
			rc = lm_err_set(err, LM_EFAIL, "refusing to delete '%s': outside '%s'", v[i],
					models_dir);
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
		sizes[i] = S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : 0;
	}
	/* a server may have started on it between the check and the renames */
	if ((rc = still_deletable(s, it, err)))
		goto undo;
	/* the row goes before the files: a database that cannot be written
	 * (locked, full) must not leave a row pointing at nothing */
	rc = store_model_delete(s, it->model, err);
	if (rc == LM_ENOTFOUND)
		rc = LM_OK;
	if (rc)
		goto undo;
	for (size_t i = 0; i < n; i++)
		if (aside[i] && unlink(aside[i]) == 0)
			*freed += (uint64_t)sizes[i];
	dir_of(it->file_path, dir, sizeof(dir));
	prune_dirs(dir, models_dir);
	goto out;
undo:
	for (size_t i = 0; i < n; i++)
		if (aside[i])
			rename(aside[i], v[i]);
out:
	for (size_t i = 0; i < n; i++)
		free(aside[i]);
	free(aside);
	free(sizes);
	parts_free(v, n);
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

	if ((rc = still_deletable(s, it, err)))
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
	if (!strcmp(it->source, "localmodel")) {
		if ((rc = still_deletable(s, it, err)))
			return rc;
		return remove_owned(s, models_dir, it, freed, err);
	}
	if ((rc = remove_external(s, it, freed, err)))
		return rc;
	rc = store_model_delete(s, it->model, err);
	return rc == LM_ENOTFOUND ? LM_OK : rc;
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
