/* usage: report requests and tokens per model. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "since", 0, LM_OPT_VALUE, "WHEN", "7d, 12h or YYYY-MM-DD" },
	{ "by", 0, LM_OPT_VALUE, "model|day", "group rows by model or by day" },
	LM_OPT_END,
};

static int usage_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_usage = {
	.name = "usage",
	.alias = NULL,
	.summary = "report requests and tokens per model",
	.usage = "localmodel usage [MODEL] [--since 7d|YYYY-MM-DD] [--by model|day]",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = usage_run,
};
