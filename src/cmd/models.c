/* models: list, inspect, remove and pin installed models. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "all", 'a', LM_OPT_FLAG, NULL, "include models in other tools' stores" },
	LM_OPT_END,
};

static int models_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_models = {
	.name = "models",
	.alias = "ls",
	.summary = "list, inspect, remove and pin installed models",
	.usage = "localmodel models [--all]\n       localmodel models show NAME\n       localmodel models rm NAME\n       localmodel models pin|unpin NAME",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = models_run,
};
