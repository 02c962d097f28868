/* recommend: suggest models that fit this machine. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "task", 0, LM_OPT_VALUE, "TASK", "chat, code or reasoning" },
	{ "memory", 0, LM_OPT_VALUE, "SIZE", "plan for this much RAM (8G, 16GiB)" },
	{ "gpu-memory", 0, LM_OPT_VALUE, "SIZE", "plan for this much GPU memory" },
	{ "context", 0, LM_OPT_VALUE, "N", "context length wanted" },
	{ "online", 0, LM_OPT_FLAG, NULL, "add candidates from the Hub search" },
	LM_OPT_END,
};

static int recommend_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_recommend = {
	.name = "recommend",
	.alias = NULL,
	.summary = "suggest models that fit this machine",
	.usage = "localmodel recommend [--task chat|code|reasoning] [--memory SIZE] [--gpu-memory SIZE] [--context N] [--online]",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = recommend_run,
};
