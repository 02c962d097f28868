/*
 * store: the SQLite database (WAL, busy timeout, migrations keyed on
 * PRAGMA user_version). Owns the model inventory, per-request usage,
 * serving sessions and installed runtimes. Every statement is prepared;
 * values are bound, never formatted into SQL.
 *
 * Rows returned by the _get and _list calls are owned by the caller: release a single
 * row with the matching *_release, a list with *_list_free.
 */
#ifndef LOCALMODEL_STORE_H
#define LOCALMODEL_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "base.h"

struct lm_store;
struct sqlite3;

#define STORE_SCHEMA_VERSION 5

enum store_mode {
	STORE_RW,        /* create the file (and its directory) if missing */
	STORE_EXISTING,  /* open only if the file exists, else LM_ENOTFOUND */
};

/* Open (and migrate) the database at path. busy_ms: how long to wait on a
 * lock held by another process (0 = fail at once with SQLITE_BUSY).
 * STORE_EXISTING opens read-only, without migrating, when the file or its
 * folder is not writable (a read-only mount, a snapshot, another user's
 * home): as immutable when SQLite cannot share the WAL index there. A
 * schema older than STORE_SCHEMA_VERSION is then an error. STORE_RW on a
 * file or folder that cannot be written fails at once, saying so. */
int store_open(struct lm_store **out, const char *path, enum store_mode mode,
	       int busy_ms, struct lm_err *err);
void store_close(struct lm_store *s);
/* Close, leaving the WAL checkpoint (and its fsync) to a later connection:
 * for short writers on a path where latency matters (serve, the supervisor). */
void store_close_lazy(struct lm_store *s);
/* 1 when the database was opened read-only (writes fail, saying so). */
int store_readonly(struct lm_store *s);
/* Wait up to ms on a lock held by another process from now on. */
void store_set_busy_timeout(struct lm_store *s, int ms);
/* The raw handle, for a layer's own prepared statements. */
struct sqlite3 *store_db(struct lm_store *s);
int store_begin(struct lm_store *s, struct lm_err *err);
int store_commit(struct lm_store *s, struct lm_err *err);
void store_rollback(struct lm_store *s);

/* ---- model_inventory ------------------------------------------------ */

struct lm_model {
	char *model;        /* "org/repo:QUANT" (or a store-specific name) */
	char *file_path;    /* first (or only) file */
	char *repo_source;  /* "org/repo" */
	int64_t size_bytes; /* all parts */
	char *quantization; /* "Q4_K_M" */
	char *sha256;       /* of the first file */
	char *first_seen;   /* ISO-8601 UTC */
	char *last_used;    /* ISO-8601 UTC or NULL */
	int64_t total_requests;
	char *commit_sha;   /* Hub commit it came from */
	char *source;       /* "localmodel", "hf-cache", "llama-cache", "lmstudio", "ollama", "path" */
	int pinned;
	int parts;          /* number of split files */
	char *arch;         /* general.architecture */
	int64_t params;     /* parameter count */
	int64_t ctx_train;  /* trained context */
	char *alias_of;     /* set when model is an alias: the row's own name */
};

void store_model_release(struct lm_model *m);
void store_model_list_free(struct lm_model *list, size_t n);
/* Insert or update by name. first_seen/total_requests/last_used/pinned of an
 * existing row are kept unless the new values are set (non-NULL / > 0). */
int store_model_upsert(struct lm_store *s, const struct lm_model *m, struct lm_err *err);
/* A model's file has one row; its other names (another spelling of the
 * quant, --file) are aliases (table model_alias). _get and _list return an
 * alias as a copy of its row under the alias's name, alias_of naming the
 * row; pinning or using an alias pins or counts for the row.
 * LM_ENOTFOUND when missing. */
int store_model_get(struct lm_store *s, const char *name, struct lm_model *out,
		    struct lm_err *err);
/* All rows, ordered by name. */
int store_model_list(struct lm_store *s, struct lm_model **out, size_t *n, struct lm_err *err);
/* Delete a row and its aliases, or just an alias. */
int store_model_delete(struct lm_store *s, const char *name, struct lm_err *err);
/* Make alias another name of the row model (no-op when equal). LM_ESTATE
 * when alias is a row itself or model is not one. */
int store_alias_add(struct lm_store *s, const char *alias, const char *model,
		    struct lm_err *err);
int store_model_set_pinned(struct lm_store *s, const char *name, int pinned, struct lm_err *err);
/* Count and total size of the inventory. */
int store_model_totals(struct lm_store *s, int64_t *count, int64_t *bytes, struct lm_err *err);

/* ---- model_usage ---------------------------------------------------- */

struct lm_usage {
	const char *model;
	const char *session_id;
	const char *timestamp; /* ISO-8601 UTC */
	int64_t tokens_in;     /* prompt tokens evaluated */
	int64_t tokens_out;    /* generated tokens */
	int64_t tokens_cached; /* prompt tokens served from cache, when known */
	double duration_ms;
	double tok_per_sec;
	int reconciled;        /* not one request: tokens llama-server's /metrics
				  counted that no request's timing lines told
				  (model_usage.kind 'reconciled', else 'request') */
};

/* Add rows in one transaction, updating model_inventory.last_used and
 * total_requests (requests only) for each model. */
int store_usage_add(struct lm_store *s, const struct lm_usage *rows, size_t n,
		    struct lm_err *err);

/* Requests (reconciled rows are not requests) and token sums of one
 * session's usage rows. */
int store_session_usage(struct lm_store *s, const char *session, int64_t *requests,
			int64_t *tokens_in, int64_t *tokens_out, struct lm_err *err);

/* ---- sessions (one per supervised server run) ----------------------- */

struct lm_session {
	char *id;
	char *model;
	char *host;
	int port;
	char *started_at;
	char *ended_at;      /* NULL while running */
	int supervisor_pid;
	int child_pid;
	int restarts;
	char *end_reason;    /* "stopped", "gave up after 5 crashes in 10 min: ..." */
	char *runtime;       /* llama-server path or build tag */
};

void store_session_release(struct lm_session *x);
void store_session_list_free(struct lm_session *list, size_t n);
int store_session_add(struct lm_store *s, const struct lm_session *x, struct lm_err *err);
/* Update pids, restarts, ended_at, end_reason of an existing session. */
int store_session_update(struct lm_store *s, const struct lm_session *x, struct lm_err *err);
int store_session_get(struct lm_store *s, const char *id, struct lm_session *out,
		      struct lm_err *err);
/* Sessions with ended_at NULL. */
int store_session_list_open(struct lm_store *s, struct lm_session **out, size_t *n,
			    struct lm_err *err);

/* ---- guard actions (migration 5) ------------------------------------ */

/* One action of the memory guard. */
struct lm_guard_row {
	const char *at;         /* ISO-8601 UTC */
	const char *session_id; /* the server's session, or NULL */
	int port;
	const char *model;      /* the model unloaded or the server's model */
	const char *action;     /* "unloaded", "slept", "stopped" */
	const char *reason;
	uint64_t swap_used;
	double pressure;        /* -1: unknown (NULL) */
};

int store_guard_add(struct lm_store *s, const struct lm_guard_row *g, struct lm_err *err);

/* ---- meta (small key/value facts: nudge time, stale summary, ...) --- */

/* *out = NULL when missing. */
int store_meta_get(struct lm_store *s, const char *key, char **out, struct lm_err *err);
int store_meta_set(struct lm_store *s, const char *key, const char *value, struct lm_err *err);

#endif
