/* search: search Hugging Face for GGUF models. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "limit", 0, LM_OPT_VALUE, "N", "show at most N repos (20)" },
	{ "sort", 0, LM_OPT_VALUE, "KEY", "downloads, likes or updated" },
	{ "files", 0, LM_OPT_FLAG, NULL, "list the GGUF files of one repo" },
	LM_OPT_END,
};

static int search_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_search = {
	.name = "search",
	.alias = NULL,
	.summary = "search Hugging Face for GGUF models",
	.usage = "localmodel search QUERY [--limit N] [--sort downloads|likes|updated]\n       localmodel search ORG/REPO --files",
	.opts = opts,
	.needs = NEED_STORE_RO,
	.run = search_run,
};
