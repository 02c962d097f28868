/* install: install or switch the llama.cpp runtime (llama-server). */
#include "localmodel/cmd.h"
#include "localmodel/hw.h"
#include "localmodel/runtime.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct lm_opt opts[] = {
	{ "backend", 0, LM_OPT_VALUE, "NAME", "auto, cpu, vulkan, rocm or metal" },
	{ "tag", 0, LM_OPT_VALUE, "bNNNN", "install this build instead of the newest" },
	{ "from", 0, LM_OPT_VALUE, "PATH", "register an existing llama-server, no download" },
	{ "force", 0, LM_OPT_FLAG, NULL, "accept an asset without a digest; reinstall" },
	LM_OPT_END,
};

static void on_progress(void *arg, const struct lm_dl_progress *p)
{
	const struct lm_ctx *ctx = arg;
	ui_progress(ctx, "llama.cpp", p->done, p->total, p->rate, NULL);
}

/* A tag goes into a URL path: letters, digits, '.', '-', '_' only. */
static int valid_tag(const char *t)
{
	return t && *t && strlen(t) < 60 &&
	       strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
		       strlen(t);
}

static void print_result(const struct lm_ctx *ctx, const struct rt_info *info,
			 const struct rt_release *rel, int already, const char *note)
{
	struct rt_info prev;
	int has_prev = rt_previous(ctx->paths.runtime_dir, &prev, NULL) == LM_OK &&
		       strcmp(prev.name, info->name);

	if (ctx->json) {
		cJSON *o = rt_info_json(info, 1);
		if (rel) {
			cJSON_AddStringToObject(o, "asset", rel->asset);
			if (rel->via[0])
				cJSON_AddStringToObject(o, "release", rel->via);
		}
		cJSON_AddBoolToObject(o, "verified", info->sha256[0] != '\0');
		cJSON_AddBoolToObject(o, "already_installed", already);
		if (has_prev)
			cJSON_AddStringToObject(o, "previous", prev.tag);
		else
			cJSON_AddNullToObject(o, "previous");
		if (note && *note)
			cJSON_AddStringToObject(o, "note", note);
		ui_json_print(o);
		return;
	}
	if (ctx->quiet)
		return;
	if (already)
		printf("%s is already installed; it is the current runtime\n", info->name);
	else
		printf("installed llama.cpp %s (%s) in %s\n", info->tag, info->backend, info->dir);
	printf("llama-server: version %s (build %ld%s%s)\n", info->version[0] ? info->version : "?",
	       info->build, info->commit[0] ? ", commit " : "", info->commit);
	if (has_prev)
		printf("previous:     %s ('localmodel update --rollback' goes back)\n", prev.name);
}

/* --from PATH: register an existing llama-server. */
static int install_from(struct lm_ctx *ctx, const char *path)
{
	struct rt_info info;
	struct lm_err err = { 0 };
	int rc = rt_register_path(ctx->paths.runtime_dir, path, &info, &err);

	if (rc)
		return ui_fail(ctx, &err);
	print_result(ctx, &info, NULL, 0, NULL);
	return LM_OK;
}

/* The machine's platform, and the backend to install on it. */
static int pick_backend(struct lm_ctx *ctx, const char *requested, struct rt_platform *plat,
			char backend[16], char *note, size_t nsize, struct lm_err *err)
{
	struct lm_hw hw;
	struct lm_err herr = { 0 };
	int have_hw = hw_probe(&hw, NULL, HW_NO_TOOLS, &herr) == LM_OK;

	if (!have_hw)
		ui_warn(ctx, "hardware probe failed (%s); choosing without it", herr.msg);
	rt_platform_from_hw(have_hw ? &hw : NULL, plat);
	return rt_choose_backend(plat, requested, backend, note, nsize, err);
}

static int install_github(struct lm_ctx *ctx, const char *requested, const char *tag, int force)
{
	struct rt_platform plat;
	struct rt_client *client = NULL;
	struct rt_release rel = { 0 };
	struct rt_info info;
	struct rt_install in = { 0 };
	struct lm_err err = { 0 };
	char backend[16], note[256];
	int rc;

	if ((rc = pick_backend(ctx, requested, &plat, backend, note, sizeof(note), &err)))
		return ui_fail(ctx, &err);
	if (note[0])
		ui_info(ctx, "%s", note);
	if ((rc = rt_client_new(&client, getenv("LOCALMODEL_GITHUB_API"), getenv("GITHUB_TOKEN"),
				&err)))
		goto fail;
	if ((rc = rt_find(client, &plat, backend, tag, &rel, &err)))
		goto fail;
	if (rel.via[0])
		ui_info(ctx, "release %s is build %s", rel.via, rel.tag);
	if (!rel.sha256[0] && force)
		ui_warn(ctx, "asset '%s' has no digest; installing it unverified (--force)", rel.asset);
	in.runtime_dir = ctx->paths.runtime_dir;
	in.rel = &rel;
	in.backend = backend;
	in.force = force;
	in.progress = on_progress;
	in.progress_ctx = ctx;
	rc = rt_install_release(client, &in, &info, &err);
	ui_progress_done(ctx);
	if (rc)
		goto fail;
	print_result(ctx, &info, &rel, in.already, note);
	goto out;
fail:
	ui_fail(ctx, &err);
out:
	rt_release_release(&rel);
	rt_client_free(client);
	return rc;
}

static int install_run(struct lm_ctx *ctx, struct lm_args *args)
{
	const char *backend = args_get(args, "backend"), *tag = args_get(args, "tag");
	const char *from = args_get(args, "from");
	struct lm_err err = { 0 };
	int rc, lock = -1;

	if (args_want_pos(args, 0, 0, &err))
		return ui_fail(ctx, &err);
	if (from && (backend || tag)) {
		lm_err_set(&err, LM_EUSAGE, "--from takes no --backend or --tag");
		return ui_fail(ctx, &err);
	}
	if (tag && !valid_tag(tag)) {
		lm_err_set(&err, LM_EUSAGE, "invalid tag '%s' (want e.g. b10600)", tag);
		return ui_fail(ctx, &err);
	}
	if (!backend)
		backend = ctx->cfg.backend;
	if ((rc = rt_lock(ctx->paths.runtime_dir, &lock, &err)))
		return ui_fail(ctx, &err);
	if (from)
		rc = install_from(ctx, from);
	else
		rc = install_github(ctx, backend, tag, args_has(args, "force"));
	rt_unlock(lock);
	return rc;
}

const struct lm_cmd cmd_install = {
	.name = "install",
	.alias = "setup",
	.summary = "install or switch the llama.cpp runtime (llama-server)",
	.usage = "localmodel install [--backend auto|cpu|vulkan|rocm|metal] [--tag bNNNN] [--from PATH] [--force] [--json]",
	.description = "Downloads the newest llama.cpp build for this machine from GitHub (or the one\n"
		       "--tag names), checks its digest, unpacks it under runtime/<tag>-<backend>/ and\n"
		       "makes it current; the build before stays for 'update --rollback'.",
	.opts = opts,
	.needs = 0,
	.run = install_run,
};
