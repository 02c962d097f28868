/* update: update the llama.cpp runtime to the newest build. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "check", 0, LM_OPT_FLAG, NULL, "only report whether a newer build exists" },
	{ "rollback", 0, LM_OPT_FLAG, NULL, "switch back to the previous build" },
	LM_OPT_END,
};

static int update_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_update = {
	.name = "update",
	.alias = NULL,
	.summary = "update the llama.cpp runtime to the newest build",
	.usage = "localmodel update [--check] [--rollback]",
	.opts = opts,
	.needs = NEED_STORE,
	.run = update_run,
};
