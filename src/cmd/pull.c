/* pull: download a GGUF model from Hugging Face. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "file", 0, LM_OPT_VALUE, "PATH", "download this file of the repo" },
	{ "connections", 0, LM_OPT_VALUE, "N", "parallel connections per file (auto)" },
	LM_OPT_END,
};

static int pull_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_pull = {
	.name = "pull",
	.alias = "download",
	.summary = "download a GGUF model from Hugging Face",
	.usage = "localmodel pull ORG/REPO[:QUANT] [--file PATH] [--connections N]",
	.opts = opts,
	.needs = NEED_STORE,
	.run = pull_run,
};
