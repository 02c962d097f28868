/* serve: serve a model (or every model, router mode) with a supervised
 * llama-server, detached unless --foreground; or print a service unit. */
#include "localmodel/cmd.h"
#include "localmodel/fit.h"
#include "localmodel/guard.h"
#include "serve_admit.h"
#include "serve_unit.h"
#include "localmodel/predict.h"
#include "localmodel/gguf.h"
#include "localmodel/hub.h"
#include "localmodel/hw.h"
#include "localmodel/os.h"
#include "localmodel/otherstores.h"
#include "localmodel/paths.h"
#include "localmodel/runtime.h"
#include "localmodel/store.h"
#include "localmodel/supervise.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const struct lm_opt opts[] = {
	{ "port", 'p', LM_OPT_VALUE, "N", "port (8080)" },
	{ "host", 0, LM_OPT_VALUE, "H", "address to bind (127.0.0.1)" },
	{ "ctx", 'c', LM_OPT_VALUE, "N|auto", "context size (auto: the largest that fits)" },
	{ "parallel", 0, LM_OPT_VALUE, "N", "parallel slots" },
	{ "gpu-layers", 0, LM_OPT_VALUE, "N|auto", "layers to offload to the GPU" },
	{ "flash-attn", 0, LM_OPT_VALUE, "on|off|auto", "flash attention (auto)" },
	{ "kv-cache", 0, LM_OPT_VALUE, "TYPE", "KV cache type (q8_0 unless flash attention is off)" },
	{ "api-key-file", 0, LM_OPT_VALUE, "F", "file holding the API key" },
	{ "alias", 0, LM_OPT_VALUE, "NAME", "model name served by the API" },
	{ "idle-unload", 0, LM_OPT_VALUE, "SECONDS", "unload the model after SECONDS idle" },
	{ "all", 0, LM_OPT_FLAG, NULL, "serve every installed model (router mode)" },
	{ "max-loaded", 0, LM_OPT_VALUE, "N", "with --all: models loaded at once (1)" },
	{ "foreground", 0, LM_OPT_FLAG, NULL, "run the supervisor in the foreground" },
	{ "force", 0, LM_OPT_FLAG, NULL, "serve even if the model does not fit" },
	{ "keep", 0, LM_OPT_VALUE, "MODELS", "models the memory guard never stops or unloads (comma-separated)" },
	{ "timeout", 0, LM_OPT_VALUE, "SECONDS", "wait this long for the server to be healthy" },
	{ "print-service", 0, LM_OPT_VALUE, "systemd|launchd", "print a service definition and exit" },
	{ "rpc-worker", 0, LM_OPT_FLAG, NULL, "run llama.cpp's RPC server for a head machine (serve_rpc.c)" },
	{ "rpc", 0, LM_OPT_VALUE, "HOST:PORT[,...]", "split the model over these RPC workers" },
	{ "rpc-memory", 0, LM_OPT_VALUE, "SIZE[,...]", "with --rpc: memory each worker gives" },
	LM_OPT_END,
};

/* One model to serve, with what the fit estimate chose for it. */
struct target {
	char *name;       /* inventory name, or the path */
	char *path;
	uint64_t size;
	long ctx;         /* -c: all slots together; 0: fit failed, 4096 per slot */
	long ctx_slot;    /* what each slot can use */
	char ngl[16];     /* "-ngl" value */
	const char *kv;   /* KV cache type for this model */
	int fits;
	int fits_machine; /* not in what is free now, but in the machine */
	uint64_t expected; /* the fit's total at that context (0: unknown) */
	char predicted[160]; /* the speed prediction, said once serving */
};

struct serve {
	struct lm_ctx *ctx;
	struct lm_args *args;
	char llama[PATH_MAX];
	struct target *t;
	size_t nt;
	int router;
	char alias[256];
	char host[256];
	long port;
	long ctx_size;    /* 0 = auto */
	long ngl;         /* -1 = auto */
	const char *fa;
	const char *kv;
	long parallel, idle, max_loaded, timeout_s;
	char key_file[PATH_MAX];
	int key_generated;
	char log_path[PATH_MAX];
	char ini_path[PATH_MAX];
	char session[40];
	char **argv;      /* llama-server's, from the runtime layer */
	char **name_map;  /* router: preset names and inventory names, in pairs */
	char **child_env; /* router: the environment that keeps it from the Hub */
	struct lm_model *external; /* a model of another tool's store, served by
				      its name: recorded read-only in the inventory */
	struct rt_caps caps; /* what that llama-server accepts */
	int kv_unified;   /* --parallel: the slots share one KV cache */
	long ctx_slot;    /* context each slot can use */
	int lock_fd;
	char holders[2048]; /* who holds the memory now (serve_admit.c) */
	char keep[1024];    /* --keep and the keep key, for the state file */
	uint64_t *model_bytes; /* router: each model's expected size */
};

static void targets_free(struct serve *s)
{
	for (size_t i = 0; i < s->nt; i++) {
		free(s->t[i].name);
		free(s->t[i].path);
	}
	free(s->t);
	s->t = NULL;
	s->nt = 0;
}


/* ---- options --------------------------------------------------------- */

/* "N" or "auto" (-> 0 / -1). */
static int parse_auto(const char *v, const char *name, long min, long max, long autoval,
		      long *out, struct lm_err *err)
{
	if (!v)
		return LM_OK;
	if (!strcmp(v, "auto")) {
		*out = autoval;
		return LM_OK;
	}
	if (lm_parse_long(v, min, max, out) < 0)
		return lm_err_set(err, LM_EUSAGE, "bad value for '--%s': '%s' (want N or auto)",
				  name, v);
	return LM_OK;
}

static int parse_options(struct serve *s, struct lm_err *err)
{
	const struct lm_args *a = s->args;
	const struct lm_config *cfg = &s->ctx->cfg;
	int rc;

	s->port = cfg->port;
	lm_strlcpy(s->host, args_get(a, "host") ? args_get(a, "host") : cfg->host,
		   sizeof(s->host));
	s->ngl = -1;
	s->fa = args_get(a, "flash-attn") ? args_get(a, "flash-attn") : "auto";
	s->max_loaded = 1;
	if ((rc = args_get_long(a, "port", 1, 65535, &s->port, err)) ||
	    (rc = args_get_long(a, "parallel", 1, 256, &s->parallel, err)) ||
	    (rc = args_get_long(a, "idle-unload", 1, 86400 * 365, &s->idle, err)) ||
	    (rc = args_get_long(a, "max-loaded", 0, 1024, &s->max_loaded, err)) ||
	    (rc = args_get_long(a, "timeout", 1, 86400, &s->timeout_s, err)) ||
	    (rc = parse_auto(args_get(a, "ctx"), "ctx", 256, 1L << 24, 0, &s->ctx_size, err)) ||
	    (rc = parse_auto(args_get(a, "gpu-layers"), "gpu-layers", 0, 100000, -1, &s->ngl,
			     err)))
		return rc;
	if (strcmp(s->fa, "on") && strcmp(s->fa, "off") && strcmp(s->fa, "auto"))
		return lm_err_set(err, LM_EUSAGE, "bad value for '--flash-attn': '%s' (want on, off or auto)",
				  s->fa);
	s->kv = args_get(a, "kv-cache");
	if (s->kv) {
		static const char *const kinds[] = { "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1",
						     "iq4_nl", "q5_0", "q5_1", NULL };
		int ok = 0;
		for (int i = 0; kinds[i]; i++)
			ok |= !strcmp(kinds[i], s->kv);
		if (!ok)
			return lm_err_set(err, LM_EUSAGE, "bad value for '--kv-cache': '%s' (want f16, q8_0, q4_0, ...)",
					  s->kv);
	} else {
		/* q8_0 needs flash attention for V; llama.cpp's auto turns it on on
		 * every backend of its release builds */
		s->kv = strcmp(s->fa, "off") ? "q8_0" : "f16";
	}
	s->router = args_has(a, "all");
	if (s->router && a->npos)
		return lm_err_set(err, LM_EUSAGE, "--all serves every model: give no MODEL");
	if (args_has(a, "max-loaded") && !s->router)
		return lm_err_set(err, LM_EUSAGE, "--max-loaded goes with --all");
	if (s->router && args_has(a, "rpc"))
		return lm_err_set(err, LM_EUSAGE, "--rpc serves one model: not with --all");
	if (s->router && args_has(a, "alias"))
		return lm_err_set(err, LM_EUSAGE, "--alias does not go with --all");
	return args_want_pos(a, 0, 1, err);
}

/* ---- the runtime ----------------------------------------------------- */

/* LOCALMODEL_LLAMA_SERVER, else the installed runtime's llama-server
 * (resolved, so that status tells when runtime/current moves on). */
static int find_llama(struct serve *s, struct lm_err *err)
{
	const char *env = getenv("LOCALMODEL_LLAMA_SERVER");

	if (env && *env) {
		if (access(env, X_OK) < 0)
			return lm_err_set(err, LM_ERUNTIME, "LOCALMODEL_LLAMA_SERVER '%s' is not executable: %s",
					  env, strerror(errno));
		if (!realpath(env, s->llama))
			lm_strlcpy(s->llama, env, sizeof(s->llama));
		return LM_OK;
	}
	if (rt_server_path(s->ctx->paths.runtime_dir, s->llama, sizeof(s->llama), err))
		return lm_err_set(err, LM_ERUNTIME, "no llama-server installed (run 'localmodel install')");
	return LM_OK;
}

/* ---- the model -------------------------------------------------------- */

static void target_add(struct serve *s, const char *name, const char *path, uint64_t size)
{
	s->t = lm_xrealloc(s->t, (s->nt + 1) * sizeof(*s->t));
	memset(&s->t[s->nt], 0, sizeof(s->t[0]));
	s->t[s->nt].name = lm_xstrdup(name);
	s->t[s->nt].path = lm_xstrdup(path);
	s->t[s->nt].size = size;
	s->nt++;
}

static int looks_like_path(const char *m)
{
	return lm_ends_with_ci(m, ".gguf") || m[0] == '/' || m[0] == '.' || m[0] == '~';
}

/* Keep a model of another store to record in the inventory (read-only,
 * under the name `models --all` gives it) once the server starts. */
static void take_external(struct serve *s, struct lm_model *m)
{
	s->external = lm_xcalloc(1, sizeof(*s->external));
	*s->external = *m;
	memset(m, 0, sizeof(*m));
}

/* The model of another tool's store that real names (a file or a
 * symlink to it, as the HF cache has), or NULL. */
static struct lm_model *external_by_path(struct lm_model *ext, size_t n, const char *real)
{
	for (size_t i = 0; i < n; i++) {
		char other[PATH_MAX];
		if (ext[i].file_path && realpath(ext[i].file_path, other) && !strcmp(other, real))
			return &ext[i];
	}
	return NULL;
}

/* A .gguf given by path; named after its inventory row when it has one,
 * else after the other store that holds it (not its blob's hash). */
static int resolve_path(struct serve *s, const char *arg, struct lm_model *list, size_t n,
			struct lm_err *err)
{
	char real[PATH_MAX];
	struct stat sb;
	struct lm_model *ext = NULL, *hit;
	size_t next = 0;
	struct lm_err ignored = { 0 };

	if (!realpath(arg, real) || stat(real, &sb) < 0)
		return lm_err_set(err, LM_ENOTFOUND, "cannot open '%s': %s", arg, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return lm_err_set(err, LM_ENOTFOUND, "'%s' is not a file", arg);
	for (size_t i = 0; i < n; i++) {
		char other[PATH_MAX];
		if (list[i].file_path && realpath(list[i].file_path, other) && !strcmp(other, real)) {
			target_add(s, list[i].model, real, (uint64_t)list[i].size_bytes);
			return LM_OK;
		}
	}
	if (stores_scan(STORES_ALL, &ext, &next, &ignored) == LM_OK &&
	    (hit = external_by_path(ext, next, real))) {
		target_add(s, hit->model, real, (uint64_t)hit->size_bytes);
		take_external(s, hit);
	} else {
		target_add(s, real, real, (uint64_t)sb.st_size);
	}
	store_model_list_free(ext, next);
	return LM_OK;
}

/* A name that only another tool's store has (as `models --all` lists it). */
static int resolve_external(struct serve *s, const char *arg, struct lm_err *err)
{
	struct lm_model *ext = NULL, *hit = NULL;
	size_t n = 0, nhit = 0;
	struct lm_err ignored = { 0 };

	if (stores_scan(STORES_ALL, &ext, &n, &ignored))
		return LM_ENOTFOUND;
	for (size_t i = 0; i < n && !hit; i++)
		if (!strcmp(ext[i].model, arg))
			hit = &ext[i], nhit = 1;
	for (size_t i = 0; i < n && !hit; i++)
		if (!strncasecmp(ext[i].model, arg, strlen(arg)))
			nhit++;
	for (size_t i = 0; i < n && !hit && nhit == 1; i++)
		if (!strncasecmp(ext[i].model, arg, strlen(arg)))
			hit = &ext[i];
	int rc = LM_ENOTFOUND;
	if (nhit > 1 && !hit) {
		rc = lm_err_set(err, LM_EUSAGE, "'%s' matches %zu models of other stores (see "
				"'localmodel models --all')", arg, nhit);
	} else if (hit && hit->file_path && access(hit->file_path, R_OK) == 0) {
		target_add(s, hit->model, hit->file_path, (uint64_t)hit->size_bytes);
		take_external(s, hit);
		rc = LM_OK;
	}
	store_model_list_free(ext, n);
	return rc;
}

/* A name, a unique prefix of one, or (none) the most recently used. */
static int resolve_name(struct serve *s, const char *arg, struct lm_model *list, size_t n,
			struct lm_err *err)
{
	struct lm_model *hit = NULL;
	size_t nhit = 0;
	char names[400] = "";
	int exact = 0;

	if (!n)
		return lm_err_set(err, LM_ENOTFOUND, "no models installed (see 'localmodel pull')");
	for (size_t i = 0; i < n && arg; i++)
		if (!strcmp(list[i].model, arg))
			hit = &list[i], nhit = 1, exact = 1;
	if (!arg) {
		for (size_t i = 0; i < n; i++)
			if (list[i].last_used && (!hit || strcmp(list[i].last_used, hit->last_used) > 0))
				hit = &list[i];
		if (!hit && n == 1)
			hit = &list[0];
		if (!hit)
			return lm_err_set(err, LM_EUSAGE, "no MODEL given and none used yet: name one (see 'localmodel models')");
		nhit = 1;
		exact = 1;
	}
	for (size_t i = 0; i < n && !exact; i++)
		if (!strncasecmp(list[i].model, arg, strlen(arg))) {
			if (nhit++ < 4)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s'%s'",
					 nhit > 1 ? ", " : "", list[i].model);
			hit = &list[i];
		}
	for (size_t i = 0; i < n && nhit > 1; i++) /* exact match ignoring case wins */
		if (!strcasecmp(list[i].model, arg))
			hit = &list[i], nhit = 1;
	if (nhit > 1)
		return lm_err_set(err, LM_EUSAGE, "'%s' matches %zu models: %s%s", arg, nhit, names,
				  nhit > 4 ? ", ..." : "");
	if (!hit)
		return lm_err_set(err, LM_ENOTFOUND, "no model '%s' (see 'localmodel models')", arg);
	if (!hit->file_path || access(hit->file_path, R_OK) < 0)
		return lm_err_set(err, LM_ENOTFOUND, "the file of '%s' is missing: '%s'", hit->model,
				  hit->file_path ? hit->file_path : "");
	target_add(s, hit->model, hit->file_path, (uint64_t)hit->size_bytes);
	return LM_OK;
}

static int resolve_models(struct serve *s, struct lm_err *err)
{
	struct lm_model *list = NULL;
	size_t n = 0;
	const char *arg = s->args->npos ? s->args->pos[0] : NULL;
	int rc;

	if (s->ctx->store && (rc = store_model_list(s->ctx->store, &list, &n, err)))
		return rc;
	if (s->router) {
		/* projectors (mmproj) and imatrix files are not models to serve */
		for (size_t i = 0; i < n; i++)
			if (list[i].file_path && access(list[i].file_path, R_OK) == 0 &&
			    !hub_is_aux(list[i].file_path))
				target_add(s, list[i].model, list[i].file_path,
					   (uint64_t)list[i].size_bytes);
		rc = s->nt ? LM_OK : lm_err_set(err, LM_ENOTFOUND, "no models installed (see 'localmodel pull')");
	} else if (arg && looks_like_path(arg)) {
		rc = resolve_path(s, arg, list, n, err);
	} else if (arg && !n && access(arg, R_OK) == 0) {
		rc = resolve_path(s, arg, list, n, err);
	} else {
		rc = resolve_name(s, arg, list, n, err);
		if (arg && (rc == LM_ENOTFOUND || !n)) {
			struct lm_err e2 = { 0 };
			int rc2 = resolve_external(s, arg, &e2);
			if (rc2 != LM_ENOTFOUND) {
				rc = rc2;
				*err = e2;
			}
		}
	}
	store_model_list_free(list, n);
	return rc;
}

/* ---- the fit ---------------------------------------------------------- */

/* --parallel N: each slot keeps the context the fit chose, -c scaled by N
 * when that fits; else the slots share one KV cache of that size (unified,
 * where the runtime has it: any one request may still use all of it); else
 * each slot gets 1/N of it, and serve says so. */
static void spread_slots(struct serve *s, const struct lm_fit_model *m,
			 const struct lm_fit_machine *mc, struct lm_fit_opts *o, struct target *t)
{
	struct lm_fit_result r;
	struct lm_err ignored = { 0 };

	o->ctx = (uint32_t)(t->ctx_slot * o->parallel);
	if (fit_estimate(m, mc, o, &r, &ignored) == 0 && r.verdict != LM_FIT_NO_FIT &&
	    r.ctx >= o->ctx) {
		t->ctx = o->ctx;
		return;
	}
	if (!s->router && rt_caps_has(&s->caps, "--kv-unified")) {
		s->kv_unified = 1;
		return;
	}
	t->ctx_slot = t->ctx / o->parallel;
	ui_warn(s->ctx, "'%s': %d slots of %ld tokens each fit, not %d of %ld (--ctx or --parallel "
		"lower to change it)", t->name, o->parallel, t->ctx_slot, o->parallel, t->ctx);
}

/* Estimate memory for one model on this machine; NO_FIT -> LM_ERESOURCE
 * saying how much is missing and what would fit. Other failures (an
 * unreadable header) leave t->ctx 0 and return a message for a warning. */
static int fit_target(struct serve *s, const struct lm_machine *mach, struct target *t,
		      struct lm_err *warn, struct lm_err *err)
{
	struct lm_gguf g;
	struct lm_fit_model *m = lm_xcalloc(1, sizeof(*m));
	const struct lm_fit_machine *mc = &mach->now;
	struct lm_fit_opts o;
	struct lm_fit_result r, r2;
	enum lm_cache_type ct = LM_CACHE_F16;
	int rc = LM_OK;
	char need[32], miss[32], avail[32];

	t->fits = 1;
	t->kv = s->kv;
	memset(&g, 0, sizeof(g));
	if (gguf_read_model(t->path, &g, warn) || fit_model_from_gguf(m, &g, warn))
		goto out;
	t->kv = rt_kv_for_heads(s->kv, args_get(s->args, "kv-cache") != NULL, g.key_length,
				g.value_length);
	fit_opts_default(&o);
	o.ctx = (uint32_t)s->ctx_size;
	if (fit_cache_parse(t->kv, &ct) == 0)
		o.cache = ct;
	o.reserve_bytes = mach->reserve;
	o.parallel = s->parallel > 0 ? (int)s->parallel : 1;
	/* a forced -ngl is passed as given; the verdict uses the best placement */
	o.gpu_layers = -1;
	if (fit_estimate(m, mc, &o, &r, warn))
		goto out;
	t->ctx = t->ctx_slot = r.ctx;
	t->expected = r.total_bytes;
	if (o.parallel > 1 && r.verdict != LM_FIT_NO_FIT)
		spread_slots(s, m, mc, &o, t);
	snprintf(t->ngl, sizeof(t->ngl), "%d", s->ngl >= 0 ? (int)s->ngl : r.gpu_layers);
	if (r.verdict != LM_FIT_NO_FIT) { /* the prediction (speed.h) */
		struct lm_speed_machine sm;
		struct lm_speed_result sp;
		ctx_speed(s->ctx, &mach->hw, mc, &sm, 1);
		predict_speed(m, &r, o.cache, &sm, &sp);
		snprintf(t->predicted, sizeof(t->predicted), "'%s': predicted ~%.1f tokens/s "
			 "generating, ~%.0f tokens/s reading the prompt", t->name, sp.decode_tok_s,
			 sp.prompt_tok_s);
	}
	if (r.verdict == LM_FIT_NO_FIT) {
		char hint[160] = "";
		struct lm_fit_result rp;
		int fits_machine = fit_estimate(m, &mach->plan, &o, &rp, warn) == 0 &&
				   rp.verdict != LM_FIT_NO_FIT;
		t->fits = 0;
		t->fits_machine = fits_machine;
		lm_format_size(r.total_bytes, need, sizeof(need));
		lm_format_size(r.missing_bytes, miss, sizeof(miss));
		o.ctx = 0;
		if (s->ctx_size > LM_FIT_MIN_CTX && fit_estimate(m, mc, &o, &r2, warn) == 0 &&
		    r2.verdict != LM_FIT_NO_FIT) {
			snprintf(hint, sizeof(hint), "it fits with --ctx %u", r2.ctx);
		} else {
			/* what is left for weights once the rest is paid for */
			uint64_t budget = r.total_bytes > r.missing_bytes ? r.total_bytes - r.missing_bytes : 0;
			uint64_t rest = r.total_bytes - r.weight_bytes;
			if (budget > rest) {
				lm_format_size(budget - rest, avail, sizeof(avail));
				snprintf(hint, sizeof(hint), "a model of at most %s would fit", avail);
			} else {
				snprintf(hint, sizeof(hint), "no model fits in the memory left");
			}
		}
		if (fits_machine)
			rc = admit_refuse(t->name, &r, mach, s->holders, hint, err);
		else
			rc = lm_err_set(err, LM_ERESOURCE,
					"'%s' does not fit: it needs %s at context %u, %s more than the memory "
					"available; %s (--force to try anyway)",
					t->name, need, r.ctx, miss, hint);
	}
out:
	gguf_release(&g);
	free(m);
	return rc;
}

/* Contexts the fit could not choose: --ctx (else 4096) for each slot. */
static void ctx_fallback(struct serve *s)
{
	long slots = s->parallel > 1 ? s->parallel : 1;

	for (size_t i = 0; i < s->nt; i++) {
		if (s->t[i].ctx)
			continue;
		s->t[i].ctx_slot = s->ctx_size ? s->ctx_size : 4096;
		s->t[i].ctx = s->t[i].ctx_slot * slots;
	}
	if (s->nt)
		s->ctx_slot = s->t[0].ctx_slot;
}

static int fit_each(struct serve *s, const struct lm_machine *mach, int force, struct lm_err *err);

static int fit_all(struct serve *s, struct lm_err *err)
{
	struct lm_machine *mach = lm_xcalloc(1, sizeof(*mach));
	int rc;

	/* budget against what is free now, less what the other servers will
	 * still grow to */
	admit_machine(s->ctx, (int)s->port, mach, s->holders, sizeof(s->holders));
	rc = fit_each(s, mach, args_has(s->args, "force"), err);
	free(mach);
	return rc;
}

static int fit_each(struct serve *s, const struct lm_machine *mach, int force, struct lm_err *err)
{
	struct lm_err warn = { 0 };
	int rc = LM_OK;

	if (!mach->ok) {
		ui_warn(s->ctx, "cannot probe the hardware: %s", mach->err.msg);
		return LM_OK;
	}
	for (size_t i = 0; i < s->nt; i++) {
		struct lm_err e = { 0 };
		lm_err_clear(&warn);
		rc = fit_target(s, mach, &s->t[i], &warn, &e);
		if (warn.msg[0])
			ui_warn(s->ctx, "cannot estimate the memory of '%s': %s", s->t[i].name, warn.msg);
		if (rc && force) {
			ui_warn(s->ctx, "%s", e.msg);
			rc = LM_OK;
		} else if (rc && s->router && s->t[i].fits_machine) {
			/* the guard makes room for it when the router loads it */
			ui_info(s->ctx, "'%s' does not fit in the memory free now: idle models will be "
				"unloaded to make room when it loads", s->t[i].name);
			rc = LM_OK;
		} else if (rc && s->router) {
			ui_warn(s->ctx, "skipped: %s", e.msg);
			rc = LM_OK;
		} else if (rc) {
			*err = e;
			return rc;
		}
	}
	if (s->router) { /* drop what does not fit */
		size_t k = 0;
		for (size_t i = 0; i < s->nt; i++) {
			if (s->t[i].fits || s->t[i].fits_machine || force) {
				s->t[k++] = s->t[i];
			} else {
				free(s->t[i].name);
				free(s->t[i].path);
			}
		}
		s->nt = k;
		if (!k)
			rc = lm_err_set(err, LM_ERESOURCE, "no installed model fits in memory (--force to try anyway)");
	}
	return rc;
}

static int fit_targets(struct serve *s, struct lm_err *err)
{
	int rc = fit_all(s, err);

	ctx_fallback(s);
	return rc;
}

/* ---- files ------------------------------------------------------------ */

/* Where this port's log and preset go. */
static int name_files(struct serve *s, struct lm_err *err)
{
	if (sup_file_path(s->ini_path, sizeof(s->ini_path), s->ctx->paths.run_dir, (int)s->port,
			  "ini") < 0 ||
	    snprintf(s->log_path, sizeof(s->log_path), "%s/server-%ld.log", s->ctx->paths.log_dir,
		     s->port) >= (int)sizeof(s->log_path))
		return lm_err_set(err, LM_EFAIL, "state directory path too long");
	return LM_OK;
}

static int prepare_dirs(struct serve *s, struct lm_err *err)
{
	int rc;

	if ((rc = paths_ensure_dir(s->ctx->paths.run_dir, err)) ||
	    (rc = paths_ensure_dir(s->ctx->paths.log_dir, err)))
		return rc;
	chmod(s->ctx->paths.run_dir, 0700);
	return LM_OK;
}

/* Refuse a port that one of ours or anything else already holds. */
static int check_port(struct serve *s, struct lm_err *err)
{
	char path[PATH_MAX];
	struct sup_state st;
	struct lm_err ignored = { 0 };
	int rc;

	if (sup_file_path(path, sizeof(path), s->ctx->paths.run_dir, (int)s->port, "state") == 0 &&
	    sup_state_read(path, &st, &ignored) == LM_OK) {
		if (sup_state_alive(&st))
			return lm_err_set(err, LM_ESTATE,
					  "'%s' is already served on port %d (supervisor pid %d); "
					  "stop it with 'localmodel stop --port %d'",
					  st.model, st.port, (int)st.sup_pid, st.port);
		sup_state_remove(s->ctx->paths.run_dir, st.port);
	}
	if ((rc = sup_lock_port(s->ctx->paths.run_dir, (int)s->port, &s->lock_fd, err)))
		return rc;
	return sup_port_check(s->host, (int)s->port, err);
}

/* 1 when path is a key file of ours (regular, 0600, our uid) with a key. */
static int own_key(const char *path)
{
	struct stat sb;
	char *key;

	if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != getuid() ||
	    (sb.st_mode & 0777) != 0600 || !(key = sup_key_read(path)))
		return 0;
	memset(key, 0, strlen(key));
	free(key);
	return 1;
}

/* A key generated where earlier versions kept it (the run folder) moves to
 * the state folder; LM_ENOTFOUND when there is none. */
static int adopt_old_key(struct serve *s, struct lm_err *err)
{
	char old[PATH_MAX], *text = NULL;
	size_t len;
	int rc;

	if (sup_file_path(old, sizeof(old), s->ctx->paths.run_dir, (int)s->port, "key") < 0 ||
	    !own_key(old) || lm_read_file(old, 4096, &text, &len, NULL))
		return LM_ENOTFOUND;
	rc = lm_write_file_atomic(s->key_file, text, len, 0600, err);
	memset(text, 0, len);
	free(text);
	if (rc == LM_OK)
		unlink(old);
	return rc;
}

/* Use --api-key-file, or make one for a non-loopback host. */
static int prepare_key(struct serve *s, struct lm_err *err)
{
	const char *given = args_get(s->args, "api-key-file");
	char *key;
	struct stat sb;

	if (given) {
		if (!realpath(given, s->key_file))
			return lm_err_set(err, LM_ENOTFOUND, "cannot open '%s': %s", given, strerror(errno));
		if (!(key = sup_key_read(s->key_file)))
			return lm_err_set(err, LM_EUSAGE, "no key in '%s'", given);
		memset(key, 0, strlen(key));
		free(key);
		if (stat(s->key_file, &sb) == 0 && (sb.st_mode & 077))
			ui_warn(s->ctx, "'%s' is readable by others (chmod 600 it)", s->key_file);
		return LM_OK;
	}
	if (sup_host_is_loopback(s->host))
		return LM_OK;
	/* in the state folder, not the run folder: a reboot wipes that one, and
	 * the clients' copies of the key would stop working */
	char keys[PATH_MAX];
	int rc;
	if (paths_join(keys, sizeof(keys), s->ctx->paths.state_dir, "keys") < 0 ||
	    sup_file_path(s->key_file, sizeof(s->key_file), keys, (int)s->port, "key") < 0)
		return lm_err_set(err, LM_EFAIL, "state directory path too long");
	if ((rc = paths_ensure_dir(keys, err)))
		return rc;
	s->key_generated = 1;
	/* keep a key made earlier for this port, so clients keep working */
	if (own_key(s->key_file) || adopt_old_key(s, err) == LM_OK)
		return LM_OK;
	return sup_key_generate(s->key_file, err);
}

/* What the runtime layer needs to write llama-server's command line; the
 * models array is owned by the caller (rt_models_free). */
static struct rt_model *rt_models(const struct serve *s)
{
	struct rt_model *m = lm_xcalloc(s->nt + 1, sizeof(*m));

	for (size_t i = 0; i < s->nt; i++) {
		m[i].name = s->t[i].name;
		m[i].path = s->t[i].path;
		m[i].ctx = s->t[i].ctx;
		m[i].ngl = s->t[i].ngl;
		m[i].kv = s->t[i].kv;
	}
	if (!s->router && s->ngl >= 0)
		snprintf(s->t[0].ngl, sizeof(s->t[0].ngl), "%ld", s->ngl);
	return m;
}

static void rt_server_fill(const struct serve *s, const struct rt_model *m, struct rt_server *r)
{
	memset(r, 0, sizeof(*r));
	r->binary = s->llama;
	r->router = s->router;
	r->models = m;
	r->nmodels = s->nt;
	r->alias = s->alias;
	r->preset_path = s->ini_path;
	r->max_loaded = s->max_loaded;
	r->host = s->host;
	r->port = s->port;
	r->flash_attn = s->fa;
	r->kv = s->kv;
	r->parallel = s->parallel;
	r->idle = s->idle;
	r->key_file = s->key_file;
	r->kv_unified = s->kv_unified;
	r->caps = &s->caps;
	r->extra = s->args->extra;
	r->nextra = s->args->nextra;
}

/* What the llama-server accepts (its --help, cached per binary). Without
 * it the safety flags cannot be passed: say so. */
static void load_caps(struct serve *s)
{
	char dir[PATH_MAX];
	struct lm_err err = { 0 };

	if (paths_join(dir, sizeof(dir), s->ctx->paths.state_dir, "runtime-flags") < 0 ||
	    rt_caps_load(s->llama, dir, &s->caps, &err))
		ui_warn(s->ctx, "cannot read what %s accepts (%s): serving without --cors-origins "
			"and --no-slots", s->llama, err.msg[0] ? err.msg : "path too long");
	else if (!rt_caps_has(&s->caps, "--cors-origins"))
		ui_warn(s->ctx, "this llama-server cannot restrict which web pages may call it (no "
			"--cors-origins): update it with 'localmodel update'");
}

/* A router downloads a model on POST /models and deletes one from its
 * cache on DELETE /models, and a web page can send both without a
 * preflight; --offline did not stop the download (llama.cpp b10587). So
 * the router gets a Hub address where nothing answers and a cache of its
 * own, empty: our models are given by path and load all the same. */
static int router_env(struct serve *s, struct lm_err *err)
{
	char dir[PATH_MAX];
	int rc;

	if (snprintf(dir, sizeof(dir), "%s/router-cache-%ld", s->ctx->paths.run_dir, s->port) >=
	    (int)sizeof(dir))
		return lm_err_set(err, LM_EFAIL, "run directory path too long");
	if ((rc = paths_ensure_dir(dir, err)))
		return rc;
	s->child_env = lm_xcalloc(5, sizeof(char *));
	s->child_env[0] = lm_xstrdup("MODEL_ENDPOINT=http://127.0.0.1:9/");
	s->child_env[1] = lm_xstrdup("HF_ENDPOINT=http://127.0.0.1:9/");
	s->child_env[2] = lm_asprintf("LLAMA_CACHE=%s", dir);
	s->child_env[3] = lm_xstrdup("HF_HUB_OFFLINE=1");
	return LM_OK;
}

/* The router's names of the models and the inventory names they stand
 * for, in pairs, for the supervisor's usage records. */
static void router_names(struct serve *s)
{
	s->name_map = lm_xcalloc(2 * s->nt + 1, sizeof(char *));
	for (size_t i = 0; i < s->nt; i++) {
		char name[512];
		rt_preset_name(s->t[i].name, name, sizeof(name));
		s->name_map[2 * i] = lm_xstrdup(name);
		s->name_map[2 * i + 1] = lm_xstrdup(s->t[i].name);
	}
}

/* The router's preset file and llama-server's argv (never a key on it). */
static int build_command(struct serve *s, struct lm_err *err)
{
	struct rt_model *m = rt_models(s);
	struct rt_server r;
	int rc = LM_OK;

	rt_server_fill(s, m, &r);
	if (s->router) {
		router_names(s);
		char *ini = rt_server_preset(&r);
		rc = lm_write_file_atomic(s->ini_path, ini, strlen(ini), 0600, err);
		free(ini);
		if (rc == LM_OK)
			rc = router_env(s, err);
	}
	if (rc == LM_OK)
		s->argv = rt_server_argv(&r);
	free(m);
	return rc;
}

/* A new sessions row; the supervisor fills in the pids and the end. A
 * model of another store gets its read-only inventory row first, so that
 * its usage and last use are recorded under its name. */
static int add_session(struct serve *s, struct lm_err *err)
{
	unsigned char raw[8];
	struct lm_session x;
	char now[32];
	int rc;

	if ((rc = os_random_bytes(raw, sizeof(raw), err)))
		return rc;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(s->session + 2 * i, 3, "%02x", raw[i]);
	if (!s->ctx->store)
		return LM_OK;
	lm_time_iso(lm_now(), now, sizeof(now));
	if (s->external) {
		if (!s->external->first_seen)
			s->external->first_seen = lm_xstrdup(now);
		if ((rc = store_model_upsert(s->ctx->store, s->external, err)))
			return rc;
	}
	memset(&x, 0, sizeof(x));
	x.id = s->session;
	x.model = s->router ? "all" : s->t[0].name;
	x.host = s->host;
	x.port = (int)s->port;
	x.started_at = now;
	x.runtime = s->llama;
	return store_session_add(s->ctx->store, &x, err);
}

/* ---- running ---------------------------------------------------------- */

static void fill_config(struct serve *s, struct sup_config *c)
{
	sup_config_init(c);
	c->argv = s->argv;
	c->run_dir = s->ctx->paths.run_dir;
	c->db_path = s->ctx->paths.db_path;
	lm_strlcpy(c->st.host, s->host, sizeof(c->st.host));
	c->st.port = (int)s->port;
	lm_strlcpy(c->st.model, s->router ? "all" : s->t[0].name, sizeof(c->st.model));
	lm_strlcpy(c->st.alias, s->router ? "" : s->alias, sizeof(c->st.alias));
	lm_strlcpy(c->st.session, s->session, sizeof(c->st.session));
	lm_strlcpy(c->st.log_path, s->log_path, sizeof(c->st.log_path));
	lm_strlcpy(c->st.key_file, s->key_file, sizeof(c->st.key_file));
	lm_strlcpy(c->st.runtime, s->llama, sizeof(c->st.runtime));
	c->st.router = s->router;
	c->st.ctx_slot = s->ctx_slot;
	c->st.slots = (int)s->parallel;
	c->st.kv_unified = s->kv_unified;
	c->name_map = s->name_map;
	c->extra_env = s->child_env;
	c->nname_map = s->router ? 2 * s->nt : 0;
	c->lock_fd = s->lock_fd;
	s->lock_fd = -1;
	/* the memory guard */
	admit_keep_list(args_get(s->args, "keep"), s->ctx->cfg.keep, s->name_map,
			s->router ? s->nt : 0, c->st.keep, sizeof(c->st.keep));
	c->st.expected = s->router ? 0 : s->t[0].expected;
	free(s->model_bytes);
	s->model_bytes = lm_xcalloc(s->nt ? s->nt : 1, sizeof(*s->model_bytes));
	for (size_t i = 0; i < s->nt; i++)
		s->model_bytes[i] = s->t[i].expected;
	c->model_bytes = s->model_bytes;
	c->reserve = (uint64_t)(s->ctx->cfg.reserve_gb * 1073741824.0);
	c->swap_limit_gb = s->ctx->cfg.swap_limit_gb;
	c->pressure_limit = s->ctx->cfg.pressure_limit;
}

static void endpoint(const struct serve *s, char *buf, size_t size)
{
	int v6 = strchr(s->host, ':') && s->host[0] != '[';
	snprintf(buf, size, "http://%s%s%s:%ld/v1", v6 ? "[" : "", s->host, v6 ? "]" : "", s->port);
}

static void print_ready(struct serve *s, pid_t pid)
{
	char ep[400];

	endpoint(s, ep, sizeof(ep));
	if (s->ctx->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "model", s->router ? "all" : s->t[0].name);
		if (s->router)
			cJSON_AddNullToObject(doc, "alias");
		else
			cJSON_AddStringToObject(doc, "alias", s->alias);
		cJSON_AddStringToObject(doc, "endpoint", ep);
		cJSON_AddStringToObject(doc, "host", s->host);
		cJSON_AddNumberToObject(doc, "port", (double)s->port);
		cJSON_AddNumberToObject(doc, "pid", (double)pid);
		cJSON_AddStringToObject(doc, "log", s->log_path);
		if (s->key_file[0])
			cJSON_AddStringToObject(doc, "api_key_file", s->key_file);
		else
			cJSON_AddNullToObject(doc, "api_key_file");
		cJSON_AddStringToObject(doc, "session", s->session);
		if (!s->router) {
			cJSON_AddNumberToObject(doc, "ctx_per_slot", (double)s->ctx_slot);
			cJSON_AddNumberToObject(doc, "slots", (double)(s->parallel > 0 ? s->parallel : 1));
			cJSON_AddBoolToObject(doc, "kv_unified", s->kv_unified);
		}
		if (s->router) {
			cJSON *arr = cJSON_AddArrayToObject(doc, "models");
			for (size_t i = 0; i < s->nt; i++)
				cJSON_AddItemToArray(arr, cJSON_CreateString(s->t[i].name));
		}
		ui_json_print(doc);
		return;
	}
	if (s->ctx->quiet)
		return;
	if (s->router)
		printf("serving %zu models at %s (pick one with \"model\": NAME)\n", s->nt, ep);
	else
		printf("serving %s at %s as \"%s\"\n", s->t[0].name, ep, s->alias);
	if (!s->router && s->parallel > 1)
		printf("context: %ld tokens per slot, %ld slots%s\n", s->ctx_slot, s->parallel,
		       s->kv_unified ? " sharing one KV cache (unified)" : "");
	else if (!s->router)
		printf("context: %ld tokens\n", s->ctx_slot);
	if (s->key_file[0])
		printf("api key: %s%s\n", s->key_file, s->key_generated ? " (generated)" : "");
	printf("log:     %s\n", s->log_path);
	fflush(stdout);
	for (size_t i = 0; i < s->nt; i++)
		if (s->t[i].predicted[0])
			ui_info(s->ctx, "%s", s->t[i].predicted);
}

/* Events of the foreground supervisor: print them. */
static void foreground_event(void *data, enum sup_event ev, const char *msg)
{
	struct serve *s = data;

	if (ev == SUP_EV_READY)
		print_ready(s, getpid());
	else if (ev == SUP_EV_RESTART)
		ui_warn(s->ctx, "llama-server %s; restarting", msg);
}

static int run_foreground(struct serve *s)
{
	struct sup_config c;
	struct lm_err err = { 0 };
	int rc;

	fill_config(s, &c);
	c.on_event = foreground_event;
	c.data = s;
	rc = sup_run_foreground(&c, &err);
	if (rc)
		ui_error(s->ctx, "%s (log: %s)", err.msg, s->log_path);
	return rc;
}

/* After a failure: the log's last lines and why the child ended. */
static void print_failure(struct serve *s, const char *why)
{
	cmd_fail_with_log(s->ctx, why, s->log_path, 20);
}

/* Default wait for /health: a minute plus 30 s per GB of weights. */
static long default_timeout(const struct serve *s)
{
	uint64_t size = 0;
	for (size_t i = 0; i < s->nt; i++)
		size = s->t[i].size > size ? s->t[i].size : size;
	long t = 60 + (long)(size / 1000000000ull) * 30;
	return t > 1800 ? 1800 : t;
}

/* Start the detached supervisor and wait for its word; Ctrl-C or SIGTERM
 * meanwhile stops it. */
static int run_detached(struct serve *s)
{
	struct lm_err err = { 0 };
	struct sup_config c;
	char why[600];
	pid_t pid;
	int fd, rc;
	long timeout = s->timeout_s > 0 ? s->timeout_s : default_timeout(s);

	fill_config(s, &c);
	if ((rc = sup_start_detached(&c, &pid, &fd, &err)))
		return ui_fail(s->ctx, &err);
	rc = cmd_wait_supervisor(pid, fd, timeout, why, sizeof(why));
	if (rc == LM_OK)
		print_ready(s, pid);
	else
		print_failure(s, why);
	return rc;
}

/* ---- --print-service -------------------------------------------------- */

/* Environment worth baking into a unit (never tokens). */
static const char *const unit_env[] = {
	"LOCALMODEL_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
	"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "LLAMA_CACHE", "OLLAMA_MODELS",
	"LOCALMODEL_LLAMA_SERVER", "LOCALMODEL_RESTART_BACKOFF_MS", "LD_LIBRARY_PATH", "PATH",
	"CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
	"GGML_VK_VISIBLE_DEVICES", "GGML_BACKEND_PATH", NULL,
};

/* An absolute path for path-like values, so the unit runs from anywhere. */
static char *absolute(const char *v)
{
	char real[PATH_MAX];
	return realpath(v, real) ? lm_xstrdup(real) : lm_xstrdup(v);
}

/* The port and address the configuration chose (file or environment),
 * as flags: the unit keeps them even if the configuration changes. */
static void add_config_flags(const struct serve *s, char ***argv, int *na)
{
	struct lm_config def;

	config_defaults(&def);
	if (!args_get(s->args, "port") && s->port != def.port) {
		unit_list_add(argv, na, lm_xstrdup("--port"));
		unit_list_add(argv, na, lm_asprintf("%ld", s->port));
	}
	if (!args_get(s->args, "host") && strcmp(s->host, def.host)) {
		unit_list_add(argv, na, lm_xstrdup("--host"));
		unit_list_add(argv, na, lm_xstrdup(s->host));
	}
}

/* Settings of the configuration file that are not the defaults, as
 * LOCALMODEL_<KEY>: the unit keeps what was in effect when it was made. */
static void add_config_env(const struct serve *s, char ***env, int *ne)
{
	struct lm_config def;

	config_defaults(&def);
	for (const char *const *k = config_keys(); *k; k++) {
		char now[300], was[300], var[64];
		size_t i = 0;
		if (!strcmp(*k, "peers")) /* status reads it, not serve */
			continue;
		if (config_get(&s->ctx->cfg, *k, now, sizeof(now)) ||
		    config_get(&def, *k, was, sizeof(was)) || !strcmp(now, was))
			continue;
		snprintf(var, sizeof(var), "LOCALMODEL_%s", *k);
		for (i = 11; var[i]; i++)
			var[i] = (char)toupper((unsigned char)var[i]);
		if (getenv(var))
			continue; /* already there, as the environment gave it */
		unit_list_add(env, ne, lm_asprintf("%s=%s", var, now));
	}
}

static int print_service(struct serve *s, const char *kind)
{
	char desc[700], name[64], label[64];
	char **argv = NULL, **env = NULL;
	int na = 0, ne = 0, rc;
	const struct lm_args *a = s->args;

	if ((rc = unit_begin(s->ctx, kind, unit_env, &argv, &na, &env, &ne)))
		return rc;
	unit_list_add(&argv, &na, lm_xstrdup("--foreground"));
	if (a->npos) {
		unit_list_add(&argv, &na, looks_like_path(a->pos[0]) ? absolute(a->pos[0])
				: lm_xstrdup(a->pos[0]));
	} else if (!s->router) {
		/* "the most recently used" would change under the unit's feet */
		unit_list_add(&argv, &na, lm_xstrdup(s->t[0].name));
		ui_info(s->ctx, "# no MODEL given: the unit serves %s, the most recently used",
			s->t[0].name);
	}
	add_config_flags(s, &argv, &na);
	for (int i = 0; i < a->nopts; i++) {
		const struct lm_opt *o = &a->opts[i];
		if (!a->count[i] || !strcmp(o->name, "print-service") ||
		    !strcmp(o->name, "foreground") || !strcmp(o->name, "json") ||
		    !strcmp(o->name, "help"))
			continue;
		unit_list_add(&argv, &na, lm_asprintf("--%s", o->name));
		if (o->kind == LM_OPT_VALUE)
			unit_list_add(&argv, &na, !strcmp(o->name, "api-key-file") ? absolute(a->value[i])
					: lm_xstrdup(a->value[i]));
	}
	if (a->nextra) {
		unit_list_add(&argv, &na, lm_xstrdup("--"));
		for (int i = 0; i < a->nextra; i++)
			unit_list_add(&argv, &na, lm_xstrdup(a->extra[i]));
	}
	/* every LOCALMODEL_<KEY> setting (none of them is a secret) */
	for (char **e = environ; *e; e++)
		if (lm_starts_with(*e, "LOCALMODEL_") && !lm_starts_with(*e, "LOCALMODEL_HOME=") &&
		    !lm_starts_with(*e, "LOCALMODEL_LLAMA_SERVER=") &&
		    !lm_starts_with(*e, "LOCALMODEL_RESTART_BACKOFF_MS="))
			unit_list_add(&env, &ne, lm_xstrdup(*e));
	add_config_env(s, &env, &ne);
	snprintf(desc, sizeof(desc), "localmodel: %s on port %ld",
		 s->router ? "every model" : s->t[0].name, s->port);
	snprintf(name, sizeof(name), "localmodel-%ld", s->port);
	snprintf(label, sizeof(label), "org.localmodel.serve.%ld", s->port);
	unit_print(s->ctx, kind, desc, name, label, argv, env);
	return LM_OK;
}

/* ---- the command ------------------------------------------------------ */

static int serve_prepare(struct serve *s, struct lm_err *err)
{
	int rc;

	/* a unit may be written before the runtime is installed */
	if ((rc = parse_options(s, err)) ||
	    (!args_get(s->args, "print-service") && (rc = find_llama(s, err))) ||
	    (rc = resolve_models(s, err)))
		return rc;
	lm_strlcpy(s->alias, args_get(s->args, "alias") ? args_get(s->args, "alias")
			: s->router ? "" : s->t[0].name, sizeof(s->alias));
	if (!args_get(s->args, "alias") && !s->router && s->t[0].name[0] == '/') {
		/* a path: the file name without .gguf */
		const char *b = strrchr(s->t[0].name, '/') + 1;
		lm_strlcpy(s->alias, b, sizeof(s->alias));
		if (lm_ends_with_ci(s->alias, ".gguf"))
			s->alias[strlen(s->alias) - 5] = '\0';
	}
	return LM_OK;
}

static int serve_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct serve s;
	struct lm_err err = { 0 };
	int rc;

	if (args_has(args, "rpc-worker"))
		return serve_rpc_worker(ctx, args);
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.args = args;
	s.lock_fd = -1;
	if ((rc = serve_prepare(&s, &err)) || (rc = name_files(&s, &err)))
		goto fail;
	if (args_get(args, "print-service")) {
		rc = print_service(&s, args_get(args, "print-service"));
		goto out;
	}
	load_caps(&s);
	if ((rc = serve_rpc_fit(ctx, args, &err)) ||
	    (rc = fit_targets(&s, &err)) || (rc = prepare_dirs(&s, &err)) ||
	    (rc = check_port(&s, &err)) || (rc = prepare_key(&s, &err)) ||
	    (rc = add_session(&s, &err)))
		goto fail;
	if ((rc = build_command(&s, &err)) ||
	    (rc = serve_rpc_head(ctx, args, &s.caps, s.llama, &s.argv, &err)))
		goto fail;
	/* the supervisor opens the database briefly when it needs it; the WAL
	 * checkpoint (an fsync) is left to a later connection, off the path to
	 * a ready server */
	store_close_lazy(ctx->store);
	ctx->store = NULL;
	rc = args_has(args, "foreground") ? run_foreground(&s) : run_detached(&s);
	goto out;
fail:
	rc = ui_fail(ctx, &err);
out:
	if (s.lock_fd >= 0)
		close(s.lock_fd);
	rt_argv_free(s.argv);
	rt_argv_free(s.name_map);
	rt_argv_free(s.child_env);
	free(s.model_bytes);
	rt_caps_release(&s.caps);
	if (s.external)
		store_model_list_free(s.external, 1);
	targets_free(&s);
	return rc;
}

const struct lm_cmd cmd_serve = {
	.name = "serve",
	.alias = "start",
	.summary = "serve a model with a supervised llama-server",
	.usage = "localmodel serve [MODEL|PATH] [--port N] [--host H] [--ctx N|auto] [options] [-- LLAMA-SERVER ARGS]",
	.description = "Start llama-server for MODEL (org/repo:QUANT, a unique prefix, or a .gguf\n"
		       "path; none: the most recently used) under a detached supervisor, and\n"
		       "return once it answers /health. --all serves every model (router mode).",
	.opts = opts,
	.needs = NEED_STORE,
	.run = serve_run,
};
