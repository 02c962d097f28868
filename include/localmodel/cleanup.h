/*
 * cleanup: which models are stale (not used for N days; never used = since
 * first seen), whether each may be deleted, the deletion itself, and the
 * cheap read-only summary behind `cleanup --nudge`.
 *
 * A model is never deleted when it is pinned, when a running server uses it
 * (cleanup_in_use), or when its files are not under localmodel's models
 * directory (real paths compared). Other tools' stores are touched only with
 * include_external, and then by their own rules:
 *   hf-cache, llama-cache  the snapshot link is removed, and its blob only
 *                          when no other snapshot links to it; refs and the
 *                          rest of the cache are left as they are
 *   lmstudio               the model's files, then its folder when empty
 *   ollama                 never: blobs are shared between models, so the
 *                          item says to run `ollama rm NAME`
 *   path (or unknown)      never: the user's own file
 * With include_external, models found in those stores (stores_scan) that
 * are not in the inventory are considered too, but only those localmodel
 * has served: they are stale when their newest model_usage row is older
 * than the cutoff. Models it never served are left out: how other tools use
 * them is unknown (and their access times are no evidence, as scanning
 * reads them).
 * A model's identity is its file (device and inode; the recorded path when
 * it is gone): every row whose file is the same one counts as the same
 * model, so pinned, in-use and freshness checks look at all of them, and
 * a deletion drops all of them. A row of localmodel's own whose file is a
 * directory, a symbolic link or not inside the models directory (real
 * paths) is never acted on (CLEANUP_BROKEN or CLEANUP_OUTSIDE).
 *
 * Deletion is a rename protocol, under a lock file in the models
 * directory: every part is renamed to "<file>.lm-deleting", the pin and
 * use checks are repeated (renaming back if they fail), the rows are
 * deleted in one transaction, then the renamed files are unlinked and the
 * folders it emptied removed. After a kill at any point, cleanup_recover
 * completes or rolls back: a renamed file whose row still exists goes back
 * to its name, one without a row is unlinked. So a model is either there
 * with its row, or gone with it.
 *
 * Items are owned by the caller: cleanup_items_free. Nothing here prints.
 */
#ifndef LOCALMODEL_CLEANUP_H
#define LOCALMODEL_CLEANUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "base.h"

struct lm_store;

enum cleanup_verdict {
	CLEANUP_DELETE = 0,  /* stale and deletable */
	CLEANUP_PINNED,      /* kept: pinned */
	CLEANUP_IN_USE,      /* kept: a running server uses it */
	CLEANUP_OUTSIDE,     /* kept: files outside the models directory */
	CLEANUP_EXTERNAL,    /* kept: another tool's store (see note) */
	CLEANUP_BROKEN,      /* kept: the row points at a directory, a link... */
	CLEANUP_SHARED,      /* kept: another row of the same file is in use */
};

struct cleanup_item {
	char *model;
	char *file_path;
	char *source;        /* "localmodel", "hf-cache", ... */
	char *first_seen;
	char *last_used;     /* NULL when never used */
	time_t last;         /* last use, else first seen; 0 when unknown */
	int64_t size_bytes;
	int parts;
	int partial;         /* a partial download ("<file>.part"), see below */
	int64_t total_bytes; /* partial: the size it will have, 0 when unknown */
	enum cleanup_verdict verdict;
	char note[256];      /* why it is kept, or what to do instead */
};

/* CLEANUP_DELETE when every existing part of a row of localmodel's own is
 * a regular file inside models_dir (real paths); else CLEANUP_OUTSIDE or
 * CLEANUP_BROKEN with the reason in why. */
int cleanup_row_check(const char *models_dir, const char *file_path, char *why, size_t size);
/* 1 when a and b are the same file: equal paths, or the same device and
 * inode (symbolic links followed, as a server opening it would). */
int cleanup_same_file(const char *a, const char *b);
struct lm_model;
/* Every inventory row whose file is file_path's (itself included); free
 * with store_model_list_free. */
int cleanup_file_rows(struct lm_store *s, const char *file_path, struct lm_model **out,
		      size_t *n, struct lm_err *err);
/* Complete or roll back deletions a kill interrupted (see above); *fixed
 * counts the files handled. Does nothing while a deletion holds the lock
 * or when the models directory is not writable. */
int cleanup_recover(struct lm_store *s, const char *models_dir, int *fixed, struct lm_err *err);

/* Stale models of the inventory (last use, else first seen, before cutoff),
 * oldest first, each with its verdict. */
int cleanup_stale(struct lm_store *s, const char *models_dir, time_t cutoff,
		  int include_external, struct cleanup_item **out, size_t *n,
		  struct lm_err *err);
void cleanup_items_free(struct cleanup_item *items, size_t n);
/* Human words for a verdict: "stale", "pinned", "in use", ... */
const char *cleanup_verdict_name(enum cleanup_verdict v);

/* 1 in *in_use when a running server uses the model: an open session for
 * its name, for its file (a path, or the name of a row with the same
 * file: see cleanup_same_file), or a router session (model "all", which may load
 * any model), whose supervisor or child pid is alive. The one place to
 * change when servers are tracked another way (e.g. pid + start time). */
int cleanup_in_use(struct lm_store *s, const char *model, const char *file_path, int *in_use,
		   struct lm_err *err);

/* Delete one item judged CLEANUP_DELETE: re-checks pin and use, removes the
 * files (all parts), emptied folders and the inventory row. *freed gets the
 * bytes removed from disk. LM_ESTATE when it became pinned or in use. */
int cleanup_remove(struct lm_store *s, const char *models_dir, const struct cleanup_item *it,
		   uint64_t *freed, struct lm_err *err);

/* The split parts of a "-00001-of-0000N.gguf" file, in order (just the file
 * itself otherwise), found from the name as llama.cpp writes it. Free each
 * string and the array. */
char **cleanup_parts(const char *file_path, size_t *n);

/* ---- partial downloads --------------------------------------------- */

/* A download that has not finished: "<final>.part" in the models
 * directory, with its resume state "<final>.part.state" and the pull's lock
 * "<final>.lock". */
struct cleanup_partial {
	char *path;       /* the .part file */
	char *name;       /* the final path relative to the models directory */
	int64_t have;     /* bytes downloaded so far */
	int64_t total;    /* the final size, 0 when unknown */
	int64_t disk;     /* bytes the partial file takes on disk */
	time_t mtime;     /* last write */
	int active;       /* a pull holds its lock: it is being downloaded */
};

/* Every partial download under models_dir, by name. */
int cleanup_partials(const char *models_dir, struct cleanup_partial **out, size_t *n);
void cleanup_partials_free(struct cleanup_partial *v, size_t n);
/* Append the partial downloads to items, as deletable items (source
 * "partial"; CLEANUP_IN_USE while a pull downloads one). */
void cleanup_partial_items(const char *models_dir, struct cleanup_item **items, size_t *n);
/* Remove one partial download (the .part, its state and the lock file),
 * unless a pull holds the lock (LM_ESTATE). *freed gets the disk bytes. */
int cleanup_partial_remove(const char *models_dir, const char *part_path, uint64_t *freed,
			   struct lm_err *err);

/* ---- the nudge: read-only, never waits on a lock, never creates ----- */

/* Count and size of stale, unpinned, localmodel-owned models, straight from
 * the database file (opened read-only, busy timeout 0). -1 on any problem
 * (no file, locked, old schema...), 0 ok. */
int cleanup_nudge_query(const char *db_path, time_t cutoff, int64_t *count, int64_t *bytes);
/* 1 when no nudge was shown in the 24 hours before now (stamp file holds
 * the epoch seconds of the last one). */
int cleanup_nudge_due(const char *stamp_path, time_t now);
/* Record a nudge at now (creates the file's folder if needed). */
int cleanup_nudge_mark(const char *stamp_path, time_t now, struct lm_err *err);

/* The deletion lock of the models folder (the rename protocol above), for
 * a writer whose step must not interleave with a deletion: a pull checks
 * that its files are in place and writes their row under it. Waits for a
 * deletion in progress. -1 when it cannot be opened (no folder, read-only);
 * cleanup_unlock(-1) does nothing. */
int cleanup_lock(const char *models_dir);
void cleanup_unlock(int fd);

#endif
