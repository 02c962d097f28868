/*
 * runtime: the llama.cpp runtime (llama-server) under <data>/runtime/, in
 * four files: the choice of release asset for this machine
 * (runtime_asset.c); release discovery on the GitHub API (runtime_github.c:
 * the 2026-08 scheme, b<N> prereleases carry the binaries, vX.Y.Z full
 * releases only a nightly-tag.txt naming their b<N>); download and digest
 * check, safe extraction (archive.h), the `llama-server --version` check
 * and the layout on disk (runtime.c); llama-server's command line and the
 * router preset (runtime_server.c). The layout:
 *
 *   runtime/<tag>-<backend>/            one build (b10600-cpu, b10587-local)
 *   runtime/<tag>-<backend>/.localmodel.json   what it is and where it came from
 *   runtime/current  -> <tag>-<backend>  switched atomically (symlink + rename)
 *   runtime/previous -> <tag>-<backend>  the build before, for rollback
 *
 * Builds other than current and previous are pruned. Nothing here prints;
 * structs are plain (fixed buffers) unless a field says it is owned, and
 * rt_release_release frees those.
 */
#ifndef LOCALMODEL_RUNTIME_H
#define LOCALMODEL_RUNTIME_H

#include <limits.h>
#include <signal.h>
#include "base.h"
#include "http.h"

struct lm_hw;

#define RT_DEFAULT_API "https://api.github.com"
#define RT_REPO "ggml-org/llama.cpp"

/* What the asset choice depends on. */
struct rt_platform {
	char os[16];   /* "linux", "darwin", "windows" or what uname says */
	char arch[16]; /* "x64", "arm64" or what uname says */
	int nvidia;    /* an NVIDIA GPU is present */
	int amd;       /* an AMD GPU is present */
	int vulkan;    /* a Vulkan loader was found */
};

/* Fill p from a hardware probe (hw may be NULL: uname only). */
void rt_platform_from_hw(const struct lm_hw *hw, struct rt_platform *p);
/* Resolve requested ("auto", NULL or a backend name) to a backend this
 * platform has archives for. note (may be NULL) gets a sentence explaining
 * an automatic choice worth telling (NVIDIA on Linux -> vulkan), else "". */
int rt_choose_backend(const struct rt_platform *p, const char *requested, char backend[16],
		      char *note, size_t nsize, struct lm_err *err);
/* fnmatch pattern of the asset name for tag and backend on p, e.g.
 * "llama-b10600-bin-ubuntu-rocm-*-x64.tar.gz". */
int rt_asset_pattern(const struct rt_platform *p, const char *backend, const char *tag,
		     char *buf, size_t size, struct lm_err *err);
/* Build number of a "b<N>" tag, or -1. */
long rt_tag_build(const char *tag);

/* ---- GitHub releases ------------------------------------------------ */

struct rt_client;

/* api: LOCALMODEL_GITHUB_API or NULL for the default; token: GITHUB_TOKEN
 * or NULL, sent as a Bearer token to the API host only. */
int rt_client_new(struct rt_client **out, const char *api, const char *token,
		  struct lm_err *err);
void rt_client_free(struct rt_client *c);

struct rt_release {
	char tag[64];     /* "b10600" */
	long build;       /* 10600 */
	char via[64];     /* "v0.2.0" when found through its nightly-tag.txt, else "" */
	char asset[256];  /* asset file name */
	char *url;        /* browser_download_url (owned) */
	uint64_t size;
	char sha256[65];  /* from the asset's digest; "" when it has none */
};
void rt_release_release(struct rt_release *r);

/* The newest non-draft release with an asset for backend on p (tag NULL),
 * or the release tag (a vX.Y.Z tag is followed to its b<N>). LM_ENOTFOUND
 * when none has it; LM_ENET with the reset time when rate limited. */
int rt_find(struct rt_client *c, const struct rt_platform *p, const char *backend,
	    const char *tag, struct rt_release *out, struct lm_err *err);

/* ---- installed runtimes --------------------------------------------- */

struct rt_info {
	char name[128];        /* "b10600-cpu": the directory under runtime/ */
	char dir[PATH_MAX];    /* runtime/<name> */
	char server[PATH_MAX]; /* runtime/<name>/llama-server */
	char tag[64];          /* "b10600" */
	long build;            /* 10600; 0 when unknown */
	char backend[16];      /* "cpu", "vulkan", "rocm", "metal", "local" */
	char source[16];       /* "github" or "path" */
	char origin[PATH_MAX]; /* asset name, or the registered llama-server path */
	char sha256[65];       /* of the archive, "" when unverified */
	char installed_at[32]; /* ISO-8601 UTC */
	char version[64];      /* "0.2.0-dev" */
	char commit[64];
};

/* The one JSON form of a runtime record, for its file on disk and for
 * --json output (install, update, status): tag, build, backend, source,
 * origin, sha256 (null when unverified), installed_at, version, commit, and
 * with where != 0 also name, path and server. Owned by the caller. */
struct cJSON *rt_info_json(const struct rt_info *info, int where);

struct rt_install {
	const char *runtime_dir;
	const struct rt_release *rel;
	const char *backend;
	int force;                     /* accept no digest; reinstall an installed build */
	lm_dl_progress_fn progress;    /* may be NULL */
	void *progress_ctx;
	volatile sig_atomic_t *cancel; /* may be NULL */
	int already;                   /* out: the build was installed already (no download) */
};

/* Download, verify, extract, check with --version, record, switch
 * runtime/current and prune. Fills out with the new current runtime. */
int rt_install_release(struct rt_client *c, struct rt_install *in, struct rt_info *out,
		       struct lm_err *err);
/* Register an existing llama-server (no download) after the same check,
 * as runtime/<tag>-local/llama-server -> its absolute path, and switch. */
int rt_register_path(const char *runtime_dir, const char *server, struct rt_info *out,
		     struct lm_err *err);

/* Run `server --version` (posix_spawn, 10 s limit) and parse its stderr
 * "version: V (build N, commit C)". Buffers may be NULL. */
int rt_version(const char *server, long *build, char *version, size_t vsize, char *commit,
	       size_t csize, struct lm_err *err);

/* The current runtime; LM_ERUNTIME when none is installed. */
int rt_current(const char *runtime_dir, struct rt_info *out, struct lm_err *err);
/* The previous runtime; LM_ERUNTIME when there is none. */
int rt_previous(const char *runtime_dir, struct rt_info *out, struct lm_err *err);
/* The llama-server to run (runtime/current resolved to its real path, so a
 * later switch does not change what a running server was started from);
 * LM_ERUNTIME when none is installed. */
int rt_server_path(const char *runtime_dir, char *buf, size_t size, struct lm_err *err);
/* 1 when what a server runs (the path it was started from, a runtime name
 * "b10600-cpu" or a tag "b10600") is not the current runtime, i.e. a
 * restart would pick up another build; 0 when it is, or nothing is
 * installed. */
int rt_restart_needed(const char *runtime_dir, const char *running);

/* Point runtime/current at name; the old current becomes runtime/previous. */
int rt_switch(const char *runtime_dir, const char *name, struct lm_err *err);
/* Swap current and previous; LM_ERUNTIME when there is no previous. */
int rt_rollback(const char *runtime_dir, struct lm_err *err);
/* Remove installed builds other than current and previous (only
 * directories this program made: they hold .localmodel.json), and the work
 * directories of installs that died. Call it holding rt_lock. */
int rt_prune(const char *runtime_dir, int *removed, struct lm_err *err);

/* One installer at a time: an exclusive lock on runtime/.lock.
 * LM_ESTATE when another install or update holds it. */
int rt_lock(const char *runtime_dir, int *fd, struct lm_err *err);
void rt_unlock(int fd);

/* ---- llama-server's command line (runtime_server.c) ------------------- */

/* One model for llama-server, with what the fit chose for it. */
struct rt_model {
	const char *name; /* inventory name (a router preset's section) */
	const char *path;
	long ctx;         /* 0: unknown, 4096 */
	const char *ngl;  /* "-ngl" value, "" or NULL: auto */
	const char *kv;   /* KV cache type, NULL: the server's */
};

/* What a llama-server accepts: the flags its own --help lists, so that a
 * flag a build lacks is never passed (llama.cpp renames and drops flags
 * between builds). */
struct rt_caps {
	char *flags; /* "\n--a\n--b\n...", owned */
};

/* The flags of a --help text (every "-x, --name VALUE  help" line). 0 when
 * at least one was found. */
int rt_caps_parse(const char *help, struct rt_caps *c);
/* The flags of server, from cache_dir (one file per binary: its path, size
 * and modification time) or from running `server --help` (then cached;
 * cache_dir may be NULL or unwritable). */
int rt_caps_load(const char *server, const char *cache_dir, struct rt_caps *c,
		 struct lm_err *err);
int rt_caps_has(const struct rt_caps *c, const char *flag);
void rt_caps_release(struct rt_caps *c);

/* Everything the command line is made of. Never an API key: only the file
 * that holds it. */
struct rt_server {
	const char *binary;
	int router;                   /* --all: models[] through a preset */
	const struct rt_model *models;
	size_t nmodels;               /* 1 unless router */
	const char *alias;            /* single model: the name the API serves */
	const char *preset_path;      /* router: where the preset is written */
	long max_loaded;              /* router: models loaded at once */
	const char *host;
	long port;
	const char *flash_attn;       /* on, off, auto */
	const char *kv;               /* the default KV cache type */
	long parallel, idle;          /* 0: not given */
	const char *key_file;         /* NULL or "": no key */
	int kv_unified;               /* the slots share one KV cache */
	const struct rt_caps *caps;   /* what the binary accepts; NULL: unknown */
	char *const *extra;           /* given after "--", passed last */
	int nextra;
};

/* The KV cache type for a model whose attention heads are key_len and
 * val_len wide: llama.cpp's quantized caches store blocks of 32 values per
 * head and refuse a head that is not a multiple of 32 wide ("does not divide
 * n_embd_head_k"), so such a model gets f16 unless the type was chosen by
 * the user (explicit). */
const char *rt_kv_for_heads(const char *kv, int explicit_kv, unsigned key_len, unsigned val_len);
/* The llama-server argv (NULL-ended; free with rt_argv_free). Safety flags
 * the binary has are always added: --cors-origins localhost (no web page of
 * another origin may call the server), --no-slots (unless "--slots" is
 * among the extra arguments: /slots shows other users' prompts), and in
 * router mode --offline (no request can start a download). */
char **rt_server_argv(const struct rt_server *s);
void rt_argv_free(char **argv);
/* The router's --models-preset text: the defaults (flash attention, KV
 * cache type) in [*], then a section per model with its context, GPU layers
 * and (when not the default) KV cache type. Owned by the caller. */
char *rt_server_preset(const struct rt_server *s);
/* The preset section name for an inventory name that the router keeps as
 * it is: llama.cpp rewrites the part after ':' to its last
 * [-.]([A-Z0-9_]+)$ match, upper-cased ("org/r:UD-Q4_K_XL" would answer as
 * "org/r:Q4_K_XL" and could clash with another model), so that part is
 * upper-cased with '-' and '.' made '_'; the inventory name then goes in
 * the section as an alias, which the router also routes by. */
void rt_preset_name(const char *name, char *out, size_t size);

#endif
