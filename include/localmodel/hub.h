/*
 * hub: the Hugging Face Hub API (search, model info, tree listing, file
 * resolve) over http.c, and the naming rules of GGUF files in a repo
 * (quant labels, split parts, grouping into models, quant selection).
 *
 * Endpoint from HF_ENDPOINT (default https://huggingface.co, trailing '/'
 * stripped); token from HF_TOKEN, HUGGING_FACE_HUB_TOKEN, $HF_HOME/token or
 * ~/.cache/huggingface/token. The token goes only to the endpoint's host and
 * is never put in an error message.
 *
 * Everything returned through `**out` is owned by the caller and freed with
 * the matching *_free / *_release. The naming helpers (hub_quant_*,
 * hub_split_*, hub_group_*, hub_select) need no network and live in
 * quant_select.c.
 */
#ifndef LOCALMODEL_HUB_H
#define LOCALMODEL_HUB_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

struct lm_http;

struct lm_hub {
	struct lm_http *http;
	char *endpoint; /* "https://huggingface.co", no trailing '/' */
	char *host;     /* "huggingface.co[:port]": the only host that gets the token */
	char *token;    /* or NULL; never printed */
};

/* The endpoint (caller frees). */
char *hub_endpoint(void);
/* The token from the environment or the token file, or NULL (caller frees). */
char *hub_token(void);
/* Connect-free set-up: endpoint, token, an http handle (loads libcurl). */
int hub_open(struct lm_hub **out, struct lm_err *err);
void hub_free(struct lm_hub *hub);

/* 1 when s is a plausible "org/repo" id (no "..", no spaces, one '/'). */
int hub_repo_valid(const char *s);

/* ---- search and model info ----------------------------------------- */

struct hub_repo {
	char *id;            /* "org/repo" */
	char *last_modified; /* ISO-8601 or NULL */
	char *sha;           /* commit, or NULL */
	char *arch;          /* gguf.architecture or NULL */
	char *gated;         /* NULL (not gated), "auto", "manual" */
	int64_t downloads;
	int64_t likes;
	int64_t params;      /* gguf.total or safetensors.total, 0 unknown */
	int64_t ctx;         /* gguf.context_length, 0 unknown */
};

void hub_repo_release(struct hub_repo *r);
void hub_repo_list_free(struct hub_repo *list, size_t n);

/* sort: "downloads", "likes" or "updated" (NULL = downloads). */
int hub_search(struct lm_hub *hub, const char *query, const char *sort, int limit,
	       struct hub_repo **out, size_t *n, struct lm_err *err);
int hub_model_info(struct lm_hub *hub, const char *repo, struct hub_repo *out,
		   struct lm_err *err);
/* Parse a /api/models answer (an array); for tests and fuzzing. */
int hub_parse_search(const char *json, size_t len, struct hub_repo **out, size_t *n,
		     struct lm_err *err);
/* Parse one model object. */
int hub_parse_model(const char *json, size_t len, struct hub_repo *out, struct lm_err *err);

/* ---- tree and resolve ---------------------------------------------- */

struct hub_file {
	char *path;     /* path in the repo */
	uint64_t size;
	char *sha256;   /* lfs.oid (lowercase hex) or NULL for a non-LFS file */
	char *oid;      /* git blob id */
};

void hub_file_list_free(struct hub_file *list, size_t n);

/* What a pull needs in one request: the model (commit, gated...) and
 * every file with its size and LFS sha256 (model info with blobs=true).
 * When that answer lacks the sizes, the tree of the commit is listed
 * instead (hub_tree_list). */
int hub_model_files(struct lm_hub *hub, const char *repo, struct hub_repo *info,
		    struct hub_file **out, size_t *n, struct lm_err *err);
/* Parse such an answer: LM_OK, 1 when its siblings lack sizes (nothing in
 * *out; info filled), or an error. For tests and fuzzing. */
int hub_parse_model_files(const char *json, size_t len, struct hub_repo *info,
			  struct hub_file **out, size_t *n, struct lm_err *err);

/* Every file of repo at revision (recursive, following each Link rel="next"). */
int hub_tree_list(struct lm_hub *hub, const char *repo, const char *revision,
		  struct hub_file **out, size_t *n, struct lm_err *err);
/* Append the files of one tree page to *out (directories skipped). */
int hub_parse_tree(const char *json, size_t len, struct hub_file **out, size_t *n,
		   struct lm_err *err);

struct hub_resolved {
	char *commit;   /* X-Repo-Commit or NULL */
	char *etag;     /* X-Linked-Etag / ETag without quotes, or NULL */
	uint64_t size;  /* X-Linked-Size / Content-Length, 0 unknown */
	char *location; /* absolute URL of the bytes: the redirect target (the
			   CDN), or the URL that answered 200; or NULL */
};

void hub_resolved_release(struct hub_resolved *r);
/* The download URL of a file (caller frees). */
char *hub_file_url(const struct lm_hub *hub, const char *repo, const char *revision,
		   const char *path);
/* HEAD the resolve URL without following redirects; maps errors (gated,
 * not found, rate limited). */
int hub_resolve(struct lm_hub *hub, const char *repo, const char *revision, const char *path,
		struct hub_resolved *out, struct lm_err *err);

/* Resolving ahead: the files of paths (copied) are resolved one after
 * another by a thread with its own connection, while the caller downloads.
 * hub_prefetch_get() waits for file i and hands over its result (the
 * caller releases it) or its error. hub_prefetch_free() stops the thread
 * and frees the rest. */
struct hub_prefetch;
int hub_prefetch_start(struct hub_prefetch **out, const char *repo, const char *revision,
		       const char *const *paths, size_t n, struct lm_err *err);
int hub_prefetch_get(struct hub_prefetch *p, size_t i, struct hub_resolved *out,
		     struct lm_err *err);
void hub_prefetch_free(struct hub_prefetch *p);

struct lm_http_response;
/* Turn a non-2xx/3xx Hub answer into an error: RepoNotFound or 401 without a
 * token -> LM_ENOTFOUND, GatedRepo -> LM_ENET (set HF_TOKEN, request access),
 * 429 -> LM_ENET with when to retry, others -> LM_ENET/LM_EFAIL. what names
 * the object ("repo 'org/x'"). Returns LM_OK for a success status. */
int hub_check_status(const struct lm_hub *hub, const struct lm_http_response *r,
		     const char *repo, const char *what, struct lm_err *err);

/* ---- GGUF naming, grouping, selection (hub_files.c) ----------------- */

/* The quant label of a file ("Q4_K_M", "IQ2_XXS", "F16", "BF16"), looked up
 * in the file name then the folders, upper case; "" when none. */
void hub_quant_label(const char *path, char *buf, size_t size);
/* 1 when quant equals whole tokens of the path (split on '/', '-', '.'),
 * case-insensitively: "Q4_K" does not match "Q4_K_M"; "UD-Q4_K_XL" matches
 * "m-UD-Q4_K_XL.gguf". */
int hub_quant_match(const char *path, const char *quant);
/* Split part "-00002-of-00003.gguf": *index (1-based), *count; 0 when not split. */
int hub_split_info(const char *path, int *index, int *count);
/* The path of part `index` of a split file (caller frees), or NULL. */
char *hub_split_part(const char *path, int index);
/* 1 for mmproj / imatrix files (never picked automatically). */
int hub_is_aux(const char *path);
/* 1 for "*.gguf" (case-insensitive). */
int hub_is_gguf(const char *path);

/* A model in a repo: one file, or all parts of a split file. */
struct hub_group {
	char quant[32];
	uint64_t size;        /* all parts */
	int nparts;           /* parts found */
	int count;            /* parts expected (1 when not split) */
	int aux;              /* mmproj / imatrix */
	const struct hub_file **parts; /* borrowed from the file list, in order */
};

void hub_group_list_free(struct hub_group *g, size_t n);
/* Group the GGUF files of a listing, sorted by path. */
int hub_group_files(const struct hub_file *files, size_t nfiles, struct hub_group **out,
		    size_t *n);

/* Decides whether a group fits this machine: 1 fits, 0 does not, -1 unknown. */
typedef int (*hub_fits_fn)(void *ctx, const struct hub_group *g);

/* Pick the group to pull: an explicit quant (exact token match, any folder,
 * never aux), a --file path (its group, aux allowed), or the best quant that
 * fits (Q4_K_M preferred). LM_ENOTFOUND when nothing matches, LM_EUSAGE when
 * a quant is ambiguous, LM_ERESOURCE when nothing fits. */
int hub_select(const struct hub_group *groups, size_t n, const char *quant, const char *file,
	       hub_fits_fn fits, void *fits_ctx, size_t *chosen, struct lm_err *err);

#endif
