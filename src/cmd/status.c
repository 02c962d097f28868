/* status: version, paths, runtime, models (servers and hardware join later). */
#include "localmodel/cmd.h"
#include "localmodel/paths.h"
#include "localmodel/store.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct lm_opt opts[] = {
	LM_OPT_END,
};

struct status_info {
	char runtime_bin[PATH_MAX];
	char runtime_target[PATH_MAX];
	int runtime_installed;
	int64_t models;
	int64_t models_bytes;
};

static void read_runtime(const struct lm_ctx *ctx, struct status_info *si)
{
	char cur[PATH_MAX];
	ssize_t n;

	if (paths_join(cur, sizeof(cur), ctx->paths.runtime_dir, "current") < 0)
		return;
	n = readlink(cur, si->runtime_target, sizeof(si->runtime_target) - 1);
	if (n > 0)
		si->runtime_target[n] = '\0';
	if (paths_join(si->runtime_bin, sizeof(si->runtime_bin), cur, "llama-server") == 0)
		si->runtime_installed = access(si->runtime_bin, X_OK) == 0;
}

static int gather(struct lm_ctx *ctx, struct status_info *si, struct lm_err *err)
{
	memset(si, 0, sizeof(*si));
	read_runtime(ctx, si);
	if (ctx->store)
		return store_model_totals(ctx->store, &si->models, &si->models_bytes, err);
	return LM_OK;
}

static void print_json(const struct lm_ctx *ctx, const struct status_info *si)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
	cJSON *rt = cJSON_AddObjectToObject(doc, "runtime");
	cJSON *models = cJSON_AddObjectToObject(doc, "models");

	cJSON_AddStringToObject(doc, "version", LM_VERSION);
	cJSON_AddStringToObject(paths, "config", ctx->paths.config_file);
	cJSON_AddStringToObject(paths, "models", ctx->paths.models_dir);
	cJSON_AddStringToObject(paths, "runtime", ctx->paths.runtime_dir);
	cJSON_AddStringToObject(paths, "database", ctx->paths.db_path);
	cJSON_AddStringToObject(paths, "logs", ctx->paths.log_dir);
	cJSON_AddStringToObject(paths, "run", ctx->paths.run_dir);
	cJSON_AddBoolToObject(rt, "installed", si->runtime_installed);
	if (si->runtime_installed)
		cJSON_AddStringToObject(rt, "path", si->runtime_bin);
	else
		cJSON_AddNullToObject(rt, "path");
	cJSON_AddNumberToObject(models, "count", (double)si->models);
	cJSON_AddNumberToObject(models, "size_bytes", (double)si->models_bytes);
	cJSON_AddArrayToObject(doc, "servers");
	ui_json_print(doc);
}

static void print_text(const struct lm_ctx *ctx, const struct status_info *si)
{
	char size[32];

	lm_format_size((uint64_t)si->models_bytes, size, sizeof(size));
	printf("%slocalmodel %s%s\n", ui_bold(ctx), LM_VERSION, ui_reset(ctx));
	printf("runtime:  %s\n", si->runtime_installed ? si->runtime_bin
			: "not installed (run 'localmodel install')");
	printf("models:   %lld (%s)\n", (long long)si->models, size);
	printf("servers:  none running\n");
	printf("config:   %s\n", ctx->paths.config_file);
	printf("data:     %s\n", ctx->paths.data_dir);
	printf("logs:     %s\n", ctx->paths.log_dir);
}

static int status_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct status_info si;
	struct lm_err err = { 0 };

	if (args_want_pos(args, 0, 0, &err))
		return ui_fail(ctx, &err);
	if (gather(ctx, &si, &err))
		return ui_fail(ctx, &err);
	if (ctx->json)
		print_json(ctx, &si);
	else if (!ctx->quiet)
		print_text(ctx, &si);
	return LM_OK;
}

const struct lm_cmd cmd_status = {
	.name = "status",
	.alias = NULL,
	.summary = "show servers, runtime, hardware and models",
	.usage = "localmodel status",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = status_run,
};
