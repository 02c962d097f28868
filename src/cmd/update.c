/* update: update the llama.cpp runtime to the newest build, or roll back. */
#include "localmodel/cmd.h"
#include "localmodel/hw.h"
#include "localmodel/runtime.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct lm_opt opts[] = {
	{ "check", 0, LM_OPT_FLAG, NULL, "only report whether a newer build exists" },
	{ "rollback", 0, LM_OPT_FLAG, NULL, "switch back to the previous build" },
	LM_OPT_END,
};

static void on_progress(void *arg, const struct lm_dl_progress *p)
{
	const struct lm_ctx *ctx = arg;
	ui_progress(ctx, "llama.cpp", p->done, p->total, p->rate, NULL);
}

static int rollback(struct lm_ctx *ctx)
{
	struct rt_info cur, prev;
	struct lm_err err = { 0 };
	int rc, lock = -1;

	if ((rc = rt_lock(ctx->paths.runtime_dir, &lock, &err)))
		return ui_fail(ctx, &err);
	rc = rt_rollback(ctx->paths.runtime_dir, &err);
	if (!rc)
		rc = rt_current(ctx->paths.runtime_dir, &cur, &err);
	rt_unlock(lock);
	if (rc)
		return ui_fail(ctx, &err);
	int has_prev = rt_previous(ctx->paths.runtime_dir, &prev, NULL) == LM_OK;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "current", cur.tag);
		cJSON_AddStringToObject(o, "backend", cur.backend);
		cJSON_AddStringToObject(o, "path", cur.dir);
		if (has_prev)
			cJSON_AddStringToObject(o, "previous", prev.tag);
		else
			cJSON_AddNullToObject(o, "previous");
		ui_json_print(o);
	} else if (!ctx->quiet) {
		printf("switched back to %s; running servers keep their build until restarted\n",
		       cur.name);
	}
	return LM_OK;
}

/* The newest release for the backend of the installed runtime. */
static int find_latest(struct lm_ctx *ctx, const struct rt_info *cur, struct rt_client *client,
		       struct rt_platform *plat, char backend[16], struct rt_release *rel,
		       struct lm_err *err)
{
	struct lm_hw hw;
	int have_hw = hw_probe(&hw, NULL, HW_NO_TOOLS, NULL) == LM_OK;
	const char *want = cur->backend;
	int rc;

	rt_platform_from_hw(have_hw ? &hw : NULL, plat);
	if (!strcmp(want, "local") || !want[0]) /* registered with --from: pick as install does */
		want = ctx->cfg.backend;
	if ((rc = rt_choose_backend(plat, want, backend, NULL, 0, err)))
		return rc;
	return rt_find(client, plat, backend, NULL, rel, err);
}

static void print_check(const struct lm_ctx *ctx, const struct rt_info *cur,
			const struct rt_release *rel)
{
	int newer = rel->build > cur->build;

	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "installed", cur->tag);
		cJSON_AddStringToObject(o, "latest", rel->tag);
		cJSON_AddBoolToObject(o, "update_available", newer);
		ui_json_print(o);
	} else if (!ctx->quiet) {
		if (newer)
			printf("installed %s, latest %s: an update is available ('localmodel update')\n",
			       cur->tag, rel->tag);
		else
			printf("installed %s, latest %s: up to date\n", cur->tag, rel->tag);
	}
}

static void print_updated(const struct lm_ctx *ctx, const struct rt_info *old,
			  const struct rt_info *now, int updated)
{
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "updated", updated);
		if (updated)
			cJSON_AddStringToObject(o, "previous", old->tag);
		else
			cJSON_AddNullToObject(o, "previous");
		cJSON_AddStringToObject(o, "current", now->tag);
		cJSON_AddStringToObject(o, "backend", now->backend);
		cJSON_AddStringToObject(o, "path", now->dir);
		ui_json_print(o);
	} else if (!ctx->quiet) {
		if (updated)
			printf("updated llama.cpp %s -> %s (%s); running servers keep %s until "
			       "restarted\n",
			       old->tag, now->tag, now->backend, old->tag);
		else
			printf("llama.cpp %s is up to date\n", now->tag);
	}
}

static int update(struct lm_ctx *ctx, int check_only)
{
	struct rt_info cur, now;
	struct rt_platform plat;
	struct rt_client *client = NULL;
	struct rt_release rel = { 0 };
	struct rt_install in = { 0 };
	struct lm_err err = { 0 };
	char backend[16];
	int rc, lock = -1;

	if ((rc = rt_current(ctx->paths.runtime_dir, &cur, &err)))
		return ui_fail(ctx, &err);
	if ((rc = rt_client_new(&client, getenv("LOCALMODEL_GITHUB_API"), getenv("GITHUB_TOKEN"),
				&err)) ||
	    (rc = find_latest(ctx, &cur, client, &plat, backend, &rel, &err)))
		goto fail;
	if (check_only) {
		print_check(ctx, &cur, &rel);
		goto out;
	}
	if (rel.build <= cur.build) {
		print_updated(ctx, &cur, &cur, 0);
		goto out;
	}
	if (!rel.sha256[0]) {
		rc = lm_err_set(&err, LM_EINTEGRITY,
				"asset '%s' has no digest to check it against; 'localmodel install "
				"--tag %s --force' installs it unverified", rel.asset, rel.tag);
		goto fail;
	}
	if ((rc = rt_lock(ctx->paths.runtime_dir, &lock, &err)))
		goto fail;
	in.runtime_dir = ctx->paths.runtime_dir;
	in.rel = &rel;
	in.backend = backend;
	in.progress = on_progress;
	in.progress_ctx = ctx;
	rc = rt_install_release(client, &in, &now, &err);
	ui_progress_done(ctx);
	rt_unlock(lock);
	if (rc)
		goto fail;
	print_updated(ctx, &cur, &now, 1);
	goto out;
fail:
	ui_fail(ctx, &err);
out:
	rt_release_release(&rel);
	rt_client_free(client);
	return rc;
}

static int update_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct lm_err err = { 0 };

	if (args_want_pos(args, 0, 0, &err))
		return ui_fail(ctx, &err);
	if (args_has(args, "check") && args_has(args, "rollback")) {
		lm_err_set(&err, LM_EUSAGE, "--check and --rollback do not go together");
		return ui_fail(ctx, &err);
	}
	if (args_has(args, "rollback"))
		return rollback(ctx);
	return update(ctx, args_has(args, "check"));
}

const struct lm_cmd cmd_update = {
	.name = "update",
	.alias = NULL,
	.summary = "update the llama.cpp runtime to the newest build",
	.usage = "localmodel update [--check] [--rollback] [--json]",
	.description = "Compares the installed build with the newest one for its backend and installs\n"
		       "it; --check only reports; --rollback switches back to the previous build.",
	.opts = opts,
	.needs = 0,
	.run = update_run,
};
