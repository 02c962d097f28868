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
#include "localmodel/otherstores.h"
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

/* A list of models: ours first, then the other stores', then the
 * partial downloads. */
struct mlist {
	struct lm_model *own;
	size_t nown;
	char (*broken)[256]; /* per own model: why it is broken, or "" */
	struct lm_model *ext;
	size_t next;
	struct cleanup_partial *part;
	size_t npart;
};

static void mlist_release(struct mlist *l)
{
	store_model_list_free(l->own, l->nown);
	store_model_list_free(l->ext, l->next);
	cleanup_partials_free(l->part, l->npart);
	free(l->broken);
	memset(l, 0, sizeof(*l));
}

/* Why a row of localmodel's own cannot be used or removed: its file is
 * missing, a directory, a link, or outside the models directory. */
static void mlist_judge(struct lm_ctx *ctx, struct mlist *l)
{
	l->broken = lm_xcalloc(l->nown ? l->nown : 1, sizeof(*l->broken));
	for (size_t i = 0; i < l->nown; i++) {
		const struct lm_model *m = &l->own[i];
		if (m->source && strcmp(m->source, "localmodel"))
			continue;
		if (cleanup_row_check(ctx->paths.models_dir, m->file_path, l->broken[i],
				      sizeof(l->broken[i])) == CLEANUP_DELETE) {
			l->broken[i][0] = '\0';
			if (!paths_exists(m->file_path))
				snprintf(l->broken[i], sizeof(l->broken[i]), "'%s' is missing",
					 m->file_path);
		}
	}
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

static cJSON *model_json(const struct lm_model *m, const char *broken)
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
	STR_OR_NULL("alias_of", m->alias_of);
	cJSON_AddBoolToObject(o, "partial", 0);
	cJSON_AddBoolToObject(o, "broken", broken && *broken);
	if (broken && *broken)
		cJSON_AddStringToObject(o, "broken_reason", broken);
#undef STR_OR_NULL
	return o;
}

static cJSON *partial_json(const struct cleanup_partial *p)
{
	cJSON *o = cJSON_CreateObject();
	char iso[32];

	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "source", "localmodel");
	cJSON_AddStringToObject(o, "path", p->path);
	cJSON_AddBoolToObject(o, "partial", 1);
	cJSON_AddNumberToObject(o, "bytes", (double)p->have);
	cJSON_AddNumberToObject(o, "total_bytes", (double)p->total);
	cJSON_AddNumberToObject(o, "disk_bytes", (double)p->disk);
	lm_time_iso(p->mtime, iso, sizeof(iso));
	cJSON_AddStringToObject(o, "modified", iso);
	cJSON_AddNumberToObject(o, "age_seconds", (double)(lm_now() > p->mtime ? lm_now() - p->mtime : 0));
	cJSON_AddBoolToObject(o, "downloading", p->active);
	return o;
}

static void partial_row(struct ui_table *t, const struct cleanup_partial *p, int all)
{
	char name[600], have[32], total[32], of[96], ago[64];

	snprintf(name, sizeof(name), "%s (partial%s)", p->name, p->active ? ", downloading" : "");
	lm_format_size((uint64_t)p->have, have, sizeof(have));
	lm_format_size((uint64_t)p->total, total, sizeof(total));
	snprintf(of, sizeof(of), "of %s", p->total > 0 ? total : "?");
	lm_format_ago(p->mtime, lm_now(), ago, sizeof(ago));
	if (all)
		ui_table_row(t, name, have, "-", of, "-", ago, "-", "partial");
	else
		ui_table_row(t, name, have, "-", of, "-", ago, "-");
}

static void table_row(struct ui_table *t, const struct lm_model *m, const char *broken, int all)
{
	char name[600], size[32], ap[96], params[32], c[32], last[64], req[32];

	snprintf(name, sizeof(name), "%s%s%s%s%s", m->model, m->pinned ? " (pinned)" : "",
		 broken && *broken ? " (broken)" : "", m->alias_of ? " = " : "",
		 m->alias_of ? m->alias_of : "");
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
	mlist_judge(ctx, &l);
	cleanup_partials(ctx->paths.models_dir, &l.part, &l.npart);
	for (size_t i = 0; i < l.nown; i++)
		if (!l.broken[i][0])
			fill_from_gguf(&l.own[i]);
	for (size_t i = 0; i < l.next; i++)
		fill_from_gguf(&l.ext[i]);
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "models");
		for (size_t i = 0; i < l.nown; i++)
			cJSON_AddItemToArray(arr, model_json(&l.own[i], l.broken[i]));
		for (size_t i = 0; i < l.next; i++)
			cJSON_AddItemToArray(arr, model_json(&l.ext[i], NULL));
		for (size_t i = 0; i < l.npart; i++)
			cJSON_AddItemToArray(arr, partial_json(&l.part[i]));
		ui_json_print(doc);
	} else if (!ctx->quiet && l.nown + l.next + l.npart == 0) {
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
			table_row(&t, &l.own[i], l.broken[i], all);
		for (size_t i = 0; i < l.next; i++)
			table_row(&t, &l.ext[i], NULL, all);
		for (size_t i = 0; i < l.npart; i++)
			partial_row(&t, &l.part[i], all);
		ui_table_print(ctx, &t, stdout);
		ui_table_release(&t);
		fflush(stdout);
		for (size_t i = 0; i < l.nown; i++)
			if (l.broken[i][0])
				ui_warn(ctx, "%s is broken: %s", l.own[i].model, l.broken[i]);
		if (l.npart)
			ui_info(ctx, "a partial download resumes with 'localmodel pull'; remove it with"
				     " 'localmodel models rm NAME' or 'localmodel cleanup --partial'");
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
	ctx_speed(ctx, &mach->hw, &mach->plan, &sf->sm, 1);
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

	cJSON_AddItemToObject(doc, "model", model_json(m, NULL));
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

/* What a pull leaves beside a file: remove it with the file. */
static void remove_leftovers(const char *file_path)
{
	static const char *const extra[] = { ".part", ".part.state", ".lock", ".link" };
	size_t n;
	char **v = cleanup_parts(file_path, &n);
	char p[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++)
			if (snprintf(p, sizeof(p), "%s%s", v[i], extra[k]) < (int)sizeof(p))
				unlink(p);
		free(v[i]);
	}
	free(v);
}

static void print_removed(struct lm_ctx *ctx, const char *name, int64_t freed, const char *kept_for)
{
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "removed", name);
		cJSON_AddNumberToObject(doc, "freed_bytes", (double)freed);
		if (kept_for)
			cJSON_AddStringToObject(doc, "file_kept_for", kept_for);
		ui_json_print(doc);
	} else if (!ctx->quiet) {
		char size[32];
		lm_format_size((uint64_t)freed, size, sizeof(size));
		if (kept_for)
			printf("removed %s (its file stays: it is also '%s')\n", name, kept_for);
		else
			printf("removed %s (%s freed)\n", name, size);
	}
}

/* A partial download named by its path under the models directory. */
static int remove_partial(struct lm_ctx *ctx, const char *name, int *found)
{
	struct cleanup_partial *v;
	struct lm_err err = { 0 };
	size_t n;
	uint64_t freed = 0;
	int rc = LM_OK;

	*found = 0;
	cleanup_partials(ctx->paths.models_dir, &v, &n);
	for (size_t i = 0; i < n && !*found; i++) {
		if (strcmp(v[i].name, name))
			continue;
		*found = 1;
		if ((rc = cleanup_partial_remove(ctx->paths.models_dir, v[i].path, &freed, &err)))
			ui_fail(ctx, &err);
		else
			print_removed(ctx, name, (int64_t)freed, NULL);
	}
	cleanup_partials_free(v, n);
	return rc;
}

/* Another row names the same file: remove only this name. */
static int remove_alias(struct lm_ctx *ctx, const struct lm_model *m, const char *other)
{
	struct lm_err err = { 0 };
	int rc;

	if (m->pinned && !m->alias_of) {
		ui_error(ctx, "'%s' is pinned; unpin it first ('localmodel models unpin')", m->model);
		return LM_ESTATE;
	}
	if ((rc = store_model_delete(ctx->store, m->model, &err)))
		return ui_fail(ctx, &err);
	print_removed(ctx, m->model, 0, other);
	return LM_OK;
}

/* Remove the file (all parts) and every row of it, by cleanup's
 * crash-safe protocol, after the same checks. */
static int remove_model(struct lm_ctx *ctx, const struct lm_model *m)
{
	struct cleanup_item it;
	struct lm_err err = { 0 };
	uint64_t freed = 0;
	int busy = 0, rc;

	if (m->pinned) {
		ui_error(ctx, "'%s' is pinned; unpin it first ('localmodel models unpin')", m->model);
		return LM_ESTATE;
	}
	if ((rc = cleanup_in_use(ctx->store, m->model, m->file_path, &busy, &err)))
		return ui_fail(ctx, &err);
	if (busy) {
		ui_error(ctx, "'%s' is being served; stop it first ('localmodel stop')", m->model);
		return LM_ESTATE;
	}
	memset(&it, 0, sizeof(it));
	it.model = m->model;
	it.file_path = m->file_path;
	it.source = "localmodel";
	it.verdict = (enum cleanup_verdict)cleanup_row_check(ctx->paths.models_dir, m->file_path,
							     it.note, sizeof(it.note));
	if (it.verdict != CLEANUP_DELETE) {
		ui_error(ctx, "not removing '%s': %s", m->model, it.note);
		return LM_EFAIL;
	}
	if ((rc = cleanup_remove(ctx->store, ctx->paths.models_dir, &it, &freed, &err)))
		return ui_fail(ctx, &err);
	remove_leftovers(m->file_path);
	print_removed(ctx, m->model, m->size_bytes, NULL);
	return LM_OK;
}

static int models_rm(struct lm_ctx *ctx, const char *name)
{
	struct lm_err err = { 0 };
	struct lm_model m, *rows = NULL;
	size_t nrows = 0;
	int rc, found = 0;

	memset(&m, 0, sizeof(m));
	rc = ctx->store ? store_model_get(ctx->store, name, &m, &err) : LM_ENOTFOUND;
	if (rc == LM_ENOTFOUND) {
		rc = remove_partial(ctx, name, &found);
		return found ? rc : refuse_external(ctx, name, "delete");
	}
	if (rc)
		return ui_fail(ctx, &err);
	if (m.source && strcmp(m.source, "localmodel")) {
		ui_error(ctx, "'%s' belongs to %s; localmodel does not delete other tools' models",
			 name, m.source);
		rc = LM_EFAIL;
		goto out;
	}
	if ((rc = cleanup_file_rows(ctx->store, m.file_path, &rows, &nrows, &err))) {
		ui_fail(ctx, &err);
		goto out;
	}
	/* other names of the file, not counting this row's own aliases */
	for (size_t i = 0; i < nrows && !found; i++)
		if (strcmp(rows[i].model, name) &&
		    !(rows[i].alias_of && !strcmp(rows[i].alias_of, name))) {
			found = 1;
			rc = remove_alias(ctx, &m, rows[i].alias_of && !m.alias_of ?
						   rows[i].alias_of : rows[i].model);
		}
	if (!found)
		rc = remove_model(ctx, &m);
out:
	store_model_list_free(rows, nrows);
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

static const struct lm_subcmd subs[] = {
	{ "show", 1, 1, "model NAME" },
	{ "rm", 1, 1, "model NAME" },
	{ "pin", 1, 1, "model NAME" },
	{ "unpin", 1, 1, "model NAME" },
	{ NULL, 0, 0, NULL },
};

/* The dispatcher checked the subcommand and its argument (subs). */
static int models_run(struct lm_ctx *ctx, struct lm_args *args)
{
	const char *sub = args->npos > 0 ? args->pos[0] : NULL;
	int fixed = 0;

	/* finish or undo a deletion a kill interrupted (nothing when read-only) */
	if (ctx->store)
		cleanup_recover(ctx->store, ctx->paths.models_dir, &fixed, NULL);
	if (!sub)
		return models_list(ctx, args_has(args, "all"));
	if (!strcmp(sub, "show"))
		return models_show(ctx, args->pos[1], args);
	if (store_readonly(ctx->store)) {
		ui_error(ctx, "cannot %s '%s': the database '%s' is read-only (a read-only home)",
			 sub, args->pos[1], ctx->paths.db_path);
		return LM_EFAIL;
	}
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
	.subs = subs,
	/* read-only unless the database exists; rm and pin need a model that is
	 * in it, and an existing database is opened read-write */
	.needs = NEED_STORE_RO,
	.run = models_run,
};
