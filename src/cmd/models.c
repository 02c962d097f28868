/* models: list, inspect, remove and pin models (localmodel's own, and with
 * --all those of other tools, read-only). */
#include "localmodel/cleanup.h"
#include "localmodel/cmd.h"
#include "localmodel/fit.h"
#include "localmodel/gguf.h"
#include "localmodel/hub.h"
#include "localmodel/hw.h"
#include "localmodel/paths.h"
#include "localmodel/predict.h"
#include "localmodel/store.h"
#include "localmodel/stores.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct lm_opt opts[] = {
	{ "all", 'a', LM_OPT_FLAG, NULL, "include models in other tools' stores" },
	{ "ctx", 0, LM_OPT_VALUE, "N", "show: the estimate for this context" },
	{ "parallel", 0, LM_OPT_VALUE, "N", "show: the estimate for N server slots" },
	LM_OPT_END,
};

/* A list of models: ours first, then the other stores'. */
struct mlist {
	struct lm_model *own;
	size_t nown;
	struct lm_model *ext;
	size_t next;
};

static void mlist_release(struct mlist *l)
{
	store_model_list_free(l->own, l->nown);
	store_model_list_free(l->ext, l->next);
	memset(l, 0, sizeof(*l));
}

/* Read-only: a missing database is an empty inventory. */
static int mlist_load(struct lm_ctx *ctx, int all, struct mlist *l, struct lm_err *err)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if (ctx->store && (rc = store_model_list(ctx->store, &l->own, &l->nown, err)))
		return rc;
	if (all)
		return stores_scan(STORES_ALL, &l->ext, &l->next, err);
	return LM_OK;
}

/* Fill arch/params/ctx from the GGUF header when the row lacks them. */
static void fill_from_gguf(struct lm_model *m)
{
	struct lm_gguf g;
	struct lm_err err;

	if ((m->arch && m->params && m->ctx_train) || !m->file_path)
		return;
	memset(&g, 0, sizeof(g));
	if (gguf_read(m->file_path, &g, &err) == LM_OK) {
		if (!m->arch && g.arch)
			m->arch = lm_xstrdup(g.arch);
		if (!m->params)
			m->params = (int64_t)g.params;
		if (!m->ctx_train)
			m->ctx_train = g.ctx_train;
		if (!m->quantization && g.quant[0])
			m->quantization = lm_xstrdup(g.quant);
	}
	gguf_release(&g);
}

static void fmt_params(int64_t p, char *buf, size_t size)
{
	if (p <= 0)
		snprintf(buf, size, "-");
	else if (p >= 1000000000)
		snprintf(buf, size, "%.1fB", (double)p / 1e9);
	else if (p >= 1000000)
		snprintf(buf, size, "%.0fM", (double)p / 1e6);
	else
		snprintf(buf, size, "%lldK", (long long)(p / 1000));
}

static void fmt_ctx(int64_t c, char *buf, size_t size)
{
	if (c <= 0)
		snprintf(buf, size, "-");
	else if (c % 1024 == 0)
		snprintf(buf, size, "%lldK", (long long)(c / 1024));
	else
		snprintf(buf, size, "%lld", (long long)c);
}

static void fmt_last_used(const char *iso, char *buf, size_t size)
{
	time_t t = 0;
	if (iso && lm_time_parse(iso, &t) != 0)
		t = 0;
	lm_format_ago(t, lm_now(), buf, size);
}

static cJSON *model_json(const struct lm_model *m)
{
	cJSON *o = cJSON_CreateObject();

#define STR_OR_NULL(k, v) ((v) ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k))
	cJSON_AddStringToObject(o, "name", m->model);
	cJSON_AddStringToObject(o, "source", m->source ? m->source : "localmodel");
	STR_OR_NULL("path", m->file_path);
	STR_OR_NULL("repo", m->repo_source);
	cJSON_AddNumberToObject(o, "size_bytes", (double)m->size_bytes);
	STR_OR_NULL("quant", m->quantization);
	STR_OR_NULL("arch", m->arch);
	cJSON_AddNumberToObject(o, "params", (double)m->params);
	cJSON_AddNumberToObject(o, "ctx_train", (double)m->ctx_train);
	cJSON_AddNumberToObject(o, "parts", m->parts > 0 ? m->parts : 1);
	STR_OR_NULL("sha256", m->sha256);
	STR_OR_NULL("commit", m->commit_sha);
	STR_OR_NULL("first_seen", m->first_seen);
	STR_OR_NULL("last_used", m->last_used);
	cJSON_AddNumberToObject(o, "requests", (double)m->total_requests);
	cJSON_AddBoolToObject(o, "pinned", m->pinned);
	cJSON_AddBoolToObject(o, "read_only", m->source && strcmp(m->source, "localmodel"));
#undef STR_OR_NULL
	return o;
}

static void table_row(struct ui_table *t, const struct lm_model *m, int all)
{
	char name[600], size[32], ap[96], params[32], c[32], last[64], req[32];

	snprintf(name, sizeof(name), "%s%s", m->model, m->pinned ? " (pinned)" : "");
	lm_format_size((uint64_t)m->size_bytes, size, sizeof(size));
	fmt_params(m->params, params, sizeof(params));
	snprintf(ap, sizeof(ap), "%s/%s", m->arch ? m->arch : "-", params);
	fmt_ctx(m->ctx_train, c, sizeof(c));
	fmt_last_used(m->last_used, last, sizeof(last));
	snprintf(req, sizeof(req), "%lld", (long long)m->total_requests);
	if (all)
		ui_table_row(t, name, size, m->quantization, ap, c, last, req,
			     m->source ? m->source : "localmodel");
	else
		ui_table_row(t, name, size, m->quantization, ap, c, last, req);
}

static int models_list(struct lm_ctx *ctx, int all)
{
	struct lm_err err = { 0 };
	struct mlist l;
	int rc;

	if ((rc = mlist_load(ctx, all, &l, &err)))
		return ui_fail(ctx, &err);
	for (size_t i = 0; i < l.nown; i++)
		fill_from_gguf(&l.own[i]);
	for (size_t i = 0; i < l.next; i++)
		fill_from_gguf(&l.ext[i]);
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "models");
		for (size_t i = 0; i < l.nown; i++)
			cJSON_AddItemToArray(arr, model_json(&l.own[i]));
		for (size_t i = 0; i < l.next; i++)
			cJSON_AddItemToArray(arr, model_json(&l.ext[i]));
		ui_json_print(doc);
	} else if (!ctx->quiet && l.nown + l.next == 0) {
		ui_info(ctx, "no models%s; find one with 'localmodel search QUERY', then "
			     "'localmodel pull ORG/REPO'", all ? "" : " (--all shows other tools' models)");
	} else if (!ctx->quiet) {
		struct ui_table t;
		ui_table_init(&t, all ? 8 : 7);
		t.right_align = (1u << 1) | (1u << 6);
		if (all)
			ui_table_row(&t, "NAME", "SIZE", "QUANT", "ARCH/PARAMS", "CTX", "LAST USED",
				     "REQUESTS", "SOURCE");
		else
			ui_table_row(&t, "NAME", "SIZE", "QUANT", "ARCH/PARAMS", "CTX", "LAST USED",
				     "REQUESTS");
		for (size_t i = 0; i < l.nown; i++)
			table_row(&t, &l.own[i], all);
		for (size_t i = 0; i < l.next; i++)
			table_row(&t, &l.ext[i], all);
		ui_table_print(ctx, &t, stdout);
		ui_table_release(&t);
	}
	mlist_release(&l);
	return LM_OK;
}

/* ---- finding one model ------------------------------------------------ */

/* Exact name; else "org/repo" alone when it names exactly one model. */
static const struct lm_model *find_in(const struct lm_model *v, size_t n, const char *name,
				      int *ambiguous)
{
	const struct lm_model *hit = NULL;
	size_t len = strlen(name);
	int hits = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].model, name))
			return &v[i];
	if (strchr(name, ':'))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i].model, name, len) && v[i].model[len] == ':') {
			hit = &v[i];
			hits++;
		}
	if (hits > 1)
		*ambiguous = 1;
	return hits == 1 ? hit : NULL;
}

/* Look NAME up in our inventory, then (when ext) in the other stores. */
static int find_model(struct lm_ctx *ctx, struct mlist *l, const char *name, int ext,
		      const struct lm_model **out, struct lm_err *err)
{
	int amb = 0, rc;
	const char *best = NULL;
	int bestd = 4;

	if ((rc = mlist_load(ctx, ext, l, err)))
		return rc;
	if ((*out = find_in(l->own, l->nown, name, &amb)) || amb ||
	    (*out = find_in(l->ext, l->next, name, &amb)) || amb) {
		if (amb)
			return lm_err_set(err, LM_EUSAGE, "'%s' names several models; add :QUANT",
					  name);
		return LM_OK;
	}
	for (size_t i = 0; i < l->nown + l->next; i++) {
		const char *m = i < l->nown ? l->own[i].model : l->ext[i - l->nown].model;
		int d = lm_edit_distance(name, m);
		if (d < bestd) {
			bestd = d;
			best = m;
		}
	}
	if (best)
		return lm_err_set(err, LM_ENOTFOUND, "no model '%s'; did you mean '%s'?", name, best);
	return lm_err_set(err, LM_ENOTFOUND, "no model '%s' (see 'localmodel models --all')", name);
}

/* ---- show --------------------------------------------------------------- */

struct show_fit {
	int ok;
	char why[256];
	struct lm_fit_result r;
	long want_ctx, parallel;         /* --ctx, --parallel (0 = auto, 1) */
	struct lm_speed_result sp;
	struct lm_speed_machine sm;
};

/* The fit and speed prediction, as serve would run the model (q8_0 KV). */
static void estimate(struct lm_ctx *ctx, const struct lm_gguf *g, struct show_fit *sf)
{
	struct lm_fit_model *fm = lm_xcalloc(1, sizeof(*fm));
	const struct lm_machine *mach = ctx_machine(ctx);
	struct lm_fit_opts o;
	struct lm_err err = { 0 };

	fit_opts_default(&o);
	o.reserve_bytes = mach->reserve;
	o.cache = LM_CACHE_Q8_0;
	o.ctx = (uint32_t)sf->want_ctx;
	o.parallel = sf->parallel > 0 ? (int)sf->parallel : 1;
	if (!mach->ok || fit_model_from_gguf(fm, g, &err) ||
	    fit_estimate(fm, &mach->plan, &o, &sf->r, &err)) {
		lm_strlcpy(sf->why, mach->ok ? err.msg : mach->err.msg, sizeof(sf->why));
		goto out;
	}
	predict_machine(&sf->sm, &mach->hw, &mach->plan, ctx->paths.state_dir, ctx->store);
	predict_speed(fm, &sf->r, o.cache, &sf->sm, &sf->sp);
	sf->ok = 1;
out:
	free(fm);
}

/* The estimate's terms and the predicted speeds (show --json "fit"). */
static void prediction_json(cJSON *f, const struct show_fit *sf)
{
	cJSON_AddNumberToObject(f, "weight_bytes", (double)sf->r.weight_bytes);
	cJSON_AddNumberToObject(f, "kv_bytes", (double)sf->r.kv_bytes);
	cJSON_AddNumberToObject(f, "compute_bytes", (double)sf->r.compute_bytes);
	cJSON_AddNumberToObject(f, "overhead_bytes", (double)sf->r.overhead_bytes);
	cJSON_AddNumberToObject(f, "gpu_bytes", (double)sf->r.gpu_bytes);
	cJSON_AddNumberToObject(f, "cpu_bytes", (double)sf->r.cpu_bytes);
	cJSON_AddNumberToObject(f, "parallel", sf->parallel > 0 ? (double)sf->parallel : 1);
	cJSON_AddNumberToObject(f, "decode_tok_s", round(sf->sp.decode_tok_s * 10) / 10);
	cJSON_AddNumberToObject(f, "prompt_tok_s", round(sf->sp.prompt_tok_s * 10) / 10);
	cJSON_AddStringToObject(f, "speed_source", predict_source_name(sf->sm.source));
}

static const char *verdict_text(enum lm_fit_verdict v)
{
	switch (v) {
	case LM_FIT_FULL_GPU: return "fits on the GPU";
	case LM_FIT_PARTIAL_GPU: return "fits, partly on the GPU";
	case LM_FIT_CPU: return "fits in RAM (CPU)";
	default: return "does not fit this machine";
	}
}

static cJSON *gguf_json(const struct lm_gguf *g)
{
	cJSON *o = cJSON_CreateObject(), *md;

	cJSON_AddNumberToObject(o, "version", g->version);
	if (g->arch)
		cJSON_AddStringToObject(o, "arch", g->arch);
	if (g->name)
		cJSON_AddStringToObject(o, "name", g->name);
	cJSON_AddStringToObject(o, "quant", g->quant);
	cJSON_AddNumberToObject(o, "file_type", g->file_type);
	cJSON_AddNumberToObject(o, "params", (double)g->params);
	cJSON_AddNumberToObject(o, "weight_bytes", (double)g->weight_bytes);
	cJSON_AddNumberToObject(o, "ctx_train", g->ctx_train);
	cJSON_AddNumberToObject(o, "layers", g->block_count);
	cJSON_AddNumberToObject(o, "embedding", g->n_embd);
	cJSON_AddNumberToObject(o, "heads", g->n_head);
	cJSON_AddNumberToObject(o, "heads_kv", g->n_head_kv);
	cJSON_AddNumberToObject(o, "experts", g->n_expert);
	cJSON_AddNumberToObject(o, "experts_used", g->n_expert_used);
	cJSON_AddNumberToObject(o, "vocab", (double)g->n_vocab);
	cJSON_AddBoolToObject(o, "chat_template", g->has_chat_template);
	cJSON_AddNumberToObject(o, "tensors", (double)g->n_tensors);
	md = cJSON_AddObjectToObject(o, "metadata");
	for (size_t i = 0; i < g->nkvs; i++)
		if (g->kvs[i].key && !cJSON_GetObjectItemCaseSensitive(md, g->kvs[i].key))
			cJSON_AddStringToObject(md, g->kvs[i].key, g->kvs[i].text ? g->kvs[i].text : "");
	return o;
}

static void show_json(const struct lm_model *m, const struct lm_gguf *g, int have_g,
		      const char *gerr, const struct show_fit *sf)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddItemToObject(doc, "model", model_json(m));
	if (have_g)
		cJSON_AddItemToObject(doc, "gguf", gguf_json(g));
	else
		cJSON_AddNullToObject(doc, "gguf");
	if (gerr)
		cJSON_AddStringToObject(doc, "gguf_error", gerr);
	if (sf->ok) {
		cJSON *f = cJSON_AddObjectToObject(doc, "fit");
		cJSON_AddStringToObject(f, "verdict", fit_verdict_name(sf->r.verdict));
		cJSON_AddBoolToObject(f, "fits", sf->r.verdict != LM_FIT_NO_FIT);
		cJSON_AddNumberToObject(f, "ctx", sf->r.ctx);
		cJSON_AddNumberToObject(f, "gpu_layers", sf->r.gpu_layers);
		cJSON_AddNumberToObject(f, "total_bytes", (double)sf->r.total_bytes);
		cJSON_AddNumberToObject(f, "missing_bytes", (double)sf->r.missing_bytes);
		prediction_json(f, sf);
	} else {
		cJSON_AddNullToObject(doc, "fit");
	}
	ui_json_print(doc);
}

/* One metadata value on one line, cut to fit a terminal. */
static void print_kv(const struct lm_gguf_kv *kv)
{
	const char *t = kv->text ? kv->text : "";
	int n = (int)strcspn(t, "\n");
	printf("  %-40s %.*s%s\n", kv->key, n > 60 ? 60 : n, t, n > 60 || t[n] ? " ..." : "");
}

static void show_text(struct lm_ctx *ctx, const struct lm_model *m, const struct lm_gguf *g,
		      int have_g, const char *gerr, const struct show_fit *sf)
{
	char size[32], params[32], last[64], tot[32];

	lm_format_size((uint64_t)m->size_bytes, size, sizeof(size));
	fmt_last_used(m->last_used, last, sizeof(last));
	printf("%s%s%s\n", ui_bold(ctx), m->model, ui_reset(ctx));
	printf("source:      %s%s\n", m->source ? m->source : "localmodel",
	       m->source && strcmp(m->source, "localmodel") ? " (read-only)" : "");
	printf("path:        %s\n", m->file_path ? m->file_path : "-");
	printf("size:        %s%s\n", size, m->parts > 1 ? " (split)" : "");
	if (m->parts > 1)
		printf("parts:       %d\n", m->parts);
	printf("quant:       %s\n", m->quantization ? m->quantization : "-");
	if (m->repo_source)
		printf("repo:        %s\n", m->repo_source);
	if (m->commit_sha)
		printf("commit:      %s\n", m->commit_sha);
	if (m->sha256)
		printf("sha256:      %s\n", m->sha256);
	if (!m->source || !strcmp(m->source, "localmodel")) {
		printf("pinned:      %s\n", m->pinned ? "yes" : "no");
		printf("first seen:  %s\n", m->first_seen ? m->first_seen : "-");
		printf("last used:   %s\n", last);
		printf("requests:    %lld\n", (long long)m->total_requests);
	}
	if (!have_g) {
		printf("gguf:        unreadable (%s)\n", gerr ? gerr : "?");
	} else {
		fmt_params((int64_t)g->params, params, sizeof(params));
		printf("arch:        %s\n", g->arch ? g->arch : "-");
		printf("params:      %s\n", params);
		printf("context:     %u (trained)\n", g->ctx_train);
		printf("layers:      %u\n", g->block_count);
		printf("heads:       %u (%u KV)\n", g->n_head, g->n_head_kv);
		if (g->n_expert)
			printf("experts:     %u (%u used)\n", g->n_expert, g->n_expert_used);
		printf("chat template: %s\n", g->has_chat_template ? "yes" : "no");
	}
	if (sf->ok) {
		lm_format_size(sf->r.total_bytes, tot, sizeof(tot));
		printf("fit:         %s (context %u, %d/%d layers on GPU, %s)\n",
		       verdict_text(sf->r.verdict), sf->r.ctx, sf->r.gpu_layers,
		       sf->r.n_layers_total, tot);
		printf("speed:       ~%.1f tokens/s generating, ~%.0f tokens/s reading the prompt "
		       "(%s)\n", sf->sp.decode_tok_s, sf->sp.prompt_tok_s,
		       predict_source_name(sf->sm.source));
	} else {
		printf("fit:         unknown (%s)\n", sf->why[0] ? sf->why : "no header");
	}
	if (have_g && g->nkvs) {
		printf("metadata:\n");
		for (size_t i = 0; i < g->nkvs; i++)
			print_kv(&g->kvs[i]);
	}
}

/* A .gguf given by path (like serve): a model row of its own. */
static int show_path(const char *name, struct lm_model *pm, char *real, struct lm_err *err)
{
	struct stat sb;

	errno = 0;
	if (!realpath(name, real) || stat(real, &sb) < 0 || !S_ISREG(sb.st_mode))
		return lm_err_set(err, LM_ENOTFOUND, "cannot open '%s': %s", name,
				  errno ? strerror(errno) : "not a file");
	memset(pm, 0, sizeof(*pm));
	pm->model = real;
	pm->file_path = real;
	pm->source = (char *)"path";
	pm->size_bytes = (int64_t)sb.st_size;
	return LM_OK;
}

static int models_show(struct lm_ctx *ctx, const char *name, struct lm_args *args)
{
	struct lm_err err = { 0 }, gerr = { 0 };
	struct mlist l;
	const struct lm_model *m;
	struct lm_model pm;
	struct lm_gguf g;
	struct show_fit sf;
	char real[PATH_MAX];
	int rc, have_g;

	memset(&l, 0, sizeof(l));
	memset(&sf, 0, sizeof(sf));
	if ((rc = args_get_long(args, "ctx", 256, 16 * 1024 * 1024, &sf.want_ctx, &err)) ||
	    (rc = args_get_long(args, "parallel", 1, 256, &sf.parallel, &err)))
		return ui_fail(ctx, &err);
	if (lm_ends_with_ci(name, ".gguf") || strchr("/.~", name[0]))
		rc = show_path(name, &pm, real, &err), m = &pm;
	else
		rc = find_model(ctx, &l, name, 1, &m, &err);
	if (rc) {
		mlist_release(&l);
		return ui_fail(ctx, &err);
	}
	memset(&g, 0, sizeof(g));
	have_g = m->file_path && gguf_read_model(m->file_path, &g, &gerr) == LM_OK;
	if (have_g)
		estimate(ctx, &g, &sf);
	else
		lm_strlcpy(sf.why, gerr.msg, sizeof(sf.why));
	if (ctx->json)
		show_json(m, &g, have_g, have_g ? NULL : gerr.msg, &sf);
	else if (!ctx->quiet)
		show_text(ctx, m, &g, have_g, gerr.msg, &sf);
	gguf_release(&g);
	mlist_release(&l);
	return LM_OK;
}

/* ---- rm, pin -------------------------------------------------------------- */

/* A name found only in another tool's store: refuse (exit 1). */
static int refuse_external(struct lm_ctx *ctx, const char *name, const char *verb)
{
	struct lm_err err = { 0 };
	struct mlist l;
	const struct lm_model *m;
	int rc = find_model(ctx, &l, name, 1, &m, &err);

	if (rc == LM_OK) {
		ui_error(ctx, "'%s' belongs to %s ('%s'); localmodel does not %s other tools' models",
			 m->model, m->source, m->file_path, verb);
		rc = LM_EFAIL;
	} else {
		ui_fail(ctx, &err);
	}
	mlist_release(&l);
	return rc;
}

/* Remove the directories between path and root that became empty. */
static void prune_dirs(const char *path, const char *root)
{
	char d[PATH_MAX];
	size_t rl = strlen(root);

	lm_strlcpy(d, path, sizeof(d));
	for (;;) {
		char *slash = strrchr(d, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (strlen(d) <= rl || strncmp(d, root, rl) || d[rl] != '/')
			break;
		if (rmdir(d) != 0)
			break;
	}
}

/* Delete one file of a model and what a pull leaves beside it. */
static int remove_file(const char *path, struct lm_err *err)
{
	static const char *const extra[] = { ".part", ".part.state", ".lock", ".link" };
	char p[PATH_MAX];

	if (unlink(path) != 0 && errno != ENOENT)
		return lm_err_set(err, LM_EFAIL, "cannot remove '%s': %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (snprintf(p, sizeof(p), "%s%s", path, extra[i]) < (int)sizeof(p))
			unlink(p);
	return LM_OK;
}

static int remove_files(struct lm_ctx *ctx, const struct lm_model *m, struct lm_err *err)
{
	const char *root = ctx->paths.models_dir;
	size_t rl = strlen(root);
	int idx, cnt, rc;

	if (!m->file_path)
		return LM_OK;
	if (strncmp(m->file_path, root, rl) || m->file_path[rl] != '/' || strstr(m->file_path, "/../"))
		return lm_err_set(err, LM_EFAIL, "'%s' is outside '%s'; not removing it",
				  m->file_path, root);
	if (hub_split_info(m->file_path, &idx, &cnt)) {
		for (int i = 1; i <= cnt; i++) {
			char *p = hub_split_part(m->file_path, i);
			rc = remove_file(p, err);
			free(p);
			if (rc)
				return rc;
		}
	} else if ((rc = remove_file(m->file_path, err))) {
		return rc;
	}
	prune_dirs(m->file_path, root);
	return LM_OK;
}

static int models_rm(struct lm_ctx *ctx, const char *name)
{
	struct lm_err err = { 0 };
	struct lm_model m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = ctx->store ? store_model_get(ctx->store, name, &m, &err) : LM_ENOTFOUND;
	if (rc == LM_ENOTFOUND)
		return refuse_external(ctx, name, "delete");
	if (rc)
		return ui_fail(ctx, &err);
	if (m.source && strcmp(m.source, "localmodel")) {
		ui_error(ctx, "'%s' belongs to %s; localmodel does not delete other tools' models",
			 name, m.source);
		rc = LM_EFAIL;
		goto out;
	}
	/* the same rule as cleanup: a live server of it, or a router */
	int busy = 0;
	if ((rc = cleanup_in_use(ctx->store, name, m.file_path, &busy, &err))) {
		ui_fail(ctx, &err);
		goto out;
	}
	if (busy) {
		ui_error(ctx, "'%s' is being served; stop it first ('localmodel stop')", name);
		rc = LM_ESTATE;
		goto out;
	}
	if ((rc = remove_files(ctx, &m, &err)) || (rc = store_model_delete(ctx->store, name, &err))) {
		ui_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "removed", name);
		cJSON_AddNumberToObject(doc, "freed_bytes", (double)m.size_bytes);
		ui_json_print(doc);
	} else if (!ctx->quiet) {
		char size[32];
		lm_format_size((uint64_t)m.size_bytes, size, sizeof(size));
		printf("removed %s (%s freed)\n", name, size);
	}
out:
	store_model_release(&m);
	return rc;
}

static int models_pin(struct lm_ctx *ctx, const char *name, int pin)
{
	struct lm_err err = { 0 };
	struct lm_model m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = ctx->store ? store_model_get(ctx->store, name, &m, &err) : LM_ENOTFOUND;
	if (rc == LM_ENOTFOUND)
		return refuse_external(ctx, name, pin ? "pin (it is never cleaned up)" : "unpin");
	if (rc)
		return ui_fail(ctx, &err);
	store_model_release(&m);
	if ((rc = store_model_set_pinned(ctx->store, name, pin, &err)))
		return ui_fail(ctx, &err);
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "name", name);
		cJSON_AddBoolToObject(doc, "pinned", pin);
		ui_json_print(doc);
	} else if (!ctx->quiet) {
		printf("%s %s\n", pin ? "pinned" : "unpinned", name);
	}
	return LM_OK;
}

static int models_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct lm_err err = { 0 };
	const char *sub = args->npos > 0 ? args->pos[0] : NULL;

	if (!sub) {
		return models_list(ctx, args_has(args, "all"));
	}
	if (strcmp(sub, "show") && strcmp(sub, "rm") && strcmp(sub, "pin") && strcmp(sub, "unpin")) {
		ui_error(ctx, "unknown subcommand '%s' (show, rm, pin, unpin)", sub);
		return LM_EUSAGE;
	}
	if (args_want_pos(args, 2, 2, &err)) {
		ui_error(ctx, "'%s' needs one model NAME", sub);
		return LM_EUSAGE;
	}
	if (!strcmp(sub, "show"))
		return models_show(ctx, args->pos[1], args);
	if (!strcmp(sub, "rm"))
		return models_rm(ctx, args->pos[1]);
	return models_pin(ctx, args->pos[1], !strcmp(sub, "pin"));
}

const struct lm_cmd cmd_models = {
	.name = "models",
	.alias = "ls",
	.summary = "list, inspect, remove and pin installed models",
	.usage = "localmodel models [--all] [--json]\n"
		 "       localmodel models show NAME|PATH.gguf [--ctx N] [--parallel N]\n"
		 "       localmodel models rm NAME\n"
		 "       localmodel models pin|unpin NAME",
	.description = "--all adds the models of the HF hub cache, the llama.cpp cache, LM Studio\n"
		       "and Ollama (read-only: never removed by localmodel).",
	.opts = opts,
	/* read-only unless the database exists; rm and pin need a model that is
	 * in it, and an existing database is opened read-write */
	.needs = NEED_STORE_RO,
	.run = models_run,
};
