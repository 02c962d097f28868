/* cleanup: delete models unused for weeks; --nudge for shell start-up. */
#include "localmodel/cleanup.h"
#include "localmodel/cmd.h"
#include "localmodel/paths.h"
#include "localmodel/store.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct lm_opt opts[] = {
	{ "days", 0, LM_OPT_VALUE, "N", "unused for N days (config stale_days, 30)" },
	{ "dry-run", 'n', LM_OPT_FLAG, NULL, "only list what would be removed" },
	{ "yes", 'y', LM_OPT_FLAG, NULL, "delete without asking" },
	{ "include-external", 0, LM_OPT_FLAG, NULL, "also other tools' stores, by their rules" },
	{ "partial", 0, LM_OPT_FLAG, NULL, "only partial downloads (any age)" },
	{ "nudge", 0, LM_OPT_FLAG, NULL, "one line for shell start-up, at most daily" },
	LM_OPT_END,
};

#define NUDGE_STAMP "nudge-stamp"

static volatile sig_atomic_t stop_asked;

/* SIGINT, SIGTERM and SIGHUP finish the model being deleted and stop:
 * a deletion is never left half done by a polite signal (and a kill -9
 * is completed or rolled back by the next run, see cleanup.h). */
static void catch_signals(void)
{
	cmd_catch_signals(&stop_asked, 1);
}

enum outcome { KEPT, STALE, DELETED, SKIPPED, FAILED };

static const char *const outcome_names[] = { "kept", "stale", "deleted", "skipped", "failed" };

struct run {
	long days;
	time_t now, cutoff;
	int dry, yes, interactive, external, partial;
	struct cleanup_item *items;
	size_t n;
	enum outcome *out;
	char **errors;       /* per item, for FAILED */
	uint64_t stale_bytes, freed;
	int deleted, rc;
	int db_failed;       /* the database refused a write: stop deleting */
};

/* Shell start-up: one line at most once a day, silent on any problem,
 * exit 0 always; no store open, no migration, no lock wait. --quiet does
 * not silence it: the line is the point (and the dispatcher may set quiet
 * to keep its own set-up messages out of shell start-up). */
static int nudge(const struct lm_ctx *ctx, long days)
{
	char stamp[PATH_MAX], size[32];
	int64_t count = 0, bytes = 0;
	time_t now = lm_now();

	if (paths_join(stamp, sizeof(stamp), ctx->paths.state_dir, NUDGE_STAMP) < 0)
		return LM_OK;
	if (!cleanup_nudge_due(stamp, now) || !paths_exists(ctx->paths.db_path))
		return LM_OK;
	if (cleanup_nudge_query(ctx->paths.db_path, now - (time_t)days * 86400, &count, &bytes))
		return LM_OK;
	if (count <= 0 || (double)bytes <= ctx->cfg.nudge_min_gb * 1073741824.0)
		return LM_OK;
	lm_format_size((uint64_t)bytes, size, sizeof(size));
	fprintf(stderr, "localmodel: %lld model%s unused for %ld+ days take%s %s; run 'localmodel"
		" cleanup'\n", (long long)count, count == 1 ? "" : "s", days, count == 1 ? "s" : "",
		size);
	cleanup_nudge_mark(stamp, now, NULL);
	return LM_OK;
}

static const char *item_status(const struct run *r, size_t i, char *buf, size_t size)
{
	const struct cleanup_item *it = &r->items[i];

	switch (r->out[i]) {
	case KEPT:
		snprintf(buf, size, "kept: %s", it->note);
		break;
	case STALE:
		snprintf(buf, size, "%s", r->dry || !r->yes ? "would delete" : "stale");
		break;
	case FAILED:
		snprintf(buf, size, "failed: %s", r->errors[i] ? r->errors[i] : "?");
		break;
	default:
		snprintf(buf, size, "%s", outcome_names[r->out[i]]);
	}
	return buf;
}

static void last_words(const struct run *r, const struct cleanup_item *it, char *buf,
		       size_t size)
{
	char ago[64];

	if (it->partial) {
		lm_format_ago(it->last, r->now, ago, sizeof(ago));
		snprintf(buf, size, "partial, written %s", ago);
	} else if (it->last_used && it->last)
		lm_format_ago(it->last, r->now, buf, size);
	else if (it->last)
		snprintf(buf, size, "never (seen %ld days ago)", (long)((r->now - it->last) / 86400));
	else
		snprintf(buf, size, "never");
}

static void print_text(const struct lm_ctx *ctx, const struct run *r)
{
	struct ui_table t;
	char size[32], last[64], status[320];

	if (r->n == 0) {
		printf(r->partial ? "no partial downloads\n" : "no models unused for %ld+ days\n",
		       r->days);
		return;
	}
	ui_table_init(&t, 4);
	t.right_align = 0x2;
	ui_table_row(&t, "MODEL", "SIZE", "LAST USED", "STATUS");
	for (size_t i = 0; i < r->n; i++) {
		const struct cleanup_item *it = &r->items[i];
		lm_format_size((uint64_t)(it->size_bytes > 0 ? it->size_bytes : 0), size,
			       sizeof(size));
		last_words(r, it, last, sizeof(last));
		ui_table_row(&t, it->model, size, last, item_status(r, i, status, sizeof(status)));
	}
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
	if (r->yes || r->interactive) {
		lm_format_size(r->freed, size, sizeof(size));
		printf("deleted %d model%s, freed %s\n", r->deleted, r->deleted == 1 ? "" : "s",
		       size);
	} else {
		lm_format_size(r->stale_bytes, size, sizeof(size));
		printf("%s would be freed%s\n", size,
		       r->dry || !r->stale_bytes ? "" : "; run 'localmodel cleanup --yes' to delete");
	}
}

static void print_json(const struct run *r)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *arr;
	char iso[32], status[320];

	cJSON_AddNumberToObject(doc, "days", (double)r->days);
	lm_time_iso(r->cutoff, iso, sizeof(iso));
	cJSON_AddStringToObject(doc, "cutoff", iso);
	cJSON_AddBoolToObject(doc, "dry_run", r->dry || !r->yes);
	arr = cJSON_AddArrayToObject(doc, "models");
	for (size_t i = 0; i < r->n; i++) {
		const struct cleanup_item *it = &r->items[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "model", it->model);
		cJSON_AddStringToObject(o, "source", it->source);
		if (it->file_path)
			cJSON_AddStringToObject(o, "path", it->file_path);
		else
			cJSON_AddNullToObject(o, "path");
		cJSON_AddNumberToObject(o, "size_bytes", (double)it->size_bytes);
		if (it->last_used)
			cJSON_AddStringToObject(o, "last_used", it->last_used);
		else
			cJSON_AddNullToObject(o, "last_used");
		if (it->first_seen)
			cJSON_AddStringToObject(o, "first_seen", it->first_seen);
		else
			cJSON_AddNullToObject(o, "first_seen");
		cJSON_AddStringToObject(o, "status", outcome_names[r->out[i]]);
		cJSON_AddBoolToObject(o, "partial", it->partial);
		if (it->partial)
			cJSON_AddNumberToObject(o, "total_bytes", (double)it->total_bytes);
		if (r->out[i] == KEPT) {
			cJSON_AddStringToObject(o, "kept_because", cleanup_verdict_name(it->verdict));
			cJSON_AddStringToObject(o, "reason", it->note);
		} else if (r->out[i] == FAILED) {
			cJSON_AddStringToObject(o, "reason", item_status(r, i, status, sizeof(status)));
		}
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddNumberToObject(doc, "stale_bytes", (double)r->stale_bytes);
	cJSON_AddNumberToObject(doc, "freed_bytes", (double)r->freed);
	cJSON_AddNumberToObject(doc, "deleted", r->deleted);
	ui_json_print(doc);
}

static void delete_one(struct lm_ctx *ctx, struct lm_store *s, struct run *r, size_t i)
{
	struct lm_err err = { 0 };
	uint64_t freed = 0;
	int rc;

	if (r->db_failed || stop_asked) {
		r->out[i] = SKIPPED;
		return;
	}
	rc = cleanup_remove(s, ctx->paths.models_dir, &r->items[i], &freed, &err);

	r->freed += freed;
	if (rc == LM_OK) {
		r->out[i] = DELETED;
		r->deleted++;
		return;
	}
	r->out[i] = FAILED;
	r->errors[i] = lm_xstrdup(err.msg);
	ui_fail(ctx, &err);
	/* a locked or full database fails every model the same way, each after
	 * the whole busy timeout: say it once and leave the rest alone */
	r->db_failed = lm_starts_with(err.msg, "database:");
	if (!r->rc)
		r->rc = rc;
}

/* Ask per model on the terminal: y, n, a (all the rest), q (stop). */
static void ask_each(struct lm_ctx *ctx, struct lm_store *s, struct run *r)
{
	int all = 0, quit = 0;

	for (size_t i = 0; i < r->n; i++) {
		char size[32], last[64], q[600];
		if (r->out[i] != STALE)
			continue;
		if (quit) {
			r->out[i] = SKIPPED;
			continue;
		}
		if (!all) {
			lm_format_size((uint64_t)r->items[i].size_bytes, size, sizeof(size));
			last_words(r, &r->items[i], last, sizeof(last));
			snprintf(q, sizeof(q), "delete %s (%s, last used %s)?", r->items[i].model,
				 size, last);
			int c = ui_ask(q, "ynaq");
			if (c == 'a')
				all = 1;
			if (c == 'q' || c == 0) {
				quit = 1;
				r->out[i] = SKIPPED;
				continue;
			}
			if (c == 'n') {
				r->out[i] = SKIPPED;
				continue;
			}
		}
		delete_one(ctx, s, r, i);
	}
}

static int parse(struct lm_ctx *ctx, struct lm_args *args, struct run *r, struct lm_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->days = ctx->cfg.stale_days > 0 ? ctx->cfg.stale_days : 30;
	if ((rc = args_want_pos(args, 0, 0, err)) ||
	    (rc = args_get_long(args, "days", 1, 36500, &r->days, err)))
		return rc;
	r->dry = args_has(args, "dry-run");
	r->yes = args_has(args, "yes") && !r->dry;
	r->external = args_has(args, "include-external");
	r->partial = args_has(args, "partial");
	r->interactive = !r->dry && !r->yes && !ctx->json && isatty(0) && isatty(2);
	r->now = lm_now();
	r->cutoff = r->now - (time_t)r->days * 86400;
	return LM_OK;
}

static int cleanup_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct lm_store *s = NULL;
	struct lm_err err = { 0 };
	struct run r;
	int rc;

	if ((rc = parse(ctx, args, &r, &err))) {
		if (args_has(args, "nudge"))
			return LM_OK;
		return ui_fail(ctx, &err);
	}
	if (args_has(args, "nudge"))
		return nudge(ctx, r.days);
	if (paths_exists(ctx->paths.db_path)) {
		int fixed = 0;
		if ((rc = store_open(&s, ctx->paths.db_path, STORE_EXISTING, 5000, &err)) ||
		    (rc = cleanup_recover(s, ctx->paths.models_dir, &fixed, &err)))
			goto out;
		if (store_readonly(s) && (r.yes || r.interactive)) {
			rc = lm_err_set(&err, LM_EFAIL, "cannot delete anything: the database '%s' is"
					" read-only (a read-only home); --dry-run lists",
					ctx->paths.db_path);
			goto out;
		}
		if (fixed)
			ui_info(ctx, "completed %d file%s of an interrupted deletion", fixed,
				fixed == 1 ? "" : "s");
		if (!r.partial && (rc = cleanup_stale(s, ctx->paths.models_dir, r.cutoff, r.external,
						      &r.items, &r.n, &err)))
			goto out;
	}
	cleanup_partial_items(ctx->paths.models_dir, &r.items, &r.n);
	r.out = lm_xcalloc(r.n ? r.n : 1, sizeof(*r.out));
	r.errors = lm_xcalloc(r.n ? r.n : 1, sizeof(*r.errors));
	for (size_t i = 0; i < r.n; i++) {
		r.out[i] = r.items[i].verdict == CLEANUP_DELETE ? STALE : KEPT;
		if (r.out[i] == STALE)
			r.stale_bytes += (uint64_t)(r.items[i].size_bytes > 0 ? r.items[i].size_bytes : 0);
	}
	if (r.interactive) {
		ask_each(ctx, s, &r);
	} else if (r.yes) {
		catch_signals();
		for (size_t i = 0; i < r.n; i++)
			if (r.out[i] == STALE)
				delete_one(ctx, s, &r, i);
		if (stop_asked) {
			ui_error(ctx, "stopped by a signal; the models not yet deleted are kept");
			if (!r.rc)
				r.rc = LM_EFAIL;
		}
	}
	if (ctx->json)
		print_json(&r);
	else if (!ctx->quiet)
		print_text(ctx, &r);
	rc = r.rc;
	for (size_t i = 0; i < r.n; i++)
		free(r.errors[i]);
	free(r.errors);
	free(r.out);
	cleanup_items_free(r.items, r.n);
	store_close(s);
	return rc;
out:
	store_close(s);
	return ui_fail(ctx, &err);
}

const struct lm_cmd cmd_cleanup = {
	.name = "cleanup",
	.alias = NULL,
	.summary = "delete models unused for weeks",
	.usage = "localmodel cleanup [--days N] [--dry-run] [--yes] [--include-external] [--partial]\n"
		 "       [--json]\n"
		 "       localmodel cleanup --nudge",
	.description = "Lists models not used for N days with their size. On a terminal it asks\n"
		       "per model; otherwise it only lists unless --yes is given. Pinned models,\n"
		       "models a running server uses and files outside the models directory are\n"
		       "never deleted. Partial downloads are listed too; --partial lists only them.",
	.opts = opts,
	/* the store is opened here: --nudge must not wait on a lock or migrate */
	.needs = 0,
	.run = cleanup_run,
};
