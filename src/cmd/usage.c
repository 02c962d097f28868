/* usage: report requests and tokens per model (or per day). */
#include "localmodel/cmd.h"
#include "localmodel/predict.h"
#include "localmodel/store.h"
#include "localmodel/ui.h"
#include "localmodel/usage_report.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct lm_opt opts[] = {
	{ "since", 0, LM_OPT_VALUE, "WHEN", "7d, 12h, 2w or YYYY-MM-DD" },
	{ "by", 0, LM_OPT_VALUE, "model|day", "group rows by model (default) or by day" },
	LM_OPT_END,
};

struct usage_opts {
	const char *model;
	time_t since;
	enum usagedb_group group;
};

/* What the same tokens would cost in the cloud, in dollars; -1 when no
 * price is configured. Input counts the whole prompt, cached part included. */
static double cloud_cost(const struct lm_ctx *ctx, const struct usagedb_row *r)
{
	if (ctx->cfg.cloud_price_in <= 0 && ctx->cfg.cloud_price_out <= 0)
		return -1;
	return (double)(r->tokens_in + r->tokens_cached) * ctx->cfg.cloud_price_in / 1e6 +
	       (double)r->tokens_out * ctx->cfg.cloud_price_out / 1e6;
}

/* The speeds predicted for each model row of r (zero when unknown: not in
 * the inventory, file unreadable), from the speed figures without the
 * history (which these very rows would correct). Caller frees. */
static struct lm_speed_result *predicted(struct lm_ctx *ctx, const struct usagedb_report *r)
{
	const struct lm_machine *mach = ctx_machine(ctx);
	struct lm_speed_result *v = lm_xcalloc(r->n ? r->n : 1, sizeof(*v));
	struct lm_speed_machine sm;

	if (!mach->ok || !ctx->store)
		return v;
	ctx_speed(ctx, &mach->hw, &mach->plan, &sm, 0);
	for (size_t i = 0; i < r->n; i++) {
		struct lm_model m;
		memset(&m, 0, sizeof(m));
		if (r->rows[i].key && !store_model_get(ctx->store, r->rows[i].key, &m, NULL) &&
		    m.file_path)
			predict_file(m.file_path, &mach->plan, &sm, &v[i]);
		store_model_release(&m);
	}
	return v;
}

static cJSON *row_json(const struct lm_ctx *ctx, const struct usagedb_row *r, const char *key)
{
	cJSON *o = cJSON_CreateObject();
	double cost = cloud_cost(ctx, r);

	if (key)
		cJSON_AddStringToObject(o, key, r->key);
	cJSON_AddNumberToObject(o, "requests", (double)r->requests);
	cJSON_AddNumberToObject(o, "tokens_in", (double)r->tokens_in);
	cJSON_AddNumberToObject(o, "tokens_out", (double)r->tokens_out);
	cJSON_AddNumberToObject(o, "tokens_cached", (double)r->tokens_cached);
	cJSON_AddNumberToObject(o, "reconciled_tokens_in", (double)r->reconciled_in);
	cJSON_AddNumberToObject(o, "reconciled_tokens_out", (double)r->reconciled_out);
	cJSON_AddNumberToObject(o, "duration_ms", r->duration_ms);
	cJSON_AddNumberToObject(o, "tok_per_sec", r->tok_per_sec);
	if (r->last_used)
		cJSON_AddStringToObject(o, "last_used", r->last_used);
	else
		cJSON_AddNullToObject(o, "last_used");
	if (cost >= 0)
		cJSON_AddNumberToObject(o, "cloud_cost", cost);
	return o;
}

/* A speed rounded to a tenth, or null when unknown (0). */
static void add_speed(cJSON *o, const char *key, double v)
{
	if (v > 0)
		cJSON_AddNumberToObject(o, key, round(v * 10) / 10);
	else
		cJSON_AddNullToObject(o, key);
}

static void print_json(const struct lm_ctx *ctx, const struct usage_opts *uo,
		       const struct usagedb_report *by_model, const struct usagedb_report *by_day,
		       const struct lm_speed_result *pred)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *models = cJSON_AddArrayToObject(doc, "models");
	char since[32];

	for (size_t i = 0; i < by_model->n; i++) {
		cJSON *o = row_json(ctx, &by_model->rows[i], "model");
		int64_t n;
		double pp = predict_prompt_measured(&by_model->rows[i], &n);
		add_speed(o, "prompt_tok_per_sec", pp);
		add_speed(o, "predicted_tok_s", pred[i].decode_tok_s);
		add_speed(o, "predicted_prompt_tok_s", pred[i].prompt_tok_s);
		cJSON_AddItemToArray(models, o);
	}
	if (by_day) {
		cJSON *days = cJSON_AddArrayToObject(doc, "days");
		for (size_t i = 0; i < by_day->n; i++)
			cJSON_AddItemToArray(days, row_json(ctx, &by_day->rows[i], "day"));
	}
	cJSON_AddItemToObject(doc, "totals", row_json(ctx, &by_model->totals, NULL));
	if (uo->since > 0) {
		lm_time_iso(uo->since, since, sizeof(since));
		cJSON_AddStringToObject(doc, "since", since);
	} else {
		cJSON_AddNullToObject(doc, "since");
	}
	if (ctx->cfg.cloud_price_in > 0 || ctx->cfg.cloud_price_out > 0) {
		cJSON *p = cJSON_AddObjectToObject(doc, "cloud_price");
		cJSON_AddNumberToObject(p, "in", ctx->cfg.cloud_price_in);
		cJSON_AddNumberToObject(p, "out", ctx->cfg.cloud_price_out);
	}
	ui_json_print(doc);
}

static void fmt_count(int64_t v, char *buf, size_t n)
{
	if (v >= 1000000)
		snprintf(buf, n, "%.1fM", (double)v / 1e6);
	else if (v >= 100000)
		snprintf(buf, n, "%.1fk", (double)v / 1e3);
	else
		snprintf(buf, n, "%lld", (long long)v);
}

static void fmt_duration(double ms, char *buf, size_t n)
{
	double s = ms / 1000.0;

	if (s < 60)
		snprintf(buf, n, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, n, "%.1f min", s / 60);
	else
		snprintf(buf, n, "%.1f h", s / 3600);
}

static void table_add(const struct lm_ctx *ctx, struct ui_table *t, const struct usagedb_row *r,
		      const char *key, int by_day)
{
	char req[32], in[32], out[32], dur[32], tps[32], last[48];
	time_t lt;

	fmt_count(r->requests, req, sizeof(req));
	fmt_count(r->tokens_in, in, sizeof(in));
	fmt_count(r->tokens_out, out, sizeof(out));
	fmt_duration(r->duration_ms, dur, sizeof(dur));
	snprintf(tps, sizeof(tps), "%.1f", r->tok_per_sec);
	if (r->last_used && lm_time_parse(r->last_used, &lt) == 0)
		lm_format_ago(lt, lm_now(), last, sizeof(last));
	else
		snprintf(last, sizeof(last), "%s", r->last_used ? r->last_used : "never");
	if (by_day)
		ui_table_row(t, key, req, in, out, dur, tps);
	else
		ui_table_row(t, key, req, in, out, dur, tps, last);
}

/* Measured against predicted speeds, per model that has both. */
static void print_predicted(const struct usagedb_report *r, const struct lm_speed_result *pred)
{
	for (size_t i = 0; i < r->n; i++) {
		double dec = pred[i].decode_tok_s, pp = pred[i].prompt_tok_s, m;
		int64_t n;
		if (dec <= 0 || r->rows[i].tok_per_sec <= 0)
			continue;
		printf("%s: %.1f tokens/s measured, ~%.1f predicted (%.2fx)", r->rows[i].key,
		       r->rows[i].tok_per_sec, dec, r->rows[i].tok_per_sec / dec);
		if (pp > 0 && (m = predict_prompt_measured(&r->rows[i], &n)) > 0)
			printf("; prompt %.0f tokens/s measured, ~%.0f predicted (%.2fx)", m, pp, m / pp);
		putchar('\n');
	}
}

static void print_text(const struct lm_ctx *ctx, const struct usage_opts *uo,
		       const struct usagedb_report *r)
{
	int by_day = uo->group == USAGEDB_BY_DAY;
	struct ui_table t;
	double cost = cloud_cost(ctx, &r->totals);

	if (r->n == 0) {
		printf("no usage recorded%s\n", uo->since ? " in that period" : " yet");
		return;
	}
	ui_table_init(&t, by_day ? 6 : 7);
	t.right_align = 0x7e;
	if (by_day)
		ui_table_row(&t, "DAY", "REQUESTS", "TOKENS IN", "TOKENS OUT", "TIME", "TOK/S");
	else
		ui_table_row(&t, "MODEL", "REQUESTS", "TOKENS IN", "TOKENS OUT", "TIME", "TOK/S",
			     "LAST USED");
	for (size_t i = 0; i < r->n; i++)
		table_add(ctx, &t, &r->rows[i], r->rows[i].key, by_day);
	if (r->n > 1)
		table_add(ctx, &t, &r->totals, "total", by_day);
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
	if (r->totals.reconciled_in || r->totals.reconciled_out)
		printf("of these, %lld tokens in and %lld out were counted by llama-server's /metrics "
		       "without a request's timing lines (streams cut short, embeddings): "
		       "reconciled, not per request\n",
		       (long long)r->totals.reconciled_in, (long long)r->totals.reconciled_out);
	if (cost >= 0)
		printf("the same tokens in the cloud: $%.2f (at $%.2f in, $%.2f out per million)\n",
		       cost, ctx->cfg.cloud_price_in, ctx->cfg.cloud_price_out);
}

static int parse_opts(const struct lm_ctx *ctx, struct lm_args *args, struct usage_opts *uo,
		      struct lm_err *err)
{
	const char *by = args_get(args, "by");
	const char *since = args_get(args, "since");
	int rc;

	memset(uo, 0, sizeof(*uo));
	if ((rc = args_want_pos(args, 0, 1, err)))
		return rc;
	uo->model = args->npos ? args->pos[0] : NULL;
	if (by && !strcmp(by, "day"))
		uo->group = USAGEDB_BY_DAY;
	else if (by && strcmp(by, "model"))
		return lm_err_set(err, LM_EUSAGE, "bad --by '%s': want model or day", by);
	if (since && (rc = usagedb_parse_since(since, lm_now(), &uo->since, err)))
		return rc;
	return LM_OK;
}

static int usage_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct usage_opts uo;
	struct usagedb_report by_model = { 0 }, by_day = { 0 };
	struct lm_err err = { 0 };
	struct lm_speed_result *pred = NULL;
	int rc;

	if ((rc = parse_opts(ctx, args, &uo, &err)))
		return ui_fail(ctx, &err);
	if (ctx->store) {
		rc = usagedb_report(ctx->store, uo.model, uo.since, USAGEDB_BY_MODEL, &by_model,
				    &err);
		if (!rc && uo.group == USAGEDB_BY_DAY)
			rc = usagedb_report(ctx->store, uo.model, uo.since, USAGEDB_BY_DAY,
					    &by_day, &err);
		if (rc)
			goto out;
	}
	if (uo.model && by_model.n == 0 && !uo.since) {
		struct lm_model m;
		if (!ctx->store || store_model_get(ctx->store, uo.model, &m, NULL)) {
			rc = lm_err_set(&err, LM_ENOTFOUND, "no usage and no model '%s'",
					uo.model);
			goto out;
		}
		store_model_release(&m);
	}
	pred = predicted(ctx, &by_model);
	if (ctx->json)
		print_json(ctx, &uo, &by_model, uo.group == USAGEDB_BY_DAY ? &by_day : NULL, pred);
	else if (!ctx->quiet)
		print_text(ctx, &uo, uo.group == USAGEDB_BY_DAY ? &by_day : &by_model);
	if (!ctx->json && !ctx->quiet && uo.group == USAGEDB_BY_MODEL)
		print_predicted(&by_model, pred);
	free(pred);
out:
	usagedb_report_release(&by_model);
	usagedb_report_release(&by_day);
	return rc ? ui_fail(ctx, &err) : LM_OK;
}

const struct lm_cmd cmd_usage = {
	.name = "usage",
	.alias = NULL,
	.summary = "report requests and tokens per model",
	.usage = "localmodel usage [MODEL] [--since 7d|12h|YYYY-MM-DD] [--by model|day] [--json]",
	.description = "Requests, tokens in (prompt tokens evaluated) and out, generation time\n"
		       "and speed per model, from every request served. With cloud_price_in and\n"
		       "cloud_price_out in the config, also what the same tokens would cost.",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = usage_run,
};
