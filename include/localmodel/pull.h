/*
 * pull: getting one repo file into localmodel's models directory safely:
 * the free-space check, a per-file lock (flock on "<final>.lock" beside the
 * partial file), reuse of an identical file already on disk (hard link, or
 * copy when linking is impossible), the download into "<final>.part"
 * (resumable, verified by http.c) and the atomic rename into place.
 * Nothing here prints; waiting and progress go to callbacks.
 */
#ifndef LOCALMODEL_PULL_H
#define LOCALMODEL_PULL_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include "base.h"
#include "http.h"

/* Free bytes on the filesystem holding dir (or its nearest existing
 * parent). LOCALMODEL_TEST_FREE_BYTES overrides the figure: for tests only. */
int pull_free_space(const char *dir, uint64_t *out, struct lm_err *err);
/* LM_ERESOURCE unless need + 1 GiB is free at dir. */
int pull_check_space(const char *dir, uint64_t need, struct lm_err *err);

struct lm_fit_machine;
/* Whether a model file of `bytes` fits machine mc with `reserve` bytes of
 * RAM kept free, by the fit estimator. The header of a remote file is not
 * read: the shape comes from the built-in catalog when it knows repo (may
 * be NULL), else a generic 32-layer one. 1 fits, 0 does not, -1 unknown. */
int pull_fits_size(const struct lm_fit_machine *mc, uint64_t reserve, const char *repo,
		   uint64_t bytes);

enum pull_how {
	PULL_PRESENT = 0, /* already at the final path */
	PULL_DOWNLOADED,
	PULL_LINKED,      /* hard link to an identical file */
	PULL_COPIED,      /* copy of an identical file (linking impossible) */
};

const char *pull_how_name(enum pull_how h); /* "present", "downloaded", ... */

/* Another process holds the lock (pid, or 0 when unknown): we wait. */
typedef void (*pull_wait_fn)(void *ctx, const char *final_path, long pid);

struct pull_file {
	const char *url;     /* download URL (the Hub's resolve URL) */
	const char *start_url; /* where url redirects to, when known, or NULL */
	const char *dest;    /* final path */
	uint64_t size;       /* expected size */
	const char *sha256;  /* expected lowercase hex, or NULL (not an LFS file) */
	const char *git_sha1; /* plain git file: its blob id (tree "oid"), or NULL */
	const char *repo;    /* "org/repo", to look in other caches first */
	int trusted;         /* dest, when present with the right size, was verified
				before (inventory): do not hash it again */
	const char *const *candidates; /* other files that should be identical
					  (localmodel's own models), NULL-terminated */
};

struct pull_opts {
	int connections;
	lm_dl_progress_fn progress;
	void *progress_ctx;
	pull_wait_fn wait;
	void *wait_ctx;
	volatile sig_atomic_t *cancel;
};

struct pull_result {
	enum pull_how how;
	const char *source;      /* "hf-cache", "llama-cache", "localmodel" when reused */
	char from[PATH_MAX];     /* the file reused */
	char sha256[65];         /* of the final file, "" when unknown */
};

/* Lock, then: present, reuse, or download + verify + rename. Directories
 * of dest are created. LM_EINTEGRITY on a mismatch (nothing at dest),
 * LM_EFAIL with "interrupted" when cancelled (the partial file is kept). */
int pull_fetch(struct lm_http *h, const struct pull_file *f, const struct pull_opts *o,
	       struct pull_result *r, struct lm_err *err);

/* Verify a plain git (non-LFS) file against its git blob id, SHA-1 of
 * "blob <size>\0" + content; sha256_out gets the SHA-256 of the same bytes.
 * LM_EINTEGRITY on a mismatch. */
int pull_verify_git_blob(const char *path, const char *git_sha1, char sha256_out[65],
			 struct lm_err *err);

#endif
