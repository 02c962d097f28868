/* search: GGUF repos on Hugging Face, or the GGUF files of one repo. */
#include "localmodel/cmd.h"
#include "localmodel/fit.h"
#include "localmodel/predict.h"
#include "localmodel/hub.h"
#include "localmodel/hw.h"
#include "localmodel/pull.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct lm_opt opts[] = {
	{ "limit", 0, LM_OPT_VALUE, "N", "show at most N repos (20)" },
	{ "sort", 0, LM_OPT_VALUE, "KEY", "downloads (default), likes or updated" },
	{ "files", 0, LM_OPT_FLAG, NULL, "list the GGUF files of one repo" },
	LM_OPT_END,
};

static void fmt_params(int64_t p, char *buf, size_t size)
{
	if (p <= 0)
		snprintf(buf, size, "-");
	else if (p >= 1000000000)
		snprintf(buf, size, "%.1fB", (double)p / 1e9);
	else
		snprintf(buf, size, "%.0fM", (double)p / 1e6);
}

static void fmt_count(int64_t n, char *buf, size_t size)
{
	if (n >= 1000000)
		snprintf(buf, size, "%.1fM", (double)n / 1e6);
	else if (n >= 10000)
		snprintf(buf, size, "%.0fk", (double)n / 1e3);
	else
		snprintf(buf, size, "%lld", (long long)n);
}

/* "2026-01-02T..." -> "3 days ago". */
static void fmt_updated(const char *iso, char *buf, size_t size)
{
	time_t t;
	if (!iso || lm_time_parse(iso, &t) != 0) {
		snprintf(buf, size, "-");
		return;
	}
	lm_format_ago(t, lm_now(), buf, size);
}

static void print_repos(struct lm_ctx *ctx, const char *query, const struct hub_repo *v, size_t n)
{
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr;
		cJSON_AddStringToObject(doc, "query", query);
		arr = cJSON_AddArrayToObject(doc, "results");
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "repo", v[i].id);
			cJSON_AddNumberToObject(o, "downloads", (double)v[i].downloads);
			cJSON_AddNumberToObject(o, "likes", (double)v[i].likes);
			if (v[i].last_modified)
				cJSON_AddStringToObject(o, "last_modified", v[i].last_modified);
			else
				cJSON_AddNullToObject(o, "last_modified");
			cJSON_AddNumberToObject(o, "params", (double)v[i].params);
			if (v[i].arch)
				cJSON_AddStringToObject(o, "arch", v[i].arch);
			else
				cJSON_AddNullToObject(o, "arch");
			cJSON_AddBoolToObject(o, "gated", v[i].gated && strcmp(v[i].gated, "false"));
			cJSON_AddItemToArray(arr, o);
		}
		ui_json_print(doc);
		return;
	}
	if (ctx->quiet)
		return;
	if (n == 0) {
		ui_info(ctx, "no GGUF repos match '%s'", query);
		return;
	}
	struct ui_table t;
	ui_table_init(&t, 7);
	t.right_align = (1u << 1) | (1u << 2) | (1u << 4);
	ui_table_row(&t, "REPO", "DOWNLOADS", "LIKES", "UPDATED", "PARAMS", "ARCH", "GATED");
	for (size_t i = 0; i < n; i++) {
		char d[32], l[32], u[64], p[32];
		fmt_count(v[i].downloads, d, sizeof(d));
		fmt_count(v[i].likes, l, sizeof(l));
		fmt_updated(v[i].last_modified, u, sizeof(u));
		fmt_params(v[i].params, p, sizeof(p));
		ui_table_row(&t, v[i].id, d, l, u, p, v[i].arch,
			     v[i].gated && strcmp(v[i].gated, "false") ? "yes" : "");
	}
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
}

static int search_repos(struct lm_ctx *ctx, const char *query, const char *sort, long limit)
{
	struct lm_err err = { 0 };
	struct lm_hub *hub = NULL;
	struct hub_repo *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = hub_open(&hub, &err)) || (rc = hub_search(hub, query, sort, (int)limit, &v, &n, &err))) {
		hub_free(hub);
		return ui_fail(ctx, &err);
	}
	print_repos(ctx, query, v, n);
	hub_repo_list_free(v, n);
	hub_free(hub);
	return LM_OK;
}

/* ---- --files -------------------------------------------------------------- */

struct fitter {
	struct lm_fit_machine mc;
	struct lm_speed_machine sm;
	uint64_t reserve;
	int known;
};

/* One file's fit and predicted speeds on this machine. */
struct file_pred {
	int fits;                 /* 1, 0, -1 unknown */
	struct lm_speed_result sp; /* when fits >= 0 */
};

static void fitter_init(struct lm_ctx *ctx, struct fitter *f)
{
	const struct lm_machine *mach = ctx_machine(ctx);

	memset(f, 0, sizeof(*f));
	f->reserve = mach->reserve;
	if (mach->ok && mach->plan.ram_bytes) {
		f->mc = mach->plan;
		ctx_speed(ctx, &mach->hw, &mach->plan, &f->sm, 1);
		f->known = 1;
	}
}

static void file_predict(const struct fitter *ft, const char *repo, uint64_t size,
			 struct file_pred *fp)
{
	struct lm_fit_result r;

	memset(fp, 0, sizeof(*fp));
	fp->fits = ft->known ? pull_fits_size(&ft->mc, ft->reserve, repo, size) : -1;
	if (fp->fits >= 0 &&
	    predict_file_size(&ft->mc, ft->reserve, &ft->sm, repo, size, &r, &fp->sp))
		fp->fits = -1;
}

static const char *fits_text(int f)
{
	return f > 0 ? "yes" : f == 0 ? "no" : "?";
}

static void print_files(struct lm_ctx *ctx, const char *repo, const struct hub_group *g,
			size_t n, const struct file_pred *fp)
{
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr;
		cJSON_AddStringToObject(doc, "repo", repo);
		arr = cJSON_AddArrayToObject(doc, "files");
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject(), *parts;
			cJSON_AddStringToObject(o, "path", g[i].parts[0]->path);
			cJSON_AddStringToObject(o, "quant", g[i].quant);
			cJSON_AddNumberToObject(o, "size_bytes", (double)g[i].size);
			cJSON_AddNumberToObject(o, "part_count", g[i].count);
			parts = cJSON_AddArrayToObject(o, "parts");
			for (int k = 0; k < g[i].nparts; k++)
				cJSON_AddItemToArray(parts, cJSON_CreateString(g[i].parts[k]->path));
			cJSON_AddBoolToObject(o, "complete", g[i].nparts == g[i].count);
			cJSON_AddStringToObject(o, "kind", g[i].aux ? "aux" : "model");
			if (fp[i].fits < 0)
				cJSON_AddNullToObject(o, "fits");
			else
				cJSON_AddBoolToObject(o, "fits", fp[i].fits);
			if (fp[i].fits != 1 || g[i].aux) {
				cJSON_AddNullToObject(o, "decode_tok_s");
				cJSON_AddNullToObject(o, "prompt_tok_s");
			} else {
				cJSON_AddNumberToObject(o, "decode_tok_s",
							round(fp[i].sp.decode_tok_s * 10) / 10);
				cJSON_AddNumberToObject(o, "prompt_tok_s",
							round(fp[i].sp.prompt_tok_s * 10) / 10);
			}
			cJSON_AddItemToArray(arr, o);
		}
		ui_json_print(doc);
		return;
	}
	if (ctx->quiet)
		return;
	if (n == 0) {
		ui_info(ctx, "no GGUF files in '%s'", repo);
		return;
	}
	struct ui_table t;
	ui_table_init(&t, 6);
	t.right_align = 1u << 2 | 1u << 5;
	ui_table_row(&t, "FILE", "QUANT", "SIZE", "PARTS", "FITS", "SPEED");
	for (size_t i = 0; i < n; i++) {
		char size[32], parts[32], quant[48], sp[32] = "";
		lm_format_size(g[i].size, size, sizeof(size));
		if (g[i].count > 1)
			snprintf(parts, sizeof(parts), "%d/%d", g[i].nparts, g[i].count);
		else
			snprintf(parts, sizeof(parts), "1");
		snprintf(quant, sizeof(quant), "%s%s", g[i].quant[0] ? g[i].quant : "-",
			 g[i].aux ? " (aux)" : "");
		if (!g[i].aux && fp[i].fits == 1)
			snprintf(sp, sizeof(sp), "~%.*f tok/s", fp[i].sp.decode_tok_s < 10 ? 1 : 0,
				 fp[i].sp.decode_tok_s);
		ui_table_row(&t, g[i].parts[0]->path, quant, size, parts,
			     g[i].aux ? "" : fits_text(fp[i].fits), sp);
	}
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
}

static int search_files(struct lm_ctx *ctx, const char *repo)
{
	struct lm_err err = { 0 };
	struct lm_hub *hub = NULL;
	struct hub_file *files = NULL;
	struct hub_group *g = NULL;
	size_t nf = 0, ng = 0;
	struct fitter ft;
	struct file_pred *fp;
	int rc;

	if (!hub_repo_valid(repo)) {
		ui_error(ctx, "'%s' is not a repo name (want ORG/REPO with --files)", repo);
		return LM_EUSAGE;
	}
	if ((rc = hub_open(&hub, &err)) || (rc = hub_tree_list(hub, repo, "main", &files, &nf, &err))) {
		hub_free(hub);
		return ui_fail(ctx, &err);
	}
	hub_group_files(files, nf, &g, &ng);
	fitter_init(ctx, &ft);
	fp = lm_xcalloc(ng ? ng : 1, sizeof(*fp));
	for (size_t i = 0; i < ng; i++)
		file_predict(&ft, repo, g[i].size, &fp[i]);
	print_files(ctx, repo, g, ng, fp);
	free(fp);
	hub_group_list_free(g, ng);
	hub_file_list_free(files, nf);
	hub_free(hub);
	return LM_OK;
}

static int search_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct lm_err err = { 0 };
	const char *sort = args_get(args, "sort");
	long limit = 20;

	if (args_want_pos(args, 1, 1, &err) ||
	    args_get_long(args, "limit", 1, 1000, &limit, &err))
		return ui_fail(ctx, &err);
	if (sort && strcmp(sort, "downloads") && strcmp(sort, "likes") && strcmp(sort, "updated")) {
		ui_error(ctx, "--sort must be downloads, likes or updated, not '%s'", sort);
		return LM_EUSAGE;
	}
	if (args_has(args, "files"))
		return search_files(ctx, args->pos[0]);
	return search_repos(ctx, args->pos[0], sort, limit);
}

const struct lm_cmd cmd_search = {
	.name = "search",
	.alias = NULL,
	.summary = "search Hugging Face for GGUF models",
	.usage = "localmodel search QUERY [--limit N] [--sort downloads|likes|updated] [--json]\n"
		 "       localmodel search ORG/REPO --files [--json]",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = search_run,
};
